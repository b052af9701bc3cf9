//! Kubernetes objects read from manifest text, and the identity they are matched by.

use std::fmt;

use serde_json::Value;

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

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    #[error("invalid YAML: {0}")]
    Syntax(String),
    #[error("document {document} is not a Kubernetes object: {reason}")]
    NotAnObject { document: usize, reason: String },
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
    let documents: Vec<Value> =
        serde_saphyr::from_multiple_with_options(text, reading_options(text))
            .map_err(|error| ManifestError::Syntax(first_line(&error.to_string())))?;
    let mut objects = Vec::new();
    for (index, document) in documents.into_iter().enumerate() {
        match document {
            Value::Null => {}
            Value::Object(_) if is_list(&document) => {
                let Some(Value::Array(items)) = document.get("items").cloned() else {
                    return Err(ManifestError::NotAnObject {
                        document: index + 1,
                        reason: "a List without items".into(),
                    });
                };
                objects.extend(items);
            }
            Value::Object(_) => objects.push(document),
            _ => {
                return Err(ManifestError::NotAnObject {
                    document: index + 1,
                    reason: "not a mapping".into(),
                });
            }
        }
    }
    Ok(objects)
}

/// serde-saphyr's budget guards against inputs that amplify (alias bombs, separator storms), but
/// its defaults (1,024 documents, 250,000 nodes) refuse real releases: a Helm chart renders
/// thousands of objects. Limits that grow with the input keep the guard against amplification,
/// which only aliases can cause and whose caps stay as they are; so do the depth limit (64),
/// which keeps the recursive reader within its stack, and the 64 MiB of scalar text, far beyond
/// what the API server stores (an object is at most 1.5 MB in etcd).
fn reading_options(text: &str) -> serde_saphyr::Options {
    let size = text.len();
    let mut budget = serde_saphyr::Budget::default();
    budget.max_documents = budget.max_documents.max(size / 3 + 1);
    budget.max_nodes = budget.max_nodes.max(size);
    budget.max_events = budget.max_events.max(2 * size);
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options
}

fn is_list(document: &Value) -> bool {
    document
        .get("kind")
        .and_then(Value::as_str)
        .is_some_and(|kind| kind.ends_with("List"))
        && document.get("items").is_some()
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

/// The identity of `object`, with the namespace defaulted as kubectl does for namespaced kinds.
pub fn object_key(object: &Value, default_namespace: &str) -> Result<ObjectKey, String> {
    let text = |pointer: &str| object.pointer(pointer).and_then(Value::as_str);
    let kind = text("/kind").ok_or("no kind")?;
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
            Err(ManifestError::Syntax(_))
        ));
    }

    #[test]
    fn thousands_of_documents_are_read_and_nesting_is_bounded() {
        let many = "kind: ConfigMap\n---\n".repeat(5_000);
        assert_eq!(parse_objects(&many).unwrap().len(), 5_000);
        let deep = format!("kind: A\nspec: {}1{}\n", "[".repeat(100), "]".repeat(100));
        assert!(matches!(
            parse_objects(&deep),
            Err(ManifestError::Syntax(_))
        ));
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
