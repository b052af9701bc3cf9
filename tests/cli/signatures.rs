//! Signature policies (issue 20) through the built binary, against the real registry: cosign
//! signatures made without cosign (a P-256 key from Debian's `openssl`, the simple-signing
//! payload signed with `openssl dgst -sha256 -sign`), their manifest built as an OCI layout and
//! pushed with `skopeo` under the digest's `sha256-<hex>.sig` tag. Each signature is checked by
//! an independent verifier too: `openssl dgst -sha256 -verify`, and the payload's digest read
//! with a JSON parser.

use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::common::{deployment, docker_config_auths, pod, snapshot, template_image};
use crate::support::cluster::cluster;
use crate::support::faults::{FaultProxy, base64};
use crate::support::plugin::{Plugin, Run};
use crate::support::registry::{Kind, Platform, TestRegistry};
use crate::support::signing::{SigningKey, simple_signing_payload};

/// A registry, the policy's key (copied beside the policy as `acme.pub`) and another key, and a
/// working directory holding the manifests, the policy and the lock.
struct Setup {
    registry: TestRegistry,
    key: SigningKey,
    other: SigningKey,
    work: tempfile::TempDir,
}

impl Setup {
    fn new(kind: Kind) -> Setup {
        let setup = Setup {
            registry: TestRegistry::start(kind),
            key: SigningKey::generate(),
            other: SigningKey::generate(),
            work: tempfile::tempdir().unwrap(),
        };
        fs::copy(setup.key.public_path(), setup.path("acme.pub")).unwrap();
        setup
    }

    fn host(&self) -> String {
        self.registry.host()
    }

    fn path(&self, name: &str) -> String {
        self.work.path().join(name).display().to_string()
    }

    fn write(&self, name: &str, text: &str) -> String {
        fs::write(self.path(name), text).unwrap();
        self.path(name)
    }

    /// `repo:tag` pushed; its digest.
    fn push(&self, repo: &str, tag: &str) -> String {
        self.registry.push_image(repo, tag, Platform::LINUX_AMD64)
    }

    /// A signature by `key` of a payload naming `repo` of this registry and `digest`, checked
    /// by openssl and a JSON parser before it is used.
    fn signature(&self, key: &SigningKey, repo: &str, digest: &str) -> (Vec<u8>, String) {
        let payload = simple_signing_payload(&format!("{}/{repo}", self.host()), digest);
        let signature = key.sign(&payload);
        assert!(key.openssl_verifies(&payload, &signature));
        let parsed: Value = serde_json::from_slice(&payload).unwrap();
        assert_eq!(
            parsed["critical"]["image"]["docker-manifest-digest"],
            digest
        );
        (payload, signature)
    }

    /// `repo:tag` pushed and signed by the policy's key; its digest.
    fn push_signed(&self, repo: &str, tag: &str) -> String {
        let digest = self.push(repo, tag);
        let signature = self.signature(&self.key, repo, &digest);
        self.registry.push_signatures(repo, &digest, &[signature]);
        digest
    }

    /// `repo:tag` pushed and signed by the policy's key, the payload naming `name` (as cosign
    /// signing it under that name wrote it, e.g. through a mirror); its digest.
    fn push_signed_as(&self, repo: &str, tag: &str, name: &str) -> String {
        let digest = self.push(repo, tag);
        let payload = simple_signing_payload(name, &digest);
        let signature = self.key.sign(&payload);
        self.registry
            .push_signatures(repo, &digest, &[(payload, signature)]);
        digest
    }

    /// `pin -f app` of images written as `acme.example/…`, resolved through `proxy` as its
    /// mirror, under a policy that `acme.example/acme` needs the policy's key.
    fn pin_through_mirror(&self, proxy: &FaultProxy, app: &str) -> Run {
        let policy = self.write(
            "policy.yaml",
            "rules:\n- images: acme.example/acme\n  key: acme.pub\n",
        );
        let mirror = format!("acme.example={}", proxy.host());
        Plugin::new([
            "pin",
            "-f",
            app,
            "--registry-mirror",
            &mirror,
            "--insecure-registry",
            &proxy.host(),
            "--signature-policy",
            &policy,
        ])
        .run()
    }

    /// The policy: `acme/*` of this registry needs the policy's key, `library/*` is skipped,
    /// then `default`.
    fn policy(&self, default: &str) -> String {
        let host = self.host();
        self.write(
            "policy.yaml",
            &format!(
                "rules:\n\
                 - images: {host}/library/*\n  skip: true\n\
                 - images: \"{host}/acme/*\"\n  key: acme.pub\n\
                 default: {default}\n"
            ),
        )
    }

    fn pin(&self, args: &[&str]) -> Plugin {
        let host = self.host();
        let mut all = vec!["pin", "--insecure-registry", host.as_str()];
        all.extend(args);
        Plugin::new(all.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }
}

/// `pin`'s arguments to pin `app` in place with `lock` under `policy`.
fn in_place<'a>(app: &'a str, lock: &'a str, policy: &'a str) -> [&'a str; 7] {
    [
        "-f",
        app,
        "-i",
        "--lock",
        lock,
        "--signature-policy",
        policy,
    ]
}

fn assert_unchanged(before: &[(std::path::PathBuf, Vec<u8>, std::time::SystemTime)], dir: &Path) {
    assert_eq!(before, snapshot(dir).as_slice(), "no file written");
}

#[test]
fn a_digest_signed_by_the_policy_key_is_pinned_and_recorded() {
    let setup = Setup::new(Kind::Http);
    let host = setup.host();
    let digest = setup.push_signed("acme/app", "v1");
    // Two signatures, only one of them by the policy's key: one valid signature suffices.
    let two = setup.push("acme/two", "v1");
    let by_other = setup.signature(&setup.other, "acme/two", &two);
    let by_key = setup.signature(&setup.key, "acme/two", &two);
    assert!(!setup.other.openssl_verifies(&by_key.0, &by_key.1));
    setup
        .registry
        .push_signatures("acme/two", &two, &[by_other, by_key]);
    let app = setup.write(
        "app.yaml",
        &format!(
            "{}---\n{}",
            pod(&format!("{host}/acme/app:v1")),
            pod(&format!("{host}/acme/two:v1"))
        ),
    );
    let policy = setup.policy("deny");
    let (lock, report) = (setup.path("immutable.lock"), setup.path("report.json"));
    let report_args = ["--report", "json", "--report-file", &report];
    let run = setup
        .pin(&[&in_place(&app, &lock, &policy)[..], &report_args].concat())
        .run()
        .expect_code(0);
    assert_eq!(
        run.stderr,
        format!("pinned 2 images (2 distinct) in 1 file; 0 already pinned; from {host} 2\n")
    );
    let pinned = fs::read_to_string(&app).unwrap();
    assert!(pinned.contains(&format!("image: {host}/acme/app:v1@{digest}\n")));
    assert!(pinned.contains(&format!("image: {host}/acme/two:v1@{two}\n")));

    let lock: Value = serde_json::from_str(&fs::read_to_string(&lock).unwrap()).unwrap();
    let rule = format!("{host}/acme/*");
    for (repo, digest) in [("acme/app", &digest), ("acme/two", &two)] {
        let record = &lock["signatures"][format!("{host}/{repo}@{digest}")];
        assert_eq!(record["rule"], rule.as_str());
        assert_eq!(record["key"], "acme.pub");
        assert_eq!(record["keyDigest"], setup.key.spki_sha256());
        assert!(record["signed"]["simpleSigning"]["signature"].is_string());
    }
    let report: Value = serde_json::from_str(&fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(
        report[0]["signature"],
        serde_json::json!({"outcome": "verified", "rule": rule, "key": "acme.pub"})
    );
    assert_eq!(report[0]["digest"], digest.as_str());
}

#[test]
fn unsigned_other_keys_and_replayed_signatures_are_refused_and_nothing_is_written() {
    let setup = Setup::new(Kind::Http);
    let host = setup.host();
    let signed = setup.push_signed("acme/signed", "v1");
    let unsigned = setup.push("acme/unsigned", "v1");
    let other = setup.push("acme/other", "v1");
    let by_other = setup.signature(&setup.other, "acme/other", &other);
    setup
        .registry
        .push_signatures("acme/other", &other, &[by_other]);
    // A signature by the right key, of another digest, copied under this digest's tag.
    let replayed = setup.push("acme/replayed", "v1");
    let replay = setup.signature(&setup.key, "acme/replayed", &signed);
    setup
        .registry
        .push_signatures("acme/replayed", &replayed, &[replay]);
    let images = ["signed", "unsigned", "other", "replayed"]
        .map(|name| pod(&format!("{host}/acme/{name}:v1")))
        .join("---\n");
    let app = setup.write("app.yaml", &images);
    let policy = setup.policy("deny");
    let lock = setup.path("immutable.lock");
    let before = snapshot(setup.work.path());
    let run = setup
        .pin(&in_place(&app, &lock, &policy))
        .run()
        .expect_code(2);
    let rule = format!("rule {host}/acme/*");
    assert_eq!(
        run.stderr,
        format!(
            "error: {app}:9:12: {host}/acme/unsigned:v1: no valid signature for {unsigned} ({rule}: no signature found)\n\
             error: {app}:14:12: {host}/acme/other:v1: no valid signature for {other} ({rule}: 1 signature, not verified by key acme.pub)\n\
             error: {app}:19:12: {host}/acme/replayed:v1: no valid signature for {replayed} ({rule}: 1 signature; the one verified by key acme.pub signs {signed}, another digest (a replay))\n"
        )
    );
    assert_eq!(run.stdout, "");
    assert_unchanged(&before, setup.work.path());

    // On stdout too, nothing but the errors.
    let run = setup
        .pin(&["-f", &app, "--signature-policy", &policy])
        .run()
        .expect_code(2);
    assert_eq!(run.stdout, "");
    // Helm's post-renderer refuses them as well: nothing on stdout for Helm to install.
    let run = Plugin::new([
        "postrender",
        "--insecure-registry",
        &host,
        "--signature-policy",
        &policy,
    ])
    .stdin(&images)
    .run()
    .expect_code(2);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.starts_with(&format!(
            "error: -:9:12: {host}/acme/unsigned:v1: no valid signature for {unsigned}"
        )),
        "{}",
        run.stderr
    );
}

#[test]
fn a_refresh_to_an_unsigned_image_keeps_the_old_pin() {
    let setup = Setup::new(Kind::Http);
    let host = setup.host();
    let old = setup.push_signed("acme/app", "stable");
    let app = setup.write("app.yaml", &pod(&format!("{host}/acme/app:stable")));
    let policy = setup.policy("deny");
    let lock = setup.path("immutable.lock");
    let pin = in_place(&app, &lock, &policy);
    setup.pin(&pin).run().expect_code(0);
    let pinned = fs::read_to_string(&app).unwrap();
    assert!(pinned.contains(&format!("acme/app:stable@{old}")));

    // The tag is pushed again, to an image nobody signed.
    let new = setup
        .registry
        .tag_again("acme/app", "stable", Platform::LINUX_AMD64, "rebuilt");
    assert_ne!(new, old);
    let before = snapshot(setup.work.path());
    let mut refresh = pin.to_vec();
    refresh.push("--refresh");
    let run = setup.pin(&refresh).run().expect_code(2);
    assert_eq!(
        run.stderr,
        format!(
            "error: {app}:4:12: {host}/acme/app:stable@{old}: no valid signature for {new} \
             (rule {host}/acme/*: no signature found)\n"
        )
    );
    assert_unchanged(&before, setup.work.path());
    assert_eq!(
        fs::read_to_string(&app).unwrap(),
        pinned,
        "the old pin is kept"
    );

    // --verify re-checks what is written: the old digest is signed; a file pinned to the new,
    // unsigned one is reported.
    setup
        .pin(&["-f", &app, "--verify", "--signature-policy", &policy])
        .run()
        .expect_code(1);
    let moved = setup.write("moved.yaml", &pod(&format!("{host}/acme/app:stable@{new}")));
    let run = setup
        .pin(&["-f", &moved, "--verify", "--signature-policy", &policy])
        .run()
        .expect_code(1);
    assert_eq!(
        run.stderr,
        format!(
            "{moved}:4: {host}/acme/app:stable@{new}: no valid signature for {new} \
             (rule {host}/acme/*: no signature found)\n"
        )
    );
}

/// Issue 27, item 2: a digest written by hand (`name@sha256:…`, `tag@sha256:…`) is judged as
/// one a tag resolved to is, by `pin` (to stdout and `-i`), `pin --refresh` and `postrender`:
/// it is written or passed through all the same.
#[test]
fn a_digest_written_by_hand_is_judged_as_a_pinned_one_is() {
    let setup = Setup::new(Kind::Http);
    let host = setup.host();
    let signed = setup.push_signed("acme/web", "v1");
    let unsigned = setup.push("acme/worker", "v1");
    let loose = setup.push("loose/app", "v1");
    let policy = setup.policy("deny");
    let lock = setup.path("immutable.lock");
    let rule = format!("rule {host}/acme/*");
    let postrender = |stdin: &str| {
        Plugin::new([
            "postrender",
            "--insecure-registry",
            &host,
            "--signature-policy",
            &policy,
        ])
        .stdin(stdin)
        .run()
    };
    for (image, why) in [
        (
            format!("{host}/acme/worker@{unsigned}"),
            format!("no valid signature for {unsigned} ({rule}: no signature found)"),
        ),
        (
            format!("{host}/acme/worker:v1@{unsigned}"),
            format!("no valid signature for {unsigned} ({rule}: no signature found)"),
        ),
        (
            format!("{host}/loose/app@{loose}"),
            format!(
                "no rule of the signature policy matches {host}/loose/app, and its default is deny"
            ),
        ),
    ] {
        let manifest = pod(&image);
        let app = setup.write("app.yaml", &manifest);
        let before = snapshot(setup.work.path());
        let to_stdout = ["-f", app.as_str(), "--signature-policy", &policy];
        let refresh = [&to_stdout[..], &["--refresh"]].concat();
        for args in [&to_stdout[..], &in_place(&app, &lock, &policy), &refresh] {
            let run = setup.pin(args).run().expect_code(2);
            assert_eq!(
                run.stderr,
                format!("error: {app}:4:12: {image}: {why}\n"),
                "{args:?}"
            );
            assert_eq!(run.stdout, "", "{args:?}");
            assert_unchanged(&before, setup.work.path());
        }
        let run = postrender(&manifest).expect_code(2);
        assert_eq!(run.stderr, format!("error: -:4:12: {image}: {why}\n"));
        assert_eq!(run.stdout, "", "nothing for Helm to install");
    }

    // A digest signed by the policy's key passes, written by hand or not, and is recorded.
    let manifest = format!(
        "{}---\n{}",
        pod(&format!("{host}/acme/web@{signed}")),
        pod(&format!("{host}/acme/web:v1"))
    );
    let app = setup.write("app.yaml", &manifest);
    setup
        .pin(&in_place(&app, &lock, &policy))
        .run()
        .expect_code(0);
    let recorded: Value = serde_json::from_str(&fs::read_to_string(&lock).unwrap()).unwrap();
    assert!(recorded["signatures"][format!("{host}/acme/web@{signed}")].is_object());
    let run = postrender(&manifest).expect_code(0);
    assert!(
        run.stdout
            .contains(&format!("image: {host}/acme/web@{signed}\n"))
    );
}

#[test]
fn skip_rules_and_the_default_decide_for_images_without_a_key() {
    let setup = Setup::new(Kind::Http);
    let host = setup.host();
    let official = setup.push("library/nginx", "1");
    let loose = setup.push("loose/app", "1");
    let app = setup.write(
        "app.yaml",
        &format!(
            "{}---\n{}",
            pod(&format!("{host}/library/nginx:1")),
            pod(&format!("{host}/loose/app:1"))
        ),
    );
    let deny = setup.policy("deny");
    let run = setup
        .pin(&["-f", &app, "--signature-policy", &deny])
        .run()
        .expect_code(2);
    assert_eq!(
        run.stderr,
        format!(
            "error: {app}:9:12: {host}/loose/app:1: no rule of the signature policy matches \
             {host}/loose/app, and its default is deny\n"
        )
    );

    // The same policy with `default: allow`, from the config file this time, inline key and all.
    let key = setup.key.public_pem().replace('\n', "\n      ");
    let config = format!(
        "signaturePolicy:\n  rules:\n  - images: {host}/library\n    skip: true\n  \
         - images: {host}/acme/*\n    key: |\n      {key}\n  default: allow\n"
    );
    fs::write(setup.work.path().join(".kubectl-immutable.yaml"), config).unwrap();
    let report = setup.path("report.json");
    let run = setup
        .pin(&["-f", &app, "--report", "json", "--report-file", &report])
        .current_dir(setup.work.path())
        .run()
        .expect_code(0);
    assert!(run.stdout.contains(&format!("library/nginx:1@{official}")));
    assert!(run.stdout.contains(&format!("loose/app:1@{loose}")));
    let report: Value = serde_json::from_str(&fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(
        report[0]["signature"],
        serde_json::json!({"outcome": "skipped", "rule": format!("{host}/library")})
    );
    assert_eq!(
        report[1]["signature"],
        serde_json::json!({"outcome": "allowed"})
    );
}

#[test]
fn a_digest_is_looked_up_once_and_mirrors_name_the_source() {
    let setup = Setup::new(Kind::Http);
    let proxy = FaultProxy::start(&setup.host());
    // The images are written as `acme.example/…` and served by the proxy as a mirror: the
    // payload names the source, as cosign signing `acme.example/app` wrote it.
    let digest = setup.push_signed_as("acme/app", "v1", "acme.example/acme/app");
    let image = "acme.example/acme/app:v1";
    let app = setup.write(
        "app.yaml",
        &[pod(image), pod(image), pod(image)].join("---\n"),
    );
    let pin = || setup.pin_through_mirror(&proxy, &app);
    let run = pin().expect_code(0);
    assert_eq!(run.stdout.matches(&format!("{image}@{digest}")).count(), 3);
    // The classic tag asked once; its signature settles it, so the referrers tag is not asked.
    let tag = format!("/v2/acme/app/manifests/{}", digest.replacen(':', "-", 1));
    for (path, times) in [(format!("{tag}.sig"), 1), (tag, 0)] {
        let asked = proxy.requests(Some("GET"), &path);
        assert_eq!(
            asked.iter().filter(|seen| seen.path == path).count(),
            times,
            "{path}: {:?}",
            proxy.seen()
        );
    }

    // Signed for the mirror's own name, the signature does not count for the source's.
    let payload = simple_signing_payload(&format!("{}/acme/app", setup.host()), &digest);
    let signature = setup.key.sign(&payload);
    setup
        .registry
        .push_signatures("acme/app", &digest, &[(payload, signature)]);
    let run = pin().expect_code(2);
    assert!(
        run.stderr.contains(&format!(
            "1 signature; the one verified by key acme.pub names the repository {}/acme/app)",
            setup.host()
        )),
        "{}",
        run.stderr
    );
}

#[test]
fn signature_lookups_use_the_registry_credentials_and_never_show_them() {
    let setup = Setup::new(Kind::BasicAuth);
    let host = setup.host();
    let (user, password) = setup.registry.credentials().unwrap();
    let digest = setup.push_signed("acme/private", "v1");
    let app = setup.write("app.yaml", &pod(&format!("{host}/acme/private:v1")));
    let policy = setup.policy("deny");
    let config = tempfile::tempdir().unwrap();
    docker_config_auths(config.path(), &host, user, password);
    let secrets = [
        password.to_string(),
        base64(format!("{user}:{password}").as_bytes()),
    ];
    let assert_kept = |run: &Run| {
        for secret in &secrets {
            assert!(!run.stdout.contains(secret.as_str()), "{}", run.stdout);
            assert!(!run.stderr.contains(secret.as_str()), "{}", run.stderr);
        }
    };
    let run = setup
        .pin(&["-f", &app, "--signature-policy", &policy, "-v", "9"])
        .env("DOCKER_CONFIG", config.path())
        .run()
        .expect_code(0);
    assert!(run.stdout.contains(&format!("acme/private:v1@{digest}")));
    assert!(
        run.stderr
            .contains(&format!("{}.sig", digest.replacen(':', "-", 1))),
        "-v shows the signature lookup: {}",
        run.stderr
    );
    assert_kept(&run);

    // An unsigned image of the same registry: refused, still without the credentials.
    let unsigned = setup.push("acme/unsigned", "v1");
    let app = setup.write("unsigned.yaml", &pod(&format!("{host}/acme/unsigned:v1")));
    let run = setup
        .pin(&["-f", &app, "--signature-policy", &policy, "-v", "9"])
        .env("DOCKER_CONFIG", config.path())
        .run()
        .expect_code(2);
    assert!(
        run.stderr.contains(&format!(
            "no valid signature for {unsigned} (rule {host}/acme/*: no signature found)"
        )),
        "{}",
        run.stderr
    );
    assert_kept(&run);
}

#[test]
fn apply_sends_nothing_when_one_image_is_not_signed() {
    let cluster = cluster();
    let setup = Setup::new(Kind::Http);
    let host = setup.host();
    let signed = setup.push_signed("acme/web", "v1");
    let worker = setup.push("acme/worker", "v1");
    let ns = cluster.namespace("signed");
    let acme = |name: &str| deployment(&ns, name, 1, &format!("{host}/acme/{name}:v1"));
    let release = setup.write(
        "release.yaml",
        &format!("{}---\n{}", acme("web"), acme("worker")),
    );
    let policy = setup.policy("deny");
    let kubeconfig = cluster.kubeconfig().display().to_string();
    let send = |command: &str, file: &str| {
        Plugin::new([
            command,
            "--kubeconfig",
            &kubeconfig,
            "-f",
            file,
            "--insecure-registry",
            &host,
            "--signature-policy",
            &policy,
        ])
        .run()
    };
    let apply = |file: &str| send("apply", file);
    let run = apply(&release).expect_code(2);
    assert!(
        run.stderr.contains(&format!(
            "{host}/acme/worker:v1: no valid signature for sha256:"
        )),
        "{}",
        run.stderr
    );
    let deployments = cluster.kubectl_json(&["get", "deployments", "-n", &ns]);
    assert_eq!(deployments["items"], serde_json::json!([]), "nothing sent");

    // Issue 27, item 2: the same unsigned image with its digest written by hand is refused
    // too, not sent as it is.
    let unsigned = setup.write(
        "unsigned.yaml",
        &deployment(&ns, "worker", 1, &format!("{host}/acme/worker@{worker}")),
    );
    // `diff -f` prepares what apply would send, and refuses it alike.
    for command in ["apply", "diff"] {
        let run = send(command, &unsigned).expect_code(2);
        assert_eq!(
            run.stderr,
            format!(
                "error: {unsigned}:16:16: {host}/acme/worker@{worker}: no valid signature for \
                 {worker} (rule {host}/acme/*: no signature found)\n"
            ),
            "{command}"
        );
        assert_eq!(run.stdout, "", "{command}");
    }
    let deployments = cluster.kubectl_json(&["get", "deployments", "-n", &ns]);
    assert_eq!(deployments["items"], serde_json::json!([]), "nothing sent");

    let web = setup.write("web.yaml", &acme("web"));
    apply(&web).expect_code(0);
    assert_eq!(
        template_image(cluster, &ns, "deployment/web"),
        format!("{host}/acme/web:v1@{signed}")
    );
    // A signed digest written by hand is sent as it is.
    let by_hand = deployment(&ns, "by-hand", 1, &format!("{host}/acme/web@{signed}"));
    apply(&setup.write("by-hand.yaml", &by_hand)).expect_code(0);
    assert_eq!(
        template_image(cluster, &ns, "deployment/by-hand"),
        format!("{host}/acme/web@{signed}")
    );
}

#[test]
fn a_policy_that_cannot_be_used_is_an_error_before_any_request() {
    let setup = Setup::new(Kind::Http);
    let app = setup.write("app.yaml", &pod("ghcr.io/acme/app:v1"));
    for (policy, error) in [
        (
            "rules:\n- images: ghcr.io/acme\n  keyless: {issuer: https://token.actions.githubusercontent.com, subject: repo:acme/app}\n",
            "rule 1 (ghcr.io/acme): keyless verification (issuer https://token.actions.githubusercontent.com, subject repo:acme/app: Fulcio certificates, Rekor) is not supported yet; give the rule a key",
        ),
        (
            "rules:\n- images: ghcr.io/acme\n  key: missing.pub\n",
            "rule 1 (ghcr.io/acme): cannot read key missing.pub",
        ),
        (
            "rules:\n- images: ghcr.io/acme\n  key: acme.pub\n  skip: true\n",
            "rule 1 (ghcr.io/acme): give exactly one of key or skip: true",
        ),
        (
            "rules:\n- images: ghcr.io/acme\n  key: policy.yaml\n",
            "key policy.yaml: not a PEM public key (-----BEGIN PUBLIC KEY-----)",
        ),
    ] {
        let path = setup.write("policy.yaml", policy);
        let run = setup
            .pin(&["-f", &app, "--signature-policy", &path])
            .run()
            .expect_code(2);
        assert!(
            run.stderr
                .starts_with(&format!("error: invalid signature policy {path}: ")),
            "{}",
            run.stderr
        );
        assert!(run.stderr.contains(error), "{policy}\n{}", run.stderr);
    }
}

#[test]
fn offline_the_lock_record_stands_for_the_signatures() {
    let setup = Setup::new(Kind::Http);
    let host = setup.host();
    let digest = setup.push_signed("acme/app", "v1");
    let manifest = pod(&format!("{host}/acme/app:v1"));
    let app = setup.write("app.yaml", &manifest);
    let policy = setup.policy("deny");
    let lock = setup.path("immutable.lock");
    let with_lock = |extra: &[&str]| {
        let mut args = vec![
            "-f",
            app.as_str(),
            "--lock",
            &lock,
            "--signature-policy",
            &policy,
        ];
        args.extend(extra);
        setup.pin(&args).run()
    };
    with_lock(&[]).expect_code(0);

    let run = with_lock(&["--offline"]).expect_code(0);
    assert!(run.stdout.contains(&format!("acme/app:v1@{digest}")));

    // A lock file that records the digest but not its signature: refused offline.
    let mut recorded: Value = serde_json::from_str(&fs::read_to_string(&lock).unwrap()).unwrap();
    assert!(recorded["signatures"].is_object());
    recorded.as_object_mut().unwrap().remove("signatures");
    fs::write(&lock, serde_json::to_string(&recorded).unwrap()).unwrap();
    let run = with_lock(&["--offline"]).expect_code(2);
    assert_eq!(
        run.stderr,
        format!(
            "error: {app}:4:12: {host}/acme/app:v1: {digest} is not recorded in the lock file as \
             verified by key acme.pub (rule {host}/acme/*); run without --offline to check its \
             signatures\n"
        )
    );
    assert_eq!(run.stdout, "");
}

/// Issue 27, item 7: with `--offline --lock`, a signature record is the signature itself, and
/// it is verified again on every run, with no registry: by the key the policy names now (a
/// rotated key file no longer matches), over a payload naming that very digest. A record
/// edited by hand in a pull request marks nothing verified.
#[test]
fn offline_each_signature_record_is_verified_again_with_no_registry() {
    let setup = Setup::new(Kind::Http);
    let host = setup.host();
    let signed = setup.push_signed("acme/app", "v1");
    let unsigned = setup.push("acme/worker", "v1");
    let policy = setup.policy("deny");
    let lock = setup.path("immutable.lock");
    let app = setup.write("app.yaml", &pod(&format!("{host}/acme/app:v1")));
    setup
        .pin(&["-f", &app, "--lock", &lock, "--signature-policy", &policy])
        .run()
        .expect_code(0);
    let made = fs::read_to_string(&lock).unwrap();
    let made: Value = serde_json::from_str(&made).unwrap();
    assert_eq!(made["version"], 2);
    let app_record = made["signatures"][format!("{host}/acme/app@{signed}")].clone();
    assert_eq!(app_record["rule"], format!("{host}/acme/*"));
    assert_eq!(app_record["key"], "acme.pub");
    assert_eq!(app_record["keyDigest"], setup.key.spki_sha256());
    // The payload recorded is the one signed: openssl verifies its signature with the key.
    let signed_record = &app_record["signed"]["simpleSigning"];
    let payload = {
        use base64::Engine as _;
        let text = signed_record["payload"].as_str().unwrap();
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .unwrap()
    };
    let signature = signed_record["signature"].as_str().unwrap();
    assert!(setup.key.openssl_verifies(&payload, signature));
    let parsed: Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(
        parsed["critical"]["image"]["docker-manifest-digest"],
        signed
    );

    // A record forged for the unsigned worker: its payload names the worker's digest, signed
    // by another key, and claims the policy key's digest.
    let forged_payload = simple_signing_payload(&format!("{host}/acme/worker"), &unsigned);
    let mut forged = app_record.clone();
    forged["signed"]["simpleSigning"] = serde_json::json!({
        "payload": base64(&forged_payload),
        "signature": setup.other.sign(&forged_payload),
    });
    let worker = setup.write("worker.yaml", &pod(&format!("{host}/acme/worker:v1")));
    let public_path = setup.path("acme.pub");
    let other_public = setup.other.public_pem();
    let (key_digest, other_digest) = (setup.key.spki_sha256(), setup.other.spki_sha256());

    // From here on there is no registry: what passes, passes from the lock file alone.
    let Setup { registry, work, .. } = setup;
    drop(registry);
    let offline = |file: &str| {
        Plugin::new([&["pin", "--offline"][..], &in_place(file, &lock, &policy)].concat()).run()
    };
    let with_record = |image: &str, digest: &str, record: &Value| {
        let mut edited = made.clone();
        edited["images"][format!("{host}/acme/{image}:v1")] = Value::from(digest);
        edited["signatures"][format!("{host}/acme/{image}@{digest}")] = record.clone();
        fs::write(&lock, serde_json::to_string_pretty(&edited).unwrap()).unwrap();
    };
    let refused = |file: &str, image: &str, digest: &str, why: &str| {
        let before = snapshot(work.path());
        let run = offline(file).expect_code(2);
        assert_eq!(
            run.stderr,
            format!(
                "error: {file}:4:12: {host}/acme/{image}:v1: the signature record in {lock} for \
                 {host}/acme/{image}@{digest} does not verify with key acme.pub: {why}; run \
                 without --offline to check its signatures\n"
            )
        );
        assert_eq!(run.stdout, "");
        assert_unchanged(&before, work.path());
    };

    // The valid record passes with no registry at all, and the file is pinned.
    offline(&app).expect_code(0);
    assert!(
        fs::read_to_string(&app)
            .unwrap()
            .contains(&format!("acme/app:v1@{signed}"))
    );

    // The forged record: its signature is not the policy key's.
    with_record("worker", &unsigned, &forged);
    refused(
        &worker,
        "worker",
        &unsigned,
        "its signature is not the key's",
    );
    // `pin --check --lock` judges the digests written from the same records, with no network
    // either: the app pinned above passes, the worker's digest written by hand does not.
    let check = |file: &str| {
        let args = ["pin", "--check", "-f", file, "--lock", &lock];
        Plugin::new([&args[..], &["--signature-policy", &policy]].concat()).run()
    };
    check(&app).expect_code(0);
    let by_hand = work.path().join("by-hand.yaml").display().to_string();
    fs::write(&by_hand, pod(&format!("{host}/acme/worker@{unsigned}"))).unwrap();
    let run = check(&by_hand).expect_code(1);
    assert_eq!(
        run.stdout,
        format!(
            "{by_hand}:4: {host}/acme/worker@{unsigned}: the signature record in {lock} for \
             {host}/acme/worker@{unsigned} does not verify with key acme.pub: its signature is \
             not the key's; run without --offline to check its signatures\n"
        )
    );
    assert_eq!(
        run.stderr,
        "0 of 1 images are not pinned; 1 digest not verified by the lock file's signature \
         records\n"
    );

    // The app's valid record copied under the worker's digest: its payload names another one.
    with_record("worker", &unsigned, &app_record);
    refused(
        &worker,
        "worker",
        &unsigned,
        &format!("its payload signs {signed}, another digest (a replay)"),
    );
    // Or under a digest that does not exist at all.
    let ghost = format!("sha256:{}", "e".repeat(64));
    with_record("worker", &ghost, &app_record);
    refused(
        &worker,
        "worker",
        &ghost,
        &format!("its payload signs {signed}, another digest (a replay)"),
    );

    // The policy's key file rotated to another key: the record made with the old one no longer
    // stands, though the path is the same.
    fs::write(&lock, serde_json::to_string_pretty(&made).unwrap()).unwrap();
    fs::write(&app, pod(&format!("{host}/acme/app:v1"))).unwrap();
    fs::write(&public_path, other_public).unwrap();
    refused(
        &app,
        "app",
        &signed,
        &format!("it was made with another key ({key_digest}; this one is {other_digest})"),
    );

    // A version 1 lock file recorded a rule and a key path only: it cannot be checked offline.
    let old = format!(
        r#"{{"version":1,"images":{{"{host}/acme/app:v1":"{signed}"}},"signatures":{{"{host}/acme/app@{signed}":{{"rule":"{host}/acme/*","key":"acme.pub"}}}}}}"#
    );
    fs::write(&lock, old).unwrap();
    let run = offline(&app).expect_code(2);
    assert_eq!(
        run.stderr,
        format!(
            "error: {lock}: lock file version 1 records signatures by rule and key only, which \
             cannot be checked offline: run pin --lock without --offline once to record the \
             signatures themselves\n"
        )
    );
}

#[test]
fn sigstore_bundles_found_by_the_referrers_tag_scheme_count() {
    use crate::support::signing::image_signature_statement;
    let setup = Setup::new(Kind::Http);
    let host = setup.host();
    let signed = setup.push("acme/bundled", "v1");
    let statement = image_signature_statement(None, &signed);
    let parsed: Value = serde_json::from_slice(&statement).unwrap();
    assert_eq!(
        format!(
            "sha256:{}",
            parsed["subject"][0]["digest"]["sha256"].as_str().unwrap()
        ),
        signed
    );
    // One bundle by another key, one by the policy's.
    let bundles = [
        setup.other.sign_bundle(&statement),
        setup.key.sign_bundle(&statement),
    ];
    setup
        .registry
        .push_bundles("acme/bundled", &signed, &bundles);
    // A bundle by the policy's key whose statement names another digest.
    let replayed = setup.push("acme/replayed", "v1");
    let replay = setup
        .key
        .sign_bundle(&image_signature_statement(None, &signed));
    setup
        .registry
        .push_bundles("acme/replayed", &replayed, &[replay]);
    let policy = setup.policy("deny");

    let app = setup.write("app.yaml", &pod(&format!("{host}/acme/bundled:v1")));
    let run = setup
        .pin(&["-f", &app, "--signature-policy", &policy])
        .run()
        .expect_code(0);
    assert!(run.stdout.contains(&format!("acme/bundled:v1@{signed}")));

    let app = setup.write("replayed.yaml", &pod(&format!("{host}/acme/replayed:v1")));
    let run = setup
        .pin(&["-f", &app, "--signature-policy", &policy])
        .run()
        .expect_code(2);
    assert_eq!(
        run.stderr,
        format!(
            "error: {app}:4:12: {host}/acme/replayed:v1: no valid signature for {replayed} \
             (rule {host}/acme/*: 1 signature; the one verified by key acme.pub signs {signed}, \
             another digest (a replay))\n"
        )
    );
}

#[test]
fn rollback_writes_only_a_signed_digest_of_the_revision() {
    let cluster = cluster();
    let setup = Setup::new(Kind::Http);
    let host = setup.host();
    let ran = setup.push("acme/web", "v1");
    setup.push("acme/web", "v2");
    let ns = cluster.namespace("signed-rollback");
    let web_at = |tag: &str| deployment(&ns, "web", 1, &format!("{host}/acme/web:{tag}"));
    // Applied by tag with kubectl; its pod reports the digest it ran, as a kubelet would.
    cluster.kubectl_ok(&["apply", "-f", &setup.write("v1.yaml", &web_at("v1"))]);
    let wait = std::time::Duration::from_secs(60);
    let pod = cluster.wait_for("the pod of revision 1", wait, || {
        cluster.pod_names(&ns, "app=web").into_iter().next()
    });
    cluster.mark_pod_ready(&ns, &pod);
    cluster.set_image_id(&ns, &pod, "web", &format!("{host}/acme/web@{ran}"));
    cluster.kubectl_ok(&["apply", "-f", &setup.write("v2.yaml", &web_at("v2"))]);

    let policy = setup.policy("deny");
    let kubeconfig = cluster.kubeconfig().display().to_string();
    let rollback = || {
        Plugin::new([
            "rollback",
            "deployment/web",
            "--to-revision",
            "1",
            "-n",
            &ns,
            "--kubeconfig",
            &kubeconfig,
            "--insecure-registry",
            &host,
            "--signature-policy",
            &policy,
        ])
        .run()
    };
    let generation = |cluster: &crate::support::cluster::TestCluster| {
        cluster.kubectl_json(&["get", "deployment", "web", "-n", &ns])["metadata"]["generation"]
            .clone()
    };
    let before = generation(cluster);
    let refused = rollback().expect_code(2);
    assert_eq!(
        refused.stderr,
        format!(
            "error: deployment.apps/{ns}/web revision 1: container web: {host}/acme/web:v1@{ran}: no \
             valid signature for {ran} (rule {host}/acme/*: no signature found)\n\
             error: nothing was changed\n"
        )
    );
    assert_eq!(generation(cluster), before, "nothing sent");

    let signature = setup.signature(&setup.key, "acme/web", &ran);
    setup
        .registry
        .push_signatures("acme/web", &ran, &[signature]);
    rollback().expect_code(0);
    assert_eq!(
        template_image(cluster, &ns, "deployment/web"),
        format!("{host}/acme/web:v1@{ran}")
    );
}

#[test]
fn a_payload_known_by_its_digest_is_not_fetched_and_one_with_annotations_is() {
    let setup = Setup::new(Kind::Http);
    let proxy = FaultProxy::start(&setup.host());
    // `acme/plain` signed as `cosign sign` signs without annotations: the `.sig` layer's digest
    // is that of the payload pin expects, so the payload is not fetched. `acme/annotated`
    // signed with an annotation (`cosign sign -a commit=…`): its payload is fetched.
    let plain = setup.push_signed_as("acme/plain", "v1", "acme.example/acme/plain");
    let annotated = setup.push("acme/annotated", "v1");
    let mut payload: Value = serde_json::from_slice(&simple_signing_payload(
        "acme.example/acme/annotated",
        &annotated,
    ))
    .unwrap();
    payload["optional"] = serde_json::json!({ "commit": "0123abc" });
    let payload = serde_json::to_vec(&payload).unwrap();
    let signature = setup.key.sign(&payload);
    assert!(setup.key.openssl_verifies(&payload, &signature));
    setup
        .registry
        .push_signatures("acme/annotated", &annotated, &[(payload, signature)]);
    let app = setup.write(
        "app.yaml",
        &[
            pod("acme.example/acme/plain:v1"),
            pod("acme.example/acme/annotated:v1"),
        ]
        .join("---\n"),
    );
    let run = setup.pin_through_mirror(&proxy, &app).expect_code(0);
    assert!(
        run.stdout
            .contains(&format!("acme.example/acme/plain:v1@{plain}"))
    );
    assert!(
        run.stdout
            .contains(&format!("acme.example/acme/annotated:v1@{annotated}"))
    );
    for (repo, digest, blobs) in [("plain", &plain, 0), ("annotated", &annotated, 1)] {
        let sig = format!(
            "/v2/acme/{repo}/manifests/{}.sig",
            digest.replacen(':', "-", 1)
        );
        assert_eq!(
            proxy.requests(Some("GET"), &sig).len(),
            1,
            "{:?}",
            proxy.seen()
        );
        let fetched = proxy.requests(Some("GET"), &format!("/v2/acme/{repo}/blobs/"));
        assert_eq!(fetched.len(), blobs, "acme/{repo}: {:?}", proxy.seen());
    }
}
