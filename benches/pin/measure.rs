//! Running a process and timing it: wall time from spawn to exit, CPU time from the kernel's
//! rusage (`wait4`) and, where asked, its own peak resident set size.
//!
//! The peak is read from `/proc/PID/status` (`VmHWM`) while the process stops on its way out
//! (ptrace's exit event), as its memory is about to go. Not `ru_maxrss`: std spawns with
//! `posix_spawn` (a `CLONE_VM` child), and the kernel keeps the pre-exec peak, which is this
//! harness's own (100 MiB and more), so every row read the same number.

use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use std::os::unix::process::CommandExt;

/// One finished run.
#[derive(Clone, Copy, Debug)]
pub struct Run {
    pub elapsed: Duration,
    /// Peak RSS in KiB of the process alone, when measured ([`run_measuring_memory`]).
    pub peak_rss_kib: Option<u64>,
    /// CPU time, user and system, of the process (and any children it waited for).
    pub cpu: Duration,
    /// Exit code, or 128 + signal.
    pub code: i32,
}

/// Runs `command` with stdout and stderr sent to the given files (or /dev/null), and waits for it
/// with `wait4` to read its CPU time.
pub fn run(command: &mut Command, stdout: Option<&Path>, stderr: Option<&Path>) -> Run {
    run_traced(command, stdout, stderr, false)
}

/// [`run`], and the process's own peak memory. The child is traced (ptrace) so that it stops
/// once on its way out; it then forks rather than `posix_spawn`s, which costs the harness a
/// copy of its page tables, inside the wall time (about a millisecond).
pub fn run_measuring_memory(
    command: &mut Command,
    stdout: Option<&Path>,
    stderr: Option<&Path>,
) -> Run {
    run_traced(command, stdout, stderr, true)
}

fn run_traced(
    command: &mut Command,
    stdout: Option<&Path>,
    stderr: Option<&Path>,
    trace: bool,
) -> Run {
    let sink = |path: Option<&Path>| match path {
        Some(path) => Stdio::from(File::create(path).expect("create an output file")),
        None => Stdio::null(),
    };
    command
        .stdin(Stdio::null())
        .stdout(sink(stdout))
        .stderr(sink(stderr));
    if trace {
        // SAFETY: only an async-signal-safe system call between fork and exec.
        unsafe {
            command.pre_exec(|| {
                let traced = libc::ptrace(libc::PTRACE_TRACEME, 0, 0, 0);
                if traced == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    let started = Instant::now();
    let child = command
        .spawn()
        .unwrap_or_else(|error| panic!("cannot run {command:?}: {error}"));
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain data that wait4 fills in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let (mut exec_seen, mut peak_rss_kib) = (false, None);
    loop {
        // SAFETY: waits for our own child; `child` is never waited on through std after this.
        let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        assert_eq!(waited, pid, "wait4: {}", std::io::Error::last_os_error());
        if !libc::WIFSTOPPED(status) {
            break;
        }
        // A traced child: stopped after its exec, on its way out, or by a signal to pass on.
        let signal = match (libc::WSTOPSIG(status), status >> 16) {
            (libc::SIGTRAP, 0) if !exec_seen => {
                // After the exec: stop again on the way out.
                // SAFETY: our own stopped tracee.
                let options = libc::PTRACE_O_TRACEEXIT | libc::PTRACE_O_EXITKILL;
                let set = unsafe { libc::ptrace(libc::PTRACE_SETOPTIONS, pid, 0, options) };
                assert_eq!(set, 0, "ptrace: {}", std::io::Error::last_os_error());
                exec_seen = true;
                0
            }
            (libc::SIGTRAP, libc::PTRACE_EVENT_EXIT) => {
                peak_rss_kib = Some(high_water_mark(pid));
                0
            }
            (signal, _) => signal,
        };
        // SAFETY: our own stopped tracee.
        let resumed = unsafe { libc::ptrace(libc::PTRACE_CONT, pid, 0, signal) };
        assert_eq!(resumed, 0, "ptrace: {}", std::io::Error::last_os_error());
    }
    let elapsed = started.elapsed();
    drop(child);
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        128 + libc::WTERMSIG(status)
    };
    let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    Run {
        elapsed,
        peak_rss_kib,
        cpu: time(usage.ru_utime) + time(usage.ru_stime),
        code,
    }
}

/// `VmHWM` of a live process, in KiB.
fn high_water_mark(pid: libc::pid_t) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc/PID/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/PID/status")
}

/// The median (the mean of the middle two for an even count).
pub fn median(values: &[Duration]) -> Duration {
    assert!(!values.is_empty());
    let mut sorted = values.to_vec();
    sorted.sort();
    let middle = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[middle]
    } else {
        (sorted[middle - 1] + sorted[middle]) / 2
    }
}

/// Timings of several runs of one measurement.
#[derive(Clone, Debug, Default)]
pub struct Sample {
    pub times: Vec<Duration>,
    pub cpu_times: Vec<Duration>,
    /// The largest peak RSS of the runs, in KiB, where they were measured.
    pub max_rss_kib: Option<u64>,
}

impl Sample {
    pub fn push(&mut self, run: Run) {
        self.times.push(run.elapsed);
        self.cpu_times.push(run.cpu);
        self.max_rss_kib = self.max_rss_kib.max(run.peak_rss_kib);
    }

    pub fn push_time(&mut self, time: Duration) {
        self.times.push(time);
    }

    pub fn median(&self) -> Duration {
        median(&self.times)
    }

    /// Median CPU time (user + system) of the runs, which other load on the machine barely
    /// changes.
    pub fn median_cpu(&self) -> Duration {
        median(&self.cpu_times)
    }

    pub fn min(&self) -> Duration {
        *self.times.iter().min().unwrap()
    }

    pub fn max(&self) -> Duration {
        *self.times.iter().max().unwrap()
    }
}
