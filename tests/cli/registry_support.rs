//! The registry test support against itself: what it pushes is what a registry serves, checked
//! with skopeo, curl and raw HTTP, so tests built on it can trust its digests.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Instant;

use serde_json::Value;

use crate::support::registry::{
    Client, HttpReply, Kind, MANIFEST_ACCEPT, OCI_INDEX, OCI_MANIFEST, Platform, TestRegistry,
    sha256_digest,
};

const PLATFORMS: [Platform; 3] = [
    Platform::LINUX_AMD64,
    Platform::LINUX_ARM64_V8,
    Platform::LINUX_ARM_V7,
];

/// `GET path` over a plain TCP connection, independent of curl and skopeo.
fn raw_get(host: &str, path: &str) -> HttpReply {
    let mut stream = TcpStream::connect(host).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: {MANIFEST_ACCEPT}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    HttpReply::parse(&response).unwrap()
}

/// `Docker-Content-Digest` of `GET /v2/<repo>/manifests/<reference>`, checking the body hashes
/// to it too.
fn served_digest(reply: &HttpReply) -> String {
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let digest = reply.header("Docker-Content-Digest").unwrap().to_owned();
    assert_eq!(
        sha256_digest(&reply.body),
        digest,
        "body hashes to its digest"
    );
    digest
}

fn manifest_path(repo: &str, reference: &str) -> String {
    format!("/v2/{repo}/manifests/{reference}")
}

/// Pushes an image and an index to `registry` and checks skopeo and `GET` (through `get`)
/// agree with the digests the push returned.
fn check_push_round_trip(registry: &TestRegistry, get: impl Fn(&str) -> HttpReply) {
    let image = registry.push_image("team/app", "v1", Platform::LINUX_AMD64);
    assert_eq!(registry.skopeo_inspect_digest("team/app:v1"), image);
    assert_eq!(served_digest(&get(&manifest_path("team/app", "v1"))), image);
    let manifest: Value =
        serde_json::from_slice(&registry.skopeo_inspect_raw("team/app:v1")).unwrap();
    assert_eq!(manifest["mediaType"], OCI_MANIFEST);

    let index = registry.push_index("team/multi", "2.0", &PLATFORMS);
    assert_eq!(
        registry.skopeo_inspect_digest("team/multi:2.0"),
        index.digest
    );
    assert_eq!(
        served_digest(&get(&manifest_path("team/multi", "2.0"))),
        index.digest
    );

    // The served index lists exactly the pushed platform images, each reachable by digest.
    let served: Value =
        serde_json::from_slice(&registry.skopeo_inspect_raw("team/multi:2.0")).unwrap();
    assert_eq!(served["mediaType"], OCI_INDEX);
    let listed: Vec<(String, String)> = served["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            let platform = &entry["platform"];
            let mut name = format!(
                "{}/{}",
                platform["os"].as_str().unwrap(),
                platform["architecture"].as_str().unwrap()
            );
            if let Some(variant) = platform["variant"].as_str() {
                name = format!("{name}/{variant}");
            }
            (name, entry["digest"].as_str().unwrap().to_owned())
        })
        .collect();
    let pushed: Vec<(String, String)> = index
        .platform_digests
        .iter()
        .map(|(platform, digest)| (platform.to_string(), digest.clone()))
        .collect();
    assert_eq!(listed, pushed);
    assert_eq!(
        pushed
            .iter()
            .map(|(name, _)| name.as_str())
            .collect::<Vec<_>>(),
        ["linux/amd64", "linux/arm64/v8", "linux/arm/v7"]
    );
    for (_, digest) in &pushed {
        assert_ne!(digest, &index.digest);
        assert_eq!(
            registry.skopeo_inspect_digest(&format!("team/multi@{digest}")),
            *digest
        );
        assert_eq!(
            served_digest(&get(&manifest_path("team/multi", digest))),
            *digest
        );
    }
    let mut distinct: Vec<&String> = pushed.iter().map(|(_, digest)| digest).collect();
    distinct.push(&image);
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 4, "every image has a digest of its own");
}

#[test]
fn plain_http_registry_serves_pushed_digests() {
    let registry = TestRegistry::start(Kind::Http);
    assert!(registry.host().starts_with("127.0.0.1:"));
    assert_eq!(registry.ca_cert(), None);
    assert_eq!(registry.credentials(), None);
    check_push_round_trip(&registry, |path| raw_get(&registry.host(), path));
    let missing = raw_get(&registry.host(), &manifest_path("team/app", "nope"));
    assert_eq!(missing.status, 404);
}

#[test]
fn tls_registry_verifies_only_against_its_ca() {
    let registry = TestRegistry::start(Kind::Tls);
    assert!(registry.base_url().starts_with("https://127.0.0.1:"));
    assert!(registry.ca_cert().unwrap().is_file());
    check_push_round_trip(&registry, |path| {
        registry.get(path, Client::Configured).unwrap()
    });

    let untrusted = registry.get("/v2/", Client::WithoutCaCert).unwrap_err();
    assert!(untrusted.contains("certificate"), "{untrusted}");
}

#[test]
fn auth_registry_refuses_anonymous_and_wrong_credentials() {
    let registry = TestRegistry::start(Kind::BasicAuth);
    let (user, _) = registry.credentials().unwrap();
    check_push_round_trip(&registry, |path| {
        registry.get(path, Client::Configured).unwrap()
    });

    let anonymous = registry
        .get(&manifest_path("team/app", "v1"), Client::WithoutCredentials)
        .unwrap();
    assert_eq!(anonymous.status, 401);
    assert!(
        anonymous
            .header("WWW-Authenticate")
            .unwrap()
            .starts_with("Basic ")
    );
    assert_eq!(anonymous.header("Docker-Content-Digest"), None);
    let raw = raw_get(&registry.host(), "/v2/");
    assert_eq!(raw.status, 401);

    let wrong = std::process::Command::new("curl")
        .args([
            "--silent",
            "--output",
            "/dev/null",
            "--write-out",
            "%{http_code}",
        ])
        .args(["--user", &format!("{user}:wrong-password")])
        .arg(format!("{}/v2/", registry.base_url()))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&wrong.stdout), "401");
}

#[test]
fn auth_tls_registry_needs_both_ca_and_credentials() {
    let registry = TestRegistry::start(Kind::BasicAuthTls);
    check_push_round_trip(&registry, |path| {
        registry.get(path, Client::Configured).unwrap()
    });
    assert_eq!(
        registry
            .get("/v2/", Client::WithoutCredentials)
            .unwrap()
            .status,
        401
    );
    assert!(registry.get("/v2/", Client::WithoutCaCert).is_err());
    let flags = registry.skopeo_dest_flags();
    assert!(
        flags
            .iter()
            .any(|flag| flag.starts_with("--dest-cert-dir=")),
        "{flags:?}"
    );
    assert!(
        flags.iter().any(|flag| flag.starts_with("--dest-creds=")),
        "{flags:?}"
    );
}

#[test]
fn tag_again_moves_the_tag_and_keeps_the_old_manifest() {
    let registry = TestRegistry::start(Kind::Http);
    let before = registry.push_image("team/moving", "stable", Platform::LINUX_AMD64);
    let after = registry.tag_again("team/moving", "stable", Platform::LINUX_AMD64, "rebuilt");
    assert_ne!(before, after);
    assert_eq!(registry.skopeo_inspect_digest("team/moving:stable"), after);
    let path = manifest_path("team/moving", "stable");
    assert_eq!(served_digest(&raw_get(&registry.host(), &path)), after);
    let old = manifest_path("team/moving", &before);
    assert_eq!(served_digest(&raw_get(&registry.host(), &old)), before);
    // Same content again gives the same digest: images are reproducible.
    let again = registry.tag_again("team/moving", "stable", Platform::LINUX_AMD64, "rebuilt");
    assert_eq!(again, after);
}

#[test]
fn push_many_pushes_a_distinct_image_per_reference() {
    let registry = TestRegistry::start(Kind::Http);
    let refs: Vec<(String, String)> = (0..100)
        .map(|i| (format!("bulk/app-{}", i % 40), format!("v{i}")))
        .collect();
    for (label, platforms) in [
        ("images", &PLATFORMS[..1]),
        ("3-platform indexes", &PLATFORMS[..]),
    ] {
        let started = Instant::now();
        let digests = registry.push_many(&refs, platforms);
        eprintln!("push_many: 100 {label} in {:?}", started.elapsed());
        let mut distinct = digests.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), refs.len());
        for ((repo, tag), digest) in refs.iter().zip(&digests) {
            let reply = raw_get(&registry.host(), &manifest_path(repo, tag));
            assert_eq!(&served_digest(&reply), digest, "{repo}:{tag}");
        }
        assert_eq!(
            registry.skopeo_inspect_digest(&format!("{}:{}", refs[7].0, refs[7].1)),
            digests[7]
        );
    }
}
