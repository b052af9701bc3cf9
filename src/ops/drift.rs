//! Drift: what the cluster runs against what its workloads' templates name.

use std::collections::BTreeMap;

use futures::StreamExt as _;
use serde_json::{Value, json};

use super::cluster::ClusterApi;
use super::release::kubectl_name;
use crate::adapters::registry::DigestSource;
use crate::core::drift::{DriftRow, tagged_images, workload_drift};
use crate::core::platform::Platform;
use crate::core::problem::{Problem, Problems};
use crate::core::reference::ImageReference;
use crate::core::rollout::{Workload, WorkloadKind, match_labels_selector};

/// Which workloads, and how tags are resolved.
#[derive(Debug, Clone)]
pub struct DriftSettings {
    /// None: every Deployment, StatefulSet and DaemonSet of the namespace(s).
    pub workloads: Vec<Workload>,
    pub all_namespaces: bool,
    pub platform: Option<Platform>,
    pub concurrency: usize,
}

const KINDS: [WorkloadKind; 3] = [
    WorkloadKind::Deployment,
    WorkloadKind::StatefulSet,
    WorkloadKind::DaemonSet,
];

/// A row per container of every running (or pending) pod of the workloads.
pub async fn drift(
    cluster: &impl ClusterApi,
    registry: &impl DigestSource,
    settings: &DriftSettings,
) -> anyhow::Result<Vec<DriftRow>> {
    let workloads = live_workloads(cluster, settings).await?;
    // Each distinct tag asked once, whichever workloads use it.
    let mut tags: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for live in &workloads {
        for image in tagged_images(&live["spec"]["template"]) {
            tags.entry(image).or_default().push(name_of(live));
        }
    }
    let platform = settings.platform.as_ref();
    let resolved: Vec<(String, Result<String, String>)> =
        futures::stream::iter(tags.keys().map(|image| async move {
            let digest = match ImageReference::parse(image) {
                Ok(reference) => registry
                    .digest(&reference, platform)
                    .await
                    .map(String::from)
                    .map_err(|error| error.to_string()),
                Err(error) => Err(error.to_string()),
            };
            (image.clone(), digest)
        }))
        .buffer_unordered(settings.concurrency)
        .collect()
        .await;
    let mut current = BTreeMap::new();
    let mut problems = Vec::new();
    for (image, digest) in resolved {
        match digest {
            Ok(digest) => {
                current.insert(image, digest);
            }
            Err(error) => problems.push(Problem::new(format_args!(
                "{image} (in {}): {error}",
                tags[&image].join(", ")
            ))),
        }
    }
    Problems::or(problems, ())?;

    let pods = cluster.resource(&json!({"apiVersion": "v1", "kind": "Pod"}))?;
    let mut rows = Vec::new();
    for live in &workloads {
        let namespace = live["metadata"]["namespace"].as_str().unwrap_or_default();
        let listed = cluster
            .list(&pods, namespace, match_labels_selector(live).as_deref())
            .await?;
        rows.extend(workload_drift(
            namespace,
            &name_of(live),
            &live["spec"]["template"],
            &listed,
            &current,
        ));
    }
    Ok(rows)
}

/// `deployment.apps/web`.
fn name_of(live: &Value) -> String {
    let text = |pointer| {
        live.pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_default()
    };
    format!(
        "{}.apps/{}",
        text("/kind").to_ascii_lowercase(),
        text("/metadata/name")
    )
}

/// The workloads named, or every one of the namespace (every namespace with `-A`), as stored.
async fn live_workloads(
    cluster: &impl ClusterApi,
    settings: &DriftSettings,
) -> anyhow::Result<Vec<Value>> {
    let mut workloads = Vec::new();
    if !settings.workloads.is_empty() {
        for workload in &settings.workloads {
            let object = json!({"apiVersion": "apps/v1", "kind": workload.kind.kind(),
                                "metadata": {"name": workload.name}});
            let resource = cluster.resource(&object)?;
            let key = cluster.key(&object, &resource);
            let live = cluster
                .get(&resource, &key)
                .await?
                .ok_or_else(|| anyhow::anyhow!("{} not found", kubectl_name(&key)))?;
            workloads.push(live);
        }
        return Ok(workloads);
    }
    for kind in KINDS {
        let object =
            json!({"apiVersion": "apps/v1", "kind": kind.kind(), "metadata": {"name": ""}});
        let resource = cluster.resource(&object)?;
        // The namespace a name without one is in: `-n`, else the context's.
        let namespace = if settings.all_namespaces {
            String::new()
        } else {
            cluster.key(&object, &resource).namespace
        };
        // The items of a list carry no kind of their own: each is named by it.
        for mut live in cluster.list(&resource, &namespace, None).await? {
            live["kind"] = json!(kind.kind());
            workloads.push(live);
        }
    }
    Ok(workloads)
}
