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
pub mod tcp_drop;

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
