//! `kubectl immutable history`: a workload's rollout revisions and the image digests each ran.

use std::io::Write;

use anyhow::anyhow;
use serde_json::{Value, json};

use super::{ExitStatus, runtime};
use crate::adapters::cluster::{Cluster, ClusterSettings};
use crate::cli::{ClusterArgs, DiffFormat, HistoryArgs};
use crate::core::diff::container_images;
use crate::core::image_paths::builtin_image_paths;
use crate::core::manifest::ObjectKey;
use crate::core::reference::ImageReference;
use crate::core::rollout::{
    Revision, Workload, match_labels_selector, render_history_json, render_history_text,
    revision_history, revision_object, revisions,
};

pub fn run(args: HistoryArgs) -> anyhow::Result<ExitStatus> {
    let workload: Workload = args.workload.parse()?;
    let settings = cluster_settings(&args.cluster);
    let rules = builtin_image_paths();
    let text = runtime()?.block_on(async {
        let cluster = Cluster::connect(&settings).await?;
        let (key, revisions) = load(&cluster, &workload).await?;
        let pods = cluster.resource(&json!({"apiVersion": "v1", "kind": "Pod"}))?;
        let mut history = Vec::new();
        for revision in &revisions {
            let images = container_images(&revision_object(workload.kind, &key, revision), &rules);
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
        anyhow::Ok(match args.output {
            DiffFormat::Text => render_history_text(&key, &history),
            DiffFormat::Json => render_history_json(&key, &history),
        })
    })?;
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(ExitStatus::Success)
}

/// kubectl's connection flags as the cluster adapter takes them.
pub(super) fn cluster_settings(args: &ClusterArgs) -> ClusterSettings {
    ClusterSettings {
        kubeconfig: args.kubeconfig.clone(),
        context: args.context.clone(),
        namespace: args.namespace.clone(),
        // kubectl's 0: no timeout.
        request_timeout: Some(args.request_timeout).filter(|timeout| !timeout.is_zero()),
    }
}

/// The workload's identity (namespace defaulted) and its rollout revisions, oldest first.
pub(super) async fn load(
    cluster: &Cluster,
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
