//! A rollout revision's pod template pinned to the digests that revision ran, so that rolling
//! back deploys the bytes that ran then, not whatever a moved tag names now.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::reference::ImageReference;
use super::rollout::pod_digests;

/// A template ready to roll back to.
#[derive(Debug, Clone, PartialEq)]
pub struct PinnedTemplate {
    pub template: Value,
    /// Container -> image as the revision wrote it, where pinning changed it.
    pub original_images: BTreeMap<String, String>,
    /// The images left as tags because `allow_unpinned` named them.
    pub left_unpinned: Vec<String>,
}

/// Pins every container's and init container's image in `template` to the digest that
/// revision's `pods` report for it: the template's own digest when it has one, else the one
/// digest its pods ran. Several digests, or none for an image `allow_unpinned` does not name
/// (as written, or by name), are problems, each a line naming the container.
pub fn pin_template(
    template: &Value,
    pods: &[&Value],
    allow_unpinned: &[String],
) -> Result<PinnedTemplate, Vec<String>> {
    let mut template = template.clone();
    let mut original_images = BTreeMap::new();
    let mut left_unpinned = Vec::new();
    let mut problems = Vec::new();
    for list in ["containers", "initContainers"] {
        let Some(containers) = template
            .pointer_mut(&format!("/spec/{list}"))
            .and_then(Value::as_array_mut)
        else {
            continue;
        };
        for container in containers {
            let name = container["name"].as_str().unwrap_or_default().to_string();
            let Some(image) = container["image"].as_str().map(str::to_string) else {
                continue;
            };
            let reference = match ImageReference::parse(&image) {
                Ok(reference) if reference.digest().is_some() => continue,
                Ok(reference) => reference,
                Err(error) => {
                    problems.push(format!(
                        "container {name}: invalid image reference \"{image}\": {error}"
                    ));
                    continue;
                }
            };
            let ran = pod_digests(pods, &name);
            match ran.len() {
                1 => {
                    let digest = ran.first().expect("one digest");
                    container["image"] = Value::String(reference.pinned(digest, false));
                    original_images.insert(name, image);
                }
                0 if allow_unpinned
                    .iter()
                    .any(|allowed| *allowed == image || allowed == reference.written_name()) =>
                {
                    left_unpinned.push(image);
                }
                0 => problems.push(format!(
                    "container {name}: no pod of the revision reports the digest it ran for \
                     {image}; --allow-unpinned {image} rolls back to the tag as it is now"
                )),
                _ => problems.push(format!(
                    "container {name}: the revision's pods ran {} digests of {image} ({}); \
                     pin the one wanted by hand",
                    ran.len(),
                    ran.iter().cloned().collect::<Vec<_>>().join(", ")
                )),
            }
        }
    }
    if problems.is_empty() {
        Ok(PinnedTemplate {
            template,
            original_images,
            left_unpinned,
        })
    } else {
        Err(problems)
    }
}

/// A Deployment's annotations that describe its own rollout, not a revision: `rollout undo`
/// keeps the Deployment's and never copies a ReplicaSet's (kubectl's `annotationsToSkip`).
const ROLLOUT_ANNOTATIONS: [&str; 6] = [
    "kubectl.kubernetes.io/last-applied-configuration",
    "deployment.kubernetes.io/revision",
    "deployment.kubernetes.io/revision-history",
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "deprecated.deployment.rollback.to",
];

/// The workload `live` as `kubectl rollout undo` stores it rolled back to `template`: the pod
/// template replaced whole (nothing of the current one kept, whoever set it), and where the
/// revision is a ReplicaSet with `revision_annotations`, the Deployment's annotations those of
/// that ReplicaSet (its change-cause among them) beside the Deployment's own rollout
/// annotations. Every other field is as read, `metadata.resourceVersion` with it, so the
/// update is refused if the workload changed since; `managedFields` and `status` are left
/// out, for the server to keep.
pub fn rolled_back(
    live: &Value,
    template: Value,
    revision_annotations: Option<&Map<String, Value>>,
) -> Value {
    let mut object = live.clone();
    if let Some(metadata) = object["metadata"].as_object_mut() {
        metadata.remove("managedFields");
        if let Some(revision) = revision_annotations {
            let current = metadata.get("annotations").and_then(Value::as_object);
            let kept = ROLLOUT_ANNOTATIONS
                .iter()
                .filter_map(|key| Some((key.to_string(), current?.get(*key)?.clone())));
            let copied = revision
                .iter()
                .filter(|(key, _)| !ROLLOUT_ANNOTATIONS.contains(&key.as_str()))
                .map(|(key, value)| (key.clone(), value.clone()));
            let annotations: Map<String, Value> = kept.chain(copied).collect();
            metadata.insert("annotations".into(), Value::Object(annotations));
        }
    }
    if let Some(fields) = object.as_object_mut() {
        fields.remove("status");
    }
    object["spec"]["template"] = template;
    object
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const A: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    fn template() -> Value {
        json!({"metadata": {"labels": {"app": "web"}}, "spec": {
        "initContainers": [{"name": "setup", "image": "registry.test/setup:1"}],
        "containers": [
            {"name": "web", "image": "registry.test/web:1.4"},
            {"name": "proxy", "image": format!("registry.test/proxy@{B}")}
        ]}})
    }

    fn pod(statuses: &[(&str, &str, String)]) -> Value {
        let status = |list: &str| -> Vec<Value> {
            statuses
                .iter()
                .filter(|(l, _, _)| *l == list)
                .map(|(_, name, id)| json!({"name": name, "imageID": id}))
                .collect()
        };
        json!({"status": {"containerStatuses": status("c"),
                          "initContainerStatuses": status("i")}})
    }

    #[test]
    fn every_tag_is_pinned_to_what_the_revisions_pods_ran() {
        let pods = [
            pod(&[
                (
                    "c",
                    "web",
                    format!("docker-pullable://registry.test/web@{A}"),
                ),
                ("i", "setup", B.to_string()),
            ]),
            pod(&[("c", "web", format!("registry.test/web@{A}"))]),
        ];
        let pods: Vec<&Value> = pods.iter().collect();
        let pinned = pin_template(&template(), &pods, &[]).unwrap();
        assert_eq!(
            pinned.template["spec"]["containers"][0]["image"],
            format!("registry.test/web:1.4@{A}")
        );
        assert_eq!(
            pinned.template["spec"]["initContainers"][0]["image"],
            format!("registry.test/setup:1@{B}")
        );
        assert_eq!(
            pinned.template["spec"]["containers"][1]["image"],
            format!("registry.test/proxy@{B}"),
            "a digest in the template is kept"
        );
        assert_eq!(
            pinned.original_images,
            BTreeMap::from([
                ("setup".into(), "registry.test/setup:1".into()),
                ("web".into(), "registry.test/web:1.4".into())
            ])
        );
    }

    #[test]
    fn a_rollback_replaces_the_template_and_restores_the_revisions_annotations() {
        let live = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "resourceVersion": "42",
                "managedFields": [{"manager": "kubectl"}],
                "annotations": {
                    "deployment.kubernetes.io/revision": "2",
                    "kubectl.kubernetes.io/last-applied-configuration": "{}",
                    "kubernetes.io/change-cause": "broke it",
                    "team": "now"}},
            "spec": {"replicas": 3, "template": {
                "metadata": {"labels": {"app": "web", "extra": "2"}},
                "spec": {"containers": [
                    {"name": "web", "image": "web:2", "env": [{"name": "MODE", "value": "broken"}]},
                    {"name": "sidecar", "image": "side:1"}]}}},
            "status": {"replicas": 3}
        });
        let revision = json!({
            "deployment.kubernetes.io/revision": "1",
            "kubernetes.io/change-cause": "first",
            "team": "then"});
        let object = rolled_back(&live, template(), revision.as_object());
        assert_eq!(
            object,
            json!({
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "web", "resourceVersion": "42", "annotations": {
                    "deployment.kubernetes.io/revision": "2",
                    "kubectl.kubernetes.io/last-applied-configuration": "{}",
                    "kubernetes.io/change-cause": "first",
                    "team": "then"}},
                "spec": {"replicas": 3, "template": template()}
            })
        );
        // A ControllerRevision keeps no annotations: the workload's stay.
        let object = rolled_back(&live, template(), None);
        assert_eq!(
            object["metadata"]["annotations"],
            live["metadata"]["annotations"]
        );
        assert_eq!(object["spec"]["template"], template());
    }

    #[test]
    fn an_unknown_or_ambiguous_digest_is_refused_unless_allowed() {
        let pods = [
            pod(&[("c", "web", format!("registry.test/web@{A}"))]),
            pod(&[("c", "web", format!("registry.test/web@{B}"))]),
        ];
        let pods: Vec<&Value> = pods.iter().collect();
        let problems = pin_template(&template(), &pods, &[]).unwrap_err();
        assert_eq!(
            problems,
            [
                format!(
                    "container web: the revision's pods ran 2 digests of registry.test/web:1.4 ({A}, {B}); pin the one wanted by hand"
                ),
                "container setup: no pod of the revision reports the digest it ran for registry.test/setup:1; --allow-unpinned registry.test/setup:1 rolls back to the tag as it is now".to_string(),
            ]
        );
        let one = [pod(&[("c", "web", format!("registry.test/web@{A}"))])];
        let one: Vec<&Value> = one.iter().collect();
        let allowed = pin_template(&template(), &one, &["registry.test/setup".into()]).unwrap();
        assert_eq!(
            allowed.template["spec"]["initContainers"][0]["image"],
            "registry.test/setup:1"
        );
        assert_eq!(allowed.left_unpinned, ["registry.test/setup:1"]);
    }
}
