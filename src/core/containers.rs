//! The containers of an object and the image each names, found where the image-path rules say
//! images are, walked on parsed JSON as the pin locator walks YAML events.

use std::collections::BTreeMap;

use serde_json::Value;

use super::image_paths::{ImagePath, Segment};

/// Container name -> image, where `rules` say images are, as the pin locator finds them (`#1`,
/// `#2`, ... where a rule's image is not in a named container); values that are not strings are
/// left out.
pub fn container_images(object: &Value, rules: &[ImagePath]) -> BTreeMap<String, String> {
    container_values(object, rules)
        .into_iter()
        .filter_map(|(container, value)| match value {
            Value::String(image) => Some((container, image)),
            _ => None,
        })
        .collect()
}

/// [`container_images`] with every value found where an image goes, whether it is a string or
/// not (`42`, `[a]`, `null`).
pub fn container_values(object: &Value, rules: &[ImagePath]) -> BTreeMap<String, Value> {
    let kind = object
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let live: Vec<(&[Segment], usize)> = rules
        .iter()
        .filter(|rule| rule.matches_kind(kind))
        .map(|rule| (rule.segments.as_slice(), 0))
        .collect();
    let mut found = Vec::new();
    if object.is_object() {
        image_values(object, &live, &mut found);
    }
    found
        .into_iter()
        .enumerate()
        .map(|(index, (container, value))| {
            let container = container.unwrap_or_else(|| format!("#{}", index + 1));
            (container, value.clone())
        })
        .collect()
}

/// The values below `node` that the rules `live` (each with how many of its segments the path
/// to `node` matched) end at, in document order, each with the `name` of the mapping holding
/// it (a container's), as the locator names them.
fn image_values<'a>(
    node: &'a Value,
    live: &[(&[Segment], usize)],
    found: &mut Vec<(Option<String>, &'a Value)>,
) {
    let mut visit = |child: &'a Value, matches: &dyn Fn(&Segment) -> bool, name: Option<&Value>| {
        let mut below = Vec::new();
        let mut is_image = false;
        for &(segments, matched) in live {
            if !matches(&segments[matched]) {
                continue;
            }
            if matched + 1 == segments.len() {
                is_image = true;
            } else {
                below.push((segments, matched + 1));
            }
        }
        if is_image {
            found.push((name.and_then(scalar_text), child));
        }
        if !below.is_empty() {
            image_values(child, &below, found);
        }
    };
    match node {
        Value::Object(fields) => {
            let name = fields.get("name");
            for (key, child) in fields {
                visit(child, &|segment| segment.matches_key(key), name);
            }
        }
        Value::Array(items) => {
            for item in items {
                visit(item, &|segment| matches!(segment, Segment::EachItem), None);
            }
        }
        _ => {}
    }
}

/// A scalar as YAML writes it (a container's `name: 5` is `5`); `None` for a list or mapping.
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Array(_) | Value::Object(_) => None,
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::image_paths::builtin_image_paths;
    use serde_json::json;

    #[test]
    fn container_images_are_the_ones_the_pin_locator_finds() {
        // Keys in sorted order, as serde_json keeps them: `#3` counts in document order.
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
        "spec": {
            "containers": [
                {"image": "nginx:1", "name": "web"},
                {"name": 7, "image": "seven:1"},
                {"image": "anonymous:1"},
                {"name": "bad", "image": 42}
            ],
            "initContainers": [{"name": "init", "image": "busybox:1"}],
            "volumes": [{"name": "v", "image": "not-an-image-path:1"}]
        }});
        let widget = json!({"kind": "Widget", "metadata": {"name": "w"},
            "spec": {"runner": {"images": ["a:1", "b:2"], "name": "runner"}}});
        let rules: Vec<ImagePath> = builtin_image_paths()
            .into_iter()
            .chain(["Widget:spec.runner.images[]".parse().unwrap()])
            .chain(["*:spec.runner.name".parse().unwrap()])
            .collect();
        for object in [&pod, &widget] {
            let located = |object: &Value| -> BTreeMap<String, String> {
                let text = serde_json::to_string(object).unwrap();
                crate::core::locate::locate_images(&text, &rules)
                    .unwrap()
                    .into_iter()
                    .enumerate()
                    .map(|(index, image)| {
                        let container =
                            image.container.unwrap_or_else(|| format!("#{}", index + 1));
                        (container, image.value)
                    })
                    .collect()
            };
            let mut strings_only = object.clone();
            if let Some(containers) = strings_only.pointer_mut("/spec/containers") {
                containers.as_array_mut().unwrap().pop();
            }
            assert_eq!(
                container_images(&strings_only, &rules),
                located(&strings_only),
                "{object}"
            );
        }
        assert_eq!(
            container_values(&pod, &rules),
            BTreeMap::from([
                ("init".into(), json!("busybox:1")),
                ("web".into(), json!("nginx:1")),
                ("7".into(), json!("seven:1")),
                ("#3".into(), json!("anonymous:1")),
                ("bad".into(), json!(42)),
            ])
        );
        assert_eq!(
            container_images(&pod, &rules).get("bad"),
            None,
            "only strings are images"
        );
    }
}
