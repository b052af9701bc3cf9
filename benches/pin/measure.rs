//! Running a process and timing it: wall time from spawn to exit, and its peak resident set
//! size from the kernel's rusage (`wait4`), as `/usr/bin/time -f %M` reports it.

use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One finished run.
#[derive(Clone, Copy, Debug)]
pub struct Run {
    pub elapsed: Duration,
    /// Peak RSS in KiB.
    pub max_rss_kib: u64,
    /// CPU time, user and system, of the process (and any children it waited for).
    pub cpu: Duration,
    /// Exit code, or 128 + signal.
    pub code: i32,
}

/// Runs `command` with stdout and stderr sent to the given files (or /dev/null), and waits for it
/// with `wait4` to read its peak memory.
pub fn run(command: &mut Command, stdout: Option<&Path>, stderr: Option<&Path>) -> Run {
    let sink = |path: Option<&Path>| match path {
        Some(path) => Stdio::from(File::create(path).expect("create an output file")),
        None => Stdio::null(),
    };
    command
        .stdin(Stdio::null())
        .stdout(sink(stdout))
        .stderr(sink(stderr));
    let started = Instant::now();
    let child = command
        .spawn()
        .unwrap_or_else(|error| panic!("cannot run {command:?}: {error}"));
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain data that wait4 fills in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child; `child` is never waited on through std after this.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let elapsed = started.elapsed();
    assert_eq!(waited, pid, "wait4: {}", std::io::Error::last_os_error());
    drop(child);
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        128 + libc::WTERMSIG(status)
    };
    let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    Run {
        elapsed,
        max_rss_kib: usage.ru_maxrss as u64,
        cpu: time(usage.ru_utime) + time(usage.ru_stime),
        code,
    }
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
    pub max_rss_kib: u64,
}

impl Sample {
    pub fn push(&mut self, run: Run) {
        self.times.push(run.elapsed);
        self.cpu_times.push(run.cpu);
        self.max_rss_kib = self.max_rss_kib.max(run.max_rss_kib);
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
