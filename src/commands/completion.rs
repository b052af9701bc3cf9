//! `kubectl-immutable completion SHELL`: completion scripts generated from the command line, and
//! the hidden `__generate DIR` that writes every shell's script into `DIR/completions/` and the
//! man pages into `DIR/man/` (what the repository commits, and what a test checks is current).

use std::ffi::OsString;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{CommandFactory, ValueEnum};
use clap_complete::{Generator, Shell};

use super::ExitStatus;
use crate::cli::Cli;
use crate::core::problem::Problem;

/// The hidden entry point that regenerates `completions/` and `man/`.
pub const GENERATE: &str = "__generate";

/// What the scripts complete: the binary's own name, as a shell finds it on PATH.
/// (`kubectl immutable ...` is completed by kubectl, through `kubectl_complete-immutable`.)
const BIN_NAME: &str = "kubectl-immutable";

pub fn run(shell: Shell) -> anyhow::Result<ExitStatus> {
    super::stdout().write_all(&script(shell))?;
    Ok(ExitStatus::Success)
}

/// The completion script for `shell`.
pub fn script(shell: Shell) -> Vec<u8> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut script_command(), BIN_NAME, &mut script);
    if shell == Shell::Bash {
        script = fix_bash_dispatch(&String::from_utf8_lossy(&script)).into_bytes();
    }
    script
}

/// clap_complete (4.6.11 and before) spells the bash dispatch state of a subcommand two ways
/// when the program's name has a hyphen: the loop that walks the words arrives at
/// `kubectl__immutable__subcmd__pin`, the `case` arms are labelled
/// `kubectl__subcmd__immutable__subcmd__pin`, so no subcommand's flags or values ever complete
/// (clap-rs/clap#6421). Relabel the arms the way the loop spells them; once clap_complete is
/// fixed this finds nothing to change.
fn fix_bash_dispatch(script: &str) -> String {
    const SEPARATOR: &str = "__subcmd__";
    let wrong = format!("{}{SEPARATOR}", BIN_NAME.replace('-', SEPARATOR));
    let right = format!("{}{SEPARATOR}", BIN_NAME.replace('-', "__"));
    script
        .split_inclusive('\n')
        .map(|line| {
            let label = line.trim_start();
            if label.starts_with(&wrong) && label.trim_end().ends_with(')') {
                line.replacen(&wrong, &right, 1)
            } else {
                line.to_string()
            }
        })
        .collect()
}

/// The tree the scripts are generated from, named as the shell sees it: `kubectl-immutable`, not
/// the `kubectl immutable` that help and man pages show (a name with a space breaks the scripts).
fn script_command() -> clap::Command {
    stable_command().bin_name(BIN_NAME)
}

/// The command tree the generated files are made from: the version without the commit, so a
/// commit alone never makes the committed files stale.
fn stable_command() -> clap::Command {
    Cli::command().version(env!("CARGO_PKG_VERSION"))
}

/// `__generate DIR`: writes `DIR/completions/<script per shell>` and `DIR/man/<page per
/// command>.1`, replacing what was there under the same names, and prints each path written.
pub fn generate(args: &[OsString]) -> ExitCode {
    let [dir] = args else {
        eprintln!(
            "usage: kubectl-immutable {GENERATE} DIR  (writes DIR/completions/ and DIR/man/)"
        );
        return ExitCode::from(2);
    };
    let dir = Path::new(dir);
    let written = write_completions(&dir.join("completions")).and_then(|mut scripts| {
        scripts.extend(write_man_pages(&dir.join("man"))?);
        Ok(scripts)
    });
    match written {
        Ok(paths) => {
            for path in paths {
                println!("{}", path.display());
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            super::print_errors(&[Problem::new(super::one_line(&error))]);
            ExitCode::from(2)
        }
    }
}

fn write_completions(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut written = Vec::new();
    for shell in Shell::value_variants() {
        let path = dir.join(shell.file_name(BIN_NAME));
        fs::write(&path, script(*shell)).with_context(|| format!("writing {}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

/// One page per visible command: `kubectl-immutable.1`, `kubectl-immutable-pin.1`, ...
fn write_man_pages(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut command = stable_command().disable_help_subcommand(true);
    command.build();
    let mut written = Vec::new();
    let mut pending = vec![command];
    while let Some(command) = pending.pop() {
        pending.extend(
            command
                .get_subcommands()
                .filter(|sub| !sub.is_hide_set())
                .cloned(),
        );
        let page = clap_mangen::Man::new(command)
            .source(concat!("kubectl-immutable ", env!("CARGO_PKG_VERSION")))
            .manual("kubectl-immutable manual");
        let path = page
            .generate_to(dir)
            .with_context(|| format!("writing a man page into {}", dir.display()))?;
        written.push(path);
    }
    written.sort();
    Ok(written)
}
