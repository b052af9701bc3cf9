//! `kubectl immutable apply` when a release fails in the middle: the real kube-apiserver of the
//! test control plane refuses one of its objects, or the connection to it drops or goes silent,
//! cut by a TCP proxy of the test's own (`tcp_drop`) that cuts one request's connection or stops
//! forwarding it, TLS end to end.
//!
//! Every release here has ten objects. In those sent through the proxy the sixth, `big`, carries
//! 100,000 bytes and every other request is a few kilobytes at most, so the proxy knows `big`'s
//! requests by their size: the first is its dry run, the second its real apply, after five
//! objects were applied. That is where most of these tests cut the connection.

use std::fs;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::common::assert_no_panic;
use crate::support::cluster::{TestCluster, cluster};
use crate::support::plugin::{Plugin, Run};
use crate::support::tcp_drop::{Cut, Plan, TcpDrop};

const BIG: usize = 100_000;
/// Half of `big`'s requests, ten times any other.
const LARGE: usize = BIG / 2;
const NAMES: [&str; 10] = [
    "object-1",
    "object-2",
    "object-3",
    "object-4",
    "object-5",
    "big",
    "object-7",
    "object-8",
    "object-9",
    "object-10",
];

/// A release of `NAMES` in a fresh namespace, and a kubeconfig that reaches the API server
/// through `proxy`. Keep `_dir` bound: the files live as long as it does.
struct Release {
    ns: String,
    file: String,
    /// The line each of `NAMES` starts on in `file`.
    lines: Vec<usize>,
    kubeconfig: PathBuf,
    _dir: tempfile::TempDir,
}

impl Release {
    fn new(cluster: &TestCluster, prefix: &str, proxy: &TcpDrop) -> Release {
        Release::with(cluster, prefix, proxy, config_map)
    }

    fn with(
        cluster: &TestCluster,
        prefix: &str,
        proxy: &TcpDrop,
        manifest: impl Fn(&str, &str) -> String,
    ) -> Release {
        let ns = cluster.namespace(prefix);
        let dir = tempfile::tempdir().unwrap();
        let objects: Vec<String> = NAMES.iter().map(|name| manifest(&ns, name)).collect();
        let file = dir.path().join("release.yaml");
        fs::write(&file, objects.join("---\n")).unwrap();
        // The test's admin kubeconfig with the proxy as the server: same CA, same token.
        let kubeconfig = dir.path().join("kubeconfig-through-proxy");
        let admin = fs::read_to_string(cluster.kubeconfig()).unwrap();
        assert!(admin.contains(cluster.server()), "{admin}");
        fs::write(&kubeconfig, admin.replace(cluster.server(), &proxy.url())).unwrap();
        let lines = objects
            .iter()
            .scan(1, |line, object| {
                let at = *line;
                *line += object.lines().count() + 1;
                Some(at)
            })
            .collect();
        Release {
            ns,
            file: file.display().to_string(),
            lines,
            kubeconfig,
            _dir: dir,
        }
    }

    /// `FILE:LINE: kind/name` as the plugin names the object `name` of `kind`.
    fn place(&self, kind: &str, name: &str) -> String {
        let index = NAMES.iter().position(|n| *n == name).unwrap();
        format!("{}:{}: {kind}/{name}", self.file, self.lines[index])
    }

    fn apply(&self) -> Run {
        let kubeconfig = self.kubeconfig.display().to_string();
        let run = Plugin::new(["apply", "--kubeconfig", &kubeconfig, "-f", &self.file]).run();
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        run
    }

    /// `apply` with `extra` flags, and how long it took; fails the test, rather than hanging
    /// it, when the plugin is still waiting after `WITHIN`.
    fn apply_within(&self, extra: &[&str]) -> (Run, Duration) {
        let mut args = vec![
            "apply".to_string(),
            "--kubeconfig".to_string(),
            self.kubeconfig.display().to_string(),
            "-f".to_string(),
            self.file.clone(),
        ];
        args.extend(extra.iter().map(|arg| arg.to_string()));
        let (done, run) = std::sync::mpsc::channel();
        let started = Instant::now();
        std::thread::spawn(move || done.send(Plugin::new(args).run()));
        let run = run
            .recv_timeout(WITHIN)
            .unwrap_or_else(|_| panic!("apply is still waiting after {WITHIN:?}"));
        let took = started.elapsed();
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        (run, took)
    }
}

/// Far longer than any release here takes, even after four request timeouts of 2 s: a run still
/// going then waits on a silent connection for ever.
const WITHIN: Duration = Duration::from_secs(30);

fn big_value() -> String {
    "0123456789".repeat(BIG / 10)
}

fn config_map(ns: &str, name: &str) -> String {
    let value = if name == "big" {
        big_value()
    } else {
        "1".to_string()
    };
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {ns}\ndata:\n  release: \"{value}\"\n"
    )
}

fn proxy(plan: Plan) -> TcpDrop {
    let upstream: SocketAddr = cluster()
        .server()
        .strip_prefix("https://")
        .and_then(|address| address.parse().ok())
        .expect("the API server at https://IP:PORT");
    TcpDrop::start(upstream, plan)
}

/// Which of `names` kubectl finds in `ns`, as `kind`.
fn found(cluster: &TestCluster, ns: &str, kind: &str, names: &[&str]) -> Vec<String> {
    names
        .iter()
        .filter(|name| {
            cluster
                .kubectl(&["get", kind, name, "-n", ns])
                .status
                .success()
        })
        .map(|name| name.to_string())
        .collect()
}

fn applied_lines(names: &[&str]) -> String {
    names
        .iter()
        .map(|name| format!("configmap/{name} serverside-applied\n"))
        .collect()
}

/// The release completes through a cut at `big`'s real apply, and kubectl finds every object
/// as written.
fn completes_despite(cut: Cut, prefix: &str) {
    let cluster = cluster();
    let proxy = proxy(Plan {
        large: LARGE,
        nth: 2,
        cut,
        repeat: false,
        then_down: false,
    });
    let release = Release::new(cluster, prefix, &proxy);

    let run = release.apply().expect_code(0);
    assert_eq!(run.stdout, applied_lines(&NAMES));
    assert_eq!(run.stderr, "");

    assert!(proxy.cut_at().is_some(), "the proxy never cut a connection");
    assert!(
        proxy.large_requests() >= 3,
        "big was sent {} times: its dry run, the cut apply, and no retry",
        proxy.large_requests()
    );
    assert_eq!(found(cluster, &release.ns, "configmap", &NAMES), NAMES);
    let big = cluster.kubectl_json(&["get", "configmap", "big", "-n", &release.ns]);
    assert!(big["data"]["release"] == big_value(), "big is stored whole");
}

#[test]
fn a_connection_reset_in_the_middle_of_an_apply_is_retried_and_the_release_completes() {
    // The server never had the request whole, so only the retry can have stored `big`.
    completes_despite(Cut::MidRequest, "cut-request");
}

#[test]
fn a_connection_closed_before_the_answer_is_retried_as_apply_is_idempotent() {
    // The server applied `big`, and the client sees the connection closed with no answer:
    // sending the same server-side apply again stores the same object.
    completes_despite(Cut::BeforeAnswer, "cut-answer");
}

#[test]
fn a_connection_closed_in_the_middle_of_the_answer_is_retried() {
    completes_despite(Cut::MidAnswer, "cut-mid-answer");
}

#[test]
fn an_api_server_gone_for_good_is_given_up_after_four_tries_naming_what_was_applied() {
    let cluster = cluster();
    let proxy = proxy(Plan {
        large: LARGE,
        nth: 2,
        cut: Cut::MidRequest,
        repeat: false,
        then_down: true,
    });
    let release = Release::new(cluster, "cut-down", &proxy);

    let run = release.apply();
    let ended = Instant::now();
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.stdout, applied_lines(&NAMES[..5]));
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{}", run.stderr);
    assert_gave_up_on_big(lines[0], &release);
    assert_eq!(
        lines[1],
        "error: not sent, as the cluster could not be reached: configmap/object-7, configmap/object-8, configmap/object-9, configmap/object-10"
    );

    // Three retries, each on a new connection the gone server resets, after 250 ms, 500 ms
    // and 1 s of backoff, each plus up to half again.
    assert!(
        proxy.refused() >= 3,
        "{} connections refused",
        proxy.refused()
    );
    let gave_up_after = ended - proxy.cut_at().expect("the proxy cut a connection");
    assert!(
        gave_up_after >= Duration::from_millis(1750) && gave_up_after < Duration::from_secs(15),
        "gave up {gave_up_after:?} after the cut"
    );
    assert_eq!(
        found(cluster, &release.ns, "configmap", &NAMES),
        NAMES[..5],
        "kubectl finds what the plugin says it applied, and nothing else"
    );
}

#[test]
fn an_api_server_gone_during_the_dry_runs_stops_the_release_before_anything_is_applied() {
    let cluster = cluster();
    let proxy = proxy(Plan {
        large: LARGE,
        nth: 1,
        cut: Cut::MidRequest,
        repeat: false,
        then_down: true,
    });
    let release = Release::new(cluster, "cut-dry-run", &proxy);

    let run = release.apply();
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.stdout, "");
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{}", run.stderr);
    assert_gave_up_on_big(lines[0], &release);
    assert_eq!(lines[1], "error: nothing else was applied");
    assert!(
        proxy.refused() >= 3,
        "{} connections refused",
        proxy.refused()
    );
    assert!(found(cluster, &release.ns, "configmap", &NAMES).is_empty());
}

/// `line` names `big`, the cause, and the four tries.
fn assert_gave_up_on_big(line: &str, release: &Release) {
    let prefix = format!(
        "error: {}: cannot reach the cluster: ",
        release.place("configmap", "big")
    );
    assert!(
        line.starts_with(&prefix) && line.ends_with(" (gave up after 4 tries)"),
        "{line}"
    );
}

#[test]
fn a_refusal_by_the_server_is_an_answer_and_not_retried() {
    // A quota of one Service: `big`, the second Service, passes its dry run (a dry run takes no
    // quota) and is refused with 403 when it is really created.
    let cluster = cluster();
    let proxy = proxy(Plan {
        large: LARGE,
        nth: 0,
        cut: Cut::MidRequest,
        repeat: false,
        then_down: false,
    });
    let release = Release::with(cluster, "refused", &proxy, |ns, name| match name {
        "object-3" | "big" => {
            let note = if name == "big" {
                big_value()
            } else {
                String::new()
            };
            format!(
                "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: {ns}\n  annotations:\n    note: \"{note}\"\nspec:\n  ports:\n  - port: 80\n    protocol: TCP\n"
            )
        }
        _ => config_map(ns, name),
    });
    cluster.kubectl_ok(&[
        "create",
        "quota",
        "one-service",
        "-n",
        &release.ns,
        "--hard=services=1",
    ]);
    cluster.wait_for("the quota's status", Duration::from_secs(30), || {
        let quota = cluster.kubectl_json(&["get", "quota", "one-service", "-n", &release.ns]);
        quota["status"]["hard"]["services"].as_str().map(|_| ())
    });

    let run = release.apply();
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.starts_with(&format!(
            "error: {}: services \"big\" is forbidden: exceeded quota: one-service",
            release.place("service", "big")
        )),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert_eq!(run.stdout.lines().count(), 9, "{}", run.stdout);
    assert_eq!(
        proxy.large_requests(),
        2,
        "big is sent once as a dry run and once for real, never again"
    );
    assert_eq!(proxy.cut_at(), None);
}

#[test]
fn a_release_refused_at_its_seventh_object_says_what_was_applied_and_what_was_not() {
    // A ResourceQuota of one Service: each Service passes its dry run alone (a dry run uses
    // no quota), and the second one is refused when it is really created, after six objects
    // were applied. Nothing outside the server decides it.
    let cluster = cluster();
    let ns = cluster.namespace("quota");
    cluster.kubectl_ok(&[
        "create",
        "quota",
        "one-service",
        "-n",
        &ns,
        "--hard=services=1",
    ]);
    cluster.wait_for("the quota's status", Duration::from_secs(30), || {
        let quota = cluster.kubectl_json(&["get", "quota", "one-service", "-n", &ns]);
        quota["status"]["hard"]["services"].as_str().map(|_| ())
    });
    let service = |name: &str| {
        format!(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  ports:\n  - port: 80\n    protocol: TCP\n"
        )
    };
    let config_map = |name: &str| {
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {ns}\ndata:\n  release: \"1\"\n"
        )
    };
    let names = [
        "config-1",
        "config-2",
        "web",
        "config-4",
        "config-5",
        "config-6",
        "api",
        "config-8",
        "config-9",
        "config-10",
    ];
    let objects: Vec<String> = names
        .iter()
        .map(|name| match *name {
            "web" | "api" => service(name),
            _ => config_map(name),
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("release.yaml");
    fs::write(&file, objects.join("---\n")).unwrap();
    let file = file.display().to_string();
    let kubeconfig = cluster.kubeconfig().display().to_string();

    let run = Plugin::new(["apply", "--kubeconfig", &kubeconfig, "-f", &file]).run();
    assert_no_panic(&run);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let kind = |name: &str| match name {
        "web" | "api" => "service",
        _ => "configmap",
    };
    // Named at the line its document starts on.
    let api = names.iter().position(|name| *name == "api").unwrap();
    let line = 1 + objects[..api]
        .iter()
        .map(|object| object.lines().count() + 1)
        .sum::<usize>();
    assert_eq!(
        run.stderr,
        format!(
            "error: {file}:{line}: service/api: services \"api\" is forbidden: exceeded quota: one-service, requested: services=1, used: services=1, limited: services=1\n"
        )
    );
    let applied: String = names
        .iter()
        .filter(|name| **name != "api")
        .map(|name| format!("{}/{name} serverside-applied\n", kind(name)))
        .collect();
    assert_eq!(run.stdout, applied);
    for name in names {
        let found = cluster
            .kubectl(&["get", kind(name), name, "-n", &ns])
            .status
            .success();
        assert_eq!(found, name != "api", "{name}");
    }
}

/// Four tries of 2 s each, and the backoff between them (1.75 s to 2.625 s): the longest the
/// plugin waits on a server gone silent, but for start-up and the requests before it.
const GIVE_UP: Duration = Duration::from_millis(4 * 2000 + 2625);

#[test]
fn a_connection_gone_silent_in_the_middle_of_an_apply_times_out_is_retried_and_the_release_completes()
 {
    // `big` reaches the server whole and is applied; its answer never comes, and the
    // connection is never closed. After 2 s without a byte the request is given up and sent
    // again on a new connection: server-side apply stores the same object.
    let cluster = cluster();
    let proxy = proxy(Plan {
        large: LARGE,
        nth: 2,
        cut: Cut::Silent,
        repeat: false,
        then_down: false,
    });
    let release = Release::new(cluster, "silent-once", &proxy);

    let (run, took) = release.apply_within(&["--request-timeout", "2s"]);
    let run = run.expect_code(0);
    assert_eq!(run.stdout, applied_lines(&NAMES));
    assert_eq!(run.stderr, "");

    assert_eq!(proxy.silenced(), 1, "the proxy withheld big's answer once");
    assert!(
        proxy.large_requests() >= 3,
        "big was sent {} times: its dry run, the silenced apply, and no retry",
        proxy.large_requests()
    );
    // The silence was waited out (2 s, then at least 250 ms of backoff), not cut short.
    assert!(
        took >= Duration::from_millis(2250) && took < GIVE_UP + Duration::from_secs(5),
        "took {took:?}"
    );
    assert_eq!(found(cluster, &release.ns, "configmap", &NAMES), NAMES);
    let big = cluster.kubectl_json(&["get", "configmap", "big", "-n", &release.ns]);
    assert!(big["data"]["release"] == big_value(), "big is stored whole");
}

#[test]
fn an_api_server_that_never_answers_is_given_up_after_four_request_timeouts_during_the_dry_runs() {
    // Connections are accepted and requests reach the server, but no answer to one of `big`'s
    // ever comes back: a hung load balancer. Every try of its dry run waits out the timeout.
    let cluster = cluster();
    let proxy = proxy(Plan {
        large: LARGE,
        nth: 1,
        cut: Cut::Silent,
        repeat: true,
        then_down: false,
    });
    let release = Release::new(cluster, "silent-dry-run", &proxy);

    let (run, _) = release.apply_within(&["--request-timeout", "2s"]);
    let ended = Instant::now();
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.stdout, "");
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(
        lines,
        [
            format!(
                "error: {}: cannot reach the cluster: the server did not answer within 2s (--request-timeout) (gave up after 4 tries)",
                release.place("configmap", "big")
            )
            .as_str(),
            "error: nothing else was applied",
        ],
    );
    assert_eq!(proxy.silenced(), 4, "four tries, each silenced");
    // Each timeout counts from the end of the request, just before the proxy went silent.
    let gave_up_after = ended - proxy.cut_at().expect("the proxy went silent");
    assert!(
        gave_up_after >= Duration::from_millis(4 * 2000 + 1750 - 500)
            && gave_up_after < GIVE_UP + Duration::from_secs(5),
        "gave up {gave_up_after:?} after the first silence"
    );
    assert!(found(cluster, &release.ns, "configmap", &NAMES).is_empty());
}

#[test]
fn an_api_server_gone_silent_for_good_is_given_up_within_the_request_timeouts() {
    // At `big`'s real apply the server goes silent for good: open connections forward nothing
    // more and stay open, new ones are accepted and never answered, not even their TLS
    // handshake.
    let cluster = cluster();
    let proxy = proxy(Plan {
        large: LARGE,
        nth: 2,
        cut: Cut::Silent,
        repeat: false,
        then_down: true,
    });
    let release = Release::new(cluster, "silent-down", &proxy);

    let (run, _) = release.apply_within(&["--request-timeout", "2s"]);
    let ended = Instant::now();
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.stdout, applied_lines(&NAMES[..5]));
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{}", run.stderr);
    // The last try finds no connection to take over: connecting is given up after 2 s too.
    assert_eq!(
        lines[0],
        format!(
            "error: {}: cannot reach the cluster: the server did not complete a connection within 2s (--request-timeout) (gave up after 4 tries)",
            release.place("configmap", "big")
        )
    );
    assert_eq!(
        lines[1],
        "error: not sent, as the cluster could not be reached: configmap/object-7, configmap/object-8, configmap/object-9, configmap/object-10"
    );
    assert_eq!(proxy.silenced(), 1);
    assert!(
        proxy.held() >= 3,
        "{} connections held silent",
        proxy.held()
    );
    let gave_up_after = ended - proxy.cut_at().expect("the proxy went silent");
    assert!(
        gave_up_after >= Duration::from_millis(4 * 2000 + 1750 - 500)
            && gave_up_after < GIVE_UP + Duration::from_secs(5),
        "gave up {gave_up_after:?} after the silence"
    );
    // `big` reached the server whole before the silence, so it is stored, though the plugin
    // never heard so and says it could not reach the cluster; what came after was never sent.
    assert_eq!(found(cluster, &release.ns, "configmap", &NAMES), NAMES[..6]);
}
