//! The test control plane itself: a real API server, a real Deployment controller, real RBAC
//! and CRDs, read back with the real `kubectl`.

use std::fs;
use std::time::Duration;

use serde_json::Value;

use crate::support::cluster::cluster;

const WAIT: Duration = Duration::from_secs(60);

#[test]
fn kubectl_reaches_a_v1_20_server_over_verified_tls() {
    let cluster = cluster();
    let config = fs::read_to_string(cluster.kubeconfig()).unwrap();
    assert!(config.contains("certificate-authority:"), "{config}");
    assert!(!config.contains("insecure-skip-tls-verify"), "{config}");

    let version: Value =
        serde_json::from_str(&cluster.kubectl_ok(&["version", "-o", "json"])).unwrap();
    assert_eq!(
        version["serverVersion"]["gitVersion"], "v1.20.2",
        "{version}"
    );
    assert_eq!(version["serverVersion"]["minor"], "20", "{version}");
}

#[test]
fn deployment_controller_creates_a_revision_and_counts_pods_the_stand_in_marks_ready() {
    let cluster = cluster();
    let ns = cluster.namespace("rollout");
    cluster.kubectl_ok(&[
        "create",
        "deployment",
        "web",
        "-n",
        &ns,
        "--replicas=2",
        "--image=registry.test/web@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "--image=registry.test/sidecar:1.0",
    ]);

    let replica_set = cluster.wait_for("a ReplicaSet with a revision", WAIT, || {
        let sets = cluster.kubectl_json(&["get", "replicasets", "-n", &ns, "-l", "app=web"]);
        sets["items"].as_array()?.first().cloned()
    });
    assert_eq!(
        replica_set["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
        "1"
    );
    assert_eq!(
        replica_set["metadata"]["ownerReferences"][0]["kind"],
        "Deployment"
    );

    cluster.wait_for("two pending pods", WAIT, || {
        let pods = cluster.kubectl_json(&["get", "pods", "-n", &ns, "-l", "app=web"]);
        (pods["items"].as_array()?.len() == 2).then_some(())
    });
    let deployment = cluster.kubectl_json(&["get", "deployment", "web", "-n", &ns]);
    assert_eq!(
        deployment["status"].get("availableReplicas"),
        None,
        "no kubelet yet: {deployment}"
    );

    assert_eq!(cluster.mark_pods_ready(&ns, "app=web"), 2);

    let pods = cluster.kubectl_json(&["get", "pods", "-n", &ns, "-l", "app=web"]);
    for pod in pods["items"].as_array().unwrap() {
        assert_eq!(pod["status"]["phase"], "Running");
        let statuses = pod["status"]["containerStatuses"].as_array().unwrap();
        assert_eq!(
            statuses[0]["imageID"],
            "registry.test/web@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        );
        let sidecar = statuses[1]["imageID"].as_str().unwrap();
        assert!(
            sidecar.starts_with("registry.test/sidecar@sha256:"),
            "{sidecar}"
        );
        assert_eq!(
            sidecar.len(),
            "registry.test/sidecar@sha256:".len() + 64,
            "{sidecar}"
        );
    }

    cluster.wait_for(
        "the Deployment to count two available replicas",
        WAIT,
        || {
            let deployment = cluster.kubectl_json(&["get", "deployment", "web", "-n", &ns]);
            (deployment["status"]["availableReplicas"] == 2).then_some(())
        },
    );
    cluster.kubectl_ok(&[
        "rollout",
        "status",
        "deployment/web",
        "-n",
        &ns,
        "--timeout=30s",
    ]);
}

#[test]
fn a_user_without_rights_is_forbidden() {
    let cluster = cluster();
    let ns = cluster.namespace("rbac");
    let output = cluster.kubectl_as_nobody(&["get", "configmaps", "-n", &ns]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success(),
        "nobody listed configmaps: {stderr}"
    );
    assert!(stderr.contains("Forbidden"), "{stderr}");
    assert!(
        stderr.contains(r#"User "nobody" cannot list resource "configmaps""#),
        "{stderr}"
    );

    let allowed = cluster.kubectl_ok(&["auth", "can-i", "list", "configmaps", "-n", &ns]);
    assert_eq!(allowed.trim(), "yes");
}

const WIDGET_CRD: &str = r#"apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.cluster-test.kubectl-immutable.dev
spec:
  group: cluster-test.kubectl-immutable.dev
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
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
              replicas: {type: integer}
              labels:
                type: object
                additionalProperties: {type: string}
              ports:
                type: array
                x-kubernetes-list-type: map
                x-kubernetes-list-map-keys: [name]
                items:
                  type: object
                  required: [name]
                  properties:
                    name: {type: string}
                    port: {type: integer}
"#;

fn widget(image: &str, replicas: u32) -> String {
    format!(
        r#"apiVersion: cluster-test.kubectl-immutable.dev/v1
kind: Widget
metadata:
  name: gear
  labels: {{a: "1", b: "2", c: "3"}}
  annotations: {{note: "1", owner: "2"}}
spec:
  image: {image}
  replicas: {replicas}
  labels: {{tier: web, team: core, env: test, zone: a}}
  ports:
  - {{name: http, port: 80}}
  - {{name: https, port: 443}}
"#
    )
}

/// The reflect2 trap of Kubernetes 1.20 built with Go >= 1.18: the API server crashed on the
/// first server-side dry run of a custom resource. Drives such dry runs repeatedly.
#[test]
fn crd_becomes_established_and_server_side_dry_runs_of_custom_resources_succeed() {
    let cluster = cluster();
    let ns = cluster.namespace("crd");
    let dir = tempfile::tempdir().unwrap();
    let crd = dir.path().join("crd.yaml");
    fs::write(&crd, WIDGET_CRD).unwrap();
    cluster.kubectl_ok(&["apply", "--server-side", "-f", crd.to_str().unwrap()]);
    cluster.kubectl_ok(&[
        "wait",
        "--for=condition=Established",
        "crd/widgets.cluster-test.kubectl-immutable.dev",
        "--timeout=60s",
    ]);

    let manifest = dir.path().join("widget.yaml");
    let apply = |manager: &str, extra: &[&str]| {
        let mut args = vec![
            "apply",
            "--server-side",
            "--field-manager",
            manager,
            "-n",
            &ns,
            "-o",
            "json",
            "--show-managed-fields",
            "-f",
            manifest.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        cluster.kubectl(&args)
    };

    fs::write(&manifest, widget("app:1", 2)).unwrap();
    for _ in 0..5 {
        let output = apply("tester", &["--dry-run=server"]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let dry: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(dry["spec"]["image"], "app:1");
        assert_eq!(
            dry["metadata"]["managedFields"][0]["manager"], "tester",
            "{dry}"
        );
    }
    cluster.assert_alive();
    let missing = cluster.kubectl(&["get", "widget", "gear", "-n", &ns]);
    assert!(!missing.status.success(), "a dry run stored the widget");

    let output = apply("tester", &[]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    fs::write(&manifest, widget("app:2", 3)).unwrap();
    let output = apply("tester", &["--dry-run=server"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let dry: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(dry["spec"]["image"], "app:2");

    let conflict = apply("other", &["--dry-run=server"]);
    let stderr = String::from_utf8_lossy(&conflict.stderr);
    assert!(
        !conflict.status.success(),
        "another manager took fields without --force-conflicts"
    );
    assert!(stderr.contains("conflict"), "{stderr}");

    let forced = apply("other", &["--dry-run=server", "--force-conflicts"]);
    assert!(
        forced.status.success(),
        "{}",
        String::from_utf8_lossy(&forced.stderr)
    );

    let stored = cluster.kubectl_json(&["get", "widget", "gear", "-n", &ns]);
    assert_eq!(
        stored["spec"]["image"], "app:1",
        "dry runs changed the stored widget"
    );
    assert_eq!(stored["spec"]["replicas"], 2);
    cluster.assert_alive();
}
