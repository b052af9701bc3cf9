//! Kubernetes objects read from manifest text, and the identity they are matched by.

use std::fmt;

use serde_json::Value;
use serde_saphyr::Spanned;

use super::problem::{Located, Position};

/// What identifies an object in a cluster: API group, kind, namespace, name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct ObjectKey {
    pub group: String,
    pub kind: String,
    /// Empty for cluster-scoped kinds.
    pub namespace: String,
    pub name: String,
}

impl fmt::Display for ObjectKey {
    /// `kind.group/namespace/name`, as the diff headers name objects (`deployment.apps/shop/web`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind.to_ascii_lowercase())?;
        if !self.group.is_empty() {
            write!(f, ".{}", self.group)?;
        }
        if !self.namespace.is_empty() {
            write!(f, "/{}", self.namespace)?;
        }
        write!(f, "/{}", self.name)
    }
}

/// What is wrong with a manifest; where it is, is its [`Located::position`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    /// `at` is the 1-based line and column, where the reader knows it.
    #[error("invalid YAML: {message}")]
    Syntax {
        at: Option<(usize, usize)>,
        message: String,
    },
    /// `line` is where the document's content starts.
    #[error("document {document} is not a Kubernetes object: {reason}")]
    NotAnObject {
        line: usize,
        document: usize,
        reason: String,
    },
}

impl Located for ManifestError {
    fn position(&self) -> Option<Position> {
        match self {
            ManifestError::Syntax { at, .. } => at.map(|(line, column)| Position::at(line, column)),
            ManifestError::NotAnObject { line, .. } => Some(Position::line(*line)),
        }
    }
}

/// An object of a manifest, with the line its document starts on (for a `List`, the line the
/// list starts on), for messages.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedObject {
    pub line: usize,
    pub object: Value,
}

/// Kinds of the built-in API that are not namespaced; custom kinds are taken as namespaced unless
/// they name no namespace on either side, which matches them all the same.
const CLUSTER_SCOPED: [(&str, &str); 22] = [
    ("", "Namespace"),
    ("", "Node"),
    ("", "PersistentVolume"),
    ("", "ComponentStatus"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("apiregistration.k8s.io", "APIService"),
    (
        "admissionregistration.k8s.io",
        "MutatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io",
        "ValidatingWebhookConfiguration",
    ),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
    (
        "admissionregistration.k8s.io",
        "ValidatingAdmissionPolicyBinding",
    ),
    ("storage.k8s.io", "StorageClass"),
    ("storage.k8s.io", "CSIDriver"),
    ("storage.k8s.io", "CSINode"),
    ("storage.k8s.io", "VolumeAttachment"),
    ("scheduling.k8s.io", "PriorityClass"),
    ("node.k8s.io", "RuntimeClass"),
    ("networking.k8s.io", "IngressClass"),
    ("policy", "PodSecurityPolicy"),
    ("certificates.k8s.io", "CertificateSigningRequest"),
    ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
];

pub fn is_cluster_scoped(group: &str, kind: &str) -> bool {
    CLUSTER_SCOPED.contains(&(group, kind))
}

/// The API group of an `apiVersion`: `apps/v1` is `apps`, `v1` is the core group `""`.
pub fn api_group(api_version: &str) -> &str {
    api_version
        .rsplit_once('/')
        .map_or("", |(group, _version)| group)
}

/// Every object of a YAML or JSON stream; `kind: *List` documents give their items; empty
/// documents are skipped.
pub fn parse_objects(text: &str) -> Result<Vec<Value>, ManifestError> {
    Ok(parse_documents(text)?
        .into_iter()
        .map(|parsed| parsed.object)
        .collect())
}

/// [`parse_objects`], each object with the line its document starts on.
pub fn parse_documents(text: &str) -> Result<Vec<ParsedObject>, ManifestError> {
    let options = reading_options(text);
    let budget = options.budget.clone().unwrap_or_default();
    let documents: Vec<Spanned<Value>> = serde_saphyr::from_multiple_with_options(text, options)
        .map_err(|error| syntax_error(&error, &budget))?;
    let mut objects = Vec::new();
    for (index, document) in documents.into_iter().enumerate() {
        let line = usize::try_from(document.referenced.line()).unwrap_or(usize::MAX);
        let not_an_object = |reason: &str| ManifestError::NotAnObject {
            line,
            document: index + 1,
            reason: reason.into(),
        };
        match document.value {
            Value::Null => {}
            Value::Object(mut fields) if is_list(&fields) => {
                let Some(Value::Array(items)) = fields.remove("items") else {
                    return Err(not_an_object("a List without items"));
                };
                objects.extend(
                    items
                        .into_iter()
                        .map(|object| ParsedObject { line, object }),
                );
            }
            object @ Value::Object(_) => objects.push(ParsedObject { line, object }),
            _ => return Err(not_an_object("not a mapping")),
        }
    }
    Ok(objects)
}

/// `text` cut before each `---` line into pieces that each hold whole documents (YAML forbids
/// such a line inside any scalar), with the byte offset each starts at, where parsing the pieces
/// one by one gives the objects parsing the whole gives: `None` where the reader's limits, which
/// count across a stream's documents, could tell them apart (anchors, merge keys, more scalar
/// text than its limit). A piece that fails to parse says nothing of the whole: parse that.
pub fn document_pieces(text: &str) -> Option<Vec<(usize, &str)>> {
    if text.len() >= SCALAR_TEXT_LIMIT || text.contains('&') || text.contains("<<") {
        return None;
    }
    let mut starts = vec![0];
    let mut from = 0;
    while let Some(offset) = text[from..].find("\n---") {
        let start = from + offset + 1;
        if matches!(
            text.as_bytes().get(start + 3),
            None | Some(b'\n' | b'\r' | b' ' | b'\t')
        ) {
            starts.push(start);
        }
        from = start;
    }
    starts.push(text.len());
    Some(
        starts
            .windows(2)
            .map(|bounds| (bounds[0], &text[bounds[0]..bounds[1]]))
            .collect(),
    )
}

/// serde-saphyr's error as one plain line: its position, and its message without the
/// developer's hints (which name serde-saphyr's options) or Rust's debug notation.
pub(crate) fn syntax_error(
    error: &serde_saphyr::Error,
    budget: &serde_saphyr::Budget,
) -> ManifestError {
    use serde_saphyr::Error;
    let error = error.without_snippet();
    let at = error.location().map(|location| {
        let number = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        (number(location.line()), number(location.column()))
    });
    let mut original = error;
    while let Error::AliasError { error, .. } | Error::WithSnippet { error, .. } = original {
        original = error;
    }
    let message = match original {
        Error::Budget { breach, .. } => budget_message(breach, budget),
        Error::UnknownAnchor { .. } => "an alias to an anchor that is not defined".into(),
        Error::DuplicateMappingKey { key: Some(key), .. } => format!("duplicate key `{key}`"),
        Error::DuplicateMappingKey { key: None, .. } => "duplicate key".into(),
        other => {
            use serde_saphyr::MessageFormatter as _;
            let message = serde_saphyr::UserMessageFormatter.format_message(other);
            first_line(&message)
        }
    };
    ManifestError::Syntax {
        at,
        message: without_control_characters(&message),
    }
}

/// Which of the reader's limits `breach` went over, in words.
fn budget_message(
    breach: &serde_saphyr::budget::BudgetBreach,
    budget: &serde_saphyr::Budget,
) -> String {
    use serde_saphyr::budget::BudgetBreach as B;
    match breach {
        B::Nodes { .. } => format!(
            "more than {} values once its aliases are expanded (the limit against alias bombs)",
            budget.max_nodes
        ),
        B::Events { .. } => format!(
            "more than {} YAML events once its aliases are expanded (the limit against alias bombs)",
            budget.max_events
        ),
        B::Depth { .. } => format!("nested more than {} levels deep", budget.max_depth),
        B::ScalarBytes { .. } => format!(
            "more than {} MiB of text in its values",
            budget.max_total_scalar_bytes >> 20
        ),
        B::Documents { .. } => format!("more than {} documents", budget.max_documents),
        B::Aliases { .. } => format!("more than {} aliases", budget.max_aliases),
        B::Anchors { .. } => format!("more than {} anchors", budget.max_anchors),
        B::MergeKeys { .. } => format!("more than {} merge keys (`<<`)", budget.max_merge_keys),
        B::AliasAnchorRatio { aliases, anchors } => format!(
            "{aliases} aliases of {anchors} anchors, more than {} per anchor (the limit against alias bombs)",
            budget.alias_anchor_ratio_multiplier
        ),
        _ => "too large or too complex for the YAML reader".into(),
    }
}

/// The most text a source's values may hold, once expanded: serde-saphyr's default, far beyond
/// what the API server stores (an object is at most 1.5 MB in etcd). Compose files and
/// Dockerfiles are held to it too.
pub const SCALAR_TEXT_LIMIT: usize = 64 << 20;

/// How deep collections may nest: serde-saphyr's default, which keeps its recursive reader
/// within its stack; Compose files are held to it too.
pub const DEPTH_LIMIT: usize = 64;

/// How many values a source of `size` bytes may hold once its aliases (a Compose file's merge
/// keys) are expanded: serde-saphyr's default of 250,000, or one per byte, whichever is more.
pub fn node_limit(size: usize) -> usize {
    size.max(250_000)
}

/// serde-saphyr's budget guards against inputs that amplify (alias bombs, separator storms), but
/// its defaults (1,024 documents, 250,000 nodes) refuse real releases: a Helm chart renders
/// thousands of objects. Limits that grow with the input keep the guard against amplification,
/// which only aliases can cause and whose caps stay as they are; so do the depth limit, which
/// keeps the recursive reader within its stack, and the limit on scalar text.
fn reading_options(text: &str) -> serde_saphyr::Options {
    let size = text.len();
    let mut budget = serde_saphyr::Budget::default();
    budget.max_documents = budget.max_documents.max(size / 3 + 1);
    budget.max_nodes = node_limit(size);
    budget.max_events = budget.max_events.max(2 * size);
    budget.max_depth = DEPTH_LIMIT;
    budget.max_total_scalar_bytes = SCALAR_TEXT_LIMIT;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options
}

fn is_list(fields: &serde_json::Map<String, Value>) -> bool {
    fields
        .get("kind")
        .and_then(Value::as_str)
        .is_some_and(|kind| kind.ends_with("List"))
        && fields.contains_key("items")
}

/// Control characters (a NUL the reader quotes, say) written as escapes, so the message stays
/// one line on a terminal.
fn without_control_characters(message: &str) -> String {
    let mut plain = String::with_capacity(message.len());
    for c in message.chars() {
        if c.is_control() {
            plain.extend(c.escape_debug());
        } else {
            plain.push(c);
        }
    }
    plain
}

fn first_line(message: &str) -> String {
    message
        .lines()
        .next()
        .unwrap_or_default()
        .trim_start_matches("error: ")
        .to_string()
}

/// An object as YAML: multi-line strings as literal blocks, so a changed line of a script reads
/// as one line, and long single-line strings (image references) never folded.
pub fn to_yaml(object: &Value) -> String {
    let mut options = serde_saphyr::SerializerOptions::default();
    options.folded_wrap_chars = usize::MAX;
    serde_saphyr::to_string_with_options(object, options).expect("a JSON value serialises as YAML")
}

/// Why an object without a `kind` cannot be matched or applied.
pub const NO_KIND: &str = "object without kind";

/// The identity of `object`, with the namespace defaulted as kubectl does for namespaced kinds.
pub fn object_key(object: &Value, default_namespace: &str) -> Result<ObjectKey, String> {
    let text = |pointer: &str| object.pointer(pointer).and_then(Value::as_str);
    let kind = text("/kind")
        .filter(|kind| !kind.is_empty())
        .ok_or(NO_KIND)?;
    let api_version = text("/apiVersion").unwrap_or_default();
    let name = text("/metadata/name")
        .or_else(|| text("/metadata/generateName"))
        .ok_or_else(|| format!("{kind} without metadata.name"))?;
    let group = api_group(api_version);
    let namespace = if is_cluster_scoped(group, kind) {
        ""
    } else {
        text("/metadata/namespace").unwrap_or(default_namespace)
    };
    Ok(ObjectKey {
        group: group.to_string(),
        kind: kind.to_string(),
        namespace: namespace.to_string(),
        name: name.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::problem::positioned;
    use serde_json::json;

    #[test]
    fn lists_give_their_items_and_empty_documents_vanish() {
        let text = "---\n# nothing\n---\nkind: List\nitems:\n- {kind: Pod}\n- {kind: Service}\n---\nkind: ConfigMap\n";
        let kinds: Vec<_> = parse_objects(text)
            .unwrap()
            .iter()
            .map(|o| o["kind"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(kinds, ["Pod", "Service", "ConfigMap"]);
        assert!(matches!(
            parse_objects("- a\n"),
            Err(ManifestError::NotAnObject { document: 1, .. })
        ));
        assert!(matches!(
            parse_objects("a: [\n"),
            Err(ManifestError::Syntax { .. })
        ));
    }

    #[test]
    fn objects_know_the_line_their_document_starts_on() {
        let text = "# web\napiVersion: v1\nkind: Pod\n---\n---\n\n  kind: List\n  items: [{kind: A}, {kind: B}]\n";
        let lines: Vec<usize> = parse_documents(text)
            .unwrap()
            .iter()
            .map(|parsed| parsed.line)
            .collect();
        assert_eq!(lines, [2, 7, 7]);
        let error = parse_documents("kind: Pod\n---\n- a\n").unwrap_err();
        assert_eq!(
            positioned(&error),
            "3: document 2 is not a Kubernetes object: not a mapping"
        );
    }

    #[test]
    fn errors_are_one_plain_line_with_line_and_column() {
        let error = |text: &str| positioned(&parse_objects(text).unwrap_err());
        assert_eq!(
            error("kind: Pod\nspec: [\n"),
            "2:7: invalid YAML: unclosed bracket '['"
        );
        assert_eq!(
            error("kind: Pod\nkind: Job\n"),
            "2:1: invalid YAML: duplicate key `kind`"
        );
        assert_eq!(
            error("kind: Pod\nspec: *nowhere\n"),
            "2:7: invalid YAML: an alias to an anchor that is not defined"
        );
        assert_eq!(
            error("kind: Pod\nspec: \"a\0b\"\n"),
            "2:9: invalid YAML: unexpected character: `\\u{0}'"
        );
        // Billion laughs: 10^8 values once expanded.
        let mut bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n".to_string();
        for (previous, name) in ('a'..='g').zip('b'..='h') {
            let aliases = vec![format!("*{previous}"); 10].join(", ");
            bomb.push_str(&format!("{name}: &{name} [{aliases}]\n"));
        }
        let message = error(&bomb);
        assert!(
            message.ends_with(
                "invalid YAML: more than 250000 values once its aliases are expanded (the limit against alias bombs)"
            ),
            "{message}"
        );
        assert!(!message.contains('{'), "{message}");
    }

    #[test]
    fn thousands_of_documents_are_read_and_nesting_is_bounded() {
        let many = "kind: ConfigMap\n---\n".repeat(5_000);
        assert_eq!(parse_objects(&many).unwrap().len(), 5_000);
        let deep = format!("kind: A\nspec: {}1{}\n", "[".repeat(100), "]".repeat(100));
        assert_eq!(
            positioned(&parse_objects(&deep).unwrap_err()),
            "2:70: invalid YAML: nested more than 64 levels deep"
        );
    }

    #[test]
    fn keys_default_the_namespace_of_namespaced_kinds_only() {
        let deployment =
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}});
        let key = object_key(&deployment, "shop").unwrap();
        assert_eq!(key.to_string(), "deployment.apps/shop/web");
        let role = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "view"}});
        assert_eq!(
            object_key(&role, "shop").unwrap().to_string(),
            "clusterrole.rbac.authorization.k8s.io/view"
        );
        let pod =
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "x"}});
        assert_eq!(object_key(&pod, "shop").unwrap().to_string(), "pod/x/p");
        assert!(object_key(&json!({"kind": "Pod"}), "d").is_err());
    }
}
