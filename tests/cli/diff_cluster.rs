//! `kubectl immutable diff -f` against the live cluster, `diff TYPE/NAME` between rollout
//! revisions and `kubectl immutable history`, on the real test control plane; what the cluster
//! holds is read back with the real `kubectl`.
//!
//! Each test has a namespace of its own, named here (not numbered) so that the column widths of
//! the snapshots do not depend on the order the tests run in.

use std::ffi::OsString;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::support::cluster::{TestCluster, cluster};
use crate::support::plugin::{Plugin, Run};

const WAIT: Duration = Duration::from_secs(60);
const A: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const B: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

/// The plugin run as `kubeconfig`'s user against the test cluster.
fn immutable(kubeconfig: &Path, args: &[&str]) -> Run {
    let mut argv: Vec<OsString> = args.iter().map(OsString::from).collect();
    argv.extend(["--kubeconfig".into(), kubeconfig.into()]);
    Plugin::new(argv).run()
}

fn as_admin(args: &[&str]) -> Run {
    immutable(cluster().kubeconfig(), args)
}

fn namespace(cluster: &TestCluster, name: &str) -> String {
    cluster.kubectl_ok(&["create", "namespace", name]);
    name.to_string()
}

/// Writes `text` to a file of a fresh folder; the folder lives as long as the returned guard.
fn manifest(text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("release.yaml");
    std::fs::write(&path, text).unwrap();
    (dir, path.to_str().unwrap().to_string())
}

fn web(image: &str, replicas: u32) -> String {
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {{app: web}}
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      containers:
      - name: web
        image: {image}
        ports:
        - containerPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {{app: web}}
  ports:
  - port: 80
    targetPort: 8080
    protocol: TCP
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
data:
  mode: production
"
    )
}

/// Applies `text` with the real `kubectl apply` (client-side: it adds its own annotation).
fn kubectl_apply(cluster: &TestCluster, ns: &str, text: &str) {
    let (_dir, path) = manifest(text);
    cluster.kubectl_ok(&["apply", "-n", ns, "-f", &path]);
}

#[test]
fn an_applied_manifest_is_no_difference_though_the_server_adds_to_it() {
    let cluster = cluster();
    let ns = namespace(cluster, "diffc-same");
    let release = web(&format!("registry.test/web@{A}"), 2);
    kubectl_apply(cluster, &ns, &release);
    cluster.wait_for("the Deployment's status", WAIT, || {
        let deployment = cluster.kubectl_json(&["get", "deployment", "web", "-n", &ns]);
        (deployment["status"]["replicas"] == 2).then_some(())
    });
    let live = cluster.kubectl_json(&[
        "get",
        "deployment",
        "web",
        "-n",
        &ns,
        "--show-managed-fields",
    ]);
    assert!(live["metadata"]["managedFields"].is_array(), "{live}");
    assert_eq!(
        live["spec"]["strategy"]["type"], "RollingUpdate",
        "defaulted"
    );
    assert!(
        live["metadata"]["annotations"]["deployment.kubernetes.io/revision"].is_string(),
        "{live}"
    );

    let (_dir, path) = manifest(&release);
    let run = as_admin(&["diff", "-f", &path, "-n", &ns]).expect_code(0);
    assert_eq!(run.stdout, "0 added, 0 removed, 0 changed, 3 unchanged\n");
    assert_eq!(run.stderr, "");
}

#[test]
fn a_changed_image_and_replicas_show_in_the_image_table_and_the_diff() {
    let cluster = cluster();
    let ns = namespace(cluster, "diffc-change");
    kubectl_apply(cluster, &ns, &web(&format!("registry.test/web:1.0@{A}"), 2));

    let (_dir, path) = manifest(&web(&format!("registry.test/web:1.0@{B}"), 3));
    let run = as_admin(&["diff", "-f", &path, "-n", &ns, "--color", "never"]).expect_code(1);
    assert!(
        run.stdout
            .starts_with("0 added, 0 removed, 1 changed, 2 unchanged\n")
    );
    assert!(run.stdout.contains("-  replicas: 2\n+  replicas: 3\n"));
    insta::assert_snapshot!(run.stdout);

    let json = as_admin(&["diff", "-f", &path, "-n", &ns, "-o", "json"]).expect_code(1);
    let report: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(report["images"][0]["note"], "tag-moved", "{report}");

    let stored = cluster.kubectl_json(&["get", "deployment", "web", "-n", &ns]);
    assert_eq!(
        stored["spec"]["replicas"], 2,
        "a dry run changed the cluster"
    );
    assert_eq!(
        stored["spec"]["template"]["spec"]["containers"][0]["image"],
        format!("registry.test/web:1.0@{A}")
    );
}

#[test]
fn objects_missing_from_the_cluster_are_added() {
    let cluster = cluster();
    let ns = namespace(cluster, "diffc-added");
    let (_dir, path) = manifest(
        "apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {mode: test}
---
apiVersion: v1
kind: Namespace
metadata: {name: diffc-added-new}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: diffc-added-new}
data: {mode: new}
",
    );
    let run = as_admin(&["diff", "-f", &path, "-n", &ns, "--color", "never"]).expect_code(1);
    assert!(
        run.stdout
            .starts_with("3 added, 0 removed, 0 changed, 0 unchanged\n"),
        "{}",
        run.stdout
    );
    insta::assert_snapshot!(run.stdout);
    let namespaces = cluster.kubectl_ok(&["get", "namespaces", "-o", "name"]);
    assert!(
        !namespaces.contains("namespace/diffc-added-new"),
        "a dry run created it"
    );
    assert!(
        !cluster
            .kubectl(&["get", "configmap", "settings", "-n", &ns])
            .status
            .success()
    );
}

#[test]
fn a_secret_s_values_never_appear() {
    let cluster = cluster();
    let ns = namespace(cluster, "diffc-secret");
    cluster.kubectl_ok(&[
        "create",
        "secret",
        "generic",
        "db",
        "-n",
        &ns,
        "--from-literal=user=admin",
        "--from-literal=password=old-s3cr3t",
    ]);
    let (_dir, path) = manifest(
        "apiVersion: v1
kind: Secret
metadata: {name: db}
stringData: {user: admin, password: new-s3cr3t}
",
    );
    for format in ["text", "json"] {
        let run = as_admin(&["diff", "-f", &path, "-n", &ns, "-o", format]).expect_code(1);
        for secret in [
            "admin",
            "YWRtaW4=",
            "old-s3cr3t",
            "b2xkLXMzY3IzdA==",
            "new-s3cr3t",
            "bmV3LXMzY3IzdA==",
        ] {
            assert!(
                !run.stdout.contains(secret),
                "{format} shows {secret}:\n{}",
                run.stdout
            );
        }
        assert!(run.stdout.contains("password"), "the changed key is named");
        assert!(run.stdout.contains("*** (after)"), "{}", run.stdout);
    }
}

#[test]
fn refusals_and_unknown_kinds_are_one_line_and_exit_2() {
    let cluster = cluster();
    let ns = namespace(cluster, "diffc-refused");
    // Pinned, so the diff goes to the cluster without asking a registry.
    let image = format!("registry.test/web:1.0@{A}");
    let (_dir, path) = manifest(&web(&image, 1));
    kubectl_apply(cluster, &ns, &web(&image, 1));

    let forbidden = immutable(
        cluster.nobody_kubeconfig(),
        &["diff", "-f", &path, "-n", &ns],
    )
    .expect_code(2);
    assert_eq!(forbidden.stdout, "");
    let lines: Vec<&str> = forbidden.stderr.lines().collect();
    assert_eq!(lines.len(), 3, "one line per object: {}", forbidden.stderr);
    assert_eq!(
        lines[0],
        format!(
            "error: deployment.apps/{ns}/web: deployments.apps \"web\" is forbidden: User \"nobody\" cannot get resource \"deployments\" in API group \"apps\" in the namespace \"{ns}\""
        )
    );
    for args in [["diff", "deployment/web"], ["history", "deployment/web"]] {
        let mut args = args.to_vec();
        args.extend(["-n", &ns]);
        let run = immutable(cluster.nobody_kubeconfig(), &args).expect_code(2);
        assert_eq!(
            run.stderr,
            format!(
                "error: deployments.apps \"web\" is forbidden: User \"nobody\" cannot get resource \"deployments\" in API group \"apps\" in the namespace \"{ns}\"\n"
            ),
            "{args:?}"
        );
    }

    // Each unknown kind is named at the line its document's content starts on.
    let (_dir, gadget) = manifest(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\n# a kind this cluster does not know\n\
         apiVersion: gadgets.example.com/v1\nkind: Gadget\nmetadata: {name: g}\n---\n\
         apiVersion: apps/v1\nkind: Wdiget\nmetadata: {name: w}\n",
    );
    let unknown = as_admin(&["diff", "-f", &gadget, "-n", &ns]).expect_code(2);
    assert_eq!(
        unknown.stderr,
        format!(
            "error: {gadget}:6: the server does not know Gadget in gadgets.example.com/v1\n\
             error: {gadget}:10: the server does not know Wdiget in apps/v1\n"
        )
    );

    let dir = tempfile::tempdir().unwrap();
    let unreachable = dir.path().join("kubeconfig");
    let config = std::fs::read_to_string(cluster.kubeconfig()).unwrap();
    std::fs::write(
        &unreachable,
        config.replace(cluster.server(), "https://127.0.0.1:1"),
    )
    .unwrap();
    let run = immutable(&unreachable, &["diff", "-f", &path]).expect_code(2);
    // The deepest cause, once: not kube's and hyper's wrappers of it.
    assert_eq!(
        run.stderr,
        "error: cannot reach the cluster: Connection refused (os error 111) (gave up after 4 tries)\n"
    );

    for (args, message) in [
        (
            vec!["diff", "pod/web"],
            "error: `pod` keeps no rollout revisions",
        ),
        (
            vec!["diff", "release.yaml"],
            "error: `release.yaml` is not TYPE/NAME (e.g. deployment/web); diff takes OLD NEW, TYPE/NAME, or -f PATH",
        ),
        (
            vec!["diff", "deploy/missing"],
            "error: deployment.apps/diffc-refused/missing not found",
        ),
        (
            vec![
                "diff",
                "deploy/web",
                "--revision",
                "1",
                "--revision",
                "2",
                "--revision",
                "3",
            ],
            "error: --revision is given at most twice",
        ),
    ] {
        let mut args = args.clone();
        args.extend(["-n", &ns]);
        let run = as_admin(&args).expect_code(2);
        assert!(run.stderr.starts_with(message), "{args:?}: {}", run.stderr);
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    }
}

/// The ReplicaSet of `revision`, once the Deployment controller made it.
fn replica_set(cluster: &TestCluster, ns: &str, revision: &str) -> Value {
    cluster.wait_for(
        &format!("the ReplicaSet of revision {revision}"),
        WAIT,
        || {
            let sets = cluster.kubectl_json(&["get", "replicasets", "-n", ns, "-l", "app=web"]);
            sets["items"].as_array()?.iter().find_map(|set| {
                let annotations = &set["metadata"]["annotations"];
                (annotations["deployment.kubernetes.io/revision"] == revision).then(|| set.clone())
            })
        },
    )
}

/// Marks the pods of a ReplicaSet Ready once they exist; returns their `imageID`s by container.
fn run_pods_of(cluster: &TestCluster, ns: &str, replica_set: &Value) -> Vec<(String, String)> {
    let hash = replica_set["metadata"]["labels"]["pod-template-hash"]
        .as_str()
        .unwrap();
    let selector = format!("pod-template-hash={hash}");
    cluster.wait_for("the revision's pod", WAIT, || {
        let pods = cluster.kubectl_json(&["get", "pods", "-n", ns, "-l", &selector]);
        (!pods["items"].as_array()?.is_empty()).then_some(())
    });
    assert_eq!(cluster.mark_pods_ready(ns, &selector), 1);
    let pods = cluster.kubectl_json(&["get", "pods", "-n", ns, "-l", &selector]);
    pods["items"][0]["status"]["containerStatuses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|status| {
            (
                status["name"].as_str().unwrap().to_string(),
                status["imageID"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Creation times differ from run to run; the placeholder keeps the table's column widths.
fn without_times(text: &str, replica_sets: &[&Value]) -> String {
    replica_sets.iter().fold(text.to_string(), |text, set| {
        let created = set["metadata"]["creationTimestamp"].as_str().unwrap();
        text.replace(created, "YYYY-MM-DDTHH:MM:SSZ")
    })
}

#[test]
fn a_deployment_rolled_out_twice_diffs_and_lists_its_revisions() {
    let cluster = cluster();
    let ns = namespace(cluster, "diffc-rollout");
    let release = format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations: {{kubernetes.io/change-cause: release 1}}
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
        image: registry.test/web@{A}
      - name: sidecar
        image: registry.test/sidecar:1.0
"
    );
    kubectl_apply(cluster, &ns, &release);
    let first = replica_set(cluster, &ns, "1");
    run_pods_of(cluster, &ns, &first);
    cluster.kubectl_ok(&[
        "rollout",
        "status",
        "deployment/web",
        "-n",
        &ns,
        "--timeout=60s",
    ]);

    let only_one = as_admin(&["diff", "deployment/web", "-n", &ns]).expect_code(2);
    assert_eq!(
        only_one.stderr,
        format!(
            "error: deployment.apps/{ns}/web has only revision 1: nothing to compare it with\n"
        )
    );

    let new_image = format!("web=registry.test/web@{B}");
    cluster.kubectl_ok(&["set", "image", "deployment/web", &new_image, "-n", &ns]);
    cluster.kubectl_ok(&[
        "annotate",
        "--overwrite",
        "deployment/web",
        "kubernetes.io/change-cause=kubectl set image web",
        "-n",
        &ns,
    ]);
    let second = cluster.wait_for("the change cause on revision 2", WAIT, || {
        let set = replica_set(cluster, &ns, "2");
        (set["metadata"]["annotations"]["kubernetes.io/change-cause"] == "kubectl set image web")
            .then_some(set)
    });
    let image_ids = run_pods_of(cluster, &ns, &second);
    cluster.kubectl_ok(&[
        "rollout",
        "status",
        "deployment/web",
        "-n",
        &ns,
        "--timeout=60s",
    ]);
    let first_hash = first["metadata"]["labels"]["pod-template-hash"]
        .as_str()
        .unwrap()
        .to_string();
    cluster.wait_for("the pods of revision 1 to go", WAIT, || {
        let selector = format!("pod-template-hash={first_hash}");
        let pods = cluster.kubectl_json(&["get", "pods", "-n", &ns, "-l", &selector]);
        pods["items"].as_array()?.is_empty().then_some(())
    });

    let run = as_admin(&["diff", "deployment/web", "-n", &ns, "--color", "never"]).expect_code(1);
    assert!(run.stdout.starts_with(&format!(
        "deployment.apps/{ns}/web: revision 1 against revision 2\n0 added, 0 removed, 1 changed, 0 unchanged\n"
    )));
    insta::assert_snapshot!("rollout_diff", run.stdout);
    for alias in ["deploy/web", "deployments.apps/web"] {
        let explicit = as_admin(&[
            "diff",
            alias,
            "-n",
            &ns,
            "--color",
            "never",
            "--revision",
            "1",
            "--revision",
            "2",
        ])
        .expect_code(1);
        assert_eq!(explicit.stdout, run.stdout, "{alias}");
    }
    let back = as_admin(&[
        "diff",
        "deploy/web",
        "-n",
        &ns,
        "--revision",
        "2",
        "--revision",
        "1",
        "-o",
        "json",
    ])
    .expect_code(1);
    let report: Value = serde_json::from_str(&back.stdout).unwrap();
    assert_eq!(report["revisions"], serde_json::json!({"old": 2, "new": 1}));
    assert_eq!(report["object"], format!("deployment.apps/{ns}/web"));
    assert_eq!(report["images"][0]["container"], "web");
    assert_eq!(report["images"][0]["old"], format!("registry.test/web@{B}"));
    let current = as_admin(&["diff", "deploy/web", "-n", &ns, "--revision", "2"]).expect_code(0);
    assert!(
        current.stdout.contains("0 changed, 1 unchanged"),
        "{}",
        current.stdout
    );
    let missing = as_admin(&["diff", "deploy/web", "-n", &ns, "--revision", "7"]).expect_code(2);
    assert_eq!(
        missing.stderr,
        format!("error: deployment.apps/{ns}/web has no revision 7 (it has 1, 2)\n")
    );

    let sidecar_id = &image_ids
        .iter()
        .find(|(name, _)| name == "sidecar")
        .unwrap()
        .1;
    let sidecar_digest = sidecar_id.split_once('@').unwrap().1;
    let history = as_admin(&["history", "deployment/web", "-n", &ns]).expect_code(0);
    assert!(history.stdout.contains(&format!(
        "registry.test/sidecar:1.0@{sidecar_digest} (from pod)"
    )));
    insta::assert_snapshot!(
        "rollout_history",
        without_times(&history.stdout, &[&first, &second])
    );

    let json = as_admin(&["history", "deploy/web", "-n", &ns, "-o", "json"]).expect_code(0);
    let history: Value = serde_json::from_str(&json.stdout).unwrap();
    let revisions = history["revisions"].as_array().unwrap();
    assert_eq!(revisions.len(), 2);
    assert_eq!(revisions[0]["revision"], 1);
    assert_eq!(revisions[0]["change_cause"], "release 1");
    assert_eq!(
        revisions[0]["created"],
        first["metadata"]["creationTimestamp"]
    );
    assert_eq!(revisions[1]["change_cause"], "kubectl set image web");
    let containers = &revisions[1]["containers"];
    assert_eq!(
        containers[0],
        serde_json::json!({"name": "sidecar", "image": "registry.test/sidecar:1.0",
            "pinned": [format!("registry.test/sidecar:1.0@{sidecar_digest}")], "digest_from": "pod"})
    );
    assert_eq!(
        containers[1],
        serde_json::json!({"name": "web", "image": format!("registry.test/web@{B}"),
            "pinned": [format!("registry.test/web@{B}")], "digest_from": "template"})
    );
    assert_eq!(
        revisions[0]["containers"][0]["pinned"],
        serde_json::json!([])
    );
}

#[test]
fn a_statefulset_s_controller_revisions_are_its_rollout_revisions() {
    let cluster = cluster();
    let ns = namespace(cluster, "diffc-sts");
    kubectl_apply(
        cluster,
        &ns,
        "apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 1
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      containers:
      - name: db
        image: registry.test/db:15
",
    );
    let pod_of = |revision_name: &str| {
        cluster.wait_for(&format!("pod db-0 of {revision_name}"), WAIT, || {
            let pod = cluster.kubectl_json(&["get", "pods", "-n", &ns, "-l", "app=db"]);
            let pod = pod["items"].as_array()?.first()?.clone();
            (pod["metadata"]["labels"]["controller-revision-hash"] == revision_name).then_some(pod)
        })
    };
    let revision = |number: u64| {
        cluster.wait_for(&format!("ControllerRevision {number}"), WAIT, || {
            let list = cluster.kubectl_json(&["get", "controllerrevisions", "-n", &ns]);
            list["items"]
                .as_array()?
                .iter()
                .find(|r| r["revision"] == number)
                .cloned()
        })
    };
    let first = revision(1);
    pod_of(first["metadata"]["name"].as_str().unwrap());
    assert_eq!(cluster.mark_pods_ready(&ns, "app=db"), 1);

    cluster.kubectl_ok(&[
        "set",
        "image",
        "sts/db",
        "db=registry.test/db:16",
        "-n",
        &ns,
    ]);
    let second = revision(2);
    let pod = pod_of(second["metadata"]["name"].as_str().unwrap());
    assert_eq!(pod["spec"]["containers"][0]["image"], "registry.test/db:16");
    assert_eq!(cluster.mark_pods_ready(&ns, "app=db"), 1);
    let pod = cluster.kubectl_json(&["get", "pod", "db-0", "-n", &ns]);
    let image_id = pod["status"]["containerStatuses"][0]["imageID"]
        .as_str()
        .unwrap();
    let digest = image_id.split_once('@').unwrap().1;

    let run = as_admin(&["diff", "statefulset/db", "-n", &ns, "--color", "never"]).expect_code(1);
    assert!(run.stdout.contains(&format!(
        "statefulset.apps/{ns}/db  db         registry.test/db:15  registry.test/db:16  unpinned\n"
    )), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("-      - image: registry.test/db:15\n+      - image: registry.test/db:16\n"),
        "{}",
        run.stdout
    );

    let history = as_admin(&["history", "sts/db", "-n", &ns]).expect_code(0);
    let expected = format!(
        "statefulset.apps/{ns}/db
REVISION  CREATED               CONTAINER  IMAGE{pad}  CHANGE-CAUSE
1         {created1}  db         registry.test/db:15 (no digest){pad1}  <none>
2         {created2}  db         registry.test/db:16@{digest} (from pod)  <none>
",
        created1 = first["metadata"]["creationTimestamp"].as_str().unwrap(),
        created2 = second["metadata"]["creationTimestamp"].as_str().unwrap(),
        pad = " ".repeat(format!("registry.test/db:16@{digest} (from pod)").len() - 5),
        pad1 = " ".repeat(
            format!("registry.test/db:16@{digest} (from pod)").len()
                - "registry.test/db:15 (no digest)".len()
        ),
    );
    assert_eq!(history.stdout, expected);
}

#[test]
fn a_daemonset_s_revisions_diff_without_any_node() {
    let cluster = cluster();
    let ns = namespace(cluster, "diffc-ds");
    let agent = |image: &str| {
        format!(
            "apiVersion: apps/v1
kind: DaemonSet
metadata: {{name: agent}}
spec:
  selector:
    matchLabels: {{app: agent}}
  template:
    metadata:
      labels: {{app: agent}}
    spec:
      containers:
      - name: agent
        image: {image}
"
        )
    };
    let revisions = |count: usize| {
        cluster.wait_for(&format!("{count} ControllerRevisions"), WAIT, || {
            let list = cluster.kubectl_json(&["get", "controllerrevisions", "-n", &ns]);
            (list["items"].as_array()?.len() == count).then_some(())
        })
    };
    kubectl_apply(cluster, &ns, &agent(&format!("registry.test/agent@{A}")));
    revisions(1);
    kubectl_apply(cluster, &ns, &agent(&format!("registry.test/agent@{B}")));
    revisions(2);
    let run = as_admin(&["diff", "ds/agent", "-n", &ns, "-o", "json"]).expect_code(1);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["revisions"], serde_json::json!({"old": 1, "new": 2}));
    assert_eq!(
        report["images"],
        serde_json::json!([{"object": format!("daemonset.apps/{ns}/agent"), "container": "agent",
            "old": format!("registry.test/agent@{A}"), "new": format!("registry.test/agent@{B}"),
            "note": null}])
    );
}
