//! Cosign signatures: the signature policy (which key must have signed which images), its
//! public keys, and the judgement of the signatures found for a digest. Pure: the keys are
//! already read, the signatures already fetched.
//!
//! A signature in cosign's classic layout is a simple-signing payload (a small JSON document
//! naming the image's repository and manifest digest) and the base64 signature of its bytes,
//! an annotation of the layer holding the payload.

use std::fmt;

use base64::Engine as _;
use rustls_pki_types::SubjectPublicKeyInfoDer;
use rustls_pki_types::pem::PemObject as _;
use serde::{Deserialize, Serialize};
use webpki::RawPublicKeyEntity;

use super::reference::ImageReference;

/// The annotation of a signature layer that holds the base64 signature of the layer's bytes.
pub const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";

/// The `critical.type` of a cosign simple-signing payload.
const PAYLOAD_TYPE: &str = "cosign container image signature";

/// The algorithms a key may be of, each with the hash cosign signs with for it.
const ALGORITHMS: [(&str, &dyn rustls_pki_types::SignatureVerificationAlgorithm); 4] = [
    ("ECDSA P-256", webpki::ring::ECDSA_P256_SHA256),
    ("ECDSA P-384", webpki::ring::ECDSA_P384_SHA384),
    ("Ed25519", webpki::ring::ED25519),
    ("RSA", webpki::ring::RSA_PKCS1_2048_8192_SHA256),
];

/// A public key a rule names, with what it is called in messages and records.
pub struct PublicKey {
    /// The path as the policy wrote it, or `inline key sha256:…` (its SPKI's digest, shortened).
    pub label: String,
    spki: Vec<u8>,
    algorithm: &'static dyn rustls_pki_types::SignatureVerificationAlgorithm,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("not a PEM public key (-----BEGIN PUBLIC KEY-----)")]
    NotPem,
    #[error(
        "a public key of a kind cosign signing is not checked for here (ECDSA P-256 or P-384, Ed25519, RSA 2048-8192)"
    )]
    Unsupported,
}

impl PublicKey {
    /// A `-----BEGIN PUBLIC KEY-----` PEM (a SubjectPublicKeyInfo, as `cosign generate-key-pair`
    /// and `openssl pkey -pubout` write it), called `label` or, when `None`, by its digest.
    pub fn from_pem(pem: &str, label: Option<&str>) -> Result<PublicKey, KeyError> {
        let spki = SubjectPublicKeyInfoDer::from_pem_slice(pem.as_bytes())
            .map_err(|_| KeyError::NotPem)?;
        let entity = RawPublicKeyEntity::try_from(&spki).map_err(|_| KeyError::Unsupported)?;
        // An empty signature is refused as invalid by the algorithm of the key's kind, and as
        // unsupported by every other: that tells the kind without parsing the key again.
        let (_, algorithm) = ALGORITHMS
            .iter()
            .find(|(_, algorithm)| {
                matches!(
                    entity.verify_signature(*algorithm, b"", b""),
                    Err(webpki::Error::InvalidSignatureForPublicKey)
                )
            })
            .ok_or(KeyError::Unsupported)?;
        let label = match label {
            Some(label) => label.to_string(),
            None => format!("inline key {}", &crate_digest(spki.as_ref())[..19]),
        };
        Ok(PublicKey {
            label,
            spki: spki.as_ref().to_vec(),
            algorithm: *algorithm,
        })
    }

    /// The key's kind, for messages.
    pub fn kind(&self) -> &'static str {
        ALGORITHMS
            .iter()
            .find(|(_, algorithm)| std::ptr::addr_eq(*algorithm, self.algorithm))
            .map_or("?", |(name, _)| name)
    }

    /// Whether `signature` (base64, as the annotation holds it) is this key's over `payload`.
    pub fn verifies(&self, payload: &[u8], signature: &str) -> bool {
        let Ok(signature) = base64::engine::general_purpose::STANDARD.decode(signature.trim())
        else {
            return false;
        };
        let spki = SubjectPublicKeyInfoDer::from(self.spki.as_slice());
        RawPublicKeyEntity::try_from(&spki)
            .and_then(|entity| entity.verify_signature(self.algorithm, payload, &signature))
            .is_ok()
    }
}

fn crate_digest(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    format!("sha256:{:x}", sha2::Sha256::digest(bytes))
}

/// What a rule asks of the images it matches.
#[derive(Debug)]
pub enum Requirement {
    /// A signature by this key.
    Key(PublicKey),
    /// Nothing: an explicit exception.
    Skip,
}

/// One rule: the images it matches, and what it asks of them.
#[derive(Debug)]
pub struct Rule {
    /// A name prefix (`ghcr.io/acme`) or a glob (`ghcr.io/acme/*`), as written.
    pub images: String,
    pub requirement: Requirement,
}

/// What becomes of an image no rule matches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DefaultAction {
    #[default]
    Deny,
    Allow,
}

/// The signature policy: ordered rules, the first that matches decides, and a default.
#[derive(Debug, Default)]
pub struct SignaturePolicy {
    pub rules: Vec<Rule>,
    pub default: DefaultAction,
}

impl SignaturePolicy {
    /// The first rule whose `images` names `name` (a normalised name, `docker.io/library/nginx`).
    pub fn rule_for(&self, name: &str) -> Option<&Rule> {
        self.rules.iter().find(|rule| matches(&rule.images, name))
    }
}

/// Whether `pattern` names the normalised image name `name`. Without `*`, a prefix that ends
/// at a path component (`ghcr.io/acme` names `ghcr.io/acme/app`, not `ghcr.io/acme-x/app`);
/// with it, a glob where `*` stands for any characters but `/` and `**` for any at all. The
/// pattern's registry is normalised as names are (`index.docker.io` is `docker.io`).
pub fn matches(pattern: &str, name: &str) -> bool {
    let pattern = pattern.trim_end_matches('/');
    let pattern = pattern
        .strip_prefix("index.docker.io/")
        .map_or_else(|| pattern.to_string(), |rest| format!("docker.io/{rest}"));
    if pattern.contains('*') {
        glob(pattern.as_bytes(), name.as_bytes())
    } else {
        name == pattern
            || name
                .strip_prefix(pattern.as_str())
                .is_some_and(|rest| rest.starts_with('/'))
    }
}

fn glob(pattern: &[u8], text: &[u8]) -> bool {
    match pattern {
        [] => text.is_empty(),
        [b'*', b'*', rest @ ..] => (0..=text.len()).any(|skip| glob(rest, &text[skip..])),
        [b'*', rest @ ..] => {
            let run = text.iter().position(|&c| c == b'/').unwrap_or(text.len());
            (0..=run).any(|skip| glob(rest, &text[skip..]))
        }
        [first, rest @ ..] => text.first() == Some(first) && glob(rest, &text[1..]),
    }
}

/// One signature found for a digest: the payload's bytes and the signature annotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub payload: Vec<u8>,
    pub signature: String,
}

/// The part of a simple-signing payload that is checked.
#[derive(Deserialize)]
struct Payload {
    critical: Critical,
}

#[derive(Deserialize)]
struct Critical {
    identity: Identity,
    image: Image,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Deserialize)]
struct Identity {
    #[serde(rename = "docker-reference")]
    docker_reference: String,
}

#[derive(Deserialize)]
struct Image {
    #[serde(rename = "docker-manifest-digest")]
    docker_manifest_digest: String,
}

/// Why a payload signed by the key does not vouch for the image.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadMismatch {
    #[error("is not a cosign simple-signing payload")]
    Unreadable,
    #[error("signs {0}, another digest (a replay)")]
    OtherDigest(String),
    #[error("names the repository {0}")]
    OtherRepository(String),
}

/// Checks that a simple-signing payload vouches for `digest` of repository `name` (a
/// normalised name): its digest is that digest, and its docker-reference that repository once
/// both are normalised.
pub fn check_payload(payload: &[u8], digest: &str, name: &str) -> Result<(), PayloadMismatch> {
    let payload: Payload =
        serde_json::from_slice(payload).map_err(|_| PayloadMismatch::Unreadable)?;
    let critical = payload.critical;
    if critical.kind != PAYLOAD_TYPE {
        return Err(PayloadMismatch::Unreadable);
    }
    if critical.image.docker_manifest_digest != digest {
        return Err(PayloadMismatch::OtherDigest(
            critical.image.docker_manifest_digest,
        ));
    }
    let reference = &critical.identity.docker_reference;
    match ImageReference::parse(reference) {
        Ok(signed) if signed.name() == name => Ok(()),
        _ => Err(PayloadMismatch::OtherRepository(reference.clone())),
    }
}

/// Why the signatures of a digest do not satisfy its rule's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unverified {
    /// How many signatures were found.
    pub found: usize,
    /// The key's label.
    pub key: String,
    /// What was wrong with the payload of each signature the key did verify.
    pub mismatches: Vec<PayloadMismatch>,
}

impl fmt::Display for Unverified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = &self.key;
        match (self.found, self.mismatches.as_slice()) {
            (0, _) => write!(f, "no signature found"),
            (1, []) => write!(f, "1 signature, not verified by key {key}"),
            (found, []) => write!(f, "{found} signatures, none verified by key {key}"),
            (found, [first, ..]) => {
                let plural = if found == 1 { "" } else { "s" };
                write!(
                    f,
                    "{found} signature{plural}; the one verified by key {key} {first}"
                )
            }
        }
    }
}

/// Whether one of `signatures` is `key`'s and vouches for `digest` of `name`: one suffices.
pub fn judge(
    key: &PublicKey,
    signatures: &[Signature],
    digest: &str,
    name: &str,
) -> Result<(), Unverified> {
    let mut mismatches = Vec::new();
    for signature in signatures {
        if !key.verifies(&signature.payload, &signature.signature) {
            continue;
        }
        match check_payload(&signature.payload, digest, name) {
            Ok(()) => return Ok(()),
            Err(mismatch) => mismatches.push(mismatch),
        }
    }
    Err(Unverified {
        found: signatures.len(),
        key: key.label.clone(),
        mismatches,
    })
}

/// What the policy made of a digest that is written: recorded in `--report json` and, where a
/// key verified it, in the lock file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "lowercase")]
pub enum Outcome {
    /// A signature by `key`, which `rule` asks for, vouches for it.
    Verified { rule: String, key: String },
    /// `rule` skips it.
    Skipped { rule: String },
    /// No rule matches it and the default allows it.
    Allowed,
}

/// The tag cosign's classic layout keeps a digest's signatures under: `sha256-<hex>.sig`.
pub fn signature_tag(digest: &str) -> String {
    format!("{}.sig", digest.replacen(':', "-", 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    // `openssl ecparam -name prime256v1 -genkey -noout | openssl pkey -pubout` and a signature
    // of PAYLOAD by its private key (`openssl dgst -sha256 -sign key.pem | base64 -w0`).
    const P256_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEu+ZV+QFxP+AE6F9hgtzOg2U17t3S
KmwFOhW9ogqOvgCj4YqwW8fOSUx9oqxAjMXlkGWY/v5DVTfoi5qfG6U/hw==
-----END PUBLIC KEY-----
";
    const OTHER_P256_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE/0iCvaBTZnFSLCZnsoOT71ZPr9rj
aQLOoJyArWIZHJuySznKLnZJqvEsMSKALTuFSZ5oHXoRIGURAyCZq8npQQ==
-----END PUBLIC KEY-----
";
    const PAYLOAD: &str = r#"{"critical":{"identity":{"docker-reference":"ghcr.io/acme/app"},"image":{"docker-manifest-digest":"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},"type":"cosign container image signature"},"optional":null}"#;
    const SIGNATURE: &str = "MEUCIQCsWpKcFnsx8Pzo/4sx84bWqpPCYzX8pabwKFryqF3kzwIgC05Shuq3X6wwqVqjol3kfByihWPp2yg6tcAQcvAP+n4=";
    // The same payload signed by an Ed25519 key (`openssl genpkey -algorithm ed25519`, then
    // `openssl pkeyutl -sign -rawin`).
    const ED25519_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEARei7KuIrVdYmsKHyjY6vCFkZarErLU2myUCz59v1CrQ=
-----END PUBLIC KEY-----
";
    const ED25519_SIGNATURE: &str =
        "Z35u7BvhcQBIIXa6/IA/agjPFfIswEYwzJ9bK7IOlLbNOCOHXLV16E3bKhNA7WKS193upz2AlIB52qDBsvIhDw==";
    const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn a_prefix_ends_at_a_path_component_and_a_glob_star_within_one() {
        assert!(matches("ghcr.io/acme", "ghcr.io/acme/app"));
        assert!(matches("ghcr.io/acme/", "ghcr.io/acme/app"));
        assert!(matches("ghcr.io/acme/app", "ghcr.io/acme/app"));
        assert!(!matches("ghcr.io/acme", "ghcr.io/acme-x/app"));
        assert!(matches("ghcr.io/acme/*", "ghcr.io/acme/app"));
        assert!(!matches("ghcr.io/acme/*", "ghcr.io/acme/team/app"));
        assert!(matches("ghcr.io/acme/**", "ghcr.io/acme/team/app"));
        assert!(matches("ghcr.io/*/app", "ghcr.io/acme/app"));
        assert!(!matches("ghcr.io/*/app", "ghcr.io/acme/web"));
        assert!(matches("*.example.com/**", "r.example.com/a/b"));
        assert!(matches(
            "index.docker.io/library/*",
            "docker.io/library/nginx"
        ));
        assert!(!matches("docker.io/library/*", "docker.io/bitnami/nginx"));
    }

    #[test]
    fn the_first_matching_rule_decides() {
        let policy = SignaturePolicy {
            rules: vec![
                Rule {
                    images: "ghcr.io/acme/legacy".into(),
                    requirement: Requirement::Skip,
                },
                Rule {
                    images: "ghcr.io/acme/**".into(),
                    requirement: Requirement::Skip,
                },
            ],
            default: DefaultAction::Deny,
        };
        assert_eq!(
            policy.rule_for("ghcr.io/acme/legacy").unwrap().images,
            "ghcr.io/acme/legacy"
        );
        assert_eq!(
            policy.rule_for("ghcr.io/acme/x/y").unwrap().images,
            "ghcr.io/acme/**"
        );
        assert!(policy.rule_for("quay.io/acme/x").is_none());
    }

    #[test]
    fn reads_p256_keys_and_refuses_what_is_not_a_public_key() {
        let key = PublicKey::from_pem(P256_PUBLIC, Some("acme.pub")).unwrap();
        assert_eq!(key.kind(), "ECDSA P-256");
        assert_eq!(key.label, "acme.pub");
        let ed25519 = PublicKey::from_pem(ED25519_PUBLIC, None).unwrap();
        assert_eq!(ed25519.kind(), "Ed25519");
        assert!(ed25519.verifies(PAYLOAD.as_bytes(), ED25519_SIGNATURE));
        assert!(!ed25519.verifies(PAYLOAD.as_bytes(), SIGNATURE));
        let inline = PublicKey::from_pem(P256_PUBLIC, None).unwrap();
        assert!(
            inline.label.starts_with("inline key sha256:"),
            "{}",
            inline.label
        );
        assert_eq!(inline.label.len(), "inline key sha256:".len() + 12);
        assert_eq!(
            PublicKey::from_pem("not a key", None).unwrap_err(),
            KeyError::NotPem
        );
        let private =
            "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n";
        assert_eq!(
            PublicKey::from_pem(private, None).unwrap_err(),
            KeyError::NotPem
        );
    }

    #[test]
    fn a_payload_vouches_only_for_its_own_digest_and_repository() {
        assert_eq!(
            check_payload(PAYLOAD.as_bytes(), DIGEST, "ghcr.io/acme/app"),
            Ok(())
        );
        let other = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
        assert_eq!(
            check_payload(PAYLOAD.as_bytes(), other, "ghcr.io/acme/app"),
            Err(PayloadMismatch::OtherDigest(DIGEST.into()))
        );
        assert_eq!(
            check_payload(PAYLOAD.as_bytes(), DIGEST, "ghcr.io/acme/web"),
            Err(PayloadMismatch::OtherRepository("ghcr.io/acme/app".into()))
        );
        // Docker Hub's names are normalised on both sides.
        let hub = PAYLOAD.replace("ghcr.io/acme/app", "index.docker.io/library/nginx");
        assert_eq!(
            check_payload(hub.as_bytes(), DIGEST, "docker.io/library/nginx"),
            Ok(())
        );
        let tagged = PAYLOAD.replace("ghcr.io/acme/app", "ghcr.io/acme/app:v1");
        assert_eq!(
            check_payload(tagged.as_bytes(), DIGEST, "ghcr.io/acme/app"),
            Ok(())
        );
        for unreadable in [
            "",
            "{}",
            &PAYLOAD.replace(
                "cosign container image signature",
                "atomic container signature",
            ),
        ] {
            assert_eq!(
                check_payload(unreadable.as_bytes(), DIGEST, "ghcr.io/acme/app"),
                Err(PayloadMismatch::Unreadable),
                "{unreadable}"
            );
        }
    }

    #[test]
    fn judges_by_the_key_and_then_the_payload() {
        let key = PublicKey::from_pem(P256_PUBLIC, Some("acme.pub")).unwrap();
        let other = PublicKey::from_pem(OTHER_P256_PUBLIC, Some("other.pub")).unwrap();
        let signed = Signature {
            payload: PAYLOAD.as_bytes().to_vec(),
            signature: SIGNATURE.into(),
        };
        assert!(key.verifies(PAYLOAD.as_bytes(), SIGNATURE));
        assert!(!other.verifies(PAYLOAD.as_bytes(), SIGNATURE));
        assert!(!key.verifies(b"another payload", SIGNATURE));
        assert!(!key.verifies(PAYLOAD.as_bytes(), "not base64!"));
        let name = "ghcr.io/acme/app";
        assert_eq!(
            judge(&key, std::slice::from_ref(&signed), DIGEST, name),
            Ok(())
        );
        let garbage = Signature {
            payload: b"{}".to_vec(),
            signature: "MEUCIQ==".into(),
        };
        assert_eq!(
            judge(&key, &[garbage.clone(), signed.clone()], DIGEST, name),
            Ok(()),
            "one valid signature suffices"
        );
        let refused = judge(&other, &[garbage, signed.clone()], DIGEST, name).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "2 signatures, none verified by key other.pub"
        );
        let replay = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
        assert_eq!(
            judge(&key, &[signed], replay, name)
                .unwrap_err()
                .to_string(),
            format!(
                "1 signature; the one verified by key acme.pub signs {DIGEST}, another digest (a replay)"
            )
        );
        assert_eq!(
            judge(&key, &[], DIGEST, name).unwrap_err().to_string(),
            "no signature found"
        );
    }

    #[test]
    fn signatures_live_under_the_digest_as_a_tag() {
        assert_eq!(
            signature_tag(DIGEST),
            "sha256-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.sig"
        );
    }
}
