//! The lock file: image reference -> digest, sorted and stable so a review shows only what moved.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::reference::{ImageReference, is_valid_digest};

/// Format version written into every lock file; a different one is refused.
const LOCK_VERSION: u32 = 1;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockFile {
    version: u32,
    /// The `--platform` the digests were resolved for; none means the tag's own manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// Canonical reference (`docker.io/library/nginx:1.27`) -> digest.
    pub images: BTreeMap<String, String>,
    /// `name@digest` -> the signature policy's rule and key that verified it (`signaturePolicy`).
    /// Absent from lock files written without a policy, and from older ones, which read as ever.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub signatures: BTreeMap<String, SignatureRecord>,
}

/// Which rule of the signature policy and which of its keys verified a digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureRecord {
    pub rule: String,
    pub key: String,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("not a kubectl-immutable lock file: {0}")]
    Malformed(#[from] serde_json::Error),
    #[error("lock file version {0} is not supported (this version reads {LOCK_VERSION})")]
    Version(u32),
    #[error("invalid digest `{digest}` for {reference}")]
    Digest { reference: String, digest: String },
}

impl LockFile {
    pub fn new(platform: Option<String>) -> Self {
        LockFile {
            version: LOCK_VERSION,
            platform,
            images: BTreeMap::new(),
            signatures: BTreeMap::new(),
        }
    }

    pub fn parse(text: &str) -> Result<Self, LockError> {
        let lock: LockFile = serde_json::from_str(text)?;
        if lock.version != LOCK_VERSION {
            return Err(LockError::Version(lock.version));
        }
        if let Some((reference, digest)) = lock.images.iter().find(|(_, d)| !is_valid_digest(d)) {
            return Err(LockError::Digest {
                reference: reference.clone(),
                digest: digest.clone(),
            });
        }
        Ok(lock)
    }

    /// Pretty JSON with sorted keys and a final newline: the same content always gives the same bytes.
    pub fn render(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a lock file serialises");
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
        lock.images.insert("quay.io/b:1".into(), DIGEST.into());
        lock.images
            .insert("docker.io/library/a:1".into(), DIGEST.into());
        let text = lock.render();
        assert!(text.find("docker.io/library/a:1").unwrap() < text.find("quay.io/b:1").unwrap());
        assert!(text.ends_with("}\n"));
        assert_eq!(LockFile::parse(&text).unwrap(), lock);
    }

    #[test]
    fn refuses_bad_digests_and_versions() {
        let bad_digest = r#"{"version":1,"images":{"a:1":"sha256:12"}}"#;
        assert_eq!(
            LockFile::parse(bad_digest).unwrap_err().to_string(),
            "invalid digest `sha256:12` for a:1"
        );
        let future = r#"{"version":2,"images":{}}"#;
        assert!(matches!(
            LockFile::parse(future),
            Err(LockError::Version(2))
        ));
        assert!(LockFile::parse("nonsense").is_err());
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
        signed.signatures.insert(
            format!("quay.io/b@{DIGEST}"),
            SignatureRecord {
                rule: "quay.io/*".into(),
                key: "acme.pub".into(),
            },
        );
        let text = signed.render();
        assert!(text.contains("\"signatures\": {"), "{text}");
        assert!(text.contains("\"rule\": \"quay.io/*\""), "{text}");
        assert_eq!(LockFile::parse(&text).unwrap(), signed);
    }
}
