//! `kubectl immutable apply` against the real test control plane (etcd, kube-apiserver v1.20.2,
//! kube-controller-manager) and the real registry; every fact read back with the real kubectl.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::common::deployment;
use crate::support::cluster::{TestCluster, cluster};
use crate::support::plugin::{Plugin, Run};
use crate::support::registry::{Kind, Platform, TestRegistry};

fn apply(cluster: &TestCluster, args: &[&str]) -> Plugin {
    let kubeconfig = cluster.kubeconfig().display().to_string();
    let mut all = vec!["apply".to_string(), "--kubeconfig".to_string(), kubeconfig];
    all.extend(args.iter().map(|a| a.to_string()));
    Plugin::new(all)
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// A namespace of its own and a file with one Deployment whose image is already pinned, so no
/// registry is needed. Keep `_dir` bound: the file lives as long as it does.
struct PinnedWeb {
    ns: String,
    file: String,
    image: String,
    _dir: tempfile::TempDir,
}

fn pinned_web(cluster: &TestCluster, prefix: &str, digit: char) -> PinnedWeb {
    let ns = cluster.namespace(prefix);
    let dir = tempfile::tempdir().unwrap();
    let image = format!(
        "registry.test/web:1@sha256:{}",
        digit.to_string().repeat(64)
    );
    let file = write(dir.path(), "web.yaml", &deployment(&ns, "web", 2, &image));
    PinnedWeb {
        ns,
        file,
        image,
        _dir: dir,
    }
}

fn get(cluster: &TestCluster, args: &[&str]) -> Value {
    cluster.kubectl_json(args)
}

fn managed_by<'a>(object: &'a Value, manager: &str) -> Option<&'a Value> {
    object["metadata"]["managedFields"]
        .as_array()?
        .iter()
        .find(|entry| entry["manager"] == manager && entry["operation"] == "Apply")
}

#[test]
fn pins_applies_and_records_the_original_images() {
    let cluster = cluster();
    let registry = TestRegistry::start(Kind::Http);
    let host = registry.host();
    let digest = registry.push_index(
        "shop/web",
        "1.4",
        &[Platform::LINUX_AMD64, Platform::LINUX_ARM64_V8],
    );
    let ns = cluster.namespace("apply");
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "web.yaml",
        &deployment(&ns, "web", 2, &format!("{host}/shop/web:1.4")),
    );

    let run = apply(cluster, &["-f", &file, "--insecure-registry", &host])
        .run()
        .expect_code(0);
    assert_eq!(run.stdout, "deployment.apps/web serverside-applied\n");

    let stored = get(
        cluster,
        &[
            "get",
            "deployment",
            "web",
            "-n",
            &ns,
            "--show-managed-fields",
        ],
    );
    let image = stored["spec"]["template"]["spec"]["containers"][0]["image"]
        .as_str()
        .unwrap();
    assert_eq!(image, format!("{host}/shop/web:1.4@{}", digest.digest));
    assert_eq!(
        registry.skopeo_inspect_digest("shop/web:1.4"),
        digest.digest,
        "what is stored is what skopeo sees"
    );
    assert_eq!(
        stored["metadata"]["annotations"]["kubectl-immutable/original-images"],
        format!(r#"{{"web":"{host}/shop/web:1.4"}}"#)
    );
    assert!(
        managed_by(&stored, "kubectl-immutable").is_some(),
        "{stored}"
    );
}

#[test]
fn server_dry_run_stores_nothing_and_prints_what_would_be_stored() {
    let cluster = cluster();
    let PinnedWeb {
        ns,
        file,
        image: pinned,
        _dir,
    } = pinned_web(cluster, "dry", 'd');
    let run = apply(cluster, &["-f", &file, "--dry-run=server", "-o", "yaml"])
        .run()
        .expect_code(0);
    assert!(
        run.stdout.contains(&format!("image: {pinned}")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("progressDeadlineSeconds: 600"),
        "the server's defaults are shown: {}",
        run.stdout
    );
    let list = get(cluster, &["get", "deployments", "-n", &ns]);
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
}

#[test]
fn nothing_is_sent_when_an_image_or_a_kind_is_unknown() {
    let cluster = cluster();
    let registry = TestRegistry::start(Kind::Http);
    let host = registry.host();
    registry.push_image("shop/web", "1", Platform::LINUX_AMD64);
    let ns = cluster.namespace("preflight");
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "a-web.yaml",
        &deployment(&ns, "web", 2, &format!("{host}/shop/web:1")),
    );
    write(
        dir.path(),
        "b-worker.yaml",
        &deployment(&ns, "worker", 2, &format!("{host}/shop/missing:1")),
    );
    let dir_arg = dir.path().display().to_string();
    let run = apply(cluster, &["-f", &dir_arg, "--insecure-registry", &host])
        .run()
        .expect_code(2);
    assert_eq!(
        run.stderr,
        format!(
            "error: {dir_arg}/b-worker.yaml:16:16: {host}/shop/missing:1: not found on {host}\n"
        )
    );

    fs::remove_file(dir.path().join("b-worker.yaml")).unwrap();
    // policy/v1 is newer than this 1.20 server: the corpus's kube-prometheus PDBs meet the same.
    write(
        dir.path(),
        "c-pdb.yaml",
        &format!(
            "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {{name: web, namespace: {ns}}}\nspec: {{maxUnavailable: 1}}\n"
        ),
    );
    write(
        dir.path(),
        "d-widget.yaml",
        &format!(
            "# a kind this cluster does not know\n\
             apiVersion: example.com/v1\nkind: Widget\nmetadata: {{name: w, namespace: {ns}}}\n"
        ),
    );
    let run = apply(cluster, &["-f", &dir_arg, "--insecure-registry", &host])
        .run()
        .expect_code(2);
    assert_eq!(
        run.stderr,
        format!(
            "error: {dir_arg}/c-pdb.yaml:1: poddisruptionbudget/web: the server does not know PodDisruptionBudget in policy/v1\n\
             error: {dir_arg}/d-widget.yaml:2: widget/w: the server does not know Widget in example.com/v1\n"
        )
    );
    let list = get(cluster, &["get", "deployments", "-n", &ns]);
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        0,
        "nothing was sent"
    );
}

fn crd() -> &'static str {
    "\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: runners.ci.example.com
spec:
  group: ci.example.com
  scope: Namespaced
  names: {plural: runners, singular: runner, kind: Runner, listKind: RunnerList}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              image: {type: string}
"
}

#[test]
fn a_crd_and_its_custom_resource_in_one_run() {
    let cluster = cluster();
    let registry = TestRegistry::start(Kind::Http);
    let host = registry.host();
    let digest = registry.push_image("ci/runner", "2", Platform::LINUX_AMD64);
    let ns = cluster.namespace("crd");
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "release.yaml",
        &format!(
            "apiVersion: ci.example.com/v1\nkind: Runner\nmetadata: {{name: r, namespace: {ns}}}\nspec: {{image: {host}/ci/runner:2}}\n---\n{}",
            crd()
        ),
    );
    let run = apply(
        cluster,
        &[
            "-f",
            &file,
            "--insecure-registry",
            &host,
            "--image-path",
            "Runner:spec.image",
        ],
    )
    .run()
    .expect_code(0);
    assert_eq!(
        run.stdout,
        "customresourcedefinition.apiextensions.k8s.io/runners.ci.example.com serverside-applied\nrunner.ci.example.com/r serverside-applied\n"
    );
    let runner = get(cluster, &["get", "runners.ci.example.com", "r", "-n", &ns]);
    assert_eq!(
        runner["spec"]["image"],
        format!("{host}/ci/runner:2@{digest}")
    );
}

#[test]
fn a_field_owned_by_another_manager_stops_the_release_until_forced() {
    let cluster = cluster();
    let PinnedWeb {
        ns,
        file,
        image: a,
        _dir,
    } = pinned_web(cluster, "conflict", 'a');
    let b = format!("registry.test/web:2@sha256:{}", "b".repeat(64));
    apply(cluster, &["-f", &file]).run().expect_code(0);
    cluster.kubectl_ok(&[
        "set",
        "image",
        "deployment/web",
        &format!("web={b}"),
        "-n",
        &ns,
    ]);

    let refused = apply(cluster, &["-f", &file]).run().expect_code(2);
    assert!(
        refused.stderr.contains("conflict with \"kubectl-set\""),
        "{}",
        refused.stderr
    );
    assert!(
        refused
            .stderr
            .contains(".spec.template.spec.containers[name=\"web\"].image")
    );
    assert!(refused.stderr.contains("use --force-conflicts"));
    let image = |cluster: &TestCluster| {
        get(cluster, &["get", "deployment", "web", "-n", &ns])["spec"]["template"]["spec"]["containers"][0]["image"]
            .clone()
    };
    assert_eq!(image(cluster), b.as_str(), "the dry run stopped it");

    apply(cluster, &["-f", &file, "--force-conflicts"])
        .run()
        .expect_code(0);
    assert_eq!(image(cluster), a.as_str());
}

#[test]
fn a_user_without_rights_gets_one_line_per_object() {
    let cluster = cluster();
    let ns = cluster.namespace("rbac");
    let dir = tempfile::tempdir().unwrap();
    let pinned = format!("registry.test/web:1@sha256:{}", "a".repeat(64));
    let file = write(
        dir.path(),
        "two.yaml",
        &format!(
            "{}---\n{}",
            deployment(&ns, "web", 2, &pinned),
            deployment(&ns, "api", 2, &pinned)
        ),
    );
    let kubeconfig = cluster.nobody_kubeconfig().display().to_string();
    let run = Plugin::new(["apply", "--kubeconfig", &kubeconfig, "-f", &file]).run();
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(lines.len() >= 2, "{}", run.stderr);
    // Each named at the line its document starts on.
    let api_line = deployment(&ns, "web", 2, &pinned).lines().count() + 2;
    for (line, (name, at)) in lines.iter().zip([("web", 1), ("api", api_line)]) {
        assert!(
            line.starts_with(&format!("error: {file}:{at}: deployment.apps/{name}: "))
                && line.contains("forbidden"),
            "{line}"
        );
    }
}

#[test]
fn wait_follows_the_rollout_and_names_a_stuck_one() {
    let cluster = cluster();
    let PinnedWeb { ns, file, _dir, .. } = pinned_web(cluster, "wait", 'a');

    let stuck = apply(cluster, &["-f", &file, "--wait", "--timeout", "3s"])
        .run()
        .expect_code(1);
    assert!(
        stuck.stderr.contains("error: deployment.apps/web did not finish its rollout within 3s: still waiting for 0 of 2 updated replicas available; conditions: "),
        "{}",
        stuck.stderr
    );
    assert!(stuck.stderr.contains("Available=False"), "{}", stuck.stderr);

    let waiting = std::thread::scope(|scope| {
        let plugin =
            scope.spawn(|| apply(cluster, &["-f", &file, "--wait", "--timeout", "60s"]).run());
        cluster.wait_for("two pods to mark ready", Duration::from_secs(30), || {
            (cluster.mark_pods_ready(&ns, "app=web") == 2).then_some(())
        });
        plugin.join().unwrap()
    });
    let waited = waiting.expect_code(0);
    assert_eq!(waited.stdout, "deployment.apps/web unchanged\n");
}

/// The corpus's ingress-nginx release, through the plugin's full path.
fn ingress_nginx() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/corpus/ingress-nginx-deploy.yaml")
}

fn generations(cluster: &TestCluster) -> Vec<(String, Value, Value)> {
    let mut all = Vec::new();
    for kind in [
        "deployments",
        "jobs",
        "services",
        "configmaps",
        "roles",
        "serviceaccounts",
    ] {
        let list = get(
            cluster,
            &["get", kind, "-n", "ingress-nginx", "--show-managed-fields"],
        );
        // Only what the plugin wrote: the controller manager adds its own objects to a new
        // namespace (`kube-root-ca.crt`, the `default` service account) whenever it gets to it.
        for item in list["items"].as_array().unwrap() {
            if let Some(entry) = managed_by(item, "kubectl-immutable") {
                all.push((
                    format!("{kind}/{}", item["metadata"]["name"].as_str().unwrap()),
                    item["metadata"]["generation"].clone(),
                    entry["time"].clone(),
                ));
            }
        }
    }
    all
}

#[test]
fn ingress_nginx_stops_at_the_dry_run_on_1_20_and_applies_whole_once_fixed() {
    let cluster = cluster();
    let run: Run = apply(cluster, &["-f", ingress_nginx().to_str().unwrap()])
        .run()
        .expect_code(2);
    assert!(
        run.stderr.contains(
            "ingress-nginx-deploy.yaml:368: service/ingress-nginx-controller-admission: "
        ) && run.stderr.contains(
            "associative list with keys has an element that omits key field \"protocol\""
        ),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains(
        "applied before stopping (the release's own Namespaces and CRDs): namespace/ingress-nginx"
    ));
    let deployments = get(
        cluster,
        &["get", "deployments,jobs,roles", "-n", "ingress-nginx"],
    );
    assert_eq!(
        deployments["items"].as_array().unwrap().len(),
        0,
        "nothing but the namespace"
    );

    let fixed = fs::read_to_string(ingress_nginx()).unwrap().replace(
        "    port: 443\n    targetPort: webhook\n",
        "    port: 443\n    protocol: TCP\n    targetPort: webhook\n",
    );
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "deploy.yaml", &fixed);
    let first = apply(cluster, &["-f", &file]).run().expect_code(0);
    assert!(
        first
            .stdout
            .contains("deployment.apps/ingress-nginx-controller serverside-applied\n")
    );
    let before = generations(cluster);
    assert!(before.len() >= 8, "{before:?}");

    let second = apply(cluster, &["-f", &file]).run().expect_code(0);
    for line in second.stdout.lines() {
        assert!(line.ends_with(" unchanged"), "{line}");
    }
    assert_eq!(
        generations(cluster),
        before,
        "a second apply writes nothing"
    );
}

#[test]
fn kubectl_finds_the_plugin_on_path() {
    let bin = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(
        env!("CARGO_BIN_EXE_kubectl-immutable"),
        bin.path().join("kubectl-immutable"),
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap()
    );
    let list = std::process::Command::new("kubectl")
        .args(["plugin", "list"])
        .env("PATH", &path)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&list.stdout).contains("kubectl-immutable"));
    let help = std::process::Command::new("kubectl")
        .args(["immutable", "apply", "--help"])
        .env("PATH", &path)
        .output()
        .unwrap();
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("--force-conflicts"));
}

#[test]
fn allow_unpinned_lets_a_named_image_through_as_written() {
    let cluster = cluster();
    let registry = TestRegistry::start(Kind::Http);
    let host = registry.host();
    let ns = cluster.namespace("unpinned");
    let dir = tempfile::tempdir().unwrap();
    let missing = format!("{host}/shop/missing:1");
    let file = write(
        dir.path(),
        "worker.yaml",
        &deployment(&ns, "worker", 2, &missing),
    );

    let other = apply(
        cluster,
        &[
            "-f",
            &file,
            "--insecure-registry",
            &host,
            "--allow-unpinned",
            "busybox",
        ],
    )
    .run()
    .expect_code(2);
    assert!(other.stderr.contains("not found on"), "{}", other.stderr);

    let run = apply(
        cluster,
        &[
            "-f",
            &file,
            "--insecure-registry",
            &host,
            "--allow-unpinned",
            &missing,
        ],
    )
    .run()
    .expect_code(0);
    assert_eq!(run.stdout, "deployment.apps/worker serverside-applied\n");
    let stored = get(cluster, &["get", "deployment", "worker", "-n", &ns]);
    assert_eq!(
        stored["spec"]["template"]["spec"]["containers"][0]["image"],
        missing.as_str()
    );
    assert!(
        stored["metadata"]["annotations"]
            .get("kubectl-immutable/original-images")
            .is_none()
    );
}
