//! The inputs the benchmark feeds the plugin: manifests naming seeded images, the public argo-cd
//! manifest concatenated to about 50 MB with a lock file for it, two sets of 10,000 objects
//! for `diff`, and a tree of many small files with one pinned image each.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use kubectl_immutable::core::reference::ImageReference;
use kubectl_immutable_test_support::registry::sha256_digest;

/// One Deployment per reference, one container each: `count` distinct images.
pub fn deployments(references: &[String]) -> String {
    let mut yaml = String::new();
    for (i, reference) in references.iter().enumerate() {
        write!(
            yaml,
            "---\n\
             apiVersion: apps/v1\n\
             kind: Deployment\n\
             metadata:\n  name: app-{i:03}\n  namespace: bench\n\
             spec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: app-{i:03}\n\
             \x20 template:\n    metadata:\n      labels:\n        app: app-{i:03}\n\
             \x20   spec:\n      containers:\n      - name: app\n        image: {reference}\n"
        )
        .unwrap();
    }
    yaml
}

/// The digests written after `image: …@` in `yaml`, in order.
pub fn pinned_digests(yaml: &str) -> Vec<&str> {
    yaml.lines()
        .filter_map(|line| {
            // `- image:` too: kbld writes a container's keys in order, `image` first.
            line.trim_start()
                .trim_start_matches("- ")
                .strip_prefix("image: ")
        })
        .filter_map(|image| image.split_once('@').map(|(_, digest)| digest))
        .collect()
}

/// The big offline input: `copies` of `corpus` separated by `---`, and a lock file with a
/// (made-up, well-formed) digest for each image it names. Returns the image count.
pub fn offline_corpus(corpus: &Path, copies: usize, input: &Path, lock: &Path) -> usize {
    let text = fs::read_to_string(corpus).expect("read the corpus manifest");
    let images: Vec<&str> = text
        .lines()
        .filter_map(|line| {
            line.trim_start()
                .trim_start_matches("- ")
                .strip_prefix("image: ")
        })
        .map(|image| image.trim().trim_matches(|c| c == '"' || c == '\''))
        .collect();
    let mut locked = serde_json::Map::new();
    for image in &images {
        let reference = ImageReference::parse(image)
            .unwrap_or_else(|error| panic!("corpus image {image}: {error:?}"));
        let key = reference.canonical();
        locked.insert(key.clone(), sha256_digest(key.as_bytes()).into());
    }
    let lock_json = serde_json::json!({ "version": 1, "images": locked });
    fs::write(lock, serde_json::to_vec_pretty(&lock_json).unwrap()).unwrap();
    let mut big = String::with_capacity((text.len() + 4) * copies);
    for copy in 0..copies {
        if copy > 0 {
            big.push_str("---\n");
        }
        big.push_str(&text);
    }
    fs::write(input, big).unwrap();
    images.len() * copies
}

/// Two sides of `objects` objects each (Deployments, Services and ConfigMaps in turn), where
/// every twentieth object (5%) differs: a new image digest, a new port, or a new value. Each side
/// is written both as one file (`a`, `b`) and as a directory of files of `per_file` objects
/// (`a_dir`, `b_dir`), as a GitOps repository keeps them.
pub fn diff_sides(objects: usize, per_file: usize, a: &Path, b: &Path, a_dir: &Path, b_dir: &Path) {
    let (mut left, mut right) = (String::new(), String::new());
    let (mut left_part, mut right_part) = (String::new(), String::new());
    fs::create_dir_all(a_dir).unwrap();
    fs::create_dir_all(b_dir).unwrap();
    for i in 0..objects {
        let changed = changed(i);
        left_part.push_str(&object(i, false));
        right_part.push_str(&object(i, changed));
        if (i + 1) % per_file == 0 || i + 1 == objects {
            let name = format!("part-{:03}.yaml", i / per_file);
            fs::write(a_dir.join(&name), &left_part).unwrap();
            fs::write(b_dir.join(&name), &right_part).unwrap();
            left.push_str(&std::mem::take(&mut left_part));
            right.push_str(&std::mem::take(&mut right_part));
        }
    }
    fs::write(a, left).unwrap();
    fs::write(b, right).unwrap();
}

/// How many of `objects` objects [`diff_sides`] changes.
pub fn diff_changed(objects: usize) -> usize {
    (0..objects).filter(|&i| changed(i)).count()
}

fn changed(i: usize) -> bool {
    i % 20 == 7
}

fn object(i: usize, changed: bool) -> String {
    let name = format!("svc-{i:05}");
    let version = if changed { "b" } else { "a" };
    match i % 3 {
        0 => {
            let digest = sha256_digest(format!("{name}-{version}").as_bytes());
            format!(
                "---\n\
                 apiVersion: apps/v1\n\
                 kind: Deployment\n\
                 metadata:\n  name: {name}\n  namespace: shop\n  labels:\n    app: {name}\n\
                 spec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: {name}\n\
                 \x20 template:\n    metadata:\n      labels:\n        app: {name}\n\
                 \x20   spec:\n      containers:\n\
                 \x20     - name: app\n        image: registry.example.com/shop/{name}:1.0@{digest}\n\
                 \x20       ports:\n        - containerPort: 8080\n\
                 \x20       env:\n        - name: LOG_LEVEL\n          value: info\n\
                 \x20       resources:\n          requests:\n            cpu: 100m\n            memory: 128Mi\n\
                 \x20     - name: proxy\n        image: docker.io/envoyproxy/envoy:v1.31.0@sha256:{:064x}\n",
                7
            )
        }
        1 => {
            let port = if changed { 8443 } else { 8080 };
            format!(
                "---\n\
                 apiVersion: v1\n\
                 kind: Service\n\
                 metadata:\n  name: {name}\n  namespace: shop\n\
                 spec:\n  selector:\n    app: {name}\n  ports:\n  - name: http\n    port: 80\n    targetPort: {port}\n"
            )
        }
        _ => format!(
            "---\n\
             apiVersion: v1\n\
             kind: ConfigMap\n\
             metadata:\n  name: {name}\n  namespace: shop\n\
             data:\n  FEATURE_FLAGS: \"checkout,search\"\n  RELEASE: \"{version}\"\n"
        ),
    }
}

/// Files a directory of [`pinned_tree`] holds.
const TREE_FILES_PER_DIR: usize = 1000;

/// `files` files under `root`, 1,000 to a directory (`d-000/f-00000.yaml`, …), each a
/// Deployment whose one image is already pinned (`tag@digest`), as a GitOps repository of many
/// small applications keeps them.
pub fn pinned_tree(root: &Path, files: usize) {
    for i in 0..files {
        let dir = root.join(format!("d-{:03}", i / TREE_FILES_PER_DIR));
        if i % TREE_FILES_PER_DIR == 0 {
            fs::create_dir_all(&dir).unwrap();
        }
        let name = format!("app-{i:06}");
        let digest = sha256_digest(name.as_bytes());
        fs::write(
            dir.join(format!("f-{i:06}.yaml")),
            format!(
                "apiVersion: apps/v1\n\
                 kind: Deployment\n\
                 metadata:\n  name: {name}\n\
                 spec:\n  template:\n    spec:\n      containers:\n\
                 \x20     - name: app\n        image: registry.example.com/{name}:1.0@{digest}\n"
            ),
        )
        .unwrap();
    }
}
