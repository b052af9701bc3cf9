//! One module per subcommand; this one parses the command line, runs the command and turns the
//! outcome into stderr text and an exit code, in one place.

mod apply;
pub mod complete;
mod completion;
mod config;
mod diff;
mod history;
mod pin;

use std::ffi::OsString;
use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

/// How a command ended, as `kubectl diff` and ripgrep count it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Done; nothing found.
    Success,
    /// Done, and something was found: an unpinned image (`--check`), a moved tag (`--verify`).
    Found,
}

/// Problems found in the input or while resolving, each on its own line; nothing was written.
#[derive(Debug, thiserror::Error)]
#[error("{}", .0.join("\n"))]
pub struct Problems(pub Vec<String>);

pub fn run<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    // Hidden entry points, read before clap so that every word after them is theirs: kubectl's
    // completion protocol, and the generator of completions/ and man/.
    match args.get(1).and_then(|word| word.to_str()) {
        Some(complete::ENTRY) => return complete::run(&args[2..]),
        Some(completion::GENERATE) => return completion::generate(&args[2..]),
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
    let outcome = match cli.command {
        Command::Pin(args) => pin::run(*args, cli.quiet),
        Command::Diff(args) => diff::run(*args),
        Command::History(args) => history::run(*args),
        Command::Apply(args) => apply::run(*args, cli.quiet),
        Command::Completion { shell } => completion::run(shell),
    };
    match outcome {
        Ok(ExitStatus::Success) => ExitCode::SUCCESS,
        Ok(ExitStatus::Found) => ExitCode::from(1),
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            let mut stderr = io::stderr().lock();
            match error.downcast_ref::<Problems>() {
                Some(Problems(lines)) => {
                    for line in lines {
                        let _ = writeln!(stderr, "error: {line}");
                    }
                }
                None => {
                    let _ = writeln!(stderr, "error: {error:#}");
                }
            }
            ExitCode::from(2)
        }
    }
}

/// The async runtime the network-bound commands run on.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    use anyhow::Context as _;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// A closed stdout (`| head`) is the reader's choice, not a failure.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .chain()
        .filter_map(|cause| cause.downcast_ref::<io::Error>())
        .any(|io| io.kind() == io::ErrorKind::BrokenPipe)
}
