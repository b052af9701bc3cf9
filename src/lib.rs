//! kubectl-immutable: pin every container image of a manifest set to its registry digest.
//!
//! `core` is pure (no I/O): image references, locating and rewriting image fields.
//! `adapters` talk to the outside (registries, clusters, files, git). `ops` are the workflows
//! the commands share; `commands` turn flags into settings, call one workflow and render it.

pub mod adapters;
pub mod cli;
pub mod commands;
pub mod core;
pub mod logging;
pub mod ops;
pub mod settings;

use std::ffi::OsString;
use std::process::ExitCode;

/// Parses the command line, runs the command, prints any error once and maps it to an exit code.
pub fn run<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    commands::run(args)
}
