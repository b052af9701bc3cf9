//! Manifests as a git revision holds them (`REV:PATH`), read without touching the work tree.

use std::path::{Component, Path, PathBuf};
use std::process::Command;

use super::fs::{self, InputError, Source, is_manifest};

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("cannot run git: {0}")]
    Spawn(#[source] std::io::Error),
    /// git's own first line of complaint, or why the path is not in the repository.
    #[error("{spec}: {message}")]
    Git { spec: String, message: String },
    #[error("{spec}: {source}")]
    WorkingDirectory {
        spec: String,
        source: std::io::Error,
    },
    /// A blob that is not UTF-8, named `REV:PATH` at its first bad byte.
    #[error(transparent)]
    NotText(#[from] InputError),
}

fn git(root: &Path, args: &[&str], spec: &str) -> Result<Vec<u8>, GitError> {
    let output = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .output()
        .map_err(GitError::Spawn)?;
    if output.status.success() {
        Ok(output.stdout)
    } else {
        let message = String::from_utf8_lossy(&output.stderr);
        Err(GitError::Git {
            spec: spec.to_string(),
            message: message.lines().next().unwrap_or("git failed").to_string(),
        })
    }
}

/// `path` relative to the repository root, for a path given relative to the working directory;
/// it need not exist on disk. `spec` is how errors name it.
fn in_repository(root: &Path, path: &str, spec: &str) -> Result<String, GitError> {
    let cwd = std::env::current_dir().map_err(|source| GitError::WorkingDirectory {
        spec: spec.to_string(),
        source,
    })?;
    let cwd = cwd.canonicalize().unwrap_or(cwd);
    let mut joined = PathBuf::new();
    for component in cwd.join(path).components() {
        match component {
            Component::ParentDir => {
                joined.pop();
            }
            Component::CurDir => {}
            other => joined.push(other),
        }
    }
    let relative = joined.strip_prefix(root).map_err(|_| GitError::Git {
        spec: spec.to_string(),
        message: format!("{path} is outside the git repository {}", root.display()),
    })?;
    Ok(relative.to_string_lossy().into_owned())
}

/// Reads `PATH` (a file, or a directory's manifests, recursively with `recursive`) as revision
/// `REV` of the repository around the working directory holds it.
pub fn read_revision(revision: &str, path: &str, recursive: bool) -> Result<Vec<Source>, GitError> {
    let spec = format!("{revision}:{path}");
    let top = git(Path::new("."), &["rev-parse", "--show-toplevel"], &spec)?;
    let root = PathBuf::from(String::from_utf8_lossy(&top).trim());
    let relative = in_repository(&root, path, &spec)?;
    let object = format!("{revision}:{relative}");
    let kind = git(&root, &["cat-file", "-t", &object], &spec)?;
    let files: Vec<String> = if kind.starts_with(b"tree") {
        let prefix = if relative.is_empty() {
            String::new()
        } else {
            format!("{relative}/")
        };
        let mut args = vec!["ls-tree", "--name-only", "--full-tree"];
        if recursive {
            args.push("-r");
        }
        args.extend([revision, "--", &prefix]);
        let listing = git(&root, &args, &spec)?;
        String::from_utf8_lossy(&listing)
            .lines()
            .filter(|file| is_manifest(Path::new(file)))
            .map(str::to_string)
            .collect()
    } else {
        vec![relative]
    };
    let mut sources = Vec::new();
    for file in files {
        let blob = format!("{revision}:{file}");
        let bytes = git(&root, &["cat-file", "blob", &blob], &spec)?;
        let text = fs::text(&blob, bytes)?;
        sources.push(Source {
            name: blob,
            path: None,
            text,
        });
    }
    Ok(sources)
}
