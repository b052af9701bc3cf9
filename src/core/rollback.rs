//! A rollout revision's pod template pinned to the digests that revision ran, so that rolling
//! back deploys the bytes that ran then, not whatever a moved tag names now.

use std::collections::BTreeMap;

use serde_json::Value;

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
