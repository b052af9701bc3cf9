//! `kubectl immutable pin` against a real CNCF Distribution registry, digests checked with skopeo.

use std::fs;
use std::path::Path;

use crate::common::pod;
use crate::support::faults::base64;
use crate::support::plugin::Plugin;
use crate::support::registry::{Kind, Platform, TestRegistry};
use crate::support::tcp_drop::{Cut, Plan, TcpDrop};

const MULTI: [Platform; 3] = [
    Platform::LINUX_AMD64,
    Platform::LINUX_ARM64_V8,
    Platform::LINUX_ARM_V7,
];

fn pin(registry: &TestRegistry, extra: &[&str]) -> Plugin {
    let mut args = vec![
        "pin".to_string(),
        "--insecure-registry".to_string(),
        registry.host(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    Plugin::new(args)
}

fn manifest(host: &str) -> String {
    format!(
        "\
# Web tier. Comments, key order and quoting must survive.
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web}}
spec:
  template:
    spec:
      containers:
      - name: web   # the server
        image: {host}/app/web:v1   # pinned by CI
      - {{name: multi, image: \"{host}/app/multi:v1\"}}
      initContainers:
      - name: init
        image: '{host}/app/web:v1'
---
kind: ConfigMap
data:
  image: {host}/app/not-an-image:v1
"
    )
}

#[test]
fn pins_tags_to_the_digests_skopeo_sees_and_changes_nothing_else() {
    let registry = TestRegistry::start(Kind::Http);
    let host = registry.host();
    let web = registry.push_image("app/web", "v1", Platform::LINUX_AMD64);
    let multi = registry.push_index("app/multi", "v1", &MULTI);
    assert_eq!(web, registry.skopeo_inspect_digest("app/web:v1"));
    assert_eq!(multi.digest, registry.skopeo_inspect_digest("app/multi:v1"));

    let input = manifest(&host);
    let run = pin(&registry, &["-f", "-"])
        .stdin(&input)
        .run()
        .expect_code(0);
    let expected = input
        .replace(
            &format!("image: {host}/app/web:v1 "),
            &format!("image: {host}/app/web:v1@{web} "),
        )
        .replace(
            &format!("'{host}/app/web:v1'"),
            &format!("'{host}/app/web:v1@{web}'"),
        )
        .replace(
            &format!("\"{host}/app/multi:v1\""),
            &format!("\"{host}/app/multi:v1@{}\"", multi.digest),
        );
    assert_ne!(expected, input);
    assert_eq!(run.stdout, expected);
    assert_eq!(
        run.stderr,
        format!("pinned 3 images (2 distinct) in 1 file; 0 already pinned; from {host} 2\n")
    );

    let again = pin(&registry, &["-f", "-"])
        .stdin(&run.stdout)
        .run()
        .expect_code(0);
    assert_eq!(
        again.stdout, run.stdout,
        "pinning twice equals pinning once"
    );
}

#[test]
fn digest_only_and_platform_pin_the_platform_manifest() {
    let registry = TestRegistry::start(Kind::Http);
    let host = registry.host();
    let multi = registry.push_index("app/multi", "v1", &MULTI);
    let arm64 = &multi.platform_digests[1];
    assert_eq!(arm64.0, Platform::LINUX_ARM64_V8);
    let input = format!("kind: Pod\nspec:\n  containers:\n  - image: {host}/app/multi:v1\n");

    let run = pin(
        &registry,
        &["-f", "-", "--platform", "linux/arm64", "--digest-only"],
    )
    .stdin(&input)
    .run()
    .expect_code(0);
    assert_eq!(
        run.stdout,
        format!(
            "kind: Pod\nspec:\n  containers:\n  - image: {host}/app/multi@{}\n",
            arm64.1
        )
    );

    let missing = pin(&registry, &["-f", "-", "--platform", "windows/amd64"])
        .stdin(&input)
        .run()
        .expect_code(2);
    assert_eq!(missing.stdout, "");
    assert_eq!(
        missing.stderr,
        format!(
            "error: -:4:12: {host}/app/multi:v1: the image has no windows/amd64 manifest (it has: linux/amd64, linux/arm64, linux/arm/v7)\n"
        )
    );
}

#[test]
fn tls_is_verified_unless_the_host_is_named_insecure() {
    let registry = TestRegistry::start(Kind::Tls);
    let host = registry.host();
    let digest = registry.push_image("app/web", "v1", Platform::LINUX_AMD64);
    let input = format!("kind: Pod\nspec:\n  containers:\n  - image: {host}/app/web:v1\n");

    let refused = Plugin::new(["pin", "-f", "-"])
        .stdin(&input)
        .run()
        .expect_code(2);
    assert!(
        refused
            .stderr
            .contains(&format!("the TLS certificate of {host} is not trusted")),
        "{}",
        refused.stderr
    );
    assert_eq!(refused.stdout, "");

    let run = pin(&registry, &["-f", "-"])
        .stdin(&input)
        .run()
        .expect_code(0);
    assert!(run.stdout.contains(&format!("{host}/app/web:v1@{digest}")));
}

#[test]
fn without_ca_certificates_pin_says_so_and_writes_nothing() {
    let registry = TestRegistry::start(Kind::Http);
    let host = registry.host();
    registry.push_image("app/web", "v1", Platform::LINUX_AMD64);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pod.yaml");
    let input = pod(&format!("{host}/app/web:v1"));
    fs::write(&file, &input).unwrap();
    // Where rustls looks for the system's CA certificates: an empty folder and no bundle.
    let no_certificates = tempfile::tempdir().unwrap();
    for insecure in [true, false] {
        let mut args = vec!["pin", "-i", "-f", file.to_str().unwrap()];
        if insecure {
            args.extend(["--insecure-registry", &host]);
        }
        let run = Plugin::new(args)
            .env("SSL_CERT_FILE", no_certificates.path().join("none.pem"))
            .env("SSL_CERT_DIR", no_certificates.path())
            .run();
        assert_eq!(run.code, 2, "insecure: {insecure}; {}", run.stderr);
        assert!(
            run.stderr.contains(
                "cannot make an HTTP client: unexpected error: No CA certificates were loaded from the system \
                 (install the system's CA certificates, or name a bundle with SSL_CERT_FILE)"
            ),
            "{}",
            run.stderr
        );
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        assert_eq!(fs::read_to_string(&file).unwrap(), input, "nothing written");
    }
}

/// A docker config.json with Basic credentials for `host`.
fn docker_config(dir: &Path, host: &str, user: &str, password: &str) {
    use std::io::Write as _;
    let token = base64(format!("{user}:{password}").as_bytes());
    let mut file = fs::File::create(dir.join("config.json")).unwrap();
    write!(file, r#"{{"auths":{{"{host}":{{"auth":"{token}"}}}}}}"#).unwrap();
}

#[test]
fn basic_auth_uses_docker_config_and_never_prints_the_password() {
    let registry = TestRegistry::start(Kind::BasicAuth);
    let host = registry.host();
    let (user, password) = registry.credentials().unwrap();
    let digest = registry.push_image("private/app", "v1", Platform::LINUX_AMD64);
    let input = format!("kind: Pod\nspec:\n  containers:\n  - image: {host}/private/app:v1\n");

    let anonymous = pin(&registry, &["-f", "-"])
        .stdin(&input)
        .run()
        .expect_code(2);
    assert_eq!(
        anonymous.stderr,
        format!(
            "error: -:4:12: {host}/private/app:v1: {host} refused the credentials or asked for some (401)\n"
        )
    );

    let config = tempfile::tempdir().unwrap();
    docker_config(config.path(), &host, user, password);
    let run = pin(&registry, &["-f", "-"])
        .env("DOCKER_CONFIG", config.path())
        .stdin(&input)
        .run()
        .expect_code(0);
    assert!(
        run.stdout
            .contains(&format!("{host}/private/app:v1@{digest}"))
    );

    let wrong = tempfile::tempdir().unwrap();
    docker_config(wrong.path(), &host, user, "not-the-password-5f3a");
    let refused = pin(&registry, &["-f", "-"])
        .env("DOCKER_CONFIG", wrong.path())
        .stdin(&input)
        .run()
        .expect_code(2);
    for output in [&run.stdout, &run.stderr, &refused.stdout, &refused.stderr] {
        assert!(!output.contains(password) && !output.contains("not-the-password-5f3a"));
        assert!(!output.contains(&base64(format!("{user}:{password}").as_bytes())));
    }
}

#[test]
fn an_insecure_tls_host_is_sent_its_credentials() {
    let registry = TestRegistry::start(Kind::BasicAuthTls);
    let host = registry.host();
    let (user, password) = registry.credentials().unwrap();
    let digest = registry.push_image("private/app", "v1", Platform::LINUX_AMD64);
    let config = tempfile::tempdir().unwrap();
    docker_config(config.path(), &host, user, password);

    // Whether the host speaks TLS is asked without credentials, over TLS and plain HTTP at
    // once; the credentials then go over TLS, unverified as the user allowed.
    let run = pin(&registry, &["-f", "-"])
        .env("DOCKER_CONFIG", config.path())
        .stdin(&format!(
            "kind: Pod\nspec:\n  containers:\n  - image: {host}/private/app:v1\n"
        ))
        .run()
        .expect_code(0);
    assert!(
        run.stdout
            .contains(&format!("{host}/private/app:v1@{digest}")),
        "{}",
        run.stderr
    );
}

#[test]
fn over_tls_every_request_in_flight_shares_one_connection() {
    let registry = TestRegistry::start(Kind::Tls);
    let repositories: Vec<String> = (0..12).map(|i| format!("app/r{i}")).collect();
    let refs: Vec<(&str, &str)> = repositories.iter().map(|r| (r.as_str(), "v1")).collect();
    let digests = registry.push_many(&refs, &[Platform::LINUX_AMD64]);
    // Passes bytes through, TLS end to end, and counts connections.
    let proxy = TcpDrop::start(
        registry.host().parse().unwrap(),
        Plan {
            large: usize::MAX,
            nth: 0,
            cut: Cut::MidRequest,
            repeat: false,
            then_down: false,
        },
    );
    let host = proxy.host();
    let input: String = repositories
        .iter()
        .map(|r| pod(&format!("{host}/{r}:v1")) + "---\n")
        .collect();

    let run = Plugin::new(["pin", "--insecure-registry", &host, "-f", "-"])
        .stdin(&input)
        .run()
        .expect_code(0);
    for (repository, digest) in repositories.iter().zip(&digests) {
        assert!(
            run.stdout
                .contains(&format!("{host}/{repository}:v1@{digest}"))
        );
    }
    // HTTP/2: the connection of the first HEAD over TLS carries the other 11; the other is the
    // same HEAD over plain HTTP, asked at the same time. Over HTTP/1.1 they would take 12.
    assert!(
        proxy.accepted() <= 2,
        "{} connections for 12 images",
        proxy.accepted()
    );
}

#[test]
fn over_http2_concurrency_does_not_bound_the_requests_in_flight() {
    let registry = TestRegistry::start(Kind::Tls);
    let repositories: Vec<String> = (0..16).map(|i| format!("app/h{i}")).collect();
    let refs: Vec<(&str, &str)> = repositories.iter().map(|r| (r.as_str(), "v1")).collect();
    let digests = registry.push_many(&refs, &[Platform::LINUX_AMD64]);
    let host = registry.host();
    let input: String = repositories
        .iter()
        .map(|r| pod(&format!("{host}/{r}:v1")) + "---\n")
        .collect();

    // `--concurrency 1` bounds HTTP/1.1 connections; this registry answers in HTTP/2.
    let run = Plugin::new([
        "pin",
        "--insecure-registry",
        &host,
        "--concurrency",
        "1",
        "-v=6",
        "-f",
        "-",
    ])
    .stdin(&input)
    .run()
    .expect_code(0);
    for (repository, digest) in repositories.iter().zip(&digests) {
        assert!(
            run.stdout
                .contains(&format!("{host}/{repository}:v1@{digest}"))
        );
    }
    // Each HEAD's line is written when its answer came, with how long it took: the request
    // was in flight over [logged - took, logged], whole milliseconds dropped, so an overlap
    // of two such spans is an overlap of the real ones.
    let spans: Vec<(f64, f64)> = run
        .stderr
        .lines()
        .filter(|line| line.contains("] HEAD https://") && line.contains(" 200 OK in "))
        .map(|line| {
            let clock = line.split(' ').nth(1).expect("klog's time of day");
            let seconds: f64 = clock
                .split(':')
                .map(|part| part.parse::<f64>().unwrap())
                .fold(0.0, |total, part| total * 60.0 + part);
            let took: f64 = line
                .rsplit(" in ")
                .next()
                .and_then(|rest| rest.split(' ').next())
                .and_then(|ms| ms.parse().ok())
                .expect("milliseconds");
            (seconds - took / 1000.0, seconds)
        })
        .collect();
    assert_eq!(spans.len(), repositories.len(), "{}", run.stderr);
    let most_at_once = spans
        .iter()
        .map(|&(_, end)| {
            spans
                .iter()
                .filter(|&&(start, other_end)| start < end && end <= other_end)
                .count()
        })
        .max()
        .unwrap_or_default();
    assert!(
        most_at_once >= 2,
        "the HEADs went one at a time over HTTP/2: {}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&format!(
            "{host}: HTTP/2, every request at once on one connection"
        )),
        "{}",
        run.stderr
    );
}

#[test]
fn check_lists_unpinned_images_without_network() {
    let dir = tempfile::tempdir().unwrap();
    let digest = format!("sha256:{}", "a".repeat(64));
    fs::write(
        dir.path().join("a.yaml"),
        format!("kind: Pod\nspec:\n  containers:\n  - image: nginx:1\n  - image: redis@{digest}\n"),
    )
    .unwrap();
    let run = Plugin::new(["pin", "--check", "-f"])
        .current_dir(dir.path())
        .run();
    assert_eq!(run.code, 2, "-f needs a value");
    let run = Plugin::new(["pin", "--check", "-f", "."])
        .current_dir(dir.path())
        .run()
        .expect_code(1);
    assert_eq!(run.stdout, "./a.yaml:4: nginx:1\n");
    assert_eq!(run.stderr, "1 of 2 images are not pinned\n");

    fs::write(
        dir.path().join("a.yaml"),
        format!("kind: Pod\nspec:\n  containers:\n  - image: nginx:1@{digest}\n"),
    )
    .unwrap();
    let run = Plugin::new(["pin", "--check", "-q", "-f", "a.yaml"])
        .current_dir(dir.path())
        .run()
        .expect_code(0);
    assert_eq!((run.stdout.as_str(), run.stderr.as_str()), ("", ""));
}

#[test]
fn in_place_writes_only_changed_files_and_nothing_when_one_image_fails() {
    let registry = TestRegistry::start(Kind::Http);
    let host = registry.host();
    let digest = registry.push_image("app/web", "v1", Platform::LINUX_AMD64);
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("k8s/base");
    fs::create_dir_all(&nested).unwrap();
    let good = nested.join("web.yaml");
    let untouched = dir.path().join("k8s/service.yml");
    let bad = dir.path().join("k8s/worker.json");
    let pod =
        |image: &str| format!("kind: Pod\r\nspec:\r\n  containers:\r\n  - image: {image}\r\n");
    fs::write(&good, pod(&format!("{host}/app/web:v1"))).unwrap();
    fs::write(&untouched, "kind: Service\nmetadata: {name: web}\n").unwrap();
    fs::write(
        &bad,
        format!(
            r#"{{"kind":"Pod","spec":{{"containers":[{{"image":"{host}/app/missing:v1"}}]}}}}"#
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&good, fs::Permissions::from_mode(0o640)).unwrap();
    }
    let snapshot = |path: &Path| {
        (
            fs::read(path).unwrap(),
            fs::metadata(path).unwrap().modified().unwrap(),
        )
    };
    let before = [snapshot(&good), snapshot(&untouched), snapshot(&bad)];

    let k8s = dir.path().join("k8s");
    let k8s = k8s.to_str().unwrap();
    let failed = pin(&registry, &["-f", k8s, "-R", "--in-place"])
        .run()
        .expect_code(2);
    assert_eq!(
        failed.stderr,
        format!("error: {k8s}/worker.json:1:46: {host}/app/missing:v1: not found on {host}\n")
    );
    assert_eq!(
        [snapshot(&good), snapshot(&untouched), snapshot(&bad)],
        before
    );

    fs::remove_file(&bad).unwrap();
    pin(&registry, &["-f", k8s, "-R", "-i", "-q"])
        .run()
        .expect_code(0);
    assert_eq!(
        fs::read_to_string(&good).unwrap(),
        pod(&format!("{host}/app/web:v1@{digest}")),
        "CRLF kept"
    );
    assert_eq!(
        snapshot(&untouched),
        before[1],
        "an unchanged file is not touched"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            fs::metadata(&good).unwrap().permissions().mode() & 0o777,
            0o640
        );
    }
    let leftovers: Vec<_> = fs::read_dir(&nested)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, ["web.yaml"], "no temporary file left behind");
}

#[test]
fn a_lock_file_lets_offline_pin_reproduce_the_result_without_the_registry() {
    let registry = TestRegistry::start(Kind::Http);
    let host = registry.host();
    let web = registry.push_image("app/web", "v1", Platform::LINUX_AMD64);
    let dir = tempfile::tempdir().unwrap();
    let lock = dir.path().join("immutable.lock");
    let lock = lock.to_str().unwrap();
    let input = manifest(&host);
    let online = pin(
        &registry,
        &["-f", "-", "--lock", lock, "--platform", "linux/amd64"],
    )
    .stdin(&input.replace("app/multi", "app/web"))
    .run()
    .expect_code(0);
    assert_eq!(
        fs::read_to_string(lock).unwrap(),
        format!(
            "{{\n  \"version\": 1,\n  \"platform\": \"linux/amd64\",\n  \"images\": {{\n    \"{host}/app/web:v1\": \"{web}\"\n  }}\n}}\n"
        )
    );
    drop(registry);

    let offline = |input: &str| {
        Plugin::new([
            "pin",
            "-f",
            "-",
            "--offline",
            "--lock",
            lock,
            "--platform",
            "linux/amd64",
        ])
        .stdin(input)
        .run()
    };
    let reproduced = offline(&input.replace("app/multi", "app/web")).expect_code(0);
    assert_eq!(reproduced.stdout, online.stdout);
    assert_eq!(
        reproduced.stderr,
        "pinned 3 images (1 distinct) in 1 file; 0 already pinned; from the lock file\n"
    );

    let lacking = offline(&input).expect_code(2);
    assert_eq!(
        lacking.stderr,
        format!(
            "error: -:11:30: {host}/app/multi:v1: not in the lock file (run without --offline to resolve it)\n"
        )
    );
    let other_platform = Plugin::new(["pin", "-f", "-", "--offline", "--lock", lock])
        .stdin(&input)
        .run()
        .expect_code(2);
    assert!(
        other_platform
            .stderr
            .contains("was made for linux/amd64, not for no --platform")
    );
}

#[test]
fn verify_reports_tags_that_moved() {
    let registry = TestRegistry::start(Kind::Http);
    let host = registry.host();
    let old = registry.push_image("app/web", "v1", Platform::LINUX_AMD64);
    let input = format!("kind: Pod\nspec:\n  containers:\n  - image: {host}/app/web:v1@{old}\n");
    pin(&registry, &["-f", "-", "--verify"])
        .stdin(&input)
        .run()
        .expect_code(0);

    let new = registry.tag_again("app/web", "v1", Platform::LINUX_AMD64, "re-pushed");
    assert_ne!(new, old);
    let moved = pin(&registry, &["-f", "-", "--verify"])
        .stdin(&input)
        .run()
        .expect_code(1);
    assert_eq!(moved.stdout, "");
    assert_eq!(
        moved.stderr,
        format!("-:4: {host}/app/web:v1@{old}: the tag now points at {new}\n")
    );

    let gone = format!("sha256:{}", "b".repeat(64));
    let absent = pin(&registry, &["-f", "-", "--verify"])
        .stdin(&format!(
            "kind: Pod\nspec:\n  containers:\n  - image: {host}/app/web@{gone}\n"
        ))
        .run()
        .expect_code(1);
    assert_eq!(
        absent.stderr,
        format!("-:4: {host}/app/web@{gone}: the digest does not exist\n")
    );
}

#[test]
fn bad_input_names_file_line_and_image_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| fs::write(dir.path().join(name), text).unwrap();
    write(
        "a-upper.yaml",
        "kind: Pod\nspec:\n  containers:\n  - image: Nginx:1\n",
    );
    write(
        "b-empty-tag.yaml",
        "kind: Pod\nspec:\n  containers:\n  - image: 'nginx:'\n",
    );
    write(
        "c-bad-host.yaml",
        "kind: Pod\nspec:\n  containers:\n  - image: exa_mple.com/web:1\n",
    );
    write(
        "c-short-digest.yaml",
        "kind: Pod\nspec:\n  containers:\n  - image: nginx@sha256:abc\n",
    );
    write("d-broken.yaml", "kind: Pod\nspec: [\n");
    let run = Plugin::new(["pin", "-f", ".", "-f", "missing.yaml"])
        .current_dir(dir.path())
        .run()
        .expect_code(2);
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "error: missing.yaml: No such file or directory (os error 2)\n"
    );
    let run = Plugin::new(["pin", "-f", "."])
        .current_dir(dir.path())
        .run()
        .expect_code(2);
    assert_eq!(
        run.stderr,
        "\
error: ./a-upper.yaml:4:12: invalid image reference \"Nginx:1\": repository name must be lowercase (at character 1 of the value)
error: ./b-empty-tag.yaml:4:12: invalid image reference \"nginx:\": empty tag (at the end of the value)
error: ./c-bad-host.yaml:4:12: invalid image reference \"exa_mple.com/web:1\": invalid registry host \"exa_mple.com\": unexpected \"_\" (at character 4 of the value)
error: ./c-short-digest.yaml:4:12: invalid image reference \"nginx@sha256:abc\": invalid digest: sha256 needs 64 hex digits (at character 14 of the value)
error: ./d-broken.yaml:3:1: invalid YAML: while parsing a node, did not find expected node content
"
    );
}

#[test]
fn custom_resources_come_from_image_path_flags_and_the_config_file() {
    let registry = TestRegistry::start(Kind::Http);
    let host = registry.host();
    let runner = registry.push_image("ci/runner", "v2", Platform::LINUX_AMD64);
    let step = registry.push_image("ci/step", "v1", Platform::LINUX_AMD64);
    let dir = tempfile::tempdir().unwrap();
    let input = format!(
        "kind: Pipeline\nspec:\n  runner:\n    image: {host}/ci/runner:v2\n  steps:\n  - run: make\n    image: {host}/ci/step:v1\n"
    );
    fs::write(dir.path().join("pipeline.yaml"), &input).unwrap();

    let nothing = pin(&registry, &["-f", "pipeline.yaml"])
        .current_dir(dir.path())
        .run()
        .expect_code(0);
    assert_eq!(nothing.stdout, input, "no rule names Pipeline yet");

    fs::write(
        dir.path().join(".kubectl-immutable.yaml"),
        "imagePaths: [\"Pipeline:spec.steps[].image\"]\n",
    )
    .unwrap();
    let run = pin(
        &registry,
        &[
            "-f",
            "pipeline.yaml",
            "--image-path",
            "Pipeline:spec.runner.image",
            "--report",
            "json",
        ],
    )
    .current_dir(dir.path())
    .run()
    .expect_code(0);
    assert_eq!(
        run.stdout,
        input
            .replace("runner:v2", &format!("runner:v2@{runner}"))
            .replace("step:v1", &format!("step:v1@{step}"))
    );
    let report: serde_json::Value =
        serde_json::from_str(run.stderr.split_once("\npinned").unwrap().0).unwrap();
    assert_eq!(
        report,
        serde_json::json!([
            {"file": "pipeline.yaml", "line": 4, "original": format!("{host}/ci/runner:v2"),
             "pinned": format!("{host}/ci/runner:v2@{runner}"), "digest": runner, "platform": null},
            {"file": "pipeline.yaml", "line": 7, "original": format!("{host}/ci/step:v1"),
             "pinned": format!("{host}/ci/step:v1@{step}"), "digest": step, "platform": null},
        ])
    );
}

#[test]
fn an_unreachable_registry_is_one_line_per_place_and_exit_2() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let host = closed.local_addr().unwrap().to_string();
    drop(closed);
    let input =
        format!("kind: Pod\nspec:\n  containers:\n  - image: {host}/a:1\n  - image: {host}/a:1\n");
    let run = Plugin::new([
        "pin",
        "-f",
        "-",
        "--insecure-registry",
        &host,
        "--registry-timeout",
        "2",
    ])
    .stdin(&input)
    .run()
    .expect_code(2);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{}", run.stderr);
    for (line, number) in lines.iter().zip([4, 5]) {
        assert!(
            line.starts_with(&format!(
                "error: -:{number}:12: {host}/a:1: cannot reach {host}: "
            )),
            "{line}"
        );
    }
    assert_eq!(run.stdout, "");
}

#[test]
fn in_place_writes_through_symbolic_links_and_keeps_them() {
    use std::os::unix::fs::{PermissionsExt, symlink};
    let registry = TestRegistry::start(Kind::Http);
    let host = registry.host();
    let web = registry.push_image("app/web", "v1", Platform::LINUX_AMD64);
    let repo = tempfile::tempdir().unwrap();
    let base = repo.path().join("base");
    fs::create_dir(&base).unwrap();
    let shared = base.join("web.yaml");
    let text =
        format!("kind: Pod\nspec:\n  containers:\n  - {{name: web, image: {host}/app/web:v1}}\n");
    fs::write(&shared, &text).unwrap();
    fs::set_permissions(&shared, fs::Permissions::from_mode(0o640)).unwrap();
    // Two overlays share the base through links; the walk reaches it three times.
    for overlay in ["staging", "prod"] {
        let dir = repo.path().join(overlay);
        fs::create_dir(&dir).unwrap();
        symlink("../base/web.yaml", dir.join("web.yaml")).unwrap();
    }
    let root = repo.path().display().to_string();
    let run = pin(&registry, &["-f", &root, "-R", "-i"])
        .run()
        .expect_code(0);
    assert!(run.stderr.contains("pinned 3 images"), "{}", run.stderr);
    for overlay in ["staging", "prod"] {
        let link = repo.path().join(overlay).join("web.yaml");
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read_link(&link).unwrap(), Path::new("../base/web.yaml"));
    }
    assert_eq!(
        fs::read_to_string(&shared).unwrap(),
        text.replace("web:v1}", &format!("web:v1@{web}}}"))
    );
    let mode = fs::metadata(&shared).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640, "the target keeps its own permissions");
    let leftovers: Vec<_> = fs::read_dir(&base).unwrap().collect();
    assert_eq!(
        leftovers.len(),
        1,
        "no temporary file left beside the target"
    );

    // A dangling link is named, and nothing is written.
    let dangling = repo.path().join("gone.yaml");
    symlink("nowhere.yaml", &dangling).unwrap();
    let dangling = dangling.display().to_string();
    let run = pin(&registry, &["-f", &dangling, "-i"])
        .run()
        .expect_code(2);
    assert_eq!(
        run.stderr,
        format!("error: {dangling}: a symbolic link to nowhere.yaml, which does not exist\n")
    );
}

#[test]
fn every_bad_image_value_of_a_file_is_reported_not_only_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for (name, image) in [("a", "42"), ("b", "~"), ("c", "Nginx:1")] {
        text.push_str(&format!(
            "---\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n  containers:\n  - name: app\n    # the image\n    image: {image}\n"
        ));
    }
    // The three values sit on lines 9, 19 and 29.
    let lines: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, line)| line.contains("image: "))
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(lines, [9, 18, 27]);
    let file = dir.path().join("pods.yaml");
    fs::write(&file, &text).unwrap();
    let file = file.display().to_string();
    for mode in [&["-f", &file][..], &["-f", &file, "--check"]] {
        let run = Plugin::new([&["pin"][..], mode].concat())
            .run()
            .expect_code(2);
        let errors: Vec<&str> = run.stderr.lines().collect();
        assert_eq!(
            errors,
            [
                format!("error: {file}:9:12: the image of Pod is a number, not a string"),
                format!("error: {file}:18:12: the image of Pod is null, not a string"),
                format!(
                    "error: {file}:27:12: invalid image reference \"Nginx:1\": repository name must be lowercase (at character 1 of the value)"
                ),
            ],
            "{}",
            run.stderr
        );
        assert_eq!(run.stdout, "");
    }
}

#[test]
fn an_empty_operator_image_field_is_unset_but_an_empty_container_image_is_an_error() {
    let registry = TestRegistry::start(Kind::Http);
    let host = registry.host();
    let web = registry.push_image("app/web", "v1", Platform::LINUX_AMD64);
    let dir = tempfile::tempdir().unwrap();
    // As openshift/cluster-monitoring-operator's assets write them: "" is the operator's default.
    let prometheus = format!(
        "\
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {{name: k8s}}
spec:
  image: \"\"
  thanos:
    image: ''
  containers:
  - name: sidecar
    image: {host}/app/web:v1
---
apiVersion: monitoring.coreos.com/v1
kind: Alertmanager
metadata: {{name: main}}
spec:
  image: \"\"
"
    );
    let file = dir.path().join("prometheus.yaml");
    fs::write(&file, &prometheus).unwrap();
    let file = file.display().to_string();
    let run = pin(&registry, &["-f", &file]).run().expect_code(0);
    assert_eq!(
        run.stdout,
        prometheus.replace("web:v1\n", &format!("web:v1@{web}\n"))
    );
    assert!(
        run.stderr
            .contains("3 empty image fields left to their operator's default"),
        "{}",
        run.stderr
    );
    let check = pin(&registry, &["-f", &file, "--check"])
        .run()
        .expect_code(1);
    assert!(
        check
            .stderr
            .starts_with("1 of 1 images are not pinned; 3 empty image fields"),
        "{}",
        check.stderr
    );

    let container = file.replace("prometheus.yaml", "pod.yaml");
    fs::write(
        &container,
        "kind: Pod\nspec:\n  containers:\n  - {name: web, image: \"\"}\n",
    )
    .unwrap();
    let run = pin(&registry, &["-f", &container, "--check"])
        .run()
        .expect_code(2);
    assert!(
        run.stderr.starts_with(&format!(
            "error: {container}:4:24: invalid image reference \"\""
        )),
        "{}",
        run.stderr
    );
}

#[test]
fn outputs_are_checked_before_anything_is_written() {
    let registry = TestRegistry::start(Kind::Http);
    let host = registry.host();
    registry.push_image("app/web", "v1", Platform::LINUX_AMD64);
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("app.yaml");
    let other = dir.path().join("other.yaml");
    let text = pod(&format!("{host}/app/web:v1"));
    fs::write(&app, &text).unwrap();
    fs::write(
        &other,
        pod("busybox@sha256:0000000000000000000000000000000000000000000000000000000000000000"),
    )
    .unwrap();
    let lock = dir.path().join("immutable.lock");
    let [app_arg, other_arg, lock_arg] = [&app, &other, &lock].map(|p| p.display().to_string());
    let missing = dir.path().join("reports/pin.json").display().to_string();
    let dir_arg = dir.path().display().to_string();
    let in_dir = |name: &str| dir.path().join(name).display().to_string();
    for (extra, expected) in [
        (
            vec!["--report-file", &missing],
            format!(
                "error: {missing}: --report-file: the folder {} does not exist\n",
                in_dir("reports")
            ),
        ),
        (
            vec!["--report-file", &dir_arg],
            format!("error: {dir_arg}: --report-file: a folder, not a file\n"),
        ),
        (
            vec!["--report-file", &other_arg],
            format!(
                "error: {other_arg}: --report-file names the input {other_arg}: refused, it would be replaced\n"
            ),
        ),
        (
            vec!["--report-file", &lock_arg],
            format!(
                "error: {lock_arg}: --report-file names the lock file: refused, it would be replaced\n"
            ),
        ),
    ] {
        for in_place in [true, false] {
            let mut args = vec![
                "-f", &app_arg, &other_arg, "--lock", &lock_arg, "--report", "json",
            ];
            args.extend(&extra);
            if in_place {
                args.push("-i");
            }
            let run = pin(&registry, &args).run().expect_code(2);
            assert_eq!(
                (run.stdout.as_str(), run.stderr.as_str()),
                ("", expected.as_str()),
                "{args:?}"
            );
            assert_eq!(fs::read_to_string(&app).unwrap(), text, "{args:?}");
            assert!(!lock.exists(), "{args:?}");
        }
    }
    // The lock file cannot be an input either, nor, through a link, the same file.
    let link = dir.path().join("link.lock");
    std::os::unix::fs::symlink(&other, &link).unwrap();
    let link_arg = link.display().to_string();
    let run = pin(
        &registry,
        &["-f", &app_arg, &other_arg, "--lock", &link_arg, "-i"],
    )
    .run()
    .expect_code(2);
    assert_eq!(
        run.stderr,
        format!(
            "error: {link_arg}: --lock names the input {other_arg}: refused, it would be replaced\n"
        )
    );
    assert_eq!(fs::read_to_string(&app).unwrap(), text);

    // Nor the config file read.
    let config = dir.path().join("config.yaml");
    fs::write(&config, "imagePaths: []\n").unwrap();
    let config_arg = config.display().to_string();
    let run = pin(
        &registry,
        &[
            "-f",
            &app_arg,
            "--config",
            &config_arg,
            "--report",
            "json",
            "--report-file",
            &config_arg,
        ],
    )
    .run()
    .expect_code(2);
    assert_eq!(
        run.stderr,
        format!(
            "error: {config_arg}: --report-file names the input {config_arg}: refused, it would be replaced\n"
        )
    );
    assert_eq!(fs::read_to_string(&config).unwrap(), "imagePaths: []\n");

    // Outputs that collide with nothing are written.
    let report = in_dir("report.json");
    pin(
        &registry,
        &[
            "-f",
            &app_arg,
            "--lock",
            &lock_arg,
            "--report",
            "json",
            "--report-file",
            &report,
            "-i",
        ],
    )
    .run()
    .expect_code(0);
    assert!(fs::read_to_string(&report).unwrap().contains("app/web:v1"));
    assert!(lock.exists());
}

#[test]
fn a_killed_run_s_temporaries_are_removed_by_the_next_run_and_nothing_else() {
    let registry = TestRegistry::start(Kind::Http);
    let host = registry.host();
    registry.push_image("app/web", "v1", Platform::LINUX_AMD64);
    let dir = tempfile::tempdir().unwrap();
    let untouched = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("app.yaml"),
        pod(&format!("{host}/app/web:v1")),
    )
    .unwrap();
    let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(2 * 3600);
    let write = |folder: &Path, name: &str, old: bool| {
        let path = folder.join(name);
        fs::write(&path, "half a manifest").unwrap();
        if old {
            fs::File::options()
                .write(true)
                .open(&path)
                .unwrap()
                .set_modified(two_hours_ago)
                .unwrap();
        }
    };
    write(dir.path(), ".kubectl-immutable-Ab12Cd", true);
    write(dir.path(), ".kubectl-immutable-Ef34Gh", false);
    write(dir.path(), ".kubectl-immutable-Ab12Cd.yaml", true);
    write(dir.path(), ".kubectl-immutable-Ab12C", true);
    write(dir.path(), "kubectl-immutable-Ab12Cd", true);
    write(untouched.path(), ".kubectl-immutable-Ab12Cd", true);
    let dir_arg = dir.path().display().to_string();
    pin(&registry, &["-f", &dir_arg, "-i"]).run().expect_code(0);
    let mut left: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(
        left,
        [
            ".kubectl-immutable-Ab12C",
            ".kubectl-immutable-Ab12Cd.yaml",
            ".kubectl-immutable-Ef34Gh",
            "app.yaml",
            "kubectl-immutable-Ab12Cd"
        ]
    );
    assert!(untouched.path().join(".kubectl-immutable-Ab12Cd").exists());
}
