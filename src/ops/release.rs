//! Preparing a release: the objects `apply` sends and `diff -f` compares, pinned in memory, each
//! with the annotation naming its images as written. The one place both commands get them.

use std::collections::BTreeMap;

use serde_json::Value;

use super::Reporter;
use super::resolve::{PinnedTags, ResolveSettings, read_and_find};
use super::signatures::{refused_problems, resolve_and_check};
use super::sources;
use crate::adapters::cluster::Resource;
use crate::adapters::registry::RegistryClient;
use crate::core::containers::container_images;
use crate::core::image_paths::ImagePath;
use crate::core::manifest::{ObjectKey, parse_documents, parse_objects};
use crate::core::problem::{Position, Problem, Problems};
use crate::core::signature::SignaturePolicy;

/// The annotation recording the image references as written before pinning, so `diff` and
/// `history` can show `nginx:1.27 -> sha256:…`.
pub const ORIGINAL_IMAGES: &str = "kubectl-immutable/original-images";

/// Whether images are pinned before the objects are sent or compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pinning {
    /// Resolved and pinned in memory, as `apply` sends them.
    Pin,
    /// As written (`diff -f --no-pin`).
    AsWritten,
}

/// One object of the release, in input order.
#[derive(Debug, Clone)]
pub struct ReleaseObject {
    /// The source it came from, for messages.
    pub source: String,
    /// The line its document starts on in that source (as written, before pinning); none for
    /// an object made from the cluster's own (a rollback).
    pub line: Option<usize>,
    pub object: Value,
    /// Its API resource and identity, once discovery knows its kind.
    pub target: Option<(Resource, ObjectKey)>,
}

impl ReleaseObject {
    pub fn kind(&self) -> &str {
        self.object["kind"].as_str().unwrap_or_default()
    }

    /// Namespaces and CRDs go first: the rest cannot even be checked without them.
    pub fn is_foundation(&self) -> bool {
        let api_version = self.object["apiVersion"].as_str().unwrap_or_default();
        (self.kind() == "Namespace" && api_version == "v1")
            || (self.kind() == "CustomResourceDefinition"
                && api_version.starts_with("apiextensions.k8s.io/"))
    }

    /// `deployment.apps/web`, as kubectl names objects in its output.
    pub fn name(&self) -> String {
        match &self.target {
            Some((_, key)) => kubectl_name(key),
            None => format!(
                "{}/{}",
                self.kind().to_ascii_lowercase(),
                self.object["metadata"]["name"].as_str().unwrap_or_default()
            ),
        }
    }

    /// A problem of this object: `FILE:LINE: kind/name: message`.
    pub fn problem(&self, message: impl std::fmt::Display) -> Problem {
        self.at(format_args!("{}: {message}", self.name()))
    }

    /// A problem at the line this object starts on: `FILE:LINE: message`.
    pub fn at(&self, message: impl std::fmt::Display) -> Problem {
        Problem::at(&self.source, self.line.map(Position::line), message)
    }

    /// Where it is written, as a problem line names it: `FILE:LINE`.
    pub fn place(&self) -> String {
        self.at("").place()
    }
}

/// `deployment.apps/web`, as kubectl names objects in its output.
pub fn kubectl_name(key: &ObjectKey) -> String {
    let kind = key.kind.to_ascii_lowercase();
    if key.group.is_empty() {
        format!("{kind}/{}", key.name)
    } else {
        format!("{kind}.{}/{}", key.group, key.name)
    }
}

/// Every object of the sources `settings` names, pinned (unless `AsWritten`) and annotated;
/// with a signature `policy`, only if it accepts every digest pinned.
pub async fn prepare(
    settings: &ResolveSettings,
    client: &RegistryClient,
    pinning: Pinning,
    policy: Option<&SignaturePolicy>,
    reporter: &dyn Reporter,
) -> anyhow::Result<Vec<ReleaseObject>> {
    let mut problems = Vec::new();
    let mut release = Vec::new();
    if pinning == Pinning::AsWritten {
        for source in sources::read(&settings.filenames, settings.recursive, settings.links)? {
            for parsed in sources::documents(&source, &mut problems).unwrap_or_default() {
                release.push(ReleaseObject {
                    source: source.name.clone(),
                    line: Some(parsed.line),
                    object: parsed.object,
                    target: None,
                });
            }
        }
        return Ok(Problems::or(problems, release)?);
    }
    let found = read_and_find(settings)?;
    let pinned_tags = PinnedTags::Leave;
    let checked = resolve_and_check(settings, client, found, pinned_tags, policy, reporter);
    let (resolution, signatures) = checked.await?;
    signatures.map_err(|refused| refused_problems(&resolution, refused))?;
    let sources = &resolution.found.sources;
    for (source, pinned) in sources.iter().zip(resolution.texts()) {
        match (parse_objects(pinned), parse_documents(&source.text)) {
            (Ok(objects), Ok(originals)) => {
                for (mut object, original) in objects.into_iter().zip(originals) {
                    record_original_images(&mut object, &original.object, &settings.rules);
                    release.push(ReleaseObject {
                        source: source.name.clone(),
                        line: Some(original.line),
                        object,
                        target: None,
                    });
                }
            }
            (Err(error), _) | (_, Err(error)) => {
                problems.push(Problem::located(&source.name, &error))
            }
        }
    }
    Ok(Problems::or(problems, release)?)
}

/// Adds the annotation naming each container's image as written, where pinning changed it.
fn record_original_images(object: &mut Value, original: &Value, rules: &[ImagePath]) {
    let before = container_images(original, rules);
    let after = container_images(object, rules);
    let changed: BTreeMap<&String, &String> = before
        .iter()
        .filter(|(container, image)| after.get(*container) != Some(image))
        .collect();
    if changed.is_empty() {
        return;
    }
    let value = serde_json::to_string(&changed).expect("a map serialises");
    let metadata = object.as_object_mut().map(|o| {
        o.entry("metadata")
            .or_insert_with(|| Value::Object(Default::default()))
    });
    if let Some(Value::Object(metadata)) = metadata {
        let annotations = metadata
            .entry("annotations")
            .or_insert_with(|| Value::Object(Default::default()));
        if let Value::Object(annotations) = annotations {
            annotations.insert(ORIGINAL_IMAGES.to_string(), Value::String(value));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::image_paths::builtin_image_paths;
    use serde_json::json;

    #[test]
    fn records_the_images_pinning_changed() {
        let pod = |web: &str| {
            json!({"kind": "Pod", "metadata": {"name": "p"},
                   "spec": {"containers": [{"name": "web", "image": web}, {"name": "db", "image": "db@sha256:1"}]}})
        };
        let original = pod("nginx:1.27");
        let mut pinned = pod("nginx:1.27@sha256:abc");
        record_original_images(&mut pinned, &original, &builtin_image_paths());
        assert_eq!(
            pinned["metadata"]["annotations"][ORIGINAL_IMAGES],
            r#"{"web":"nginx:1.27"}"#
        );
        let mut untouched = original.clone();
        record_original_images(&mut untouched, &original, &builtin_image_paths());
        assert!(untouched["metadata"].get("annotations").is_none());
    }
}
