//! Rolling a workload back to a revision's pod template, every image pinned to the digest that
//! revision ran: a new template (a new revision), where `kubectl rollout undo` re-applies the
//! old template's tags, which may since name other bytes.

use anyhow::anyhow;
use serde_json::Value;

use super::cluster::ClusterApi;
use super::release::{ORIGINAL_IMAGES, ReleaseObject};
use super::revisions::{Loaded, load, revision_pods};
use super::signatures::{self, Written};
use crate::adapters::cluster::ClusterError;
use crate::adapters::registry::RegistryClient;
use crate::core::containers::container_images;
use crate::core::image_paths::builtin_image_paths;
use crate::core::manifest::ObjectKey;
use crate::core::problem::{Problem, Problems};
use crate::core::reference::ImageReference;
use crate::core::rollback::{pin_template, rolled_back};
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
    /// The workload as read, its pod template that of the revision rolled back to with every
    /// image pinned, its resourceVersion the one read.
    pub object: ReleaseObject,
    /// The revision's number.
    pub revision: u64,
    /// The workload's identity, namespace defaulted, for messages.
    pub key: ObjectKey,
    /// The images left as tags, as `--allow-unpinned` let them.
    pub left_unpinned: Vec<String>,
    /// The workload as read: what it may not have changed from but for its status.
    pub read: Value,
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
    let mut object = rolled_back(&live, pinned.template, target.annotations.as_ref());
    let read = live;
    // The annotation names the images as this template writes them: set where pinning changed
    // one; else a ReplicaSet's (restored with its annotations) says it for its revision, and
    // a workload's own describes the template replaced.
    let annotations = &mut object["metadata"]["annotations"];
    if !pinned.original_images.is_empty() {
        annotations[ORIGINAL_IMAGES] = serde_json::to_string(&pinned.original_images)?.into();
    } else if target.annotations.is_none()
        && let Some(annotations) = annotations.as_object_mut()
    {
        annotations.remove(ORIGINAL_IMAGES);
    }
    let resource = cluster.resource(&object)?;
    let rollback = ReleaseObject {
        source: settings.workload.to_string(),
        line: None,
        object,
        target: Some((resource, key.clone())),
    };
    Ok(Plan {
        object: rollback,
        revision: target.number,
        key,
        left_unpinned: pinned.left_unpinned,
        read,
    })
}

/// Stores the rollback `plan` as `manager` (with `dry_run`, what would be stored): the
/// workload replaced as read but for its template and annotations, so nothing of the current
/// template stays, whoever set it. The update is conditional on the resourceVersion read; the
/// workload's controller moves that on whenever it updates the status, so on a conflict the
/// workload is read again and, if only its status changed (spec, labels and annotations as
/// read), the update is sent again with the new version, at most [`CONFLICT_TRIES`] times in
/// all. Any other change refuses the rollback, nothing changed.
pub async fn roll_back(
    cluster: &impl ClusterApi,
    plan: &Plan,
    manager: &str,
    dry_run: bool,
) -> anyhow::Result<Value> {
    let (resource, key) = plan
        .object
        .target
        .as_ref()
        .expect("planned with its target");
    let mut object = plan.object.object.clone();
    let changed = || {
        Problems::from(Problem::new(format_args!(
            "{key} changed since the rollback read it (resourceVersion {}): \
             nothing was changed; run the rollback again",
            plan.read["metadata"]["resourceVersion"]
                .as_str()
                .unwrap_or_default()
        )))
    };
    for _ in 1..CONFLICT_TRIES {
        match cluster
            .replace(resource, key, &object, manager, dry_run)
            .await
        {
            Err(ClusterError::Refused { code: 409, .. }) => {}
            stored => return Ok(stored?),
        }
        let now = cluster.get(resource, key).await?.ok_or_else(changed)?;
        let same = |pointer: &str| now.pointer(pointer) == plan.read.pointer(pointer);
        if !["/spec", "/metadata/labels", "/metadata/annotations"]
            .iter()
            .all(|pointer| same(pointer))
        {
            return Err(changed().into());
        }
        object["metadata"]["resourceVersion"] = now["metadata"]["resourceVersion"].clone();
    }
    match cluster
        .replace(resource, key, &object, manager, dry_run)
        .await
    {
        Err(ClusterError::Refused { code: 409, .. }) => Err(changed().into()),
        stored => Ok(stored?),
    }
}

/// Tries of a rollback's update while only the workload's status moves on under it.
const CONFLICT_TRIES: usize = 3;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::memory::MemoryCluster;
    use serde_json::json;

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(future)
    }

    #[test]
    fn a_workload_changed_since_it_was_read_is_not_rolled_back() {
        let cluster = MemoryCluster::new();
        let workload = |version: &str, image: &str| {
            json!({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "web", "namespace": "default", "resourceVersion": version},
                "spec": {"template": {"spec": {"containers": [{"name": "web", "image": image}]}}}})
        };
        let resource = cluster.resource(&workload("1", "web:1")).unwrap();
        let key = cluster.key(&workload("1", "web:1"), &resource);
        let plan = Plan {
            object: ReleaseObject {
                source: "deployment/web".into(),
                line: None,
                object: workload("1", "web:1@sha256:aa"),
                target: Some((resource, key.clone())),
            },
            revision: 1,
            key: key.clone(),
            left_unpinned: Vec::new(),
            read: workload("1", "web:2"),
        };
        // Changed by someone else after the plan read version 1.
        let changed = workload("2", "web:3");
        cluster
            .objects
            .lock()
            .unwrap()
            .insert(key.clone(), changed.clone());
        let error = block_on(roll_back(&cluster, &plan, "m", false)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "deployment.apps/default/web changed since the rollback read it (resourceVersion 1): \
             nothing was changed; run the rollback again"
        );
        assert_eq!(cluster.objects.lock().unwrap()[&key], changed);

        // As read: replaced.
        cluster
            .objects
            .lock()
            .unwrap()
            .insert(key.clone(), workload("1", "web:2"));
        block_on(roll_back(&cluster, &plan, "m", false)).unwrap();
        let stored = &cluster.objects.lock().unwrap()[&key];
        assert_eq!(stored["spec"], plan.object.object["spec"]);
    }
}
