//! One module per subcommand: flags into settings, one call into a workflow (`ops`), rendering.
//! This one parses the command line, runs the command on the one async runtime, and turns the
//! outcome into stderr text and an exit code, in one place.

mod apply;
pub mod complete;
mod completion;
mod diff;
mod drift;
mod history;
mod pin;
mod postrender;
mod render;
mod reporter;
mod rollback;

use std::ffi::OsString;
use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::core::problem::{Problem, Problems};

/// How a command ended, as `kubectl diff` and ripgrep count it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Done; nothing found.
    Success,
    /// Done, and something was found: an unpinned image (`--check`), a moved tag (`--verify`),
    /// differences (`diff`), objects that failed or a rollout that did not finish (`apply`).
    Found,
}

impl ExitStatus {
    pub fn found_if(found: bool) -> ExitStatus {
        if found {
            ExitStatus::Found
        } else {
            ExitStatus::Success
        }
    }
}

pub fn run<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    // Hidden entry points, read before clap so that every word after them is theirs: kubectl's
    // completion protocol, and the generator of completions/ and man/.
    match args.get(1).and_then(|word| word.to_str()) {
        Some(complete::ENTRY) => {
            let Ok(runtime) = runtime() else {
                return complete::run(&args[2..]);
            };
            let code = {
                let _entered = runtime.enter();
                complete::run(&args[2..])
            };
            // An exec credential plugin that hangs must not keep completion waiting.
            runtime.shutdown_background();
            return code;
        }
        Some(completion::GENERATE) => return completion::generate(&args[2..]),
        Some(crate::adapters::jq::ENTRY) => return crate::adapters::jq::serve(),
        _ => {}
    }
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            // clap prints help and version on stdout (exit 0) and usage errors on stderr (exit 2).
            let _ = error.print();
            return ExitCode::from(error.exit_code() as u8);
        }
    };
    crate::logging::init(cli.verbosity, cli.quiet);
    let outcome = match runtime() {
        Ok(runtime) => runtime.block_on(dispatch(cli)),
        Err(error) => Err(anyhow::Error::new(error).context("cannot start the async runtime")),
    };
    match outcome {
        Ok(ExitStatus::Success) => ExitCode::SUCCESS,
        Ok(ExitStatus::Found) => ExitCode::from(1),
        // A write to a closed stdout goes through [`stdout`], which never fails; a broken pipe
        // met elsewhere (a command that did not finish its answer) is no message, but no success.
        Err(error) if is_broken_pipe(&error) => ExitCode::from(2),
        Err(error) => {
            match error.downcast_ref::<Problems>() {
                Some(Problems(problems)) => print_errors(problems),
                None => print_errors(&[Problem::new(one_line(&error))]),
            }
            ExitCode::from(2)
        }
    }
}

/// The one runtime: every command that does I/O is async and runs on it, and completion asks
/// the cluster on it.
fn runtime() -> io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}

async fn dispatch(cli: Cli) -> anyhow::Result<ExitStatus> {
    match cli.command {
        Command::Pin(args) => pin::run(*args, cli.quiet).await,
        Command::Diff(args) => diff::run(*args, cli.quiet).await,
        Command::Postrender(args) => postrender::run(*args).await,
        Command::History(args) => history::run(*args).await,
        Command::Apply(args) => apply::run(*args, cli.quiet).await,
        Command::Rollback(args) => rollback::run(*args, cli.quiet).await,
        Command::Drift(args) => drift::run(*args).await,
        Command::Completion { shell } => completion::run(shell),
    }
}

/// The one place errors are printed: `error: ` and the problem, a line each, scrubbed as every
/// log line is ([`crate::logging::scrub`]): a reason a server gave (a registry's error envelope,
/// an API server's Status) may quote the credentials it was sent.
pub(crate) fn print_errors(problems: &[Problem]) {
    let mut stderr = io::stderr().lock();
    for problem in problems {
        let line = problem.to_string();
        let _ = writeln!(stderr, "error: {}", crate::logging::scrub(&line));
    }
}

/// An error that is no list of problems, as one line: what failed and why, `: ` between them
/// as anyhow's `{:#}` puts them, down to the first adapter error. That one says its cause in
/// the words a user acts on ("cannot reach the cluster: Connection refused"); the chain under
/// it stays data, not text.
pub(crate) fn one_line(error: &anyhow::Error) -> String {
    told(error)
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ")
}

/// The links of `error`'s chain that are told: each, down to the first adapter error.
fn told(error: &anyhow::Error) -> impl Iterator<Item = &(dyn std::error::Error + 'static)> {
    let outermost: &(dyn std::error::Error + 'static) = error.as_ref();
    std::iter::successors(Some(outermost), |cause| {
        if crate::adapters::says_its_cause(*cause) {
            None
        } else {
            cause.source()
        }
    })
}

/// Stdout for a command's answer. A closed stdout (`| head -1`) is the reader's choice, not a
/// failure: what is left is dropped and the command ends as its result says (`diff | head -1`
/// still exits 1 when there are differences).
pub(crate) fn stdout() -> Stdout {
    Stdout {
        inner: io::stdout().lock(),
        closed: false,
    }
}

pub(crate) struct Stdout {
    inner: io::StdoutLock<'static>,
    closed: bool,
}

impl Stdout {
    fn closed<T>(&mut self, result: io::Result<T>, nothing: T) -> io::Result<T> {
        match result {
            Err(error) if error.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(nothing)
            }
            other => other,
        }
    }
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.closed {
            return Ok(buf.len());
        }
        let result = self.inner.write(buf);
        self.closed(result, buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.closed {
            return Ok(());
        }
        let result = self.inner.flush();
        self.closed(result, ())
    }
}

/// A broken pipe in an error's chain above the adapters: stdout's or a child's, not a
/// connection's to a registry or the cluster (that is their error, told as such).
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    told(error)
        .filter_map(|cause| cause.downcast_ref::<io::Error>())
        .any(|io| io.kind() == io::ErrorKind::BrokenPipe)
}

#[cfg(test)]
mod tests {
    use std::io::{Error as IoError, ErrorKind};

    use anyhow::Context as _;

    use super::*;
    use crate::adapters::cluster::ClusterError;

    /// A request whose connection broke while it was sent, as kube reports it.
    fn broken_connection() -> ClusterError {
        ClusterError::from(kube::Error::Service(Box::new(IoError::new(
            ErrorKind::BrokenPipe,
            "connection closed while writing",
        ))))
    }

    #[test]
    fn an_adapter_error_is_told_with_its_own_words_for_its_cause_once() {
        let error = anyhow::Error::new(broken_connection()).context("cannot list deployments");
        assert_eq!(
            one_line(&error),
            "cannot list deployments: cannot reach the cluster: connection closed while writing"
        );
        // The chain under it is still there, as data.
        assert_eq!(error.chain().count(), 4, "{error:?}");
        // That connection's broken pipe is the cluster's fault, not a closed stdout.
        assert!(!is_broken_pipe(&error));
    }

    #[test]
    fn any_other_error_is_told_as_its_whole_chain() {
        let error = Err::<(), _>(IoError::from(ErrorKind::BrokenPipe))
            .context("cannot write the answer")
            .unwrap_err();
        assert_eq!(one_line(&error), format!("{error:#}"));
        assert!(is_broken_pipe(&error));
    }
}
