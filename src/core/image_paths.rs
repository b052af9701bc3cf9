//! Where image references live in Kubernetes objects: `KIND:dotted.path` rules.
//!
//! Built-in rules cover the pod-bearing workloads and the common custom resources whose image
//! fields are well known; users add more with `--image-path` or the config file.

use std::fmt;
use std::str::FromStr;

/// One step of an image path: a mapping key, or every element of a sequence (`[]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    /// Every key that starts with the prefix, written `prefix*` (`*`: every key).
    AnyKey(String),
    EachItem,
}

impl Segment {
    /// Whether a mapping key takes this step.
    pub fn matches_key(&self, key: &str) -> bool {
        match self {
            Segment::Key(k) => k == key,
            Segment::AnyKey(prefix) => key.starts_with(prefix.as_str()),
            Segment::EachItem => false,
        }
    }
}

/// What the mapping holding the value must (not) hold for the rule to apply; set by the rules
/// built in for Compose files, not written in `KIND:path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// No key of this name beside the value (a Compose service with `build:` names what it builds).
    Without(String),
    /// This key beside the value with this scalar value (a Compose volume of `type: image`).
    With(String, String),
}

/// `KIND:dotted.path`, e.g. `Prometheus:spec.image` or
/// `Rollout:spec.template.spec.containers[].image`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImagePath {
    /// The object's `kind`; `*` matches every kind.
    pub kind: String,
    pub segments: Vec<Segment>,
    pub condition: Option<Condition>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid image path `{input}`: {reason} (expected KIND:dotted.path, e.g. Prometheus:spec.image)"
)]
pub struct ImagePathError {
    pub input: String,
    pub reason: &'static str,
}

impl ImagePath {
    pub fn matches_kind(&self, kind: &str) -> bool {
        self.kind == "*" || self.kind == kind
    }
}

impl FromStr for ImagePath {
    type Err = ImagePathError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let error = |reason| ImagePathError {
            input: input.to_string(),
            reason,
        };
        let (kind, path) = input.split_once(':').ok_or_else(|| error("missing `:`"))?;
        if kind.is_empty() || kind.contains(char::is_whitespace) {
            return Err(error("empty or blank kind"));
        }
        let mut segments = Vec::new();
        for part in path.split('.') {
            let (key, each) = match part.strip_suffix("[]") {
                Some(key) => (key, true),
                None => (part, false),
            };
            if key.is_empty() || key.contains(['[', ']', ' ']) {
                return Err(error("empty or malformed path segment"));
            }
            match key.strip_suffix('*') {
                Some(prefix) if !prefix.contains('*') => {
                    segments.push(Segment::AnyKey(prefix.to_string()))
                }
                _ if key.contains('*') => return Err(error("`*` only ends a path segment")),
                _ => segments.push(Segment::Key(key.to_string())),
            }
            if each {
                segments.push(Segment::EachItem);
            }
        }
        Ok(ImagePath {
            kind: kind.to_string(),
            segments,
            condition: None,
        })
    }
}

impl fmt::Display for ImagePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.kind)?;
        for (index, segment) in self.segments.iter().enumerate() {
            match segment {
                Segment::Key(key) if index == 0 => write!(f, "{key}")?,
                Segment::Key(key) => write!(f, ".{key}")?,
                Segment::AnyKey(prefix) if index == 0 => write!(f, "{prefix}*")?,
                Segment::AnyKey(prefix) => write!(f, ".{prefix}*")?,
                Segment::EachItem => write!(f, "[]")?,
            }
        }
        Ok(())
    }
}

const CONTAINER_LISTS: [&str; 3] = ["containers", "initContainers", "ephemeralContainers"];

/// Kinds whose pod spec sits at the given prefix.
const POD_SPEC_PREFIXES: [(&str, &str); 10] = [
    ("Pod", "spec"),
    ("PodTemplate", "template.spec"),
    ("ReplicationController", "spec.template.spec"),
    ("ReplicaSet", "spec.template.spec"),
    ("Deployment", "spec.template.spec"),
    ("StatefulSet", "spec.template.spec"),
    ("DaemonSet", "spec.template.spec"),
    ("Job", "spec.template.spec"),
    ("CronJob", "spec.jobTemplate.spec.template.spec"),
    // Argo Rollouts
    ("Rollout", "spec.template.spec"),
];

/// Custom resources of prometheus-operator that carry images directly in their spec.
const PROMETHEUS_OPERATOR_KINDS: [&str; 4] = [
    "Prometheus",
    "PrometheusAgent",
    "Alertmanager",
    "ThanosRuler",
];

/// The rules applied when the user names none of their own (theirs are added to these).
pub fn builtin_image_paths() -> Vec<ImagePath> {
    let mut rules = Vec::new();
    for (kind, prefix) in POD_SPEC_PREFIXES {
        for list in CONTAINER_LISTS {
            rules.push(format!("{kind}:{prefix}.{list}[].image"));
        }
    }
    for kind in PROMETHEUS_OPERATOR_KINDS {
        rules.push(format!("{kind}:spec.image"));
        rules.push(format!("{kind}:spec.containers[].image"));
        rules.push(format!("{kind}:spec.initContainers[].image"));
    }
    rules.push("Prometheus:spec.thanos.image".to_string());
    rules
        .iter()
        .map(|rule| rule.parse().expect("built-in image paths are valid"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_displays_a_path_with_list_steps() {
        let path: ImagePath = "Rollout:spec.template.spec.containers[].image"
            .parse()
            .unwrap();
        assert_eq!(path.kind, "Rollout");
        assert_eq!(
            path.segments,
            vec![
                Segment::Key("spec".into()),
                Segment::Key("template".into()),
                Segment::Key("spec".into()),
                Segment::Key("containers".into()),
                Segment::EachItem,
                Segment::Key("image".into()),
            ]
        );
        assert_eq!(
            path.to_string(),
            "Rollout:spec.template.spec.containers[].image"
        );
    }

    #[test]
    fn a_star_ends_a_segment_and_matches_keys_by_prefix() {
        let path: ImagePath = "*:services.*.image".parse().unwrap();
        assert_eq!(path.segments[1], Segment::AnyKey(String::new()));
        assert_eq!(path.to_string(), "*:services.*.image");
        let x: ImagePath = "*:x-*.image".parse().unwrap();
        assert!(x.segments[0].matches_key("x-common"));
        assert!(!x.segments[0].matches_key("services"));
        assert!("*:a*b.image".parse::<ImagePath>().is_err());
    }

    #[test]
    fn refuses_malformed_paths() {
        for bad in [
            "spec.image",
            ":spec.image",
            "Pod:",
            "Pod:spec..image",
            "Pod:spec.con[tainers.image",
        ] {
            assert!(bad.parse::<ImagePath>().is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn builtins_cover_workloads_and_prometheus_operator() {
        let rules: Vec<String> = builtin_image_paths()
            .iter()
            .map(|r| r.to_string())
            .collect();
        for expected in [
            "Deployment:spec.template.spec.containers[].image",
            "CronJob:spec.jobTemplate.spec.template.spec.initContainers[].image",
            "Pod:spec.ephemeralContainers[].image",
            "Prometheus:spec.image",
            "Alertmanager:spec.image",
        ] {
            assert!(rules.contains(&expected.to_string()), "missing {expected}");
        }
    }
}
