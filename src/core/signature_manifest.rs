//! What a registry answers about an image's signatures, read: the layers of cosign's `.sig`
//! manifest and the referrers a referrers index lists. Every digest in them is parsed, and
//! their number bounded: each signature costs a request, and the registry decides how many it
//! lists.

use std::collections::HashMap;

use super::reference::Digest;

/// The most signatures of one image looked at: cosign's limit (GHSA-95pr-fxf5-86gv,
/// GHSA-88jx-383q-w4qc).
pub const MAX_SIGNATURES: usize = 1000;

/// Why an answer about signatures is not used.
#[derive(Debug, thiserror::Error)]
pub enum SignatureAnswerError {
    /// Not JSON of the expected shape, or a digest out of the grammar.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    #[error(
        "lists {count} signatures of the image, more than the {MAX_SIGNATURES} this tool checks"
    )]
    TooMany { count: usize },
}

/// The parts of a signature manifest read: its layers, each a payload with its signature.
#[derive(Debug, serde::Deserialize)]
pub struct SignatureManifest {
    #[serde(default)]
    pub layers: Vec<Descriptor>,
}

/// The parts of a referrers index read: its manifests.
#[derive(Debug, serde::Deserialize)]
pub struct ReferrersIndex {
    #[serde(default)]
    pub manifests: Vec<Descriptor>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    pub digest: Digest,
    pub size: u64,
    #[serde(default)]
    pub artifact_type: Option<String>,
    #[serde(default)]
    pub annotations: HashMap<String, String>,
}

impl SignatureManifest {
    pub fn parse(body: &[u8]) -> Result<Self, SignatureAnswerError> {
        let manifest: SignatureManifest = serde_json::from_slice(body)?;
        at_most_signatures(manifest.layers.len())?;
        Ok(manifest)
    }
}

impl ReferrersIndex {
    pub fn parse(body: &[u8]) -> Result<Self, SignatureAnswerError> {
        let index: ReferrersIndex = serde_json::from_slice(body)?;
        at_most_signatures(index.manifests.len())?;
        Ok(index)
    }
}

fn at_most_signatures(count: usize) -> Result<(), SignatureAnswerError> {
    if count > MAX_SIGNATURES {
        return Err(SignatureAnswerError::TooMany { count });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layers(count: usize, digest: &str) -> String {
        let layer = format!(r#"{{"digest":"{digest}","size":1}}"#);
        format!(r#"{{"layers":[{}]}}"#, vec![layer; count].join(","))
    }

    #[test]
    fn reads_at_most_a_thousand_signatures_each_with_a_digest() {
        let digest = format!("sha256:{}", "a".repeat(64));
        let manifest = SignatureManifest::parse(layers(1000, &digest).as_bytes()).unwrap();
        assert_eq!(manifest.layers.len(), 1000);
        assert_eq!(manifest.layers[0].digest.as_str(), digest);
        let error = SignatureManifest::parse(layers(1001, &digest).as_bytes()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "lists 1001 signatures of the image, more than the 1000 this tool checks"
        );
        let index = format!(
            r#"{{"manifests":{}}}"#,
            &layers(1001, &digest)[10..layers(1001, &digest).len() - 1]
        );
        assert!(matches!(
            ReferrersIndex::parse(index.as_bytes()),
            Err(SignatureAnswerError::TooMany { count: 1001 })
        ));
        let error = SignatureManifest::parse(layers(1, "sha256:../../x").as_bytes()).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with(r#"invalid digest "sha256:../../x""#),
            "{error}"
        );
    }
}
