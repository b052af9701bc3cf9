//! Whether a workload's rollout is complete, judged exactly as `kubectl rollout status` judges
//! it (kubectl's `polymorphichelpers/rollout_status.go`), with what it still waits for.

use serde_json::Value;

/// Where a rollout stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RolloutStatus {
    /// Complete.
    Done,
    /// Not yet: what it waits for, in kubectl's words.
    Waiting(String),
    /// It will not complete by waiting: a Deployment past its progress deadline.
    Failed(String),
    /// Nothing to wait for: an `OnDelete` StatefulSet or DaemonSet updates only pods deleted by
    /// hand, and kubectl refuses to wait for it.
    NotWaited(String),
}

/// The rollout status of a live Deployment, StatefulSet or DaemonSet (`kind`).
pub fn rollout_status(kind: &str, live: &Value) -> RolloutStatus {
    let number = |pointer: &str| live.pointer(pointer).and_then(Value::as_i64).unwrap_or(0);
    let text = |pointer: &str| {
        live.pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_default()
    };
    let generation = number("/metadata/generation");
    let observed = number("/status/observedGeneration");
    let replicas = live.pointer("/spec/replicas").and_then(Value::as_i64);
    let waiting = |what: String| RolloutStatus::Waiting(what);
    match kind {
        "Deployment" => {
            if generation > observed {
                return waiting("spec update to be observed".into());
            }
            let progressing = conditions(live)
                .find(|condition| condition["type"] == "Progressing")
                .filter(|condition| condition["reason"] == "ProgressDeadlineExceeded");
            if let Some(condition) = progressing {
                return RolloutStatus::Failed(format!(
                    "exceeded its progress deadline (ProgressDeadlineExceeded: {})",
                    condition["message"].as_str().unwrap_or_default()
                ));
            }
            let updated = number("/status/updatedReplicas");
            let total = number("/status/replicas");
            let available = number("/status/availableReplicas");
            match replicas {
                Some(wanted) if updated < wanted => {
                    waiting(format!("{updated} of {wanted} new replicas updated"))
                }
                _ if total > updated => {
                    let old = total - updated;
                    waiting(format!(
                        "{old} old replica{} pending termination",
                        if old == 1 { "" } else { "s" }
                    ))
                }
                _ if available < updated => waiting(format!(
                    "{available} of {updated} updated replicas available"
                )),
                _ => RolloutStatus::Done,
            }
        }
        "DaemonSet" => {
            if text("/spec/updateStrategy/type") == "OnDelete" {
                return RolloutStatus::NotWaited(
                    "its updateStrategy is OnDelete: pods are updated only when deleted".into(),
                );
            }
            if generation > observed {
                return waiting("spec update to be observed".into());
            }
            let desired = number("/status/desiredNumberScheduled");
            let updated = number("/status/updatedNumberScheduled");
            let available = number("/status/numberAvailable");
            if updated < desired {
                waiting(format!("{updated} of {desired} new pods updated"))
            } else if available < desired {
                waiting(format!("{available} of {desired} updated pods available"))
            } else {
                RolloutStatus::Done
            }
        }
        "StatefulSet" => {
            if text("/spec/updateStrategy/type") == "OnDelete" {
                return RolloutStatus::NotWaited(
                    "its updateStrategy is OnDelete: pods are updated only when deleted".into(),
                );
            }
            if observed == 0 || generation > observed {
                return waiting("spec update to be observed".into());
            }
            let ready = number("/status/readyReplicas");
            let updated = number("/status/updatedReplicas");
            if let Some(wanted) = replicas
                && ready < wanted
            {
                let missing = wanted - ready;
                return waiting(format!(
                    "{missing} pod{} to be ready",
                    if missing == 1 { "" } else { "s" }
                ));
            }
            let partition = live
                .pointer("/spec/updateStrategy/rollingUpdate/partition")
                .and_then(Value::as_i64);
            if live.pointer("/spec/updateStrategy/rollingUpdate").is_some() {
                return match (replicas, partition) {
                    (Some(wanted), Some(partition)) if updated < wanted - partition => {
                        waiting(format!(
                            "partitioned roll out: {updated} of {} new pods updated",
                            wanted - partition
                        ))
                    }
                    _ => RolloutStatus::Done,
                };
            }
            let (current, update) = (
                text("/status/currentRevision"),
                text("/status/updateRevision"),
            );
            if current != update {
                waiting(format!(
                    "rolling update to complete: {updated} pods at revision {update}"
                ))
            } else {
                RolloutStatus::Done
            }
        }
        _ => RolloutStatus::Done,
    }
}

fn conditions(live: &Value) -> impl Iterator<Item = &Value> {
    live.pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// A workload's conditions as one line: `Type=Status (message); …`, or `none`.
pub fn describe_conditions(live: &Value) -> String {
    let described: Vec<String> = conditions(live)
        .map(|c| {
            format!(
                "{}={} ({})",
                c["type"].as_str().unwrap_or_default(),
                c["status"].as_str().unwrap_or_default(),
                c["message"].as_str().unwrap_or_default()
            )
        })
        .collect();
    if described.is_empty() {
        "none".to_string()
    } else {
        described.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment(status: Value) -> Value {
        json!({"metadata": {"generation": 2}, "spec": {"replicas": 2}, "status": status})
    }

    #[test]
    fn a_deployment_is_done_only_when_no_old_replica_is_left() {
        let waiting = |status| match rollout_status("Deployment", &deployment(status)) {
            RolloutStatus::Waiting(what) => what,
            other => panic!("{other:?}"),
        };
        // The case kubectl rollout status still waits on: one new pod ready, one old one serving.
        assert_eq!(
            waiting(
                json!({"observedGeneration": 2, "replicas": 3, "updatedReplicas": 2,
                           "availableReplicas": 2})
            ),
            "1 old replica pending termination"
        );
        assert_eq!(
            waiting(
                json!({"observedGeneration": 2, "replicas": 2, "updatedReplicas": 1,
                           "availableReplicas": 2})
            ),
            "1 of 2 new replicas updated"
        );
        assert_eq!(
            waiting(
                json!({"observedGeneration": 2, "replicas": 2, "updatedReplicas": 2,
                           "availableReplicas": 1})
            ),
            "1 of 2 updated replicas available"
        );
        assert_eq!(
            waiting(
                json!({"observedGeneration": 1, "replicas": 2, "updatedReplicas": 2,
                           "availableReplicas": 2})
            ),
            "spec update to be observed"
        );
        let done = json!({"observedGeneration": 2, "replicas": 2, "updatedReplicas": 2,
                          "availableReplicas": 2});
        assert_eq!(
            rollout_status("Deployment", &deployment(done)),
            RolloutStatus::Done
        );
    }

    #[test]
    fn a_progress_deadline_fails_at_once() {
        let status = json!({"observedGeneration": 2, "replicas": 3, "updatedReplicas": 1,
            "conditions": [{"type": "Available", "status": "True"},
                           {"type": "Progressing", "status": "False",
                            "reason": "ProgressDeadlineExceeded",
                            "message": "ReplicaSet \"web-2\" has timed out progressing."}]});
        assert_eq!(
            rollout_status("Deployment", &deployment(status)),
            RolloutStatus::Failed(
                "exceeded its progress deadline (ProgressDeadlineExceeded: ReplicaSet \"web-2\" has timed out progressing.)"
                    .into()
            )
        );
    }

    #[test]
    fn a_statefulset_honours_its_partition_and_waits_for_ready_pods() {
        let sts = |partition: Option<i64>, status: Value| {
            let mut object = json!({"metadata": {"generation": 3}, "spec": {"replicas": 3,
                "updateStrategy": {"type": "RollingUpdate"}}, "status": status});
            if let Some(partition) = partition {
                object["spec"]["updateStrategy"]["rollingUpdate"] = json!({"partition": partition});
            }
            rollout_status("StatefulSet", &object)
        };
        let status = |ready: i64, updated: i64, current: &str| {
            json!({"observedGeneration": 3, "readyReplicas": ready, "updatedReplicas": updated,
                   "currentRevision": current, "updateRevision": "db-2"})
        };
        assert_eq!(
            sts(Some(2), status(3, 1, "db-1")),
            RolloutStatus::Done,
            "one pod above the partition of 2 is all"
        );
        assert_eq!(
            sts(Some(1), status(3, 1, "db-1")),
            RolloutStatus::Waiting("partitioned roll out: 1 of 2 new pods updated".into())
        );
        assert_eq!(
            sts(Some(0), status(2, 3, "db-2")),
            RolloutStatus::Waiting("1 pod to be ready".into())
        );
        assert_eq!(
            sts(None, status(3, 3, "db-1")),
            RolloutStatus::Waiting("rolling update to complete: 3 pods at revision db-2".into())
        );
        assert_eq!(sts(None, status(3, 3, "db-2")), RolloutStatus::Done);
        let on_delete = json!({"spec": {"updateStrategy": {"type": "OnDelete"}}});
        assert!(matches!(
            rollout_status("StatefulSet", &on_delete),
            RolloutStatus::NotWaited(_)
        ));
    }

    #[test]
    fn a_daemonset_waits_for_every_scheduled_pod() {
        let ds = |updated: i64, available: i64| {
            rollout_status(
                "DaemonSet",
                &json!({"metadata": {"generation": 1}, "status": {"observedGeneration": 1,
                    "desiredNumberScheduled": 3, "updatedNumberScheduled": updated,
                    "numberAvailable": available}}),
            )
        };
        assert_eq!(
            ds(2, 3),
            RolloutStatus::Waiting("2 of 3 new pods updated".into())
        );
        assert_eq!(
            ds(3, 2),
            RolloutStatus::Waiting("2 of 3 updated pods available".into())
        );
        assert_eq!(ds(3, 3), RolloutStatus::Done);
    }
}
