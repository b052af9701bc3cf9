//! Applying a release all or nothing: the release's Namespaces and CRDs first, then a
//! server-side dry run of every other object before any is applied for real; objects whose dry
//! run matches what is stored are not sent; a cluster lost midway stops the rest.

use serde_json::Value;

use super::cluster::{ApplyOptions, ClusterApi};
use super::release::ReleaseObject;
use super::wait::wait_for_crds;
use crate::adapters::cluster::ClusterError;
use crate::core::problem::{Problem, Problems};

/// How the release is applied.
#[derive(Debug, Clone)]
pub struct ApplySettings {
    pub options: ApplyOptions,
    /// `--dry-run=server`: every object checked, nothing persisted.
    pub server_dry_run: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    Unchanged,
    DryRun,
}

impl Outcome {
    /// As kubectl says it after an object's name.
    pub fn describe(self) -> &'static str {
        match self {
            Outcome::Applied => "serverside-applied",
            Outcome::Unchanged => "unchanged",
            Outcome::DryRun => "serverside-applied (server dry run)",
        }
    }
}

/// An object the server took: its name, what the server stored (or would), and how.
#[derive(Debug, Clone)]
pub struct Sent {
    pub name: String,
    pub object: Value,
    pub outcome: Outcome,
}

/// What a release that passed its dry runs came to, in the order objects were sent.
#[derive(Debug, Default)]
pub struct ApplyReport {
    pub sent: Vec<Sent>,
    /// Objects the server refused when applied for real.
    pub failed: Vec<Problem>,
    /// Objects not sent because the cluster could no longer be reached.
    pub not_sent: Vec<String>,
}

impl ApplyReport {
    pub fn is_complete(&self) -> bool {
        self.failed.is_empty() && self.not_sent.is_empty()
    }
}

/// Applies `release` (its targets resolved here) to `cluster`. Problems found before anything
/// but the release's own Namespaces and CRDs was applied are the error; what happened after
/// the dry runs passed is the report.
pub async fn apply<C: ClusterApi>(
    cluster: &mut C,
    release: &mut [ReleaseObject],
    settings: &ApplySettings,
) -> Result<ApplyReport, Problems> {
    let release_kinds = kinds_defined_by(release);
    Problems::or(resolve_targets(cluster, release, &release_kinds), ())?;
    let sender = Sender {
        options: &settings.options,
        dry_run: settings.server_dry_run,
    };
    let mut results: Vec<Option<Result<Sent, ClusterError>>> =
        (0..release.len()).map(|_| None).collect();

    // Namespaces and CRDs first: checked, then applied (unless this is a dry run), so that the
    // objects in them can be checked too. A failure here stops the release.
    let foundations: Vec<usize> = (0..release.len())
        .filter(|&i| release[i].is_foundation())
        .collect();
    let checked = sender.dry_run_all(&*cluster, release, &foundations).await;
    refuse_failures(release, &foundations, &checked, &[])?;
    let mut applied_foundations = Vec::new();
    for (&index, checked) in foundations.iter().zip(checked) {
        let outcome = sender.settle(&*cluster, &release[index], checked).await;
        match &outcome {
            Ok(sent) if sent.outcome == Outcome::Applied => {
                applied_foundations.push(release[index].name())
            }
            Ok(_) => {}
            Err(error) => {
                let mut problems = vec![release[index].problem(error)];
                problems.extend(applied_note(&applied_foundations));
                return Err(Problems(problems));
            }
        }
        results[index] = Some(outcome);
    }
    if !settings.server_dry_run && release.iter().any(|o| o.target.is_none()) {
        let stopped = |problems: Vec<Problem>| {
            let mut problems = problems;
            problems.extend(applied_note(&applied_foundations));
            Problems(problems)
        };
        wait_for_crds(&*cluster, release, &foundations)
            .await
            .map_err(|problem| stopped(vec![problem]))?;
        cluster
            .refresh()
            .await
            .map_err(|error| stopped(vec![Problem::new(error)]))?;
        let problems = resolve_targets(cluster, release, &[]);
        if !problems.is_empty() {
            return Err(stopped(problems));
        }
    }

    // Everything else: every object checked by the server before any is applied.
    let rest: Vec<usize> = (0..release.len())
        .filter(|&i| !release[i].is_foundation() && release[i].target.is_some())
        .collect();
    let checked = sender.dry_run_all(&*cluster, release, &rest).await;
    refuse_failures(release, &rest, &checked, &applied_foundations)?;
    // A cluster still unreachable after the retries is not asked about every remaining object
    // in turn: the rest is reported not sent.
    let mut report = ApplyReport::default();
    let mut lost = false;
    for (&index, checked) in rest.iter().zip(checked) {
        if lost {
            report.not_sent.push(release[index].name());
            continue;
        }
        let outcome = sender.settle(&*cluster, &release[index], checked).await;
        lost = is_lost(&outcome);
        results[index] = Some(outcome);
    }

    // In the order they were sent: Namespaces and CRDs, then the rest in input order.
    for &index in foundations.iter().chain(&rest) {
        match results[index].take() {
            Some(Ok(sent)) => report.sent.push(sent),
            Some(Err(error)) => report.failed.push(release[index].problem(explain(&error))),
            None => {}
        }
    }
    Ok(report)
}

fn group_kind(object: &Value) -> (String, String) {
    let api_version = object["apiVersion"].as_str().unwrap_or_default();
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    (
        group.to_string(),
        object["kind"].as_str().unwrap_or_default().to_string(),
    )
}

/// The (group, kind) pairs the release's own CRDs define.
fn kinds_defined_by(release: &[ReleaseObject]) -> Vec<(String, String)> {
    release
        .iter()
        .filter(|o| o.kind() == "CustomResourceDefinition")
        .filter_map(|o| {
            let spec = &o.object["spec"];
            Some((
                spec["group"].as_str()?.to_string(),
                spec["names"]["kind"].as_str()?.to_string(),
            ))
        })
        .collect()
}

/// A dry run's result, and the object as stored before it.
type Checked = (Result<Value, ClusterError>, Option<Value>);

/// Finds each object's API resource; an unknown kind is a problem unless `defined_later` (the
/// release's own CRDs) will define it.
pub fn resolve_targets<C: ClusterApi>(
    cluster: &C,
    release: &mut [ReleaseObject],
    defined_later: &[(String, String)],
) -> Vec<Problem> {
    let mut problems = Vec::new();
    for object in release.iter_mut().filter(|o| o.target.is_none()) {
        match cluster.resource(&object.object) {
            Ok(resource) => {
                let key = cluster.key(&object.object, &resource);
                object.target = Some((resource, key));
            }
            Err(ClusterError::UnknownKind { .. })
                if defined_later.contains(&group_kind(&object.object)) => {}
            Err(error) => problems.push(object.problem(error)),
        }
    }
    problems
}

/// Sends objects to the server the way this run was asked to.
struct Sender<'a> {
    options: &'a ApplyOptions,
    /// `--dry-run=server`: nothing is applied for real.
    dry_run: bool,
}

impl Sender<'_> {
    /// A server-side dry run of each object, and its live state; every object is tried unless
    /// the cluster cannot be reached.
    async fn dry_run_all(
        &self,
        cluster: &impl ClusterApi,
        release: &[ReleaseObject],
        indices: &[usize],
    ) -> Vec<Checked> {
        let mut checked = Vec::with_capacity(indices.len());
        for &index in indices {
            let object = &release[index];
            let (resource, key) = object.target.as_ref().expect("resolved kinds");
            let live = cluster.get(resource, key).await.ok().flatten();
            let dry = self.send(cluster, object, true).await;
            let lost = is_lost(&dry);
            checked.push((dry, live));
            if lost {
                break;
            }
        }
        checked
    }

    /// After a passed dry run: the dry run's result (`--dry-run=server`), the live object when
    /// the dry run would change nothing, else the object as applied for real.
    async fn settle(
        &self,
        cluster: &impl ClusterApi,
        object: &ReleaseObject,
        (dry, live): Checked,
    ) -> Result<Sent, ClusterError> {
        let dry = dry.expect("failures were refused");
        let (stored, outcome) = if self.dry_run {
            (dry, Outcome::DryRun)
        } else if let Some(live) =
            live.filter(|live| same_as_live(&dry, live, &self.options.manager))
        {
            (live, Outcome::Unchanged)
        } else {
            (self.send(cluster, object, false).await?, Outcome::Applied)
        };
        Ok(Sent {
            name: object.name(),
            object: stored,
            outcome,
        })
    }

    /// A server-side apply of one object, for real or as a dry run.
    async fn send(
        &self,
        cluster: &impl ClusterApi,
        object: &ReleaseObject,
        dry_run: bool,
    ) -> Result<Value, ClusterError> {
        let (resource, key) = object.target.as_ref().expect("resolved kinds");
        cluster
            .apply(resource, key, &object.object, self.options, dry_run)
            .await
    }
}

/// Stops the release when any dry run failed, listing every failure with the server's reason.
fn refuse_failures(
    release: &[ReleaseObject],
    indices: &[usize],
    checked: &[Checked],
    applied: &[String],
) -> Result<(), Problems> {
    let mut problems: Vec<Problem> = indices
        .iter()
        .zip(checked)
        .filter_map(|(&index, (result, _))| {
            let error = result.as_ref().err()?;
            Some(release[index].problem(explain(error)))
        })
        .collect();
    if problems.is_empty() {
        return Ok(());
    }
    problems.push(Problem::new("nothing else was applied"));
    problems.extend(applied_note(applied));
    Err(Problems(problems))
}

/// Whether a request failed because the cluster could not be reached, after its retries.
fn is_lost<T>(result: &Result<T, ClusterError>) -> bool {
    matches!(result, Err(ClusterError::Unreachable { .. }))
}

fn applied_note(applied: &[String]) -> Option<Problem> {
    (!applied.is_empty()).then(|| {
        Problem::new(format_args!(
            "applied before stopping (the release's own Namespaces and CRDs): {}",
            applied.join(", ")
        ))
    })
}

/// The server's reason, with what to do about a field-manager conflict.
fn explain(error: &ClusterError) -> String {
    match error {
        ClusterError::Refused {
            code: 409, message, ..
        } => {
            format!("{message} (use --force-conflicts to take these fields over)")
        }
        other => other.to_string(),
    }
}

/// Whether a dry run's result is what is already stored: equal but for `status`,
/// `resourceVersion` and the `managedFields` of other managers and their times.
fn same_as_live(dry: &Value, live: &Value, manager: &str) -> bool {
    comparable(dry, manager) == comparable(live, manager)
}

fn comparable(object: &Value, manager: &str) -> Value {
    let mut object = object.clone();
    if let Value::Object(map) = &mut object {
        map.remove("status");
    }
    if let Some(Value::Object(metadata)) = object.get_mut("metadata") {
        metadata.remove("resourceVersion");
        if let Some(Value::Array(entries)) = metadata.get_mut("managedFields") {
            // Only this manager's entries say whether applying would change what it owns. The
            // others change on their own: a controller writing status between the read of the
            // live object and the dry run, or the `before-first-apply` entry the server adds
            // the first time it applies to an object that has none (1.20); fields taken from
            // another manager show in this one's entry.
            entries.retain(|entry| entry["manager"] == manager);
            for entry in entries.iter_mut() {
                if let Value::Object(entry) = entry {
                    entry.remove("time");
                }
            }
            if entries.is_empty() {
                metadata.remove("managedFields");
            }
        }
    }
    object
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::memory::MemoryCluster;
    use serde_json::json;

    #[test]
    fn only_this_managers_fields_decide_whether_an_object_is_unchanged() {
        let stored = |ours: Value, controller: Value, time: &str| {
            json!({"kind": "Deployment", "metadata": {"name": "web", "resourceVersion": time,
                "managedFields": [
                    {"manager": "kubectl-immutable", "operation": "Apply", "time": time,
                     "fieldsV1": ours},
                    {"manager": "kube-controller-manager", "operation": "Update", "time": time,
                     "fieldsV1": controller},
                    {"manager": "before-first-apply", "operation": "Update", "time": time,
                     "fieldsV1": {}}]},
                "spec": {"replicas": 2}, "status": {"replicas": time}})
        };
        let ours = json!({"f:spec": {"f:replicas": {}}});
        let live = stored(ours.clone(), json!({"f:status": {}}), "1");
        // The controller wrote status between the read and the dry run.
        let dry = stored(
            ours.clone(),
            json!({"f:status": {"f:availableReplicas": {}}}),
            "2",
        );
        assert!(same_as_live(&dry, &live, "kubectl-immutable"));
        // Applying would take a field: this manager's entry changes.
        let taking = stored(
            json!({"f:spec": {"f:replicas": {}, "f:paused": {}}}),
            json!({"f:status": {}}),
            "2",
        );
        assert!(!same_as_live(&taking, &live, "kubectl-immutable"));
        // Another manager's name: its own entry is what counts.
        assert!(!same_as_live(&dry, &live, "kube-controller-manager"));
        let mut changed = dry.clone();
        changed["spec"]["replicas"] = json!(3);
        assert!(!same_as_live(&changed, &live, "kubectl-immutable"));
    }

    fn object(api_version: &str, kind: &str, name: &str) -> ReleaseObject {
        ReleaseObject {
            source: "release.yaml".into(),
            line: Some(1),
            object: json!({"apiVersion": api_version, "kind": kind,
                           "metadata": {"name": name}, "data": {"v": "1"}}),
            target: None,
        }
    }

    fn release() -> Vec<ReleaseObject> {
        vec![
            object("v1", "ConfigMap", "settings"),
            object("apps/v1", "Deployment", "web"),
            object("v1", "Namespace", "shop"),
            object("v1", "Service", "web"),
        ]
    }

    fn settings() -> ApplySettings {
        ApplySettings {
            options: ApplyOptions {
                manager: "kubectl-immutable".into(),
                force: false,
            },
            server_dry_run: false,
        }
    }

    /// The requests that write or would write, in order.
    fn sends(cluster: &MemoryCluster) -> Vec<String> {
        cluster
            .requests()
            .into_iter()
            .filter(|r| !r.starts_with("get "))
            .collect()
    }

    fn run<T>(future: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(future)
    }

    #[test]
    fn foundations_first_then_every_dry_run_before_any_real_send() {
        let mut cluster = MemoryCluster::new();
        let mut release = release();
        let report = run(apply(&mut cluster, &mut release, &settings())).unwrap();
        assert!(report.is_complete());
        assert_eq!(
            sends(&cluster),
            [
                "dry-run namespace/shop",
                "apply namespace/shop",
                "dry-run configmap/default/settings",
                "dry-run deployment.apps/default/web",
                "dry-run service/default/web",
                "apply configmap/default/settings",
                "apply deployment.apps/default/web",
                "apply service/default/web",
            ]
        );
        let names: Vec<&str> = report.sent.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "namespace/shop",
                "configmap/settings",
                "deployment.apps/web",
                "service/web"
            ]
        );
        assert!(report.sent.iter().all(|s| s.outcome == Outcome::Applied));
    }

    #[test]
    fn a_failing_dry_run_sends_nothing_real() {
        let mut cluster = MemoryCluster::new();
        cluster.refuse.insert("web".into());
        let mut release = release();
        let Problems(problems) = run(apply(&mut cluster, &mut release, &settings())).unwrap_err();
        let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                "release.yaml:1: deployment.apps/web: Deployment \"web\" is invalid",
                "release.yaml:1: service/web: Service \"web\" is invalid",
                "nothing else was applied",
                "applied before stopping (the release's own Namespaces and CRDs): namespace/shop",
            ]
        );
        let real: Vec<String> = sends(&cluster)
            .into_iter()
            .filter(|r| r.starts_with("apply "))
            .collect();
        assert_eq!(real, ["apply namespace/shop"], "only the foundation");
        // Every object was checked, so every refusal is named at once.
        assert!(
            sends(&cluster).contains(&"dry-run service/default/web".to_string()),
            "{:?}",
            sends(&cluster)
        );
    }

    #[test]
    fn a_cluster_lost_midway_stops_the_rest_and_names_it_not_sent() {
        let mut cluster = MemoryCluster::new();
        // The Namespace and the ConfigMap are applied; then the connection is gone.
        cluster.reachable_applies = Some(2);
        let mut release = release();
        let report = run(apply(&mut cluster, &mut release, &settings())).unwrap();
        let sent: Vec<&str> = report.sent.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(sent, ["namespace/shop", "configmap/settings"]);
        let failed: Vec<String> = report.failed.iter().map(ToString::to_string).collect();
        assert_eq!(
            failed,
            [
                "release.yaml:1: deployment.apps/web: cannot reach the cluster: connection reset (gave up after 4 tries)"
            ]
        );
        assert_eq!(report.not_sent, ["service/web"]);
        // Nothing is asked after the loss but the one request that found it.
        assert_eq!(
            sends(&cluster).last().unwrap(),
            "unreachable deployment.apps/default/web"
        );
    }

    #[test]
    fn unchanged_objects_are_not_sent_again() {
        let mut cluster = MemoryCluster::new();
        let mut first = release();
        run(apply(&mut cluster, &mut first, &settings())).unwrap();
        cluster.log.lock().unwrap().clear();
        let mut again = release();
        again[1].object["data"]["v"] = json!("2");
        let report = run(apply(&mut cluster, &mut again, &settings())).unwrap();
        let outcomes: Vec<(&str, Outcome)> = report
            .sent
            .iter()
            .map(|s| (s.name.as_str(), s.outcome))
            .collect();
        assert_eq!(
            outcomes,
            [
                ("namespace/shop", Outcome::Unchanged),
                ("configmap/settings", Outcome::Unchanged),
                ("deployment.apps/web", Outcome::Applied),
                ("service/web", Outcome::Unchanged),
            ]
        );
        let real: Vec<String> = sends(&cluster)
            .into_iter()
            .filter(|r| r.starts_with("apply "))
            .collect();
        assert_eq!(real, ["apply deployment.apps/default/web"]);
    }

    #[test]
    fn a_server_dry_run_persists_nothing() {
        let mut cluster = MemoryCluster::new();
        let mut release = release();
        let settings = ApplySettings {
            server_dry_run: true,
            ..settings()
        };
        let report = run(apply(&mut cluster, &mut release, &settings)).unwrap();
        assert!(report.sent.iter().all(|s| s.outcome == Outcome::DryRun));
        assert!(cluster.objects.lock().unwrap().is_empty());
        assert!(!sends(&cluster).iter().any(|r| r.starts_with("apply ")));
    }

    #[test]
    fn kinds_the_release_defines_wait_for_its_crd() {
        let mut cluster = MemoryCluster::new();
        let crd = ReleaseObject {
            object: json!({"apiVersion": "apiextensions.k8s.io/v1",
                "kind": "CustomResourceDefinition", "metadata": {"name": "widgets.acme.io"},
                "spec": {"group": "acme.io", "names": {"kind": "Widget"},
                         "versions": [{"name": "v1"}]}}),
            ..object("v1", "ConfigMap", "unused")
        };
        let mut release = vec![object("acme.io/v1", "Widget", "w"), crd];
        let report = run(apply(&mut cluster, &mut release, &settings())).unwrap();
        assert!(report.is_complete());
        assert_eq!(
            sends(&cluster),
            [
                "dry-run customresourcedefinition.apiextensions.k8s.io/widgets.acme.io",
                "apply customresourcedefinition.apiextensions.k8s.io/widgets.acme.io",
                "refresh",
                "dry-run widget.acme.io/default/w",
                "apply widget.acme.io/default/w",
            ]
        );
        // A kind nobody defines is named before anything is sent.
        let mut cluster = MemoryCluster::new();
        let mut unknown = vec![object("acme.io/v1", "Gadget", "g")];
        let Problems(problems) = run(apply(&mut cluster, &mut unknown, &settings())).unwrap_err();
        assert_eq!(
            problems[0].to_string(),
            "release.yaml:1: gadget/g: the server does not know Gadget in acme.io/v1"
        );
        assert!(cluster.requests().is_empty());
    }
}
