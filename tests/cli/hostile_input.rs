//! Broken and hostile input (issue 7) through the built binary: every file of the corpus of bad
//! input in `tests/data/bad/` fails as its README says, huge values and alias bombs cost bounded
//! memory and time, and unreadable entries, dangling links, link loops and FIFOs are handled.

use std::fs;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{assert_no_panic, pod, snapshot};
use crate::support::plugin::Plugin;

/// A file of `tests/data/bad/` and what its README says each command does with it.
struct CorpusFile {
    name: String,
    expected: Vec<Expected>,
}

struct Expected {
    command: String,
    code: i32,
    stderr: String,
}

/// The commands the corpus runs on each file: the first three always, `apply` where the README
/// names it.
const CORPUS_COMMANDS: [&str; 4] = ["pin --check", "pin", "diff", "apply"];

/// The corpus as its README states it: after `### FILE`, indented `COMMAND: exit N` lines, each
/// followed by the exact lines the command prints on stderr.
fn bad_corpus() -> Vec<CorpusFile> {
    let readme = fs::read_to_string(bad_dir().join("README.md")).unwrap();
    let mut files: Vec<CorpusFile> = Vec::new();
    for line in readme.lines() {
        if let Some(name) = line.strip_prefix("### ") {
            files.push(CorpusFile {
                name: name.to_string(),
                expected: Vec::new(),
            });
        } else if let Some(code_line) = line.strip_prefix("    ") {
            let expected = &mut files.last_mut().expect("a file heading first").expected;
            match code_line.rsplit_once(": exit ") {
                Some((command, code)) if CORPUS_COMMANDS.contains(&command) => {
                    expected.push(Expected {
                        command: command.to_string(),
                        code: code.parse().unwrap(),
                        stderr: String::new(),
                    })
                }
                _ => {
                    let stderr = &mut expected.last_mut().expect("a command first").stderr;
                    stderr.push_str(code_line);
                    stderr.push('\n');
                }
            }
        }
    }
    files
}

/// The address space a run over a small hostile file may take: the binary, its threads' stacks
/// and allocator arenas, and far less than the gigabytes an unbounded expansion asks for.
const MEMORY_BOUND: u64 = 2 << 30;

fn bad_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/bad")
}

#[test]
fn every_file_of_the_bad_corpus_fails_as_its_readme_says() {
    let corpus = bad_corpus();
    let mut on_disk: Vec<String> = fs::read_dir(bad_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name != "README.md")
        .collect();
    on_disk.sort();
    let described: Vec<&String> = corpus.iter().map(|file| &file.name).collect();
    assert_eq!(
        described,
        on_disk.iter().collect::<Vec<_>>(),
        "one section per file"
    );
    let empty = tempfile::NamedTempFile::new().unwrap();
    let empty = empty.path().display().to_string();

    let mut failures = Vec::new();
    for CorpusFile {
        name: file,
        expected,
    } in &corpus
    {
        let commands: Vec<&str> = expected.iter().map(|e| e.command.as_str()).collect();
        assert!(
            commands == CORPUS_COMMANDS[..3] || commands == CORPUS_COMMANDS,
            "{file}: pin --check, pin, diff and perhaps apply, not {commands:?}"
        );
        for Expected {
            command,
            code,
            stderr,
        } in expected
        {
            let args: Vec<&str> = match command.as_str() {
                "pin --check" => vec!["pin", "--check", "-f", file],
                "pin" => vec!["pin", "-f", file],
                "diff" => vec!["diff", &empty, file],
                _ => vec!["apply", "--dry-run=client", "-f", file],
            };
            // A kilobyte bomb fails the test in time, not by hanging it or exhausting the machine.
            let run = Plugin::new(&args)
                .current_dir(&bad_dir())
                .bounded(Duration::from_secs(60), MEMORY_BOUND)
                .run();
            assert_no_panic(&run);
            if (run.code, &run.stderr) != (*code, stderr) {
                failures.push(format!(
                    "{command} {file}: exit {} (README: {code})\n{}README:\n{stderr}",
                    run.code, run.stderr
                ));
            }
            if *code == 2 {
                assert_eq!(
                    run.stdout, "",
                    "{command} {file}: an error prints nothing else"
                );
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A run of the plugin with what it cost: exit code, stderr, stdout, peak resident memory and
/// wall time.
struct Measured {
    code: i32,
    stderr: String,
    stdout: Vec<u8>,
    peak_rss_mib: u64,
    elapsed: Duration,
}

/// Runs the plugin in `dir`, reading its peak resident memory (`VmHWM`) from /proc while it
/// runs. (The kernel's `ru_maxrss` would not do: it keeps the test binary's own peak from
/// before the exec, which tests running alongside make large.)
fn run_measured(args: &[&str], dir: &Path) -> Measured {
    let started = Instant::now();
    // Within 4 GiB of address space (prlimit runs it in its own process, so /proc below is the
    // plugin's), so a run that allocates without bound fails the test rather than the machine.
    let mut child = Command::new("prlimit")
        .args([
            "--as=4294967296",
            "--",
            env!("CARGO_BIN_EXE_kubectl-immutable"),
        ])
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let status_file = format!("/proc/{pid}/status");
    let peak = std::thread::spawn(move || {
        let mut peak_kib = 0;
        let mut killed = false;
        // Until the process has exited: a zombie's status has no memory lines.
        while let Some(kib) = fs::read_to_string(&status_file).ok().and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        }) {
            peak_kib = peak_kib.max(kib);
            // Killed at the deadline, so a run that never ends fails the test instead of
            // hanging it.
            if !killed && started.elapsed() > Duration::from_secs(600) {
                killed = true;
                let _ = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status();
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        peak_kib
    });
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        stdout.read_to_end(&mut bytes).unwrap();
        bytes
    });
    let mut text = String::new();
    stderr.read_to_string(&mut text).unwrap();
    let peak_kib = peak.join().unwrap();
    let status = child.wait().unwrap();
    assert!(
        status.code().is_some(),
        "{args:?} killed by {status} (over its deadline or out of memory)"
    );
    Measured {
        code: status.code().expect("exited, not killed"),
        stdout: out.join().unwrap(),
        stderr: text,
        peak_rss_mib: peak_kib / 1024,
        elapsed: started.elapsed(),
    }
}

#[test]
fn a_100_mb_single_line_is_read_in_bounded_memory_and_time() {
    let dir = tempfile::tempdir().unwrap();
    const BLOB: usize = 100 << 20;
    let head =
        r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"big","annotations":{"blob":""#;
    let tail = r#""}},"spec":{"containers":[{"name":"app","image":"nginx:1.27"}]}}"#;
    {
        let mut file =
            std::io::BufWriter::new(fs::File::create(dir.path().join("big.json")).unwrap());
        file.write_all(head.as_bytes()).unwrap();
        let chunk = vec![b'x'; 1 << 20];
        for _ in 0..BLOB >> 20 {
            file.write_all(&chunk).unwrap();
        }
        file.write_all(tail.as_bytes()).unwrap();
    }
    let digest = format!("sha256:{}", "c".repeat(64));
    fs::write(
        dir.path().join("immutable.lock"),
        format!(r#"{{"version":1,"images":{{"docker.io/library/nginx:1.27":"{digest}"}}}}"#),
    )
    .unwrap();
    // The file is 100 MiB; reading it, its text and the output take a few copies of it.
    let memory_bound = 6 * (BLOB as u64 >> 20);
    let time_bound = Duration::from_secs(300);

    let check = run_measured(&["pin", "--check", "-f", "big.json"], dir.path());
    assert_eq!(check.code, 1, "{}", check.stderr);
    assert_eq!(check.stdout, b"big.json:1: nginx:1.27\n");
    assert_eq!(check.stderr, "1 of 1 images are not pinned\n");

    let pinned = run_measured(
        &[
            "pin",
            "-f",
            "big.json",
            "--offline",
            "--lock",
            "immutable.lock",
        ],
        dir.path(),
    );
    assert_eq!(pinned.code, 0, "{}", pinned.stderr);
    let column = head.len() + BLOB + r#""}},"spec":{"containers":[{"name":"app","image":""#.len();
    assert_eq!(
        pinned.stdout.len(),
        head.len() + BLOB + tail.len() + 1 + digest.len()
    );
    assert_eq!(
        &pinned.stdout[column..],
        format!("nginx:1.27@{digest}\"}}]}}}}").as_bytes()
    );

    fs::write(dir.path().join("empty.yaml"), "").unwrap();
    let diff = run_measured(&["diff", "empty.yaml", "big.json"], dir.path());
    assert_eq!(diff.code, 2);
    assert_eq!(
        diff.stderr,
        format!(
            "error: big.json:1:{}: invalid YAML: more than 64 MiB of text in its values\n",
            head.len(),
        )
    );
    for run in [&check, &pinned, &diff] {
        assert!(
            run.peak_rss_mib < memory_bound && run.elapsed < time_bound,
            "{} MiB, {:?}",
            run.peak_rss_mib,
            run.elapsed
        );
    }
}

#[test]
fn the_alias_bombs_cost_neither_memory_nor_time() {
    for file in ["alias-bomb.yaml", "alias-bomb-containers.yaml"] {
        for args in [
            vec!["pin", "--check", "-f", file],
            vec!["pin", "-f", file],
            vec!["diff", "empty.yaml", file],
        ] {
            let run = run_measured(&args, &bad_dir());
            // What the corpus test checks line by line; here only what it costs.
            assert!(run.code != 101 && !run.stderr.contains("panicked"));
            assert!(
                run.peak_rss_mib < 256 && run.elapsed < Duration::from_secs(60),
                "{args:?}: {} MiB, {:?}",
                run.peak_rss_mib,
                run.elapsed
            );
        }
    }
}

#[test]
fn unreadable_entries_dangling_links_and_link_loops_are_named_and_nothing_is_written() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let k8s = dir.path().join("k8s");
    fs::create_dir(&k8s).unwrap();
    fs::write(k8s.join("a-web.yaml"), pod("nginx:1.27")).unwrap();
    symlink(dir.path().join("gone.yaml"), k8s.join("b-dangling.yaml")).unwrap();
    // chmod 000 does not stop root, which runs these tests; /proc/self/mem cannot be read from
    // its start by anyone: an unreadable file for every user.
    symlink("/proc/self/mem", k8s.join("c-mem.yaml")).unwrap();
    symlink(".", k8s.join("d-loop")).unwrap();
    let before = snapshot(&k8s);
    let k8s_arg = k8s.display().to_string();
    let expected = format!(
        "error: {k8s_arg}/b-dangling.yaml: No such file or directory (os error 2)\n\
         error: {k8s_arg}/c-mem.yaml: Input/output error (os error 5)\n\
         error: {k8s_arg}/d-loop: symbolic link loop back to {k8s_arg}\n"
    );
    let empty = tempfile::NamedTempFile::new().unwrap();
    let empty = empty.path().display().to_string();
    for args in [
        vec!["pin", "--check", "-R", "-f", &k8s_arg],
        vec!["pin", "-R", "-i", "-f", &k8s_arg],
        vec!["diff", "-R", &empty, &k8s_arg],
    ] {
        // /proc/self/mem is outside the tree: followed only when asked to.
        let args = [&args[..], &["--follow-links-outside"]].concat();
        let run = Plugin::new(&args).run();
        assert_no_panic(&run);
        assert_eq!((run.code, run.stdout.as_str()), (2, ""), "{args:?}");
        assert_eq!(run.stderr, expected, "{args:?}");
    }
    assert_eq!(snapshot(&k8s), before);
}

/// A repository whose `k8s/` holds, besides a real manifest, links that lead out of it: to a
/// credentials file, to a directory outside, through a chain of links and `..`; and links that
/// stay inside, which work as before.
struct LinksOut {
    _dir: tempfile::TempDir,
    k8s: PathBuf,
    secret: PathBuf,
}

impl LinksOut {
    fn new() -> LinksOut {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        fs::create_dir_all(home.join(".docker")).unwrap();
        let secret = home.join(".docker/config.json");
        fs::write(
            &secret,
            r#"{"auths": {"r.example": {"auth": "c2VjcmV0OnMzY3IzdA=="}}}"#,
        )
        .unwrap();
        fs::write(home.join("other.yaml"), pod("busybox:1.36")).unwrap();
        let k8s = dir.path().join("repo/k8s");
        fs::create_dir_all(k8s.join("apps/base")).unwrap();
        fs::write(k8s.join("apps/base/web.yaml"), pod("nginx:1.27")).unwrap();
        // Inside: a file link and a directory link, each through `..`.
        symlink("base/web.yaml", k8s.join("apps/web-link.yaml")).unwrap();
        symlink("../apps/base", k8s.join("apps/base-link")).unwrap();
        // Out: straight, as a chain of links inside, and a directory.
        symlink(&secret, k8s.join("a-config.json")).unwrap();
        symlink("hop.yaml", k8s.join("b-chain.yaml")).unwrap();
        symlink("../../home/.docker/config.json", k8s.join("hop.yaml")).unwrap();
        symlink(&home, k8s.join("c-home")).unwrap();
        LinksOut {
            _dir: dir,
            k8s,
            secret,
        }
    }
}

#[test]
fn links_out_of_a_tree_are_refused_before_anything_is_printed_or_written() {
    let tree = LinksOut::new();
    let k8s_arg = tree.k8s.display().to_string();
    let secret = tree.secret.display();
    let home = tree.secret.parent().unwrap().parent().unwrap().display();
    let refused = |link: &str, target: &str| {
        format!(
            "error: {k8s_arg}/{link}: a symbolic link to {target}, outside {k8s_arg}: refused \
             (--follow-links-outside follows it)\n"
        )
    };
    let expected = [
        refused("a-config.json", &secret.to_string()),
        refused("b-chain.yaml", &secret.to_string()),
        refused("c-home", &home.to_string()),
        refused("hop.yaml", &secret.to_string()),
    ]
    .concat();
    let before = snapshot(&tree.k8s);
    let secret_before = fs::read(&tree.secret).unwrap();
    let empty = tempfile::NamedTempFile::new().unwrap();
    let empty = empty.path().display().to_string();
    // Without the refusal, pin would print the credentials from this lock file's digests alone.
    let lock = tempfile::NamedTempFile::new().unwrap();
    let digest = |c: char| format!("sha256:{}", c.to_string().repeat(64));
    fs::write(
        lock.path(),
        serde_json::json!({"version": 1, "images": {
            "docker.io/library/nginx:1.27": digest('a'),
            "docker.io/library/busybox:1.36": digest('b'),
        }})
        .to_string(),
    )
    .unwrap();
    let lock = lock.path().display().to_string();
    for args in [
        vec!["pin", "-R", "-f", &k8s_arg, "--offline", "--lock", &lock],
        vec!["pin", "--check", "-R", "-f", &k8s_arg],
        vec!["pin", "-R", "-i", "-f", &k8s_arg],
        vec!["diff", "-R", &empty, &k8s_arg],
        vec!["diff", "-R", "-f", &k8s_arg, "--no-pin"],
        vec!["apply", "-R", "-f", &k8s_arg, "--offline", "--lock", &lock],
    ] {
        let run = Plugin::new(&args).run();
        assert_no_panic(&run);
        assert_eq!((run.code, run.stdout.as_str()), (2, ""), "{args:?}");
        assert_eq!(run.stderr, expected, "{args:?}");
    }
    assert_eq!(snapshot(&tree.k8s), before);
    assert_eq!(fs::read(&tree.secret).unwrap(), secret_before);

    // Not recursive: a directory link is not walked into, so it is no error.
    let run = Plugin::new(["pin", "--check", "-f", &k8s_arg]).run();
    assert!(!run.stderr.contains("c-home"), "{}", run.stderr);

    // Links that stay inside the tree, and a link named by -f itself, are read as before.
    let apps = tree.k8s.join("apps");
    let apps_arg = apps.display().to_string();
    let run = Plugin::new(["pin", "--check", "-R", "-f", &apps_arg])
        .run()
        .expect_code(1);
    assert_eq!(
        run.stdout.matches("nginx:1.27").count(),
        3,
        "{}",
        run.stdout
    );
    let named = tree.k8s.join("c-home").display().to_string();
    let run = Plugin::new(["pin", "--check", "-R", "-f", &named])
        .run()
        .expect_code(1);
    assert!(run.stdout.contains("busybox:1.36"), "{}", run.stdout);

    // Asked to, every link is followed.
    let run = Plugin::new([
        "pin",
        "--check",
        "-R",
        "-f",
        &k8s_arg,
        "--follow-links-outside",
    ])
    .run();
    assert!(!run.stderr.contains("refused"), "{}", run.stderr);
    assert!(run.stdout.contains("busybox:1.36"), "{}", run.stdout);
}

#[test]
fn a_fifo_is_read_as_process_substitution_passes_one() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("helm-template.yaml");
    let status = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(status.success());
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || fs::write(fifo, pod("nginx:1.27")).unwrap())
    };
    let fifo_arg = fifo.display().to_string();
    let run = Plugin::new(["pin", "--check", "-f", &fifo_arg])
        .run()
        .expect_code(1);
    writer.join().unwrap();
    assert_eq!(run.stdout, format!("{fifo_arg}:4: nginx:1.27\n"));
}

#[test]
fn a_200_mb_dockerfile_line_costs_a_few_copies_of_itself() {
    let dir = tempfile::tempdir().unwrap();
    const LINE: usize = 200 << 20;
    {
        let mut file =
            std::io::BufWriter::new(fs::File::create(dir.path().join("Dockerfile")).unwrap());
        file.write_all(b"FROM alpine:3.19\nRUN echo ").unwrap();
        let chunk = vec![b'x'; 1 << 20];
        for _ in 0..LINE >> 20 {
            file.write_all(&chunk).unwrap();
        }
        file.write_all(b"\nCOPY --from=nginx:1.27 /a /a\n").unwrap();
    }
    let run = run_measured(&["pin", "--check", "-f", "Dockerfile"], dir.path());
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        String::from_utf8(run.stdout).unwrap(),
        "Dockerfile:1: alpine:3.19\nDockerfile:3: nginx:1.27\n"
    );
    // The file, its text as one instruction and as words: a few copies, not one record per
    // character (35 bytes a byte before).
    let bound = 5 * (LINE as u64 >> 20);
    assert!(
        run.peak_rss_mib < bound && run.elapsed < Duration::from_secs(300),
        "{} MiB (bound {bound} MiB), {:?}",
        run.peak_rss_mib,
        run.elapsed
    );
}

#[test]
fn an_input_over_the_size_limit_is_refused_before_it_is_held() {
    // /dev/zero never ends: read whole, it would take all memory. A lock file is read within
    // the same limit.
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("pod.yaml"), pod("nginx:1.27")).unwrap();
    for (args, said) in [
        (
            vec!["pin", "--check", "-f", "/dev/zero"],
            "error: /dev/zero: larger than 256 MiB, the most an input may hold\n",
        ),
        (
            vec!["pin", "--offline", "--lock", "/dev/zero", "-f", "pod.yaml"],
            "error: cannot read lock file /dev/zero: larger than 256 MiB, the most an input may hold\n",
        ),
    ] {
        let run = Plugin::new(&args)
            .current_dir(dir.path())
            .bounded(Duration::from_secs(60), MEMORY_BOUND)
            .run();
        assert_eq!(
            (run.code, run.stdout.as_str(), run.stderr.as_str()),
            (2, "", said),
            "{args:?}"
        );
    }
}

#[test]
fn extends_reads_only_regular_files_inside_the_tree() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let outside = dir.path().join("outside.yaml");
    fs::write(&outside, "services:\n  base: {build: .}\n").unwrap();
    let project = dir.path().join("project");
    fs::create_dir(&project).unwrap();
    let status = Command::new("mkfifo")
        .arg(project.join("fifo.yaml"))
        .status()
        .unwrap();
    assert!(status.success());
    // Not named *.yaml: `-f .` would refuse it as a link out of the tree before any extends.
    symlink(&outside, project.join("link.base")).unwrap();
    fs::write(
        project.join("common.yaml"),
        "services:\n  base: {restart: always}\n",
    )
    .unwrap();
    let compose = "\
services:
  fifo:
    extends: {file: fifo.yaml, service: base}
    image: a:1
  zero:
    extends: {file: /dev/zero, service: base}
    image: b:1
  link:
    extends: {file: link.base, service: base}
    image: c:1
  up:
    extends: {file: ../outside.yaml, service: base}
    image: d:1
  common:
    extends: {file: common.yaml, service: base}
    image: e:1
";
    fs::write(project.join("compose.yaml"), compose).unwrap();
    let before = snapshot(&project);
    let expected = |name: &str| {
        let outside = "is outside the tree pin reads (the current directory, and the directory named by -f or the file's own)";
        format!(
            "error: {name}:3:21: extends fifo.yaml, which is not a regular file\n\
             error: {name}:6:21: extends /dev/zero, which {outside}\n\
             error: {name}:9:21: extends link.base, which {outside}\n\
             error: {name}:12:21: extends ../outside.yaml, which {outside}\n"
        )
    };
    // The tree is the current directory, and the directory named by -f or a file's own.
    for (args, name) in [
        (vec!["pin", "--check", "-f", "compose.yaml"], "compose.yaml"),
        (vec!["pin", "-i", "-f", "."], "./compose.yaml"),
    ] {
        let run = Plugin::new(&args)
            .current_dir(&project)
            .bounded(Duration::from_secs(60), MEMORY_BOUND)
            .run();
        assert_no_panic(&run);
        assert_eq!((run.code, run.stdout.as_str()), (2, ""), "{args:?}");
        assert_eq!(run.stderr, expected(name), "{args:?}");
    }
    assert_eq!(snapshot(&project), before, "nothing written");

    // Inside the tree, a regular file is read: a file named alone, from the directory above.
    let only_common =
        "services:\n  common:\n    extends: {file: common.yaml, service: base}\n    image: e:1\n";
    fs::write(project.join("compose.yaml"), only_common).unwrap();
    let run = Plugin::new(["pin", "--check", "-f", "project/compose.yaml"])
        .current_dir(dir.path())
        .bounded(Duration::from_secs(60), MEMORY_BOUND)
        .run();
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (1, "project/compose.yaml:4: e:1\n"),
        "{}",
        run.stderr
    );
}
