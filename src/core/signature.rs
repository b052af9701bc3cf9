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

    /// The sha256 of the key's SubjectPublicKeyInfo (DER), `sha256:<hex>`: what a lock file's
    /// signature record names the key by, so a key file replaced under the same path is told
    /// apart (`openssl pkey -pubin -in KEY -outform DER | sha256sum`).
    pub fn spki_digest(&self) -> String {
        crate_digest(&self.spki)
    }

    /// Whether `signature` (base64, as the annotation holds it) is this key's over `payload`.
    pub fn verifies(&self, payload: &[u8], signature: &str) -> bool {
        base64::engine::general_purpose::STANDARD
            .decode(signature.trim())
            .is_ok_and(|signature| self.verifies_bytes(payload, &signature))
    }

    /// Whether `signature` (its bytes: DER for ECDSA) is this key's over `message`.
    fn verifies_bytes(&self, message: &[u8], signature: &[u8]) -> bool {
        let spki = SubjectPublicKeyInfoDer::from(self.spki.as_slice());
        RawPublicKeyEntity::try_from(&spki)
            .and_then(|entity| entity.verify_signature(self.algorithm, message, signature))
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

/// One signature found for a digest. As a lock file records the one that verified a digest,
/// the bytes signed in base64 (`{"simpleSigning": {"payload": …, "signature": …}}` or
/// `{"bundle": …}`), so it can be verified again offline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum Signature {
    /// cosign's classic layout: a simple-signing payload's bytes and the signature annotation.
    SimpleSigning {
        #[serde(with = "base64_bytes")]
        payload: Vec<u8>,
        signature: String,
    },
    /// A Sigstore bundle attached as an OCI 1.1 referrer (`cosign sign --new-bundle-format`):
    /// its JSON, a DSSE envelope around an in-toto statement.
    Bundle(#[serde(with = "base64_bytes")] Vec<u8>),
}

/// Bytes as standard base64 in JSON.
mod base64_bytes {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize as _, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}

/// The artifact types a Sigstore bundle referrer is attached with.
pub const BUNDLE_ARTIFACT_TYPES: [&str; 2] = [
    "application/vnd.dev.sigstore.bundle.v0.3+json",
    "application/vnd.dev.sigstore.bundle+json;version=0.3",
];

/// The annotation of a bundle referrer naming the predicate type of the statement it holds.
pub const BUNDLE_PREDICATE_ANNOTATION: &str = "dev.sigstore.bundle.predicateType";

/// The predicate type of an image signature in a bundle; other bundles are attestations.
pub const SIGN_PREDICATE: &str = "https://sigstore.dev/cosign/sign/v1";

const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Bundle {
    dsse_envelope: Option<Envelope>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    payload: String,
    payload_type: String,
    signatures: Vec<EnvelopeSignature>,
}

#[derive(Deserialize)]
struct EnvelopeSignature {
    sig: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Statement {
    subject: Vec<Subject>,
    predicate_type: String,
}

#[derive(Deserialize)]
struct Subject {
    #[serde(default)]
    name: Option<String>,
    digest: std::collections::BTreeMap<String, String>,
}

/// DSSE's pre-authentication encoding, what an envelope's signatures sign.
fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut encoded = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    )
    .into_bytes();
    encoded.extend_from_slice(payload);
    encoded
}

/// Base64 as DSSE allows it: standard, or URL-safe.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD, URL_SAFE};
    STANDARD
        .decode(text.trim())
        .or_else(|_| URL_SAFE.decode(text.trim()))
        .ok()
}

/// Checks that an in-toto statement is an image signature of `digest` (a subject with that
/// sha256), naming repository `name` where the subject has a name at all (cosign writes none).
fn check_statement(statement: &[u8], digest: &str, name: &str) -> Result<(), PayloadMismatch> {
    let statement: Statement =
        serde_json::from_slice(statement).map_err(|_| PayloadMismatch::Unreadable)?;
    if statement.predicate_type != SIGN_PREDICATE {
        return Err(PayloadMismatch::Unreadable);
    }
    let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
    let Some(subject) = statement
        .subject
        .iter()
        .find(|subject| subject.digest.get("sha256").map(String::as_str) == Some(hex))
    else {
        let other = statement
            .subject
            .iter()
            .find_map(|subject| subject.digest.get("sha256"))
            .map_or_else(|| "no digest".to_string(), |hex| format!("sha256:{hex}"));
        return Err(PayloadMismatch::OtherDigest(other));
    };
    match &subject.name {
        None => Ok(()),
        Some(subject_name) => match ImageReference::parse(subject_name) {
            Ok(signed) if signed.name() == name => Ok(()),
            _ => Err(PayloadMismatch::OtherRepository(subject_name.clone())),
        },
    }
}

impl Signature {
    /// Whether `key` signed this, and if so what its payload says of `digest` of `name`.
    fn judged_by(
        &self,
        key: &PublicKey,
        digest: &str,
        name: &str,
    ) -> Option<Result<(), PayloadMismatch>> {
        match self {
            Signature::SimpleSigning { payload, signature } => key
                .verifies(payload, signature)
                .then(|| check_payload(payload, digest, name)),
            Signature::Bundle(json) => {
                let envelope = serde_json::from_slice::<Bundle>(json).ok()?.dsse_envelope?;
                let payload = decode_base64(&envelope.payload)?;
                let signed = pae(&envelope.payload_type, &payload);
                let verified = envelope.signatures.iter().any(|signature| {
                    decode_base64(&signature.sig)
                        .is_some_and(|der| key.verifies_bytes(&signed, &der))
                });
                verified.then(|| {
                    if envelope.payload_type == IN_TOTO_PAYLOAD_TYPE {
                        check_statement(&payload, digest, name)
                    } else {
                        Err(PayloadMismatch::Unreadable)
                    }
                })
            }
        }
    }
}

/// The tag the OCI referrers tag scheme lists a digest's referrers under: `sha256-<hex>`.
pub fn referrers_tag(digest: &str) -> String {
    digest.replacen(':', "-", 1)
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

/// The first of `signatures` that is `key`'s and vouches for `digest` of `name`: one suffices.
pub fn judge<'s>(
    key: &PublicKey,
    signatures: &'s [Signature],
    digest: &str,
    name: &str,
) -> Result<&'s Signature, Unverified> {
    let mut mismatches = Vec::new();
    for signature in signatures {
        match signature.judged_by(key, digest, name) {
            None => {}
            Some(Ok(())) => return Ok(signature),
            Some(Err(mismatch)) => mismatches.push(mismatch),
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
    format!("{}.sig", referrers_tag(digest))
}

/// The simple-signing payloads `cosign sign` writes for `digest` of repository `name` (a
/// normalised name) when asked for no annotations, byte for byte as Go's `encoding/json` writes
/// its struct, one for each way cosign may spell the repository (go-containerregistry calls
/// Docker Hub `index.docker.io`), each with its digest. A signature layer of one of these
/// digests holds that payload, so its blob need not be fetched: the same bytes, known by their
/// sha256.
pub fn expected_payloads(name: &str, digest: &str) -> Vec<(String, Vec<u8>)> {
    let legacy = name
        .strip_prefix("docker.io/")
        .map(|path| format!("{LEGACY_DOCKER_DOMAIN}/{path}"));
    std::iter::once(name.to_string())
        .chain(legacy)
        .map(|reference| {
            let payload = format!(
                r#"{{"critical":{{"identity":{{"docker-reference":{}}},"image":{{"docker-manifest-digest":{}}},"type":"{PAYLOAD_TYPE}"}},"optional":null}}"#,
                serde_json::Value::from(reference),
                serde_json::Value::from(digest),
            )
            .into_bytes();
            (crate_digest(&payload), payload)
        })
        .collect()
}

/// How go-containerregistry, and so cosign, names Docker Hub's registry.
const LEGACY_DOCKER_DOMAIN: &str = "index.docker.io";

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    // `openssl ecparam -name prime256v1 -genkey -noout | openssl pkey -pubout` and a signature
    // of PAYLOAD by its private key (`openssl dgst -sha256 -sign key.pem | base64 -w0`).
    pub(crate) const P256_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEu+ZV+QFxP+AE6F9hgtzOg2U17t3S
KmwFOhW9ogqOvgCj4YqwW8fOSUx9oqxAjMXlkGWY/v5DVTfoi5qfG6U/hw==
-----END PUBLIC KEY-----
";
    pub(crate) const OTHER_P256_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE/0iCvaBTZnFSLCZnsoOT71ZPr9rj
aQLOoJyArWIZHJuySznKLnZJqvEsMSKALTuFSZ5oHXoRIGURAyCZq8npQQ==
-----END PUBLIC KEY-----
";
    pub(crate) const PAYLOAD: &str = r#"{"critical":{"identity":{"docker-reference":"ghcr.io/acme/app"},"image":{"docker-manifest-digest":"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},"type":"cosign container image signature"},"optional":null}"#;
    pub(crate) const SIGNATURE: &str = "MEUCIQCsWpKcFnsx8Pzo/4sx84bWqpPCYzX8pabwKFryqF3kzwIgC05Shuq3X6wwqVqjol3kfByihWPp2yg6tcAQcvAP+n4=";
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
        let signed = Signature::SimpleSigning {
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
            Ok(&signed)
        );
        let garbage = Signature::SimpleSigning {
            payload: b"{}".to_vec(),
            signature: "MEUCIQ==".into(),
        };
        assert_eq!(
            judge(&key, &[garbage.clone(), signed.clone()], DIGEST, name),
            Ok(&signed),
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

    // A Sigstore bundle as `cosign sign --new-bundle-format` attaches one: a DSSE envelope
    // around an in-toto statement whose subject is DIGEST (without a name, as cosign writes
    // it), signed over DSSE's PAE by P256_PUBLIC's private key with `openssl dgst -sha256 -sign`.
    const BUNDLE: &str = r#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":""}},"dsseEnvelope":{"payload":"eyJfdHlwZSI6Imh0dHBzOi8vaW4tdG90by5pby9TdGF0ZW1lbnQvdjEiLCJzdWJqZWN0IjpbeyJkaWdlc3QiOnsic2hhMjU2IjoiMDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZiJ9fV0sInByZWRpY2F0ZVR5cGUiOiJodHRwczovL3NpZ3N0b3JlLmRldi9jb3NpZ24vc2lnbi92MSIsInByZWRpY2F0ZSI6e319","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"MEYCIQDWNtdYxIdHEq3mnmfGc8lVHjUppjd9WBKbhFV6LzObAwIhALzny700qsyUHgYaaI5/OagUKXl5Kv8Y7qc5hXHyezvn","keyid":""}]}}"#;

    #[test]
    fn a_bundle_is_judged_by_its_envelope_and_statement() {
        let key = PublicKey::from_pem(P256_PUBLIC, Some("acme.pub")).unwrap();
        let other = PublicKey::from_pem(OTHER_P256_PUBLIC, Some("other.pub")).unwrap();
        let bundle = Signature::Bundle(BUNDLE.as_bytes().to_vec());
        let name = "ghcr.io/acme/app";
        assert_eq!(
            judge(&key, std::slice::from_ref(&bundle), DIGEST, name),
            Ok(&bundle)
        );
        assert_eq!(
            judge(&other, std::slice::from_ref(&bundle), DIGEST, name)
                .unwrap_err()
                .to_string(),
            "1 signature, not verified by key other.pub"
        );
        let replay = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
        assert_eq!(
            judge(&key, std::slice::from_ref(&bundle), replay, name)
                .unwrap_err()
                .mismatches,
            [PayloadMismatch::OtherDigest(DIGEST.into())]
        );
        // The payload changed under the signature: nothing verifies.
        let tampered = BUNDLE.replace("eyJfdHlwZSI6", "eyJfdHlwZSI7");
        let tampered = Signature::Bundle(tampered.into_bytes());
        assert!(judge(&key, &[tampered], DIGEST, name).is_err());
        assert!(judge(&key, &[Signature::Bundle(b"{}".to_vec())], DIGEST, name).is_err());
    }

    #[test]
    fn a_statement_must_be_an_image_signature_of_the_digest_and_repository() {
        let statement = |predicate: &str, subject: &str| {
            format!(
                r#"{{"_type":"https://in-toto.io/Statement/v1","subject":[{subject}],"predicateType":"{predicate}","predicate":{{}}}}"#
            )
        };
        let hex = &DIGEST["sha256:".len()..];
        let unnamed = format!(r#"{{"digest":{{"sha256":"{hex}"}}}}"#);
        let named = format!(r#"{{"name":"ghcr.io/acme/app","digest":{{"sha256":"{hex}"}}}}"#);
        let check = |text: String| check_statement(text.as_bytes(), DIGEST, "ghcr.io/acme/app");
        assert_eq!(check(statement(SIGN_PREDICATE, &unnamed)), Ok(()));
        assert_eq!(check(statement(SIGN_PREDICATE, &named)), Ok(()));
        assert_eq!(
            check(statement(
                SIGN_PREDICATE,
                &named.replace("acme/app", "acme/web")
            )),
            Err(PayloadMismatch::OtherRepository("ghcr.io/acme/web".into()))
        );
        assert_eq!(
            check(statement("https://slsa.dev/provenance/v1", &unnamed)),
            Err(PayloadMismatch::Unreadable),
            "an attestation is not a signature"
        );
        assert_eq!(
            check(statement(SIGN_PREDICATE, &unnamed.replace("0123", "4567"))),
            Err(PayloadMismatch::OtherDigest(format!(
                "sha256:{}",
                hex.replace("0123", "4567")
            )))
        );
        assert_eq!(
            pae("t", b"ab"),
            b"DSSEv1 1 t 2 ab".to_vec(),
            "DSSE's PAE as its specification spells it"
        );
    }

    #[test]
    fn signatures_live_under_the_digest_as_a_tag() {
        assert_eq!(
            signature_tag(DIGEST),
            "sha256-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.sig"
        );
        assert_eq!(
            format!("{}.sig", referrers_tag(DIGEST)),
            signature_tag(DIGEST)
        );
    }

    #[test]
    fn the_expected_payload_is_the_one_cosign_signs_byte_for_byte() {
        // PAYLOAD is what `cosign sign --key` writes for the image (no annotations).
        let expected = expected_payloads("ghcr.io/acme/app", DIGEST);
        assert_eq!(expected.len(), 1);
        let (digest, payload) = &expected[0];
        assert_eq!(payload.as_slice(), PAYLOAD.as_bytes());
        assert_eq!(*digest, crate_digest(PAYLOAD.as_bytes()));
        let key = PublicKey::from_pem(P256_PUBLIC, None).unwrap();
        assert!(key.verifies(payload, SIGNATURE));
        // Docker Hub as go-containerregistry spells it too; both vouch for the image.
        let hub = expected_payloads("docker.io/library/nginx", DIGEST);
        let references: Vec<String> = hub
            .iter()
            .map(|(_, payload)| {
                let payload: Payload = serde_json::from_slice(payload).unwrap();
                payload.critical.identity.docker_reference
            })
            .collect();
        assert_eq!(
            references,
            ["docker.io/library/nginx", "index.docker.io/library/nginx"]
        );
        for (_, payload) in &hub {
            assert_eq!(
                check_payload(payload, DIGEST, "docker.io/library/nginx"),
                Ok(())
            );
        }
    }
}
