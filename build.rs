//! Sets `KUBECTL_IMMUTABLE_VERSION`, what `--version` prints after the name: the crate version
//! and, where it can be known, the commit it was built from, e.g. `0.1.0 (abc1234)`.
//!
//! The commit comes from, in order:
//! 1. `KUBECTL_IMMUTABLE_COMMIT` in the build environment (a packager that knows better);
//! 2. `git`, but only when this crate is the top of its own work tree, so that a build inside
//!    some other repository (a `$HOME` kept in git, a vendored copy) never borrows its commit;
//! 3. `.cargo_vcs_info.json`, which `cargo package` writes into a crate published from git, so
//!    `cargo install kubectl-immutable` still knows it.
//!
//! Without any of them (a source tarball, no git installed) the version is the crate version
//! alone. Nothing here fails the build.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const OVERRIDE: &str = "KUBECTL_IMMUTABLE_COMMIT";

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed={OVERRIDE}");
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let version = env::var("CARGO_PKG_VERSION").expect("set by cargo");

    let commit = env::var(OVERRIDE)
        .ok()
        .map(|commit| commit.trim().to_string())
        .filter(|commit| !commit.is_empty())
        .or_else(|| git_commit(&manifest_dir))
        .or_else(|| packaged_commit(&manifest_dir));

    let full = match commit {
        Some(commit) => format!("{version} ({commit})"),
        None => version,
    };
    println!("cargo::rustc-env=KUBECTL_IMMUTABLE_VERSION={full}");
}

/// The short commit of HEAD, if `manifest_dir` is the top of a git work tree and git runs.
/// Also asks cargo to run this again when HEAD moves (a commit, a checkout, a reset).
fn git_commit(manifest_dir: &Path) -> Option<String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(manifest_dir)
        .args([
            "rev-parse",
            "--path-format=absolute",
            "--show-toplevel",
            "--git-dir",
            "--git-common-dir",
            "--short=7",
            "HEAD",
        ])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let stdout = String::from_utf8(output.stdout).ok()?;
    let mut lines = stdout.lines();
    let (top, git_dir, common_dir, commit) =
        (lines.next()?, lines.next()?, lines.next()?, lines.next()?);
    if !same_dir(Path::new(top), manifest_dir) || !is_hex(commit) {
        return None;
    }

    // HEAD names the branch; the branch's ref is a loose file under refs/ or a line of
    // packed-refs. Watching HEAD, the folder of the loose ref and packed-refs catches a commit,
    // a checkout and a `git gc` alike. Only existing paths: cargo reruns every build for a
    // path that does not exist.
    let git_dir = Path::new(git_dir);
    let common_dir = Path::new(common_dir);
    let mut watched = vec![git_dir.join("HEAD"), common_dir.join("packed-refs")];
    if let Ok(head) = std::fs::read_to_string(git_dir.join("HEAD"))
        && let Some(reference) = head.trim().strip_prefix("ref: ")
        && let Some(folder) = common_dir.join(reference).parent()
    {
        watched.push(folder.to_path_buf());
    }
    for path in watched.iter().filter(|path| path.exists()) {
        println!("cargo::rerun-if-changed={}", path.display());
    }
    Some(commit.to_string())
}

/// The commit `cargo package` recorded in `.cargo_vcs_info.json`:
/// `{"git": {"sha1": "<40 hex>"}, "path_in_vcs": ""}`. Read by hand: a build script with a JSON
/// parser as a build dependency costs every build more than this saves.
fn packaged_commit(manifest_dir: &Path) -> Option<String> {
    let path = manifest_dir.join(".cargo_vcs_info.json");
    let text = std::fs::read_to_string(&path).ok()?;
    println!("cargo::rerun-if-changed={}", path.display());
    let after_key = &text[text.find("\"sha1\"")? + "\"sha1\"".len()..];
    let value = after_key.trim_start().strip_prefix(':')?.trim_start();
    let sha = value.strip_prefix('"')?.split('"').next()?;
    (sha.len() >= 7 && is_hex(sha)).then(|| sha[..7].to_string())
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

fn is_hex(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_hexdigit())
}
