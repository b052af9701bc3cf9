//! Where users already run the plugin: pre-commit (`.pre-commit-hooks.yaml`, run by PyPI's
//! `pre-commit try-repo`) and Argo CD's config management plugin (`examples/argocd-cmp`).

use std::path::Path;
use std::process::{Command, Output};

use crate::support::registry::{Kind, Platform, TestRegistry};
use crate::support::require;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A directory holding only `kubectl-immutable` (the built plugin), to put first on PATH.
fn plugin_on_path(dir: &Path) -> std::ffi::OsString {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(
        env!("CARGO_BIN_EXE_kubectl-immutable"),
        bin.join("kubectl-immutable"),
    )
    .unwrap();
    let mut path = vec![bin];
    path.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(path).unwrap()
}

fn git(dir: &Path, args: &[&str]) {
    let output = Command::new(require("git", "Debian's git"))
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "test")
        .env("GIT_AUTHOR_EMAIL", "test@example.test")
        .env("GIT_COMMITTER_NAME", "test")
        .env("GIT_COMMITTER_EMAIL", "test@example.test")
        .output()
        .unwrap();
    assert!(output.status.success(), "git {args:?}: {output:?}");
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn pre_commit_check_fails_on_an_unpinned_manifest_then_passes_once_pinned() {
    let pre_commit = require("pre-commit", "PyPI's pre-commit");
    let registry = TestRegistry::start(Kind::Http);
    let host = registry.host();
    let digest = registry.push_image("app/web", "v1", Platform::LINUX_AMD64);
    let work = tempfile::tempdir().unwrap();
    let path = plugin_on_path(work.path());

    // The hooks repository: this repository's .pre-commit-hooks.yaml, committed.
    let hooks = work.path().join("hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    std::fs::copy(
        repo().join(".pre-commit-hooks.yaml"),
        hooks.join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    git(&hooks, &["init", "-q"]);
    git(&hooks, &["add", "."]);
    git(&hooks, &["commit", "-qm", "hooks"]);

    // A scratch repository: one unpinned and one pinned manifest, staged.
    let scratch = work.path().join("scratch");
    std::fs::create_dir_all(scratch.join("k8s")).unwrap();
    let unpinned = format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web}}\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: {host}/app/web:v1  # the web tier\n"
    );
    std::fs::write(scratch.join("k8s/web.yaml"), &unpinned).unwrap();
    std::fs::write(
        scratch.join("k8s/pinned.yaml"),
        format!("kind: Pod\nspec:\n  containers:\n  - image: {host}/app/web@{digest}\n"),
    )
    .unwrap();
    std::fs::write(
        scratch.join(".kubectl-immutable.yaml"),
        format!("insecureRegistries: [\"{host}\"]\n"),
    )
    .unwrap();
    git(&scratch, &["init", "-q"]);
    git(&scratch, &["add", "."]);

    let try_repo = |hook: &str| {
        Command::new(&pre_commit)
            .args(["try-repo"])
            .arg(&hooks)
            .arg(hook)
            .current_dir(&scratch)
            .env("PATH", &path)
            .env("PRE_COMMIT_HOME", work.path().join("cache"))
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .unwrap()
    };
    let check = try_repo("kubectl-immutable-check");
    let said = text(&check);
    assert_eq!(check.status.code(), Some(1), "{said}");
    assert!(said.contains("Failed"), "{said}");
    assert!(said.contains(&format!("k8s/web.yaml:9: {host}/app/web:v1")), "{said}");
    assert!(!said.contains("pinned.yaml:"), "{said}");

    // The pin hook rewrites the file (pre-commit fails a hook that modifies files), only the
    // image value changed.
    let pin = try_repo("kubectl-immutable-pin");
    assert_eq!(pin.status.code(), Some(1), "{}", text(&pin));
    assert!(text(&pin).contains("files were modified by this hook"), "{}", text(&pin));
    assert_eq!(
        std::fs::read_to_string(scratch.join("k8s/web.yaml")).unwrap(),
        unpinned.replace("web:v1 ", &format!("web:v1@{digest} "))
    );
    git(&scratch, &["add", "."]);
    let check = try_repo("kubectl-immutable-check");
    assert_eq!(check.status.code(), Some(0), "{}", text(&check));
    assert!(text(&check).contains("Passed"), "{}", text(&check));
}

