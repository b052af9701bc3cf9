//! `cargo bench --bench pin`: how fast `kubectl-immutable` pins against a registry tens of
//! milliseconds away, rewrites offline, diffs, checks a tree of many files and starts, next to
//! `skopeo inspect` over the same references (issue 6), and the same pin and peer over TLS, where
//! the plugin speaks HTTP/2 (a second registry process serving the same storage over TLS, behind a
//! second proxy); beside them the floor, `curl --parallel` asking for the same manifests and
//! nothing else, and Carvel kbld where `KBLD` names one (issue 19); and a repository of
//! Dockerfiles and Compose files (`docker.rs`). Prints a Markdown table;
//! `benches/RESULTS.md` records one.
//!
//! Settings (flags after `--`, or the environment):
//! - `--quick` / `QUICK=1`: one run of each measurement (and no sequential skopeo over 200
//!   images, two minutes alone), so CI can check the harness still works; nothing about the times
//!   is asserted, only that every command did its job (every digest checked).
//! - `--rtt-ms N` / `RTT_MS=N`: the round-trip time the proxy adds (default 40).
//! - `--runs N` / `RUNS=N`: runs per measurement (default 5; the median is reported).
//! - `BENCH_RESEED=1`: seed the registry afresh instead of reusing `target/bench-registry-v*`.
//! - `KUBECTL_IMMUTABLE_BIN=PATH`: benchmark another build of the plugin.
//! - `KBLD=PATH`: a kbld binary, for the optional kbld row over the 200 images.
//! - `--serve`: only start the seeded registry and the proxies, print their addresses and wait
//!   (for profiling a command by hand).

mod docker;
mod measure;
mod peers;
mod proxy;
mod seed;
mod signed;
mod workloads;

use std::cell::RefCell;
use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use measure::Sample;
use proxy::LatencyProxy;
use seed::SeededRegistry;

/// About 50 MB of argo-cd manifests: 26 copies of its 1.94 MB install.yaml.
const OFFLINE_TARGET_BYTES: usize = 50_000_000;
const DIFF_OBJECTS: usize = 10_000;
const DIFF_FILES: usize = 100;
const DIFF_TARGET: &str = "≤ 0.5 s, peak RSS ≤ 100 MiB";
const DIFF_RSS_KIB: u64 = 100 * 1024;
const SKOPEO_PARALLEL: usize = 16;
/// Files of the tree `pin --check` reads (row 9); a tenth of them in quick mode.
const TREE_FILES: usize = 100_000;

struct Settings {
    quick: bool,
    rtt: Duration,
    runs: usize,
    startup_runs: usize,
    reseed: bool,
    serve: bool,
    binary: PathBuf,
    kbld: Option<PathBuf>,
}

impl Settings {
    fn from_args_and_env() -> Settings {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let flag_value = |name: &str| {
            args.iter().enumerate().find_map(|(i, arg)| {
                arg.strip_prefix(&format!("{name}="))
                    .map(str::to_owned)
                    .or_else(|| (arg == name).then(|| args.get(i + 1).cloned()).flatten())
            })
        };
        let env = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        let number = |flag: &str, var: &str| {
            flag_value(flag).or_else(|| env(var)).map(|value| {
                value
                    .parse::<u64>()
                    .unwrap_or_else(|_| panic!("{flag} / {var}: not a number: {value}"))
            })
        };
        let quick = args.iter().any(|arg| arg == "--quick")
            || env("QUICK").is_some_and(|value| value != "0");
        let runs = number("--runs", "RUNS").unwrap_or(if quick { 1 } else { 5 }) as usize;
        Settings {
            quick,
            rtt: Duration::from_millis(number("--rtt-ms", "RTT_MS").unwrap_or(40)),
            runs: runs.max(1),
            startup_runs: if quick { 5 } else { 50 },
            reseed: env("BENCH_RESEED").is_some_and(|value| value != "0"),
            serve: args.iter().any(|arg| arg == "--serve"),
            // Cargo builds the binary (bench profile = release settings) before the benchmark.
            binary: env("KUBECTL_IMMUTABLE_BIN")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_kubectl-immutable"))),
            kbld: env("KBLD").map(PathBuf::from),
        }
    }
}

/// One row of the table.
struct Row {
    measure: String,
    runs: String,
    result: String,
    target: String,
    verdict: String,
}

impl Row {
    fn new(measure: impl Into<String>, runs: usize, result: impl Into<String>) -> Row {
        Row {
            measure: measure.into(),
            runs: runs.to_string(),
            result: result.into(),
            target: String::new(),
            verdict: String::new(),
        }
    }

    fn target(mut self, target: impl Into<String>, met: Option<bool>) -> Row {
        self.target = target.into();
        self.verdict = match met {
            Some(true) => "met".into(),
            Some(false) => "**missed**".into(),
            None => String::new(),
        };
        self
    }
}

fn main() {
    let settings = Settings::from_args_and_env();
    let started = Instant::now();
    let load_before = load_average();
    let work = tempfile::tempdir().expect("create a temp dir");
    note(&format!("binary: {}", settings.binary.display()));

    note("starting the registry");
    let registry = SeededRegistry::start(&seed::target_dir(), settings.reseed);
    if let Some(seeded) = registry.seeded_in {
        note(&format!(
            "seeded {} references in {:.1} s (cached for the next run)",
            registry.digests.len(),
            seeded.as_secs_f64()
        ));
    }
    let proxy = LatencyProxy::start(registry.addr(), settings.rtt);
    note("starting the registry over TLS on the same storage");
    let tls_registry = registry.start_tls();
    let tls_proxy = LatencyProxy::start(tls_registry.addr(), settings.rtt);
    if settings.serve {
        // For profiling by hand: the seeded registry and the proxy stay up until interrupted.
        println!(
            "registry {} (direct), {} (through the proxy, {} ms RTT); over TLS {} (direct), {} \
             (through the proxy); repositories {} … {}, tags {}",
            registry.addr(),
            proxy.host(),
            settings.rtt.as_millis(),
            tls_registry.addr(),
            tls_proxy.host(),
            seed::repository(0),
            seed::repository(seed::REPOSITORIES - 1),
            seed::TAGS.join(", ")
        );
        loop {
            thread::park();
        }
    }
    let bench = Bench {
        settings: &settings,
        work: work.path(),
        proxy: &proxy,
        tls_proxy: &tls_proxy,
        registry: &registry,
        tls_registry: tls_registry.addr(),
        plain_connections: RefCell::new(Vec::new()),
    };

    let mut rows = Vec::new();
    bench.pin_rows(&mut rows);
    bench.tls_rows(&mut rows);
    bench.signed_rows(&mut rows);
    bench.offline_rows(&mut rows);
    bench.diff_rows(&mut rows);
    rows.push(bench.tree_row());
    rows.push(bench.startup_row());
    bench.docker_rows(&mut rows);

    print_report(&settings, &rows, &load_before);
    note(&format!(
        "benchmark finished in {:.0} s",
        started.elapsed().as_secs_f64()
    ));
}

struct Bench<'a> {
    settings: &'a Settings,
    work: &'a Path,
    proxy: &'a LatencyProxy,
    /// In front of the second registry process, which serves the same storage over TLS.
    tls_proxy: &'a LatencyProxy,
    registry: &'a SeededRegistry,
    /// The second registry process, straight (no proxy): what it answers with no round trip.
    tls_registry: SocketAddr,
    /// Connections `pin` of the 200 images opened per run over plain HTTP, for row 7a.
    plain_connections: RefCell<Vec<usize>>,
}

impl Bench<'_> {
    fn plugin(&self) -> Command {
        Command::new(&self.settings.binary)
    }

    /// `repository:tag` of the first `count` repositories, tags `v1`, `v2`, `multi` in turn.
    fn references(&self, count: usize) -> Vec<String> {
        (0..count)
            .map(|i| {
                format!(
                    "{}:{}",
                    seed::repository(i),
                    seed::TAGS[i % seed::TAGS.len()]
                )
            })
            .collect()
    }

    /// Rows 1, 2 and 6a (pin's memory), each followed by the skopeo peer over the same images.
    fn pin_rows(&self, rows: &mut Vec<Row>) {
        let rtt = self.settings.rtt;
        let rtt_ms = rtt.as_millis();
        for (label, count) in [("1.", 200), ("2a.", 20), ("2b.", 1)] {
            let references = self.references(count);
            let images = if count == 1 { "image" } else { "images" };
            note(&format!("pin, {count} {images}"));
            let (pin, connections) = self.pin_online(self.proxy, &references);
            if count == 200 {
                *self.plain_connections.borrow_mut() = connections;
            }
            let median = pin.median();
            let row = Row::new(
                format!("{label} `pin`, {count} distinct {images}, cold, {rtt_ms} ms RTT"),
                pin.times.len(),
                in_round_trips(&pin, rtt),
            );
            rows.push(match count {
                200 => self.verdict(row, "≤ 0.30 s", median <= Duration::from_millis(300)),
                1 => self.verdict(
                    row,
                    &format!("≤ 3 RTT ({} ms)", 3 * rtt_ms),
                    median <= 3 * rtt,
                ),
                _ => row,
            });
            if count == 200 {
                note("floor: curl --parallel, 200 manifests, HTTP/1.1");
                let floor = peers::curl_floor(
                    &self.proxy.host(),
                    peers::Wire::Http1,
                    &references,
                    &self.registry.digests,
                    self.settings.runs,
                    self.work,
                );
                rows.push(self.floor_row(label, "HTTP/1.1, plain", &floor, median));
                rows.push(self.registry_alone_row(
                    label,
                    self.registry.addr(),
                    peers::Wire::Http1,
                    &references,
                ));
                self.kbld_row(rows, &references, median);
            }
            let pin_memory = (count == 200).then_some(pin.max_rss_kib).flatten();

            let parallelism: &[usize] = if count == 1 {
                &[1]
            } else {
                &[1, SKOPEO_PARALLEL]
            };
            for &parallel in parallelism {
                let how = if parallel == 1 {
                    "sequential".to_string()
                } else {
                    format!("{parallel} at a time")
                };
                let title = format!("{label} peer: `skopeo inspect`, {count} {images}, {how}");
                if self.settings.quick && count == 200 && parallel == 1 {
                    // Two minutes at 40 ms; the 20-image run below exercises the same code.
                    rows.push(Row::new(title, 0, "skipped in quick mode"));
                    continue;
                }
                note(&format!("skopeo inspect, {count} {images}, {how}"));
                let peer = self.skopeo_inspect_all(self.proxy, &references, parallel);
                let ratio = peer.median().as_secs_f64() / median.as_secs_f64();
                let row = Row::new(
                    title,
                    peer.times.len(),
                    format!(
                        "{} (range {}); pin is **{ratio:.1}×** as fast",
                        seconds(peer.median()),
                        range(&peer)
                    ),
                );
                rows.push(if count == 200 && parallel == 1 {
                    self.verdict(row, "pin ≥ 30× as fast", ratio >= 30.0)
                } else {
                    row
                });
            }
            if let Some(kib) = pin_memory {
                rows.push(Row::new(
                    "6a. peak memory (RSS), `pin` 200 images",
                    pin.times.len(),
                    mib(Some(kib)),
                ));
            }
        }
    }

    /// `row` with its target, and whether it was met unless this is a quick run.
    fn verdict(&self, row: Row, target: &str, met: bool) -> Row {
        row.target(target, (!self.settings.quick).then_some(met))
    }

    /// Rows 7: `pin` of the 200 images over TLS (HTTP/2), the skopeo peer 16 at a time over the
    /// same references, and the TCP connections pin opened through the proxy.
    fn tls_rows(&self, rows: &mut Vec<Row>) {
        let rtt = self.settings.rtt;
        let count = 200;
        let references = self.references(count);
        note(&format!("pin over TLS, {count} images"));
        let (pin, connections) = self.pin_online(self.tls_proxy, &references);
        let median = pin.median();
        note("floor: curl --parallel, 200 manifests, HTTP/2 over TLS");
        let floor = peers::curl_floor(
            &self.tls_proxy.host(),
            peers::Wire::Http2Tls,
            &references,
            &self.registry.digests,
            self.settings.runs,
            self.work,
        );
        let of_floor = median.as_secs_f64() / floor.median().as_secs_f64();
        let row = Row::new(
            format!(
                "7. `pin`, {count} distinct images, cold, {} ms RTT, over TLS (HTTP/2)",
                rtt.as_millis()
            ),
            pin.times.len(),
            format!(
                "{}; **{of_floor:.2}×** the floor",
                in_round_trips(&pin, rtt)
            ),
        );
        rows.push(self.verdict(
            row,
            "≤ 0.25 s and ≤ 1.25× the floor",
            median <= Duration::from_millis(250) && of_floor <= 1.25,
        ));
        rows.push(self.floor_row("7.", "HTTP/2 over TLS", &floor, median));
        rows.push(self.registry_alone_row(
            "7.",
            self.tls_registry,
            peers::Wire::Http2Tls,
            &references,
        ));
        note(&format!(
            "skopeo inspect over TLS, {count} images, {SKOPEO_PARALLEL} at a time"
        ));
        let peer = self.skopeo_inspect_all(self.tls_proxy, &references, SKOPEO_PARALLEL);
        let ratio = peer.median().as_secs_f64() / median.as_secs_f64();
        rows.push(Row::new(
            format!(
                "7. peer: `skopeo inspect`, {count} images, {SKOPEO_PARALLEL} at a time, over TLS"
            ),
            peer.times.len(),
            format!(
                "{} (range {}); pin is **{ratio:.1}×** as fast",
                seconds(peer.median()),
                range(&peer)
            ),
        ));
        let per_run = |connections: &[usize]| {
            let least = connections.iter().min().copied().unwrap_or_default();
            let most = connections.iter().max().copied().unwrap_or_default();
            if least == most {
                format!("{least}")
            } else {
                format!("{least} – {most}")
            }
        };
        rows.push(Row::new(
            format!("7a. TCP connections `pin` opened, {count} images over TLS"),
            connections.len(),
            format!(
                "**{}** per run, as the proxy accepted them (plain HTTP, row 1: {})",
                per_run(&connections),
                per_run(&self.plain_connections.borrow())
            ),
        ));
    }

    /// `pin` of `references` (on the registry, through `proxy`), each run checked to have
    /// written the digest the registry holds for every image; with the connections the proxy
    /// accepted during each run.
    fn pin_online(&self, proxy: &LatencyProxy, references: &[String]) -> (Sample, Vec<usize>) {
        let host = proxy.host();
        let images: Vec<String> = references.iter().map(|r| format!("{host}/{r}")).collect();
        let manifest = self.work.join(format!("pin-{}.yaml", references.len()));
        fs::write(&manifest, workloads::deployments(&images)).unwrap();
        let expected: Vec<&str> = references
            .iter()
            .map(|r| self.registry.digests[r].as_str())
            .collect();
        let (stdout, stderr) = (self.work.join("pin.out"), self.work.join("pin.err"));
        let mut sample = Sample::default();
        let mut connections = Vec::new();
        for _ in 0..self.settings.runs {
            let before = proxy.connections();
            let run = measure::run_measuring_memory(
                self.plugin()
                    .args(["pin", "-q", "-f"])
                    .arg(&manifest)
                    .args(["--insecure-registry", &host]),
                Some(&stdout),
                Some(&stderr),
            );
            connections.push(proxy.connections() - before);
            check_exit(&run, &[0], "pin", &stderr);
            let output = fs::read_to_string(&stdout).unwrap();
            assert_eq!(
                workloads::pinned_digests(&output),
                expected,
                "pin wrote other digests than the registry holds"
            );
            sample.push(run);
        }
        (sample, connections)
    }

    /// `skopeo inspect --format {{.Digest}}` of every reference through `proxy`, `parallel`
    /// processes at a time; one time per run of the whole set.
    fn skopeo_inspect_all(
        &self,
        proxy: &LatencyProxy,
        references: &[String],
        parallel: usize,
    ) -> Sample {
        let host = proxy.host();
        let mut sample = Sample::default();
        for _ in 0..self.settings.runs {
            let next = AtomicUsize::new(0);
            let failures = Mutex::new(Vec::new());
            let started = Instant::now();
            thread::scope(|scope| {
                for _ in 0..parallel.min(references.len()) {
                    scope.spawn(|| {
                        while let Some(reference) =
                            references.get(next.fetch_add(1, Ordering::Relaxed))
                        {
                            let output = Command::new("skopeo")
                                .args(["inspect", "--format", "{{.Digest}}", "--tls-verify=false"])
                                .arg(format!("docker://{host}/{reference}"))
                                .output()
                                .expect("run skopeo (apt-get install skopeo)");
                            let digest = String::from_utf8_lossy(&output.stdout).trim().to_owned();
                            // For an index skopeo reports its own platform's manifest.
                            let wrong = !reference.ends_with(":multi")
                                && digest != self.registry.digests[reference];
                            if !output.status.success() || wrong {
                                failures.lock().unwrap().push(format!(
                                    "{reference}: {} {digest} {}",
                                    output.status,
                                    String::from_utf8_lossy(&output.stderr).trim()
                                ));
                            }
                        }
                    });
                }
            });
            sample.push_time(started.elapsed());
            let failures = failures.into_inner().unwrap();
            assert!(
                failures.is_empty(),
                "skopeo inspect failed:\n{}",
                failures.join("\n")
            );
        }
        sample
    }

    /// Rows 3 and 6b: `pin --offline --lock` over ~50 MB of argo-cd manifests.
    fn offline_rows(&self, rows: &mut Vec<Row>) {
        let corpus =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/corpus/argo-cd-install.yaml");
        let corpus_len = fs::metadata(&corpus).expect("the argo-cd corpus").len() as usize;
        let copies = OFFLINE_TARGET_BYTES.div_ceil(corpus_len);
        let (input, lock) = (
            self.work.join("offline.yaml"),
            self.work.join("offline.lock"),
        );
        let images = workloads::offline_corpus(&corpus, copies, &input, &lock);
        let input_len = fs::metadata(&input).unwrap().len();
        let (stdout, stderr) = (self.work.join("offline.out"), self.work.join("offline.err"));
        note(&format!(
            "pin --offline, {:.1} MB ({copies} × argo-cd install.yaml, {images} images)",
            input_len as f64 / 1e6
        ));
        let mut sample = Sample::default();
        for _ in 0..self.settings.runs {
            let run = measure::run_measuring_memory(
                self.plugin()
                    .args(["pin", "-q", "--offline", "--lock"])
                    .arg(&lock)
                    .arg("-f")
                    .arg(&input),
                Some(&stdout),
                Some(&stderr),
            );
            check_exit(&run, &[0], "pin --offline", &stderr);
            // Every image gains `@sha256:<64 hex>` and nothing else changes length.
            let output_len = fs::metadata(&stdout).unwrap().len();
            assert_eq!(
                output_len,
                input_len + 72 * images as u64,
                "pin --offline output is not the input plus one digest per image"
            );
            sample.push(run);
        }
        let mb = input_len as f64 / 1e6;
        let rate = mb / sample.median().as_secs_f64();
        let cpu_rate = mb / sample.median_cpu().as_secs_f64();
        let row = Row::new(
            format!("3. `pin --offline --lock`, {mb:.1} MB of argo-cd manifests ({images} images)"),
            sample.times.len(),
            format!(
                "**{rate:.0} MB/s** = {} (range {}; CPU {}, {cpu_rate:.0} MB per CPU-second)",
                seconds(sample.median()),
                range(&sample),
                seconds(sample.median_cpu())
            ),
        );
        rows.push(self.verdict(row, "≥ 250 MB/s", rate >= 250.0));
        let ratio = sample
            .max_rss_kib
            .map(|kib| (kib * 1024) as f64 / input_len as f64);
        let row = Row::new(
            "6b. peak memory (RSS), `pin --offline` 50 MB",
            sample.times.len(),
            match ratio {
                Some(ratio) => format!("{} = {ratio:.2}× the input", mib(sample.max_rss_kib)),
                None => mib(None),
            },
        );
        rows.push(self.verdict(row, "≤ 1.3× input", ratio.is_some_and(|r| r <= 1.3)));
    }

    /// Row 4: `diff A B` over 10,000 objects a side, 5% changed, if the binary has `diff`: the
    /// sides as directories of 100 files (4), and as one file each (4b).
    fn diff_rows(&self, rows: &mut Vec<Row>) {
        let title =
            format!("4. `diff`, {DIFF_OBJECTS} objects a side in {DIFF_FILES} files, 5% changed");
        // Whether the binary has `diff` is known only by asking it.
        let probe = measure::run(self.plugin().args(["diff", "--help"]), None, None);
        if probe.code != 0 {
            note("diff: not implemented yet");
            rows.push(Row::new(title, 0, "not implemented yet").target(DIFF_TARGET, None));
            return;
        }
        let side = |name: &str| self.work.join(name);
        let (a, b, a_dir, b_dir) = (
            side("diff-a.yaml"),
            side("diff-b.yaml"),
            side("diff-a"),
            side("diff-b"),
        );
        workloads::diff_sides(
            DIFF_OBJECTS,
            DIFF_OBJECTS / DIFF_FILES,
            &a,
            &b,
            &a_dir,
            &b_dir,
        );
        for (title, a, b) in [
            (title, &a_dir, &b_dir),
            (
                "4b. `diff`, the same sets as one file a side".to_string(),
                &a,
                &b,
            ),
        ] {
            note(&title);
            let row = match self.diff(a, b) {
                Ok(sample) => {
                    let median = sample.median();
                    let row = Row::new(
                        title,
                        sample.times.len(),
                        format!(
                            "**{}** (range {}; CPU {}; peak RSS {})",
                            seconds(median),
                            range(&sample),
                            seconds(sample.median_cpu()),
                            mib(sample.max_rss_kib)
                        ),
                    );
                    let met = median <= Duration::from_millis(500)
                        && sample.max_rss_kib.is_some_and(|kib| kib <= DIFF_RSS_KIB);
                    self.verdict(row, DIFF_TARGET, met)
                }
                Err(error) => {
                    Row::new(title, 1, format!("fails: {error}")).target(DIFF_TARGET, None)
                }
            };
            rows.push(row);
        }
    }

    /// Times `diff a b`, first checking with `-o json` that it finds exactly the changed objects.
    /// `Err` holds what went wrong, for the table, when it does not do its job.
    fn diff(&self, a: &Path, b: &Path) -> Result<Sample, String> {
        let (stdout, stderr) = (self.work.join("diff.out"), self.work.join("diff.err"));
        let first_line = || {
            let text = fs::read_to_string(&stderr).unwrap_or_default();
            let line = text.lines().next().unwrap_or_default().to_owned();
            line.replace(&*self.work.to_string_lossy(), "…")
                .replace('|', "\\|")
        };
        let checked = measure::run(
            self.plugin().args(["diff", "-o", "json"]).arg(a).arg(b),
            Some(&stdout),
            Some(&stderr),
        );
        if checked.code != 1 {
            return Err(format!("exit {}: {}", checked.code, first_line()));
        }
        let json: serde_json::Value = serde_json::from_slice(&fs::read(&stdout).unwrap())
            .map_err(|error| format!("-o json is not JSON: {error}"))?;
        let changed = workloads::diff_changed(DIFF_OBJECTS);
        let summary = &json["summary"];
        if summary["changed"] != changed || summary["added"] != 0 || summary["removed"] != 0 {
            return Err(format!(
                "expected {changed} changed, 0 added, 0 removed; got {summary}"
            ));
        }
        let mut sample = Sample::default();
        for _ in 0..self.settings.runs {
            let run = measure::run_measuring_memory(
                self.plugin().arg("diff").arg(a).arg(b),
                Some(&stdout),
                Some(&stderr),
            );
            // As `kubectl diff`: 1 means there are differences, which there are.
            if run.code != 1 {
                return Err(format!("exit {}: {}", run.code, first_line()));
            }
            sample.push(run);
        }
        Ok(sample)
    }

    /// A floor row under pin row `label`: curl's median, and pin's over it.
    fn floor_row(&self, label: &str, wire: &str, floor: &Sample, pin: Duration) -> Row {
        let ratio = pin.as_secs_f64() / floor.median().as_secs_f64();
        Row::new(
            format!(
                "{label} floor: `curl --parallel --parallel-max {}` HEAD of the same 200 manifests, {wire}",
                peers::CURL_PARALLEL
            ),
            floor.times.len(),
            format!("{}; pin takes **{ratio:.2}×** as long", timed(floor)),
        )
    }

    /// The floor's curl straight at the registry process `addr`, no proxy: how long the registry
    /// itself takes to answer the 200 HEADs on this machine, with no round trip to wait for.
    fn registry_alone_row(
        &self,
        label: &str,
        addr: SocketAddr,
        wire: peers::Wire,
        references: &[String],
    ) -> Row {
        note("the registry alone: curl, 200 manifests, no proxy");
        let alone = peers::curl_floor(
            &addr.to_string(),
            wire,
            references,
            &self.registry.digests,
            self.settings.runs,
            self.work,
        );
        Row::new(
            format!("{label} the registry alone: the floor's curl straight at it, no proxy, 0 RTT"),
            alone.times.len(),
            timed(&alone),
        )
    }

    /// Row 1k, where `KBLD` names a kbld binary: kbld over the manifest of row 1.
    fn kbld_row(&self, rows: &mut Vec<Row>, references: &[String], pin: Duration) {
        let title = "1k. peer: `kbld -f` (Carvel), 200 images, plain HTTP";
        let Some(kbld) = &self.settings.kbld else {
            rows.push(Row::new(title, 0, "skipped: KBLD names no kbld binary"));
            return;
        };
        note("kbld, 200 images");
        let manifest = self.work.join(format!("pin-{}.yaml", references.len()));
        let expected: Vec<&str> = references
            .iter()
            .map(|r| self.registry.digests[r].as_str())
            .collect();
        let sample = peers::kbld(kbld, &manifest, &expected, self.settings.runs, self.work);
        let ratio = sample.median().as_secs_f64() / pin.as_secs_f64();
        let row = Row::new(
            title,
            sample.times.len(),
            format!(
                "{} (range {}); pin is **{ratio:.1}×** as fast",
                seconds(sample.median()),
                range(&sample)
            ),
        );
        rows.push(self.verdict(row, "pin ≥ 60× as fast", ratio >= 60.0));
    }

    /// Row 9: `pin --check -R` of a tree of 100,000 small files (10,000 in quick mode), one
    /// pinned image each.
    fn tree_row(&self) -> Row {
        let files = if self.settings.quick {
            TREE_FILES / 10
        } else {
            TREE_FILES
        };
        let root = self.work.join("tree");
        note(&format!("pin --check, a tree of {files} files"));
        workloads::pinned_tree(&root, files);
        let (stdout, stderr) = (self.work.join("tree.out"), self.work.join("tree.err"));
        let mut sample = Sample::default();
        for _ in 0..self.settings.runs {
            let run = measure::run_measuring_memory(
                self.plugin()
                    .args(["pin", "--check", "-R", "-f"])
                    .arg(&root),
                Some(&stdout),
                Some(&stderr),
            );
            check_exit(&run, &[0], "pin --check", &stderr);
            sample.push(run);
        }
        let rate = files as f64 / sample.median().as_secs_f64();
        let row = Row::new(
            format!("9. `pin --check -R`, a tree of {files} files, one pinned image each"),
            sample.times.len(),
            format!(
                "**{rate:.0} files/s** = {} (range {}; CPU {}; peak RSS {})",
                seconds(sample.median()),
                range(&sample),
                seconds(sample.median_cpu()),
                mib(sample.max_rss_kib)
            ),
        );
        self.verdict(row, "≥ 20,000 files/s", rate >= 20_000.0)
    }

    /// Row 5: `kubectl-immutable --help`.
    fn startup_row(&self) -> Row {
        note("start-up");
        let mut sample = Sample::default();
        for _ in 0..self.settings.startup_runs {
            let run = measure::run(self.plugin().arg("--help"), None, None);
            assert_eq!(run.code, 0, "kubectl-immutable --help failed");
            sample.push(run);
        }
        let median = sample.median();
        let row = Row::new(
            "5. start-up, `kubectl-immutable --help`",
            sample.times.len(),
            format!("**{}** (range {})", millis(median), range(&sample)),
        );
        self.verdict(row, "≤ 5 ms", median <= Duration::from_millis(5))
    }
}

fn check_exit(run: &measure::Run, expected: &[i32], what: &str, stderr: &Path) {
    assert!(
        expected.contains(&run.code),
        "{what} exited {}: {}",
        run.code,
        fs::read_to_string(stderr).unwrap_or_default()
    );
}

/// The 1-minute load average: other work on the machine shows in wall times, not in CPU times.
fn load_average() -> String {
    fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

fn print_report(settings: &Settings, rows: &[Row], load_before: &str) {
    let cpu = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|line| line.strip_prefix("model name"))
                .map(|model| model.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = thread::available_parallelism().map_or(0, |n| n.get());
    let date = command_line("date", &["-u", "+%Y-%m-%d %H:%M UTC"]);
    let registry = command_line("/usr/bin/docker-registry", &["--version"]);
    let skopeo = command_line("skopeo", &["--version"]);
    println!();
    println!(
        "kubectl-immutable benchmark{}, {date}",
        if settings.quick {
            " (QUICK: one run each, not a measurement)"
        } else {
            ""
        }
    );
    println!(
        "machine: {cores} CPUs (nproc), {cpu}; 1-minute load average {load_before} before, {} after",
        load_average()
    );
    println!(
        "RTT added by the proxy: {} ms; registry: {registry}; peer: {skopeo}",
        settings.rtt.as_millis()
    );
    if cfg!(debug_assertions) {
        println!("build: unoptimised (debug assertions on): these times say nothing of a release");
    }
    println!();
    println!("| measure | runs | median | target | |");
    println!("| --- | --- | --- | --- | --- |");
    for row in rows {
        println!(
            "| {} | {} | {} | {} | {} |",
            row.measure, row.runs, row.result, row.target, row.verdict
        );
    }
}

fn command_line(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
        .unwrap_or_else(|_| format!("{program}: not found"))
}

fn note(message: &str) {
    eprintln!("bench: {message}");
}

/// A pin row's result: the median, in round trips too, its range and CPU time.
fn in_round_trips(pin: &Sample, rtt: Duration) -> String {
    let median = pin.median();
    format!(
        "**{}** = {:.1} RTT (range {}; CPU {})",
        seconds(median),
        median.as_secs_f64() / rtt.as_secs_f64(),
        range(pin),
        seconds(pin.median_cpu())
    )
}

/// A peer's median, with its range and CPU time.
fn timed(sample: &Sample) -> String {
    format!(
        "{} (range {}; CPU {})",
        seconds(sample.median()),
        range(sample),
        seconds(sample.median_cpu())
    )
}

fn seconds(duration: Duration) -> String {
    format!("{:.3} s", duration.as_secs_f64())
}

fn millis(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1e3)
}

fn range(sample: &Sample) -> String {
    let unit = if sample.max() < Duration::from_millis(100) {
        millis
    } else {
        seconds
    };
    format!("{} – {}", unit(sample.min()), unit(sample.max()))
}

fn mib(kib: Option<u64>) -> String {
    match kib {
        Some(kib) => format!("{:.1} MiB", kib as f64 / 1024.0),
        None => "not measured".to_string(),
    }
}
