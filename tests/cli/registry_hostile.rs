//! A hostile registry (issue 27, items 1 and 4) through the built binary: the fault proxy in
//! front of the real registry sends digests out of the grammar, bodies without end, pages that
//! are not manifests and signature manifests of thousands of layers. Each is refused: exit 2,
//! one line naming the file, the image and the host, nothing on stdout, no file changed.

use std::fs;
use std::path::Path;

use crate::common::{assert_no_panic, snapshot};
use crate::support::faults::{Fault, FaultProxy};
use crate::support::plugin::{Plugin, Run};
use crate::support::registry::{Kind, Platform, TestRegistry};
use crate::support::signing::{SigningKey, simple_signing_payload};

const HEX: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// The file formats an image is written in: a string the digest could end early in each.
fn sources(image: &str) -> [(&'static str, String); 3] {
    [
        (
            "pod.json",
            format!(
                r#"{{"kind":"Pod","spec":{{"containers":[{{"name":"a","image":"{image}"}}]}}}}"#
            ),
        ),
        (
            "flow.yaml",
            format!("kind: Pod\nspec: {{containers: [{{name: a, image: \"{image}\"}}]}}\n"),
        ),
        (
            "block.yaml",
            format!("kind: Pod\nspec:\n  containers:\n  - name: a\n    image: {image}\n"),
        ),
    ]
}

/// `pin -f file` with plain HTTP allowed for `proxy`, `extra` after.
fn pin(proxy: &FaultProxy, file: &str, extra: &[&str]) -> Run {
    let host = proxy.host();
    let mut args = vec!["pin", "--insecure-registry", &host, "-f", file];
    args.extend(extra);
    Plugin::new(args).run()
}

/// Exit 2, nothing on stdout, no file of `dir` changed, and one error line (no control
/// character in it) naming `file`, `image` and `host`; that line.
fn assert_refused(
    run: Run,
    dir: &Path,
    before: &[(std::path::PathBuf, Vec<u8>, std::time::SystemTime)],
    file: &str,
    image: &str,
    host: &str,
) -> String {
    assert_no_panic(&run);
    let run = run.expect_code(2);
    assert_eq!(run.stdout, "", "nothing on stdout");
    assert_eq!(snapshot(dir), before, "no file written");
    let line = run
        .stderr
        .strip_suffix('\n')
        .unwrap_or_else(|| panic!("one line: {:?}", run.stderr));
    assert!(!line.contains('\n'), "one line: {line:?}");
    assert!(
        !line.chars().any(char::is_control),
        "no control character: {line:?}"
    );
    assert!(
        line.starts_with(&format!("error: {file}:")) && line.contains(image) && line.contains(host),
        "names the file, the image and the host: {line}"
    );
    line.to_string()
}

#[test]
fn a_digest_header_out_of_the_grammar_is_never_written() {
    let registry = TestRegistry::start(Kind::Http);
    let headers = [
        // Closes the JSON or flow string and adds a privileged container.
        format!(r#"sha256:{HEX}","securityContext":{{"privileged":true}},"x":"y"#),
        "sha256:1234".to_string(),
        format!("md5:{}", &HEX[..32]),
        format!("sha256:{}", HEX.to_uppercase()),
        format!("SHA256:{HEX}"),
        format!("sha256:{HEX}\0"),
        "sha256:12\r\n34".to_string(),
        format!("sha256:{HEX}\r"),
    ];
    let repositories: Vec<String> = (0..headers.len()).map(|i| format!("app/h{i}")).collect();
    let refs: Vec<(&str, &str)> = repositories.iter().map(|r| (r.as_str(), "v1")).collect();
    registry.push_many(&refs, &[Platform::LINUX_AMD64]);
    let proxy = FaultProxy::start(&registry.host());
    let host = proxy.host();
    for (repository, header) in repositories.iter().zip(&headers) {
        proxy.always(
            None,
            &format!("/v2/{repository}/manifests/"),
            Fault::DigestHeader(header.clone()),
        );
    }
    let dir = tempfile::tempdir().unwrap();
    for (repository, header) in repositories.iter().zip(&headers) {
        let image = format!("{host}/{repository}:v1");
        for (name, text) in sources(&image) {
            let file = dir.path().join(name);
            fs::write(&file, &text).unwrap();
            let file = file.display().to_string();
            let before = snapshot(dir.path());
            eprintln!("{name} with the header {header:?}");
            let line = assert_refused(
                pin(&proxy, &file, &[]),
                dir.path(),
                &before,
                &file,
                &image,
                &host,
            );
            // In place too: the file stays as it was.
            let in_place = pin(&proxy, &file, &["-i"]);
            assert_refused(in_place, dir.path(), &before, &file, &image, &host);
            if !header.contains(['\r', '\n', '\0']) {
                let shown = header.escape_debug().to_string();
                let shown: String = shown.chars().take(40).collect();
                assert!(
                    line.contains(&format!("{host} sent an invalid digest \"{shown}")),
                    "{header:?}: {line}"
                );
            }
        }
    }
}

#[test]
fn a_sha512_digest_header_is_a_digest() {
    let registry = TestRegistry::start(Kind::Http);
    registry.push_image("app/long", "v1", Platform::LINUX_AMD64);
    let proxy = FaultProxy::start(&registry.host());
    let host = proxy.host();
    let sha512 = format!("sha512:{HEX}{HEX}");
    proxy.always(
        None,
        "/v2/app/long/manifests/",
        Fault::DigestHeader(sha512.clone()),
    );
    let dir = tempfile::tempdir().unwrap();
    let image = format!("{host}/app/long:v1");
    for (name, text) in sources(&image) {
        let file = dir.path().join(name);
        fs::write(&file, &text).unwrap();
        let run = pin(&proxy, &file.display().to_string(), &[]).expect_code(0);
        assert_eq!(
            run.stdout,
            text.replace(&image, &format!("{image}@{sha512}"))
        );
    }
}

#[test]
fn an_index_entry_out_of_the_grammar_refuses_the_index() {
    let registry = TestRegistry::start(Kind::Http);
    let pushed = registry.push_index(
        "app/multi",
        "v1",
        &[Platform::LINUX_AMD64, Platform::LINUX_ARM64_V8],
    );
    let proxy = FaultProxy::start(&registry.host());
    let host = proxy.host();
    // The real index with the entry of the platform not asked for forged.
    let raw = String::from_utf8(registry.skopeo_inspect_raw("app/multi:v1")).unwrap();
    let arm64 = &pushed.platform_digests[1].1;
    let forged = raw.replace(arm64, r#"sha256:1234\",\"x\":\"y"#);
    assert_ne!(raw, forged);
    proxy.always(
        Some("GET"),
        "/v2/app/multi/manifests/v1",
        Fault::Respond {
            status: 200,
            headers: vec![(
                "Content-Type".into(),
                "application/vnd.oci.image.index.v1+json".into(),
            )],
            body: forged,
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let image = format!("{host}/app/multi:v1");
    let file = dir.path().join("pod.yaml");
    fs::write(&file, sources(&image)[2].1.clone()).unwrap();
    let file = file.display().to_string();
    let before = snapshot(dir.path());
    let run = pin(&proxy, &file, &["--platform", "linux/amd64"]);
    let line = assert_refused(run, dir.path(), &before, &file, &image, &host);
    assert!(
        line.ends_with(&format!(
            r#"{host} sent an invalid digest "sha256:1234\",\"x\":\"y": unexpected "\"" at character 12"#
        )),
        "{line}"
    );
}

#[test]
fn a_lock_file_digest_out_of_the_grammar_is_refused_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let image = "registry.example/app:v1";
    let file = dir.path().join("pod.yaml");
    fs::write(&file, sources(image)[2].1.clone()).unwrap();
    let lock = dir.path().join("immutable.lock");
    fs::write(
        &lock,
        "{\n  \"version\": 1,\n  \"images\": {\n    \"registry.example/app:v1\": \"sha256:1234\\\",\\\"x\\\":\\\"y\\u0000\"\n  }\n}\n",
    )
    .unwrap();
    let before = snapshot(dir.path());
    // serde_json's column: just past the string's closing quote.
    let column = r#"    "registry.example/app:v1": "sha256:1234\",\"x\":\"y\u0000""#.len();
    let lock = lock.display().to_string();
    let run = Plugin::new([
        "pin",
        "--offline",
        "--lock",
        &lock,
        "-f",
        &file.display().to_string(),
    ])
    .run()
    .expect_code(2);
    assert_eq!(run.stdout, "");
    assert_eq!(snapshot(dir.path()), before);
    assert_eq!(
        run.stderr,
        format!(
            "error: {lock}:4:{column}: invalid digest \"sha256:1234\\\",\\\"x\\\":\\\"y\\0\": unexpected \"\\\"\" at character 12\n"
        )
    );
}

/// Far less than a flood a client read to its end: what the socket buffers hold beyond the
/// 4 MiB the client reads.
const READ_AT_MOST: u64 = 64 << 20;

/// The registry with `repository:v1` pushed (an index of two platforms), the proxy, a file
/// writing it through the proxy, and that image.
fn one_image(repository: &str) -> (TestRegistry, FaultProxy, tempfile::TempDir, String, String) {
    let registry = TestRegistry::start(Kind::Http);
    registry.push_index(
        repository,
        "v1",
        &[Platform::LINUX_AMD64, Platform::LINUX_ARM64_V8],
    );
    let proxy = FaultProxy::start(&registry.host());
    let image = format!("{}/{repository}:v1", proxy.host());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pod.yaml");
    fs::write(&file, sources(&image)[2].1.clone()).unwrap();
    (registry, proxy, dir, file.display().to_string(), image)
}

#[test]
fn a_manifest_larger_than_4_mib_is_refused_as_it_streams() {
    // Asked by GET for a platform: the body streams without a length, without end.
    let (_registry, proxy, dir, file, image) = one_image("app/big");
    proxy.always(
        Some("GET"),
        "/manifests/",
        Fault::Flood {
            content_type: "application/vnd.oci.image.index.v1+json".into(),
            announced: false,
        },
    );
    let before = snapshot(dir.path());
    let run = pin(&proxy, &file, &["--platform", "linux/amd64"]);
    let host = proxy.host();
    let line = assert_refused(run, dir.path(), &before, &file, &image, &host);
    assert!(
        line.ends_with(&format!(
            "{host} sent a manifest larger than 4194304 bytes, more than this tool reads"
        )),
        "{line}"
    );
    assert!(
        proxy.flooded() < READ_AT_MOST,
        "read {} bytes",
        proxy.flooded()
    );

    // A HEAD that does not give the digest (patch 7 asks again by GET), and a GET announcing
    // 2 GiB: refused before its body is read.
    let (_registry, proxy, dir, file, image) = one_image("app/huge");
    proxy.always(Some("HEAD"), "/manifests/", Fault::NoDigest);
    proxy.always(
        Some("GET"),
        "/manifests/",
        Fault::Flood {
            content_type: "application/vnd.oci.image.index.v1+json".into(),
            announced: true,
        },
    );
    let before = snapshot(dir.path());
    let host = proxy.host();
    let line = assert_refused(
        pin(&proxy, &file, &[]),
        dir.path(),
        &before,
        &file,
        &image,
        &host,
    );
    assert!(line.ends_with("more than this tool reads"), "{line}");
    assert!(
        proxy.flooded() < READ_AT_MOST,
        "read {} bytes",
        proxy.flooded()
    );
    assert_eq!(proxy.requests(Some("GET"), "/manifests/").len(), 1);
}

#[test]
fn an_answer_that_is_not_a_manifest_is_not_pinned() {
    let index = r#"{"schemaVersion":2,"manifests":[]}"#;
    for (content_type, body, what) in [
        // A captive portal: its page, answered 200.
        (
            Some("text/html; charset=utf-8"),
            "<html><body>Sign in to the Wi-Fi</body></html>",
            "text/html",
        ),
        // JSON, of another media type, or of none.
        (
            Some("application/octet-stream"),
            index,
            "application/octet-stream",
        ),
        (None, index, "no media type"),
        (
            Some("application/vnd.oci.image.index.v1+json"),
            "<html>",
            "a body that is not a JSON object",
        ),
    ] {
        let (_registry, proxy, dir, file, image) = one_image("app/portal");
        let answer = Fault::Respond {
            status: 200,
            headers: content_type
                .map(|value| vec![("Content-Type".to_string(), value.to_string())])
                .unwrap_or_default(),
            body: body.to_string(),
        };
        // A HEAD answered so gives no digest: it is asked again by GET.
        proxy.always(None, "/manifests/", answer);
        let host = proxy.host();
        for platform in [&[][..], &["--platform", "linux/amd64"][..]] {
            let before = snapshot(dir.path());
            let run = pin(&proxy, &file, platform);
            let line = assert_refused(run, dir.path(), &before, &file, &image, &host);
            assert!(
                line.ends_with(&format!(
                    "{host} answered with something that is not a manifest: {what}"
                )),
                "{line}"
            );
        }
    }
}

/// `pin` of `repository:v1` through `proxy` under a policy that `acme/*` needs `key`: refused
/// (see [`assert_refused`]); its error line.
fn refused_under_policy(proxy: &FaultProxy, key: &SigningKey, repository: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    fs::copy(key.public_path(), dir.path().join("acme.pub")).unwrap();
    let policy = dir.path().join("policy.yaml");
    fs::write(
        &policy,
        format!(
            "rules:\n- images: \"{}/acme/*\"\n  key: acme.pub\n",
            proxy.host()
        ),
    )
    .unwrap();
    let image = format!("{}/{repository}:v1", proxy.host());
    let file = dir.path().join("pod.yaml");
    fs::write(&file, sources(&image)[2].1.clone()).unwrap();
    let file = file.display().to_string();
    let before = snapshot(dir.path());
    let run = pin(
        proxy,
        &file,
        &["--signature-policy", &policy.display().to_string()],
    );
    assert_refused(run, dir.path(), &before, &file, &image, &proxy.host())
}

#[test]
fn a_signature_payload_is_read_no_further_than_its_declared_size() {
    let registry = TestRegistry::start(Kind::Http);
    let digest = registry.push_image("acme/app", "v1", Platform::LINUX_AMD64);
    // Signed under another name than pin expects, so the payload is fetched.
    let payload = simple_signing_payload("elsewhere.example/acme/app", &digest);
    let key = SigningKey::generate();
    let signature = key.sign(&payload);
    registry.push_signatures("acme/app", &digest, &[(payload.clone(), signature)]);
    let proxy = FaultProxy::start(&registry.host());
    let payload_digest = crate::support::registry::sha256_digest(&payload);
    proxy.always(
        Some("GET"),
        &format!("/blobs/{payload_digest}"),
        Fault::Flood {
            content_type: "application/vnd.dev.cosign.simplesigning.v1+json".into(),
            announced: false,
        },
    );
    let line = refused_under_policy(&proxy, &key, "acme/app");
    let host = proxy.host();
    assert!(
        line.ends_with(&format!(
            "{host} sent a signature payload larger than {} bytes, more than this tool reads",
            payload.len()
        )),
        "{line}"
    );
    assert!(
        proxy.flooded() < READ_AT_MOST,
        "read {} bytes",
        proxy.flooded()
    );
}

#[test]
fn a_signature_manifest_of_4000_layers_is_refused_after_one_request() {
    let registry = TestRegistry::start(Kind::Http);
    let digest = registry.push_image("acme/many", "v1", Platform::LINUX_AMD64);
    let proxy = FaultProxy::start(&registry.host());
    let layers: Vec<String> = (0..4000)
        .map(|i| {
            format!(
                r#"{{"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","size":250,"digest":"sha256:{:064x}","annotations":{{"dev.cosignproject.cosign/signature":"MEUCIQ=="}}}}"#,
                i
            )
        })
        .collect();
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","size":2,"digest":"sha256:{HEX}"}},"layers":[{}]}}"#,
        layers.join(",")
    );
    let sig = format!("/manifests/{}.sig", digest.replacen(':', "-", 1));
    proxy.always(
        Some("GET"),
        &sig,
        Fault::Respond {
            status: 200,
            headers: vec![(
                "Content-Type".into(),
                "application/vnd.oci.image.manifest.v1+json".into(),
            )],
            body: manifest,
        },
    );
    let line = refused_under_policy(&proxy, &SigningKey::generate(), "acme/many");
    let host = proxy.host();
    assert!(
        line.ends_with(&format!(
            "{host} lists 4000 signatures of the image, more than the 1000 this tool checks"
        )),
        "{line}"
    );
    assert_eq!(
        proxy.requests(None, "/blobs/").len(),
        0,
        "{:?}",
        proxy.seen()
    );
    assert_eq!(proxy.requests(Some("GET"), &sig).len(), 1);
    assert!(proxy.seen().len() <= 4, "{:?}", proxy.seen());
}
