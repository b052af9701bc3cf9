//! Reading the words typed before the cursor against the clap command tree, as clap would
//! parse them: which (sub)command they reached, which flags they gave with which values, how
//! many positionals, and whether the word under the cursor is a flag's value.

use clap::{Arg, ArgAction};

use super::protocol::{Candidate, first_line};
use super::values::CompleteAs;

/// What the words before the cursor say.
pub(super) struct Line<'a> {
    /// The deepest subcommand reached.
    pub command: &'a clap::Command,
    /// The flags given, each with its value if it takes one.
    pub given: Vec<(&'a Arg, Option<String>)>,
    /// How many positional words were typed after `command`.
    pub positionals: usize,
    /// The flag whose value the word under the cursor is (`-f <TAB>`).
    pub pending: Option<&'a Arg>,
    /// Whether a `--` came before: every word after it is positional.
    pub after_double_dash: bool,
}

impl<'a> Line<'a> {
    /// Reads `typed`, the words before the cursor, from the built `root` command.
    pub fn read(root: &'a clap::Command, typed: &[String]) -> Line<'a> {
        let mut line = Line {
            command: root,
            given: Vec::new(),
            positionals: 0,
            pending: None,
            after_double_dash: false,
        };
        for word in typed {
            if let Some(arg) = line.pending.take() {
                line.given.push((arg, Some(word.clone())));
                continue;
            }
            if line.after_double_dash {
                line.positionals += 1;
                continue;
            }
            if word == "--" {
                line.after_double_dash = true;
                continue;
            }
            if let Some(flag) = word.strip_prefix("--") {
                let (name, value) = match flag.split_once('=') {
                    Some((name, value)) => (name, Some(value.to_string())),
                    None => (flag, None),
                };
                if let Some(arg) = find_long(line.command, name) {
                    if takes_value(arg) && value.is_none() {
                        line.pending = Some(arg);
                    } else {
                        line.given.push((arg, value));
                    }
                }
                continue;
            }
            if let Some(cluster) = word.strip_prefix('-').filter(|rest| !rest.is_empty()) {
                // -Rf FILE, -fFILE, -f=FILE, -q
                for (at, short) in cluster.char_indices() {
                    let Some(arg) = find_short(line.command, short) else {
                        break;
                    };
                    if takes_value(arg) {
                        let rest = &cluster[at + short.len_utf8()..];
                        let rest = rest.strip_prefix('=').unwrap_or(rest);
                        if rest.is_empty() {
                            line.pending = Some(arg);
                        } else {
                            line.given.push((arg, Some(rest.to_string())));
                        }
                        break;
                    }
                    line.given.push((arg, None));
                }
                continue;
            }
            if line.positionals == 0
                && let Some(sub) = line.command.find_subcommand(word)
            {
                line.command = sub;
                continue;
            }
            line.positionals += 1;
        }
        line
    }

    /// Whether `arg` was given.
    pub fn given(&self, arg: &Arg) -> bool {
        self.given
            .iter()
            .any(|(given, _)| given.get_id() == arg.get_id())
    }

    /// The last value typed for the flag declared to complete as `kind` (`--context`'s for
    /// [`CompleteAs::Context`]).
    pub fn value_of(&self, kind: CompleteAs) -> Option<&str> {
        self.given
            .iter()
            .rev()
            .find(|(arg, _)| CompleteAs::of(arg) == Some(kind))
            .and_then(|(_, value)| value.as_deref())
    }

    /// The visible subcommands of the command reached.
    pub fn subcommands(&self) -> Vec<&'a clap::Command> {
        self.command
            .get_subcommands()
            .filter(|sub| !sub.is_hide_set())
            .collect()
    }

    /// The positional argument the next positional word fills: by index, the last one taking
    /// every word after it when it takes many.
    pub fn next_positional(&self) -> Option<&'a Arg> {
        let mut positionals: Vec<&Arg> = self
            .command
            .get_positionals()
            .filter(|arg| !arg.is_hide_set())
            .collect();
        positionals.sort_by_key(|arg| arg.get_index());
        let mut filled = 0;
        for arg in positionals {
            let many = arg
                .get_num_args()
                .map(|range| range.max_values())
                .unwrap_or(1);
            if self.positionals < filled + many {
                return Some(arg);
            }
            filled = filled.saturating_add(many);
        }
        None
    }
}

/// The flag of `command` with this long name or alias.
pub(super) fn find_long<'a>(command: &'a clap::Command, name: &str) -> Option<&'a Arg> {
    command.get_arguments().find(|arg| {
        arg.get_long() == Some(name)
            || arg
                .get_all_aliases()
                .is_some_and(|aliases| aliases.contains(&name))
    })
}

fn find_short(command: &clap::Command, short: char) -> Option<&Arg> {
    command.get_arguments().find(|arg| {
        arg.get_short() == Some(short)
            || arg
                .get_all_short_aliases()
                .is_some_and(|aliases| aliases.contains(&short))
    })
}

pub(super) fn takes_value(arg: &Arg) -> bool {
    arg.get_action().takes_values()
}

/// Whether a flag may be given again (`-f a -f b`), and so is offered again.
pub(super) fn repeatable(arg: &Arg) -> bool {
    matches!(arg.get_action(), ArgAction::Append | ArgAction::Count)
}

/// `--flag`, described by its help.
pub(super) fn long_candidate(arg: &Arg) -> Option<Candidate> {
    Some(Candidate::new(
        format!("--{}", arg.get_long()?),
        description(arg),
    ))
}

pub(super) fn description(arg: &Arg) -> Option<String> {
    arg.get_help().map(|help| first_line(&help.to_string()))
}
