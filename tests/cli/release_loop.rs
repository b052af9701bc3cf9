//! The commands as a user chains them (pin, apply --wait, pin --refresh, diff -f, rollback,
//! drift) on the real control plane and the real registry, the test playing the kubelet.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::template_image;
use crate::support::cluster::{TestCluster, cluster};
use crate::support::plugin::{Plugin, Run};
use crate::support::registry::{Kind, Platform, TestRegistry};

fn deployment(ns: &str, image: &str, replicas: u32) -> String {
    format!(
        "\
# the web tier
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: {ns}
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
      initContainers:
      - name: setup
        image: {image}
"
    )
}

/// `kubectl immutable COMMAND --kubeconfig … ARGS…`, run.
fn plugin(cluster: &TestCluster, command: &str, args: &[&str]) -> Run {
    let kubeconfig = cluster.kubeconfig().display().to_string();
    let mut all = vec![command, "--kubeconfig", &kubeconfig];
    all.extend(args);
    Plugin::new(all).run()
}

fn write(path: &Path, text: &str) -> String {
    fs::write(path, text).unwrap();
    path.display().to_string()
}

#[test]
fn apply_then_diff_of_the_same_files_is_no_difference() {
    let cluster = cluster();
    let registry = TestRegistry::start(Kind::Http);
    let host = registry.host();
    let digest = registry.push_image("shop/web", "1.4", Platform::LINUX_AMD64);
    let ns = cluster.namespace("loop-diff");
    let dir = tempfile::tempdir().unwrap();
    let image = format!("{host}/shop/web:1.4");
    let file = write(&dir.path().join("web.yaml"), &deployment(&ns, &image, 2));
    let lock = dir.path().join("immutable.lock").display().to_string();
    let resolve = ["--insecure-registry", host.as_str()];

    let applied = plugin(cluster, "apply", &[&["-f", &file][..], &resolve].concat());
    assert_eq!(
        applied.expect_code(0).stdout,
        "deployment.apps/web serverside-applied\n"
    );
    let stored = cluster.kubectl_json(&["get", "deployment", "web", "-n", &ns]);
    assert_eq!(
        stored["spec"]["template"]["spec"]["containers"][0]["image"],
        format!("{image}@{digest}")
    );

    // Online: the same files pinned again, exactly as apply sent them.
    let same = plugin(cluster, "diff", &[&["-f", &file][..], &resolve].concat()).expect_code(0);
    let nothing = "0 added, 0 removed, 0 changed, 1 unchanged\n";
    assert_eq!(same.stdout, nothing, "{}", same.stderr);

    // Offline, from a lock file pin wrote: no registry is asked.
    Plugin::new([&["pin", "-f", &file, "--lock", &lock][..], &resolve].concat())
        .run()
        .expect_code(0);
    drop(registry);
    let offline = plugin(
        cluster,
        "diff",
        &["-f", &file, "--offline", "--lock", &lock],
    )
    .expect_code(0);
    assert_eq!(offline.stdout, nothing);

    // A real edit shows alone: the replicas, no image row.
    let edited = write(&dir.path().join("web.yaml"), &deployment(&ns, &image, 3));
    let changed = plugin(
        cluster,
        "diff",
        &[
            "-f",
            &edited,
            "--offline",
            "--lock",
            &lock,
            "--color",
            "never",
            "-o",
            "json",
        ],
    )
    .expect_code(1);
    let report: serde_json::Value = serde_json::from_str(&changed.stdout).unwrap();
    assert_eq!(
        report["images"],
        serde_json::json!([]),
        "{}",
        changed.stdout
    );
    let diff = report["objects"][0]["diff"].as_str().unwrap();
    let changed_lines: Vec<&str> = diff
        .lines()
        .filter(|line| {
            (line.starts_with('-') || line.starts_with('+'))
                && !line.starts_with("---")
                && !line.starts_with("+++")
        })
        .collect();
    assert_eq!(
        changed_lines,
        ["-  replicas: 2", "+  replicas: 3"],
        "{diff}"
    );

    // --no-pin compares the files as written: every image back to its bare tag, and the
    // annotation apply wrote gone.
    let as_written = plugin(
        cluster,
        "diff",
        &["-f", &file, "--no-pin", "--color", "never"],
    )
    .expect_code(1);
    assert!(
        as_written.stdout.contains(&format!("{image}@{digest}"))
            && as_written.stdout.contains("unpinned")
            && as_written
                .stdout
                .contains("kubectl-immutable/original-images"),
        "{}",
        as_written.stdout
    );
}

/// `apply --lock` records what it applied, as `pin --lock` does, so the offline diff right after
/// reads it; a dry run writes none; a `--lock` naming an input is refused before anything is
/// sent. `diff -f --lock` records what it resolved too.
#[test]
fn apply_records_its_lock_file_for_the_offline_diff_after_it() {
    let cluster = cluster();
    let registry = TestRegistry::start(Kind::Http);
    let host = registry.host();
    let digest = registry.push_image("shop/web", "1.4", Platform::LINUX_AMD64);
    let ns = cluster.namespace("loop-lock");
    let dir = tempfile::tempdir().unwrap();
    let rel = dir.path().join("rel");
    fs::create_dir(&rel).unwrap();
    let image = format!("{host}/shop/web:1.4");
    let text = deployment(&ns, &image, 2);
    let file = write(&rel.join("web.yaml"), &text);
    let rel = rel.display().to_string();
    let lock = dir.path().join("lock.json");
    let lock_name = lock.display().to_string();
    let resolve = ["--insecure-registry", host.as_str()];
    let apply = |args: &[&str]| plugin(cluster, "apply", &[args, &resolve].concat());
    let absent = |what: &str| {
        let got = cluster.kubectl(&["get", "deployment", "web", "-n", &ns]);
        assert!(!got.status.success(), "{what}: the deployment was sent");
    };

    let refused = apply(&["-f", &rel, "--lock", &file]).expect_code(2);
    assert!(
        refused
            .stderr
            .contains(&format!("--lock names the input {file}: refused")),
        "{}",
        refused.stderr
    );
    assert_eq!(fs::read_to_string(&file).unwrap(), text);
    absent("--lock naming an input");

    apply(&["-f", &rel, "--lock", &lock_name, "--dry-run=server"]).expect_code(0);
    assert!(!lock.exists(), "a server dry run wrote the lock file");
    apply(&["-f", &rel, "--lock", &lock_name, "--dry-run=client"]).expect_code(0);
    assert!(!lock.exists(), "a client dry run wrote the lock file");
    absent("a dry run");

    apply(&["-f", &rel, "--lock", &lock_name]).expect_code(0);
    let written = fs::read_to_string(&lock).expect("apply --lock writes the lock file");
    assert!(written.contains(&digest), "{written}");

    drop(registry);
    let offline = plugin(
        cluster,
        "diff",
        &["-f", &rel, "--offline", "--lock", &lock_name],
    )
    .expect_code(0);
    assert_eq!(
        offline.stdout,
        "0 added, 0 removed, 0 changed, 1 unchanged\n"
    );
    assert_eq!(
        fs::read_to_string(&lock).unwrap(),
        written,
        "offline writes nothing"
    );

    // diff -f online records what it resolved, as pin would.
    let registry = TestRegistry::start(Kind::Http);
    let host = registry.host();
    let digest = registry.push_image("shop/web", "1.4", Platform::LINUX_AMD64);
    let image = format!("{host}/shop/web:1.4");
    write(
        &dir.path().join("rel/web.yaml"),
        &deployment(&ns, &image, 2),
    );
    let diff_lock = dir.path().join("diff.json");
    let diff_lock_name = diff_lock.display().to_string();
    plugin(
        cluster,
        "diff",
        &[
            "-f",
            &rel,
            "--lock",
            &diff_lock_name,
            "--insecure-registry",
            &host,
        ],
    )
    .expect_code(1);
    let recorded = fs::read_to_string(&diff_lock).expect("diff -f --lock writes the lock file");
    assert!(
        recorded.contains(&image) && recorded.contains(&digest),
        "{recorded}"
    );
}

/// The byte offsets at which two texts differ.
fn differing_bytes(a: &str, b: &str) -> Vec<usize> {
    assert_eq!(a.len(), b.len(), "same length:\n{a}\n{b}");
    a.bytes()
        .zip(b.bytes())
        .enumerate()
        .filter(|(_, (x, y))| x != y)
        .map(|(i, _)| i)
        .collect()
}

#[test]
fn refresh_moves_only_the_digests_of_moved_tags_and_the_lock_with_them() {
    let registry = TestRegistry::start(Kind::Http);
    let host = registry.host();
    let web_v1 = registry.push_image("shop/web", "1.4", Platform::LINUX_AMD64);
    let db = registry.push_image("shop/db", "15", Platform::LINUX_AMD64);
    let dir = tempfile::tempdir().unwrap();
    let manifest = format!(
        "\
# pinned by hand, with comments that stay
kind: Pod
spec:
  containers:
  - name: web
    image: \"{host}/shop/web:1.4@{web_v1}\"   # quoted
  - name: web-again
    image: {host}/shop/web:1.4@{web_v1}
  - name: by-digest
    image: {host}/shop/web@{web_v1}
  - name: db
    image: {host}/shop/db:15@{db}
  - name: cache
    image: {host}/shop/db:15
"
    );
    let file = write(&dir.path().join("pod.yaml"), &manifest);
    let lock = dir.path().join("immutable.lock").display().to_string();
    let pin = |args: &[&str]| {
        let all = [
            &["pin", "-f", &file, "--insecure-registry", &host][..],
            args,
        ]
        .concat();
        Plugin::new(all).run()
    };
    pin(&["-i", "--lock", &lock]).expect_code(0);
    let pinned = fs::read_to_string(&file).unwrap();
    assert_eq!(
        pinned,
        manifest.replace(
            &format!("{host}/shop/db:15\n"),
            &format!("{host}/shop/db:15@{db}\n")
        )
    );

    // The tag is rebuilt upstream: --verify sees it and writes nothing.
    let web_v2 = registry.tag_again("shop/web", "1.4", Platform::LINUX_AMD64, "CVE fix");
    assert_ne!(web_v1, web_v2);
    let verify = pin(&["--verify"]).expect_code(1);
    assert!(
        verify
            .stderr
            .contains(&format!("the tag now points at {web_v2}"))
    );

    let refreshed = pin(&["--refresh", "-i", "--lock", &lock, "--report", "json"]).expect_code(0);
    let after = fs::read_to_string(&file).unwrap();
    // Only the hex of the two tag@digest values of the moved tag changed.
    let changed = differing_bytes(&pinned, &after);
    assert!(!changed.is_empty() && changed.len() <= 128, "{changed:?}");
    let expected = pinned.replacen(
        &format!("web:1.4@{web_v1}"),
        &format!("web:1.4@{web_v2}"),
        2,
    );
    assert_eq!(after, expected);
    assert!(
        after.contains(&format!("shop/web@{web_v1}")),
        "name@digest untouched"
    );
    assert!(
        refreshed
            .stderr
            .contains("refreshed 2 images (1 tag moved) in 1 file"),
        "{}",
        refreshed.stderr
    );
    let report: serde_json::Value = serde_json::from_str(
        &refreshed.stderr
            [refreshed.stderr.find('[').unwrap()..refreshed.stderr.rfind(']').unwrap() + 1],
    )
    .unwrap();
    assert_eq!(report.as_array().unwrap().len(), 2);
    assert_eq!(report[0]["old_digest"], web_v1.as_str());
    assert_eq!(report[0]["digest"], web_v2.as_str());
    assert_eq!(report[0]["line"], 6);
    let locked: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&lock).unwrap()).unwrap();
    assert_eq!(
        locked["images"][format!("{host}/shop/web:1.4")],
        web_v2.as_str()
    );
    assert_eq!(locked["images"][format!("{host}/shop/db:15")], db.as_str());

    // Nothing more to move: a second run writes nothing, and --verify agrees.
    let lock_text = fs::read_to_string(&lock).unwrap();
    pin(&["--refresh", "-i", "--lock", &lock]).expect_code(0);
    assert_eq!(fs::read_to_string(&file).unwrap(), after);
    assert_eq!(fs::read_to_string(&lock).unwrap(), lock_text);
    pin(&["--verify"]).expect_code(0);

    // A reviewed lock drives the update without any registry: back to v1 from a lock edited
    // to say so, offline.
    fs::write(&lock, lock_text.replace(&web_v2, &web_v1)).unwrap();
    drop(registry);
    Plugin::new([
        "pin",
        "-f",
        &file,
        "--refresh",
        "-i",
        "--offline",
        "--lock",
        &lock,
    ])
    .run()
    .expect_code(0);
    assert_eq!(fs::read_to_string(&file).unwrap(), pinned);
}

/// How long the controllers get to make a step the test waits for.
const WAIT: Duration = Duration::from_secs(60);

/// A Deployment of `replicas` pods of `image` that rolls one pod at a time: a new pod first
/// (maxSurge 1), an old one removed only once a new one is available (maxUnavailable 0), so
/// the Deployment controller's steps follow the pods the test marks ready. `extra` goes into
/// its spec as written.
fn rolling(ns: &str, name: &str, image: &str, replicas: u32, extra: &str) -> String {
    format!(
        "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: {ns}
spec:
  replicas: {replicas}
{extra}  strategy:
    type: RollingUpdate
    rollingUpdate: {{maxSurge: 1, maxUnavailable: 0}}
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
      - name: {name}
        image: {image}
"
    )
}

/// A StatefulSet `db` of `replicas` pods of `image`; `partition` as its rolling update's.
fn stateful(ns: &str, image: &str, replicas: u32, partition: u32) -> String {
    format!(
        "\
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
  namespace: {ns}
spec:
  serviceName: db
  replicas: {replicas}
  updateStrategy:
    type: RollingUpdate
    rollingUpdate: {{partition: {partition}}}
  selector:
    matchLabels: {{app: db}}
  template:
    metadata:
      labels: {{app: db}}
    spec:
      containers:
      - name: db
        image: {image}
"
    )
}

/// The pods of the ReplicaSet of Deployment `app`'s `revision`, once it has at least `count`.
fn revision_pods(
    cluster: &TestCluster,
    ns: &str,
    app: &str,
    revision: u32,
    count: usize,
) -> Vec<String> {
    let what = format!("{count} pods of {app}'s revision {revision}");
    cluster.wait_for(&what, WAIT, || {
        let selector = format!("app={app}");
        let sets = cluster.kubectl_json(&["get", "replicasets", "-n", ns, "-l", &selector]);
        let set = sets["items"].as_array()?.iter().find(|set| {
            set["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
                .as_str()
                .and_then(|number| number.parse().ok())
                == Some(revision)
        })?;
        let hash = set["metadata"]["labels"]["pod-template-hash"].as_str()?;
        let pods = cluster.pod_names(ns, &format!("pod-template-hash={hash}"));
        (pods.len() >= count).then_some(pods)
    })
}

/// Plays the kubelet for Deployment `app`'s `revision`: marks its pods ready as the controller
/// creates them (one at a time when it replaces old ones) until `count` are; returns them.
fn start_revision(
    cluster: &TestCluster,
    ns: &str,
    app: &str,
    revision: u32,
    count: usize,
) -> Vec<String> {
    let mut started: Vec<String> = Vec::new();
    while started.len() < count {
        for pod in revision_pods(cluster, ns, app, revision, started.len() + 1) {
            if !started.contains(&pod) {
                cluster.mark_pod_ready(ns, &pod);
                started.push(pod);
            }
        }
    }
    started
}

/// Marks the StatefulSet pod `name` ready once its controller has created it with `image`, as
/// the kubelet would start it.
fn mark_ready_once_created(cluster: &TestCluster, ns: &str, name: &str, image: &str) {
    cluster.wait_for(&format!("pod {name} of {image}"), WAIT, || {
        let by_name = format!("metadata.name={name}");
        let pods = cluster.kubectl_json(&["get", "pods", "-n", ns, "--field-selector", &by_name]);
        let pod = pods["items"].as_array()?.first()?;
        (pod["spec"]["containers"][0]["image"] == image).then_some(())
    });
    cluster.mark_pod_ready(ns, name);
}

/// `kubectl get TYPE/NAME -n NS -o json`.
fn live(cluster: &TestCluster, ns: &str, object: &str) -> Value {
    cluster.kubectl_json(&["get", object, "-n", ns])
}

/// `kubectl rollout status --watch=false`: kubectl's own judgement, for comparison.
fn kubectl_rollout_status(cluster: &TestCluster, ns: &str, object: &str) -> String {
    cluster.kubectl_ok(&["rollout", "status", object, "-n", ns, "--watch=false"])
}

#[test]
fn wait_fails_while_an_old_replica_is_pending_termination() {
    let cluster = cluster();
    let registry = TestRegistry::start(Kind::Http);
    let host = registry.host();
    registry.push_image("shop/web", "1", Platform::LINUX_AMD64);
    registry.push_image("shop/web", "2", Platform::LINUX_AMD64);
    let ns = cluster.namespace("loop-old-replica");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("web.yaml");
    let release = |tag: &str| {
        let image = format!("{host}/shop/web:{tag}");
        write(&path, &rolling(&ns, "web", &image, 2, ""))
    };
    let apply = |file: &str, extra: &[&str]| {
        let args = [&["-f", file, "--insecure-registry", &host][..], extra].concat();
        plugin(cluster, "apply", &args)
    };

    let file = release("1");
    apply(&file, &[]).expect_code(0);
    for pod in revision_pods(cluster, &ns, "web", 1, 2) {
        cluster.mark_pod_ready(&ns, &pod);
    }
    cluster.kubectl_ok(&["rollout", "status", "deployment/web", "-n", &ns]);

    // v2: one new pod becomes ready, so the controller takes one old pod away and adds the second
    // new one, which never becomes ready. Two new replicas, two available: the old code's
    // "available >= updated" called that done while an old pod still served.
    let file = release("2");
    let stuck = std::thread::scope(|scope| {
        let plugin = scope.spawn(|| apply(&file, &["--wait", "--timeout", "5s"]));
        let first = revision_pods(cluster, &ns, "web", 2, 1);
        cluster.mark_pod_ready(&ns, &first[0]);
        cluster.wait_for("one old and two new replicas", WAIT, || {
            let status = &live(cluster, &ns, "deployment/web")["status"];
            (status["replicas"] == 3
                && status["updatedReplicas"] == 2
                && status["availableReplicas"] == 2)
                .then_some(())
        });
        plugin.join().unwrap()
    })
    .expect_code(1);
    assert_eq!(stuck.stdout, "deployment.apps/web serverside-applied\n");
    assert!(
        stuck.stderr.contains(
            "error: deployment.apps/web did not finish its rollout within 5s: \
             still waiting for 1 old replica pending termination; conditions: "
        ),
        "{}",
        stuck.stderr
    );
    assert!(
        kubectl_rollout_status(cluster, &ns, "deployment/web")
            .contains("1 old replicas are pending termination"),
        "kubectl judges it so too"
    );

    // The second new pod ready: the old one goes, and the same command is done.
    let second = revision_pods(cluster, &ns, "web", 2, 2);
    for pod in &second {
        cluster.mark_pod_ready(&ns, pod);
    }
    let done = apply(&file, &["--wait", "--timeout", "60s"]).expect_code(0);
    assert_eq!(done.stdout, "deployment.apps/web unchanged\n");
}

#[test]
fn wait_on_a_partitioned_statefulset_ends_when_the_pods_above_the_partition_are_updated() {
    let cluster = cluster();
    let registry = TestRegistry::start(Kind::Http);
    let host = registry.host();
    let v1 = registry.push_image("shop/db", "15", Platform::LINUX_AMD64);
    let v2 = registry.push_image("shop/db", "16", Platform::LINUX_AMD64);
    let ns = cluster.namespace("loop-partition");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.yaml");
    let apply_waiting = |tag: &str| {
        let image = format!("{host}/shop/db:{tag}");
        let file = write(&path, &stateful(&ns, &image, 3, 2));
        let args = [
            "-f",
            &file,
            "--insecure-registry",
            &host,
            "--wait",
            "--timeout",
            "60s",
        ];
        plugin(cluster, "apply", &args)
    };
    let pinned_v1 = format!("{host}/shop/db:15@{v1}");
    let pinned_v2 = format!("{host}/shop/db:16@{v2}");

    // A new StatefulSet: each pod is created only once the one before it is ready.
    let created = std::thread::scope(|scope| {
        let plugin = scope.spawn(|| apply_waiting("15"));
        for pod in ["db-0", "db-1", "db-2"] {
            mark_ready_once_created(cluster, &ns, pod, &pinned_v1);
        }
        plugin.join().unwrap()
    })
    .expect_code(0);
    // How many are still missing when it looks depends on how fast the pods are marked.
    assert!(
        created.stderr.lines().any(|line| {
            line.starts_with("waiting for statefulset.apps/db: ") && line.ends_with(" to be ready")
        }),
        "{}",
        created.stderr
    );

    // v2 with a partition of 2: only db-2 is replaced, and the wait ends once it is ready.
    let updated = std::thread::scope(|scope| {
        let plugin = scope.spawn(|| apply_waiting("16"));
        mark_ready_once_created(cluster, &ns, "db-2", &pinned_v2);
        plugin.join().unwrap()
    })
    .expect_code(0);
    assert_eq!(updated.stdout, "statefulset.apps/db serverside-applied\n");
    let images: Vec<String> = ["db-0", "db-1", "db-2"]
        .iter()
        .map(|pod| {
            cluster.kubectl_json(&["get", "pod", pod, "-n", &ns])["spec"]["containers"][0]["image"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(images, [pinned_v1.clone(), pinned_v1, pinned_v2]);
    assert!(
        kubectl_rollout_status(cluster, &ns, "sts/db")
            .contains("partitioned roll out complete: 1 new pods have been updated"),
        "kubectl judges it so too"
    );
}

#[test]
fn a_deployment_past_its_progress_deadline_fails_the_wait_at_once() {
    let cluster = cluster();
    let registry = TestRegistry::start(Kind::Http);
    let host = registry.host();
    registry.push_image("shop/web", "1", Platform::LINUX_AMD64);
    let ns = cluster.namespace("loop-deadline");
    let dir = tempfile::tempdir().unwrap();
    let image = format!("{host}/shop/web:1");
    let spec = "  progressDeadlineSeconds: 2\n";
    let file = write(
        &dir.path().join("web.yaml"),
        &rolling(&ns, "web", &image, 1, spec),
    );
    let started = Instant::now();
    let args = [
        "-f",
        &file,
        "--insecure-registry",
        &host,
        "--wait",
        "--timeout",
        "60s",
    ];
    let failed = plugin(cluster, "apply", &args).expect_code(1);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(30), "took {took:?}");
    assert_eq!(failed.stdout, "deployment.apps/web serverside-applied\n");
    let error = failed
        .stderr
        .lines()
        .find(|line| line.starts_with("error: "))
        .unwrap_or_else(|| panic!("{}", failed.stderr));
    assert!(
        error.starts_with(
            "error: deployment.apps/web exceeded its progress deadline \
             (ProgressDeadlineExceeded: ReplicaSet \"web-"
        ) && error.contains("has timed out progressing.); conditions: ")
            && error.contains("Progressing=False"),
        "{error}"
    );
}

/// A Deployment `web` by tag, with an init container, as `kubectl apply` users write them.
fn tagged_web(ns: &str, web: &str, setup: &str) -> String {
    format!(
        "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: {ns}
spec:
  replicas: 2
  strategy:
    type: RollingUpdate
    rollingUpdate: {{maxSurge: 1, maxUnavailable: 0}}
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      initContainers:
      - name: setup
        image: {setup}
      containers:
      - name: web
        image: {web}
"
    )
}

/// `kubectl apply -f file` of [`tagged_web`], the test playing the kubelet: its two pods ready,
/// reporting `web` and `setup` as the images they ran, and the rollout complete.
fn run_tagged_web(cluster: &TestCluster, ns: &str, file: &str, web: &str, setup: &str) {
    cluster.kubectl_ok(&["apply", "-f", file]);
    for pod in revision_pods(cluster, ns, "web", 1, 2) {
        cluster.mark_pod_ready(ns, &pod);
        cluster.set_image_id(ns, &pod, "web", web);
        cluster.set_image_id(ns, &pod, "setup", setup);
    }
    cluster.kubectl_ok(&["rollout", "status", "deployment/web", "-n", ns]);
}

/// The fields a refused rollback must leave as they were.
fn untouched(object: &Value) -> (Value, Value, Value) {
    (
        object["metadata"]["resourceVersion"].clone(),
        object["metadata"]["generation"].clone(),
        object["spec"].clone(),
    )
}

#[test]
fn rollback_pins_a_revision_to_the_digests_its_pods_ran_or_refuses() {
    let cluster = cluster();
    let registry = TestRegistry::start(Kind::Http);
    let host = registry.host();
    let d1 = registry.push_image("shop/web", "1.4", Platform::LINUX_AMD64);
    let setup = registry.push_image("shop/setup", "1", Platform::LINUX_AMD64);
    let ns = cluster.namespace("loop-rollback");
    let dir = tempfile::tempdir().unwrap();
    let (web_tag, setup_tag) = (
        format!("{host}/shop/web:1.4"),
        format!("{host}/shop/setup:1"),
    );
    let file = write(
        &dir.path().join("web.yaml"),
        &tagged_web(&ns, &web_tag, &setup_tag),
    );
    // Client-side apply, by tag: the plugin has never touched it.
    run_tagged_web(
        cluster,
        &ns,
        &file,
        &format!("{host}/shop/web@{d1}"),
        &format!("{host}/shop/setup@{setup}"),
    );

    // The tag is re-pushed, and revision 2 never becomes ready.
    let d2 = registry.tag_again("shop/web", "1.4", Platform::LINUX_AMD64, "rebuilt");
    assert_ne!(d1, d2);
    let broken = format!("web={host}/shop/web:1.5");
    cluster.kubectl_ok(&["set", "image", "deployment/web", &broken, "-n", &ns]);
    revision_pods(cluster, &ns, "web", 2, 1);

    let rollback = |extra: &[&str]| {
        plugin(
            cluster,
            "rollback",
            &[&["deployment/web", "-n", &ns][..], extra].concat(),
        )
    };
    // What would be stored, nothing persisted; a revision that is not kept is refused.
    let before = live(cluster, &ns, "deployment/web");
    let dry = rollback(&["--to-revision", "1", "--dry-run=server", "-o", "json"]).expect_code(0);
    let dry: Value = serde_json::from_str(&dry.stdout).unwrap();
    assert_eq!(
        dry["items"][0]["spec"]["template"]["spec"]["containers"][0]["image"],
        format!("{web_tag}@{d1}")
    );
    let missing = rollback(&["--to-revision", "7"]).expect_code(2);
    assert_eq!(
        missing.stderr,
        format!("error: deployment.apps/{ns}/web has no revision 7 (it has 1, 2)\n")
    );
    assert_eq!(
        live(cluster, &ns, "deployment/web")["metadata"]["generation"],
        before["metadata"]["generation"]
    );

    let back = rollback(&[]).expect_code(0);
    assert_eq!(back.stdout, "deployment.apps/web rolled back\n");
    assert!(
        back.stderr
            .contains("deployment.apps/web: revision 1's template, with the digests it ran"),
        "{}",
        back.stderr
    );
    let stored = live(cluster, &ns, "deployment/web");
    let pod_spec = &stored["spec"]["template"]["spec"];
    assert_eq!(
        pod_spec["containers"][0]["image"],
        format!("{web_tag}@{d1}"),
        "what revision 1 ran, not the bare tag, not what it names now ({d2})"
    );
    assert_eq!(
        pod_spec["initContainers"][0]["image"],
        format!("{setup_tag}@{setup}")
    );
    let original: Value = serde_json::from_str(
        stored["metadata"]["annotations"]["kubectl-immutable/original-images"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(original, json!({"setup": setup_tag, "web": web_tag}));

    // The rolled-back revision (3) runs; revision 2 is now the previous one, and none of its
    // pods ever reported a digest.
    start_revision(cluster, &ns, "web", 3, 2);
    cluster.wait_for("the rollout of revision 3 to settle", WAIT, || {
        let status = live(cluster, &ns, "deployment/web")["status"].clone();
        let settled = status["replicas"] == 2
            && status["availableReplicas"] == 2
            && status["conditions"]
                .as_array()?
                .iter()
                .any(|c| c["type"] == "Progressing" && c["reason"] == "NewReplicaSetAvailable");
        settled.then_some(())
    });
    let before = live(cluster, &ns, "deployment/web");
    let replica_sets = |cluster: &TestCluster| {
        cluster.kubectl_json(&["get", "replicasets", "-n", &ns])["items"]
            .as_array()
            .unwrap()
            .len()
    };
    let sets = replica_sets(cluster);
    let refused = rollback(&[]).expect_code(2);
    assert_eq!(refused.stdout, "");
    let key = format!("deployment.apps/{ns}/web revision 2");
    assert_eq!(
        refused.stderr,
        format!(
            "error: {key}: container web: no pod of the revision reports the digest it ran for \
             {host}/shop/web:1.5; --allow-unpinned {host}/shop/web:1.5 rolls back to the tag as it is now\n\
             error: {key}: container setup: no pod of the revision reports the digest it ran for \
             {setup_tag}; --allow-unpinned {setup_tag} rolls back to the tag as it is now\n\
             error: nothing was changed\n"
        )
    );
    let after = live(cluster, &ns, "deployment/web");
    assert_eq!(untouched(&after), untouched(&before), "nothing sent");
    assert_eq!(replica_sets(cluster), sets);

    // Let through by name and as written, each stays a tag; no image was pinned, so the
    // annotation of the last rollback goes.
    let tags = ["--allow-unpinned", &format!("{host}/shop/web:1.5")];
    let named = ["--allow-unpinned", &format!("{host}/shop/setup")];
    let allowed = rollback(&[&tags[..], &named[..]].concat()).expect_code(0);
    assert!(
        allowed.stderr.contains(&format!(
            "deployment.apps/web: revision 2's template, with the digests it ran; \
             left as tags (--allow-unpinned): {host}/shop/web:1.5, {setup_tag}\n"
        )),
        "{}",
        allowed.stderr
    );
    let stored = live(cluster, &ns, "deployment/web");
    let pod_spec = &stored["spec"]["template"]["spec"];
    assert_eq!(
        pod_spec["containers"][0]["image"],
        format!("{host}/shop/web:1.5")
    );
    assert_eq!(pod_spec["initContainers"][0]["image"], setup_tag.as_str());
    assert!(
        stored["metadata"]["annotations"]["kubectl-immutable/original-images"].is_null(),
        "{}",
        stored["metadata"]
    );
}

/// The ReplicaSet of Deployment `web`'s `revision`, as stored.
fn revision_set(cluster: &TestCluster, ns: &str, revision: u32) -> Value {
    let sets = cluster.kubectl_json(&["get", "replicasets", "-n", ns, "-l", "app=web"]);
    sets["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|set| {
            set["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
                == revision.to_string().as_str()
        })
        .unwrap_or_else(|| panic!("no ReplicaSet of revision {revision}: {sets}"))
        .clone()
}

/// Whatever changed the template since revision 1 (`kubectl apply`, an update as `kubectl edit`
/// and `kubectl replace` send, a patch, another server-side apply manager), rolling back leaves
/// revision 1's template exactly, every image pinned, and its change-cause, as `rollout undo`
/// does; a rollback whose object changed since it was read is refused by the server.
#[test]
fn rollback_restores_the_revisions_template_exactly_whoever_changed_it() {
    let cluster = cluster();
    let registry = TestRegistry::start(Kind::Http);
    let host = registry.host();
    let d1 = registry.push_image("shop/web", "1.4", Platform::LINUX_AMD64);
    let setup = registry.push_image("shop/setup", "1", Platform::LINUX_AMD64);
    let ns = cluster.namespace("loop-undo");
    let dir = tempfile::tempdir().unwrap();
    let (web_tag, setup_tag) = (
        format!("{host}/shop/web:1.4"),
        format!("{host}/shop/setup:1"),
    );
    let cause = |text: &str| {
        format!("  annotations:\n    kubernetes.io/change-cause: {text}\n  namespace: {ns}\n")
    };
    let first = tagged_web(&ns, &web_tag, &setup_tag).replacen(
        &format!("  namespace: {ns}\n"),
        &cause("first"),
        1,
    );
    let file = write(&dir.path().join("web.yaml"), &first);
    run_tagged_web(
        cluster,
        &ns,
        &file,
        &format!("{host}/shop/web@{d1}"),
        &format!("{host}/shop/setup@{setup}"),
    );
    let revision_1 = revision_set(cluster, &ns, 1);
    let set_name = revision_1["metadata"]["name"].as_str().unwrap().to_string();
    let template_1: Value = serde_json::from_str(&cluster.kubectl_ok(&[
        "get",
        "rs",
        &set_name,
        "-n",
        &ns,
        "-o",
        "jsonpath={.spec.template}",
    ]))
    .unwrap();

    // Revision 2 by `kubectl apply`: an env, a second container, a template label and
    // annotation, another change-cause.
    let second = first
        .replace(
            "kubernetes.io/change-cause: first",
            "kubernetes.io/change-cause: broken",
        )
        .replace(
            "      labels: {app: web}\n",
            "      labels: {app: web, extra: \"2\"}\n      annotations: {note: two}\n",
        )
        .replace(
            &format!("        image: {web_tag}\n"),
            &format!(
                "        image: {web_tag}\n        env: [{{name: MODE, value: broken}}]\n      \
                 - name: sidecar\n        image: {host}/shop/setup:1\n"
            ),
        );
    assert_ne!(second, first);
    cluster.kubectl_ok(&["apply", "-f", &write(&dir.path().join("web.yaml"), &second)]);
    // A patch, another server-side apply manager, then an update of the whole object.
    let patch = r#"{"spec":{"template":{"metadata":{"annotations":{"patched":"yes"}}}}}"#;
    cluster.kubectl_ok(&["patch", "deployment/web", "-n", &ns, "-p", patch]);
    let other = format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web, namespace: {ns}}}\n\
         spec:\n  template:\n    metadata:\n      labels: {{other: x}}\n    spec:\n      \
         containers:\n      - name: web\n        env: [{{name: OTHER, value: \"1\"}}]\n"
    );
    let other = write(&dir.path().join("other.yaml"), &other);
    cluster.kubectl_ok(&[
        "apply",
        "--server-side",
        "--field-manager",
        "other",
        // An apply of only the fields it owns: this kubectl validates the whole object.
        "--validate=false",
        "-f",
        &other,
    ]);
    // As `kubectl edit` and `kubectl replace` send it: a volume.
    let mut edited = live(cluster, &ns, "deployment/web");
    edited["spec"]["template"]["spec"]["volumes"] = json!([{"name": "scratch", "emptyDir": {}}]);
    edited["spec"]["template"]["spec"]["containers"][0]["volumeMounts"] =
        json!([{"name": "scratch", "mountPath": "/scratch"}]);
    // Unconditional: the controller moves the resourceVersion on as it updates the status; its
    // fields' owners left to the server to record.
    let metadata = edited["metadata"].as_object_mut().unwrap();
    metadata.remove("resourceVersion");
    metadata.remove("managedFields");
    let replaced = write(&dir.path().join("edited.json"), &edited.to_string());
    cluster.kubectl_ok(&["replace", "-f", &replaced]);
    let current = live(cluster, &ns, "deployment/web");
    let spec = &current["spec"]["template"]["spec"];
    assert_eq!(spec["containers"][0]["env"].as_array().unwrap().len(), 2);
    assert_eq!(spec["containers"].as_array().unwrap().len(), 2);
    assert!(!spec["volumes"].is_null());

    // The object a rollback sends carries the resourceVersion it read: the server refuses it
    // once the Deployment changed, as it refuses any update so made.
    let dry = plugin(
        cluster,
        "rollback",
        &[
            "deployment/web",
            "-n",
            &ns,
            "--to-revision",
            "1",
            "--dry-run",
            "-o",
            "json",
        ],
    )
    .expect_code(0);
    let sent: Value = serde_json::from_str(&dry.stdout).unwrap();
    let sent = &sent["items"][0];
    assert!(sent["metadata"]["resourceVersion"].is_string(), "{sent}");
    cluster.kubectl_ok(&["annotate", "deployment/web", "-n", &ns, "touched=now"]);
    let stale = write(&dir.path().join("stale.json"), &sent.to_string());
    let conflict = cluster.kubectl(&["replace", "-f", &stale]);
    assert!(!conflict.status.success());
    assert!(
        String::from_utf8_lossy(&conflict.stderr).contains("the object has been modified"),
        "{}",
        String::from_utf8_lossy(&conflict.stderr)
    );

    let back = plugin(
        cluster,
        "rollback",
        &["deployment/web", "-n", &ns, "--to-revision", "1"],
    )
    .expect_code(0);
    assert_eq!(back.stdout, "deployment.apps/web rolled back\n");
    let stored = live(cluster, &ns, "deployment/web");
    let mut expected = template_1.clone();
    expected["metadata"]["labels"]
        .as_object_mut()
        .unwrap()
        .remove("pod-template-hash");
    expected["spec"]["containers"][0]["image"] = format!("{web_tag}@{d1}").into();
    expected["spec"]["initContainers"][0]["image"] = format!("{setup_tag}@{setup}").into();
    assert_eq!(stored["spec"]["template"], expected, "field for field");
    let annotations = &stored["metadata"]["annotations"];
    assert_eq!(annotations["kubernetes.io/change-cause"], "first");
    assert!(annotations["touched"].is_null(), "{annotations}");
    let original: Value = serde_json::from_str(
        annotations["kubectl-immutable/original-images"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(original, json!({"setup": setup_tag, "web": web_tag}));
}

#[test]
fn a_statefulset_rolls_back_through_its_controller_revision() {
    let cluster = cluster();
    let registry = TestRegistry::start(Kind::Http);
    let host = registry.host();
    let d15 = registry.push_image("shop/db", "15", Platform::LINUX_AMD64);
    let ns = cluster.namespace("loop-rollback-sts");
    let dir = tempfile::tempdir().unwrap();
    let tag = format!("{host}/shop/db:15");
    // No partition: a plain rolling update, replacing db-1 then db-0.
    let file = write(&dir.path().join("db.yaml"), &stateful(&ns, &tag, 2, 0));
    cluster.kubectl_ok(&["apply", "-f", &file]);
    for pod in ["db-0", "db-1"] {
        mark_ready_once_created(cluster, &ns, pod, &tag);
        cluster.set_image_id(&ns, pod, "db", &format!("{host}/shop/db@{d15}"));
    }
    let moved = registry.tag_again("shop/db", "15", Platform::LINUX_AMD64, "rebuilt");

    // Revision 2 replaces db-1 first and never becomes ready: db-0 still runs revision 1.
    let v16 = format!("{host}/shop/db:16");
    cluster.kubectl_ok(&["set", "image", "sts/db", &format!("db={v16}"), "-n", &ns]);
    cluster.wait_for("db-1 of revision 2", WAIT, || {
        let pods = cluster.kubectl_json(&["get", "pods", "-n", &ns, "-l", "app=db"]);
        pods["items"]
            .as_array()?
            .iter()
            .any(|pod| {
                pod["metadata"]["name"] == "db-1" && pod["spec"]["containers"][0]["image"] == v16
            })
            .then_some(())
    });

    let pinned = format!("{tag}@{d15}");
    let back = std::thread::scope(|scope| {
        let plugin = scope.spawn(|| {
            let args = ["sts/db", "-n", &ns, "--wait", "--timeout", "60s"];
            plugin(cluster, "rollback", &args)
        });
        // The StatefulSet controller does not replace a pod that is not ready: the pod of the
        // broken revision is deleted by hand, as Kubernetes documents for a forced rollback.
        cluster.wait_for("the rollback's revision", WAIT, || {
            let sts = live(cluster, &ns, "sts/db");
            (sts["spec"]["template"]["spec"]["containers"][0]["image"] == pinned
                && sts["status"]["observedGeneration"] == sts["metadata"]["generation"])
                .then_some(())
        });
        cluster.kubectl_ok(&["delete", "pod", "db-1", "-n", &ns, "--wait=false"]);
        mark_ready_once_created(cluster, &ns, "db-1", &pinned);
        mark_ready_once_created(cluster, &ns, "db-0", &pinned);
        plugin.join().unwrap()
    })
    .expect_code(0);
    assert_eq!(back.stdout, "statefulset.apps/db rolled back\n");
    assert!(
        back.stderr
            .contains("statefulset.apps/db: revision 1's template, with the digests it ran"),
        "{}",
        back.stderr
    );
    assert_eq!(
        template_image(cluster, &ns, "sts/db"),
        pinned,
        "not {moved}"
    );
    let revisions = cluster.kubectl_json(&["get", "controllerrevisions", "-n", &ns]);
    let newest = revisions["items"]
        .as_array()
        .unwrap()
        .iter()
        .max_by_key(|r| r["revision"].as_u64())
        .unwrap();
    assert_eq!(newest["revision"], 3);
    assert_eq!(
        newest["data"]["spec"]["template"]["spec"]["containers"][0]["image"],
        pinned.as_str()
    );
}

/// `drift` rows as `(pod, drift, note)`.
fn drift_rows(run: &Run) -> Vec<(String, bool, String)> {
    let rows: Value = serde_json::from_str(&run.stdout).unwrap();
    rows.as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row["pod"].as_str().unwrap().to_string(),
                row["drift"].as_bool().unwrap(),
                row["note"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn drift_compares_running_digests_with_templates_and_moved_tags() {
    let cluster = cluster();
    let registry = TestRegistry::start(Kind::Http);
    let host = registry.host();
    let web = registry.push_image("shop/web", "1", Platform::LINUX_AMD64);
    let api2 = registry.push_image("shop/api", "2", Platform::LINUX_AMD64);
    let ns = cluster.namespace("loop-drift");
    let dir = tempfile::tempdir().unwrap();
    let web_file = write(
        &dir.path().join("web.yaml"),
        &rolling(&ns, "web", &format!("{host}/shop/web:1"), 2, ""),
    );
    let api_tag = format!("{host}/shop/api:2");
    let api_file = write(
        &dir.path().join("api.yaml"),
        &rolling(&ns, "api", &api_tag, 2, ""),
    );
    plugin(
        cluster,
        "apply",
        &["-f", &web_file, "--insecure-registry", &host],
    )
    .expect_code(0);
    cluster.kubectl_ok(&["apply", "-f", &api_file]);
    let drift = |args: &[&str]| {
        let all = [&["-n", &ns, "--insecure-registry", &host][..], args].concat();
        plugin(cluster, "drift", &all)
    };

    // Nothing runs yet: every pod pending, no drift.
    let web_pods = revision_pods(cluster, &ns, "web", 1, 2);
    let api_pods = revision_pods(cluster, &ns, "api", 1, 2);
    let pending = drift(&["-o", "json"]).expect_code(0);
    let rows = drift_rows(&pending);
    assert_eq!(rows.len(), 4, "{}", pending.stdout);
    assert!(
        rows.iter()
            .all(|(_, drift, note)| !drift && note == "pending: not running yet"),
        "{rows:?}"
    );

    // Running what the templates name: the pinned digest, and the digest the tag names now.
    for pod in &web_pods {
        cluster.mark_pod_ready(&ns, pod);
    }
    for pod in &api_pods {
        cluster.mark_pod_ready(&ns, pod);
        cluster.set_image_id(
            &ns,
            pod,
            "api",
            &format!("docker-pullable://{host}/shop/api@{api2}"),
        );
    }
    let clean = drift(&[]).expect_code(0);
    assert_eq!(clean.stdout.lines().count(), 5, "{}", clean.stdout);
    assert!(clean.stdout.starts_with("WORKLOAD "), "{}", clean.stdout);
    let pinned_web = format!("{host}/shop/web:1@{web}");
    let row = clean
        .stdout
        .lines()
        .find(|line| line.contains(&web_pods[0]))
        .unwrap();
    assert_eq!(
        row.split_whitespace().collect::<Vec<_>>(),
        [
            "deployment.apps/web",
            &web_pods[0],
            "web",
            &pinned_web,
            &web,
            "pinned"
        ]
    );

    // One pod runs another digest than the pinned one.
    let other = format!("sha256:{}", "e".repeat(64));
    cluster.set_image_id(
        &ns,
        &web_pods[1],
        "web",
        &format!("{host}/shop/web@{other}"),
    );
    let drifted = drift(&["deployment/web"]).expect_code(1);
    let lines: Vec<&str> = drifted.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", drifted.stdout);
    assert!(lines[1].contains(&web_pods[0]) && lines[1].ends_with("  pinned"));
    assert!(
        lines[2].contains(&web_pods[1])
            && lines[2].ends_with(&format!(
                "  DRIFT: runs another digest than the {web} pinned"
            )),
        "{}",
        drifted.stdout
    );
    let json = drift(&["deployment/web", "-o", "json"]).expect_code(1);
    let rows: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        rows[1],
        json!({"namespace": ns, "workload": "deployment.apps/web", "pod": web_pods[1],
               "container": "web", "template_image": pinned_web, "running": other,
               "drift": true, "note": format!("runs another digest than the {web} pinned")})
    );

    // The tag-only template: current, then its tag re-pushed in the registry.
    let current = drift(&["deployment/api", "-o", "json"]).expect_code(0);
    assert_eq!(
        drift_rows(&current),
        api_pods
            .iter()
            .map(|pod| (pod.clone(), false, "tag, current".to_string()))
            .collect::<Vec<_>>()
    );
    let moved = registry.tag_again("shop/api", "2", Platform::LINUX_AMD64, "rebuilt");
    let stale = drift(&["deployment/api", "-o", "json"]).expect_code(1);
    assert_eq!(
        drift_rows(&stale),
        api_pods
            .iter()
            .map(|pod| (pod.clone(), true, format!("the tag has moved to {moved}")))
            .collect::<Vec<_>>()
    );
    // With --offline --lock, the tag is where the reviewed lock says, and no registry is asked:
    // a lock written before the re-push says the pods are current.
    let lock = dir.path().join("immutable.lock");
    let running = api_digest_running(cluster, &ns, &api_pods[0]);
    fs::write(
        &lock,
        format!("{{\"version\":1,\"images\":{{\"{api_tag}\":\"{running}\"}}}}\n"),
    )
    .unwrap();
    let lock = lock.display().to_string();
    let offline = ["deployment/api", "--offline", "--lock", &lock, "-n", &ns];
    plugin(cluster, "drift", &offline).expect_code(0);

    // In the middle of a rollout to api:3: the old pod runs the old tag's digest, one new pod
    // the new tag's, the other is pending. None of that is drift.
    let api3 = registry.push_image("shop/api", "3", Platform::LINUX_AMD64);
    let api3_tag = format!("{host}/shop/api:3");
    cluster.kubectl_ok(&[
        "set",
        "image",
        "deployment/api",
        &format!("api={api3_tag}"),
        "-n",
        &ns,
    ]);
    let first = revision_pods(cluster, &ns, "api", 2, 1);
    cluster.mark_pod_ready(&ns, &first[0]);
    cluster.set_image_id(&ns, &first[0], "api", &format!("{host}/shop/api@{api3}"));
    let new_pods = revision_pods(cluster, &ns, "api", 2, 2);
    cluster.wait_for("one old api pod left", WAIT, || {
        (cluster.pod_names(&ns, "app=api").len() == 3).then_some(())
    });
    let rolling_out = drift(&["deployment/api", "-o", "json"]).expect_code(0);
    let rows = drift_rows(&rolling_out);
    let note = |pod: &str| {
        rows.iter()
            .find(|(name, _, _)| name == pod)
            .map(|(_, drift, note)| (*drift, note.as_str()))
    };
    assert_eq!(note(&first[0]), Some((false, "tag, current")), "{rows:?}");
    let second = new_pods.iter().find(|pod| **pod != first[0]).unwrap();
    assert_eq!(note(second), Some((false, "pending: not running yet")));
    let old = api_pods.iter().find(|pod| note(pod).is_some()).unwrap();
    assert_eq!(
        note(old),
        Some((
            false,
            "from an older template: the rollout has not replaced it yet"
        ))
    );
}

/// `args` with `--insecure-registry HOST`, for the plain-HTTP test registry.
fn with<'a>(host: &'a str, args: &[&'a str]) -> Vec<&'a str> {
    [args, &["--insecure-registry", host][..]].concat()
}

#[test]
fn the_release_loop_as_a_user_runs_it() {
    let cluster = cluster();
    let registry = TestRegistry::start(Kind::Http);
    let host = registry.host();
    let d1 = registry.push_image("shop/web", "1.4", Platform::LINUX_AMD64);
    let ns = cluster.namespace("loop-chain");
    let dir = tempfile::tempdir().unwrap();
    let tag = format!("{host}/shop/web:1.4");
    let file = write(
        &dir.path().join("web.yaml"),
        &rolling(&ns, "web", &tag, 2, ""),
    );
    // Runs `--wait`ing `command` while the kubelet stand-in starts the pods of `revision`.
    let waiting = |command: &str, args: &[&str], revision: u32| {
        std::thread::scope(|scope| {
            let plugin = scope.spawn(|| plugin(cluster, command, args));
            start_revision(cluster, &ns, "web", revision, 2);
            plugin.join().unwrap()
        })
    };

    // pin: the file now names the digest.
    Plugin::new(with(&host, &["pin", "-f", &file, "-i"]))
        .run()
        .expect_code(0);
    let pinned_v1 = fs::read_to_string(&file).unwrap();
    assert!(pinned_v1.contains(&format!("image: {tag}@{d1}\n")));

    // apply --wait: done once both pods run.
    let applied = waiting(
        "apply",
        &with(&host, &["-f", &file, "--wait", "--timeout", "60s"]),
        1,
    )
    .expect_code(0);
    assert_eq!(applied.stdout, "deployment.apps/web serverside-applied\n");

    // The tag is rebuilt upstream; pin --refresh moves only its digest in the file.
    let d2 = registry.tag_again("shop/web", "1.4", Platform::LINUX_AMD64, "CVE fix");
    Plugin::new(with(&host, &["pin", "-f", &file, "--refresh", "-i"]))
        .run()
        .expect_code(0);
    let pinned_v2 = fs::read_to_string(&file).unwrap();
    assert_eq!(pinned_v2, pinned_v1.replace(&d1, &d2));

    // diff -f: the image and nothing else.
    let diff = plugin(cluster, "diff", &with(&host, &["-f", &file, "-o", "json"])).expect_code(1);
    let report: Value = serde_json::from_str(&diff.stdout).unwrap();
    assert_eq!(
        report["images"],
        json!([{"object": format!("deployment.apps/{ns}/web"), "container": "web",
                "old": format!("{tag}@{d1}"), "new": format!("{tag}@{d2}"), "note": "tag-moved"}])
    );
    let changed: Vec<&str> = report["objects"][0]["diff"]
        .as_str()
        .unwrap()
        .lines()
        .filter(|line| {
            (line.starts_with('-') || line.starts_with('+'))
                && !line.starts_with("---")
                && !line.starts_with("+++")
        })
        .collect();
    assert_eq!(
        changed,
        [
            format!("-      - image: {tag}@{d1}"),
            format!("+      - image: {tag}@{d2}")
        ],
        "{}",
        report["objects"][0]["diff"]
    );

    // apply: revision 2 rolls out.
    waiting(
        "apply",
        &with(&host, &["-f", &file, "--wait", "--timeout", "60s"]),
        2,
    )
    .expect_code(0);
    assert_eq!(
        template_image(cluster, &ns, "deployment/web"),
        format!("{tag}@{d2}")
    );

    // rollback: back to revision 1, whose template named its digest; the Deployment
    // controller brings revision 1's ReplicaSet back as revision 3.
    let back = waiting(
        "rollback",
        &["deployment/web", "-n", &ns, "--wait", "--timeout", "60s"],
        3,
    )
    .expect_code(0);
    assert!(
        back.stderr
            .contains("deployment.apps/web: revision 1's template, with the digests it ran"),
        "{}",
        back.stderr
    );
    assert_eq!(
        template_image(cluster, &ns, "deployment/web"),
        format!("{tag}@{d1}")
    );

    // drift: the cluster runs what it names, though the tag has moved since.
    let drift = plugin(cluster, "drift", &with(&host, &["-n", &ns, "-o", "json"])).expect_code(0);
    let rows = drift_rows(&drift);
    assert_eq!(rows.len(), 2, "{}", drift.stdout);
    assert!(
        rows.iter()
            .all(|(_, drift, note)| !drift && note == "pinned")
    );
    // The file still says v2: diff -f shows the rollback to be undone.
    let diff = plugin(cluster, "diff", &with(&host, &["-f", &file, "-o", "json"])).expect_code(1);
    let report: Value = serde_json::from_str(&diff.stdout).unwrap();
    assert_eq!(report["images"][0]["old"], format!("{tag}@{d1}"));
}

/// The digest pod `pod`'s `api` container reports, as drift reads it.
fn api_digest_running(cluster: &TestCluster, ns: &str, pod: &str) -> String {
    let pod = cluster.kubectl_json(&["get", "pod", pod, "-n", ns]);
    let id = pod["status"]["containerStatuses"][0]["imageID"]
        .as_str()
        .unwrap();
    id.rsplit('@').next().unwrap().to_string()
}
