//! The commands as a user chains them: apply then diff -f, on the real control plane and the
//! real registry.

use std::fs;
use std::path::Path;

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
