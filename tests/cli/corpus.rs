//! The public manifests of tests/data/corpus pinned through registry mirrors against the real
//! registry: every image reference is found, and nothing but those values changes.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::support::plugin::Plugin;
use crate::support::registry::{Kind, Platform, TestRegistry};

/// The registries the corpus names; none is reachable here, so each is mirrored on loopback.
const UPSTREAMS: [&str; 5] = [
    "docker.io",
    "quay.io",
    "ghcr.io",
    "registry.k8s.io",
    "public.ecr.aws",
];

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/corpus")
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn manifest_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(manifest_files(&path));
        } else if path.extension().is_some_and(|e| e == "yaml") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// The value of an `image:` line, found by plain text matching: an account of the corpus that
/// does not rely on the plugin's own YAML locator.
fn image_on_line(line: &str) -> Option<&str> {
    let rest = line.trim_start().trim_start_matches("- ").trim_start();
    let value = rest.strip_prefix("image: ")?.trim();
    (!value.is_empty() && !value.contains(' ')).then_some(value)
}

/// `quay.io/a/b:1` -> (`quay.io/a/b`, `1`) on the mirror, where docker.io short names are expanded.
fn mirror_repository(reference: &str) -> (String, String) {
    let (name, tag) = reference.rsplit_once(':').unwrap();
    let first = name.split('/').next().unwrap();
    let name = if first.contains('.') {
        name.to_string()
    } else if name.contains('/') {
        format!("docker.io/{name}")
    } else {
        format!("docker.io/library/{name}")
    };
    (name, tag.to_string())
}

#[test]
fn pins_every_image_of_the_public_corpus_and_changes_nothing_else() {
    let registry = TestRegistry::start(Kind::Http);
    let host = registry.host();

    let files = manifest_files(&corpus());
    let mut unpinned: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut already_pinned = 0;
    let mut unpinned_lines = 0;
    for file in &files {
        for line in fs::read_to_string(file).unwrap().lines() {
            match image_on_line(line) {
                Some(value) if value.contains('@') => already_pinned += 1,
                Some(value) => {
                    unpinned_lines += 1;
                    unpinned.insert(value.to_string(), mirror_repository(value));
                }
                None => {}
            }
        }
    }
    assert_eq!(
        unpinned.len(),
        13,
        "distinct unpinned references in the corpus"
    );
    assert_eq!(
        already_pinned, 3,
        "ingress-nginx pins its images as tag@digest"
    );
    assert_eq!(unpinned_lines, 24);

    let refs: Vec<(String, String)> = unpinned.values().cloned().collect();
    let digests = registry.push_many(&refs, &[Platform::LINUX_AMD64, Platform::LINUX_ARM64_V8]);
    let expected: BTreeMap<&str, String> = unpinned
        .keys()
        .zip(&digests)
        .map(|(value, digest)| (value.as_str(), digest.clone()))
        .collect();
    for ((repository, tag), digest) in refs.iter().zip(&digests) {
        assert_eq!(
            &registry.skopeo_inspect_digest(&format!("{repository}:{tag}")),
            digest
        );
    }

    let work = tempfile::tempdir().unwrap();
    copy_dir(&corpus(), work.path());
    let mut args = vec![
        "pin".to_string(),
        "-f".to_string(),
        work.path().display().to_string(),
        "-R".to_string(),
        "--in-place".to_string(),
        "--insecure-registry".to_string(),
        host.clone(),
    ];
    for upstream in UPSTREAMS {
        args.push("--registry-mirror".to_string());
        args.push(format!("{upstream}={host}/{upstream}"));
    }
    let run = Plugin::new(&args).run().expect_code(0);
    assert!(
        run.stderr.starts_with(&format!(
            "pinned {unpinned_lines} images ({} distinct) in {} files; {already_pinned} already pinned; from docker.io 1, ghcr.io 2, public.ecr.aws 1, quay.io 7, registry.k8s.io 2\n",
            unpinned.len(),
            files.len()
        )),
        "{}",
        run.stderr
    );

    let mut changed_lines = 0;
    for file in &files {
        let relative = file.strip_prefix(corpus()).unwrap();
        let before = fs::read_to_string(file).unwrap();
        let after = fs::read_to_string(work.path().join(relative)).unwrap();
        let before_lines: Vec<&str> = before.split_inclusive('\n').collect();
        let after_lines: Vec<&str> = after.split_inclusive('\n').collect();
        assert_eq!(
            before_lines.len(),
            after_lines.len(),
            "{}",
            relative.display()
        );
        for (old, new) in before_lines.iter().zip(&after_lines) {
            if old == new {
                continue;
            }
            changed_lines += 1;
            let value = image_on_line(old).unwrap_or_else(|| {
                panic!(
                    "{}: a line without an image changed: {old}",
                    relative.display()
                )
            });
            let pinned = format!("{value}@{}", expected[value]);
            assert_eq!(
                *new,
                old.replacen(value, &pinned, 1),
                "{}",
                relative.display()
            );
        }
    }
    assert_eq!(
        changed_lines, unpinned_lines,
        "every unpinned image line, and only those"
    );

    let modified = |path: &Path| fs::metadata(path).unwrap().modified().unwrap();
    let times: Vec<_> = files
        .iter()
        .map(|f| modified(&work.path().join(f.strip_prefix(corpus()).unwrap())))
        .collect();
    let again = Plugin::new(&args).run().expect_code(0);
    let everything = unpinned_lines + already_pinned;
    assert!(
        again.stderr.starts_with(&format!(
            "pinned 0 images (0 distinct) in {} files; {everything} already pinned\n",
            files.len()
        )),
        "{}",
        again.stderr
    );
    let times_again: Vec<_> = files
        .iter()
        .map(|f| modified(&work.path().join(f.strip_prefix(corpus()).unwrap())))
        .collect();
    assert_eq!(times, times_again, "a second pin touches no file");
}
