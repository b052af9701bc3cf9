//! `diff --ignore`'s jq expressions, run in a child process of this binary that can be bounded
//! as a thread cannot: a program that runs too long is killed at its time limit, one that
//! allocates too much or recurses too deep dies alone (an allocation refused by its memory
//! limit, a stack overflow) and is reported, and it has no environment at all.
//!
//! The child is this binary run as `kubectl-immutable __jq`. It reads the expressions (a JSON
//! array of strings) on its first line and answers `ready`, then for each request line
//! `[INDEX, OBJECT]` answers one line: the object after the deletion, or `null` where the
//! expression fails on it.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, ExitCode, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::Duration;

use serde_json::Value;

use crate::core::ignore::{JqDeletions, JqRunner};

/// The hidden first argument that makes this binary the bounded jq process.
pub const ENTRY: &str = "__jq";

/// The most memory (address space) the jq process may map: far above what a deletion on a
/// manifest needs, far below what would hurt a CI runner.
pub const MEMORY_LIMIT: u64 = 1 << 30;

/// How long the jq process may take to start and compile the expressions.
const START_LIMIT: Duration = Duration::from_secs(30);

/// At most this much of what the jq process wrote on stderr is read to tell why it died.
const STDERR_LIMIT: u64 = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum JqError {
    #[error("ran longer than {} (--ignore-timeout)", humantime::format_duration(*.0))]
    Timeout(Duration),
    #[error("used more than {} MiB of memory", MEMORY_LIMIT >> 20)]
    Memory,
    #[error("recursed too deep (a stack overflow)")]
    Recursion,
    #[error("the jq process failed: {0}")]
    Failed(String),
    #[error("cannot run the jq process: {0}")]
    Spawn(#[source] io::Error),
}

/// The running jq process, answering one deletion at a time within `timeout` each.
pub struct JqProcess {
    child: Child,
    stdin: ChildStdin,
    answers: Receiver<io::Result<String>>,
    timeout: Duration,
}

impl JqProcess {
    /// Starts the jq process for `expressions`, each already checked to compile.
    pub fn start(expressions: &[String], timeout: Duration) -> Result<JqProcess, JqError> {
        let executable = std::env::current_exe().map_err(JqError::Spawn)?;
        let mut child = Command::new(executable)
            .arg(ENTRY)
            .env_clear()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(JqError::Spawn)?;
        let stdin = child.stdin.take().expect("piped");
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        // Answers are read on a thread of their own, so that waiting for one can time out.
        let (sender, answers) = mpsc::channel();
        std::thread::spawn(move || {
            for line in stdout.lines() {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let mut process = JqProcess {
            child,
            stdin,
            answers,
            timeout,
        };
        let expressions = serde_json::to_string(expressions).expect("strings serialize");
        let ready = process.ask(&expressions, START_LIMIT)?;
        if ready != "ready" {
            return Err(JqError::Failed(ready));
        }
        Ok(process)
    }

    /// Sends `line`, and waits up to `limit` for the one answer line.
    fn ask(&mut self, line: &str, limit: Duration) -> Result<String, JqError> {
        let sent = writeln!(self.stdin, "{line}").and_then(|()| self.stdin.flush());
        if sent.is_err() {
            return Err(self.died());
        }
        match self.answers.recv_timeout(limit) {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(_)) | Err(RecvTimeoutError::Disconnected) => Err(self.died()),
            Err(RecvTimeoutError::Timeout) => {
                let _ = self.child.kill();
                Err(JqError::Timeout(limit))
            }
        }
    }

    /// Why the process stopped answering, from what it wrote on stderr as it died.
    fn died(&mut self) -> JqError {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut said = String::new();
        if let Some(stderr) = self.child.stderr.take() {
            let _ = stderr.take(STDERR_LIMIT).read_to_string(&mut said);
        }
        if said.contains("memory allocation of") {
            JqError::Memory
        } else if said.contains("overflowed its stack") {
            JqError::Recursion
        } else {
            JqError::Failed(said.lines().next().unwrap_or("it ended").to_string())
        }
    }
}

impl JqRunner for JqProcess {
    type Error = JqError;

    fn delete(&mut self, expression: usize, object: &Value) -> Result<Option<Value>, JqError> {
        let request = serde_json::to_string(&(expression, object)).expect("JSON serializes");
        let answer = self.ask(&request, self.timeout)?;
        let rest: Value = serde_json::from_str(&answer)
            .map_err(|error| JqError::Failed(format!("an answer that is not JSON: {error}")))?;
        Ok(Some(rest).filter(|rest| !rest.is_null()))
    }
}

impl Drop for JqProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The jq process itself (`kubectl-immutable __jq`): bounds its memory, then answers requests
/// on stdin until it closes.
pub fn serve() -> ExitCode {
    limit_memory();
    match answer(io::stdin().lock(), io::stdout().lock()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{error}");
            ExitCode::from(2)
        }
    }
}

fn answer(input: impl BufRead, mut output: impl Write) -> Result<(), String> {
    let mut lines = input.lines();
    let Some(Ok(first)) = lines.next() else {
        return Ok(());
    };
    let expressions: Vec<String> = serde_json::from_str(&first).map_err(|e| e.to_string())?;
    let deletions = JqDeletions::compile(&expressions)?;
    let mut say = |text: &str| {
        writeln!(output, "{text}")
            .and_then(|()| output.flush())
            .map_err(|e| e.to_string())
    };
    say("ready")?;
    for line in lines {
        let line = line.map_err(|e| e.to_string())?;
        let (index, object): (usize, Value) =
            serde_json::from_str(&line).map_err(|e| e.to_string())?;
        let rest = deletions.run(index, &object).unwrap_or(Value::Null);
        say(&serde_json::to_string(&rest).expect("JSON serializes"))?;
    }
    Ok(())
}

/// Caps the address space at [`MEMORY_LIMIT`]: an allocation past it fails, which Rust
/// answers by aborting this process, not the one that waits on it.
fn limit_memory() {
    #[cfg(unix)]
    {
        let limit = libc::rlimit {
            rlim_cur: MEMORY_LIMIT as libc::rlim_t,
            rlim_max: MEMORY_LIMIT as libc::rlim_t,
        };
        // SAFETY: setrlimit reads the struct it is given and nothing else.
        unsafe {
            libc::setrlimit(libc::RLIMIT_AS, &limit);
        }
    }
}
