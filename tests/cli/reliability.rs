//! Reliability (issue 7), through the built binary against real parts: registry faults injected
//! by a proxy in front of the real registry, broken and hostile input, credentials that must never
//! show, and a release refused half-way by the real control plane.

use std::fs;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::cluster::cluster;
use crate::support::faults::{Fault, FaultProxy, TOKEN, base64};
use crate::support::plugin::{Plugin, Run};
use crate::support::registry::{Kind, Platform, TestRegistry};

/// What a retry may take beyond its backoff: the failed request and the next one,
/// on a machine busy with the other tests.
const SLACK: Duration = Duration::from_millis(500);

fn pod(image: &str) -> String {
    format!("kind: Pod\nspec:\n  containers:\n  - image: {image}\n")
}

/// `pin` with plain HTTP allowed for `proxy`.
fn pin_through(proxy: &FaultProxy, extra: &[&str]) -> Plugin {
    let mut args = vec![
        "pin".to_string(),
        "--insecure-registry".to_string(),
        proxy.host(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    Plugin::new(args)
}

/// When the proxy saw each manifest HEAD for `repository`.
fn heads(proxy: &FaultProxy, repository: &str) -> Vec<Duration> {
    proxy
        .requests(Some("HEAD"), &format!("/v2/{repository}/manifests/"))
        .iter()
        .map(|seen| seen.at)
        .collect()
}

/// Each gap between tries is the client's backoff (250 ms, 500 ms, 1 s, …) plus up to half of
/// it again as jitter, plus [`SLACK`]. Returns the jitter the gaps show in all.
fn assert_backoff(tries: &[Duration]) -> Duration {
    let mut jitter = Duration::ZERO;
    for (i, pair) in tries.windows(2).enumerate() {
        let base = Duration::from_millis(250) * 2u32.pow(i as u32);
        let gap = pair[1] - pair[0];
        assert!(
            gap >= base && gap <= base * 3 / 2 + SLACK,
            "try {} came {gap:?} after the one before; the backoff is {base:?} plus up to half of it",
            i + 2
        );
        jitter += gap - base;
    }
    jitter
}

fn assert_no_panic(run: &Run) {
    assert_ne!(run.code, 101, "a panic: {}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

/// Every file under `dir` with its bytes and modification time.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>, std::time::SystemTime)> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let metadata = fs::symlink_metadata(&path).unwrap();
            if metadata.is_dir() {
                pending.push(path);
            } else if metadata.is_file() {
                files.push((
                    path.clone(),
                    fs::read(&path).unwrap(),
                    metadata.modified().unwrap(),
                ));
            }
        }
    }
    files.sort();
    files
}

/// The registry with `app/web:v1` pushed, behind a fault proxy; keep the registry bound.
fn web_behind_proxy() -> (TestRegistry, String, FaultProxy) {
    let registry = TestRegistry::start(Kind::Http);
    let digest = registry.push_image("app/web", "v1", Platform::LINUX_AMD64);
    let proxy = FaultProxy::start(&registry.host());
    (registry, digest, proxy)
}

#[test]
fn server_errors_are_retried_with_jittered_backoff_then_succeed() {
    let registry = TestRegistry::start(Kind::Http);
    let repositories = ["app/a", "app/b", "app/c", "app/d"];
    let refs: Vec<(&str, &str)> = repositories.iter().map(|r| (*r, "v1")).collect();
    let digests = registry.push_many(&refs, &[Platform::LINUX_AMD64]);
    let proxy = FaultProxy::start(&registry.host());
    let host = proxy.host();
    // Three tries fail, each on its HEAD and on the GET the client falls back to after it.
    for repository in repositories {
        proxy.script(
            None,
            &format!("/v2/{repository}/manifests/"),
            [500, 500, 502, 502, 503, 503].map(Fault::status),
        );
    }
    let input: String = repositories
        .iter()
        .map(|r| pod(&format!("{host}/{r}:v1")))
        .collect::<Vec<_>>()
        .join("---\n");

    let run = pin_through(&proxy, &["-f", "-"])
        .stdin(&input)
        .run()
        .expect_code(0);
    let mut expected = input.clone();
    for (repository, digest) in repositories.iter().zip(&digests) {
        assert_eq!(
            registry.skopeo_inspect_digest(&format!("{repository}:v1")),
            *digest
        );
        expected = expected.replace(
            &format!("{repository}:v1\n"),
            &format!("{repository}:v1@{digest}\n"),
        );
    }
    assert_eq!(run.stdout, expected);

    let mut jitters = Vec::new();
    for repository in repositories {
        let tries = heads(&proxy, repository);
        assert_eq!(tries.len(), 4, "{repository}: three failures and a success");
        jitters.push(assert_backoff(&tries));
    }
    // Four clients that failed together do not retry together: without jitter their retries
    // would land within a few milliseconds of each other.
    let spread = jitters
        .iter()
        .max()
        .unwrap()
        .saturating_sub(*jitters.iter().min().unwrap());
    assert!(spread > Duration::from_millis(20), "jitter {jitters:?}");
}

#[test]
fn a_registry_that_keeps_failing_is_given_up_after_four_tries_in_one_line_per_place() {
    let registry = TestRegistry::start(Kind::Http);
    registry.push_image("app/web", "v1", Platform::LINUX_AMD64);
    let proxy = FaultProxy::start(&registry.host());
    let host = proxy.host();
    proxy.always(None, "/manifests/", Fault::status(503));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("web.yaml");
    let image = format!("{host}/app/web:v1");
    fs::write(
        &file,
        format!("kind: Pod\nspec:\n  containers:\n  - image: {image}\n  - image: {image}\n"),
    )
    .unwrap();
    let file = file.display().to_string();

    let started = Instant::now();
    let run = pin_through(&proxy, &["-f", &file]).run().expect_code(2);
    let elapsed = started.elapsed();
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        format!(
            "error: {file}:4:12: {image}: {host} keeps answering 503\n\
             error: {file}:5:12: {image}: {host} keeps answering 503\n"
        )
    );
    let tries = heads(&proxy, "app/web");
    assert_eq!(tries.len(), 4, "one image, resolved once, tried 4 times");
    assert_backoff(&tries);
    // 4 tries and 3 backoffs of at most 375 ms + 750 ms + 1.5 s.
    assert!(elapsed < Duration::from_millis(2625) + 4 * SLACK + Duration::from_secs(2));
}

#[test]
fn too_many_requests_waits_as_long_as_retry_after_asks() {
    let (_registry, digest, proxy) = web_behind_proxy();
    let host = proxy.host();
    let input = pod(&format!("{host}/app/web:v1"));
    let pinned = pod(&format!("{host}/app/web:v1@{digest}"));

    // Pins once with `fault` as the first answer; returns the wait between the refused HEAD and
    // the next one.
    let wait_after = |fault: Fault| {
        proxy.script(None, "/manifests/", [fault]);
        let before = heads(&proxy, "app/web").len();
        let run = pin_through(&proxy, &["-f", "-"])
            .stdin(&input)
            .run()
            .expect_code(0);
        assert_eq!(run.stdout, pinned);
        let tries = heads(&proxy, "app/web");
        assert_eq!(tries.len(), before + 2, "one refused HEAD, one answered");
        tries[before + 1] - tries[before]
    };

    // Two seconds, far longer than the first backoff (250 ms): the retry waits for the
    // registry, and the 429 answer to HEAD is not followed by a GET the registry would refuse.
    let wait = wait_after(Fault::too_many_requests(2));
    assert!(
        wait >= Duration::from_secs(2) && wait <= Duration::from_secs(2) + SLACK,
        "the retry came {wait:?} after the 429 that asked for 2 s"
    );
    assert!(proxy.requests(Some("GET"), "/manifests/").is_empty());

    // The same as an HTTP date, three seconds ahead to the second: at least two seconds.
    let retry_at = std::time::SystemTime::now() + Duration::from_secs(3);
    let wait = wait_after(Fault::Respond {
        status: 503,
        headers: vec![("Retry-After".into(), httpdate::fmt_http_date(retry_at))],
        body: "maintenance\n".into(),
    });
    assert!(
        wait >= Duration::from_secs(2) && wait <= Duration::from_secs(3) + SLACK,
        "the retry came {wait:?} after the 503 that asked for a date 3 s ahead"
    );
}

#[test]
fn a_retry_after_longer_than_the_registry_timeout_fails_at_once_in_one_line() {
    let (_registry, _digest, proxy) = web_behind_proxy();
    let host = proxy.host();
    proxy.always(None, "/manifests/", Fault::too_many_requests(3600));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pod.yaml");
    let input = pod(&format!("{host}/app/web:v1"));
    fs::write(&file, &input).unwrap();

    let started = Instant::now();
    let path = file.to_str().unwrap();
    let run = pin_through(
        &proxy,
        &["--in-place", "--registry-timeout", "20", "-f", path],
    )
    .run()
    .expect_code(2);
    assert_eq!(
        run.stderr,
        format!(
            "error: {}:4:12: {host}/app/web:v1: {host} is rate limiting and asks to retry after 3600s, longer than this run waits (20s, --registry-timeout)\n",
            file.display()
        )
    );
    assert_eq!(heads(&proxy, "app/web").len(), 1, "asked once, not again");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(fs::read_to_string(&file).unwrap(), input);
}

#[test]
fn a_connection_reset_before_the_answer_or_inside_the_body_is_retried() {
    let (_registry, digest, proxy) = web_behind_proxy();
    let host = proxy.host();
    let input = pod(&format!("{host}/app/web:v1"));
    let pinned = pod(&format!("{host}/app/web:v1@{digest}"));

    proxy.script(Some("HEAD"), "/manifests/", [Fault::Reset]);
    let run = pin_through(&proxy, &["-f", "-"])
        .stdin(&input)
        .run()
        .expect_code(0);
    assert_eq!(run.stdout, pinned);
    assert_eq!(heads(&proxy, "app/web").len(), 2);

    // --platform reads the manifest itself: its body is cut half-way, once.
    proxy.script(Some("GET"), "/manifests/", [Fault::ResetMidBody]);
    let run = pin_through(&proxy, &["-f", "-", "--platform", "linux/amd64"])
        .stdin(&input)
        .run()
        .expect_code(0);
    assert_eq!(run.stdout, pinned);
    let gets = proxy.requests(Some("GET"), "/v2/app/web/manifests/");
    let answers: Vec<&str> = gets.iter().map(|seen| seen.answer.as_str()).collect();
    assert_eq!(answers, ["reset mid-body", "forwarded"]);
}

#[test]
fn a_stalled_request_is_cut_at_the_timeout_and_retried() {
    let (_registry, digest, proxy) = web_behind_proxy();
    let host = proxy.host();
    let input = pod(&format!("{host}/app/web:v1"));
    let stall = Fault::Stall(Duration::from_secs(30));

    proxy.script(Some("HEAD"), "/manifests/", [stall.clone()]);
    let started = Instant::now();
    let run = pin_through(&proxy, &["-f", "-", "--registry-timeout", "1"])
        .stdin(&input)
        .run()
        .expect_code(0);
    assert_eq!(run.stdout, pod(&format!("{host}/app/web:v1@{digest}")));
    let tries = heads(&proxy, "app/web");
    assert_eq!(tries.len(), 2);
    let gap = tries[1] - tries[0];
    assert!(
        gap >= Duration::from_millis(1250) && gap <= Duration::from_millis(1375) + SLACK,
        "cut after 1 s, retried 250-375 ms later: {gap:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(6));

    proxy.always(None, "/manifests/", stall);
    let started = Instant::now();
    let run = pin_through(&proxy, &["-f", "-", "--registry-timeout", "1"])
        .stdin(&input)
        .run()
        .expect_code(2);
    assert_eq!(
        run.stderr,
        format!("error: -:4:12: {host}/app/web:v1: {host} did not answer within 1s\n")
    );
    assert_eq!(heads(&proxy, "app/web").len(), 2 + 4);
    let elapsed = started.elapsed();
    // 4 tries of 1 s and at most 2.625 s of backoff.
    assert!(
        elapsed >= Duration::from_millis(4000 + 1750)
            && elapsed < Duration::from_millis(4000 + 2625) + 4 * SLACK + Duration::from_secs(2),
        "{elapsed:?}"
    );
}

#[test]
fn a_digest_that_does_not_match_the_content_is_an_error_and_nothing_is_written() {
    let registry = TestRegistry::start(Kind::Http);
    let digest = registry.push_image("app/web", "v1", Platform::LINUX_AMD64);
    let proxy = FaultProxy::start(&registry.host());
    let host = proxy.host();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("web.yaml");
    fs::write(&file, pod(&format!("{host}/app/web:v1"))).unwrap();
    let file_arg = file.display().to_string();
    let lock = dir.path().join("immutable.lock");
    let lock_arg = lock.display().to_string();
    let before = snapshot(dir.path());
    let claimed = crate::support::registry::sha256_digest(b"not what the registry sent");

    // --platform reads the manifest: the registry's header names other content.
    proxy.always(Some("GET"), "/manifests/", Fault::WrongDigest);
    let run = pin_through(
        &proxy,
        &[
            "-f",
            &file_arg,
            "-i",
            "--lock",
            &lock_arg,
            "--platform",
            "linux/amd64",
        ],
    )
    .run()
    .expect_code(2);
    assert_eq!(
        run.stderr,
        format!(
            "error: {file_arg}:4:12: {host}/app/web:v1: {host} sent content whose digest does not match: \
             Invalid digest. Expected {claimed}, got {digest}\n"
        )
    );
    assert_eq!(
        proxy.requests(Some("GET"), "/manifests/").len(),
        1,
        "a mismatch is not a fault that retrying mends"
    );
    assert_eq!(
        snapshot(dir.path()),
        before,
        "nothing written, not even the lock"
    );

    // Without --platform: no digest in the HEAD answer, so the manifest is read, and its body
    // has been changed on the way.
    let proxy = FaultProxy::start(&registry.host());
    let host = proxy.host();
    fs::write(&file, pod(&format!("{host}/app/web:v1"))).unwrap();
    let before = snapshot(dir.path());
    proxy.always(Some("HEAD"), "/manifests/", Fault::NoDigest);
    proxy.always(Some("GET"), "/manifests/", Fault::CorruptBody);
    let run = pin_through(&proxy, &["-f", &file_arg, "-i", "--lock", &lock_arg])
        .run()
        .expect_code(2);
    assert!(
        run.stderr.starts_with(&format!(
            "error: {file_arg}:4:12: {host}/app/web:v1: {host} sent content whose digest does not match: \
             Invalid digest. Expected {digest}, got sha256:"
        )) && run.stderr.lines().count() == 1,
        "{}",
        run.stderr
    );
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn a_digest_in_a_head_answer_is_trusted_and_verify_finds_it_does_not_exist() {
    // A HEAD answer has no body to check its Docker-Content-Digest against. The plugin trusts
    // it, as docker, containerd and crane do (a GET would count against Docker Hub's pull
    // limit); --verify against an honest registry then finds that no such manifest exists.
    let registry = TestRegistry::start(Kind::Http);
    let digest = registry.push_image("app/web", "v1", Platform::LINUX_AMD64);
    let proxy = FaultProxy::start(&registry.host());
    proxy.always(Some("HEAD"), "/manifests/v1", Fault::WrongDigest);
    let claimed = crate::support::registry::sha256_digest(b"not what the registry sent");
    let mirror = |host: &str| {
        [
            "--registry-mirror".to_string(),
            format!("registry.example={host}"),
            "--insecure-registry".to_string(),
            host.to_string(),
        ]
    };
    let input = pod("registry.example/app/web:v1");
    let mut args = vec!["pin".to_string(), "-f".into(), "-".into()];
    args.extend(mirror(&proxy.host()));
    let lied = Plugin::new(&args).stdin(&input).run().expect_code(0);
    assert_eq!(
        lied.stdout,
        pod(&format!("registry.example/app/web:v1@{claimed}"))
    );

    let mut args = vec![
        "pin".to_string(),
        "--verify".into(),
        "-f".into(),
        "-".into(),
    ];
    args.extend(mirror(&registry.host()));
    let verified = Plugin::new(&args).stdin(&lied.stdout).run().expect_code(1);
    assert_eq!(
        verified.stderr,
        format!(
            "-:4: registry.example/app/web:v1@{claimed}: the digest does not exist\n\
             -:4: registry.example/app/web:v1@{claimed}: the tag now points at {digest}\n"
        )
    );
}

#[test]
fn in_place_leaves_every_file_untouched_when_a_registry_keeps_failing() {
    let registry = TestRegistry::start(Kind::Http);
    registry.push_many(
        &[("app/web", "v1"), ("app/api", "v1")],
        &[Platform::LINUX_AMD64],
    );
    let proxy = FaultProxy::start(&registry.host());
    let host = proxy.host();
    proxy.always(None, "/v2/app/api/manifests/", Fault::status(502));
    let dir = tempfile::tempdir().unwrap();
    let k8s = dir.path().join("k8s");
    fs::create_dir_all(k8s.join("base")).unwrap();
    fs::write(
        k8s.join("base/web.yaml"),
        pod(&format!("{host}/app/web:v1")),
    )
    .unwrap();
    fs::write(
        k8s.join("base/api.yaml"),
        pod(&format!("{host}/app/api:v1")),
    )
    .unwrap();
    fs::write(
        k8s.join("service.yaml"),
        "kind: Service\nmetadata: {name: web}\n",
    )
    .unwrap();
    let before = snapshot(dir.path());
    let k8s = k8s.display().to_string();
    let lock = dir.path().join("immutable.lock").display().to_string();

    let run = pin_through(&proxy, &["-f", &k8s, "-R", "-i", "--lock", &lock])
        .run()
        .expect_code(2);
    assert_eq!(
        run.stderr,
        format!("error: {k8s}/base/api.yaml:4:12: {host}/app/api:v1: {host} keeps answering 502\n")
    );
    assert_eq!(
        snapshot(dir.path()),
        before,
        "web.yaml resolved, but nothing is written when anything fails; no temporary file is left"
    );
}

#[test]
fn a_failing_token_service_is_retried_and_then_named_in_one_line() {
    let registry = TestRegistry::start(Kind::Http);
    let digest = registry.push_image("app/web", "v1", Platform::LINUX_AMD64);
    let proxy = FaultProxy::start(&registry.host());
    let host = proxy.host();
    proxy.require_token(None);
    let input = pod(&format!("{host}/app/web:v1"));

    // The token service fails once: a fault of the token service is as transient as one of
    // the registry, and retried.
    proxy.script(None, "/token", [Fault::status(500)]);
    let run = pin_through(&proxy, &["-f", "-"])
        .stdin(&input)
        .run()
        .expect_code(0);
    assert_eq!(run.stdout, pod(&format!("{host}/app/web:v1@{digest}")));
    assert_eq!(proxy.requests(None, "/token").len(), 2);
    assert_eq!(
        proxy.requests(Some("HEAD"), "/manifests/").len(),
        1,
        "no request goes without the token it needs"
    );

    // It keeps failing: the plugin says so, naming the token service's host (here the proxy
    // serves both), after the same four tries as for a registry.
    let proxy = FaultProxy::start(&registry.host());
    let host = proxy.host();
    proxy.require_token(None);
    proxy.always(None, "/token", Fault::status(503));
    let run = pin_through(&proxy, &["-f", "-"])
        .stdin(&pod(&format!("{host}/app/web:v1")))
        .run()
        .expect_code(2);
    assert_eq!(
        run.stderr,
        format!("error: -:4:12: {host}/app/web:v1: {host} keeps answering 503\n")
    );
    assert_eq!(proxy.requests(None, "/token").len(), 4);
    assert!(proxy.requests(None, "/manifests/").is_empty());
}

#[test]
fn an_auth_loop_stops_after_one_refusal() {
    let registry = TestRegistry::start(Kind::Http);
    registry.push_image("app/web", "v1", Platform::LINUX_AMD64);
    let proxy = FaultProxy::start(&registry.host());
    let host = proxy.host();
    proxy.require_token(None);
    // The token is handed out, then refused with a new challenge every time.
    proxy.always(
        None,
        "/manifests/",
        Fault::Respond {
            status: 401,
            headers: vec![(
                "WWW-Authenticate".into(),
                format!(r#"Bearer realm="http://{host}/token",service="fault-proxy""#),
            )],
            body: r#"{"errors":[{"code":"UNAUTHORIZED","message":"token rejected"}]}"#.into(),
        },
    );
    let started = Instant::now();
    let run = pin_through(&proxy, &["-f", "-"])
        .stdin(&pod(&format!("{host}/app/web:v1")))
        .run()
        .expect_code(2);
    assert_eq!(
        run.stderr,
        format!(
            "error: -:4:12: {host}/app/web:v1: {host} refused the credentials or asked for some (401)\n"
        )
    );
    let manifests = proxy.requests(None, "/manifests/");
    assert_eq!(manifests.len(), 2, "HEAD and the GET after it, no loop");
    assert!(
        manifests
            .iter()
            .all(|seen| seen.authorization.as_deref() == Some(&format!("Bearer {TOKEN}"))),
        "{manifests:?}"
    );
    assert_eq!(proxy.requests(None, "/token").len(), 1);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_redirect_to_another_host_is_followed_without_the_credentials() {
    let registry = TestRegistry::start(Kind::Http);
    let digest = registry.push_image("app/web", "v1", Platform::LINUX_AMD64);
    // 127.0.0.2 is another host on the loopback interface, as a CDN is another host.
    let elsewhere = FaultProxy::start_on("127.0.0.2", &registry.host());
    let proxy = FaultProxy::start(&registry.host());
    let host = proxy.host();
    let (user, password) = ("robot", "redirect-secret-31f9");
    proxy.require_token(Some((user, password)));
    proxy.always(None, "/manifests/", Fault::Redirect(elsewhere.base_url()));
    let config = tempfile::tempdir().unwrap();
    docker_config_auths(config.path(), &host, user, password);

    let run = pin_through(&proxy, &["-f", "-"])
        .env("DOCKER_CONFIG", config.path())
        .stdin(&pod(&format!("{host}/app/web:v1")))
        .run()
        .expect_code(0);
    assert_eq!(run.stdout, pod(&format!("{host}/app/web:v1@{digest}")));
    let asked = proxy.requests(Some("HEAD"), "/manifests/");
    assert_eq!(asked.len(), 1);
    assert_eq!(
        asked[0].authorization.as_deref(),
        Some(format!("Bearer {TOKEN}").as_str()),
        "the registry itself gets the token"
    );
    let followed = elsewhere.seen();
    assert_eq!(followed.len(), 1, "{followed:?}");
    assert_eq!(followed[0].method, "HEAD");
    assert_eq!(
        followed[0].authorization, None,
        "no credential crosses to another host"
    );
    for output in [&run.stdout, &run.stderr] {
        assert!(!output.contains(password) && !output.contains(TOKEN));
    }
}

#[test]
fn concurrency_bounds_the_requests_in_flight() {
    let registry = TestRegistry::start(Kind::Http);
    let refs: Vec<(String, &str)> = (0..6).map(|i| (format!("app/r{i}"), "v1")).collect();
    registry.push_many(&refs, &[Platform::LINUX_AMD64]);
    let input: String = refs
        .iter()
        .map(|(repository, _)| pod(&format!("{{HOST}}/{repository}:v1")))
        .collect::<Vec<_>>()
        .join("---\n");
    for (concurrency, bound) in [("2", 2), ("6", 6)] {
        let proxy = FaultProxy::start(&registry.host());
        proxy.always(
            None,
            "/manifests/",
            Fault::Delay(Duration::from_millis(300)),
        );
        pin_through(&proxy, &["-f", "-", "-q", "--concurrency", concurrency])
            .stdin(&input.replace("{HOST}", &proxy.host()))
            .run()
            .expect_code(0);
        let most = proxy.max_manifests_in_flight();
        if bound == 2 {
            assert_eq!(most, 2, "--concurrency 2");
        } else {
            assert!(
                most > 2,
                "with --concurrency 6, more than 2 at once: {most}"
            );
        }
    }
}

#[test]
fn a_plain_http_registry_is_asked_in_plain_http_at_once() {
    let (_registry, digest, proxy) = web_behind_proxy();
    let host = proxy.host();
    let input = pod(&format!("{host}/app/web:v1"));

    // Named insecure: TLS is tried first, as Docker does, once per host; a plain HTTP answer to
    // it sends the client to plain HTTP at once, without retrying TLS with backoff (that cost
    // 2.3 s).
    let run = pin_through(&proxy, &["-f", "-"])
        .stdin(&input)
        .run()
        .expect_code(0);
    assert_eq!(run.stdout, pod(&format!("{host}/app/web:v1@{digest}")));
    let seen = proxy.seen();
    let hellos = seen.iter().filter(|s| s.answer == "not HTTP").count();
    assert_eq!(hellos, 1, "one TLS hello for the host: {seen:?}");
    let plain = seen.iter().find(|s| s.method != "-").unwrap();
    assert!(
        plain.at - seen[0].at < Duration::from_millis(200),
        "{seen:?}"
    );

    // Not named insecure: one line that says what to do.
    let run = Plugin::new(["pin", "-f", "-"])
        .stdin(&input)
        .run()
        .expect_code(2);
    assert_eq!(
        run.stderr,
        format!(
            "error: -:4:12: {host}/app/web:v1: {host} does not speak TLS (to use plain HTTP with it, name it with --insecure-registry {host})\n"
        )
    );
}

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
            let run = Plugin::new(&args).current_dir(&bad_dir()).run();
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
    let mut child = Command::new(env!("CARGO_BIN_EXE_kubectl-immutable"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("HOME", dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status_file = format!("/proc/{}/status", child.id());
    let peak = std::thread::spawn(move || {
        let mut peak_kib = 0;
        // Until the process has exited: a zombie's status has no memory lines.
        while let Some(kib) = fs::read_to_string(&status_file).ok().and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        }) {
            peak_kib = peak_kib.max(kib);
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
        let run = Plugin::new(&args).run();
        assert_no_panic(&run);
        assert_eq!((run.code, run.stdout.as_str()), (2, ""), "{args:?}");
        assert_eq!(run.stderr, expected, "{args:?}");
    }
    assert_eq!(snapshot(&k8s), before);
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

/// A docker config.json with Basic credentials for `host` in `auths`.
fn docker_config_auths(dir: &Path, host: &str, user: &str, password: &str) {
    let auth = base64(format!("{user}:{password}").as_bytes());
    fs::write(
        dir.join("config.json"),
        format!(r#"{{"auths":{{"{host}":{{"auth":"{auth}"}}}}}}"#),
    )
    .unwrap();
}

/// A `docker-credential-test` helper in `dir` (to put on PATH) that answers with `user` and
/// `password`, or, when `fail`, prints the password on stdout and stderr and exits 1; and a
/// config.json in `dir` that names it for `host`.
fn credential_helper(dir: &Path, host: &str, user: &str, password: &str, fail: bool) {
    use std::os::unix::fs::PermissionsExt;
    let body = if fail {
        format!("echo \"cannot unlock {password}\"; echo \"{password}\" >&2; exit 1")
    } else {
        format!(
            "read server\nprintf '{{\"ServerURL\":\"%s\",\"Username\":\"{user}\",\"Secret\":\"{password}\"}}' \"$server\""
        )
    };
    let helper = dir.join("docker-credential-test");
    fs::write(&helper, format!("#!/bin/sh\n{body}\n")).unwrap();
    fs::set_permissions(&helper, fs::Permissions::from_mode(0o755)).unwrap();
    fs::write(
        dir.join("config.json"),
        format!(r#"{{"credHelpers":{{"{host}":"test"}}}}"#),
    )
    .unwrap();
}

/// PATH with `dir` first, for a credential helper.
fn path_with(dir: &Path) -> String {
    format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// Panics if any secret appears in the runs' output or in any file under `dirs` (but the
/// credential stores, which hold them by design).
fn assert_secrets_kept(secrets: &[String], runs: &[&Run], dirs: &[&Path]) {
    for run in runs {
        for secret in secrets {
            assert!(
                !run.stdout.contains(secret.as_str()) && !run.stderr.contains(secret.as_str()),
                "{secret} shows in\n{}\n{}",
                run.stdout,
                run.stderr
            );
        }
    }
    for dir in dirs {
        for (path, bytes, _) in snapshot(dir) {
            let name = path.file_name().unwrap().to_string_lossy();
            if name == "config.json" || name.starts_with("docker-credential-") {
                continue;
            }
            let text = String::from_utf8_lossy(&bytes);
            for secret in secrets {
                assert!(
                    !text.contains(secret.as_str()),
                    "{secret} in {}",
                    path.display()
                );
            }
        }
    }
}

#[test]
fn registry_credentials_never_show_in_output_or_in_files_written() {
    let registry = TestRegistry::start(Kind::BasicAuth);
    let registry_host = registry.host();
    let (user, password) = registry.credentials().unwrap();
    let digest = registry.push_image("private/app", "v1", Platform::LINUX_AMD64);
    // Through a proxy as well, whose faults add failures that are not about the credentials.
    let proxy = FaultProxy::start(&registry_host);
    let proxy_host = proxy.host();
    let wrong = "wrong-password-8d2c";
    let secrets: Vec<String> = [password, wrong]
        .iter()
        .flat_map(|p| [p.to_string(), base64(format!("{user}:{p}").as_bytes())])
        .collect();

    let work = tempfile::tempdir().unwrap();
    let manifests = work.path().join("k8s");
    fs::create_dir(&manifests).unwrap();
    let write_manifests = || {
        fs::write(
            manifests.join("app.yaml"),
            pod(&format!("{registry_host}/private/app:v1")),
        )
        .unwrap();
        fs::write(
            manifests.join("proxied.yaml"),
            pod(&format!("{proxy_host}/private/app:v1")),
        )
        .unwrap();
    };
    let k8s = manifests.display().to_string();
    let lock = work.path().join("immutable.lock").display().to_string();
    let report = work.path().join("report.json").display().to_string();
    let pin = |config: &Path, path: Option<String>| {
        let mut plugin = Plugin::new([
            "pin",
            "-f",
            k8s.as_str(),
            "-i",
            "--lock",
            lock.as_str(),
            "--report",
            "json",
            "--report-file",
            report.as_str(),
            "--insecure-registry",
            registry_host.as_str(),
            "--insecure-registry",
            proxy_host.as_str(),
        ])
        .env("DOCKER_CONFIG", config);
        if let Some(path) = path {
            plugin = plugin.env("PATH", path);
        }
        plugin
    };
    let mut runs = Vec::new();

    // config.json `auths`, a credential helper: each pins, writing files, lock and report.
    let auths = tempfile::tempdir().unwrap();
    fs::write(
        auths.path().join("config.json"),
        format!(
            r#"{{"auths":{{"{registry_host}":{{"auth":"{0}"}},"{proxy_host}":{{"auth":"{0}"}}}}}}"#,
            base64(format!("{user}:{password}").as_bytes())
        ),
    )
    .unwrap();
    write_manifests();
    runs.push(pin(auths.path(), None).run().expect_code(0));
    let pinned = fs::read_to_string(manifests.join("app.yaml")).unwrap();
    assert_eq!(
        pinned,
        pod(&format!("{registry_host}/private/app:v1@{digest}"))
    );

    let helper = tempfile::tempdir().unwrap();
    credential_helper(helper.path(), &registry_host, user, password, false);
    let config = fs::read_to_string(helper.path().join("config.json")).unwrap();
    fs::write(
        helper.path().join("config.json"),
        config.replace(r#""test"}"#, &format!(r#""test","{proxy_host}":"test"}}"#)),
    )
    .unwrap();
    write_manifests();
    runs.push(
        pin(helper.path(), Some(path_with(helper.path())))
            .run()
            .expect_code(0),
    );
    assert_eq!(
        fs::read_to_string(manifests.join("app.yaml")).unwrap(),
        pinned
    );

    // Failures: a wrong password (401), a helper that fails (and prints the secret), and a
    // registry that fails after taking the credentials.
    let wrong_auths = tempfile::tempdir().unwrap();
    docker_config_auths(wrong_auths.path(), &registry_host, user, wrong);
    write_manifests();
    let refused = pin(wrong_auths.path(), None).run().expect_code(2);
    assert!(
        refused.stderr.contains(&format!(
            "{registry_host} refused the credentials or asked for some (401)"
        )),
        "{}",
        refused.stderr
    );
    runs.push(refused);

    let failing = tempfile::tempdir().unwrap();
    credential_helper(failing.path(), &registry_host, user, password, true);
    let failed = pin(failing.path(), Some(path_with(failing.path())))
        .run()
        .expect_code(2);
    assert!(
        failed
            .stderr
            .contains(&format!("the credential helper for {registry_host} failed")),
        "{}",
        failed.stderr
    );
    runs.push(failed);

    proxy.always(None, "/manifests/", Fault::status(500));
    let broken = pin(auths.path(), None).run().expect_code(2);
    assert!(
        broken.stderr.contains("keeps answering 500"),
        "{}",
        broken.stderr
    );
    let failed: Vec<_> = proxy
        .requests(None, "/manifests/")
        .into_iter()
        .filter(|seen| seen.answer == "500")
        .collect();
    assert!(
        failed.len() == 8 && failed.iter().all(|seen| seen.authorization.is_some()),
        "the credentials went with every failed request, and still are nowhere in the output: {failed:?}"
    );
    runs.push(broken);

    let runs: Vec<&Run> = runs.iter().collect();
    assert_secrets_kept(&secrets, &runs, &[work.path(), auths.path(), helper.path()]);
}

#[test]
fn diff_never_shows_the_values_of_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let secret = |name: &str, password: &str, token: &str| {
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\ntype: Opaque\ndata:\n  password: {}\nstringData:\n  token: {token}\n",
            base64(password.as_bytes())
        )
    };
    let list = |password: &str| {
        format!(
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata: {{name: listed}}\n  stringData: {{password: {password}}}\n"
        )
    };
    fs::write(
        dir.path().join("old.yaml"),
        [
            secret("db", "old-db-password-1", "old-token-1"),
            secret("gone", "removed-password-2", "removed-token-2"),
            list("old-listed-password-3"),
        ]
        .join("---\n"),
    )
    .unwrap();
    fs::write(
        dir.path().join("new.yaml"),
        [
            secret("db", "new-db-password-4", "old-token-1"),
            secret("added", "added-password-5", "added-token-6"),
            list("new-listed-password-7"),
        ]
        .join("---\n"),
    )
    .unwrap();
    let values = [
        "old-db-password-1",
        "old-token-1",
        "removed-password-2",
        "removed-token-2",
        "old-listed-password-3",
        "new-db-password-4",
        "added-password-5",
        "added-token-6",
        "new-listed-password-7",
    ];
    let secrets: Vec<String> = values
        .iter()
        .flat_map(|v| [v.to_string(), base64(v.as_bytes())])
        .collect();
    let mut runs = Vec::new();
    for format in [&["-o", "text"][..], &["-o", "json"], &["--color", "always"]] {
        let mut args = vec!["diff", "old.yaml", "new.yaml"];
        args.extend(format);
        let run = Plugin::new(&args)
            .current_dir(dir.path())
            .run()
            .expect_code(1);
        assert!(
            run.stdout.contains("password"),
            "the keys are named: {}",
            run.stdout
        );
        runs.push(run);
    }
    let runs: Vec<&Run> = runs.iter().collect();
    assert_secrets_kept(&secrets, &runs, &[]);
    assert!(
        runs[0].stdout.contains("*** (before)") && runs[0].stdout.contains("*** (after)"),
        "{}",
        runs[0].stdout
    );
}

#[test]
fn apply_with_registry_credentials_never_shows_them() {
    let cluster = cluster();
    let registry = TestRegistry::start(Kind::BasicAuth);
    let host = registry.host();
    let (user, password) = registry.credentials().unwrap();
    let digest = registry.push_image("private/app", "v1", Platform::LINUX_AMD64);
    let ns = cluster.namespace("secret-apply");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("app.yaml");
    fs::write(
        &file,
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\n  namespace: {ns}\nspec:\n  containers:\n  - name: app\n    image: {host}/private/app:v1\n"
        ),
    )
    .unwrap();
    let file = file.display().to_string();
    let kubeconfig = cluster.kubeconfig().display().to_string();
    let helper = tempfile::tempdir().unwrap();
    let apply = |config: &Path, extra: &[&str]| {
        let mut args = vec![
            "apply",
            "--kubeconfig",
            kubeconfig.as_str(),
            "-f",
            file.as_str(),
            "--insecure-registry",
            host.as_str(),
        ];
        args.extend(extra);
        Plugin::new(args)
            .env("DOCKER_CONFIG", config)
            .env("PATH", path_with(helper.path()))
    };

    let failing = tempfile::tempdir().unwrap();
    credential_helper(failing.path(), &host, user, password, true);
    let failed = Plugin::new([
        "apply",
        "--kubeconfig",
        kubeconfig.as_str(),
        "-f",
        file.as_str(),
        "--insecure-registry",
        host.as_str(),
    ])
    .env("DOCKER_CONFIG", failing.path())
    .env("PATH", path_with(failing.path()))
    .run()
    .expect_code(2);
    assert_eq!(
        failed.stderr,
        format!(
            "error: {file}:9:12: {host}/private/app:v1: the credential helper for {host} failed\n"
        )
    );

    credential_helper(helper.path(), &host, user, password, false);
    let dry = apply(helper.path(), &["--dry-run=server", "-o", "yaml"])
        .run()
        .expect_code(0);
    assert!(
        dry.stdout
            .contains(&format!("image: {host}/private/app:v1@{digest}"))
    );
    let applied = apply(helper.path(), &[]).run().expect_code(0);
    assert_eq!(applied.stdout, "pod/app serverside-applied\n");
    let stored = cluster.kubectl_ok(&["get", "pod", "app", "-n", &ns, "-o", "yaml"]);

    let secrets = [
        password.to_string(),
        base64(format!("{user}:{password}").as_bytes()),
    ];
    let stored = Run {
        code: 0,
        stdout: stored,
        stderr: String::new(),
    };
    assert_secrets_kept(&secrets, &[&failed, &dry, &applied, &stored], &[dir.path()]);
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
