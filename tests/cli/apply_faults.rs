//! `kubectl immutable apply` when the connection to the API server drops in the middle of a
//! release: the real kube-apiserver of the test control plane, reached through a TCP proxy of
//! the test's own (`tcp_drop`) that cuts one request's connection, TLS end to end.
//!
//! Every release here has ten objects; the sixth, `big`, carries 100,000 bytes and every
//! other request is a few kilobytes at most, so the proxy knows `big`'s requests by their size:
//! the first is its dry run, the second its real apply, after five objects were applied. That
//! is where most of these tests cut the connection.

use std::fs;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

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
        Release {
            ns,
            file: file.display().to_string(),
            kubeconfig,
            _dir: dir,
        }
    }

    fn apply(&self) -> Run {
        let kubeconfig = self.kubeconfig.display().to_string();
        let run = Plugin::new(["apply", "--kubeconfig", &kubeconfig, "-f", &self.file]).run();
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        run
    }
}

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
        "error: {}: configmap/big: cannot reach the cluster: ",
        release.file
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
            "error: {}: service/big: services \"big\" is forbidden: exceeded quota: one-service",
            release.file
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
