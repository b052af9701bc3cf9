//! `os/arch[/variant]` platforms and how an image index entry matches one, normalised as
//! containerd does (`aarch64` is `arm64`, whose default variant is `v8`; `arm` defaults to `v7`).

use std::fmt;
use std::str::FromStr;

use super::reference::{Digest, DigestError};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid platform `{0}`: expected os/arch[/variant], e.g. linux/arm64")]
pub struct PlatformError(pub String);

impl FromStr for Platform {
    type Err = PlatformError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = input.split('/').collect();
        let valid = |part: &&str| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        };
        if !(2..=3).contains(&parts.len()) || !parts.iter().all(valid) {
            return Err(PlatformError(input.to_string()));
        }
        Ok(Platform::new(parts[0], parts[1], parts.get(2).copied()))
    }
}

impl Platform {
    /// A platform with containerd's normalisation applied.
    pub fn new(os: &str, architecture: &str, variant: Option<&str>) -> Self {
        let os = os.to_ascii_lowercase();
        let (architecture, variant) = match (architecture.to_ascii_lowercase().as_str(), variant) {
            ("aarch64" | "arm64", None | Some("v8" | "8")) => ("arm64", None),
            ("x86_64" | "x86-64" | "amd64", None) => ("amd64", None),
            ("i386" | "386", None) => ("386", None),
            ("armhf" | "arm", None) => ("arm", Some("v7".to_string())),
            ("armel", None) => ("arm", Some("v6".to_string())),
            ("arm", Some(v)) => ("arm", Some(format!("v{}", v.trim_start_matches('v')))),
            (arch, variant) => {
                return Platform {
                    os,
                    architecture: arch.to_string(),
                    variant: variant.map(str::to_string),
                };
            }
        };
        Platform {
            os,
            architecture: architecture.to_string(),
            variant,
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(variant) = &self.variant {
            write!(f, "/{variant}")?;
        }
        Ok(())
    }
}

/// What a manifest says about platforms: an index lists one manifest per platform; an image
/// manifest names the config blob that holds its platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManifestPlatforms {
    Index(Vec<(Platform, Digest)>),
    Image { config_digest: Digest },
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawManifest {
    manifests: Option<Vec<RawDescriptor>>,
    config: Option<RawDescriptor>,
}

#[derive(serde::Deserialize)]
struct RawDescriptor {
    digest: String,
    platform: Option<RawPlatform>,
}

/// The `os`, `architecture` and `variant` of an index entry or an image config.
#[derive(serde::Deserialize)]
pub struct RawPlatform {
    os: String,
    architecture: String,
    variant: Option<String>,
}

impl From<RawPlatform> for Platform {
    fn from(raw: RawPlatform) -> Self {
        Platform::new(&raw.os, &raw.architecture, raw.variant.as_deref())
    }
}

/// Why a manifest body says nothing about platforms.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// A digest out of the grammar: every entry's, chosen or not, as go-containerregistry reads
    /// an index (a registry that sends one such digest is not trusted for the others).
    #[error(transparent)]
    Digest(#[from] DigestError),
}

/// Reads a manifest body (OCI or Docker, index or image).
pub fn manifest_platforms(body: &[u8]) -> Result<ManifestPlatforms, ManifestError> {
    let raw: RawManifest = serde_json::from_slice(body)?;
    if let Some(entries) = raw.manifests {
        let mut platforms = Vec::new();
        for entry in entries {
            let digest = Digest::parse(&entry.digest)?;
            if let Some(platform) = entry.platform {
                platforms.push((platform.into(), digest));
            }
        }
        return Ok(ManifestPlatforms::Index(platforms));
    }
    match raw.config {
        Some(config) => Ok(ManifestPlatforms::Image {
            config_digest: Digest::parse(&config.digest)?,
        }),
        None => Err(ManifestError::Json(serde::de::Error::custom(
            "neither an index nor an image manifest",
        ))),
    }
}

/// Reads the platform of an image config blob.
pub fn config_platform(body: &[u8]) -> Result<Platform, serde_json::Error> {
    serde_json::from_slice::<RawPlatform>(body).map(Platform::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_index_entries_and_image_configs() {
        let [a, b, c] = ['a', 'b', 'c'].map(|hex| format!("sha256:{}", hex.to_string().repeat(64)));
        let index = format!(
            r#"{{"schemaVersion":2,"manifests":[
            {{"digest":"{a}","platform":{{"os":"linux","architecture":"amd64"}}}},
            {{"digest":"{b}","platform":{{"os":"linux","architecture":"arm64","variant":"v8"}}}},
            {{"digest":"{c}"}}]}}"#
        );
        assert_eq!(
            manifest_platforms(index.as_bytes()).unwrap(),
            ManifestPlatforms::Index(vec![
                (platform("linux/amd64"), Digest::parse(&a).unwrap()),
                (platform("linux/arm64"), Digest::parse(&b).unwrap()),
            ])
        );
        let image = format!(r#"{{"schemaVersion":2,"config":{{"digest":"{c}"}},"layers":[]}}"#);
        assert_eq!(
            manifest_platforms(image.as_bytes()).unwrap(),
            ManifestPlatforms::Image {
                config_digest: Digest::parse(&c).unwrap()
            }
        );
        // An entry out of the grammar, even one not chosen, refuses the whole index.
        let forged = index.replace(&c, r#"sha256:1234\",\"x\":\"y"#);
        let error = manifest_platforms(forged.as_bytes()).unwrap_err();
        assert!(matches!(error, ManifestError::Digest(_)), "{error:?}");
        assert_eq!(
            error.to_string(),
            r#"invalid digest "sha256:1234\",\"x\":\"y": unexpected "\"" at character 12"#
        );
        let config = br#"{"os":"linux","architecture":"arm","variant":"v7","rootfs":{}}"#;
        assert_eq!(config_platform(config).unwrap(), platform("linux/arm/v7"));
    }

    fn platform(s: &str) -> Platform {
        s.parse().unwrap()
    }

    #[test]
    fn normalises_like_containerd() {
        assert_eq!(platform("linux/aarch64"), platform("linux/arm64/v8"));
        assert_eq!(platform("linux/arm64").to_string(), "linux/arm64");
        assert_eq!(platform("linux/arm").to_string(), "linux/arm/v7");
        assert_eq!(platform("linux/arm/7").to_string(), "linux/arm/v7");
        assert_eq!(platform("Linux/x86_64").to_string(), "linux/amd64");
    }

    #[test]
    fn equal_only_for_the_same_platform() {
        assert_eq!(
            platform("linux/arm64"),
            Platform::new("linux", "arm64", Some("v8"))
        );
        assert_ne!(
            platform("linux/arm/v6"),
            Platform::new("linux", "arm", None)
        );
        assert_ne!(
            platform("linux/amd64"),
            Platform::new("windows", "amd64", None)
        );
    }

    #[test]
    fn refuses_malformed_platforms() {
        for bad in [
            "linux",
            "linux/",
            "/amd64",
            "linux/amd64/v1/x",
            "linux/am d64",
        ] {
            assert!(bad.parse::<Platform>().is_err(), "{bad}");
        }
    }
}
