//! `kubectl-immutable postrender` run as Helm runs a post-renderer, against a real Distribution
//! registry: Helm 3's execRender (the binary, `--post-renderer-args`, stdin written then closed,
//! stdout and stderr captured) and Helm 4's subprocess runtime (plugin.yaml's platformCommand,
//! the extra args after it, HELM_PLUGIN_DIR set).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::support::registry::{Kind, Platform, TestRegistry};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `helm template`'s output shape (as in Helm's own testdata): `---` and `# Source:` before each
/// document, a test hook, Helm 4's postrender-filename annotation, an image in a ConfigMap that
/// is not one.
fn rendered(host: &str) -> String {
    format!(
        "\
---
# Source: web/templates/serviceaccount.yaml
apiVersion: v1
kind: ServiceAccount
metadata:
  name: web
  annotations:
    postrender.helm.sh/postrender-filename: 'web/templates/serviceaccount.yaml'
---
# Source: web/templates/configmap.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: web
  annotations:
    postrender.helm.sh/postrender-filename: 'web/templates/configmap.yaml'
data:
  image: {host}/app/web:v1
---
# Source: web/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    helm.sh/chart: web-0.1.0
    app.kubernetes.io/managed-by: Helm
  annotations:
    postrender.helm.sh/postrender-filename: 'web/templates/deployment.yaml'
spec:
  replicas: 1
  template:
    spec:
      containers:
        - name: web
          image: \"{host}/app/web:v1\"
          imagePullPolicy: IfNotPresent
---
# Source: web/templates/tests/test-connection.yaml
apiVersion: v1
kind: Pod
metadata:
  name: \"web-test-connection\"
  labels:
    helm.sh/chart: web-0.1.0
  annotations:
    \"helm.sh/hook\": test
    postrender.helm.sh/postrender-filename: 'web/templates/tests/test-connection.yaml'
spec:
  containers:
    - name: wget
      image: {host}/library/busybox:1.36
      command: ['wget']
      args: ['web:80']
  restartPolicy: Never
"
    )
}

struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `command` as Helm does: stdin written by another thread then closed, stdout and stderr
/// captured whole.
fn helm_runs(mut command: Command, input: &str) -> Ran {
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("the post-renderer starts");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_string();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
        // Dropped: closed, as execRender's `defer stdin.Close()`.
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    Ran {
        code: output.status.code().expect("exited"),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

/// Helm 3: `--post-renderer kubectl-immutable --post-renderer-args postrender ...`.
fn helm3(args: &[&str], input: &str, home: &Path) -> Ran {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kubectl-immutable"));
    command
        .arg("postrender")
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .current_dir(home);
    helm_runs(command, input)
}

/// Helm 4: the plugin directory as `helm plugin install` leaves it, the command of
/// plugin.yaml's platformCommand found on PATH, its args, then `--post-renderer-args`.
fn helm4(args: &[&str], input: &str, home: &Path) -> Ran {
    let plugin_dir = home.join("helm/plugins/immutable");
    std::fs::create_dir_all(&plugin_dir).unwrap();
    std::fs::copy(
        repo().join("plugins/helm/immutable/plugin.yaml"),
        plugin_dir.join("plugin.yaml"),
    )
    .unwrap();
    let metadata: serde_json::Value =
        serde_saphyr::from_str(&std::fs::read_to_string(plugin_dir.join("plugin.yaml")).unwrap())
            .unwrap();
    let platform = &metadata["runtimeConfig"]["platformCommand"][0];
    let bin = home.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let name = platform["command"].as_str().unwrap();
    let _ = std::fs::remove_file(bin.join(name));
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_kubectl-immutable"), bin.join(name)).unwrap();
    let mut path = vec![bin];
    path.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    let mut command = Command::new(name);
    command
        .args(
            platform["args"]
                .as_array()
                .unwrap()
                .iter()
                .map(|arg| arg.as_str().unwrap()),
        )
        .args(args)
        .env_clear()
        .env("PATH", std::env::join_paths(path).unwrap())
        .env("HOME", home)
        .env("HELM_PLUGIN_DIR", &plugin_dir)
        .env("HELM_PLUGIN_NAME", "immutable")
        .current_dir(home);
    helm_runs(command, input)
}

type Helm = fn(&[&str], &str, &Path) -> Ran;

const HELMS: [(&str, Helm); 2] = [("helm 3", helm3), ("helm 4", helm4)];

#[test]
fn the_helm_plugin_is_a_helm_4_postrenderer_of_this_version() {
    let text = std::fs::read_to_string(repo().join("plugins/helm/immutable/plugin.yaml")).unwrap();
    let metadata: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
    assert_eq!(metadata["apiVersion"], "v1");
    assert_eq!(metadata["type"], "postrenderer/v1");
    assert_eq!(metadata["runtime"], "subprocess");
    assert_eq!(metadata["name"], "immutable");
    assert_eq!(metadata["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        metadata["runtimeConfig"]["platformCommand"],
        serde_json::json!([{"command": "kubectl-immutable", "args": ["postrender"]}])
    );
}

#[test]
fn only_image_values_change_as_helm_3_and_helm_4_run_it() {
    let registry = TestRegistry::start(Kind::Http);
    let host = registry.host();
    let web = registry.push_image("app/web", "v1", Platform::LINUX_AMD64);
    let busybox = registry.push_image("library/busybox", "1.36", Platform::LINUX_AMD64);
    let input = rendered(&host);
    let expected = input
        .replace(
            &format!("\"{host}/app/web:v1\""),
            &format!("\"{host}/app/web:v1@{web}\""),
        )
        .replace(
            &format!("image: {host}/library/busybox:1.36\n"),
            &format!("image: {host}/library/busybox:1.36@{busybox}\n"),
        );
    assert_eq!(expected.len(), input.len() + 2 * (web.len() + 1));
    for (helm, run) in HELMS {
        let home = tempfile::tempdir().unwrap();
        let ran = run(&["--insecure-registry", &host], &input, home.path());
        assert_eq!(ran.code, 0, "{helm}: {}", ran.stderr);
        assert_eq!(ran.stdout, expected, "{helm}");
        assert_eq!(ran.stderr, "", "{helm}: nothing but errors on stderr");
    }
}

#[test]
fn empty_in_is_empty_out_and_documents_are_never_lost() {
    let home = tempfile::tempdir().unwrap();
    for (helm, run) in HELMS {
        let ran = run(&[], "", home.path());
        assert_eq!(
            (ran.code, ran.stdout.as_str(), ran.stderr.as_str()),
            (0, "", ""),
            "{helm}"
        );
        // Nothing to resolve: no registry asked, every byte back.
        let pinned = format!(
            "---\n# Source: c/templates/pod.yaml\nkind: Pod\nspec:\n  containers:\n  - image: nginx@sha256:{}\n",
            "a".repeat(64)
        );
        let ran = run(&[], &pinned, home.path());
        assert_eq!(
            (ran.code, ran.stdout.as_str()),
            (0, pinned.as_str()),
            "{helm}: {}",
            ran.stderr
        );
    }
}

#[test]
fn an_unresolvable_image_fails_with_one_line_and_nothing_on_stdout() {
    let registry = TestRegistry::start(Kind::Http);
    let host = registry.host();
    registry.push_image("app/web", "v1", Platform::LINUX_AMD64);
    // busybox is never pushed.
    for (helm, run) in HELMS {
        let home = tempfile::tempdir().unwrap();
        let ran = run(
            &["--insecure-registry", &host],
            &rendered(&host),
            home.path(),
        );
        assert_ne!(ran.code, 0, "{helm}");
        assert_eq!(ran.code, 2, "{helm}");
        assert_eq!(ran.stdout, "", "{helm}");
        assert_eq!(ran.stderr.lines().count(), 1, "{helm}: {}", ran.stderr);
        assert!(
            ran.stderr.starts_with("error: -:") && ran.stderr.contains("library/busybox:1.36"),
            "{helm}: {}",
            ran.stderr
        );
    }
}

#[test]
fn the_config_file_and_lock_are_pins() {
    let registry = TestRegistry::start(Kind::Http);
    let host = registry.host();
    let web = registry.push_image("app/web", "v1", Platform::LINUX_AMD64);
    let busybox = registry.push_image("library/busybox", "1.36", Platform::LINUX_AMD64);
    let home = tempfile::tempdir().unwrap();
    // The insecure registry from the config file, as pin reads it.
    std::fs::write(
        home.path().join(".kubectl-immutable.yaml"),
        format!("insecureRegistries: [\"{host}\"]\n"),
    )
    .unwrap();
    let ran = helm3(&["--lock", "immutable.lock"], &rendered(&host), home.path());
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(ran.stdout.contains(&web) && ran.stdout.contains(&busybox));
    // Offline, from the lock alone: the same stream.
    drop(registry);
    let offline = helm3(
        &["--offline", "--lock", "immutable.lock"],
        &rendered(&host),
        home.path(),
    );
    assert_eq!(
        (offline.code, &offline.stdout),
        (0, &ran.stdout),
        "{}",
        offline.stderr
    );
}

#[test]
fn a_terminal_or_no_arguments_is_not_a_post_renderer() {
    // No arguments at all: usage, exit 2, whatever stdin is.
    let ran = helm_runs(
        Command::new(env!("CARGO_BIN_EXE_kubectl-immutable")),
        "kind: Pod\n",
    );
    assert_eq!(ran.code, 2);
    assert!(ran.stderr.contains("Usage:"), "{}", ran.stderr);
    assert_eq!(ran.stdout, "");
}
