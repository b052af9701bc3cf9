//! A real CNCF Distribution registry (Debian's `docker-registry`) on a loopback port, in plain
//! HTTP, TLS or Basic-auth flavours, and images built as OCI image layouts on disk and pushed to
//! it with `skopeo copy`.
//!
//! Every image carries its repository and tag in its config, so each pushed reference has a
//! digest of its own and a test can tell which one the tool resolved.

use std::fmt;
use std::fs;
use std::io;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{OnceLock, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tempfile::TempDir;

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar";
/// cosign's media type for a simple-signing payload layer, and its signature annotation.
const SIMPLE_SIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
const COSIGN_SIGNATURE: &str = "dev.cosignproject.cosign/signature";
/// A Sigstore bundle's media type (and artifact type), and OCI's empty config.
const SIGSTORE_BUNDLE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
const OCI_EMPTY: &str = "application/vnd.oci.empty.v1+json";

/// `Accept` header for manifest requests: Distribution answers 404 for an OCI manifest or index
/// unless the client says it understands them.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.manifest.v1+json, \
     application/vnd.oci.image.index.v1+json, \
     application/vnd.docker.distribution.manifest.v2+json, \
     application/vnd.docker.distribution.manifest.list.v2+json";

const USERNAME: &str = "immutable";
const PASSWORD: &str = "pin-every-image";

/// How many `skopeo copy` processes [`TestRegistry::push_many`] runs at once: each push mostly
/// waits on process start-up and the registry, so this beats the core count.
const PUSH_JOBS: usize = 8;

/// Which flavour of registry to start.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Http,
    Tls,
    BasicAuth,
    BasicAuthTls,
}

impl Kind {
    fn tls(self) -> bool {
        matches!(self, Kind::Tls | Kind::BasicAuthTls)
    }

    fn auth(self) -> bool {
        matches!(self, Kind::BasicAuth | Kind::BasicAuthTls)
    }
}

/// An image platform as written in OCI configs and indexes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Platform {
    os: &'static str,
    architecture: &'static str,
    variant: Option<&'static str>,
}

impl Platform {
    pub const LINUX_AMD64: Platform = Platform {
        os: "linux",
        architecture: "amd64",
        variant: None,
    };
    pub const LINUX_ARM64_V8: Platform = Platform {
        os: "linux",
        architecture: "arm64",
        variant: Some("v8"),
    };
    pub const LINUX_ARM_V7: Platform = Platform {
        os: "linux",
        architecture: "arm",
        variant: Some("v7"),
    };

    fn json(self) -> Value {
        let mut platform = json!({ "os": self.os, "architecture": self.architecture });
        if let Some(variant) = self.variant {
            platform["variant"] = json!(variant);
        }
        platform
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        match self.variant {
            Some(variant) => write!(f, "/{variant}"),
            None => Ok(()),
        }
    }
}

/// Digests of an image index and of its per-platform manifests, in the order given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushedIndex {
    pub digest: String,
    pub platform_digests: Vec<(Platform, String)>,
}

/// `sha256:<hex>` of `bytes`, the form registries use.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

/// An OCI image layout directory (`oci-layout`, `index.json`, `blobs/sha256/`) that images and
/// indexes are added to under reference names, for `skopeo copy oci:<path>:<name>`.
pub struct OciLayout {
    root: PathBuf,
    refs: Vec<Value>,
}

impl OciLayout {
    pub fn create(root: &Path) -> OciLayout {
        fs::create_dir_all(root.join("blobs/sha256")).expect("create OCI layout blobs dir");
        fs::write(root.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#)
            .expect("write oci-layout");
        let layout = OciLayout {
            root: root.to_path_buf(),
            refs: Vec::new(),
        };
        layout.save();
        layout
    }

    pub fn path(&self) -> &Path {
        &self.root
    }

    /// Adds a single-platform image manifest named `name`; `unique` goes into its config so that
    /// images differing only in it get different digests. Returns the manifest digest.
    pub fn add_image(&mut self, name: &str, platform: Platform, unique: &str) -> String {
        let manifest = self.write_image(platform, unique);
        let digest = manifest["digest"].as_str().unwrap().to_owned();
        self.name(name, manifest);
        digest
    }

    /// Adds an OCI image index named `name` with one image per platform.
    pub fn add_index(&mut self, name: &str, platforms: &[Platform], unique: &str) -> PushedIndex {
        let mut manifests = Vec::new();
        let mut platform_digests = Vec::new();
        for &platform in platforms {
            let mut descriptor = self.write_image(platform, unique);
            platform_digests.push((platform, descriptor["digest"].as_str().unwrap().to_owned()));
            descriptor["platform"] = platform.json();
            manifests.push(descriptor);
        }
        let index = json!({ "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests });
        let descriptor = self.write_blob(OCI_INDEX, &serde_json::to_vec(&index).unwrap());
        let digest = descriptor["digest"].as_str().unwrap().to_owned();
        self.name(name, descriptor);
        PushedIndex {
            digest,
            platform_digests,
        }
    }

    /// Adds a cosign signature manifest named `name`, as cosign's classic layout stores one
    /// under `sha256-<hex>.sig`: one layer per `(payload, signature)`, of cosign's
    /// simple-signing media type, with the base64 signature as its annotation. Returns the
    /// manifest's digest.
    pub fn add_cosign_signatures(
        &mut self,
        name: &str,
        signatures: &[(Vec<u8>, String)],
    ) -> String {
        let layers: Vec<Value> = signatures
            .iter()
            .map(|(payload, signature)| {
                let mut layer = self.write_blob(SIMPLE_SIGNING, payload);
                layer["annotations"] = json!({ COSIGN_SIGNATURE: signature });
                layer
            })
            .collect();
        let diff_ids: Vec<&Value> = layers.iter().map(|layer| &layer["digest"]).collect();
        let config = json!({
            "architecture": "", "os": "", "config": {},
            "created": "0001-01-01T00:00:00Z",
            "rootfs": { "type": "layers", "diff_ids": diff_ids },
        });
        let config = self.write_blob(OCI_CONFIG, &serde_json::to_vec(&config).unwrap());
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": config,
            "layers": layers,
        });
        let descriptor = self.write_blob(OCI_MANIFEST, &serde_json::to_vec(&manifest).unwrap());
        let digest = descriptor["digest"].as_str().unwrap().to_owned();
        self.name(name, descriptor);
        digest
    }

    /// Adds, named `name`, the index the OCI referrers tag scheme keeps under `sha256-<hex>`:
    /// one referrer manifest per bundle (artifact type Sigstore bundle v0.3, the bundle its one
    /// layer, `subject` the signed manifest's descriptor), plus one attestation referrer of
    /// another predicate type, each named `{name}-referrer-N` too. Returns the index's digest
    /// and the referrers' names and digests.
    pub fn add_referrers(
        &mut self,
        name: &str,
        subject: &Value,
        bundles: &[Vec<u8>],
    ) -> (String, Vec<(String, String)>) {
        let empty = self.write_blob(OCI_EMPTY, b"{}");
        let referrer = |layout: &Self, bundle: &[u8], predicate: &str| {
            let layer = layout.write_blob(SIGSTORE_BUNDLE, bundle);
            let annotations = json!({ "dev.sigstore.bundle.predicateType": predicate });
            let manifest = json!({
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "artifactType": SIGSTORE_BUNDLE,
                "config": empty,
                "layers": [layer],
                "subject": subject,
                "annotations": annotations,
            });
            let mut descriptor =
                layout.write_blob(OCI_MANIFEST, &serde_json::to_vec(&manifest).unwrap());
            descriptor["artifactType"] = json!(SIGSTORE_BUNDLE);
            descriptor["annotations"] = annotations;
            descriptor
        };
        let mut manifests: Vec<Value> = bundles
            .iter()
            .map(|bundle| referrer(self, bundle, "https://sigstore.dev/cosign/sign/v1"))
            .collect();
        manifests.push(referrer(
            self,
            b"not fetched: an attestation",
            "https://slsa.dev/provenance/v1",
        ));
        let mut referrers = Vec::new();
        for (i, descriptor) in manifests.iter().enumerate() {
            let referrer = format!("{name}-referrer-{i}");
            let digest = descriptor["digest"].as_str().unwrap().to_owned();
            self.name(&referrer, descriptor.clone());
            referrers.push((referrer, digest));
        }
        let index = json!({ "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests });
        let descriptor = self.write_blob(OCI_INDEX, &serde_json::to_vec(&index).unwrap());
        let digest = descriptor["digest"].as_str().unwrap().to_owned();
        self.name(name, descriptor);
        (digest, referrers)
    }

    /// Writes `index.json`; call after adding, before reading the layout.
    pub fn save(&self) {
        let index = json!({ "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": self.refs });
        fs::write(
            self.root.join("index.json"),
            serde_json::to_vec(&index).unwrap(),
        )
        .expect("write index.json");
    }

    fn name(&mut self, name: &str, mut descriptor: Value) {
        descriptor["annotations"] = json!({ "org.opencontainers.image.ref.name": name });
        self.refs.push(descriptor);
    }

    /// Writes layer, config and manifest blobs; returns the manifest's descriptor.
    fn write_image(&self, platform: Platform, unique: &str) -> Value {
        let layer = self.write_blob(OCI_LAYER, &layer_tar(platform));
        let mut config = json!({
            "created": "1970-01-01T00:00:00Z",
            "architecture": platform.architecture,
            "os": platform.os,
            "config": { "Labels": { "org.opencontainers.image.description": unique } },
            // Layers are uncompressed, so a layer's diff ID is its digest.
            "rootfs": { "type": "layers", "diff_ids": [layer["digest"]] },
        });
        if let Some(variant) = platform.variant {
            config["variant"] = json!(variant);
        }
        let config = self.write_blob(OCI_CONFIG, &serde_json::to_vec(&config).unwrap());
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": config,
            "layers": [layer],
        });
        self.write_blob(OCI_MANIFEST, &serde_json::to_vec(&manifest).unwrap())
    }

    fn write_blob(&self, media_type: &str, bytes: &[u8]) -> Value {
        let digest = sha256_digest(bytes);
        let path = self
            .root
            .join("blobs/sha256")
            .join(&digest["sha256:".len()..]);
        if !path.exists() {
            fs::write(&path, bytes).expect("write OCI blob");
        }
        json!({ "mediaType": media_type, "digest": digest, "size": bytes.len() })
    }
}

/// A one-file tar layer, the same for every image of a platform (so pushes share it), built
/// with fixed metadata so its digest never changes.
fn layer_tar(platform: Platform) -> Vec<u8> {
    let content = format!("kubectl-immutable test image for {platform}\n");
    let mut header = tar::Header::new_ustar();
    header.set_size(content.len() as u64);
    header.set_mode(0o644);
    header.set_mtime(0);
    header.set_uid(0);
    header.set_gid(0);
    header.set_entry_type(tar::EntryType::Regular);
    let mut builder = tar::Builder::new(Vec::new());
    builder
        .append_data(
            &mut header,
            "etc/kubectl-immutable-test",
            content.as_bytes(),
        )
        .expect("append to tar layer");
    builder.into_inner().expect("finish tar layer")
}

/// Which of the registry's client settings a [`TestRegistry::get`] request uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Client {
    /// The registry's credentials (if any) and CA certificate (if TLS).
    Configured,
    /// No credentials.
    WithoutCredentials,
    /// The system's CA certificates instead of the registry's CA.
    WithoutCaCert,
}

/// An HTTP response: status, headers and body.
#[derive(Clone, Debug)]
pub struct HttpReply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpReply {
    /// Parses a raw HTTP/1.x response (status line, headers, blank line, body).
    pub fn parse(raw: &[u8]) -> Result<HttpReply, String> {
        let split = raw
            .windows(4)
            .position(|window| window == b"\r\n\r\n")
            .ok_or_else(|| format!("no end of headers in {:?}", String::from_utf8_lossy(raw)))?;
        let head = String::from_utf8_lossy(&raw[..split]);
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| format!("bad status line {status_line:?}"))?;
        let headers = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
            .collect();
        Ok(HttpReply {
            status,
            headers,
            body: raw[split + 4..].to_vec(),
        })
    }

    /// The first header called `name`, ignoring case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// A running `docker-registry serve`, killed and its storage deleted on drop.
pub struct TestRegistry {
    kind: Kind,
    port: u16,
    dir: TempDir,
    child: Child,
}

impl TestRegistry {
    /// Starts a registry of `kind` on a free loopback port and waits until `/v2/` answers.
    pub fn start(kind: Kind) -> TestRegistry {
        // The port is free when picked but could be taken before the registry binds it.
        let mut failures = Vec::new();
        for _ in 0..3 {
            match TestRegistry::try_start(kind) {
                Ok(registry) => return registry,
                Err(failure) => failures.push(failure),
            }
        }
        panic!("{kind:?} registry did not start:\n{}", failures.join("\n"));
    }

    fn try_start(kind: Kind) -> Result<TestRegistry, String> {
        // tmpfs where there is one: on this disk, deleting the few thousand files a bulk push
        // leaves took seconds per registry.
        let shm = Path::new("/dev/shm");
        let parent = if shm.is_dir() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let dir = tempfile::Builder::new()
            .prefix("test-registry-")
            .tempdir_in(parent)
            .expect("create registry temp dir");
        let root = dir.path();
        fs::create_dir(root.join("storage")).expect("create storage dir");
        // skopeo refuses to copy without a trust policy; don't depend on the system's.
        fs::write(
            root.join("policy.json"),
            r#"{"default":[{"type":"insecureAcceptAnything"}]}"#,
        )
        .expect("write policy.json");
        // The storage section as Debian's /etc/docker/registry/config.yml has it, with its
        // in-memory blob descriptor cache.
        let mut config = format!(
            "version: 0.1\n\
             log:\n  level: error\n  accesslog:\n    disabled: true\n\
             storage:\n  cache:\n    blobdescriptor: inmemory\n  filesystem:\n    rootdirectory: {:?}\n  delete:\n    enabled: true\n",
            root.join("storage")
        );
        if kind.auth() {
            let htpasswd = crate::require("htpasswd", "Debian package apache2-utils");
            let entry = run(Command::new(htpasswd).args(["-Bbn", USERNAME, PASSWORD]));
            fs::write(root.join("htpasswd"), entry.stdout).expect("write htpasswd");
            config += &format!(
                "auth:\n  htpasswd:\n    realm: kubectl-immutable-test\n    path: {:?}\n",
                root.join("htpasswd")
            );
        }
        let port = free_port();
        config += &format!("http:\n  addr: 127.0.0.1:{port}\n  secret: kubectl-immutable-test\n");
        if kind.tls() {
            make_certificates(root);
            config += &format!(
                "  tls:\n    certificate: {:?}\n    key: {:?}\n",
                root.join("tls/server.crt"),
                root.join("tls/server.key")
            );
        }
        fs::write(root.join("config.yml"), config).expect("write config.yml");

        let log = fs::File::create(root.join("registry.log")).expect("create registry.log");
        let mut command = Command::new(crate::require(
            "docker-registry",
            "Debian package docker-registry",
        ));
        command
            .arg("serve")
            .arg(root.join("config.yml"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        let child = spawn_tied_to_test_binary(command)
            .map_err(|error| format!("cannot run docker-registry: {error}"))?;
        let mut registry = TestRegistry {
            kind,
            port,
            dir,
            child,
        };
        registry.wait_until_ready()?;
        Ok(registry)
    }

    fn wait_until_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut last = String::new();
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Err(format!("docker-registry exited ({status}): {}", self.log()));
            }
            match self.get("/v2/", Client::Configured) {
                Ok(reply) if reply.status == 200 => return Ok(()),
                // An answer that is not 200 (such as 401) will not change by waiting.
                Ok(reply) => return Err(format!("GET /v2/ answered {}", reply.status)),
                Err(error) => last = error,
            }
            thread::sleep(Duration::from_millis(25));
        }
        Err(format!("not ready after 20 s ({last}): {}", self.log()))
    }

    fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }

    /// `127.0.0.1:PORT`, the registry part of image references.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        let scheme = if self.kind.tls() { "https" } else { "http" };
        format!("{scheme}://{}", self.host())
    }

    /// The CA certificate (PEM) that signed the server certificate, for TLS registries.
    pub fn ca_cert(&self) -> Option<PathBuf> {
        self.kind
            .tls()
            .then(|| self.dir.path().join("certs/ca.crt"))
    }

    /// A directory holding only `ca.crt`, as skopeo's `--cert-dir` wants it.
    fn cert_dir(&self) -> Option<PathBuf> {
        self.kind.tls().then(|| self.dir.path().join("certs"))
    }

    /// `(username, password)` for Basic-auth registries.
    pub fn credentials(&self) -> Option<(&'static str, &'static str)> {
        self.kind.auth().then_some((USERNAME, PASSWORD))
    }

    /// Flags for `skopeo copy` pushing to this registry.
    pub fn skopeo_dest_flags(&self) -> Vec<String> {
        self.skopeo_flags_with("--dest-")
    }

    /// Flags for `skopeo inspect` (and other one-image skopeo commands) against this registry.
    fn skopeo_flags(&self) -> Vec<String> {
        self.skopeo_flags_with("--")
    }

    fn skopeo_flags_with(&self, prefix: &str) -> Vec<String> {
        let mut flags = vec![match self.cert_dir() {
            Some(dir) => format!("{prefix}cert-dir={}", dir.display()),
            None => format!("{prefix}tls-verify=false"),
        }];
        // Explicit either way, so credentials in the user's auth files never leak in.
        flags.push(match self.credentials() {
            Some((user, password)) => format!("{prefix}creds={user}:{password}"),
            None => format!("{prefix}no-creds"),
        });
        flags
    }

    /// `skopeo` with this registry's trust policy.
    fn skopeo(&self) -> Command {
        let mut command = Command::new(crate::require("skopeo", "Debian package skopeo"));
        command
            .arg("--policy")
            .arg(self.dir.path().join("policy.json"));
        command
    }

    /// `GET path` with curl; `Err` carries curl's error when there is no HTTP answer (such as a
    /// certificate that does not verify).
    pub fn get(&self, path: &str, client: Client) -> Result<HttpReply, String> {
        let mut curl = Command::new("curl");
        curl.args(["--silent", "--show-error", "--include", "--max-time", "10"])
            .args(["--header", &format!("Accept: {MANIFEST_ACCEPT}")]);
        if let (Some(ca), false) = (self.ca_cert(), client == Client::WithoutCaCert) {
            curl.arg("--cacert").arg(ca);
        }
        if let (Some((user, password)), false) =
            (self.credentials(), client == Client::WithoutCredentials)
        {
            curl.args(["--user", &format!("{user}:{password}")]);
        }
        let output = curl
            .arg(format!("{}{path}", self.base_url()))
            .output()
            .expect("run curl");
        if !output.status.success() {
            return Err(format!(
                "curl {path}: {}: {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        HttpReply::parse(&output.stdout)
    }

    /// Pushes a linux single-platform image as `repo:tag`; returns its manifest digest.
    pub fn push_image(&self, repo: &str, tag: &str, platform: Platform) -> String {
        self.push_one(repo, tag, |layout| {
            layout.add_image("image", platform, &format!("{repo}:{tag}"))
        })
    }

    /// Pushes an OCI index with one image per platform as `repo:tag`.
    pub fn push_index(&self, repo: &str, tag: &str, platforms: &[Platform]) -> PushedIndex {
        let mut pushed = None;
        self.push_one(repo, tag, |layout| {
            let index = layout.add_index("image", platforms, &format!("{repo}:{tag}"));
            let digest = index.digest.clone();
            pushed = Some(index);
            digest
        });
        pushed.unwrap()
    }

    /// Moves `repo:tag` to a new image whose config holds `content`, as when a tag is re-pushed
    /// upstream. Returns the new digest; the old manifest stays reachable by digest.
    pub fn tag_again(&self, repo: &str, tag: &str, platform: Platform, content: &str) -> String {
        self.push_one(repo, tag, |layout| {
            layout.add_image("image", platform, &format!("{repo}:{tag} {content}"))
        })
    }

    /// Pushes cosign signatures of `digest` in `repo` under its `sha256-<hex>.sig` tag (replacing
    /// any there), each `(payload, base64 signature)` a layer. Returns the signature manifest's
    /// digest.
    pub fn push_signatures(
        &self,
        repo: &str,
        digest: &str,
        signatures: &[(Vec<u8>, String)],
    ) -> String {
        let tag = format!("{}.sig", digest.replacen(':', "-", 1));
        self.push_one(repo, &tag, |layout| {
            layout.add_cosign_signatures("image", signatures)
        })
    }

    /// Pushes Sigstore bundles of `digest` in `repo` as the OCI referrers tag scheme lists
    /// them: an index under `sha256-<hex>` (replacing any there) of one referrer per bundle.
    pub fn push_bundles(&self, repo: &str, digest: &str, bundles: &[Vec<u8>]) -> String {
        let raw = self.skopeo_inspect_raw(&format!("{repo}@{digest}"));
        let media_type = serde_json::from_slice::<Value>(&raw).unwrap()["mediaType"].clone();
        let subject = json!({ "mediaType": media_type, "digest": digest, "size": raw.len() });
        let tag = digest.replacen(':', "-", 1);
        let scratch = tempfile::tempdir_in(self.dir.path()).expect("create layout dir");
        let mut layout = OciLayout::create(&scratch.path().join("layout"));
        let (index, referrers) = layout.add_referrers("image", &subject, bundles);
        layout.save();
        // The referrers with skopeo, each under a tag of its own; the index, whose entries are
        // artifacts that skopeo will not copy an index of without rewriting it, by a plain
        // `PUT` of its bytes, once its entries exist.
        for (name, referrer) in &referrers {
            let tag = format!("{tag}-{name}");
            self.copy(&layout, name, referrer, repo, &tag, scratch.path());
        }
        let blob = layout
            .path()
            .join("blobs/sha256")
            .join(&index["sha256:".len()..]);
        let reply = self
            .put_manifest(&format!("/v2/{repo}/manifests/{tag}"), OCI_INDEX, &blob)
            .unwrap();
        assert_eq!(
            reply.status,
            201,
            "{}",
            String::from_utf8_lossy(&reply.body)
        );
        assert_eq!(reply.header("Docker-Content-Digest"), Some(index.as_str()));
        index
    }

    /// `PUT path` of the manifest in `file` with curl, with the registry's credentials and CA.
    fn put_manifest(&self, path: &str, media_type: &str, file: &Path) -> Result<HttpReply, String> {
        let mut curl = Command::new("curl");
        curl.args(["--silent", "--show-error", "--include", "--max-time", "10"])
            .args([
                "--request",
                "PUT",
                "--header",
                &format!("Content-Type: {media_type}"),
            ])
            .arg("--data-binary")
            .arg(format!("@{}", file.display()));
        if let Some(ca) = self.ca_cert() {
            curl.arg("--cacert").arg(ca);
        }
        if let Some((user, password)) = self.credentials() {
            curl.args(["--user", &format!("{user}:{password}")]);
        }
        let output = curl
            .arg(format!("{}{path}", self.base_url()))
            .output()
            .expect("run curl");
        if !output.status.success() {
            return Err(String::from_utf8_lossy(&output.stderr).into_owned());
        }
        HttpReply::parse(&output.stdout)
    }

    fn push_one(
        &self,
        repo: &str,
        tag: &str,
        add: impl FnOnce(&mut OciLayout) -> String,
    ) -> String {
        let scratch = tempfile::tempdir_in(self.dir.path()).expect("create layout dir");
        let mut layout = OciLayout::create(&scratch.path().join("layout"));
        let digest = add(&mut layout);
        layout.save();
        self.copy(&layout, "image", &digest, repo, tag, scratch.path());
        digest
    }

    /// Pushes one image per `(repo, tag)`, each with its own digest: a single-platform image if
    /// `platforms` has one entry, else an index. All images share one layout and several
    /// `skopeo copy` run at once. Returns the digests in the order of `refs`.
    pub fn push_many<R: AsRef<str> + Sync, T: AsRef<str> + Sync>(
        &self,
        refs: &[(R, T)],
        platforms: &[Platform],
    ) -> Vec<String> {
        let scratch = tempfile::tempdir_in(self.dir.path()).expect("create layout dir");
        let mut layout = OciLayout::create(&scratch.path().join("layout"));
        let digests: Vec<String> = refs
            .iter()
            .enumerate()
            .map(|(i, (repo, tag))| {
                let (name, unique) = (
                    format!("image{i}"),
                    format!("{}:{}", repo.as_ref(), tag.as_ref()),
                );
                match platforms {
                    [platform] => layout.add_image(&name, *platform, &unique),
                    _ => layout.add_index(&name, platforms, &unique).digest,
                }
            })
            .collect();
        layout.save();
        let next = AtomicUsize::new(0);
        thread::scope(|scope| {
            for _ in 0..PUSH_JOBS.min(refs.len()) {
                scope.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some((repo, tag)) = refs.get(i) else {
                            break;
                        };
                        let (name, digest_dir) = (format!("image{i}"), scratch.path());
                        self.copy(
                            &layout,
                            &name,
                            &digests[i],
                            repo.as_ref(),
                            tag.as_ref(),
                            digest_dir,
                        );
                    }
                });
            }
        });
        digests
    }

    /// `skopeo copy` of layout entry `name` to `repo:tag`, checking that the registry got the
    /// manifest byte for byte (`expected` digest).
    fn copy(
        &self,
        layout: &OciLayout,
        name: &str,
        expected: &str,
        repo: &str,
        tag: &str,
        scratch: &Path,
    ) {
        let digest_file = scratch.join(format!("{name}.digest"));
        let destination = format!("docker://{}/{repo}:{tag}", self.host());
        run(self
            .skopeo()
            // --all: an index is copied with all its images, not only the host's platform.
            // --preserve-digests: fail rather than re-encode a manifest into another digest.
            .args(["copy", "--quiet", "--all", "--preserve-digests"])
            .arg("--digestfile")
            .arg(&digest_file)
            .args(self.skopeo_dest_flags())
            .arg(format!("oci:{}:{name}", layout.path().display()))
            .arg(&destination));
        let pushed = fs::read_to_string(&digest_file).expect("read skopeo --digestfile");
        assert_eq!(pushed.trim(), expected, "digest of {destination} as pushed");
    }

    /// The raw manifest (or index) at `reference` (`repo:tag` or `repo@digest` on this
    /// registry), fetched by `skopeo inspect --raw`.
    pub fn skopeo_inspect_raw(&self, reference: &str) -> Vec<u8> {
        run(self
            .skopeo()
            .args(["inspect", "--raw"])
            .args(self.skopeo_flags())
            .arg(format!("docker://{}/{reference}", self.host())))
        .stdout
    }

    /// Digest of what `reference` points to, hashed from `skopeo inspect --raw`: for an index
    /// that is the index's own digest, while `{{.Digest}}` would be ambiguous about it.
    pub fn skopeo_inspect_digest(&self, reference: &str) -> String {
        sha256_digest(&self.skopeo_inspect_raw(reference))
    }
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `command`, panicking with its stderr unless it succeeds.
fn run(command: &mut Command) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("cannot run {command:?}: {error}"));
    assert!(
        output.status.success(),
        "{command:?} failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.local_addr().unwrap().port()
}

/// The CA and server certificate a [`Kind::Tls`] registry gets, made under `root` for a registry
/// started elsewhere (the benchmark's, over its seeded storage): returns the server certificate
/// and key, for `http.tls` in the registry's config. The CA is `root/certs/ca.crt`.
pub fn make_server_certificate(root: &Path) -> (PathBuf, PathBuf) {
    make_certificates(root);
    (root.join("tls/server.crt"), root.join("tls/server.key"))
}

/// A throw-away CA (`certs/ca.crt`) and a server certificate it signs for 127.0.0.1 and
/// localhost (`tls/server.crt`, `tls/server.key`), with the extensions strict verifiers (Go,
/// rustls/webpki) insist on: CA:TRUE on the CA, CA:FALSE + serverAuth + SANs on the server.
fn make_certificates(root: &Path) {
    let (certs, tls) = (root.join("certs"), root.join("tls"));
    fs::create_dir(&certs).unwrap();
    fs::create_dir(&tls).unwrap();
    let ec_key = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    run(Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-days",
            "3650",
            "-subj",
            "/CN=kubectl-immutable test CA",
        ])
        .args(ec_key)
        .args(["-addext", "basicConstraints=critical,CA:TRUE"])
        .args(["-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        .arg("-keyout")
        .arg(tls.join("ca.key"))
        .arg("-out")
        .arg(certs.join("ca.crt")));
    run(Command::new("openssl")
        .args(["req", "-new", "-subj", "/CN=127.0.0.1"])
        .args(ec_key)
        .arg("-keyout")
        .arg(tls.join("server.key"))
        .arg("-out")
        .arg(tls.join("server.csr")));
    fs::write(
        tls.join("server.ext"),
        "basicConstraints=critical,CA:FALSE\n\
         keyUsage=critical,digitalSignature\n\
         extendedKeyUsage=serverAuth\n\
         subjectAltName=IP:127.0.0.1,DNS:localhost\n\
         subjectKeyIdentifier=hash\n\
         authorityKeyIdentifier=keyid\n",
    )
    .unwrap();
    run(Command::new("openssl")
        .args(["x509", "-req", "-days", "3650", "-set_serial", "2"])
        .arg("-in")
        .arg(tls.join("server.csr"))
        .arg("-CA")
        .arg(certs.join("ca.crt"))
        .arg("-CAkey")
        .arg(tls.join("ca.key"))
        .arg("-extfile")
        .arg(tls.join("server.ext"))
        .arg("-out")
        .arg(tls.join("server.crt")));
}

type SpawnRequest = (Command, mpsc::Sender<io::Result<Child>>);

/// Spawns `command` so that it is killed when the test binary dies, even by SIGKILL or a panic
/// that skips `Drop`: PR_SET_PDEATHSIG. That signal fires when the spawning *thread* exits, and
/// libtest ends a test's thread with the test, so the spawn happens on one thread that lives as
/// long as the process.
pub fn spawn_tied_to_test_binary(mut command: Command) -> io::Result<Child> {
    static SPAWNER: OnceLock<mpsc::Sender<SpawnRequest>> = OnceLock::new();
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: the closure runs between fork and exec and calls only async-signal-safe functions.
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(io::Error::last_os_error());
            }
            // The test binary may have died before prctl took effect.
            if libc::getppid() != parent {
                libc::_exit(1);
            }
            Ok(())
        });
    }
    let spawner = SPAWNER.get_or_init(|| {
        let (sender, requests) = mpsc::channel::<SpawnRequest>();
        thread::Builder::new()
            .name("test-process-spawner".into())
            .spawn(move || {
                for (mut command, reply) in requests {
                    let _ = reply.send(command.spawn());
                }
            })
            .expect("start spawner thread");
        sender
    });
    let (reply, child) = mpsc::channel();
    spawner
        .send((command, reply))
        .expect("spawner thread is alive");
    child.recv().expect("spawner thread replied")
}
