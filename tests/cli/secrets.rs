//! Credentials and secrets (issue 7) through the built binary: registry credentials, from a
//! docker config or a credential helper, never show in what `pin` and `apply` print or write,
//! even when they fail; nor do the values of Secrets in what `diff` prints.

use std::fs;
use std::path::Path;
use std::time::Duration;

use crate::common::{docker_config_auths, pod, snapshot};
use crate::support::cluster::cluster;
use crate::support::faults::{Fault, FaultProxy, base64};
use crate::support::plugin::{Plugin, Run};
use crate::support::registry::{Kind, Platform, TestRegistry};

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

    // The registry challenges the first request (forwarded: 401 with its Basic challenge), then
    // fails every one sent with the credentials.
    proxy.script(None, "/manifests/", [Fault::Delay(Duration::ZERO)]);
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
        failed.len() == 4 && failed.iter().all(|seen| seen.authorization.is_some()),
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
