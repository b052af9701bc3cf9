//! `-v`: what the plugin says on the wire, through the built binary against the real registry,
//! the fault proxy and the real API server. Logs go to stderr in klog's format; credentials
//! never show; the default output is what it was.

use std::fs;
use std::path::Path;

use crate::support::cluster::{TestCluster, cluster};
use crate::support::faults::{Fault, FaultProxy, TOKEN, base64};
use crate::support::plugin::{Plugin, Run};
use crate::support::registry::{Kind, Platform, TestRegistry};
use crate::support::tcp_drop::{Cut, Plan, TcpDrop};

fn pod(image: &str) -> String {
    format!("kind: Pod\nspec:\n  containers:\n  - image: {image}\n")
}

/// One klog line: `I1202 06:12:01.123456 registry] text`.
#[derive(Debug)]
struct Line {
    severity: char,
    source: String,
    text: String,
}

/// The lines of `stderr` in klog's format; any other line (the plugin's usual output) is left
/// out.
fn klog(stderr: &str) -> Vec<Line> {
    stderr.lines().filter_map(parse_klog).collect()
}

fn parse_klog(line: &str) -> Option<Line> {
    let severity = line.chars().next().filter(|c| "IWE".contains(*c))?;
    let (date, rest) = line[1..].split_once(' ')?;
    let (time, rest) = rest.split_once(' ')?;
    let (source, text) = rest.split_once("] ")?;
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    let shape = date.len() == 4
        && digits(date)
        && time.len() == 15
        && time.char_indices().all(|(i, c)| {
            if [2, 5].contains(&i) {
                c == ':'
            } else if i == 8 {
                c == '.'
            } else {
                c.is_ascii_digit()
            }
        })
        && !source.is_empty()
        && !source.contains(' ');
    shape.then(|| Line {
        severity,
        source: source.to_string(),
        text: text.to_string(),
    })
}

/// `(method, url, status)` of each line `METHOD URL STATUS REASON in N milliseconds` from
/// `source`.
fn answered(lines: &[Line], source: &str) -> Vec<(String, String, u16)> {
    lines
        .iter()
        .filter(|line| line.source == source)
        .filter_map(|line| {
            let (request, time) = line.text.rsplit_once(" in ")?;
            let (ms, unit) = time.split_once(' ')?;
            ms.parse::<u64>().ok()?;
            if !unit.starts_with("millisecond") {
                return None;
            }
            let mut words = request.split(' ');
            let (method, url, status) = (words.next()?, words.next()?, words.next()?);
            Some((method.to_string(), url.to_string(), status.parse().ok()?))
        })
        .collect()
}

fn has(lines: &[Line], source: &str, text: &str) -> bool {
    lines
        .iter()
        .any(|line| line.source == source && line.text.contains(text))
}

fn show(run: &Run) -> String {
    format!("--- stdout\n{}\n--- stderr\n{}", run.stdout, run.stderr)
}

#[test]
fn v6_shows_each_registry_request_with_its_status_and_time_however_it_is_spelled() {
    let registry = TestRegistry::start(Kind::Http);
    let host = registry.host();
    let digest = registry.push_image("app/web", "v1", Platform::LINUX_AMD64);
    let input = pod(&format!("{host}/app/web:v1"));
    let pinned = pod(&format!("{host}/app/web:v1@{digest}"));
    for spelling in [&["-v=6"][..], &["--v=6"], &["-v", "6"], &["--v", "6"]] {
        let mut args = vec!["pin", "-f", "-", "--insecure-registry", &host];
        args.extend_from_slice(spelling);
        let run = Plugin::new(args).stdin(&input).run().expect_code(0);
        assert_eq!(run.stdout, pinned, "{spelling:?}: logs never go to stdout");
        let lines = klog(&run.stderr);
        let requests = answered(&lines, "registry");
        let base = format!("http://{host}");
        assert!(
            !requests.iter().any(|(_, url, _)| url.ends_with("/v2/")),
            "{spelling:?}: no /v2/ ping: the manifest request is the first\n{}",
            show(&run)
        );
        assert!(
            requests.contains(&(
                "HEAD".into(),
                format!("{base}/v2/app/web/manifests/v1"),
                200
            )),
            "{spelling:?}: the manifest HEAD\n{}",
            show(&run)
        );
        // The TLS probe of an insecure host, and what came of it.
        assert!(
            has(
                &lines,
                "registry",
                &format!(
                    "{host}: plain HTTP (--insecure-registry), as the TLS probe failed: it does not speak TLS"
                )
            ),
            "{}",
            show(&run)
        );
        assert!(has(
            &lines,
            "registry",
            &format!("{host}: no credentials stored, asking anonymously")
        ));
        assert!(
            lines.iter().all(|line| line.severity == 'I'),
            "{}",
            show(&run)
        );
    }
}

#[test]
fn v8_adds_request_and_answer_headers_and_v6_has_none() {
    let registry = TestRegistry::start(Kind::Http);
    let host = registry.host();
    let digest = registry.push_image("app/web", "v1", Platform::LINUX_AMD64);
    let run_at = |level: &str| {
        Plugin::new(["pin", "-f", "-", "--insecure-registry", &host, "-v", level])
            .stdin(&pod(&format!("{host}/app/web:v1")))
            .run()
            .expect_code(0)
    };
    let six = run_at("6");
    assert!(!six.stderr.contains("Headers:"), "{}", show(&six));
    let eight = run_at("8");
    let lines = klog(&eight.stderr);
    let manifest = format!("HEAD http://{host}/v2/app/web/manifests/v1");
    assert!(
        has(&lines, "registry", &format!("{manifest} Request Headers:")),
        "{}",
        show(&eight)
    );
    assert!(
        has(&lines, "registry", &format!("{manifest} Response Headers:")),
        "{}",
        show(&eight)
    );
    assert!(
        has(
            &lines,
            "registry",
            &format!("    Docker-Content-Digest: {digest}")
        ),
        "{}",
        show(&eight)
    );
    assert!(has(
        &lines,
        "registry",
        "    Accept: application/vnd.docker.distribution.manifest.v2+json"
    ));
    // Every stderr line but the summary is a klog line.
    let other: Vec<&str> = eight
        .stderr
        .lines()
        .filter(|line| parse_klog(line).is_none())
        .collect();
    assert_eq!(other.len(), 1, "{other:?}");
    assert!(other[0].starts_with("pinned 1 image"), "{other:?}");
}

/// A `docker-credential-test` helper in `dir` answering `user` and `password` for any host,
/// and a config.json naming it for `hosts`.
fn credential_helper(dir: &Path, hosts: &[&str], user: &str, password: &str) {
    use std::os::unix::fs::PermissionsExt;
    let helper = dir.join("docker-credential-test");
    fs::write(
        &helper,
        format!(
            "#!/bin/sh\nread server\nprintf '{{\"ServerURL\":\"%s\",\"Username\":\"{user}\",\"Secret\":\"{password}\"}}' \"$server\"\n"
        ),
    )
    .unwrap();
    fs::set_permissions(&helper, fs::Permissions::from_mode(0o755)).unwrap();
    let helpers: Vec<String> = hosts
        .iter()
        .map(|host| format!(r#""{host}":"test""#))
        .collect();
    fs::write(
        dir.join("config.json"),
        format!(r#"{{"credHelpers":{{{}}}}}"#, helpers.join(",")),
    )
    .unwrap();
}

#[test]
fn v9_never_shows_a_password_a_basic_value_or_a_bearer_token() {
    // Basic auth on the real registry, and a token service (the fault proxy's) that hands out
    // a bearer token for the same Basic credentials; both found through a credential helper.
    let basic = TestRegistry::start(Kind::BasicAuth);
    let (user, password) = basic.credentials().unwrap();
    let basic_digest = basic.push_image("private/app", "v1", Platform::LINUX_AMD64);
    let open = TestRegistry::start(Kind::Http);
    let token_digest = open.push_image("app/web", "v1", Platform::LINUX_AMD64);
    let tokens = FaultProxy::start(&open.host());
    tokens.require_token(Some((user, password)));
    let (basic_host, token_host) = (basic.host(), tokens.host());
    let config = tempfile::tempdir().unwrap();
    credential_helper(config.path(), &[&basic_host, &token_host], user, password);
    let path = format!(
        "{}:{}",
        config.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let input = format!(
        "{}---\n{}",
        pod(&format!("{basic_host}/private/app:v1")),
        pod(&format!("{token_host}/app/web:v1"))
    );
    let secrets = [
        password.to_string(),
        base64(format!("{user}:{password}").as_bytes()),
        TOKEN.to_string(),
    ];
    let pin = |extra: &[&str]| {
        let mut args = vec![
            "pin",
            "-f",
            "-",
            "--insecure-registry",
            &basic_host,
            "--insecure-registry",
            &token_host,
        ];
        args.extend_from_slice(extra);
        Plugin::new(args)
            .env("DOCKER_CONFIG", config.path())
            .env("PATH", &path)
            .stdin(&input)
    };
    let nine = pin(&["-v=9"]).run().expect_code(0);
    // Every event of every library that RUST_LOG can reach goes through the same redaction.
    let everything = pin(&[]).env("RUST_LOG", "trace").run().expect_code(0);
    let expected = format!(
        "{}---\n{}",
        pod(&format!("{basic_host}/private/app:v1@{basic_digest}")),
        pod(&format!("{token_host}/app/web:v1@{token_digest}"))
    );
    for run in [&nine, &everything] {
        assert_eq!(run.stdout, expected);
        for secret in &secrets {
            assert!(
                !run.stdout.contains(secret.as_str()) && !run.stderr.contains(secret.as_str()),
                "{secret} shows\n{}",
                show(run)
            );
        }
    }
    // The credentials were sent, and their headers shown, redacted.
    let lines = klog(&nine.stderr);
    assert!(
        has(&lines, "registry", "    Authorization: Basic <redacted>"),
        "{}",
        show(&nine)
    );
    assert!(
        has(&lines, "registry", "    Authorization: Bearer <redacted>"),
        "{}",
        show(&nine)
    );
    // The token round trip: the challenge to the manifest request without credentials, then
    // the token service, then the manifest with the token. No /v2/ ping.
    let requests = answered(&lines, "registry");
    let token_base = format!("http://{token_host}");
    let manifest = format!("{token_base}/v2/app/web/manifests/v1");
    assert!(
        requests.iter().any(|(method, url, status)| method == "GET"
            && url.starts_with(&format!("{token_base}/token?"))
            && url.contains("scope=repository%3Aapp%2Fweb%3Apull")
            && *status == 200),
        "{requests:?}"
    );
    assert!(
        requests.contains(&("HEAD".into(), manifest.clone(), 401))
            && requests.contains(&("HEAD".into(), manifest, 200)),
        "{requests:?}"
    );
    assert!(
        !requests.iter().any(|(_, url, _)| url.ends_with("/v2/")),
        "{requests:?}"
    );
    assert!(has(
        &lines,
        "registry",
        &format!("{basic_host}: a username and password from the docker or podman configuration")
    ));
}

#[test]
fn v6_shows_a_retry_and_its_reason_after_a_429_with_retry_after_and_a_dropped_connection() {
    let registry = TestRegistry::start(Kind::Http);
    let digest = registry.push_image("app/web", "v1", Platform::LINUX_AMD64);
    let proxy = FaultProxy::start(&registry.host());
    let host = proxy.host();
    proxy.script(
        Some("HEAD"),
        "/manifests/",
        [Fault::too_many_requests(1), Fault::Reset],
    );
    let run = Plugin::new(["pin", "-v=6", "--insecure-registry", &host, "-f", "-"])
        .stdin(&pod(&format!("{host}/app/web:v1")))
        .run()
        .expect_code(0);
    assert_eq!(run.stdout, pod(&format!("{host}/app/web:v1@{digest}")));
    let lines = klog(&run.stderr);
    let manifest = format!("http://{host}/v2/app/web/manifests/v1");
    let heads: Vec<u16> = answered(&lines, "registry")
        .into_iter()
        .filter(|(method, url, _)| method == "HEAD" && *url == manifest)
        .map(|(_, _, status)| status)
        .collect();
    assert_eq!(heads, [429, 200], "{}", show(&run));
    let retries: Vec<&Line> = lines
        .iter()
        .filter(|line| line.text.starts_with("retrying in "))
        .collect();
    assert_eq!(retries.len(), 2, "{}", show(&run));
    assert_eq!(retries[0].severity, 'W');
    assert!(
        retries[0].text.starts_with(&format!(
            "retrying in 1s, as its Retry-After asks (try 2 of 4): {host} answered 429 Too Many Requests with Retry-After 1s"
        )),
        "{}",
        show(&run)
    );
    assert!(
        retries[1].text.contains("(try 3 of 4): cannot reach ")
            && !retries[1].text.contains("Retry-After"),
        "{}",
        show(&run)
    );
    // The dropped connection's own line: no answer, and why.
    assert!(
        lines.iter().any(|line| line
            .text
            .starts_with(&format!("HEAD {manifest} failed after "))),
        "{}",
        show(&run)
    );
}

#[test]
fn the_default_and_quiet_outputs_are_what_they_were() {
    let registry = TestRegistry::start(Kind::Http);
    let host = registry.host();
    let digest = registry.push_image("app/web", "v1", Platform::LINUX_AMD64);
    let input = pod(&format!("{host}/app/web:v1"));
    let run = |extra: &[&str]| {
        let mut args = vec!["pin", "-f", "-", "--insecure-registry", &host];
        args.extend_from_slice(extra);
        Plugin::new(args).stdin(&input).run().expect_code(0)
    };
    let default = run(&[]);
    assert_eq!(default.stdout, pod(&format!("{host}/app/web:v1@{digest}")));
    // The summary line, byte for byte as before -v existed.
    assert_eq!(
        default.stderr,
        format!("pinned 1 image (1 distinct) in 1 file; 0 already pinned; from {host} 1\n")
    );
    let zero = run(&["-v=0"]);
    assert_eq!(
        (&zero.stdout, &zero.stderr),
        (&default.stdout, &default.stderr)
    );
    // -v only adds lines: without them, stderr is the default's.
    let six = run(&["-v=6"]);
    assert_eq!(six.stdout, default.stdout);
    let rest: String = six
        .stderr
        .lines()
        .filter(|line| parse_klog(line).is_none())
        .map(|line| format!("{line}\n"))
        .collect();
    assert_eq!(rest, default.stderr);
    assert!(klog(&six.stderr).len() >= 3, "{}", show(&six));
    // -q silences everything but errors, -v included.
    let quiet = run(&["-q", "-v=8"]);
    assert_eq!(
        (quiet.stdout.as_str(), quiet.stderr.as_str()),
        (default.stdout.as_str(), "")
    );
}

fn apply(cluster: &TestCluster, args: &[&str]) -> Plugin {
    let kubeconfig = cluster.kubeconfig().display().to_string();
    let mut all = vec!["apply".to_string(), "--kubeconfig".to_string(), kubeconfig];
    all.extend(args.iter().map(|a| a.to_string()));
    Plugin::new(all)
}

#[test]
fn v6_shows_each_api_request_and_the_servers_409() {
    let cluster = cluster();
    let ns = cluster.namespace("verbose");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("settings.yaml");
    fs::write(
        &file,
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: {ns}\ndata:\n  mode: a\n"
        ),
    )
    .unwrap();
    let file = file.display().to_string();
    let applied = apply(cluster, &["-f", &file, "-v=6"]).run().expect_code(0);
    let lines = klog(&applied.stderr);
    let requests = answered(&lines, "cluster");
    let server = cluster.server().trim_end_matches('/');
    assert!(
        requests.contains(&("GET".into(), format!("{server}/api"), 200)),
        "discovery\n{requests:?}\n{}",
        show(&applied)
    );
    let patches: Vec<&(String, String, u16)> = requests
        .iter()
        .filter(|(method, url, _)| {
            method == "PATCH"
                && url.starts_with(&format!(
                    "{server}/api/v1/namespaces/{ns}/configmaps/settings?"
                ))
        })
        .collect();
    assert_eq!(
        patches.len(),
        2,
        "a dry run, then the apply\n{}",
        show(&applied)
    );
    assert!(patches[0].1.contains("dryRun=All") && !patches[1].1.contains("dryRun"));
    assert!(
        patches
            .iter()
            .all(|(_, _, status)| *status == 200 || *status == 201)
    );

    // Another field manager takes the field; the server's 409 shows, and why.
    cluster.kubectl_ok(&[
        "patch",
        "configmap",
        "settings",
        "-n",
        &ns,
        "--field-manager=someone-else",
        "-p",
        r#"{"data":{"mode":"b"}}"#,
    ]);
    fs::write(
        &file,
        fs::read_to_string(&file)
            .unwrap()
            .replace("mode: a", "mode: c"),
    )
    .unwrap();
    let refused = apply(cluster, &["-f", &file, "-v=6"]).run().expect_code(2);
    let lines = klog(&refused.stderr);
    assert!(
        answered(&lines, "cluster")
            .iter()
            .any(|(method, url, status)| method == "PATCH"
                && url.contains("dryRun=All")
                && *status == 409),
        "{}",
        show(&refused)
    );
    assert!(
        has(
            &lines,
            "cluster",
            "the server answered 409 Conflict: Apply failed with 1 conflict"
        ),
        "{}",
        show(&refused)
    );
}

#[test]
fn v6_shows_an_api_request_whose_connection_dropped_and_its_retry() {
    let cluster = cluster();
    let ns = cluster.namespace("verbose-drop");
    // One large object, so that the TCP proxy knows its requests by their size: the first is
    // its dry run, the second its real apply, whose connection closes before the answer.
    let big = "0123456789".repeat(10_000);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.yaml");
    fs::write(
        &file,
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\n  namespace: {ns}\ndata:\n  release: \"{big}\"\n"
        ),
    )
    .unwrap();
    let upstream = cluster
        .server()
        .strip_prefix("https://")
        .and_then(|address| address.parse().ok())
        .expect("the API server at https://IP:PORT");
    let proxy = TcpDrop::start(
        upstream,
        Plan {
            large: 50_000,
            nth: 2,
            cut: Cut::BeforeAnswer,
            repeat: false,
            then_down: false,
        },
    );
    let kubeconfig = dir.path().join("kubeconfig-through-proxy");
    let admin = fs::read_to_string(cluster.kubeconfig()).unwrap();
    fs::write(&kubeconfig, admin.replace(cluster.server(), &proxy.url())).unwrap();
    let run = Plugin::new([
        "apply",
        "--kubeconfig",
        &kubeconfig.display().to_string(),
        "-f",
        &file.display().to_string(),
        "-v=6",
    ])
    .run()
    .expect_code(0);
    let lines = klog(&run.stderr);
    let object = format!(
        "PATCH {}/api/v1/namespaces/{ns}/configmaps/big?&fieldManager=kubectl-immutable",
        proxy.url().trim_end_matches('/')
    );
    let dropped = lines
        .iter()
        .position(|line| line.text.starts_with(&format!("{object} failed after ")))
        .unwrap_or_else(|| panic!("the dropped apply\n{}", show(&run)));
    let retry = &lines[dropped + 1];
    assert_eq!((retry.severity, retry.source.as_str()), ('W', "cluster"));
    assert!(
        retry.text.starts_with("retrying in ") && retry.text.contains("(try 2 of 4): "),
        "{}",
        show(&run)
    );
    assert!(
        lines[dropped + 2..]
            .iter()
            .any(|line| line.text.starts_with(&format!("{object} 200 OK in "))),
        "the apply sent again and answered\n{}",
        show(&run)
    );
}
