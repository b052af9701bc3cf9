//! Reading what the user named: files, directories, stdin, and `REV:PATH` from git; and their
//! documents, each problem located.

use std::path::Path;

use crate::adapters::fs::{self, InputError, Links, Source};
use crate::adapters::git::{self, GitError};
use crate::core::manifest::{ParsedObject, parse_documents};
use crate::core::problem::{Problem, Problems};

/// Every `-f` argument as kubectl reads it: a file, a directory's manifests, or `-`.
pub fn read(filenames: &[String], recursive: bool, links: Links) -> Result<Vec<Source>, Problems> {
    read_with(filenames, recursive, false, links)
}

/// [`read`]; with `docker`, a directory's Dockerfiles and Compose files too.
pub fn read_with(
    filenames: &[String],
    recursive: bool,
    docker: bool,
    links: Links,
) -> Result<Vec<Source>, Problems> {
    fs::read_sources_with(filenames, recursive, docker, links)
        .map_err(|errors| Problems(errors.iter().map(input_problem).collect()))
}

/// The sources one side of a diff names: a path on disk first, else `REV:PATH` from git.
pub fn read_side(side: &str, recursive: bool, links: Links) -> Result<Vec<Source>, Problems> {
    let on_disk = side == "-" || Path::new(side).exists();
    match side.split_once(':') {
        Some((revision, path)) if !on_disk && !revision.is_empty() => {
            git::read_revision(revision, path, recursive).map_err(|error| match &error {
                GitError::NotText(input) => input_problem(input).into(),
                other => Problem::new(other).into(),
            })
        }
        _ => read(&[side.to_string()], recursive, links),
    }
}

fn input_problem(error: &InputError) -> Problem {
    Problem::located(error.name(), error)
}

/// The documents of `source`, or `None` with why not noted in `problems`.
pub fn documents(source: &Source, problems: &mut Vec<Problem>) -> Option<Vec<ParsedObject>> {
    parse_documents(&source.text)
        .map_err(|error| problems.push(Problem::located(&source.name, &error)))
        .ok()
}
