//! `kubectl immutable diff` between manifest sets and git revisions, checked against snapshots.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::plugin::{Plugin, Run};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/diff")
}

fn diff(args: &[&str]) -> Run {
    Plugin::new(["diff"].iter().chain(args))
        .current_dir(&fixtures())
        .run()
}

#[test]
fn two_releases_as_text() {
    let run = diff(&["release-1", "release-2", "--color", "never"]).expect_code(1);
    assert_eq!(run.stderr, "");
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn two_releases_in_colour() {
    let run = diff(&["release-1", "release-2", "--color", "always"]).expect_code(1);
    assert!(run.stdout.contains("\u{1b}[32m+  replicas: 3\u{1b}[0m"));
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn two_releases_as_json() {
    let run = diff(&["release-1", "release-2", "-o", "json"]).expect_code(1);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        report["summary"],
        serde_json::json!({"added": 1, "removed": 1, "changed": 3, "unchanged": 1})
    );
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn secret_values_are_never_printed() {
    for format in ["text", "json"] {
        let run = diff(&["release-1", "release-2", "-o", format]).expect_code(1);
        for secret in ["YWRtaW4=", "czNjcjN0LTE=", "czNjcjN0LTI="] {
            assert!(!run.stdout.contains(secret), "{format} shows {secret}");
        }
        assert!(run.stdout.contains("password"), "the changed key is named");
    }
}

#[test]
fn equal_sets_in_another_order_are_no_difference() {
    let text = std::fs::read_to_string(fixtures().join("release-2/all.yaml")).unwrap();
    let mut documents: Vec<&str> = text.split("\n---\n").collect();
    documents.reverse();
    let reordered = documents.join("\n---\n");
    let run = Plugin::new(["diff", "release-2/all.yaml", "-"])
        .current_dir(&fixtures())
        .stdin(&reordered)
        .run()
        .expect_code(0);
    assert_eq!(run.stdout, "0 added, 0 removed, 0 changed, 5 unchanged\n");
}

#[test]
fn objects_without_a_namespace_take_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {k: '1'}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("b.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: team}\ndata: {k: '2'}\n",
    )
    .unwrap();
    let run = Plugin::new(["diff", "a.yaml", "b.yaml", "-n", "team"])
        .current_dir(dir.path())
        .run()
        .expect_code(1);
    assert!(
        run.stdout
            .starts_with("0 added, 0 removed, 1 changed, 0 unchanged\n")
    );
    assert!(run.stdout.contains("--- a/configmap/team/c\n"));
    let run = Plugin::new(["diff", "a.yaml", "b.yaml"])
        .current_dir(dir.path())
        .run()
        .expect_code(1);
    assert!(
        run.stdout
            .starts_with("1 added, 1 removed, 0 changed, 0 unchanged\n")
    );
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

#[test]
fn git_revisions_are_read_without_a_checkout() {
    let repo = tempfile::tempdir().unwrap();
    let k8s = repo.path().join("k8s");
    std::fs::create_dir_all(k8s.join("apps")).unwrap();
    for file in ["app.yaml", "secrets.yaml"] {
        std::fs::copy(
            fixtures().join("release-1").join(file),
            k8s.join("apps").join(file),
        )
        .unwrap();
    }
    git(repo.path(), &["init", "-q"]);
    git(repo.path(), &["add", "."]);
    git(repo.path(), &["commit", "-qm", "release 1"]);
    git(repo.path(), &["tag", "v1.4"]);
    std::fs::remove_file(k8s.join("apps/app.yaml")).unwrap();
    std::fs::remove_file(k8s.join("apps/secrets.yaml")).unwrap();
    std::fs::copy(
        fixtures().join("release-2/all.yaml"),
        k8s.join("apps/all.yaml"),
    )
    .unwrap();
    git(repo.path(), &["add", "-A"]);
    git(repo.path(), &["commit", "-qm", "release 2"]);
    std::fs::write(k8s.join("apps/all.yaml"), "work tree: not committed\n").unwrap();

    let from_git = Plugin::new(["diff", "v1.4:k8s", "HEAD:k8s", "-R", "--color", "never"])
        .current_dir(repo.path())
        .run()
        .expect_code(1);
    let from_disk = diff(&["release-1", "release-2", "--color", "never"]);
    assert_eq!(from_git.stdout, from_disk.stdout);

    let not_recursive = Plugin::new(["diff", "v1.4:k8s", "HEAD:k8s"])
        .current_dir(&k8s)
        .run();
    assert_eq!(
        not_recursive.code, 2,
        "k8s/ is outside the working directory k8s/"
    );

    let from_subdirectory = Plugin::new(["diff", "v1.4:apps", "HEAD:apps"])
        .current_dir(&k8s)
        .run()
        .expect_code(1);
    assert!(
        from_subdirectory
            .stdout
            .starts_with("1 added, 1 removed, 3 changed, 1 unchanged\n")
    );

    let missing = Plugin::new(["diff", "v9:k8s", "HEAD:k8s"])
        .current_dir(repo.path())
        .run()
        .expect_code(2);
    assert!(
        missing.stderr.starts_with("error: v9:k8s: "),
        "{}",
        missing.stderr
    );
}

#[test]
fn git_revisions_keep_files_whose_names_git_would_quote() {
    let repo = tempfile::tempdir().unwrap();
    let k8s = repo.path().join("k8s");
    std::fs::create_dir(&k8s).unwrap();
    let names = [
        "café.yaml",
        "a b.yaml",
        "say \"hi\".yaml",
        "two\nlines.yaml",
        "tab\there.yml",
    ];
    let config = |index: usize, mode: &str| {
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{index}}}\ndata: {{mode: {mode}}}\n"
        )
    };
    for (index, name) in names.iter().enumerate() {
        std::fs::write(k8s.join(name), config(index, "blue")).unwrap();
    }
    git(repo.path(), &["init", "-q"]);
    git(repo.path(), &["add", "."]);
    git(repo.path(), &["commit", "-qm", "blue"]);
    git(repo.path(), &["tag", "v1"]);
    for (index, name) in names.iter().enumerate() {
        std::fs::write(k8s.join(name), config(index, "green")).unwrap();
    }
    git(repo.path(), &["commit", "-qam", "green"]);

    let run = Plugin::new(["diff", "v1:k8s", "HEAD:k8s", "-o", "json"])
        .current_dir(repo.path())
        .run()
        .expect_code(1);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        report["summary"],
        serde_json::json!({"added": 0, "removed": 0, "changed": 5, "unchanged": 0})
    );
}

#[test]
fn text_from_git_that_is_not_utf8_is_named_at_its_first_bad_byte() {
    let repo = tempfile::tempdir().unwrap();
    let k8s = repo.path().join("k8s");
    std::fs::create_dir(&k8s).unwrap();
    let config = |owner: &[u8]| {
        [
            b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\n  annotations:\n    owner: ".as_slice(),
            owner,
            b"\ndata:\n  mode: blue\n",
        ]
        .concat()
    };
    std::fs::write(k8s.join("config.yaml"), config("Renée".as_bytes())).unwrap();
    git(repo.path(), &["init", "-q"]);
    git(repo.path(), &["add", "."]);
    git(repo.path(), &["commit", "-qm", "UTF-8"]);
    git(repo.path(), &["tag", "v1"]);
    // Latin-1: `é` is the one byte 0xe9.
    std::fs::write(k8s.join("config.yaml"), config(b"Ren\xe9e")).unwrap();
    git(repo.path(), &["commit", "-qam", "Latin-1"]);
    std::fs::write(k8s.join("config.yaml"), config(b"Renee")).unwrap();

    for new in ["HEAD:k8s", "HEAD:k8s/config.yaml"] {
        let run = Plugin::new(["diff", "v1:k8s", new])
            .current_dir(repo.path())
            .run()
            .expect_code(2);
        assert_eq!(run.stdout, "");
        assert_eq!(
            run.stderr,
            "error: HEAD:k8s/config.yaml:6:15: not UTF-8 text: byte 0xe9 (a binary file, or text in another encoding?)\n",
            "{new}"
        );
    }
}

#[test]
fn bad_sides_are_one_line_each_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("broken.yaml"), "kind: Pod\nspec: [\n").unwrap();
    std::fs::write(
        dir.path().join("nameless.yaml"),
        "apiVersion: v1\nkind: Pod\n",
    )
    .unwrap();
    let run = Plugin::new(["diff", "broken.yaml", "nameless.yaml"])
        .current_dir(dir.path())
        .run()
        .expect_code(2);
    assert_eq!(
        run.stderr,
        "error: broken.yaml:2:7: invalid YAML: unclosed bracket '['\nerror: nameless.yaml:1: Pod without metadata.name\n"
    );
    let run = Plugin::new(["diff", "missing.yaml", "broken.yaml"])
        .current_dir(dir.path())
        .run()
        .expect_code(2);
    assert!(
        run.stderr
            .starts_with("error: missing.yaml: No such file or directory")
    );
}

#[test]
fn every_object_problem_names_the_line_its_document_starts_on() {
    let dir = tempfile::tempdir().unwrap();
    let config =
        |name: &str| format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}}}\n");
    std::fs::write(dir.path().join("a.yaml"), config("a")).unwrap();
    std::fs::create_dir(dir.path().join("b")).unwrap();
    std::fs::write(
        dir.path().join("b/1.yaml"),
        format!(
            "{}---\n# the same again\n{}---\n{}",
            config("a"),
            config("a"),
            config("b")
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("b/2.yaml"),
        format!(
            "{}---\napiVersion: v1\nmetadata: {{name: c}}\n---\nkind: Secret\nmetadata: {{}}\n---\n[1, 2]\n",
            config("b")
        ),
    )
    .unwrap();
    let run = Plugin::new(["diff", "a.yaml", "b"])
        .current_dir(dir.path())
        .run()
        .expect_code(2);
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "error: b/1.yaml:6: configmap/default/a appears twice (first at b/1.yaml:1)\n\
         error: b/2.yaml:11: document 4 is not a Kubernetes object: not a mapping\n"
    );
    std::fs::write(
        dir.path().join("b/2.yaml"),
        format!(
            "{}---\napiVersion: v1\nmetadata: {{name: c}}\n---\nkind: Secret\nmetadata: {{}}\n",
            config("b")
        ),
    )
    .unwrap();
    let run = Plugin::new(["diff", "a.yaml", "b"])
        .current_dir(dir.path())
        .run()
        .expect_code(2);
    assert_eq!(
        run.stderr,
        "error: b/1.yaml:6: configmap/default/a appears twice (first at b/1.yaml:1)\n\
         error: b/2.yaml:1: configmap/default/b appears twice (first at b/1.yaml:10)\n\
         error: b/2.yaml:5: object without kind\n\
         error: b/2.yaml:8: Secret without metadata.name\n"
    );
    // Against the cluster, these are found before it is asked (there is none here).
    let run = Plugin::new(["diff", "-f", "b/2.yaml"])
        .current_dir(dir.path())
        .run()
        .expect_code(2);
    assert_eq!(
        run.stderr,
        "error: b/2.yaml:5: object without kind\n\
         error: b/2.yaml:8: Secret without metadata.name\n"
    );
}

/// `a.yaml` and `b.yaml` written in a new directory and diffed, as text without colour (its stderr
/// empty) and as JSON, both exiting 1 as two sets that differ do.
fn diff_two_files(a: &str, b: &str) -> (String, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.yaml"), a).unwrap();
    std::fs::write(dir.path().join("b.yaml"), b).unwrap();
    let text = Plugin::new(["diff", "a.yaml", "b.yaml", "--color", "never"])
        .current_dir(dir.path())
        .run()
        .expect_code(1);
    assert_eq!(text.stderr, "");
    let json = Plugin::new(["diff", "a.yaml", "b.yaml", "-o", "json"])
        .current_dir(dir.path())
        .run()
        .expect_code(1);
    (text.stdout, serde_json::from_str(&json.stdout).unwrap())
}

#[test]
fn invalid_image_references_are_compared_and_marked() {
    let pod = |name: &str, image: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec:\n  containers:\n  - {{name: app, image: '{image}'}}\n"
        )
    };
    let pinned = format!("nginx:1.27@sha256:{}", "a".repeat(64));
    let (text, report) = diff_two_files(
        &[
            pod("upper", &pinned),
            pod("empty", &pinned),
            pod("short", &pinned),
        ]
        .join("---\n"),
        &[
            pod("upper", "Nginx:1"),
            pod("empty", ""),
            pod("short", "nginx@sha256:0123"),
        ]
        .join("---\n"),
    );
    insta::assert_snapshot!(text);
    let notes: Vec<&serde_json::Value> = report["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|image| &image["note"])
        .collect();
    assert_eq!(notes, [&serde_json::json!("invalid-reference"); 3]);
}

#[test]
fn images_that_are_not_strings_are_compared_and_shown_as_json() {
    let pod = |name: &str, image: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec:\n  containers:\n  - name: app\n    image: {image}\n"
        )
    };
    let names = ["number", "list", "mapping", "nil"];
    let (text, report) = diff_two_files(
        &names.map(|name| pod(name, "nginx:1.27")).join("---\n"),
        &names
            .iter()
            .zip(["42", "[a]", "{a: b}", "null"])
            .map(|(name, image)| pod(name, image))
            .collect::<Vec<_>>()
            .join("---\n"),
    );
    insta::assert_snapshot!(text);
    let images: Vec<(&str, &serde_json::Value, &serde_json::Value)> = report["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|image| {
            (
                image["object"].as_str().unwrap(),
                &image["new"],
                &image["note"],
            )
        })
        .collect();
    let invalid = serde_json::json!("invalid-reference");
    assert_eq!(
        images,
        [
            ("pod/default/list", &serde_json::json!(["a"]), &invalid),
            (
                "pod/default/mapping",
                &serde_json::json!({"a": "b"}),
                &invalid
            ),
            ("pod/default/nil", &serde_json::Value::Null, &invalid),
            ("pod/default/number", &serde_json::json!(42), &invalid),
        ]
    );
}

#[test]
fn the_namespace_defaults_to_the_kubeconfig_context() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("kubeconfig"),
        "apiVersion: v1\nkind: Config\ncurrent-context: dev\ncontexts:\n- name: dev\n  context: {cluster: c, user: u, namespace: team}\n- name: ops\n  context: {cluster: c, user: u, namespace: ops}\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\nusers: [{name: u, user: {}}]\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("a.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
    )
    .unwrap();
    for (flags, namespace) in [
        (vec!["--kubeconfig", "kubeconfig"], "team"),
        (
            vec!["--kubeconfig", "kubeconfig", "--context", "ops"],
            "ops",
        ),
        (vec![], "default"),
    ] {
        let mut args = vec!["diff", "a.yaml", "-"];
        args.extend(flags);
        let run = Plugin::new(args)
            .current_dir(dir.path())
            .stdin("")
            .run()
            .expect_code(1);
        assert!(
            run.stdout
                .contains(&format!("--- a/configmap/{namespace}/c\n")),
            "{}",
            run.stdout
        );
    }
}

/// An unknown --context, or a --kubeconfig that does not exist, is an error as kubectl makes it,
/// even where only the namespace is read from the kubeconfig; no kubeconfig at all is not.
#[test]
fn an_unknown_context_or_a_missing_kubeconfig_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("kubeconfig"),
        "apiVersion: v1\nkind: Config\ncurrent-context: dev\ncontexts:\n- name: dev\n  context: {cluster: c, user: u, namespace: team}\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\nusers: [{name: u, user: {}}]\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("a.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
    )
    .unwrap();
    let missing = dir.path().join("missing");
    let missing_error = format!(
        "error: stat {}: no such file or directory\n",
        missing.display()
    );
    for (flags, error) in [
        (
            vec!["--kubeconfig", "kubeconfig", "--context", "nope"],
            "error: context \"nope\" does not exist\n",
        ),
        (
            vec!["--kubeconfig", "kubeconfig", "--context", "nope", "-n", "x"],
            "error: context \"nope\" does not exist\n",
        ),
        (
            vec!["--kubeconfig", missing.to_str().unwrap()],
            missing_error.as_str(),
        ),
    ] {
        let mut args = vec!["diff", "a.yaml", "a.yaml"];
        args.extend(&flags);
        let run = Plugin::new(args)
            .current_dir(dir.path())
            .run()
            .expect_code(2);
        assert_eq!(run.stderr, error, "{flags:?}");
        assert_eq!(run.stdout, "", "{flags:?}");
    }
    // Where a cluster is asked (-f, TYPE/NAME), the cluster adapter says it the same way.
    for sides in [["-f", "a.yaml"], ["deployment/web", "-R"]] {
        let mut args = vec!["diff", "--kubeconfig", "kubeconfig", "--context", "nope"];
        args.extend(sides);
        let run = Plugin::new(args)
            .current_dir(dir.path())
            .run()
            .expect_code(2);
        assert_eq!(
            run.stderr, "error: cannot load the kubeconfig: context \"nope\" does not exist\n",
            "{sides:?}"
        );
    }
    // The same through KUBECONFIG; a file of the list that does not exist is skipped, as
    // kubectl skips it.
    let list = std::env::join_paths([missing.as_path(), &dir.path().join("kubeconfig")]).unwrap();
    let run = Plugin::new(["diff", "a.yaml", "-", "--context", "nope"])
        .env("KUBECONFIG", &list)
        .current_dir(dir.path())
        .stdin("")
        .run()
        .expect_code(2);
    assert_eq!(run.stderr, "error: context \"nope\" does not exist\n");
    let run = Plugin::new(["diff", "a.yaml", "-"])
        .env("KUBECONFIG", &list)
        .current_dir(dir.path())
        .stdin("")
        .run()
        .expect_code(1);
    assert!(
        run.stdout.contains("--- a/configmap/team/c\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn the_last_applied_annotation_of_a_secret_is_masked_too() {
    let dir = tempfile::tempdir().unwrap();
    let secret = |password: &str| {
        let applied = format!(
            r#"{{"apiVersion":"v1","kind":"Secret","metadata":{{"name":"db"}},"data":{{"password":"{password}"}}}}"#
        );
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: '{applied}'\ndata:\n  password: {password}\n"
        )
    };
    std::fs::write(dir.path().join("a.yaml"), secret("b2xkLXNlY3JldA==")).unwrap();
    std::fs::write(dir.path().join("b.yaml"), secret("bmV3LXNlY3JldA==")).unwrap();
    for format in ["text", "json"] {
        let run = Plugin::new(["diff", "a.yaml", "b.yaml", "-o", format])
            .current_dir(dir.path())
            .run()
            .expect_code(1);
        assert!(!run.stdout.contains("b2xkLXNlY3JldA=="), "{}", run.stdout);
        assert!(!run.stdout.contains("bmV3LXNlY3JldA=="), "{}", run.stdout);
        assert!(
            run.stdout.contains("last-applied-configuration"),
            "{}",
            run.stdout
        );
    }
}

#[test]
fn two_releases_as_markdown_match_the_golden_file() {
    let run = diff(&["release-1", "release-2", "-o", "markdown"]).expect_code(1);
    let golden = std::fs::read_to_string(fixtures().join("release-1-to-2.md")).unwrap();
    assert_eq!(run.stdout, golden);
    for secret in ["YWRtaW4=", "czNjcjN0LTE=", "czNjcjN0LTI="] {
        assert!(!run.stdout.contains(secret), "markdown shows {secret}");
    }
}

#[test]
fn markdown_past_the_comment_limit_is_cut_between_objects_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    for (side, value) in [("old.yaml", "a"), ("new.yaml", "b")] {
        let text: String = (0..2000)
            .map(|i| {
                format!(
                    "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: config-{i}}}\ndata: {{key: {value}}}\n"
                )
            })
            .collect();
        std::fs::write(dir.path().join(side), text).unwrap();
    }
    let run = Plugin::new(["diff", "old.yaml", "new.yaml", "-o", "markdown"])
        .current_dir(dir.path())
        .run()
        .expect_code(1);
    let text = &run.stdout;
    assert!(text.chars().count() <= 65_536, "{}", text.chars().count());
    let shown = text.matches("<details>").count();
    assert!(shown > 10 && shown < 2000, "{shown}");
    // Every block shown is whole: its fence and its <details> closed.
    assert_eq!(text.matches("```diff\n").count(), shown);
    assert_eq!(text.matches("\n```\n\n</details>\n").count(), shown);
    assert!(text.starts_with("**0 added, 0 removed, 2000 changed, 0 unchanged**\n"));
    assert!(
        text.ends_with(&format!(
            "\n_{} more object diffs not shown: the comment would pass GitHub's limit of 65,536 characters; `kubectl immutable diff` shows them all._\n",
            2000 - shown
        )),
        "{}",
        &text[text.len() - 300..]
    );
}
