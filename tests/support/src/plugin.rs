//! Runs the built `kubectl-immutable` binary in a clean environment: a private HOME, so the
//! developer's own docker or podman credentials never take part.

use std::io::Write;
use std::os::unix::process::ExitStatusExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

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
    /// How long a run may take before it is killed and the test fails.
    deadline: Option<Duration>,
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
            deadline: None,
            _home: home,
        }
    }

    /// Runs within `deadline` and `memory` bytes of address space (`prlimit --as`): a run that
    /// hangs is killed, one that allocates without bound is stopped by the kernel, and either
    /// fails the test instead of hanging it or exhausting the machine.
    pub fn bounded(mut self, deadline: Duration, memory: u64) -> Plugin {
        let mut limited = Command::new("prlimit");
        limited
            .arg(format!("--as={memory}"))
            .arg("--")
            .arg(self.command.get_program())
            .args(self.command.get_args())
            .env_clear();
        for (key, value) in self.command.get_envs() {
            if let Some(value) = value {
                limited.env(key, value);
            }
        }
        if let Some(dir) = self.command.get_current_dir() {
            limited.current_dir(dir);
        }
        self.command = limited;
        self.deadline = Some(deadline);
        self
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
        // Read while it runs, so a full pipe never holds it up against the deadline.
        let read = |mut pipe: Box<dyn std::io::Read + Send>| {
            std::thread::spawn(move || {
                let mut bytes = Vec::new();
                pipe.read_to_end(&mut bytes)
                    .expect("read the plugin's output");
                bytes
            })
        };
        let stdout = read(Box::new(child.stdout.take().expect("piped stdout")));
        let stderr = read(Box::new(child.stderr.take().expect("piped stderr")));
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().expect("the plugin's status") {
                break status;
            }
            if self
                .deadline
                .is_some_and(|deadline| started.elapsed() > deadline)
            {
                child.kill().expect("kill the plugin");
                child.wait().expect("the plugin ends");
                panic!(
                    "{:?} did not end within {:?}\n--- stderr\n{}",
                    self.command,
                    self.deadline.unwrap_or_default(),
                    String::from_utf8_lossy(&stderr.join().expect("stderr"))
                );
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let output = std::process::Output {
            status,
            stdout: stdout.join().expect("stdout"),
            stderr: stderr.join().expect("stderr"),
        };
        if let Some(signal) = output.status.signal() {
            panic!(
                "{:?} was killed by signal {signal} (an allocation over its memory bound aborts)\n--- stderr\n{}",
                self.command,
                String::from_utf8_lossy(&output.stderr)
            );
        }
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
