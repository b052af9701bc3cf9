//! Drift: containers whose running digest (their status's `imageID`) is not what their
//! workload's template names. Pure: the caller lists the pods and asks the registry.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

use super::reference::ImageReference;
use super::rollout::image_id_digest;

/// One container of one pod.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DriftRow {
    pub namespace: String,
    pub workload: String,
    pub pod: String,
    pub container: String,
    /// The image the workload's template names for the container.
    pub template_image: String,
    /// The digest the container runs; none while it is not running yet.
    pub running: Option<String>,
    pub drift: bool,
    pub note: String,
}

/// The tag-only images of a pod template (containers and init containers), whose registry
/// digest tells whether the tag moved since the pods pulled it.
pub fn tagged_images(template: &Value) -> BTreeSet<String> {
    containers(template)
        .into_iter()
        .map(|(_, image)| image)
        .filter(|image| ImageReference::parse(image).is_ok_and(|r| r.digest().is_none()))
        .collect()
}

/// Container name -> image of a pod template or pod spec holder (`spec.containers`,
/// `spec.initContainers`).
fn containers(template: &Value) -> Vec<(String, String)> {
    ["containers", "initContainers"]
        .into_iter()
        .filter_map(|list| template.pointer(&format!("/spec/{list}"))?.as_array())
        .flatten()
        .filter_map(|c| Some((c["name"].as_str()?.into(), c["image"].as_str()?.into())))
        .collect()
}

/// Every container of every pod of one workload, compared with `template` (the workload's pod
/// template). `registry` has the digest each tag-only image's tag points at now.
pub fn workload_drift(
    namespace: &str,
    workload: &str,
    template: &Value,
    pods: &[Value],
    registry: &BTreeMap<String, String>,
) -> Vec<DriftRow> {
    let wanted: BTreeMap<String, String> = containers(template).into_iter().collect();
    // Per tag-only container, the digests its running pods report: pods of the template only,
    // not those an unfinished rollout has not replaced yet (another tag's digests).
    let mut ran: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let statuses = |pod: &'_ Value| -> Vec<(String, Option<String>)> {
        ["containerStatuses", "initContainerStatuses"]
            .into_iter()
            .filter_map(|list| pod.pointer(&format!("/status/{list}"))?.as_array().cloned())
            .flatten()
            .filter_map(|status| {
                let name = status["name"].as_str()?.to_string();
                let digest = status["imageID"]
                    .as_str()
                    .and_then(image_id_digest)
                    .map(str::to_string);
                Some((name, digest))
            })
            .collect()
    };
    for pod in pods {
        let spec: BTreeMap<String, String> = containers(pod).into_iter().collect();
        for (name, digest) in statuses(pod) {
            if let (Some((name, image)), Some(digest)) = (wanted.get_key_value(&name), digest)
                && spec.get(name).is_none_or(|pod_image| pod_image == image)
            {
                ran.entry(name).or_default().insert(digest);
            }
        }
    }
    let mut rows = Vec::new();
    for pod in pods {
        let pod_name = pod["metadata"]["name"].as_str().unwrap_or_default();
        let spec: BTreeMap<String, String> = containers(pod).into_iter().collect();
        let reported: BTreeMap<String, Option<String>> = statuses(pod).into_iter().collect();
        for (container, image) in &wanted {
            let running = reported.get(container).cloned().flatten();
            let (drift, note) = judge(
                image,
                spec.get(container),
                running.as_deref(),
                ran.get(container.as_str()),
                registry,
            );
            rows.push(DriftRow {
                namespace: namespace.to_string(),
                workload: workload.to_string(),
                pod: pod_name.to_string(),
                container: container.clone(),
                template_image: image.clone(),
                running,
                drift,
                note,
            });
        }
    }
    rows
}

/// Whether one container drifts, and why (or what it is).
fn judge(
    image: &str,
    pod_image: Option<&String>,
    running: Option<&str>,
    ran: Option<&BTreeSet<String>>,
    registry: &BTreeMap<String, String>,
) -> (bool, String) {
    let Some(running) = running else {
        return (false, "pending: not running yet".into());
    };
    if pod_image.is_some_and(|pod_image| pod_image != image) {
        return (
            false,
            "from an older template: the rollout has not replaced it yet".into(),
        );
    }
    let Ok(reference) = ImageReference::parse(image) else {
        return (false, "not an image reference".into());
    };
    if let Some(pinned) = reference.digest() {
        return if running == pinned {
            (false, "pinned".into())
        } else {
            (
                true,
                format!("runs another digest than the {pinned} pinned"),
            )
        };
    }
    let digests = ran.map_or(0, BTreeSet::len);
    if digests > 1 {
        return (
            true,
            format!("the tag's pods run {digests} different digests"),
        );
    }
    match registry.get(image) {
        Some(now) if now != running => (true, format!("the tag has moved to {now}")),
        Some(_) => (false, "tag, current".into()),
        None => (false, "tag".into()),
    }
}

/// The rows as a table; the namespace column only when rows span namespaces (`-A`).
pub fn render_text(rows: &[DriftRow], with_namespace: bool) -> String {
    if rows.is_empty() {
        return "no running containers\n".into();
    }
    let header = [
        "NAMESPACE",
        "WORKLOAD",
        "POD",
        "CONTAINER",
        "TEMPLATE IMAGE",
        "RUNNING",
        "NOTE",
    ];
    let mut table: Vec<Vec<String>> = vec![header.iter().map(|h| h.to_string()).collect()];
    for row in rows {
        table.push(vec![
            row.namespace.clone(),
            row.workload.clone(),
            row.pod.clone(),
            row.container.clone(),
            row.template_image.clone(),
            row.running.clone().unwrap_or_else(|| "<none>".into()),
            format!("{}{}", if row.drift { "DRIFT: " } else { "" }, row.note),
        ]);
    }
    let skip = usize::from(!with_namespace);
    let widths: Vec<usize> = (0..header.len())
        .map(|column| {
            table
                .iter()
                .map(|r| r[column].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut text = String::new();
    for row in &table {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .skip(skip)
            .map(|(cell, width)| format!("{cell:width$}"))
            .collect();
        let _ = writeln!(text, "{}", cells.join("  ").trim_end());
    }
    text
}

pub fn render_json(rows: &[DriftRow]) -> String {
    let mut text = serde_json::to_string_pretty(rows).expect("rows serialise");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const A: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    fn template(image: &str) -> Value {
        json!({"spec": {"containers": [{"name": "web", "image": image}]}})
    }

    fn pod(name: &str, image: &str, image_id: Option<&str>) -> Value {
        let mut pod = json!({"metadata": {"name": name},
            "spec": {"containers": [{"name": "web", "image": image}]}, "status": {}});
        if let Some(id) = image_id {
            pod["status"]["containerStatuses"] = json!([{"name": "web", "imageID": id}]);
        }
        pod
    }

    fn notes(rows: &[DriftRow]) -> Vec<(bool, &str)> {
        rows.iter().map(|r| (r.drift, r.note.as_str())).collect()
    }

    #[test]
    fn a_pinned_template_drifts_where_a_pod_runs_another_digest() {
        let image = format!("registry.test/web:1@{A}");
        let pods = [
            pod(
                "web-1",
                &image,
                Some(&format!("docker-pullable://registry.test/web@{A}")),
            ),
            pod("web-2", &image, Some(&format!("registry.test/web@{B}"))),
            pod("web-3", &image, None),
        ];
        let rows = workload_drift(
            "shop",
            "deployment.apps/web",
            &template(&image),
            &pods,
            &BTreeMap::new(),
        );
        assert_eq!(
            notes(&rows),
            [
                (false, "pinned"),
                (true, &*format!("runs another digest than the {A} pinned")),
                (false, "pending: not running yet"),
            ]
        );
        assert_eq!(rows[1].running.as_deref(), Some(B));
    }

    #[test]
    fn a_tag_drifts_when_its_pods_disagree_or_the_registry_moved_it() {
        let image = "registry.test/web:1";
        let one = [pod("web-1", image, Some(A))];
        let current = BTreeMap::from([(image.to_string(), A.to_string())]);
        let moved = BTreeMap::from([(image.to_string(), B.to_string())]);
        let judge = |pods: &[Value], registry| {
            workload_drift("shop", "w", &template(image), pods, registry)
        };
        assert_eq!(notes(&judge(&one, &current)), [(false, "tag, current")]);
        assert_eq!(
            notes(&judge(&one, &moved)),
            [(true, &*format!("the tag has moved to {B}"))]
        );
        let split = [pod("web-1", image, Some(A)), pod("web-2", image, Some(B))];
        assert!(judge(&split, &current).iter().all(|r| r.drift));
        let rolling = [
            pod("web-0", "registry.test/web:0", Some(B)),
            pod("web-1", image, Some(A)),
        ];
        assert_eq!(
            notes(&judge(&rolling, &current)),
            [
                (
                    false,
                    "from an older template: the rollout has not replaced it yet"
                ),
                (false, "tag, current")
            ],
            "an old pod's digest is not one of the tag's"
        );
        let older = [pod("web-0", "registry.test/web:0", Some(B))];
        assert_eq!(
            notes(&judge(&older, &current)),
            [(
                false,
                "from an older template: the rollout has not replaced it yet"
            )]
        );
        assert_eq!(
            tagged_images(&template(image)),
            BTreeSet::from([image.to_string()])
        );
        assert!(tagged_images(&template(&format!("{image}@{A}"))).is_empty());
    }
}
