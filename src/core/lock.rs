//! The lock file: image reference -> digest, sorted and stable so a review shows only what moved.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::problem::{Located, Position};
use super::reference::{Digest, ImageReference};
use super::signature::{PayloadMismatch, PublicKey, Signature, judge};

/// Format version written into a lock file that records signatures: each record holds the
/// signature itself, verified again on every offline run. A lock file without signatures is
/// written as version 1 (what it holds has not changed), so older versions still read it.
const LOCK_VERSION: u32 = 2;

/// The version of a lock file that records no signatures, or only version 1's records (a rule
/// and a key path, which nothing can check offline: refused).
const IMAGES_ONLY_VERSION: u32 = 1;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockFile {
    /// As read; [`LockFile::render`] writes the version what it holds needs.
    version: u32,
    /// The `--platform` the digests were resolved for; none means the tag's own manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// Canonical reference (`docker.io/library/nginx:1.27`) -> digest. A lock is an input a
    /// pull request can edit: a digest out of the grammar does not parse.
    pub images: BTreeMap<String, Digest>,
    /// `name@digest` -> the signature that verified it and the rule and key of the signature
    /// policy that asked for it (`signaturePolicy`). Absent from lock files written without a
    /// policy, which read as ever.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub signatures: BTreeMap<String, SignatureRecord>,
}

/// The signature that verified a digest, as the lock file keeps it: enough to verify it again
/// offline, with no registry, against the key the policy names then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SignatureRecord {
    /// The rule that asked for a key, as written (for the reader and `--report json`).
    pub rule: String,
    /// The key's label: its path as the policy wrote it (for the reader).
    pub key: String,
    /// The sha256 of the key's SubjectPublicKeyInfo: a key file replaced under the same path
    /// (a rotated key) no longer matches.
    pub key_digest: String,
    /// The signature and the bytes it signs.
    pub signed: Signature,
}

/// Why a lock file's signature record does not stand for a digest's signatures.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordMismatch {
    #[error("it was made with another key ({recorded}; this one is {current})")]
    OtherKey { recorded: String, current: String },
    #[error("its signature is not the key's")]
    NotSigned,
    #[error("its payload {0}")]
    Payload(PayloadMismatch),
}

impl SignatureRecord {
    /// The record of `signed`, which `key` verified for the digest, asked for by `rule`.
    pub fn new(rule: &str, key: &PublicKey, signed: Signature) -> Self {
        SignatureRecord {
            rule: rule.to_string(),
            key: key.label.clone(),
            key_digest: key.spki_digest(),
            signed,
        }
    }

    /// Checks the record again, as the signature was checked when it was made: made with `key`
    /// (by its SubjectPublicKeyInfo), its signature `key`'s, and what it signs vouching for
    /// `digest` of repository `name`.
    pub fn verify(&self, key: &PublicKey, digest: &str, name: &str) -> Result<(), RecordMismatch> {
        let current = key.spki_digest();
        if self.key_digest != current {
            return Err(RecordMismatch::OtherKey {
                recorded: self.key_digest.clone(),
                current,
            });
        }
        match judge(key, std::slice::from_ref(&self.signed), digest, name) {
            Ok(_) => Ok(()),
            Err(unverified) => Err(unverified
                .mismatches
                .into_iter()
                .next()
                .map_or(RecordMismatch::NotSigned, RecordMismatch::Payload)),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Not JSON, or not the lock's shape.
    #[error("not a kubectl-immutable lock file: {}", without_position(.0))]
    Malformed(serde_json::Error),
    /// The lock's shape with a value out of place: an invalid digest.
    #[error("{}", without_position(.0))]
    Invalid(serde_json::Error),
    #[error(
        "lock file version {0} is not supported (this version reads {IMAGES_ONLY_VERSION} and {LOCK_VERSION})"
    )]
    Version(u32),
    #[error(
        "lock file version 1 records signatures by rule and key only, which cannot be checked \
         offline: run pin --lock without --offline once to record the signatures themselves"
    )]
    UncheckableSignatures,
}

impl From<serde_json::Error> for LockError {
    fn from(error: serde_json::Error) -> Self {
        match error.classify() {
            serde_json::error::Category::Data => LockError::Invalid(error),
            _ => LockError::Malformed(error),
        }
    }
}

impl Located for LockError {
    fn position(&self) -> Option<Position> {
        match self {
            LockError::Malformed(error) | LockError::Invalid(error) if error.line() > 0 => {
                Some(Position::at(error.line(), error.column()))
            }
            _ => None,
        }
    }
}

/// serde_json's message without the ` at line L column C` it ends with: the place is said
/// where the file is named.
fn without_position(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let place = format!(" at line {} column {}", error.line(), error.column());
    text.strip_suffix(&place).unwrap_or(&text).to_string()
}

impl LockFile {
    pub fn new(platform: Option<String>) -> Self {
        LockFile {
            version: IMAGES_ONLY_VERSION,
            platform,
            images: BTreeMap::new(),
            signatures: BTreeMap::new(),
        }
    }

    pub fn parse(text: &str) -> Result<Self, LockError> {
        #[derive(Deserialize)]
        struct Versioned {
            version: u32,
            #[serde(default)]
            signatures: Option<serde::de::IgnoredAny>,
        }
        // The version first: a version 1 record would not read as today's.
        let versioned: Versioned = serde_json::from_str(text)?;
        match (versioned.version, versioned.signatures) {
            (IMAGES_ONLY_VERSION, Some(_)) => return Err(LockError::UncheckableSignatures),
            (IMAGES_ONLY_VERSION | LOCK_VERSION, _) => {}
            (other, _) => return Err(LockError::Version(other)),
        }
        let lock: LockFile = serde_json::from_str(text)?;
        Ok(lock)
    }

    /// Pretty JSON with sorted keys and a final newline: the same content always gives the same
    /// bytes. The version is the oldest that holds what is recorded.
    pub fn render(&self) -> String {
        let version = if self.signatures.is_empty() {
            IMAGES_ONLY_VERSION
        } else {
            LOCK_VERSION
        };
        let versioned = LockFile {
            version,
            ..self.clone()
        };
        let mut text = serde_json::to_string_pretty(&versioned).expect("a lock file serialises");
        text.push('\n');
        text
    }
}

/// The key a reference is resolved and locked under.
pub fn lock_key(reference: &ImageReference) -> String {
    let canonical = reference.canonical();
    match reference.digest() {
        // tag@digest: the tag is what gets resolved.
        Some(digest) => canonical
            .strip_suffix(&format!("@{digest}"))
            .unwrap_or(&canonical)
            .to_string(),
        None => canonical,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_the_tag_of_a_tag_and_digest_reference() {
        let digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        let reference = ImageReference::parse(&format!("nginx:1.27@{digest}")).unwrap();
        assert_eq!(lock_key(&reference), "docker.io/library/nginx:1.27");
        let bare = ImageReference::parse("quay.io/a/b").unwrap();
        assert_eq!(lock_key(&bare), "quay.io/a/b:latest");
    }

    const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn renders_sorted_and_parses_back() {
        let mut lock = LockFile::new(Some("linux/arm64".into()));
        let digest = Digest::parse(DIGEST).unwrap();
        lock.images.insert("quay.io/b:1".into(), digest.clone());
        lock.images.insert("docker.io/library/a:1".into(), digest);
        let text = lock.render();
        assert!(text.find("docker.io/library/a:1").unwrap() < text.find("quay.io/b:1").unwrap());
        assert!(text.ends_with("}\n"));
        assert_eq!(LockFile::parse(&text).unwrap(), lock);
    }

    #[test]
    fn refuses_bad_digests_and_versions() {
        let bad_digest = "{\"version\":1,\n\"images\":{\"a:1\":\"sha256:12\"}}";
        let error = LockFile::parse(bad_digest).unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid digest \"sha256:12\": sha256 needs 64 hex digits"
        );
        assert_eq!(
            error.position(),
            Some(Position::at(2, 27)),
            "just past the string"
        );
        // A value shown in a message is escaped: the file may hold anything.
        let control = r#"{"version":1,"images":{"a:1":"sha256:\u001b[2J"}}"#;
        let error = LockFile::parse(control).unwrap_err().to_string();
        assert_eq!(
            error,
            r#"invalid digest "sha256:\u{1b}[2J": unexpected "\u{1b}" at character 8"#
        );
        let future = r#"{"version":3,"images":{}}"#;
        assert!(matches!(
            LockFile::parse(future),
            Err(LockError::Version(3))
        ));
        assert!(LockFile::parse("nonsense").is_err());
    }

    // A P-256 key, another, and the first's signature of a simple-signing payload of DIGEST in
    // ghcr.io/acme/app.
    use crate::core::signature::tests::{
        OTHER_P256_PUBLIC as OTHER_KEY, P256_PUBLIC as KEY, PAYLOAD, SIGNATURE,
    };

    fn record(key: &PublicKey) -> SignatureRecord {
        let signed = Signature::SimpleSigning {
            payload: PAYLOAD.as_bytes().to_vec(),
            signature: SIGNATURE.into(),
        };
        SignatureRecord::new("ghcr.io/acme/*", key, signed)
    }

    #[test]
    fn records_signatures_only_where_there_are_some_and_reads_old_files() {
        let old = format!(
            "{{\n  \"version\": 1,\n  \"images\": {{\n    \"quay.io/b:1\": \"{DIGEST}\"\n  }}\n}}\n"
        );
        let lock = LockFile::parse(&old).unwrap();
        assert!(lock.signatures.is_empty());
        assert_eq!(
            lock.render(),
            old,
            "a lock without signatures is written as before"
        );
        let mut signed = lock.clone();
        let key = PublicKey::from_pem(KEY, Some("acme.pub")).unwrap();
        signed
            .signatures
            .insert(format!("ghcr.io/acme/app@{DIGEST}"), record(&key));
        let text = signed.render();
        assert!(text.starts_with("{\n  \"version\": 2,\n"), "{text}");
        assert!(text.contains("\"signatures\": {"), "{text}");
        assert!(text.contains("\"rule\": \"ghcr.io/acme/*\""), "{text}");
        assert!(text.contains("\"simpleSigning\": {"), "{text}");
        let parsed = LockFile::parse(&text).unwrap();
        assert_eq!(parsed.signatures, signed.signatures);
        assert_eq!(parsed.render(), text);
    }

    #[test]
    fn a_version_1_record_cannot_be_checked_and_is_refused() {
        let old = format!(
            r#"{{"version":1,"images":{{}},"signatures":{{"ghcr.io/acme/app@{DIGEST}":{{"rule":"ghcr.io/acme/*","key":"acme.pub"}}}}}}"#
        );
        assert_eq!(
            LockFile::parse(&old).unwrap_err().to_string(),
            "lock file version 1 records signatures by rule and key only, which cannot be checked \
             offline: run pin --lock without --offline once to record the signatures themselves"
        );
    }

    #[test]
    fn a_record_verifies_only_with_its_key_for_its_digest_and_repository() {
        let key = PublicKey::from_pem(KEY, Some("acme.pub")).unwrap();
        let name = "ghcr.io/acme/app";
        assert_eq!(record(&key).verify(&key, DIGEST, name), Ok(()));
        // Another key under the same label (a rotated key file): refused by its SPKI digest.
        let rotated = PublicKey::from_pem(OTHER_KEY, Some("acme.pub")).unwrap();
        assert!(matches!(
            record(&key).verify(&rotated, DIGEST, name),
            Err(RecordMismatch::OtherKey { .. })
        ));
        // A record claiming the rotated key's digest still needs its signature to be that key's.
        let claimed = record(&rotated);
        assert_eq!(
            claimed.verify(&rotated, DIGEST, name),
            Err(RecordMismatch::NotSigned)
        );
        let other = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
        assert_eq!(
            record(&key).verify(&key, other, name),
            Err(RecordMismatch::Payload(PayloadMismatch::OtherDigest(
                DIGEST.into()
            )))
        );
        assert_eq!(
            record(&key).verify(&key, DIGEST, "ghcr.io/acme/web"),
            Err(RecordMismatch::Payload(PayloadMismatch::OtherRepository(
                name.into()
            )))
        );
    }
}
