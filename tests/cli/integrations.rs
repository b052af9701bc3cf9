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
    assert!(
        said.contains(&format!("k8s/web.yaml:9: {host}/app/web:v1")),
        "{said}"
    );
    assert!(!said.contains("pinned.yaml:"), "{said}");

    // The pin hook rewrites the file (pre-commit fails a hook that modifies files), only the
    // image value changed.
    let pin = try_repo("kubectl-immutable-pin");
    assert_eq!(pin.status.code(), Some(1), "{}", text(&pin));
    assert!(
        text(&pin).contains("files were modified by this hook"),
        "{}",
        text(&pin)
    );
    assert_eq!(
        std::fs::read_to_string(scratch.join("k8s/web.yaml")).unwrap(),
        unpinned.replace("web:v1 ", &format!("web:v1@{digest} "))
    );
    git(&scratch, &["add", "."]);
    let check = try_repo("kubectl-immutable-check");
    assert_eq!(check.status.code(), Some(0), "{}", text(&check));
    assert!(text(&check).contains("Passed"), "{}", text(&check));
}

/// examples/argocd-cmp/plugin.yaml's generate command, run as argocd-cmp-server runs it: its
/// command and args, in the application's directory, with the ARGOCD_APP_* environment.
fn argocd_generate(app: &Path, path: &std::ffi::OsStr) -> Output {
    let text = std::fs::read_to_string(repo().join("examples/argocd-cmp/plugin.yaml")).unwrap();
    let plugin: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
    assert_eq!(plugin["kind"], "ConfigManagementPlugin");
    let generate = &plugin["spec"]["generate"];
    let words: Vec<&str> = generate["command"]
        .as_array()
        .unwrap()
        .iter()
        .chain(generate["args"].as_array().unwrap())
        .map(|word| word.as_str().unwrap())
        .collect();
    assert_eq!(words[..2], ["sh", "-c"]);
    Command::new(words[0])
        .args(&words[1..])
        .current_dir(app)
        .env_clear()
        .env("PATH", path)
        .env("HOME", app)
        .env("ARGOCD_APP_NAME", "shop")
        .env("ARGOCD_APP_NAMESPACE", "shop")
        .env(
            "ARGOCD_APP_REVISION",
            "0123456789abcdef0123456789abcdef01234567",
        )
        .env("ARGOCD_APP_SOURCE_PATH", "apps/shop")
        .env(
            "ARGOCD_APP_SOURCE_REPO_URL",
            "https://git.example.test/gitops.git",
        )
        .env("ARGOCD_APP_SOURCE_TARGET_REVISION", "main")
        .env("KUBE_VERSION", "1.31.0")
        .env("KUBE_API_VERSIONS", "v1,apps/v1,batch/v1")
        .output()
        .unwrap()
}

#[test]
fn argocd_cmp_generates_the_same_pinned_manifests_twice_without_a_registry() {
    let work = tempfile::tempdir().unwrap();
    let path = plugin_on_path(work.path());
    let app = work.path().join("app");
    std::fs::create_dir_all(&app).unwrap();
    let digest = format!("sha256:{}", "d".repeat(64));
    // No registry anywhere: an unroutable host, and only the lock file.
    std::fs::write(
        app.join("immutable.lock"),
        format!(
            "{{\n  \"version\": 1,\n  \"images\": {{\n    \"registry.invalid/shop/web:1.5\": \"{digest}\"\n  }}\n}}\n"
        ),
    )
    .unwrap();
    std::fs::write(
        app.join("web.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: registry.invalid/shop/web:1.5",
    )
    .unwrap();
    std::fs::write(
        app.join("config.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {mode: fast}\n",
    )
    .unwrap();
    let first = argocd_generate(&app, &path);
    assert!(first.status.success(), "{}", text(&first));
    let second = argocd_generate(&app, &path);
    assert!(second.status.success(), "{}", text(&second));
    assert_eq!(first.stdout, second.stdout);
    assert_eq!(first.stderr, b"");
    let stdout = String::from_utf8(first.stdout).unwrap();
    // Both files, kept apart, the image pinned from the lock.
    assert_eq!(
        stdout,
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: web}}\ndata: {{mode: fast}}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web}}\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: registry.invalid/shop/web:1.5@{digest}"
        )
    );

    // An image the lock does not know fails the generation, in one line.
    std::fs::write(
        app.join("job.yaml"),
        "kind: Pod\nspec:\n  containers:\n  - image: registry.invalid/shop/job:2\n",
    )
    .unwrap();
    let missing = argocd_generate(&app, &path);
    assert_eq!(missing.status.code(), Some(2), "{}", text(&missing));
    assert_eq!(missing.stdout, b"");
    assert!(
        text(&missing).contains("not in the lock file"),
        "{}",
        text(&missing)
    );
    std::fs::remove_file(app.join("job.yaml")).unwrap();

    // A kustomization: rendered by kustomize (a stand-in here), then pinned; a failed build fails
    // the generation instead of pinning an empty stream.
    std::fs::write(app.join("kustomization.yaml"), "resources: [web.yaml]\n").unwrap();
    let bin = work.path().join("bin");
    let kustomize = bin.join("kustomize");
    std::fs::write(
        &kustomize,
        "#!/bin/sh\n[ \"$1 $2\" = 'build .' ] || exit 9\ncat web.yaml\n",
    )
    .unwrap();
    std::fs::set_permissions(
        &kustomize,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let built = argocd_generate(&app, &path);
    assert!(built.status.success(), "{}", text(&built));
    assert_eq!(
        String::from_utf8(built.stdout).unwrap(),
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web}}\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: registry.invalid/shop/web:1.5@{digest}\n"
        )
    );
    std::fs::write(
        &kustomize,
        "#!/bin/sh\necho 'Error: no such file' >&2\nexit 1\n",
    )
    .unwrap();
    let failed = argocd_generate(&app, &path);
    assert_ne!(failed.status.code(), Some(0), "{}", text(&failed));
    assert_eq!(failed.stdout, b"");
}
