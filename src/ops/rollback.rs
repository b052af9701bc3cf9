//! Rolling a workload back to a revision's pod template, every image pinned to the digest that
//! revision ran: a new template (a new revision), where `kubectl rollout undo` re-applies the
//! old template's tags, which may since name other bytes.

use anyhow::anyhow;
use serde_json::{Value, json};

use super::cluster::ClusterApi;
use super::release::{ORIGINAL_IMAGES, ReleaseObject};
use super::revisions::{Loaded, load, revision_pods};
use super::signatures::{self, Written};
use crate::adapters::registry::RegistryClient;
use crate::core::containers::container_images;
use crate::core::image_paths::builtin_image_paths;
use crate::core::manifest::ObjectKey;
use crate::core::problem::{Problem, Problems};
use crate::core::reference::ImageReference;
use crate::core::rollback::pin_template;
use crate::core::rollout::Workload;
use crate::core::signature::SignaturePolicy;

/// What to roll back to.
#[derive(Debug, Clone)]
pub struct RollbackSettings {
    pub workload: Workload,
    /// `--to-revision`; the revision before the current one when `None`.
    pub to_revision: Option<u64>,
    /// Images that may stay as tags when no digest is known for them.
    pub allow_unpinned: Vec<String>,
}

/// What to apply, and what it is.
pub struct Plan {
    /// The workload as stored, its pod template that of the revision rolled back to with every
    /// image pinned.
    pub object: ReleaseObject,
    /// The revision's number.
    pub revision: u64,
    /// The workload's identity, namespace defaulted, for messages.
    pub key: ObjectKey,
    /// The images left as tags, as `--allow-unpinned` let them.
    pub left_unpinned: Vec<String>,
}

/// The rollback of `settings.workload` to apply.
pub async fn plan(cluster: &impl ClusterApi, settings: &RollbackSettings) -> anyhow::Result<Plan> {
    let Loaded {
        key,
        live,
        revisions,
    } = load(cluster, &settings.workload).await?;
    let target = match settings.to_revision {
        Some(number) => revisions
            .iter()
            .find(|revision| revision.number == number)
            .ok_or_else(|| {
                let kept: Vec<String> = revisions.iter().map(|r| r.number.to_string()).collect();
                anyhow!(
                    "{key} has no revision {number} (it has {})",
                    kept.join(", ")
                )
            })?,
        None => match revisions.as_slice() {
            [.., previous, _] => previous,
            [only] => anyhow::bail!(
                "{key} has only revision {}: nothing to roll back to",
                only.number
            ),
            [] => anyhow::bail!("{key} has no rollout revisions"),
        },
    };
    let pods = revision_pods(cluster, &key, target).await?;
    let pods: Vec<&Value> = pods.iter().collect();
    let pinned =
        pin_template(&target.template, &pods, &settings.allow_unpinned).map_err(|problems| {
            let name = format!("{key} revision {}", target.number);
            Problems(
                problems
                    .into_iter()
                    .map(|problem| Problem::new(format_args!("{name}: {problem}")))
                    .chain([Problem::new("nothing was changed")])
                    .collect(),
            )
        })?;
    let mut spec = live["spec"].clone();
    spec["template"] = pinned.template;
    let mut metadata = json!({"name": key.name, "namespace": key.namespace});
    if !pinned.original_images.is_empty() {
        metadata["annotations"] = json!({
            ORIGINAL_IMAGES: serde_json::to_string(&pinned.original_images)?,
        });
    }
    let object = json!({
        "apiVersion": "apps/v1",
        "kind": settings.workload.kind.kind(),
        "metadata": metadata,
        "spec": spec,
    });
    let rollback = ReleaseObject {
        source: settings.workload.to_string(),
        line: None,
        object,
        target: None,
    };
    Ok(Plan {
        object: rollback,
        revision: target.number,
        key,
        left_unpinned: pinned.left_unpinned,
    })
}

/// With a signature `policy`: every digest the rollback writes into the template must be one
/// the policy accepts, or nothing is changed.
pub async fn check_signatures(
    plan: &Plan,
    policy: &SignaturePolicy,
    client: &RegistryClient,
) -> anyhow::Result<()> {
    let images: Vec<(String, ImageReference)> =
        container_images(&plan.object.object, &builtin_image_paths())
            .into_iter()
            .filter_map(|(container, image)| Some((container, ImageReference::parse(&image).ok()?)))
            .filter(|(_, reference)| reference.digest().is_some())
            .collect();
    let written: Vec<Written> = images
        .iter()
        .map(|(_, reference)| Written {
            reference,
            digest: reference.digest().expect("filtered on digest"),
        })
        .collect();
    if let Err(refusals) = signatures::check(policy, client, &written).await {
        let name = format!("{} revision {}", plan.key, plan.revision);
        return Err(Problems(
            refusals
                .into_iter()
                .map(|refusal| {
                    let (container, reference) = &images[refusal.index];
                    Problem::new(format_args!(
                        "{name}: container {container}: {reference}: {}",
                        refusal.message
                    ))
                })
                .chain([Problem::new("nothing was changed")])
                .collect(),
        )
        .into());
    }
    Ok(())
}
