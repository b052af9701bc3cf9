//! `kubectl-immutable __complete WORD...`: cobra's completion protocol, which kubectl (1.26 and
//! later) speaks with a plugin. On `kubectl immutable pin --<TAB>` kubectl runs
//! `kubectl_complete-immutable pin --` from PATH (`completions/kubectl_complete-immutable`, which
//! execs `kubectl-immutable __complete "$@"`) and reads back one candidate a line
//! (`value<TAB>description`), then `:<directive>` as the last line.
//!
//! Everything is read off the clap command tree, so a new subcommand, flag or possible value is
//! completed without a change here, and each value by the kind declared on its argument:
//! - `value_hint = ValueHint::FilePath` (`DirPath`, `AnyPath`): the shell's own file completion;
//! - possible values (`--report json`, `completion bash`): those values;
//! - `add = CompleteAs::...` ([`CompleteAs`]) for what clap has no word for: manifest files
//!   (`.yaml`, `.yml`, `.json` and directories, as `kubectl apply -f`), the contexts of the
//!   kubeconfig, the namespaces of the cluster of the context, a `TYPE/NAME` workload (its kind,
//!   then its name from the cluster), the usual platforms.
//!
//! The parts: [`protocol`] (the answer and how it is written), `line` (the words typed, read
//! against the command tree), `values` (what each kind of value completes to) and `lookup` (the
//! kubeconfig's contexts and the cluster's names, each within [`NAMESPACE_TIMEOUT`]).
//!
//! Completion never prints an error: a word it cannot complete gets no candidates.

mod line;
mod lookup;
pub mod protocol;
mod values;

use std::ffi::OsString;
use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use clap::CommandFactory;

use crate::adapters::kubeconfig::Search;
use crate::cli::Cli;
use line::{Line, description, find_long, long_candidate, repeatable, takes_value};
pub use protocol::{Candidate, Completions, directive};
pub use values::CompleteAs;

/// The hidden first argument that selects this protocol.
pub const ENTRY: &str = "__complete";

/// How long `-n <TAB>` (and a workload's name) waits for a cluster to list its names.
pub const NAMESPACE_TIMEOUT: Duration = Duration::from_millis(1500);

/// Where completion looks outside the command line: the environment, made explicit so tests can
/// point it anywhere.
#[derive(Debug, Clone)]
pub struct Sources {
    /// `KUBECONFIG`: a list of files, as `std::env::split_paths` reads it.
    pub kubeconfig_env: Option<OsString>,
    /// `HOME` (`USERPROFILE` on Windows), for `~/.kube/config`.
    pub home: Option<PathBuf>,
    /// How long a cluster has to list names.
    pub namespace_timeout: Duration,
}

impl Sources {
    pub fn from_env() -> Sources {
        let Search {
            kubeconfig_env,
            home,
        } = Search::from_env();
        Sources {
            kubeconfig_env,
            home,
            namespace_timeout: NAMESPACE_TIMEOUT,
        }
    }

    /// Where the kubeconfig reader looks when `--kubeconfig` is not on the line.
    fn search(&self) -> Search {
        Search {
            kubeconfig_env: self.kubeconfig_env.clone(),
            home: self.home.clone(),
        }
    }
}

/// Runs the protocol for the words after `__complete` and prints the answer on stdout.
pub fn run(words: &[OsString]) -> std::process::ExitCode {
    let words: Vec<String> = words
        .iter()
        .map(|word| word.to_string_lossy().into_owned())
        .collect();
    let answer = complete(&Cli::command(), &words, &Sources::from_env());
    // A closed stdout leaves nothing to tell anyone.
    let _ = std::io::stdout()
        .lock()
        .write_all(answer.render().as_bytes());
    std::process::ExitCode::SUCCESS
}

/// Completes the last of `words` (the word under the cursor, possibly empty) after the others,
/// as typed after the plugin's name.
pub fn complete(command: &clap::Command, words: &[String], sources: &Sources) -> Completions {
    let mut root = command.clone();
    // Propagates global flags to subcommands and adds --help/--version, as parsing would.
    root.build();
    let (current, typed) = match words.split_last() {
        Some((current, typed)) => (current.as_str(), typed),
        None => ("", &[][..]),
    };
    let line = Line::read(&root, typed);

    if let Some(arg) = line.pending {
        return values::values(arg, current, "", &line, sources);
    }
    if !line.after_double_dash {
        if let Some(flag) = current.strip_prefix("--")
            && let Some((name, _)) = flag.split_once('=')
        {
            return match find_long(line.command, name) {
                Some(arg) if takes_value(arg) => {
                    let prefix = &current[..name.len() + 3];
                    values::values(arg, current, prefix, &line, sources)
                }
                _ => Completions::none(),
            };
        }
        if current.starts_with('-') {
            return flags(&line, current);
        }
    }

    let subcommands = line.subcommands();
    if !subcommands.is_empty() && line.positionals == 0 && !line.after_double_dash {
        let candidates = subcommands
            .into_iter()
            .filter(|sub| sub.get_name().starts_with(current))
            .map(|sub| {
                let about = sub
                    .get_about()
                    .map(|about| protocol::first_line(&about.to_string()));
                Candidate::new(sub.get_name(), about)
            })
            .collect();
        return Completions::new(candidates, directive::NO_FILE_COMP);
    }

    if let Some(arg) = line.next_positional() {
        return values::values(arg, current, "", &line, sources);
    }
    // Nothing positional left: offer the required flags not yet given, as cobra does.
    if current.is_empty() {
        let candidates = line
            .command
            .get_arguments()
            .filter(|arg| arg.is_required_set() && !arg.is_positional() && !arg.is_hide_set())
            .filter(|arg| !line.given(arg))
            .filter_map(long_candidate)
            .collect();
        return Completions::new(candidates, directive::NO_FILE_COMP);
    }
    Completions::none()
}

/// The flags of the command reached that may still be given, starting with `current`: the long
/// forms, and the short ones too for a bare `-`, as cobra.
fn flags(line: &Line, current: &str) -> Completions {
    let mut candidates = Vec::new();
    for arg in line.command.get_arguments() {
        if arg.is_positional() || arg.is_hide_set() {
            continue;
        }
        if line.given(arg) && !repeatable(arg) {
            continue;
        }
        candidates.extend(long_candidate(arg));
        if current == "-"
            && let Some(short) = arg.get_short()
        {
            candidates.push(Candidate::new(format!("-{short}"), description(arg)));
        }
    }
    candidates.retain(|candidate| candidate.value.starts_with(current));
    Completions::new(candidates, directive::NO_FILE_COMP)
}

#[cfg(test)]
mod tests {
    use std::fs;

    use clap::Arg;

    use super::*;

    fn sources() -> Sources {
        Sources {
            kubeconfig_env: None,
            home: None,
            namespace_timeout: Duration::from_millis(10),
        }
    }

    fn answer(words: &[&str]) -> Completions {
        let words: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        complete(&Cli::command(), &words, &sources())
    }

    #[test]
    fn an_empty_line_lists_the_visible_subcommands() {
        let all = answer(&[]);
        assert_eq!(all, answer(&[""]));
        assert!(all.values().contains(&"pin"));
        assert!(!all.values().iter().any(|name| name.starts_with("__")));
        assert!(all.render().ends_with("\n:4\n"));
    }

    #[test]
    fn short_flags_cluster_and_take_their_value_attached_or_next() {
        for words in [
            &["pin", "-Rf", ""][..],
            &["pin", "-qRf", ""],
            &["pin", "-q", "-f", ""],
        ] {
            assert_eq!(
                answer(words).directive,
                directive::FILTER_FILE_EXT,
                "{words:?}"
            );
        }
        // -fa.yaml carries its value: the next word is a new one.
        let after = answer(&["pin", "-fa.yaml", "--che"]);
        assert_eq!(after.values(), ["--check"]);
        // --lock=FILE likewise.
        let after = answer(&["pin", "--lock=x", ""]);
        assert_eq!(after.values(), ["--filename"]);
    }

    #[test]
    fn after_a_double_dash_nothing_is_a_flag() {
        let after = answer(&["pin", "--", "--ch"]);
        assert!(after.candidates.is_empty(), "{after:?}");
    }

    /// Every value the plugin's own flags take completes by the kind declared on the flag.
    #[test]
    fn each_flag_completes_by_the_kind_it_declares() {
        let files = Completions::files(directive::DEFAULT);
        for words in [
            &["pin", "-f", "a.yaml", "--lock", ""][..],
            &["pin", "-f", "a.yaml", "--config", ""],
            &[
                "pin",
                "-f",
                "a.yaml",
                "--report",
                "json",
                "--report-file",
                "",
            ],
            &["apply", "--kubeconfig", ""],
            &["diff", "--kubeconfig=x"],
            &["pin", "--filename=a"],
            &["diff", "old.yaml", ""],
            &["diff", ""],
        ] {
            assert_eq!(answer(words), files, "{words:?}");
        }
        for sub in ["pin", "apply", "diff"] {
            assert_eq!(
                answer(&[sub, "-f", ""]).directive,
                directive::FILTER_FILE_EXT,
                "{sub}"
            );
        }
        assert!(
            answer(&["apply", "--platform", "linux/"])
                .values()
                .contains(&"linux/arm64")
        );
        for sub in ["history", "diff"] {
            assert_eq!(answer(&[sub, "st"]).values(), ["statefulset/"], "{sub}");
        }
        // No cluster answers here: no names, and no error.
        assert_eq!(answer(&["history", "-n", ""]), Completions::none());
        assert_eq!(answer(&["history", "--context", ""]), Completions::none());
    }

    /// The kind is what the argument declares, whatever its name: a flag named like kubectl's
    /// without the declaration is no context, and a declared one of any name is.
    #[test]
    fn the_kind_is_declared_not_guessed_from_names() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config");
        fs::write(
            &config,
            "contexts:\n- name: dev\n  context: {cluster: c}\ncurrent-context: dev\n",
        )
        .unwrap();
        let command = clap::Command::new("tool")
            .arg(Arg::new("context").long("context"))
            .arg(Arg::new("target").long("target").add(CompleteAs::Context))
            .arg(
                Arg::new("config")
                    .long("config")
                    .add(CompleteAs::Kubeconfig),
            )
            .arg(Arg::new("workload").value_name("TYPE/NAME"));
        let sources = Sources {
            kubeconfig_env: Some(config.clone().into_os_string()),
            ..sources()
        };
        let words =
            |words: &[&str]| -> Vec<String> { words.iter().map(|w| w.to_string()).collect() };
        let answer = complete(&command, &words(&["--target", ""]), &sources);
        assert_eq!(answer.values(), ["dev"]);
        assert_eq!(
            answer.candidates[0].description.as_deref(),
            Some("current, cluster c")
        );
        assert_eq!(
            complete(&command, &words(&["--context", ""]), &sources),
            Completions::none()
        );
        // The kubeconfig is the value of the flag declared to name it.
        let other = dir.path().join("other");
        fs::write(&other, "contexts:\n- name: ops\n  context: {cluster: c}\n").unwrap();
        let flag = format!("--config={}", other.display());
        let answer = complete(&command, &words(&[&flag, "--target", ""]), &sources);
        assert_eq!(answer.values(), ["ops"]);
        // A kubeconfig named on the line that does not exist: nothing, and no error.
        let answer = complete(
            &command,
            &words(&["--config", "/nowhere", "--target", ""]),
            &sources,
        );
        assert_eq!(answer, Completions::none());
        // An undeclared positional is a file name, as cobra completes arguments.
        assert_eq!(
            complete(&command, &words(&["dep"]), &sources),
            Completions::files(directive::DEFAULT)
        );
    }
}
