//! A workload's rollout revisions, as its controller keeps them, and the digests each ran.

use anyhow::anyhow;
use serde_json::{Value, json};

use super::cluster::ClusterApi;
use crate::core::containers::container_images;
use crate::core::image_paths::ImagePath;
use crate::core::manifest::ObjectKey;
use crate::core::reference::ImageReference;
use crate::core::rollout::{
    Revision, RevisionHistory, Workload, match_labels_selector, revision_history, revision_object,
    revisions,
};

/// The workload's identity (namespace defaulted) and its rollout revisions, oldest first.
pub async fn load(
    cluster: &impl ClusterApi,
    workload: &Workload,
) -> anyhow::Result<(ObjectKey, Vec<Revision>)> {
    let object = json!({
        "apiVersion": "apps/v1",
        "kind": workload.kind.kind(),
        "metadata": {"name": workload.name},
    });
    let resource = cluster.resource(&object)?;
    let key = cluster.key(&object, &resource);
    let live = cluster
        .get(&resource, &key)
        .await?
        .ok_or_else(|| anyhow!("{key} not found"))?;
    let owned = cluster.resource(&json!({
        "apiVersion": "apps/v1",
        "kind": workload.kind.revision_kind(),
    }))?;
    let objects = cluster
        .list(
            &owned,
            &key.namespace,
            match_labels_selector(&live).as_deref(),
        )
        .await?;
    let uid = live
        .pointer("/metadata/uid")
        .and_then(Value::as_str)
        .unwrap_or_default();
    Ok((key, revisions(workload.kind, uid, &objects)))
}

/// Every revision with the image each container ran: the template's digest, else what the
/// revision's pods report.
pub async fn history(
    cluster: &impl ClusterApi,
    workload: &Workload,
    rules: &[ImagePath],
) -> anyhow::Result<(ObjectKey, Vec<RevisionHistory>)> {
    let (key, revisions) = load(cluster, workload).await?;
    let pods = cluster.resource(&json!({"apiVersion": "v1", "kind": "Pod"}))?;
    let mut history = Vec::new();
    for revision in &revisions {
        let images = container_images(&revision_object(workload.kind, &key, revision), rules);
        // Pods are asked only where the template leaves a digest open.
        let tagged = images.values().any(|image| {
            ImageReference::parse(image).is_ok_and(|reference| reference.digest().is_none())
        });
        let running = match &revision.pods {
            Some(pod_match) if tagged => {
                cluster
                    .list(&pods, &key.namespace, Some(&pod_match.selector()))
                    .await?
            }
            _ => Vec::new(),
        };
        history.push(revision_history(revision, images, &running));
    }
    Ok((key, history))
}
