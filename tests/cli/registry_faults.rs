//! Registry faults (issue 7) through the built binary: a proxy in front of the real registry
//! answers with errors, rate limits, resets, stalls, wrong digests, token service failures,
//! auth loops and redirects, and the plugin retries, gives up or refuses as it should.

use std::fs;
use std::time::{Duration, Instant};

use crate::common::{docker_config_auths, pod, snapshot};
use crate::support::faults::{Fault, FaultProxy, TOKEN, base64};
use crate::support::plugin::Plugin;
use crate::support::registry::{Kind, Platform, TestRegistry};

/// What a retry may take beyond its backoff: the failed request and the next one,
/// on a machine busy with the other tests.
const SLACK: Duration = Duration::from_millis(500);

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
    // Three tries fail, each on its HEAD: a failed HEAD is the answer, no GET follows it.
    for repository in repositories {
        proxy.script(
            None,
            &format!("/v2/{repository}/manifests/"),
            [500, 502, 503].map(Fault::status),
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
    assert!(proxy.requests(Some("GET"), "/manifests/").is_empty());
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

    // Pins once with `fault` as the first answer; returns when the refused HEAD and the next one
    // reached the proxy.
    let tries_after = |fault: Fault| {
        proxy.script(None, "/manifests/", [fault]);
        let before = heads(&proxy, "app/web").len();
        let run = pin_through(&proxy, &["-f", "-"])
            .stdin(&input)
            .run()
            .expect_code(0);
        assert_eq!(run.stdout, pinned);
        let tries = heads(&proxy, "app/web");
        assert_eq!(tries.len(), before + 2, "one refused HEAD, one answered");
        (tries[before], tries[before + 1])
    };

    // Two seconds, far longer than the first backoff (250 ms): the retry waits for the
    // registry, and the 429 answer to HEAD is not followed by a GET the registry would refuse.
    let (refused, retried) = tries_after(Fault::too_many_requests(2));
    let wait = retried - refused;
    assert!(
        wait >= Duration::from_secs(2) && wait <= Duration::from_secs(2) + SLACK,
        "the retry came {wait:?} after the 429 that asked for 2 s"
    );
    assert!(proxy.requests(Some("GET"), "/manifests/").is_empty());

    // The same as an HTTP date three seconds ahead. A date counts whole seconds and the clock
    // runs from before the plugin starts, so what is checked is the wall-clock time of the
    // retry: not before the date (to the second), and not long after it.
    let (anchor, wall) = (proxy.elapsed(), std::time::SystemTime::now());
    let retry_at = wall + Duration::from_secs(3);
    let (refused, retried) = tries_after(Fault::Respond {
        status: 503,
        headers: vec![("Retry-After".into(), httpdate::fmt_http_date(retry_at))],
        body: "maintenance\n".into(),
    });
    let retried_wall = wall + (retried - anchor);
    let date = httpdate::parse_http_date(&httpdate::fmt_http_date(retry_at)).unwrap();
    assert!(
        retried_wall >= date && retried - refused <= Duration::from_secs(3) + SLACK,
        "the retry came {:?} after the 503 that asked for {} ({:?} before that date)",
        retried - refused,
        httpdate::fmt_http_date(retry_at),
        date.duration_since(retried_wall).unwrap_or_default()
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
    let bearer = format!("Bearer {TOKEN}");
    let heads: Vec<Option<String>> = proxy
        .requests(Some("HEAD"), "/manifests/")
        .into_iter()
        .map(|seen| seen.authorization)
        .collect();
    assert_eq!(
        heads,
        [None, Some(bearer)],
        "the first request goes without credentials and its 401 says how to authenticate; \
         after that, no request goes without the token it needs"
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
    let manifests = proxy.requests(None, "/manifests/");
    assert_eq!(
        manifests.len(),
        1,
        "only the first, challenged: {manifests:?}"
    );
    assert_eq!(manifests[0].authorization, None);
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
    let manifests: Vec<(String, Option<String>)> = proxy
        .requests(None, "/manifests/")
        .into_iter()
        .map(|seen| (seen.method, seen.authorization))
        .collect();
    assert_eq!(
        manifests,
        [
            ("HEAD".to_string(), None),
            ("HEAD".to_string(), Some(format!("Bearer {TOKEN}")))
        ],
        "challenged without credentials, refused with the token: no loop, and no GET a \
         refused HEAD would not change"
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
    // As a registry does, the first request (without credentials) is challenged; the one with
    // the token is redirected.
    proxy.script(
        None,
        "/manifests/",
        [Fault::Respond {
            status: 401,
            headers: vec![(
                "WWW-Authenticate".into(),
                format!(r#"Bearer realm="http://{host}/token",service="fault-proxy""#),
            )],
            body: r#"{"errors":[{"code":"UNAUTHORIZED","message":"token required"}]}"#.into(),
        }],
    );
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
    assert_eq!(asked.len(), 2, "{asked:?}");
    assert_eq!(asked[0].authorization, None, "challenged");
    assert_eq!(
        asked[1].authorization.as_deref(),
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
fn a_registry_that_does_not_do_head_is_asked_with_get_and_a_refusal_says_its_reason() {
    let (registry, digest, proxy) = web_behind_proxy();

    // HEAD answered 405 (or 501): the manifest is fetched with a GET and its digest computed
    // and checked against the answer's, so the pin is the one skopeo sees.
    for status in [405, 501] {
        let proxy = FaultProxy::start(&registry.host());
        let host = proxy.host();
        proxy.always(Some("HEAD"), "/manifests/", Fault::status(status));
        let run = pin_through(&proxy, &["-f", "-"])
            .stdin(&pod(&format!("{host}/app/web:v1")))
            .run()
            .expect_code(0);
        assert_eq!(run.stdout, pod(&format!("{host}/app/web:v1@{digest}")));
        let manifests: Vec<String> = proxy
            .requests(None, "/manifests/")
            .into_iter()
            .map(|seen| seen.method)
            .collect();
        assert_eq!(manifests, ["HEAD", "GET"], "HEAD answered {status}");
    }

    // Refused: one line with the reason, exit 2, nothing written.
    let refused = |proxy: &FaultProxy, reason: &str| {
        let host = proxy.host();
        let run = pin_through(proxy, &["-f", "-"])
            .stdin(&pod(&format!("{host}/app/web:v1")))
            .run()
            .expect_code(2);
        assert_eq!(run.stdout, "");
        assert_eq!(
            run.stderr,
            format!("error: -:4:12: {host}/app/web:v1: {host} refused the request: {reason}\n")
        );
    };

    // A 400 is the answer, as a 404 is: no GET after it, and the line says the status.
    proxy.always(Some("HEAD"), "/manifests/", Fault::status(400));
    refused(&proxy, "HTTP 400 Bad Request");
    assert!(proxy.requests(Some("GET"), "/manifests/").is_empty());

    // A GET after a 405 that the registry refuses: the line says the reason its body gives.
    let proxy = FaultProxy::start(&registry.host());
    proxy.always(Some("HEAD"), "/manifests/", Fault::status(405));
    proxy.always(
        Some("GET"),
        "/manifests/",
        Fault::Respond {
            status: 400,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: r#"{"errors":[{"code":"NAME_INVALID","message":"invalid repository name"}]}"#
                .into(),
        },
    );
    refused(&proxy, "invalid repository name (NAME_INVALID)");
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

#[test]
fn an_error_through_a_mirror_names_the_images_registry_and_the_mirror() {
    let registry = TestRegistry::start(Kind::Http);
    let host = registry.host();
    let args = [
        "pin",
        "-f",
        "-",
        "--registry-mirror",
        &format!("quay.io={host}"),
        "--insecure-registry",
        &host,
    ];
    let run = Plugin::new(args)
        .stdin(&pod("quay.io/app/web:v1"))
        .run()
        .expect_code(2);
    assert_eq!(
        run.stderr,
        format!(
            "error: -:4:12: quay.io/app/web:v1: not found on quay.io (through the mirror {host})\n"
        )
    );
}

#[test]
fn the_first_request_asks_how_to_authenticate_and_no_v2_ping_is_sent() {
    let registry = TestRegistry::start(Kind::Http);
    let repositories = ["app/a", "app/b", "app/c"];
    let refs: Vec<(&str, &str)> = repositories.iter().map(|r| (*r, "v1")).collect();
    let digests = registry.push_many(&refs, &[Platform::LINUX_AMD64]);
    let images = |host: &str| -> String {
        repositories
            .iter()
            .map(|r| pod(&format!("{host}/{r}:v1")))
            .collect::<Vec<_>>()
            .join("---\n")
    };
    let pinned = |host: &str| -> String {
        repositories
            .iter()
            .zip(&digests)
            .map(|(r, digest)| pod(&format!("{host}/{r}:v1@{digest}")))
            .collect::<Vec<_>>()
            .join("---\n")
    };
    let manifests = |proxy: &FaultProxy| -> Vec<Option<String>> {
        proxy
            .requests(None, "/manifests/")
            .into_iter()
            .map(|seen| seen.authorization)
            .collect()
    };

    // Anonymous: one HEAD an image, none with credentials, and no `/v2/`.
    let proxy = FaultProxy::start(&registry.host());
    let host = proxy.host();
    let run = pin_through(&proxy, &["-f", "-"])
        .stdin(&images(&host))
        .run()
        .expect_code(0);
    assert_eq!(run.stdout, pinned(&host));
    assert_eq!(manifests(&proxy), [None, None, None]);
    assert!(
        !proxy.seen().iter().any(|seen| seen.path == "/v2/"),
        "{:?}",
        proxy.seen()
    );

    // A token service that wants Basic credentials: the first HEAD goes without them, and its
    // 401 says where the token is; then each repository gets its token, each HEAD carries it.
    let (user, password) = ("robot", "token-secret-8d21");
    let proxy = FaultProxy::start(&registry.host());
    let host = proxy.host();
    proxy.require_token(Some((user, password)));
    let config = tempfile::tempdir().unwrap();
    docker_config_auths(config.path(), &host, user, password);
    let run = pin_through(&proxy, &["-f", "-"])
        .env("DOCKER_CONFIG", config.path())
        .stdin(&images(&host))
        .run()
        .expect_code(0);
    assert_eq!(run.stdout, pinned(&host));
    let bearer = Some(format!("Bearer {TOKEN}"));
    let heads = manifests(&proxy);
    assert_eq!(heads.len(), 4, "{heads:?}");
    assert_eq!(heads[0], None, "the first HEAD is challenged");
    assert!(heads[1..].iter().all(|h| *h == bearer), "{heads:?}");
    let basic = format!("Basic {}", base64(format!("{user}:{password}").as_bytes()));
    let tokens = proxy.requests(None, "/token");
    assert_eq!(tokens.len(), 3, "a token a repository: {tokens:?}");
    assert!(
        tokens
            .iter()
            .all(|t| t.authorization.as_deref() == Some(basic.as_str()))
    );
    assert!(!proxy.seen().iter().any(|seen| seen.path == "/v2/"));
    for output in [&run.stdout, &run.stderr] {
        assert!(!output.contains(password) && !output.contains(TOKEN));
    }

    // Wrong credentials: the token service refuses them; one line an image, exit 2, and the
    // password never shown.
    let proxy = FaultProxy::start(&registry.host());
    let host = proxy.host();
    proxy.require_token(Some((user, password)));
    let wrong = tempfile::tempdir().unwrap();
    docker_config_auths(wrong.path(), &host, user, "not-the-secret-44c0");
    let run = pin_through(&proxy, &["-f", "-"])
        .env("DOCKER_CONFIG", wrong.path())
        .stdin(&pod(&format!("{host}/app/a:v1")))
        .run()
        .expect_code(2);
    assert_eq!(
        run.stderr,
        format!(
            "error: -:4:12: {host}/app/a:v1: {host} refused the credentials or asked for some (401)\n"
        )
    );
    assert_eq!(
        manifests(&proxy),
        [None],
        "no request without the token it needs"
    );
    assert!(!run.stderr.contains("not-the-secret-44c0"));
}

#[test]
fn a_file_changed_while_pin_waits_on_the_registry_is_not_replaced_nor_any_other() {
    let (_registry, _digest, proxy) = web_behind_proxy();
    let host = proxy.host();
    proxy.always(
        Some("HEAD"),
        "/manifests/",
        Fault::Delay(Duration::from_secs(2)),
    );
    let dir = tempfile::tempdir().unwrap();
    let [a, b] = ["a.yaml", "b.yaml"].map(|name| dir.path().join(name));
    let text = pod(&format!("{host}/app/web:v1"));
    fs::write(&a, &text).unwrap();
    fs::write(&b, &text).unwrap();
    let dir_arg = dir.path().display().to_string();
    let outputs = tempfile::tempdir().unwrap();
    let [lock, report] = ["immutable.lock", "report.json"].map(|name| outputs.path().join(name));
    let [lock_arg, report_arg] = [&lock, &report].map(|path| path.display().to_string());
    let pinning = {
        let plugin = pin_through(
            &proxy,
            &[
                "-f",
                &dir_arg,
                "-i",
                "--lock",
                &lock_arg,
                "--report",
                "json",
                "--report-file",
                &report_arg,
            ],
        );
        std::thread::spawn(move || plugin.run())
    };
    let started = Instant::now();
    while proxy.requests(Some("HEAD"), "/manifests/").is_empty() {
        assert!(started.elapsed() < Duration::from_secs(30), "no request");
        std::thread::sleep(Duration::from_millis(20));
    }
    // A line added by someone else while the registry answers.
    let edited = format!("{text}# added meanwhile\n");
    fs::write(&b, &edited).unwrap();
    let run = pinning.join().unwrap().expect_code(2);
    let b_real = fs::canonicalize(&b).unwrap();
    assert_eq!(
        run.stderr,
        format!(
            "error: {}: changed since it was read; nothing was replaced (run again)\n",
            b_real.display()
        )
    );
    assert_eq!(fs::read_to_string(&a).unwrap(), text, "nothing replaced");
    assert_eq!(fs::read_to_string(&b).unwrap(), edited);
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        2,
        "no temporary left"
    );
    assert_eq!(
        fs::read_dir(outputs.path()).unwrap().count(),
        0,
        "no lock file, no report"
    );
}
