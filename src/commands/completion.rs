//! `kubectl-immutable completion SHELL`: completion scripts generated from the command line.

use clap::CommandFactory;

use super::ExitStatus;
use crate::cli::Cli;

pub fn run(shell: clap_complete::Shell) -> anyhow::Result<ExitStatus> {
    let mut command = Cli::command();
    clap_complete::generate(
        shell,
        &mut command,
        "kubectl-immutable",
        &mut std::io::stdout(),
    );
    Ok(ExitStatus::Success)
}
