//! Manifests as a git revision holds them (`REV:PATH`), read without touching the work tree.

use std::ffi::{OsStr, OsString};
use std::io::{self, Read as _};
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};

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
    let args: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
    git_os(root, &args, spec)
}

/// [`git`] with arguments that need not be UTF-8 (a file name as the repository holds it). What
/// git prints is read as every input is, up to [`fs::INPUT_LIMIT`]: a blob larger than that is
/// refused, not held.
fn git_os(root: &Path, args: &[&OsStr], spec: &str) -> Result<Vec<u8>, GitError> {
    let mut child = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(GitError::Spawn)?;
    let (Some(stdout), Some(mut stderr)) = (child.stdout.take(), child.stderr.take()) else {
        unreachable!("both are piped above");
    };
    // Read beside stdout, so that git never waits on a full stderr pipe; only its first line is
    // shown, and the rest is drained.
    let complaint = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = (&mut stderr).take(64 << 10).read_to_end(&mut text);
        let _ = io::copy(&mut stderr, &mut io::sink());
        text
    });
    let mut output = Vec::new();
    let read = stdout.take(fs::INPUT_LIMIT + 1).read_to_end(&mut output);
    if output.len() as u64 > fs::INPUT_LIMIT {
        let _ = child.kill();
    }
    let status = child.wait().map_err(GitError::Spawn)?;
    let complaint = complaint.join().unwrap_or_default();
    if output.len() as u64 > fs::INPUT_LIMIT {
        return Err(GitError::Git {
            spec: spec.to_string(),
            message: format!(
                "larger than {} MiB, the most an input may hold",
                fs::INPUT_LIMIT >> 20
            ),
        });
    }
    read.map_err(GitError::Spawn)?;
    if status.success() {
        Ok(output)
    } else {
        let message = String::from_utf8_lossy(&complaint);
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

/// A name as git lists it: bytes, which a Unix path is; elsewhere git writes UTF-8.
fn os_string(bytes: &[u8]) -> OsString {
    #[cfg(unix)]
    {
        <OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(bytes).to_os_string()
    }
    #[cfg(not(unix))]
    {
        String::from_utf8_lossy(bytes).into_owned().into()
    }
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
    let files: Vec<OsString> = if kind.starts_with(b"tree") {
        let prefix = if relative.is_empty() {
            String::new()
        } else {
            format!("{relative}/")
        };
        // NUL-separated: without -z, git quotes a name with a byte outside printable ASCII
        // (`"caf\303\251.yaml"`), which names no file and would be dropped unseen.
        let mut args = vec!["ls-tree", "-z", "--name-only", "--full-tree"];
        if recursive {
            args.push("-r");
        }
        args.extend([revision, "--", &prefix]);
        let listing = git(&root, &args, &spec)?;
        listing
            .split(|&byte| byte == 0)
            .filter(|file| !file.is_empty())
            .map(os_string)
            .filter(|file| is_manifest(Path::new(file)))
            .collect()
    } else {
        vec![relative.into()]
    };
    let mut sources = Vec::new();
    for file in files {
        let mut blob = OsString::from(format!("{revision}:"));
        blob.push(&file);
        let name = blob.to_string_lossy().into_owned();
        let bytes = git_os(&root, &["cat-file".as_ref(), "blob".as_ref(), &blob], &spec)?;
        let text = fs::text(&name, bytes)?;
        sources.push(Source {
            name,
            path: None,
            text,
        });
    }
    Ok(sources)
}
