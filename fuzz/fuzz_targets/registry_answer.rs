//! A registry's answers on arbitrary bytes, read as the registry client reads them: the first
//! line a `Docker-Content-Digest` value, the rest a body (a manifest, an index, an image
//! config, a `.sig` manifest, a referrers index). Whatever they hold, nothing panics, and:
//! - a value the digest parser accepts is in the grammar, and pinned into a JSON, flow or block
//!   manifest it is read back as exactly that one image (it cannot end the string, add a key
//!   or a comment); a value it refuses is named in its error escaped, without a control
//!   character;
//! - the rewriter refuses any value but a reference pinned to its digest, whatever text comes
//!   before the `@`;
//! - every digest read from a body is in the grammar, and a signature answer lists at most
//!   `MAX_SIGNATURES`.
//!
//! Allocation stays proportional to the input: run with `-max_len=65536 -malloc_limit_mb=256`
//! (libFuzzer fails an input that allocates more than that at once), as CI does.

#![no_main]

use kubectl_immutable::core::image_paths::builtin_image_paths;
use kubectl_immutable::core::locate::{ValueStyle, locate_images};
use kubectl_immutable::core::platform::{
    ManifestPlatforms, Platform, config_platform, manifest_platforms,
};
use kubectl_immutable::core::reference::{Digest, is_valid_digest};
use kubectl_immutable::core::rewrite::{Replacement, splice};
use kubectl_immutable::core::signature_manifest::{
    MAX_SIGNATURES, ReferrersIndex, SignatureManifest,
};
use libfuzzer_sys::fuzz_target;

const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// A Pod with the image `app:v1` written as JSON, flow YAML and block YAML: the source, the
/// span of the value (quotes included) and its style.
fn manifests() -> [(&'static str, std::ops::Range<usize>, ValueStyle); 3] {
    let json = r#"{"kind":"Pod","spec":{"containers":[{"name":"a","image":"app:v1"}]}}"#;
    let flow = "kind: Pod\nspec: {containers: [{name: a, image: 'app:v1'}]}\n";
    let block = "kind: Pod\nspec:\n  containers:\n  - name: a\n    image: app:v1\n";
    let span = |source: &str, quote: &str| {
        let start = source.find(&format!("{quote}app:v1")).unwrap();
        start..start + "app:v1".len() + 2 * quote.len()
    };
    [
        (json, span(json, "\""), ValueStyle::DoubleQuoted),
        (flow, span(flow, "'"), ValueStyle::SingleQuoted),
        (block, span(block, ""), ValueStyle::Plain),
    ]
}

/// Pins `app:v1` as `value` in each manifest, if the rewriter takes it, and checks the output
/// holds exactly that one image.
fn pin_everywhere(value: &str, digest: &Digest) {
    for (source, span, style) in manifests() {
        let Ok(replacement) = Replacement::pin(span, value, style, digest, None) else {
            continue;
        };
        let output = splice(source, &[replacement]);
        let images = locate_images(&output, &builtin_image_paths()).expect("still parses");
        let values: Vec<&str> = images.iter().map(|image| image.value.as_str()).collect();
        assert_eq!(values, [value], "{output}");
    }
}

fuzz_target!(|input: &[u8]| {
    let (header, body) = match input.iter().position(|&byte| byte == b'\n') {
        Some(end) => (&input[..end], &input[end + 1..]),
        None => (input, &[][..]),
    };
    if let Ok(header) = std::str::from_utf8(header) {
        match Digest::parse(header) {
            Ok(digest) => {
                assert!(is_valid_digest(&digest));
                pin_everywhere(&format!("app:v1@{digest}"), &digest);
            }
            Err(error) => {
                let message = error.to_string();
                assert!(!message.chars().any(char::is_control), "{message:?}");
                assert!(message.len() <= 4 * 256 + 200, "shortened: {}", message.len());
            }
        }
        // Any text before the `@` of a real digest: the rewriter writes only a reference.
        let digest = Digest::parse(DIGEST).unwrap();
        pin_everywhere(&format!("{header}@{DIGEST}"), &digest);
    }

    let wanted = Platform::new("linux", "amd64", None);
    match manifest_platforms(body) {
        Ok(ManifestPlatforms::Index(entries)) => {
            for (_, digest) in &entries {
                assert!(is_valid_digest(digest));
            }
            let _ = entries.iter().find(|(platform, _)| *platform == wanted);
        }
        Ok(ManifestPlatforms::Image { config_digest }) => {
            assert!(is_valid_digest(&config_digest))
        }
        Err(_) => {}
    }
    let _ = config_platform(body);
    if let Ok(manifest) = SignatureManifest::parse(body) {
        assert!(manifest.layers.len() <= MAX_SIGNATURES);
        assert!(manifest.layers.iter().all(|layer| is_valid_digest(&layer.digest)));
    }
    if let Ok(index) = ReferrersIndex::parse(body) {
        assert!(index.manifests.len() <= MAX_SIGNATURES);
    }
});
