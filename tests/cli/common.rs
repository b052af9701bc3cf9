//! Helpers more than one suite of this binary uses: a Pod and a Deployment manifest, the image a live
//! workload runs, a snapshot of a folder's files, and the checks that a run did not panic and that a
//! docker config holds credentials.

use std::fs;
use std::path::{Path, PathBuf};

use crate::support::cluster::TestCluster;
use crate::support::faults::base64;
use crate::support::plugin::Run;

/// A one-container Pod manifest running `image`.
pub fn pod(image: &str) -> String {
    format!("kind: Pod\nspec:\n  containers:\n  - image: {image}\n")
}

/// A Deployment `name` in `ns` with `replicas` pods of one container `name` running `image`,
/// selected by the label `app: name`.
pub fn deployment(ns: &str, name: &str, replicas: u32, image: &str) -> String {
    format!(
        "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: {ns}
spec:
  replicas: {replicas}
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

/// The image of the first container of a live workload's template (`object`: `TYPE/NAME`).
pub fn template_image(cluster: &TestCluster, ns: &str, object: &str) -> String {
    cluster.kubectl_json(&["get", object, "-n", ns])["spec"]["template"]["spec"]["containers"][0]
        ["image"]
        .as_str()
        .unwrap()
        .to_string()
}

pub fn assert_no_panic(run: &Run) {
    assert_ne!(run.code, 101, "a panic: {}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

/// Every file under `dir` with its bytes and modification time.
pub fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>, std::time::SystemTime)> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let metadata = fs::symlink_metadata(&path).unwrap();
            if metadata.is_dir() {
                pending.push(path);
            } else if metadata.is_file() {
                files.push((
                    path.clone(),
                    fs::read(&path).unwrap(),
                    metadata.modified().unwrap(),
                ));
            }
        }
    }
    files.sort();
    files
}

/// A docker config.json with Basic credentials for `host` in `auths`.
pub fn docker_config_auths(dir: &Path, host: &str, user: &str, password: &str) {
    let auth = base64(format!("{user}:{password}").as_bytes());
    fs::write(
        dir.join("config.json"),
        format!(r#"{{"auths":{{"{host}":{{"auth":"{auth}"}}}}}}"#),
    )
    .unwrap();
}
