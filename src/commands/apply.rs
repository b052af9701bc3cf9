//! `kubectl immutable apply`: pin in memory, check every object with a server-side dry run, and
//! only then apply them all for real.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::history::cluster_settings;
use super::pin::{ResolveSettings, read_and_find, resolve};
use super::{ExitStatus, Problems};
use crate::adapters::cluster::{Cluster, ClusterError, Resource};
use crate::adapters::registry::RegistryClient;
use crate::cli::{ApplyArgs, ApplyOutput, DryRun};
use crate::core::diff::container_images;
use crate::core::image_paths::ImagePath;
use crate::core::manifest::{ObjectKey, parse_documents, parse_objects, to_yaml};

/// The annotation recording the image references as written before pinning, so `diff` and
/// `history` can show `nginx:1.27 -> sha256:…`.
pub const ORIGINAL_IMAGES: &str = "kubectl-immutable/original-images";

/// One object of the release, in input order.
struct ReleaseObject {
    /// The source it came from, for messages.
    source: String,
    /// The line its document starts on in that source (as written, before pinning).
    line: usize,
    object: Value,
    /// Resolved once discovery knows its kind.
    target: Option<(Resource, ObjectKey)>,
}

impl ReleaseObject {
    fn kind(&self) -> &str {
        self.object["kind"].as_str().unwrap_or_default()
    }

    /// Namespaces and CRDs go first: the rest cannot even be checked without them.
    fn is_foundation(&self) -> bool {
        let api_version = self.object["apiVersion"].as_str().unwrap_or_default();
        (self.kind() == "Namespace" && api_version == "v1")
            || (self.kind() == "CustomResourceDefinition"
                && api_version.starts_with("apiextensions.k8s.io/"))
    }

    /// `FILE:LINE: kind/name`, how a message names the object.
    fn place(&self) -> String {
        format!("{}:{}: {}", self.source, self.line, self.name())
    }

    fn name(&self) -> String {
        match &self.target {
            Some((_, key)) => kubectl_name(key),
            None => format!(
                "{}/{}",
                self.kind().to_ascii_lowercase(),
                self.object["metadata"]["name"].as_str().unwrap_or_default()
            ),
        }
    }
}

/// `deployment.apps/web`, as kubectl names objects in its output.
fn kubectl_name(key: &ObjectKey) -> String {
    let kind = key.kind.to_ascii_lowercase();
    if key.group.is_empty() {
        format!("{kind}/{}", key.name)
    } else {
        format!("{kind}.{}/{}", key.group, key.name)
    }
}

pub fn run(args: ApplyArgs, quiet: bool) -> anyhow::Result<ExitStatus> {
    super::runtime()?.block_on(apply(args, quiet))
}

async fn apply(args: ApplyArgs, quiet: bool) -> anyhow::Result<ExitStatus> {
    let mut settings = ResolveSettings::new(args.sources, args.resolve, quiet)?;
    settings.allow_unpinned = args.allow_unpinned.clone();
    let registry = RegistryClient::new(settings.registry.clone());
    let resolution = resolve(&settings, &registry, read_and_find(&settings)?, false).await?;

    let mut problems = Vec::new();
    let mut release = Vec::new();
    for ((source, pinned), original) in resolution
        .found
        .sources
        .iter()
        .zip(resolution.texts())
        .zip(resolution.found.sources.iter().map(|s| s.text.as_str()))
    {
        match (parse_objects(pinned), parse_documents(original)) {
            (Ok(objects), Ok(originals)) => {
                for (mut object, original) in objects.into_iter().zip(originals) {
                    record_original_images(&mut object, &original.object, &settings.rules);
                    release.push(ReleaseObject {
                        source: source.name.clone(),
                        line: original.line,
                        object,
                        target: None,
                    });
                }
            }
            (Err(error), _) | (_, Err(error)) => problems.push(format!("{}:{error}", source.name)),
        }
    }
    if !problems.is_empty() {
        return Err(Problems(problems).into());
    }

    if args.dry_run == DryRun::Client {
        let objects: Vec<(String, &Value)> =
            release.iter().map(|o| (o.name(), &o.object)).collect();
        print_objects(args.output, &objects, "serverside-applied (client dry run)")?;
        return Ok(ExitStatus::Success);
    }

    let mut cluster = Cluster::connect(&cluster_settings(&args.cluster)).await?;
    let release_kinds = kinds_defined_by(&release);
    let problems = resolve_targets(&cluster, &mut release, &release_kinds);
    if !problems.is_empty() {
        return Err(Problems(problems).into());
    }

    let server_dry_run = args.dry_run == DryRun::Server;
    let apply = Applier::new(
        &cluster,
        &args.field_manager,
        args.force_conflicts,
        args.dry_run,
    );
    let mut results: Vec<Option<Result<(Value, Outcome), ClusterError>>> =
        (0..release.len()).map(|_| None).collect();

    // Namespaces and CRDs first: checked, then applied (unless this is a dry run), so that the
    // objects in them can be checked too. A failure here stops the release.
    let foundations: Vec<usize> = (0..release.len())
        .filter(|&i| release[i].is_foundation())
        .collect();
    let checked = apply.dry_run_all(&release, &foundations).await;
    refuse_failures(&release, &foundations, &checked, &[])?;
    let mut applied_foundations = Vec::new();
    for (&index, checked) in foundations.iter().zip(checked) {
        let outcome = apply.settle(&release[index], checked).await;
        match &outcome {
            Ok((_, Outcome::Applied)) => applied_foundations.push(release[index].name()),
            Ok(_) => {}
            Err(error) => {
                let mut problems = vec![format!("{}: {error}", release[index].place())];
                problems.extend(applied_note(&applied_foundations));
                return Err(Problems(problems).into());
            }
        }
        results[index] = Some(outcome);
    }
    if !server_dry_run && release.iter().any(|o| o.target.is_none()) {
        wait_for_crds(&cluster, &release, &foundations).await?;
        cluster.refresh().await?;
        let mut problems = resolve_targets(&cluster, &mut release, &[]);
        if !problems.is_empty() {
            problems.extend(applied_note(&applied_foundations));
            return Err(Problems(problems).into());
        }
    }
    let apply = Applier::new(
        &cluster,
        &args.field_manager,
        args.force_conflicts,
        args.dry_run,
    );

    // Everything else: every object checked by the server before any is applied.
    let rest: Vec<usize> = (0..release.len())
        .filter(|&i| !release[i].is_foundation() && release[i].target.is_some())
        .collect();
    let checked = apply.dry_run_all(&release, &rest).await;
    refuse_failures(&release, &rest, &checked, &applied_foundations)?;
    // A cluster still unreachable after the retries is not asked about every remaining object
    // in turn: the rest is reported not sent.
    let (mut lost, mut not_sent) = (false, Vec::new());
    for (&index, checked) in rest.iter().zip(checked) {
        if lost {
            not_sent.push(release[index].name());
            continue;
        }
        let outcome = apply.settle(&release[index], checked).await;
        lost = is_lost(&outcome);
        results[index] = Some(outcome);
    }

    // In the order they were sent: Namespaces and CRDs, then the rest in input order.
    let order: Vec<usize> = foundations.iter().chain(&rest).copied().collect();
    let mut failed = 0;
    let mut done = Vec::new();
    let mut stderr = std::io::stderr().lock();
    for &index in &order {
        match results[index].as_ref() {
            Some(Ok((object, outcome))) => done.push((release[index].name(), object, *outcome)),
            Some(Err(error)) => {
                failed += 1;
                writeln!(
                    stderr,
                    "error: {}: {}",
                    release[index].place(),
                    explain(error)
                )?;
            }
            None => {}
        }
    }
    if !not_sent.is_empty() {
        failed += not_sent.len();
        writeln!(
            stderr,
            "error: not sent, as the cluster could not be reached: {}",
            not_sent.join(", ")
        )?;
    }
    drop(stderr);
    match args.output {
        Some(format) => {
            let objects: Vec<(String, &Value)> = done
                .iter()
                .map(|(name, object, _)| (name.clone(), *object))
                .collect();
            print_objects(Some(format), &objects, "")?;
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            for (name, _, outcome) in &done {
                writeln!(stdout, "{name} {}", outcome.describe())?;
            }
        }
    }
    if failed > 0 {
        return Ok(ExitStatus::Found);
    }
    if args.wait && !server_dry_run {
        let rollouts: Vec<&ObjectKey> = release
            .iter()
            .filter_map(|o| o.target.as_ref().map(|(_, key)| key))
            .filter(|key| {
                key.group == "apps"
                    && matches!(
                        key.kind.as_str(),
                        "Deployment" | "StatefulSet" | "DaemonSet"
                    )
            })
            .collect();
        if let Err(stuck) =
            wait_for_rollouts(&cluster, &release, &rollouts, args.timeout, quiet).await
        {
            eprintln!("error: {stuck}");
            return Ok(ExitStatus::Found);
        }
    }
    Ok(ExitStatus::Success)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Applied,
    Unchanged,
    DryRun,
}

impl Outcome {
    fn describe(self) -> &'static str {
        match self {
            Outcome::Applied => "serverside-applied",
            Outcome::Unchanged => "unchanged",
            Outcome::DryRun => "serverside-applied (server dry run)",
        }
    }
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

type Checked = (Result<Value, ClusterError>, Option<Value>);

/// Finds each object's API resource; an unknown kind is a problem unless `defined_later` (the
/// release's own CRDs) will define it.
fn resolve_targets(
    cluster: &Cluster,
    release: &mut [ReleaseObject],
    defined_later: &[(String, String)],
) -> Vec<String> {
    let mut problems = Vec::new();
    for object in release.iter_mut().filter(|o| o.target.is_none()) {
        match cluster.resource(&object.object) {
            Ok(resource) => {
                let key = cluster.key(&object.object, &resource);
                object.target = Some((resource, key));
            }
            Err(ClusterError::UnknownKind { .. })
                if defined_later.contains(&group_kind(&object.object)) => {}
            Err(error) => problems.push(format!("{}: {error}", object.place())),
        }
    }
    problems
}

/// Sends objects to the server the way this run was asked to.
#[derive(Clone, Copy)]
struct Applier<'a> {
    cluster: &'a Cluster,
    manager: &'a str,
    force: bool,
    /// `--dry-run=server`: nothing is applied for real.
    dry_run: bool,
}

impl<'a> Applier<'a> {
    fn new(cluster: &'a Cluster, manager: &'a str, force: bool, dry_run: DryRun) -> Self {
        Applier {
            cluster,
            manager,
            force,
            dry_run: dry_run == DryRun::Server,
        }
    }

    /// A server-side dry run of each object, and its live state; every object is tried unless
    /// the cluster cannot be reached.
    async fn dry_run_all(&self, release: &[ReleaseObject], indices: &[usize]) -> Vec<Checked> {
        let mut checked = Vec::with_capacity(indices.len());
        for &index in indices {
            let object = &release[index];
            let (resource, key) = object.target.as_ref().expect("resolved kinds");
            let live = self.cluster.get(resource, key).await.ok().flatten();
            let dry = self.send(object, true).await;
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
        object: &ReleaseObject,
        (dry, live): Checked,
    ) -> Result<(Value, Outcome), ClusterError> {
        let dry = dry.expect("failures were refused");
        if self.dry_run {
            return Ok((dry, Outcome::DryRun));
        }
        if let Some(live) = live
            && same_as_live(&dry, &live)
        {
            return Ok((live, Outcome::Unchanged));
        }
        Ok((self.send(object, false).await?, Outcome::Applied))
    }

    /// A server-side apply of one object, for real or as a dry run.
    async fn send(&self, object: &ReleaseObject, dry_run: bool) -> Result<Value, ClusterError> {
        let (resource, key) = object.target.as_ref().expect("resolved kinds");
        self.cluster
            .apply(
                resource,
                key,
                &object.object,
                self.manager,
                self.force,
                dry_run,
            )
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
    let mut problems: Vec<String> = indices
        .iter()
        .zip(checked)
        .filter_map(|(&index, (result, _))| {
            let error = result.as_ref().err()?;
            Some(format!("{}: {}", release[index].place(), explain(error)))
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        problems.push("nothing else was applied".to_string());
        problems.extend(applied_note(applied));
        Err(Problems(problems))
    }
}

/// Whether a request failed because the cluster could not be reached, after its retries.
fn is_lost<T>(result: &Result<T, ClusterError>) -> bool {
    matches!(result, Err(ClusterError::Unreachable(_)))
}

fn applied_note(applied: &[String]) -> Option<String> {
    (!applied.is_empty()).then(|| {
        format!(
            "applied before stopping (the release's own Namespaces and CRDs): {}",
            applied.join(", ")
        )
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
/// `resourceVersion` and the times in `managedFields`.
fn same_as_live(dry: &Value, live: &Value) -> bool {
    comparable(dry) == comparable(live)
}

fn comparable(object: &Value) -> Value {
    let mut object = object.clone();
    if let Value::Object(map) = &mut object {
        map.remove("status");
    }
    if let Some(Value::Object(metadata)) = object.get_mut("metadata") {
        metadata.remove("resourceVersion");
        if let Some(Value::Array(entries)) = metadata.get_mut("managedFields") {
            // The server adds a `before-first-apply` entry the first time it applies to an
            // object that has none (a Namespace created by apply on 1.20); it records no
            // change of ours, so it does not make a write worthwhile.
            entries.retain(|entry| entry["manager"] != "before-first-apply");
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

/// Waits until every CRD of the release reports `Established`.
async fn wait_for_crds(
    cluster: &Cluster,
    release: &[ReleaseObject],
    foundations: &[usize],
) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    for &index in foundations {
        let object = &release[index];
        if object.kind() != "CustomResourceDefinition" {
            continue;
        }
        let (resource, key) = object.target.as_ref().expect("CRDs are a known kind");
        loop {
            let live = cluster.get(resource, key).await?;
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
            anyhow::ensure!(
                Instant::now() < deadline,
                "{} did not become Established within 60s",
                object.name()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    Ok(())
}

/// Waits for every rollout to finish; on timeout, names the stuck object and its conditions.
async fn wait_for_rollouts(
    cluster: &Cluster,
    release: &[ReleaseObject],
    rollouts: &[&ObjectKey],
    timeout: Duration,
    quiet: bool,
) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    for key in rollouts {
        let resource = release
            .iter()
            .find_map(|o| o.target.as_ref().filter(|(_, k)| k == *key).map(|(r, _)| r))
            .expect("a key of the release");
        let mut last = String::new();
        loop {
            let live = cluster
                .get(resource, key)
                .await
                .map_err(|e| e.to_string())?
                .unwrap_or(Value::Null);
            let (done, progress) = rollout_progress(&key.kind, &live);
            if done {
                break;
            }
            if !quiet && progress != last {
                eprintln!("waiting for {}: {progress}", kubectl_name(key));
                last = progress;
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "{} did not finish its rollout within {}: {last}; conditions: {}",
                    kubectl_name(key),
                    humantime::format_duration(timeout),
                    conditions(&live)
                ));
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    Ok(())
}

/// Whether a workload's rollout is complete, and how far it is, as `kubectl rollout status` judges.
fn rollout_progress(kind: &str, live: &Value) -> (bool, String) {
    let number = |pointer: &str| live.pointer(pointer).and_then(Value::as_i64).unwrap_or(0);
    let generation_seen = number("/status/observedGeneration") >= number("/metadata/generation");
    match kind {
        "DaemonSet" => {
            let desired = number("/status/desiredNumberScheduled");
            let updated = number("/status/updatedNumberScheduled");
            let available = number("/status/numberAvailable");
            (
                generation_seen && updated == desired && available == desired,
                format!("{updated}/{desired} updated, {available}/{desired} available"),
            )
        }
        _ => {
            let wanted = live
                .pointer("/spec/replicas")
                .and_then(Value::as_i64)
                .unwrap_or(1);
            let updated = number("/status/updatedReplicas");
            let ready = if kind == "StatefulSet" {
                number("/status/readyReplicas")
            } else {
                number("/status/availableReplicas")
            };
            let word = if kind == "StatefulSet" {
                "ready"
            } else {
                "available"
            };
            (
                generation_seen && updated == wanted && ready == wanted,
                format!("{updated}/{wanted} updated, {ready}/{wanted} {word}"),
            )
        }
    }
}

fn conditions(live: &Value) -> String {
    live["status"]["conditions"]
        .as_array()
        .map(|conditions| {
            conditions
                .iter()
                .map(|c| {
                    format!(
                        "{}={} ({})",
                        c["type"].as_str().unwrap_or_default(),
                        c["status"].as_str().unwrap_or_default(),
                        c["message"].as_str().unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_else(|| "none".to_string())
}

/// The objects as `-o` asks, or one `name describe` line each.
fn print_objects(
    format: Option<ApplyOutput>,
    objects: &[(String, &Value)],
    describe: &str,
) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match format {
        None => {
            for (name, _) in objects {
                writeln!(stdout, "{name} {describe}")?;
            }
        }
        Some(ApplyOutput::Name) => {
            for (name, _) in objects {
                writeln!(stdout, "{name}")?;
            }
        }
        Some(ApplyOutput::Json) => {
            let items: Vec<&Value> = objects.iter().map(|(_, object)| *object).collect();
            let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items});
            writeln!(stdout, "{}", serde_json::to_string_pretty(&list)?)?;
        }
        Some(ApplyOutput::Yaml) => {
            for (index, (_, object)) in objects.iter().enumerate() {
                if index > 0 {
                    writeln!(stdout, "---")?;
                }
                stdout.write_all(to_yaml(object).as_bytes())?;
            }
        }
    }
    Ok(())
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

    #[test]
    fn a_dry_run_equal_but_for_times_and_versions_is_unchanged() {
        let live = json!({"metadata": {"name": "a", "resourceVersion": "5",
            "managedFields": [{"manager": "m", "time": "2026-01-01T00:00:00Z"}]},
            "spec": {"x": 1}, "status": {"ready": true}});
        let dry = json!({"metadata": {"name": "a", "resourceVersion": "6",
            "managedFields": [{"manager": "m", "time": "2026-01-02T00:00:00Z"}]},
            "spec": {"x": 1}});
        assert!(same_as_live(&dry, &live));
        let changed = json!({"metadata": {"name": "a"}, "spec": {"x": 2}});
        assert!(!same_as_live(&changed, &live));
    }

    #[test]
    fn rollouts_are_done_when_every_replica_is_updated_and_available() {
        let deployment = |available: i64| {
            json!({"metadata": {"generation": 2}, "spec": {"replicas": 2},
                   "status": {"observedGeneration": 2, "updatedReplicas": 2, "availableReplicas": available}})
        };
        assert_eq!(
            rollout_progress("Deployment", &deployment(1)),
            (false, "2/2 updated, 1/2 available".to_string())
        );
        assert!(rollout_progress("Deployment", &deployment(2)).0);
        let stale = json!({"metadata": {"generation": 3}, "spec": {"replicas": 1},
            "status": {"observedGeneration": 2, "updatedReplicas": 1, "availableReplicas": 1}});
        assert!(!rollout_progress("Deployment", &stale).0);
    }
}
