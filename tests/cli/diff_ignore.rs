//! `kubectl immutable diff --ignore FILE` (Argo CD's ignoreDifferences) in every form of diff:
//! two sets, git revisions, the live cluster with fields another manager writes, and rollout
//! revisions, on the real test control plane.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::support::cluster::{TestCluster, cluster};
use crate::support::plugin::{Plugin, Run};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/diff")
}

fn diff(args: &[&str]) -> Run {
    Plugin::new(["diff"].iter().chain(args))
        .current_dir(&fixtures())
        .run()
}

/// A folder with `files` written into it.
fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

fn deployment(replicas: u32, owner: &str, image: &str) -> String {
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  annotations:
    example.com/owner: {owner}
spec:
  replicas: {replicas}
  template:
    spec:
      containers:
      - name: web
        image: {image}
"
    )
}

const IGNORE_SCALING: &str = "\
- group: apps
  kind: Deployment
  jsonPointers:
  - /spec/replicas
  - /metadata/annotations/example.com~1owner
";

#[test]
fn a_change_only_in_ignored_fields_is_no_difference() {
    let dir = folder(&[
        ("old.yaml", &deployment(2, "team-a", "web:1.0")),
        ("new.yaml", &deployment(5, "team-b", "web:1.0")),
        ("ignore.yaml", IGNORE_SCALING),
    ]);
    let run = |args: &[&str]| {
        Plugin::new(["diff", "old.yaml", "new.yaml"].iter().chain(args))
            .current_dir(dir.path())
            .run()
    };
    let without = run(&[]).expect_code(1);
    assert!(
        without
            .stdout
            .starts_with("0 added, 0 removed, 1 changed, 0 unchanged\n")
    );
    let ignored = run(&["--ignore", "ignore.yaml"]).expect_code(0);
    assert_eq!(
        ignored.stdout,
        "0 added, 0 removed, 0 changed, 1 unchanged\n"
    );
    assert_eq!(ignored.stderr, "");
    let json = run(&["--ignore", "ignore.yaml", "-o", "json"]).expect_code(0);
    let report: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(report["objects"], serde_json::json!([]));

    // The same entry for the core group does not match an apps/v1 Deployment (Argo CD's rule).
    std::fs::write(
        dir.path().join("core.yaml"),
        IGNORE_SCALING.replace("- group: apps\n  ", "- "),
    )
    .unwrap();
    run(&["--ignore", "core.yaml"]).expect_code(1);
}

#[test]
fn a_real_change_beside_ignored_ones_is_a_difference_and_shows_alone() {
    let dir = folder(&[
        ("old.yaml", &deployment(2, "team-a", "web:1.0")),
        ("new.yaml", &deployment(5, "team-b", "web:1.1")),
        ("ignore.yaml", IGNORE_SCALING),
    ]);
    let run = Plugin::new([
        "diff",
        "old.yaml",
        "new.yaml",
        "--ignore",
        "ignore.yaml",
        "--color",
        "never",
    ])
    .current_dir(dir.path())
    .run()
    .expect_code(1);
    assert_eq!(
        run.stdout,
        "0 added, 0 removed, 1 changed, 0 unchanged

OBJECT                    CONTAINER  OLD      NEW      NOTE
deployment.apps/shop/web  web        web:1.0  web:1.1  unpinned

--- a/deployment.apps/shop/web
+++ b/deployment.apps/shop/web
@@ -8,5 +8,5 @@
   template:
     spec:
       containers:
-      - image: web:1.0
+      - image: web:1.1
         name: web
"
    );
}

#[test]
fn two_releases_without_what_controllers_own_match_the_golden_output() {
    let run = diff(&[
        "release-1",
        "release-2",
        "--ignore",
        "ignore/controller-owned.yaml",
        "--color",
        "never",
    ])
    .expect_code(1);
    assert_eq!(run.stderr, "");
    // The Secret's only change and web's replicas are gone; web's image is still there.
    assert!(
        run.stdout
            .starts_with("1 added, 1 removed, 2 changed, 2 unchanged\n"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("replicas"));
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn an_application_s_ignore_differences_leave_the_image_table_what_is_left() {
    let all = diff(&["release-1", "release-2", "-o", "json"]).expect_code(1);
    let ignored = diff(&[
        "release-1",
        "release-2",
        "-o",
        "json",
        "--ignore",
        "ignore/application.yaml",
    ])
    .expect_code(1);
    let containers = |stdout: &str| -> Vec<String> {
        let report: Value = serde_json::from_str(stdout).unwrap();
        report["images"]
            .as_array()
            .unwrap()
            .iter()
            .map(|image| format!("{} {}", image["object"], image["container"]))
            .collect()
    };
    assert!(
        containers(&all.stdout).contains(&"\"deployment.apps/shop/worker\" \"worker\"".to_string())
    );
    assert!(
        !containers(&ignored.stdout)
            .contains(&"\"deployment.apps/shop/worker\" \"worker\"".to_string()),
        "{}",
        ignored.stdout
    );
    assert_eq!(
        containers(&ignored.stdout).len() + 1,
        containers(&all.stdout).len()
    );
    let summary: Value = serde_json::from_str(&ignored.stdout).unwrap();
    assert_eq!(
        summary["summary"],
        serde_json::json!({"added": 1, "removed": 1, "changed": 2, "unchanged": 2})
    );
    // Markdown counts the same.
    let markdown = diff(&[
        "release-1",
        "release-2",
        "-o",
        "markdown",
        "--ignore",
        "ignore/application.yaml",
    ])
    .expect_code(1);
    assert!(
        markdown
            .stdout
            .contains("1 added, 1 removed, 2 changed, 2 unchanged"),
        "{}",
        markdown.stdout
    );
    assert!(
        !markdown.stdout.contains("shop/worker"),
        "{}",
        markdown.stdout
    );
}

#[test]
fn a_bad_ignore_file_is_one_line_with_its_place_and_exit_2() {
    let dir = folder(&[
        ("old.yaml", &deployment(2, "a", "web:1.0")),
        ("new.yaml", &deployment(3, "a", "web:1.0")),
        (
            "pointer.yaml",
            "- kind: Deployment\n  group: apps\n  jsonPointers:\n  - spec/replicas\n",
        ),
        (
            "jq.yaml",
            "- kind: Deployment\n  group: apps\n  jqPathExpressions: ['.spec.replicas |']\n",
        ),
        (
            "field.yaml",
            "- kind: Deployment\n  jsonPointer: [/spec/replicas]\n",
        ),
        ("yaml.yaml", "- kind: Deployment\n  jsonPointers: [/spec\n"),
        (
            "managers.yaml",
            "- group: '*'\n  kind: '*'\n  managedFieldsManagers: [kube-controller-manager]\n",
        ),
    ]);
    let cases = [
        (
            "pointer.yaml",
            "error: pointer.yaml:4:5: jsonPointers: `spec/replicas` is not a JSON pointer (RFC 6901): it must start with `/`\n",
        ),
        (
            "jq.yaml",
            "error: jq.yaml:3:23: jqPathExpressions: `.spec.replicas |` is not a jq path expression: expected term at the end\n",
        ),
        (
            "field.yaml",
            "error: field.yaml:2:3: unknown field `jsonPointer`, expected one of group, kind, name, namespace, jsonPointers, jqPathExpressions, managedFieldsManagers\n",
        ),
        ("yaml.yaml", "error: yaml.yaml:2:17: unclosed bracket '['\n"),
        (
            "managers.yaml",
            "error: managers.yaml:3:26: managedFieldsManagers is not supported: name the fields with jsonPointers or jqPathExpressions\n",
        ),
        (
            "missing.yaml",
            "error: missing.yaml: cannot read: No such file or directory (os error 2)\n",
        ),
    ];
    for (file, expected) in cases {
        let run = Plugin::new(["diff", "old.yaml", "new.yaml", "--ignore", file])
            .current_dir(dir.path())
            .run()
            .expect_code(2);
        assert_eq!(run.stderr, expected, "{file}");
        assert_eq!(run.stdout, "", "{file}");
    }
}

/// `diff old.yaml new.yaml --ignore ignore.yaml` where old and new differ in replicas only and
/// the ignore file is `expressions`' jqPathExpressions for Deployments, with `extra` flags.
fn ignoring(expressions: &[&str], extra: &[&str]) -> (Run, Duration) {
    let ignore: String =
        std::iter::once("- group: apps\n  kind: Deployment\n  jqPathExpressions:\n".to_string())
            .chain(expressions.iter().map(|e| format!("  - '{e}'\n")))
            .collect();
    let dir = folder(&[
        ("old.yaml", &deployment(2, "team-a", "web:1.0")),
        ("new.yaml", &deployment(5, "team-a", "web:1.0")),
        ("ignore.yaml", &ignore),
    ]);
    let started = std::time::Instant::now();
    let run = Plugin::new(
        ["diff", "old.yaml", "new.yaml", "--ignore", "ignore.yaml"]
            .iter()
            .chain(extra),
    )
    .current_dir(dir.path())
    .env("KUBECTL_IMMUTABLE_TEST_SECRET", "s3cr3t")
    .run();
    (run, started.elapsed())
}

#[test]
fn jq_expressions_see_an_empty_environment() {
    // The replicas are removed only if the expression cannot see the environment.
    for expression in [
        ".spec.replicas | select(env.HOME == null)",
        ".spec.replicas | select($ENV.PATH == null)",
        ".spec.replicas | select(env == {} and $ENV == {})",
        ".spec.replicas | select(env.KUBECTL_IMMUTABLE_TEST_SECRET == null)",
    ] {
        let (run, _) = ignoring(&[expression], &[]);
        assert_eq!(run.code, 0, "{expression}: {}{}", run.stdout, run.stderr);
    }
    // A normal expression still works, and one that does not remove the change leaves it.
    assert_eq!(ignoring(&[".spec.replicas"], &[]).0.code, 0);
    assert_eq!(ignoring(&[".spec.paused"], &[]).0.code, 1);
}

#[test]
fn a_jq_expression_that_recurses_runs_long_or_allocates_much_is_one_line_and_exit_2() {
    let place = "error: ignore.yaml: jqPathExpressions";
    for (expression, extra, why) in [
        (
            "def f: f; f",
            &[][..],
            "recursed too deep (a stack overflow)",
        ),
        (
            "def f: 1 + f; .[f]",
            &[][..],
            "recursed too deep (a stack overflow)",
        ),
        (
            ".[range(1e12)]",
            &[][..],
            "ran longer than 1s (--ignore-timeout)",
        ),
        (
            ".[range(1e12)]",
            &["--ignore-timeout", "300ms"][..],
            "ran longer than 300ms (--ignore-timeout)",
        ),
        (
            ".[\"x\" | reduce range(40) as $i (.; . + .)]",
            &["--ignore-timeout", "60s"][..],
            "used more than 1024 MiB of memory",
        ),
        (
            ".[[range(1e9)] | length]",
            &[][..],
            "ran longer than 1s (--ignore-timeout)|used more than 1024 MiB of memory",
        ),
    ] {
        let (run, took) = ignoring(&[expression], extra);
        assert_eq!(
            (run.code, run.stdout.as_str()),
            (2, ""),
            "{expression}: {}",
            run.stderr
        );
        assert_eq!(
            run.stderr.lines().count(),
            1,
            "{expression}: {}",
            run.stderr
        );
        assert!(
            run.stderr.starts_with(place),
            "{expression}: {}",
            run.stderr
        );
        assert!(
            why.split('|').any(|why| run
                .stderr
                .ends_with(&format!(" on deployment.apps/shop/web: {why}\n"))),
            "{expression}: {}",
            run.stderr
        );
        assert!(took < Duration::from_secs(30), "{expression}: {took:?}");
    }
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

#[test]
fn git_revisions_honour_the_ignore_file() {
    let repo = folder(&[("ignore.yaml", IGNORE_SCALING)]);
    std::fs::create_dir(repo.path().join("k8s")).unwrap();
    let web = repo.path().join("k8s/web.yaml");
    std::fs::write(&web, deployment(2, "team-a", "web:1.0")).unwrap();
    git(repo.path(), &["init", "-q"]);
    git(repo.path(), &["add", "."]);
    git(repo.path(), &["commit", "-qm", "one"]);
    std::fs::write(&web, deployment(4, "team-b", "web:1.0")).unwrap();
    git(repo.path(), &["commit", "-qam", "scaled"]);
    std::fs::write(&web, deployment(4, "team-b", "web:2.0")).unwrap();
    git(repo.path(), &["commit", "-qam", "upgraded"]);

    let run = |old: &str, new: &str| {
        Plugin::new(["diff", old, new, "--ignore", "ignore.yaml"])
            .current_dir(repo.path())
            .run()
    };
    let scaled = run("HEAD~2:k8s", "HEAD~1:k8s").expect_code(0);
    assert_eq!(
        scaled.stdout,
        "0 added, 0 removed, 0 changed, 1 unchanged\n"
    );
    let upgraded = run("HEAD~2:k8s", "HEAD:k8s").expect_code(1);
    assert!(
        upgraded
            .stdout
            .starts_with("0 added, 0 removed, 1 changed, 0 unchanged\n")
    );
}

// --- the live cluster and rollout revisions ---------------------------------------------------

const WAIT: Duration = Duration::from_secs(60);
const PLACEHOLDER_CA: &str = "cGxhY2Vob2xkZXI="; // "placeholder"
const INJECTED_CA: &str = "aW5qZWN0ZWQgYnkgY2VydC1pbmplY3Rvcg=="; // "injected by cert-injector"

fn as_admin(args: &[&str]) -> Run {
    let mut argv: Vec<OsString> = args.iter().map(OsString::from).collect();
    argv.extend(["--kubeconfig".into(), cluster().kubeconfig().into()]);
    Plugin::new(argv).run()
}

/// A webhook whose CA bundle a controller injects (as cert-manager's cainjector does), matching
/// no real request, and a Deployment whose annotation another field manager rewrites.
fn release(ns: &str) -> String {
    format!(
        "apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: {ns}.example.com
webhooks:
- name: {ns}.example.com
  admissionReviewVersions: [v1]
  sideEffects: None
  failurePolicy: Ignore
  clientConfig:
    url: https://{ns}.example.com/mutate
    caBundle: {PLACEHOLDER_CA}
  rules:
  - apiGroups: [example.invalid]
    apiVersions: [v1]
    operations: [CREATE]
    resources: [gadgets]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: {ns}
  annotations:
    example.com/rotated-at: never
spec:
  replicas: 1
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      containers:
      - name: web
        image: registry.test/web:1.0@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
"
    )
}

fn managers(cluster: &TestCluster, args: &[&str]) -> Vec<String> {
    let mut args = args.to_vec();
    args.push("--show-managed-fields");
    let object = cluster.kubectl_json(&args);
    object["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["manager"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn fields_another_manager_writes_are_ignored_against_the_live_cluster() {
    let cluster = cluster();
    let ns = "diffi-live";
    cluster.kubectl_ok(&["create", "namespace", ns]);
    let dir = folder(&[("release.yaml", &release(ns))]);
    let path = dir.path().join("release.yaml");
    let path = path.to_str().unwrap();
    cluster.kubectl_ok(&["apply", "-f", path]);
    let webhook = format!("{ns}.example.com");

    // Another manager injects the CA bundle and rewrites the annotation.
    let injected = format!(
        r#"[{{"op":"replace","path":"/webhooks/0/clientConfig/caBundle","value":"{INJECTED_CA}"}}]"#
    );
    cluster.kubectl_ok(&[
        "patch",
        "mutatingwebhookconfiguration",
        &webhook,
        "--type=json",
        "-p",
        &injected,
        "--field-manager=cert-injector",
    ]);
    cluster.kubectl_ok(&[
        "annotate",
        "--overwrite",
        "deployment/web",
        "-n",
        ns,
        "example.com/rotated-at=2026-12-01T00:00:00Z",
        "--field-manager=rotator",
    ]);
    assert!(
        managers(cluster, &["get", "mutatingwebhookconfiguration", &webhook])
            .contains(&"cert-injector".to_string())
    );
    assert!(
        managers(cluster, &["get", "deployment", "web", "-n", ns]).contains(&"rotator".to_string())
    );

    let plain = as_admin(&["diff", "-f", path, "-n", ns, "--color", "never"]).expect_code(1);
    assert!(
        plain
            .stdout
            .starts_with("0 added, 0 removed, 2 changed, 0 unchanged\n"),
        "{}",
        plain.stdout
    );
    assert!(plain.stdout.contains(INJECTED_CA), "{}", plain.stdout);

    // Only the CA bundle ignored: the annotation is still a difference.
    let ca_only = folder(&[(
        "ignore.yaml",
        "- group: admissionregistration.k8s.io
  kind: MutatingWebhookConfiguration
  jqPathExpressions:
  - .webhooks[].clientConfig.caBundle
",
    )]);
    let ca_only = ca_only.path().join("ignore.yaml");
    let run = as_admin(&[
        "diff",
        "-f",
        path,
        "-n",
        ns,
        "--ignore",
        ca_only.to_str().unwrap(),
        "--color",
        "never",
    ])
    .expect_code(1);
    assert!(
        run.stdout
            .starts_with("0 added, 0 removed, 1 changed, 1 unchanged\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("+    example.com/rotated-at: never"),
        "{}",
        run.stdout
    );

    // Both ignored, in an Application's shape: nothing is left to apply.
    let both = folder(&[(
        "ignore.yaml",
        "ignoreDifferences:
- group: admissionregistration.k8s.io
  kind: MutatingWebhookConfiguration
  jqPathExpressions:
  - .webhooks[].clientConfig.caBundle
- group: apps
  kind: Deployment
  name: web
  jsonPointers:
  - /metadata/annotations/example.com~1rotated-at
",
    )]);
    let both = both.path().join("ignore.yaml");
    let run = as_admin(&[
        "diff",
        "-f",
        path,
        "-n",
        ns,
        "--ignore",
        both.to_str().unwrap(),
    ])
    .expect_code(0);
    assert_eq!(run.stdout, "0 added, 0 removed, 0 changed, 2 unchanged\n");
    assert_eq!(run.stderr, "");
}

#[test]
fn rollout_revisions_honour_the_ignore_file() {
    let cluster = cluster();
    let ns = "diffi-rollout";
    cluster.kubectl_ok(&["create", "namespace", ns]);
    let dir = folder(&[
        ("release.yaml", &release(ns)),
        (
            "ignore.yaml",
            "- group: apps
  kind: Deployment
  jsonPointers:
  - /spec/template/spec/containers/0/image
",
        ),
    ]);
    let path = dir.path().join("release.yaml");
    cluster.kubectl_ok(&["apply", "-n", ns, "-f", path.to_str().unwrap()]);
    let revisions = || {
        let sets = cluster.kubectl_json(&["get", "replicasets", "-n", ns]);
        sets["items"].as_array().map_or(0, Vec::len)
    };
    cluster.wait_for("revision 1", WAIT, || (revisions() == 1).then_some(()));
    cluster.kubectl_ok(&[
        "set",
        "image",
        "deployment/web",
        "web=registry.test/web:1.1@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
        "-n",
        ns,
    ]);
    cluster.wait_for("revision 2", WAIT, || (revisions() == 2).then_some(()));

    as_admin(&["diff", "deployment/web", "-n", ns]).expect_code(1);
    let ignore = dir.path().join("ignore.yaml");
    let run = as_admin(&[
        "diff",
        "deployment/web",
        "-n",
        ns,
        "--ignore",
        ignore.to_str().unwrap(),
    ])
    .expect_code(0);
    assert_eq!(
        run.stdout,
        format!(
            "deployment.apps/{ns}/web: revision 1 against revision 2\n0 added, 0 removed, 0 changed, 1 unchanged\n"
        )
    );
}
