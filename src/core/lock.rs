//! The lock file: image reference -> digest, sorted and stable so a review shows only what moved.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::problem::{Located, Position};
use super::reference::{Digest, ImageReference};

/// Format version written into every lock file; a different one is refused.
const LOCK_VERSION: u32 = 1;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockFile {
    version: u32,
    /// The `--platform` the digests were resolved for; none means the tag's own manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// Canonical reference (`docker.io/library/nginx:1.27`) -> digest. A lock is an input a
    /// pull request can edit: a digest out of the grammar does not parse.
    pub images: BTreeMap<String, Digest>,
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
    /// Not JSON, or not the lock's shape.
    #[error("not a kubectl-immutable lock file: {}", without_position(.0))]
    Malformed(serde_json::Error),
    /// The lock's shape with a value out of place: an invalid digest.
    #[error("{}", without_position(.0))]
    Invalid(serde_json::Error),
    #[error("lock file version {0} is not supported (this version reads {LOCK_VERSION})")]
    Version(u32),
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
