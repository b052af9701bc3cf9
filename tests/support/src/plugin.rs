//! Runs the built `kubectl-immutable` binary in a clean environment: a private HOME, so the
//! developer's own docker or podman credentials never take part.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// What a run printed and how it ended.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Panics with everything printed unless the run ended with `code`.
    pub fn expect_code(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

pub struct Plugin {
    command: Command,
    stdin: Option<String>,
    _home: tempfile::TempDir,
}

impl Plugin {
    pub fn new<I, S>(args: I) -> Plugin
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let home = tempfile::tempdir().expect("a temporary HOME");
        let mut command = Command::new(binary());
        command
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home.path())
            .current_dir(home.path());
        Plugin {
            command,
            stdin: None,
            _home: home,
        }
    }

    pub fn env(mut self, key: &str, value: impl AsRef<std::ffi::OsStr>) -> Plugin {
        self.command.env(key, value);
        self
    }

    pub fn current_dir(mut self, dir: &Path) -> Plugin {
        self.command.current_dir(dir);
        self
    }

    pub fn stdin(mut self, text: &str) -> Plugin {
        self.stdin = Some(text.to_string());
        self
    }

    pub fn run(mut self) -> Run {
        self.command
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = self.command.spawn().expect("the plugin starts");
        if let Some(text) = self.stdin.take() {
            child
                .stdin
                .take()
                .expect("piped stdin")
                .write_all(text.as_bytes())
                .expect("write stdin");
        }
        let output = child.wait_with_output().expect("the plugin ends");
        Run {
            code: output.status.code().expect("exited, not killed"),
            stdout: String::from_utf8(output.stdout).expect("UTF-8 stdout"),
            stderr: String::from_utf8(output.stderr).expect("UTF-8 stderr"),
        }
    }
}

/// The `kubectl-immutable` binary cargo built for this test run. Cargo names it in
/// `CARGO_BIN_EXE_kubectl-immutable` while it runs an integration test; a test binary run by
/// hand finds it where cargo puts a package's binaries, beside the `deps/` folder that holds the
/// test binary (as cargo's own test support finds cargo).
fn binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let path = std::env::var_os("CARGO_BIN_EXE_kubectl-immutable")
            .map(PathBuf::from)
            .or_else(|| {
                let test_binary = std::env::current_exe().ok()?;
                let profile_dir = test_binary.parent()?.parent()?;
                Some(profile_dir.join("kubectl-immutable"))
            })
            .expect("the test binary's own path");
        assert!(
            path.is_file(),
            "no plugin binary at {}: run the tests with `cargo test`, which builds it",
            path.display()
        );
        path
    })
}
