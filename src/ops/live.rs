//! A release against the live cluster: each object as stored against what a server-side apply
//! of it (as `apply` would send it) would store, both normalised.

use std::collections::BTreeMap;

use futures::{StreamExt as _, stream};
use serde_json::Value;

use super::cluster::{ApplyOptions, ClusterApi};
use super::release::ReleaseObject;
use crate::adapters::cluster::{ClusterError, Resource};
use crate::core::diff::{ObjectSet, normalize_live};
use crate::core::manifest::{self, ObjectKey};
use crate::core::problem::{Problem, Problems};

/// How many objects are fetched and dry-run at once.
const CONCURRENCY: usize = 16;

/// Every object must have a kind and a name before the cluster is asked about it.
pub fn check_identities(release: &[ReleaseObject]) -> Result<(), Problems> {
    let problems = release
        .iter()
        .filter_map(|object| {
            let text = |pointer| object.object.pointer(pointer).and_then(Value::as_str);
            match (text("/kind"), text("/metadata/name")) {
                (None | Some(""), _) => Some(object.at(manifest::NO_KIND)),
                (Some(kind), None | Some("")) => {
                    Some(object.at(format_args!("{kind} without metadata.name")))
                }
                _ => None,
            }
        })
        .collect();
    Problems::or(problems, ())
}

/// The live objects and their dry-run results, by identity on the cluster; every problem on a
/// line of its own. Every object has a kind and a name ([`check_identities`]).
pub async fn live_sides(
    cluster: &impl ClusterApi,
    release: Vec<ReleaseObject>,
    options: &ApplyOptions,
) -> Result<(ObjectSet, ObjectSet), Problems> {
    let mut targets = Vec::new();
    let mut problems = Vec::new();
    let mut seen: BTreeMap<ObjectKey, String> = BTreeMap::new();
    for object in release {
        let resource = match cluster.resource(&object.object) {
            Ok(resource) => resource,
            Err(error) => {
                problems.push(object.at(error));
                continue;
            }
        };
        let key = cluster.key(&object.object, &resource);
        if let Some(first) = seen.insert(key.clone(), object.place()) {
            problems.push(object.at(format_args!("{key} appears twice (first at {first})")));
        }
        targets.push((resource, key, object.object));
    }
    Problems::or(problems, ())?;

    let compared: Vec<_> = stream::iter(&targets)
        .map(|(resource, key, object)| async move {
            compare(cluster, resource, key, object, options)
                .await
                .map_err(|error| Problem::new(format_args!("{key}: {error}")))
        })
        .buffered(CONCURRENCY)
        .collect()
        .await;
    let (mut old, mut new) = (ObjectSet::new(), ObjectSet::new());
    let mut problems = Vec::new();
    for ((_, key, _), result) in targets.into_iter().zip(compared) {
        match result {
            Ok((live, applied)) => {
                if let Some(live) = live {
                    old.insert(key.clone(), live);
                }
                new.insert(key, applied);
            }
            Err(problem) => problems.push(problem),
        }
    }
    Problems::or(problems, (old, new))
}

/// The object as stored (`None` where there is none yet) and as a forced server-side apply of
/// `object` would store it, both normalised.
async fn compare(
    cluster: &impl ClusterApi,
    resource: &Resource,
    key: &ObjectKey,
    object: &Value,
    options: &ApplyOptions,
) -> Result<(Option<Value>, Value), ClusterError> {
    let live = cluster.get(resource, key).await?;
    let forced = ApplyOptions {
        force: true,
        ..options.clone()
    };
    let applied = match cluster.apply(resource, key, object, &forced, true).await {
        Ok(applied) => applied,
        // A new object in a Namespace that the release itself creates cannot be dry-run yet;
        // the manifest is what it adds.
        Err(ClusterError::Refused { code: 404, .. }) if live.is_none() => object.clone(),
        Err(error) => return Err(error),
    };
    Ok((live.map(normalize_live), normalize_live(applied)))
}
