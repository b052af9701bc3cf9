//! `pin --check` and `pin --verify` with `--format github|gitlab|sarif`: GitHub workflow commands
//! checked against their grammar, GitLab Code Quality against its documented fields, SARIF
//! against the OASIS SARIF 2.1.0 schema (tests/data/sarif) with PyPI's jsonschema.

use std::path::Path;
use std::process::Command;

use crate::support::plugin::{Plugin, Run};
use crate::support::registry::{Kind, Platform, TestRegistry};
use crate::support::{missing, require};

/// A repository with one pinned and two unpinned images, in a subdirectory.
fn repository(dir: &Path, web_digest: &str, host: &str) {
    std::fs::create_dir_all(dir.join("k8s")).unwrap();
    std::fs::write(
        dir.join("k8s/web.yaml"),
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web}}\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: {host}/app/web:v1@{web_digest}\n      - name: log\n        image: {host}/app/log:v2\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("k8s/job, 100%.yaml"),
        format!("kind: Pod\nspec:\n  containers:\n  - image:   {host}/app/job:v3\n"),
    )
    .unwrap();
}

fn run(dir: &Path, args: &[&str]) -> Run {
    Plugin::new(args).current_dir(dir).run()
}

/// The GitHub Actions workflow-command grammar for an error with file, line, col and title:
/// properties escape `%`, CR, LF, `:` and `,`; the message escapes `%`, CR and LF.
fn assert_github_line(line: &str) {
    let property = r"(?:[^%\r\n:,]|%25|%0D|%0A|%3A|%2C)*";
    let data = r"(?:[^%\r\n]|%25|%0D|%0A)*";
    let grammar = format!(
        r"^::error file={property},line=[1-9][0-9]*,col=[1-9][0-9]*,title={property}::{data}$"
    );
    let checked = Command::new(require("python3", "Debian's python3"))
        .args([
            "-c",
            "import re,sys; sys.exit(0 if re.fullmatch(sys.argv[1], sys.argv[2]) else 1)",
        ])
        .arg(&grammar)
        .arg(line)
        .status()
        .unwrap();
    assert!(checked.success(), "not a workflow command: {line}");
}

/// Validates `text` against the SARIF 2.1.0 schema, as jsonschema's validator for its draft.
fn assert_valid_sarif(text: &str) {
    let python = require("python3", "Debian's python3");
    let probe = Command::new(&python)
        .args(["-c", "import jsonschema"])
        .output()
        .unwrap();
    if !probe.status.success() {
        missing("python3's jsonschema (PyPI)");
    }
    let schema =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sarif/sarif-schema-2.1.0.json");
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log.sarif");
    std::fs::write(&log, text).unwrap();
    let output = Command::new(&python)
        .args([
            "-c",
            "import json, sys, jsonschema\n\
             schema = json.load(open(sys.argv[1]))\n\
             log = json.load(open(sys.argv[2]))\n\
             cls = jsonschema.validators.validator_for(schema)\n\
             cls.check_schema(schema)\n\
             errors = [e.message for e in cls(schema).iter_errors(log)]\n\
             print('\\n'.join(errors)); sys.exit(1 if errors else 0)",
        ])
        .arg(&schema)
        .arg(&log)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "not SARIF 2.1.0: {}{}\n{text}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn check_as_github_annotations() {
    let dir = tempfile::tempdir().unwrap();
    let pinned = format!("sha256:{}", "a".repeat(64));
    repository(dir.path(), &pinned, "registry.example.test");
    let ran = run(
        dir.path(),
        &["pin", "--check", "-f", "k8s", "--format", "github"],
    )
    .expect_code(1);
    let lines: Vec<&str> = ran.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", ran.stdout);
    for line in &lines {
        assert_github_line(line);
    }
    assert_eq!(
        lines[0],
        "::error file=k8s/job%2C 100%25.yaml,line=4,col=14,title=Unpinned image::registry.example.test/app/job:v3 is not pinned to a digest"
    );
    assert_eq!(
        lines[1],
        "::error file=k8s/web.yaml,line=11,col=16,title=Unpinned image::registry.example.test/app/log:v2 is not pinned to a digest"
    );
    assert_eq!(ran.stderr, "2 of 3 images are not pinned\n");
}

#[test]
fn check_as_gitlab_code_quality() {
    let dir = tempfile::tempdir().unwrap();
    let pinned = format!("sha256:{}", "a".repeat(64));
    repository(dir.path(), &pinned, "registry.example.test");
    let absolute = dir.path().join("k8s");
    let ran = run(
        dir.path(),
        &[
            "pin",
            "--check",
            "-f",
            absolute.to_str().unwrap(),
            "--format",
            "gitlab",
        ],
    )
    .expect_code(1);
    let issues: serde_json::Value = serde_json::from_str(&ran.stdout).unwrap();
    let issues = issues.as_array().expect("an array of issues");
    assert_eq!(issues.len(), 2);
    for issue in issues {
        // GitLab's documented fields, of their documented types.
        assert!(issue["description"].as_str().is_some_and(|d| !d.is_empty()));
        assert_eq!(issue["check_name"], "unpinned-image");
        let fingerprint = issue["fingerprint"].as_str().unwrap();
        assert!(fingerprint.len() == 64 && fingerprint.bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(
            ["info", "minor", "major", "critical", "blocker"]
                .contains(&issue["severity"].as_str().unwrap())
        );
        assert!(issue["location"]["lines"]["begin"].as_u64().unwrap() >= 1);
    }
    // Relative to the working directory, though -f named them absolutely.
    assert_eq!(issues[0]["location"]["path"], "k8s/job, 100%.yaml");
    assert_eq!(issues[1]["location"]["path"], "k8s/web.yaml");
    assert_eq!(issues[1]["location"]["lines"]["begin"], 11);
    // Stable across runs; distinct across findings.
    let again = run(
        dir.path(),
        &["pin", "--check", "-f", "k8s", "--format", "gitlab"],
    )
    .expect_code(1);
    assert_eq!(again.stdout, ran.stdout);
    assert_ne!(issues[0]["fingerprint"], issues[1]["fingerprint"]);
    // Nothing unpinned: an empty report, exit 0.
    let clean = run(
        dir.path(),
        &[
            "pin",
            "--check",
            "-f",
            "k8s/web.yaml",
            "-f",
            "k8s/job, 100%.yaml",
            "--format",
            "gitlab",
        ],
    );
    assert_eq!(clean.code, 1);
    std::fs::remove_file(dir.path().join("k8s/job, 100%.yaml")).unwrap();
    std::fs::write(
        dir.path().join("k8s/web.yaml"),
        format!("kind: Pod\nspec:\n  containers:\n  - image: nginx@{pinned}\n"),
    )
    .unwrap();
    let clean = run(
        dir.path(),
        &["pin", "--check", "-f", "k8s", "--format", "gitlab"],
    )
    .expect_code(0);
    assert_eq!(clean.stdout, "[]\n");
}

#[test]
fn check_as_sarif_validates_against_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let pinned = format!("sha256:{}", "a".repeat(64));
    repository(dir.path(), &pinned, "registry.example.test");
    let ran = run(
        dir.path(),
        &["pin", "--check", "-f", "./k8s", "--format", "sarif"],
    )
    .expect_code(1);
    assert_valid_sarif(&ran.stdout);
    let log: serde_json::Value = serde_json::from_str(&ran.stdout).unwrap();
    assert_eq!(log["version"], "2.1.0");
    let run0 = &log["runs"][0];
    let rules: Vec<&str> = run0["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|rule| rule["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        [
            "unpinned-image",
            "missing-digest",
            "moved-tag",
            "registry-error",
            "unverified-signature"
        ]
    );
    let results = run0["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    let location = &results[0]["locations"][0]["physicalLocation"];
    assert_eq!(
        location["artifactLocation"]["uri"],
        "k8s/job%2C%20100%25.yaml"
    );
    assert_eq!(location["region"]["startLine"], 4);
    assert_eq!(location["region"]["startColumn"], 14);
    assert_eq!(results[1]["ruleId"], "unpinned-image");
    assert_eq!(
        results[1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "k8s/web.yaml"
    );
}

#[test]
fn verify_reports_moved_tags_and_missing_digests_in_every_format() {
    let registry = TestRegistry::start(Kind::Http);
    let host = registry.host();
    let old = registry.push_image("app/web", "v1", Platform::LINUX_AMD64);
    registry.push_image("app/log", "v2", Platform::LINUX_AMD64);
    registry.push_image("app/job", "v3", Platform::LINUX_AMD64);
    // The tag moves: the old digest stays, v1 now names another image.
    let moved = registry.push_image("app/web", "v1", Platform::LINUX_ARM64_V8);
    assert_ne!(old, moved);
    let dir = tempfile::tempdir().unwrap();
    repository(dir.path(), &old, &host);
    let gone = format!("sha256:{}", "b".repeat(64));
    std::fs::write(
        dir.path().join("k8s/gone.yaml"),
        format!("kind: Pod\nspec:\n  containers:\n  - image: {host}/app/web@{gone}\n"),
    )
    .unwrap();
    let verify = |format: &str| {
        run(
            dir.path(),
            &[
                "pin",
                "--verify",
                "-f",
                "k8s",
                "--insecure-registry",
                &host,
                "--format",
                format,
            ],
        )
        .expect_code(1)
    };
    let github = verify("github");
    let lines: Vec<&str> = github.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", github.stdout);
    for line in &lines {
        assert_github_line(line);
    }
    assert!(
        lines[0].starts_with("::error file=k8s/gone.yaml,line=4,col=12,title=Missing digest::")
    );
    assert!(lines[1].starts_with("::error file=k8s/web.yaml,line=9,col=16,title=Moved tag::"));
    assert!(
        lines[1].ends_with(&format!("the tag now points at {moved}")),
        "{}",
        lines[1]
    );

    let gitlab: serde_json::Value = serde_json::from_str(&verify("gitlab").stdout).unwrap();
    let checks: Vec<&str> = gitlab
        .as_array()
        .unwrap()
        .iter()
        .map(|issue| issue["check_name"].as_str().unwrap())
        .collect();
    assert_eq!(checks, ["missing-digest", "moved-tag"]);

    let sarif = verify("sarif").stdout;
    assert_valid_sarif(&sarif);
    let log: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results[0]["ruleId"], "missing-digest");
    assert_eq!(results[0]["ruleIndex"], 1);
    assert_eq!(results[1]["ruleId"], "moved-tag");
    assert_eq!(results[1]["ruleIndex"], 2);

    // The text output is as it was: the problems on stderr.
    let text = run(
        dir.path(),
        &["pin", "--verify", "-f", "k8s", "--insecure-registry", &host],
    )
    .expect_code(1);
    assert_eq!(text.stdout, "");
    assert_eq!(text.stderr.lines().count(), 2, "{}", text.stderr);

    // Nothing found: an empty report in the format, not the manifests; exit 0.
    std::fs::remove_file(dir.path().join("k8s/gone.yaml")).unwrap();
    std::fs::remove_file(dir.path().join("k8s/web.yaml")).unwrap();
    let clean = run(
        dir.path(),
        &[
            "pin",
            "--verify",
            "-f",
            "k8s",
            "--insecure-registry",
            &host,
            "--format",
            "sarif",
        ],
    )
    .expect_code(0);
    assert_valid_sarif(&clean.stdout);
    assert!(clean.stdout.contains("\"results\": []"), "{}", clean.stdout);
}

#[test]
fn format_without_check_or_verify_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ran = run(dir.path(), &["pin", "-f", "-", "--format", "sarif"]).expect_code(2);
    assert_eq!(
        ran.stderr,
        "error: --format reports what --check or --verify find: add one of them\n"
    );
}
