//! Waiting on the cluster: a release's CRDs until they are Established, its workloads until
//! their rollouts are complete as `kubectl rollout status` judges them.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::Reporter;
use super::cluster::ClusterApi;
use super::release::{ReleaseObject, kubectl_name};
use crate::core::problem::Problem;
use crate::core::rollout_status::{RolloutStatus, describe_conditions, rollout_status};

/// How long a CRD of the release may take to be Established.
const CRD_PATIENCE: Duration = Duration::from_secs(60);
/// How often a rollout's status is read again.
const POLL: Duration = Duration::from_millis(500);

/// Waits until every CRD among `foundations` reports `Established`.
pub async fn wait_for_crds(
    cluster: &impl ClusterApi,
    release: &[ReleaseObject],
    foundations: &[usize],
) -> Result<(), Problem> {
    let deadline = Instant::now() + CRD_PATIENCE;
    for &index in foundations {
        let object = &release[index];
        if object.kind() != "CustomResourceDefinition" {
            continue;
        }
        let (resource, key) = object.target.as_ref().expect("CRDs are a known kind");
        loop {
            let live = cluster
                .get(resource, key)
                .await
                .map_err(|error| object.problem(error))?;
            let established = live.as_ref().is_some_and(|crd| {
                crd["status"]["conditions"]
                    .as_array()
                    .is_some_and(|conditions| {
                        conditions
                            .iter()
                            .any(|c| c["type"] == "Established" && c["status"] == "True")
                    })
            });
            if established {
                break;
            }
            if Instant::now() >= deadline {
                return Err(object.problem(format_args!(
                    "did not become Established within {}",
                    humantime::format_duration(CRD_PATIENCE)
                )));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    Ok(())
}

/// The Deployments, StatefulSets and DaemonSets of a release, the workloads `--wait` waits for.
pub fn rollouts(release: &[ReleaseObject]) -> Vec<&ReleaseObject> {
    release
        .iter()
        .filter(|object| {
            object.target.as_ref().is_some_and(|(_, key)| {
                key.group == "apps"
                    && matches!(
                        key.kind.as_str(),
                        "Deployment" | "StatefulSet" | "DaemonSet"
                    )
            })
        })
        .collect()
}

/// Waits until every workload's rollout is complete, or fails: at once for a Deployment past
/// its progress deadline, else when `timeout` runs out, naming what it still waited for.
pub async fn wait_for_rollouts(
    cluster: &impl ClusterApi,
    workloads: &[&ReleaseObject],
    timeout: Duration,
    reporter: &dyn Reporter,
) -> Result<(), Problem> {
    let deadline = Instant::now() + timeout;
    for object in workloads {
        let (resource, key) = object.target.as_ref().expect("applied objects");
        let name = kubectl_name(key);
        let mut last = String::new();
        loop {
            let live = cluster
                .get(resource, key)
                .await
                .map_err(|error| Problem::new(format_args!("{name}: {error}")))?
                .unwrap_or(Value::Null);
            let status = rollout_status(&key.kind, &live);
            let waiting = match &status {
                RolloutStatus::Done => break,
                RolloutStatus::NotWaited(_) => {
                    reporter.rollout(&name, &status);
                    break;
                }
                RolloutStatus::Failed(why) => {
                    return Err(Problem::new(format_args!(
                        "{name} {why}; conditions: {}",
                        describe_conditions(&live)
                    )));
                }
                RolloutStatus::Waiting(what) => what.clone(),
            };
            if waiting != last {
                reporter.rollout(&name, &status);
                last = waiting;
            }
            if Instant::now() >= deadline {
                return Err(Problem::new(format_args!(
                    "{name} did not finish its rollout within {}: still waiting for {last}; conditions: {}",
                    humantime::format_duration(timeout),
                    describe_conditions(&live)
                )));
            }
            tokio::time::sleep(POLL).await;
        }
    }
    Ok(())
}
