//! The registry the benchmark pins against: the real CNCF Distribution registry
//! (`docker-registry serve`) on a loopback port, its storage seeded with 200 repositories
//! (`v1`, `v2`, and a multi-arch `multi` index each) by `skopeo copy` from an OCI layout built
//! by the test support code. The seeded storage is kept under the target directory and reused
//! (`BENCH_RESEED=1` seeds afresh). A second registry process over TLS serves the same storage
//! (reading only), with the test support code's certificate.

use std::collections::BTreeMap;
use std::fs;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use kubectl_immutable_test_support::registry::{
    OciLayout, Platform, make_server_certificate, spawn_tied_to_test_binary,
};

pub const REPOSITORIES: usize = 200;
pub const TAGS: [&str; 3] = ["v1", "v2", "multi"];
const MULTI_PLATFORMS: [Platform; 2] = [Platform::LINUX_AMD64, Platform::LINUX_ARM64_V8];
/// Changes whenever what is seeded changes, so an old cache is not reused.
const SEED_VERSION: &str = "1";
/// `skopeo copy` processes at once: each push mostly waits on process start-up and the registry.
const PUSH_JOBS: usize = 8;

/// `bench/app-007`.
pub fn repository(i: usize) -> String {
    format!("bench/app-{i:03}")
}

/// A running registry over seeded storage, killed on drop.
pub struct SeededRegistry {
    child: Child,
    port: u16,
    /// `repository:tag` -> digest the registry holds for it.
    pub digests: BTreeMap<String, String>,
    /// How long seeding took, when this run seeded.
    pub seeded_in: Option<Duration>,
    config: tempfile::TempDir,
    storage: PathBuf,
}

/// A second registry process over TLS on the seeded storage, killed on drop.
pub struct TlsRegistry {
    child: Child,
    port: u16,
    _config: tempfile::TempDir,
}

impl TlsRegistry {
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }
}

impl Drop for TlsRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl SeededRegistry {
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// Starts the registry on the cached storage under `cache_root`, seeding it first if the cache
    /// is missing, incomplete, or `reseed`.
    pub fn start(cache_root: &Path, reseed: bool) -> SeededRegistry {
        let cache = cache_root.join(format!("bench-registry-v{SEED_VERSION}"));
        let digests_file = cache.join("digests.json");
        let cached: Option<BTreeMap<String, String>> = (!reseed)
            .then(|| fs::read(&digests_file).ok())
            .flatten()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok());
        if cached.is_none() && cache.exists() {
            fs::remove_dir_all(&cache).expect("remove the old registry cache");
        }
        let storage = cache.join("storage");
        fs::create_dir_all(&storage).expect("create the registry storage");
        let config_dir = tempfile::tempdir().expect("create a temp dir");
        let (child, port) = start_registry(config_dir.path(), &storage, None);
        let mut registry = SeededRegistry {
            child,
            port,
            digests: cached.clone().unwrap_or_default(),
            seeded_in: None,
            config: config_dir,
            storage,
        };
        let addr = registry.addr();
        wait_until_ready(&mut registry.child, addr, registry.config.path());
        if cached.is_none() {
            let started = Instant::now();
            registry.digests = registry.seed();
            registry.seeded_in = Some(started.elapsed());
            fs::write(
                &digests_file,
                serde_json::to_vec_pretty(&registry.digests).unwrap(),
            )
            .expect("write digests.json");
        }
        registry
    }

    fn config_dir(&self) -> &Path {
        self.config.path()
    }

    /// Starts a second registry process serving this one's storage over TLS (HTTP/2 offered by
    /// ALPN, as Distribution does), with a certificate for 127.0.0.1 from a throw-away CA.
    pub fn start_tls(&self) -> TlsRegistry {
        let config_dir = tempfile::tempdir().expect("create a temp dir");
        let tls = make_server_certificate(config_dir.path());
        let (mut child, port) = start_registry(config_dir.path(), &self.storage, Some(tls));
        wait_until_ready(
            &mut child,
            SocketAddr::from(([127, 0, 0, 1], port)),
            config_dir.path(),
        );
        TlsRegistry {
            child,
            port,
            _config: config_dir,
        }
    }

    /// Pushes every repository's `v1`, `v2` (linux/amd64 images) and `multi` (an index of
    /// linux/amd64 and linux/arm64/v8) from one OCI layout, several `skopeo copy` at once, each
    /// checked to have kept its digest.
    fn seed(&self) -> BTreeMap<String, String> {
        let scratch = tempfile::tempdir().expect("create a layout dir");
        let mut layout = OciLayout::create(&scratch.path().join("layout"));
        let mut refs = Vec::new();
        // Tag by tag, so that the pushes running at once go to different repositories.
        for tag in TAGS {
            for i in 0..REPOSITORIES {
                let reference = format!("{}:{tag}", repository(i));
                let name = format!("image{}", refs.len());
                let digest = match tag {
                    "multi" => layout.add_index(&name, &MULTI_PLATFORMS, &reference).digest,
                    _ => layout.add_image(&name, Platform::LINUX_AMD64, &reference),
                };
                refs.push((name, reference, digest));
            }
        }
        layout.save();
        let policy = scratch.path().join("policy.json");
        fs::write(
            &policy,
            r#"{"default":[{"type":"insecureAcceptAnything"}]}"#,
        )
        .unwrap();
        let next = AtomicUsize::new(0);
        thread::scope(|scope| {
            for _ in 0..PUSH_JOBS {
                scope.spawn(|| {
                    while let Some((name, reference, digest)) =
                        refs.get(next.fetch_add(1, Ordering::Relaxed))
                    {
                        let digest_file = scratch.path().join(format!("{name}.digest"));
                        let output = Command::new("skopeo")
                            .arg("--policy")
                            .arg(&policy)
                            .args(["copy", "--quiet", "--all", "--preserve-digests"])
                            .args(["--dest-tls-verify=false", "--dest-no-creds"])
                            .arg("--digestfile")
                            .arg(&digest_file)
                            .arg(format!("oci:{}:{name}", layout.path().display()))
                            .arg(format!("docker://127.0.0.1:{}/{reference}", self.port))
                            .output()
                            .expect("run skopeo copy");
                        assert!(
                            output.status.success(),
                            "skopeo copy to {reference} failed: {}\nregistry log:\n{}",
                            String::from_utf8_lossy(&output.stderr),
                            fs::read_to_string(self.config_dir().join("registry.log"))
                                .unwrap_or_default()
                        );
                        let pushed = fs::read_to_string(&digest_file).unwrap();
                        assert_eq!(pushed.trim(), digest, "digest of {reference} as pushed");
                    }
                });
            }
        });
        refs.into_iter()
            .map(|(_, reference, digest)| (reference, digest))
            .collect()
    }
}

impl Drop for SeededRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until the registry `child` listens on `addr`; panics with its log if it exits first.
fn wait_until_ready(child: &mut Child, addr: SocketAddr, config_dir: &Path) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "docker-registry exited ({status}): {}",
                fs::read_to_string(config_dir.join("registry.log")).unwrap_or_default()
            );
        }
        if TcpStream::connect(addr).is_ok() {
            return;
        }
        thread::sleep(Duration::from_millis(20));
    }
    panic!("docker-registry did not listen on {addr} within 20 s");
}

/// Writes `config.yml` for a registry on a free port and starts it, tied to this process with
/// PR_SET_PDEATHSIG (as the tests tie theirs) so that it dies with the benchmark; over TLS with `tls` (certificate, key).
fn start_registry(
    config_dir: &Path,
    storage: &Path,
    tls: Option<(PathBuf, PathBuf)>,
) -> (Child, u16) {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("find a free port")
        .port();
    let mut config = format!(
        "version: 0.1\n\
         log:\n  level: error\n  accesslog:\n    disabled: true\n\
         storage:\n  filesystem:\n    rootdirectory: {storage:?}\n\
         \x20 cache:\n    blobdescriptor: inmemory\n\
         \x20 maintenance:\n    uploadpurging:\n      enabled: false\n\
         http:\n  addr: 127.0.0.1:{port}\n  secret: kubectl-immutable-bench\n"
    );
    if let Some((certificate, key)) = tls {
        config += &format!("  tls:\n    certificate: {certificate:?}\n    key: {key:?}\n");
    }
    fs::write(config_dir.join("config.yml"), config).unwrap();
    let log = fs::File::create(config_dir.join("registry.log")).unwrap();
    let mut command = Command::new("/usr/bin/docker-registry");
    command
        .arg("serve")
        .arg(config_dir.join("config.yml"))
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log);
    let child = spawn_tied_to_test_binary(command)
        .expect("run /usr/bin/docker-registry (apt-get install docker-registry)");
    (child, port)
}

/// Where the benchmark keeps its registry cache: `$CARGO_TARGET_DIR` or `target/` of the crate.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
}
