//! Test support for kubectl-immutable's integration tests (`tests/cli`) and its benchmark
//! (`benches/pin`): real servers started on loopback ports, proxies that inject faults in front
//! of them, and a runner for the built plugin.
//!
//! A crate of its own, a dev-dependency of the plugin only (as cargo's `cargo-test-support` is
//! of cargo): the test binary and the benchmark share it, and what it makes public is what they
//! use.

pub mod cluster;
pub mod faults;
pub mod plugin;
pub mod registry;
pub mod signing;
pub mod tcp_drop;
pub mod test_data;

/// The command that installs and builds everything the tests drive.
pub const SETUP: &str = "bash scripts/test.sh --setup";

/// Stops the whole test run, in one line naming what is missing and the command that installs
/// it: a suite without its real servers fails once, not with a panic per test, and never skips.
pub fn missing(what: &str) -> ! {
    static SAID: std::sync::Once = std::sync::Once::new();
    // Straight to the process's stderr: the test harness captures `eprintln!`, and the run ends
    // before it would print what it captured.
    SAID.call_once(|| {
        let line = format!("error: {what} is missing; `{SETUP}` installs it\n");
        let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
    });
    std::process::exit(1)
}

/// `program` installed from PyPI by the setup command: on PATH, else in the scripts directory of
/// `python3` (where pip puts it when that is not on PATH); or the run stops ([`missing`]).
pub fn require_from_pypi(program: &str, package: &str) -> std::path::PathBuf {
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(program))
            .find(|candidate| candidate.is_file())
    });
    on_path
        .or_else(|| {
            let output = std::process::Command::new("python3")
                .args([
                    "-c",
                    "import sysconfig; print(sysconfig.get_path('scripts'))",
                ])
                .output()
                .ok()?;
            let dir = String::from_utf8(output.stdout).ok()?;
            let candidate = std::path::Path::new(dir.trim()).join(program);
            candidate.is_file().then_some(candidate)
        })
        .unwrap_or_else(|| missing(&format!("{program} (PyPI: {package})")))
}

/// `program` on PATH, or the run stops ([`missing`]), saying where it comes `from`.
pub fn require(program: &str, from: &str) -> std::path::PathBuf {
    std::env::var_os("PATH")
        .and_then(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join(program))
                .find(|candidate| candidate.is_file())
        })
        .unwrap_or_else(|| missing(&format!("{program} ({from})")))
}
