//! What changes between two releases: objects matched by identity, an image table, and a
//! unified diff per changed object. Pure: the caller reads the two sides.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;
use similar::TextDiff;

use super::containers::container_values;
use super::image_paths::ImagePath;
use super::manifest::{ObjectKey, to_yaml};
use super::reference::ImageReference;

/// The objects of one side, by identity.
pub type ObjectSet = BTreeMap<ObjectKey, Value>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Added,
    Removed,
    Changed,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
    pub unchanged: usize,
}

/// Why an image change deserves a second look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ImageNote {
    /// Same name and tag, another digest: the tag was pushed again.
    TagMoved,
    /// One side names the image without a digest.
    Unpinned,
    /// One side's value is not a valid image reference (`Nginx:1`, `""`) or not a string at all
    /// (`42`, `[a]`, `null`): diff shows what is written, `pin` refuses it.
    InvalidReference,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageChange {
    pub object: String,
    pub container: String,
    /// The value as written: a string, or whatever else stands where an image should.
    pub old: Option<Value>,
    pub new: Option<Value>,
    pub note: Option<ImageNote>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectDiff {
    pub object: String,
    pub change: Change,
    pub diff: String,
}

/// The whole comparison, in the order it is printed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DiffReport {
    pub summary: Summary,
    pub images: Vec<ImageChange>,
    pub objects: Vec<ObjectDiff>,
}

impl DiffReport {
    pub fn has_differences(&self) -> bool {
        !self.objects.is_empty()
    }
}

/// Compares two sides object by object; `rules` say where images are.
pub fn diff(old: &ObjectSet, new: &ObjectSet, rules: &[ImagePath]) -> DiffReport {
    let mut report = DiffReport::default();
    let keys: std::collections::BTreeSet<&ObjectKey> = old.keys().chain(new.keys()).collect();
    for key in keys {
        let (before, after) = (old.get(key), new.get(key));
        let change = match (before, after) {
            (Some(a), Some(b)) if a == b => {
                report.summary.unchanged += 1;
                continue;
            }
            (Some(_), Some(_)) => Change::Changed,
            (None, Some(_)) => Change::Added,
            (Some(_), None) => Change::Removed,
            (None, None) => unreachable!("every key comes from a side"),
        };
        match change {
            Change::Added => report.summary.added += 1,
            Change::Removed => report.summary.removed += 1,
            Change::Changed => report.summary.changed += 1,
        }
        let name = key.to_string();
        report
            .images
            .extend(image_changes(&name, before, after, rules));
        let (before, after) = redacted(key, before, after);
        report.objects.push(ObjectDiff {
            diff: unified(&name, before.as_ref(), after.as_ref()),
            object: name,
            change,
        });
    }
    report
}

fn image_changes(
    object: &str,
    before: Option<&Value>,
    after: Option<&Value>,
    rules: &[ImagePath],
) -> Vec<ImageChange> {
    let images =
        |side: Option<&Value>| side.map_or_else(BTreeMap::new, |o| container_values(o, rules));
    let (old, new) = (images(before), images(after));
    let containers: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    containers
        .into_iter()
        .filter_map(|container| {
            let (old, new) = (old.get(container), new.get(container));
            (old != new).then(|| ImageChange {
                object: object.to_string(),
                container: container.clone(),
                note: note(old, new),
                old: old.cloned(),
                new: new.cloned(),
            })
        })
        .collect()
}

fn note(old: Option<&Value>, new: Option<&Value>) -> Option<ImageNote> {
    let parse = |value: Option<&Value>| {
        value.map(|v| v.as_str().and_then(|v| ImageReference::parse(v).ok()))
    };
    let (old, new) = (parse(old), parse(new));
    if matches!(old, Some(None)) || matches!(new, Some(None)) {
        return Some(ImageNote::InvalidReference);
    }
    let (old, new) = (old.flatten(), new.flatten());
    let unpinned = |r: &Option<ImageReference>| r.as_ref().is_some_and(|r| r.digest().is_none());
    if unpinned(&old) || unpinned(&new) {
        return Some(ImageNote::Unpinned);
    }
    match (old, new) {
        (Some(old), Some(new))
            if old.name() == new.name()
                && old.tag().is_some()
                && old.tag() == new.tag()
                && old.digest() != new.digest() =>
        {
            Some(ImageNote::TagMoved)
        }
        _ => None,
    }
}

/// Annotations the API server or kubectl write by themselves, not part of what a user applies.
const SERVER_ANNOTATIONS: [&str; 2] = [
    "kubectl.kubernetes.io/last-applied-configuration",
    "deployment.kubernetes.io/revision",
];

/// A live object (or a dry-run result) without what the server keeps for itself: `status`,
/// `managedFields`, `resourceVersion`, `uid`, `generation`, `creationTimestamp`, `selfLink`, and
/// the annotations of [`SERVER_ANNOTATIONS`], so that it compares with what was applied.
pub fn normalize_live(mut object: Value) -> Value {
    if let Value::Object(fields) = &mut object {
        fields.remove("status");
    }
    if let Some(Value::Object(metadata)) = object.get_mut("metadata") {
        for field in [
            "managedFields",
            "resourceVersion",
            "uid",
            "generation",
            "creationTimestamp",
            "selfLink",
        ] {
            metadata.remove(field);
        }
        if let Some(Value::Object(annotations)) = metadata.get_mut("annotations") {
            for annotation in SERVER_ANNOTATIONS {
                annotations.remove(annotation);
            }
            if annotations.is_empty() {
                metadata.remove("annotations");
            }
        }
    }
    object
}

/// Secrets with their values replaced, as `kubectl diff` masks them: `***` where a key is the
/// same on both sides, `*** (before)` and `*** (after)` where it changed.
fn redacted(
    key: &ObjectKey,
    before: Option<&Value>,
    after: Option<&Value>,
) -> (Option<Value>, Option<Value>) {
    let (mut before, mut after) = (before.cloned(), after.cloned());
    if key.group.is_empty() && key.kind == "Secret" {
        for field in ["data", "stringData"] {
            let old = before.as_ref().and_then(|o| o.get(field)).cloned();
            let new = after.as_ref().and_then(|o| o.get(field)).cloned();
            if let Some(object) = before.as_mut().and_then(|o| o.get_mut(field)) {
                mask(object, new.as_ref(), "*** (before)");
            }
            if let Some(object) = after.as_mut().and_then(|o| o.get_mut(field)) {
                mask(object, old.as_ref(), "*** (after)");
            }
        }
        // `kubectl apply` keeps the whole object, values included, in this annotation.
        let last_applied =
            "/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration";
        let old = before
            .as_ref()
            .and_then(|o| o.pointer(last_applied))
            .cloned();
        let new = after
            .as_ref()
            .and_then(|o| o.pointer(last_applied))
            .cloned();
        let same = old == new;
        for (side, changed) in [(&mut before, "*** (before)"), (&mut after, "*** (after)")] {
            if let Some(value) = side.as_mut().and_then(|o| o.pointer_mut(last_applied)) {
                *value = Value::String(if same { "***" } else { changed }.to_string());
            }
        }
    }
    (before, after)
}

fn mask(values: &mut Value, other: Option<&Value>, changed: &str) {
    if let Value::Object(map) = values {
        for (name, value) in map.iter_mut() {
            let same = other.and_then(|o| o.get(name)) == Some(&*value);
            *value = Value::String(if same { "***" } else { changed }.to_string());
        }
    } else {
        *values = Value::String("***".to_string());
    }
}

fn yaml(object: Option<&Value>) -> String {
    object.map_or_else(String::new, to_yaml)
}

/// A unified diff with 3 lines of context; an added or removed object is shown whole.
fn unified(name: &str, before: Option<&Value>, after: Option<&Value>) -> String {
    let (old, new) = (yaml(before), yaml(after));
    let old_header = if before.is_some() {
        format!("a/{name}")
    } else {
        "/dev/null".into()
    };
    let new_header = if after.is_some() {
        format!("b/{name}")
    } else {
        "/dev/null".into()
    };
    TextDiff::from_lines(&old, &new)
        .unified_diff()
        .context_radius(3)
        .header(&old_header, &new_header)
        .to_string()
}

/// The report as text: summary, image table, diffs; ANSI colours when `color`.
pub fn render_text(report: &DiffReport, color: bool) -> String {
    let paint = |style: anstyle::Style, text: &str| {
        if color {
            format!("{style}{text}{style:#}")
        } else {
            text.to_string()
        }
    };
    let Summary {
        added,
        removed,
        changed,
        unchanged,
    } = report.summary;
    let mut out =
        format!("{added} added, {removed} removed, {changed} changed, {unchanged} unchanged\n");
    if !report.images.is_empty() {
        out.push('\n');
        let rows: Vec<[String; 5]> =
            std::iter::once(["OBJECT", "CONTAINER", "OLD", "NEW", "NOTE"].map(String::from))
                .chain(report.images.iter().map(|image| {
                    [
                        image.object.clone(),
                        image.container.clone(),
                        cell(image.old.as_ref()),
                        cell(image.new.as_ref()),
                        match image.note {
                            Some(ImageNote::TagMoved) => "tag moved".into(),
                            Some(ImageNote::Unpinned) => "unpinned".into(),
                            Some(ImageNote::InvalidReference) => "not a valid reference".into(),
                            None => String::new(),
                        },
                    ]
                }))
                .collect();
        let widths: Vec<usize> = (0..5)
            .map(|column| rows.iter().map(|row| row[column].len()).max().unwrap_or(0))
            .collect();
        let warn = anstyle::AnsiColor::Yellow.on_default().bold();
        for row in rows {
            let mut line = String::new();
            for (column, cell) in row.iter().enumerate().take(4) {
                let _ = write!(line, "{cell:width$}  ", width = widths[column]);
            }
            let line = format!("{line}{}", paint(warn, &row[4]));
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    let bold = anstyle::Style::new().bold();
    let red = anstyle::AnsiColor::Red.on_default();
    let green = anstyle::AnsiColor::Green.on_default();
    let cyan = anstyle::AnsiColor::Cyan.on_default();
    for object in &report.objects {
        out.push('\n');
        for line in object.diff.split_inclusive('\n') {
            let (text, newline) = match line.strip_suffix('\n') {
                Some(text) => (text, "\n"),
                None => (line, ""),
            };
            let style = if text.starts_with("---") || text.starts_with("+++") {
                bold
            } else if text.starts_with('-') {
                red
            } else if text.starts_with('+') {
                green
            } else if text.starts_with("@@") {
                cyan
            } else {
                anstyle::Style::new()
            };
            out.push_str(&paint(style, text));
            out.push_str(newline);
        }
    }
    out
}

/// An image value as the table shows it: `-` where the container is not on that side, `""`
/// where its value is empty, compact JSON where it is not a string (`42`, `["a"]`, `null`).
fn cell(image: Option<&Value>) -> String {
    match image {
        None => "-".into(),
        Some(Value::String(image)) if image.is_empty() => "\"\"".into(),
        Some(Value::String(image)) => image.clone(),
        Some(other) => other.to_string(),
    }
}

/// GitHub's limit on a comment's body, in characters.
pub const COMMENT_LIMIT: usize = 65_536;

/// The report as Markdown for a pull-request comment: the summary, the image table, then one
/// `<details>` block per changed object with its unified diff in a `diff` fence. Past `limit`
/// characters, blocks (and table rows) are left out whole, with a note saying how many.
pub fn render_markdown(report: &DiffReport, limit: usize) -> String {
    let Summary {
        added,
        removed,
        changed,
        unchanged,
    } = report.summary;
    let mut out =
        format!("**{added} added, {removed} removed, {changed} changed, {unchanged} unchanged**\n");
    // Room for the longest note, so that it always fits.
    let reserve = 200;
    let fits =
        |out: &str, more: &str| out.chars().count() + more.chars().count() + reserve <= limit;
    let mut left_out = 0;
    if !report.images.is_empty() {
        out.push_str(
            "\n| Object | Container | Old | New | Note |\n| --- | --- | --- | --- | --- |\n",
        );
        for image in &report.images {
            let note = match image.note {
                Some(ImageNote::TagMoved) => "⚠️ tag moved",
                Some(ImageNote::Unpinned) => "⚠️ unpinned",
                Some(ImageNote::InvalidReference) => "⚠️ not a valid reference",
                None => "",
            };
            let row = format!(
                "| {} | {} | {} | {} | {note} |\n",
                code(&image.object),
                code(&image.container),
                code(&cell(image.old.as_ref())),
                code(&cell(image.new.as_ref())),
            );
            if left_out > 0 || !fits(&out, &row) {
                left_out += 1;
                continue;
            }
            out.push_str(&row);
        }
        if left_out > 0 {
            let _ = writeln!(
                out,
                "\n_{left_out} more image row{} not shown: the comment would pass GitHub's limit of \
                 65,536 characters._",
                if left_out == 1 { "" } else { "s" }
            );
        }
    }
    let mut hidden = 0;
    for object in &report.objects {
        let change = match object.change {
            Change::Added => "added",
            Change::Removed => "removed",
            Change::Changed => "changed",
        };
        let fence = "`".repeat(longest_backtick_run(&object.diff).max(2) + 1);
        let mut block = format!(
            "\n<details>\n<summary>{change}: <code>{}</code></summary>\n\n{fence}diff\n{}",
            html(&object.object),
            object.diff
        );
        if !block.ends_with('\n') {
            block.push('\n');
        }
        let _ = writeln!(block, "{fence}\n\n</details>");
        if hidden > 0 || left_out > 0 || !fits(&out, &block) {
            hidden += 1;
            continue;
        }
        out.push_str(&block);
    }
    if hidden > 0 {
        let _ = writeln!(
            out,
            "\n_{hidden} more object diff{} not shown: the comment would pass GitHub's limit of \
             65,536 characters; `kubectl immutable diff` shows them all._",
            if hidden == 1 { "" } else { "s" }
        );
    }
    out
}

/// A table cell's text as inline code, `|` escaped so that it stays in its cell.
fn code(text: &str) -> String {
    if text.is_empty() {
        return String::new();
    }
    let fence = "`".repeat(longest_backtick_run(text) + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{}{pad}{fence}", text.replace('|', "\\|"))
}

fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

/// The report as JSON, for CI bots.
pub fn render_json(report: &DiffReport) -> String {
    let mut text = serde_json::to_string_pretty(report).expect("a report serialises");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::image_paths::builtin_image_paths;
    use crate::core::manifest::object_key;
    use serde_json::json;

    const A: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    fn set(objects: &[Value]) -> ObjectSet {
        objects
            .iter()
            .map(|o| (object_key(o, "default").unwrap(), o.clone()))
            .collect()
    }

    fn deployment(image: &str) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
               "spec": {"template": {"spec": {"containers": [{"name": "web", "image": image}]}}}})
    }

    #[test]
    fn notes_moved_tags_and_unpinned_images() {
        let old = set(&[deployment(&format!("nginx:1.27@{A}"))]);
        let moved = diff(
            &old,
            &set(&[deployment(&format!("nginx:1.27@{B}"))]),
            &builtin_image_paths(),
        );
        assert_eq!(moved.images[0].note, Some(ImageNote::TagMoved));
        let upgraded = diff(
            &old,
            &set(&[deployment(&format!("nginx:1.28@{B}"))]),
            &builtin_image_paths(),
        );
        assert_eq!(upgraded.images[0].note, None);
        let unpinned = diff(
            &old,
            &set(&[deployment("nginx:1.28")]),
            &builtin_image_paths(),
        );
        assert_eq!(unpinned.images[0].note, Some(ImageNote::Unpinned));
        for invalid in ["Nginx:1", "", "nginx@sha256:0123"] {
            let report = diff(&old, &set(&[deployment(invalid)]), &builtin_image_paths());
            assert_eq!(
                report.images[0].note,
                Some(ImageNote::InvalidReference),
                "{invalid}"
            );
            assert_eq!(report.images[0].new, Some(json!(invalid)));
        }
        let text = render_text(
            &diff(
                &set(&[]),
                &set(&[deployment("Nginx:1")]),
                &builtin_image_paths(),
            ),
            false,
        );
        assert!(
            text.contains("web        -    Nginx:1  not a valid reference\n"),
            "{text}"
        );
        assert_eq!(
            unpinned.summary,
            Summary {
                changed: 1,
                ..Summary::default()
            }
        );
    }

    #[test]
    fn images_that_are_not_strings_are_compared_and_shown_as_json() {
        let old = set(&[deployment("nginx:1.27")]);
        for (image, shown) in [
            (json!(42), "42"),
            (json!(["a"]), "[\"a\"]"),
            (json!({"a": "b"}), "{\"a\":\"b\"}"),
            (json!(null), "null"),
            (json!(true), "true"),
        ] {
            let mut new = deployment("");
            new["spec"]["template"]["spec"]["containers"][0]["image"] = image.clone();
            let report = diff(&old, &set(&[new]), &builtin_image_paths());
            assert_eq!(report.summary.changed, 1, "{image}");
            assert_eq!(
                report.images,
                [ImageChange {
                    object: "deployment.apps/default/web".into(),
                    container: "web".into(),
                    old: Some(json!("nginx:1.27")),
                    new: Some(image.clone()),
                    note: Some(ImageNote::InvalidReference),
                }]
            );
            let text = render_text(&report, false);
            assert!(
                text.contains(&format!(
                    "web        nginx:1.27  {shown:width$}  not a valid reference\n",
                    width = shown.len().max(3)
                )),
                "{text}"
            );
        }
        // The string "42" is a valid reference (docker.io/library/42:latest); the number is not.
        let mut number = deployment("");
        number["spec"]["template"]["spec"]["containers"][0]["image"] = json!(42);
        let report = diff(
            &set(&[deployment("42")]),
            &set(&[number]),
            &builtin_image_paths(),
        );
        assert_eq!(report.images[0].old, Some(json!("42")));
        assert_eq!(report.images[0].new, Some(json!(42)));
        assert_eq!(report.images[0].note, Some(ImageNote::InvalidReference));
    }

    #[test]
    fn equal_objects_are_unchanged_whatever_their_order() {
        let a = json!({"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "a"}});
        let b = json!({"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "b"}});
        let report = diff(
            &set(&[a.clone(), b.clone()]),
            &set(&[b, a]),
            &builtin_image_paths(),
        );
        assert!(!report.has_differences());
        assert_eq!(report.summary.unchanged, 2);
    }

    #[test]
    fn live_objects_lose_what_the_server_keeps_for_itself() {
        let live = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {
                "name": "web", "namespace": "shop", "uid": "0f9e", "generation": 3,
                "resourceVersion": "812", "creationTimestamp": "2024-01-01T00:00:00Z",
                "selfLink": "/apis/apps/v1/namespaces/shop/deployments/web",
                "managedFields": [{"manager": "kubectl"}],
                "labels": {"app": "web"},
                "annotations": {
                    "deployment.kubernetes.io/revision": "2",
                    "kubectl.kubernetes.io/last-applied-configuration": "{}",
                    "team": "core"
                }
            },
            "spec": {"replicas": 2, "template": {"metadata": {"creationTimestamp": null}}},
            "status": {"replicas": 2}
        });
        assert_eq!(
            normalize_live(live),
            json!({
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"},
                             "annotations": {"team": "core"}},
                "spec": {"replicas": 2, "template": {"metadata": {"creationTimestamp": null}}}
            })
        );
        let only_server_annotations = json!({"kind": "ConfigMap", "metadata": {
            "name": "c", "annotations": {"deployment.kubernetes.io/revision": "1"}}});
        assert_eq!(
            normalize_live(only_server_annotations),
            json!({"kind": "ConfigMap", "metadata": {"name": "c"}})
        );
        assert_eq!(normalize_live(json!("text")), json!("text"));
    }

    #[test]
    fn markdown_is_cut_between_blocks_never_inside_a_fence() {
        let many: Vec<Value> = (0..400)
            .map(|i| {
                json!({"apiVersion": "v1", "kind": "ConfigMap",
                            "metadata": {"name": format!("c{i}")}, "data": {"k": "a"}})
            })
            .collect();
        let changed: Vec<Value> = many
            .iter()
            .map(|o| {
                let mut o = o.clone();
                o["data"]["k"] = json!("b");
                o
            })
            .collect();
        let report = diff(&set(&many), &set(&changed), &builtin_image_paths());
        let whole = render_markdown(&report, usize::MAX);
        assert_eq!(whole.matches("<details>").count(), 400);
        let cut = render_markdown(&report, 4000);
        assert!(cut.chars().count() <= 4000, "{}", cut.len());
        let shown = cut.matches("<details>").count();
        assert!(shown > 0 && shown < 400);
        assert_eq!(cut.matches("</details>").count(), shown);
        assert_eq!(cut.matches("```diff\n").count(), shown);
        assert_eq!(cut.matches("\n```\n").count(), shown);
        assert!(cut.ends_with(&format!(
            "_{} more object diffs not shown: the comment would pass GitHub's limit of 65,536 characters; `kubectl immutable diff` shows them all._\n",
            400 - shown
        )));
        // A cell holding `|` or a backtick stays one cell.
        assert_eq!(code("a|b"), "`a\\|b`");
        assert_eq!(code("`x`"), "`` `x` ``");
    }

    #[test]
    fn secret_values_never_reach_the_output() {
        let secret = |password: &str| {
            let data = json!({"user": "YWRtaW4=", "password": password});
            let last_applied =
                json!({"apiVersion": "v1", "kind": "Secret", "data": data}).to_string();
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db",
                   "annotations": {"kubectl.kubernetes.io/last-applied-configuration": last_applied}},
                   "data": data})
        };
        let report = diff(
            &set(&[secret("czNjcjN0")]),
            &set(&[secret("bjN3LXMzY3IzdA==")]),
            &builtin_image_paths(),
        );
        let text = render_text(&report, false)
            + &render_json(&report)
            + &render_markdown(&report, COMMENT_LIMIT);
        for value in ["czNjcjN0", "bjN3LXMzY3IzdA==", "YWRtaW4="] {
            assert!(!text.contains(value), "{value} in {text}");
        }
        assert!(
            text.contains("-  password: '*** (before)'")
                || text.contains("-  password: \"*** (before)\""),
            "{text}"
        );
    }
}
