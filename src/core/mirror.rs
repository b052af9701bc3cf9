//! `--registry-mirror`: where a name is resolved when a mirror serves its registry; the name
//! written stays the image's own.

use std::fmt;
use std::str::FromStr;

use super::reference::ImageReference;

/// `--registry-mirror SOURCE=TARGET`: resolve names under SOURCE (a registry host, optionally
/// with a path) at TARGET (a host, optionally with a path prefix); the written name stays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mirror {
    source: String,
    target_host: String,
    target_prefix: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid registry mirror `{0}`: expected SOURCE=TARGET, e.g. docker.io=127.0.0.1:5000/docker.io"
)]
pub struct MirrorError(String);

impl FromStr for Mirror {
    type Err = MirrorError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let error = || MirrorError(input.to_string());
        let (source, target) = input.split_once('=').ok_or_else(error)?;
        let source = source.trim_end_matches('/');
        let target = target.trim_end_matches('/');
        if source.is_empty() || target.is_empty() || target.contains("://") {
            return Err(error());
        }
        let source = match source {
            "index.docker.io" | "registry-1.docker.io" => "docker.io",
            other => other,
        };
        let (target_host, target_prefix) = match target.split_once('/') {
            Some((host, prefix)) => (host, Some(prefix.to_string())),
            None => (target, None),
        };
        Ok(Mirror {
            source: source.to_string(),
            target_host: target_host.to_string(),
            target_prefix,
        })
    }
}

impl fmt::Display for Mirror {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.source, self.target_host)?;
        if let Some(prefix) = &self.target_prefix {
            write!(f, "/{prefix}")?;
        }
        Ok(())
    }
}

/// The host and repository where a name is resolved, after mirrors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub host: String,
    pub repository: String,
}

/// Where `reference` is looked up: the longest matching mirror, or its own registry.
pub fn locate(reference: &ImageReference, mirrors: &[Mirror]) -> Location {
    let name = reference.name();
    let mirror = mirrors
        .iter()
        .filter(|m| name == m.source || name.starts_with(&format!("{}/", m.source)))
        .max_by_key(|m| m.source.len());
    match mirror {
        None => Location {
            host: reference.domain().to_string(),
            repository: reference.path().to_string(),
        },
        Some(mirror) => {
            let rest = name[mirror.source.len()..].trim_start_matches('/');
            let repository = match (&mirror.target_prefix, rest.is_empty()) {
                (Some(prefix), false) => format!("{prefix}/{rest}"),
                (Some(prefix), true) => prefix.clone(),
                (None, _) => rest.to_string(),
            };
            Location {
                host: mirror.target_host.clone(),
                repository,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(s: &str) -> ImageReference {
        ImageReference::parse(s).unwrap()
    }

    #[test]
    fn mirrors_keep_the_path_under_their_prefix() {
        let mirrors: Vec<Mirror> = [
            "docker.io=127.0.0.1:5000/docker.io",
            "quay.io/prometheus=mirror.local",
        ]
        .iter()
        .map(|m| m.parse().unwrap())
        .collect();
        assert_eq!(
            locate(&reference("nginx:1"), &mirrors),
            Location {
                host: "127.0.0.1:5000".into(),
                repository: "docker.io/library/nginx".into()
            }
        );
        assert_eq!(
            locate(&reference("quay.io/prometheus/prometheus:v3"), &mirrors),
            Location {
                host: "mirror.local".into(),
                repository: "prometheus".into()
            }
        );
        assert_eq!(
            locate(&reference("quay.io/prometheusx/a:1"), &mirrors).host,
            "quay.io"
        );
    }

    #[test]
    fn refuses_malformed_mirrors() {
        for bad in ["docker.io", "=x", "docker.io=", "docker.io=https://x"] {
            assert!(bad.parse::<Mirror>().is_err(), "{bad}");
        }
        let mirror: Mirror = "index.docker.io=m:5000/hub/".parse().unwrap();
        assert_eq!(mirror.to_string(), "docker.io=m:5000/hub");
    }
}
