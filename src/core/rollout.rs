//! Rollout revisions of a workload, as its controller keeps them: a Deployment's ReplicaSets by
//! their `deployment.kubernetes.io/revision`, a StatefulSet's or DaemonSet's ControllerRevisions.
//! Pure: the caller lists the objects.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Write as _};
use std::str::FromStr;

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::diff::DiffReport;
use super::manifest::ObjectKey;
use super::reference::{ImageReference, is_valid_digest};

const REVISION_ANNOTATION: &str = "deployment.kubernetes.io/revision";
const CHANGE_CAUSE_ANNOTATION: &str = "kubernetes.io/change-cause";
/// The label a Deployment adds to each ReplicaSet's template; it differs between revisions by
/// construction, so it is no part of what changed.
const POD_TEMPLATE_HASH: &str = "pod-template-hash";
const CONTROLLER_REVISION_HASH: &str = "controller-revision-hash";

/// The workload kinds that keep rollout revisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkloadKind {
    Deployment,
    StatefulSet,
    DaemonSet,
}

impl WorkloadKind {
    /// The `kind` of the workload (all are in `apps/v1`).
    pub fn kind(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::StatefulSet => "StatefulSet",
            WorkloadKind::DaemonSet => "DaemonSet",
        }
    }

    /// The `kind` of the objects that keep its revisions (in `apps/v1`).
    pub fn revision_kind(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "ReplicaSet",
            WorkloadKind::StatefulSet | WorkloadKind::DaemonSet => "ControllerRevision",
        }
    }
}

/// `TYPE/NAME` as kubectl takes it: `deployment/web`, `deploy/web`, `deployments.apps/web`,
/// `sts/db`, `ds/agent`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    pub kind: WorkloadKind,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkloadError {
    #[error("`{0}` is not TYPE/NAME (e.g. deployment/web)")]
    Malformed(String),
    #[error(
        "`{0}` keeps no rollout revisions: TYPE is deployment, statefulset or daemonset (deploy, sts, ds)"
    )]
    NoRevisions(String),
}

impl FromStr for Workload {
    type Err = WorkloadError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let (kind, name) = input
            .split_once('/')
            .filter(|(kind, name)| !kind.is_empty() && !name.is_empty() && !name.contains('/'))
            .ok_or_else(|| WorkloadError::Malformed(input.to_string()))?;
        let lower = kind.to_ascii_lowercase();
        let resource = lower
            .strip_suffix(".v1.apps")
            .or_else(|| lower.strip_suffix(".apps"))
            .unwrap_or(&lower);
        let kind = match resource {
            "deployment" | "deployments" | "deploy" => WorkloadKind::Deployment,
            "statefulset" | "statefulsets" | "sts" => WorkloadKind::StatefulSet,
            "daemonset" | "daemonsets" | "ds" => WorkloadKind::DaemonSet,
            _ => return Err(WorkloadError::NoRevisions(kind.to_string())),
        };
        Ok(Workload {
            kind,
            name: name.to_string(),
        })
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.kind.kind().to_ascii_lowercase(), self.name)
    }
}

/// Which pods ran a revision: those carrying `label` and owned by `owner_uid`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodMatch {
    pub label: (String, String),
    pub owner_uid: String,
}

impl PodMatch {
    /// The label selector that lists them.
    pub fn selector(&self) -> String {
        format!("{}={}", self.label.0, self.label.1)
    }

    /// Whether `pod` ran this revision.
    pub fn matches(&self, pod: &Value) -> bool {
        let (key, value) = &self.label;
        pod.pointer("/metadata/labels")
            .and_then(|labels| labels.get(key))
            .and_then(Value::as_str)
            == Some(value.as_str())
            && owned_by(pod, &self.owner_uid)
    }
}

/// One rollout revision.
#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    pub number: u64,
    pub created: Option<String>,
    pub change_cause: Option<String>,
    /// The pod template, without the labels that name the revision itself.
    pub template: Value,
    pub pods: Option<PodMatch>,
    /// A ReplicaSet's annotations: the Deployment's when it made the revision, which
    /// `rollout undo` restores with the template. `None` for a ControllerRevision.
    pub annotations: Option<Map<String, Value>>,
}

fn text<'a>(object: &'a Value, pointer: &str) -> Option<&'a str> {
    object.pointer(pointer).and_then(Value::as_str)
}

fn owned_by(object: &Value, uid: &str) -> bool {
    object
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .is_some_and(|owners| owners.iter().any(|owner| text(owner, "/uid") == Some(uid)))
}

/// `spec.selector.matchLabels` as a label selector (`app=web,tier=front`), to narrow a list;
/// `None` where the selector has no labels to match.
pub fn match_labels_selector(workload: &Value) -> Option<String> {
    let labels = workload
        .pointer("/spec/selector/matchLabels")?
        .as_object()?;
    let pairs: Vec<String> = labels
        .iter()
        .filter_map(|(key, value)| Some(format!("{key}={}", value.as_str()?)))
        .collect();
    (!pairs.is_empty()).then(|| pairs.join(","))
}

/// The revisions kept for the workload whose `metadata.uid` is `owner_uid`, oldest first, from
/// the ReplicaSets or ControllerRevisions of its namespace (others' are skipped).
pub fn revisions(kind: WorkloadKind, owner_uid: &str, objects: &[Value]) -> Vec<Revision> {
    let mut revisions: Vec<Revision> = objects
        .iter()
        .filter(|object| owned_by(object, owner_uid))
        .filter_map(|object| match kind {
            WorkloadKind::Deployment => replica_set_revision(object),
            WorkloadKind::StatefulSet | WorkloadKind::DaemonSet => {
                controller_revision(kind, owner_uid, object)
            }
        })
        .collect();
    revisions.sort_by_key(|revision| revision.number);
    revisions
}

fn replica_set_revision(replica_set: &Value) -> Option<Revision> {
    let number = text(
        replica_set,
        &format!(
            "/metadata/annotations/{}",
            REVISION_ANNOTATION.replace('/', "~1")
        ),
    )?
    .parse()
    .ok()?;
    let mut template = replica_set.pointer("/spec/template")?.clone();
    if let Some(Value::Object(labels)) = template.pointer_mut("/metadata/labels") {
        labels.remove(POD_TEMPLATE_HASH);
    }
    let pods = text(
        replica_set,
        &format!("/metadata/labels/{POD_TEMPLATE_HASH}"),
    )
    .zip(text(replica_set, "/metadata/uid"))
    .map(|(hash, uid)| PodMatch {
        label: (POD_TEMPLATE_HASH.to_string(), hash.to_string()),
        owner_uid: uid.to_string(),
    });
    Some(Revision {
        number,
        created: text(replica_set, "/metadata/creationTimestamp").map(str::to_string),
        change_cause: change_cause(replica_set),
        template,
        pods,
        annotations: replica_set
            .pointer("/metadata/annotations")
            .and_then(Value::as_object)
            .cloned(),
    })
}

/// A ControllerRevision's `data` is a patch that replaces the pod template.
fn controller_revision(kind: WorkloadKind, owner_uid: &str, revision: &Value) -> Option<Revision> {
    let number = revision.get("revision")?.as_u64()?;
    let mut template = revision.pointer("/data/spec/template")?.clone();
    if let Value::Object(fields) = &mut template {
        fields.remove("$patch");
    }
    // A StatefulSet's pods name their ControllerRevision; a DaemonSet's carry its hash label.
    let hash = match kind {
        WorkloadKind::StatefulSet => text(revision, "/metadata/name"),
        _ => text(
            revision,
            &format!("/metadata/labels/{CONTROLLER_REVISION_HASH}"),
        ),
    };
    Some(Revision {
        number,
        created: text(revision, "/metadata/creationTimestamp").map(str::to_string),
        change_cause: change_cause(revision),
        template,
        pods: hash.map(|hash| PodMatch {
            label: (CONTROLLER_REVISION_HASH.to_string(), hash.to_string()),
            owner_uid: owner_uid.to_string(),
        }),
        annotations: None,
    })
}

fn change_cause(object: &Value) -> Option<String> {
    object
        .pointer("/metadata/annotations")
        .and_then(|annotations| annotations.get(CHANGE_CAUSE_ANNOTATION))
        .and_then(Value::as_str)
        .map(str::to_string)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PickError {
    #[error("--revision is given at most twice")]
    TooMany,
    #[error("has no rollout revisions")]
    None,
    #[error("has only revision {0}: nothing to compare it with")]
    OnlyOne(u64),
    #[error("has no revision {number} (it has {kept})")]
    Missing { number: u64, kept: String },
}

/// The two revisions to compare: none requested is the previous against the current (the
/// newest); one is that one against the current; two are old and new.
pub fn pick<'a>(
    revisions: &'a [Revision],
    requested: &[u64],
) -> Result<(&'a Revision, &'a Revision), PickError> {
    let find = |number: u64| {
        revisions
            .iter()
            .find(|revision| revision.number == number)
            .ok_or_else(|| {
                let kept: Vec<String> = revisions.iter().map(|r| r.number.to_string()).collect();
                PickError::Missing {
                    number,
                    kept: kept.join(", "),
                }
            })
    };
    if requested.len() > 2 {
        return Err(PickError::TooMany);
    }
    let current = revisions.last().ok_or(PickError::None)?;
    match *requested {
        [old] => Ok((find(old)?, current)),
        [old, new] => Ok((find(old)?, find(new)?)),
        _ => match revisions {
            [.., previous, current] => Ok((previous, current)),
            _ => Err(PickError::OnlyOne(current.number)),
        },
    }
}

/// The workload as it was at `revision`: its identity and pod template, the shape the image
/// paths of its kind find containers in.
pub fn revision_object(kind: WorkloadKind, key: &ObjectKey, revision: &Revision) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": kind.kind(),
        "metadata": {"name": key.name, "namespace": key.namespace},
        "spec": {"template": revision.template},
    })
}

/// A revision diff as JSON: the report with the object and the revisions compared.
pub fn render_revisions_json(key: &ObjectKey, old: u64, new: u64, report: &DiffReport) -> String {
    #[derive(Serialize)]
    struct Compared {
        old: u64,
        new: u64,
    }
    #[derive(Serialize)]
    struct RevisionDiff<'a> {
        object: String,
        revisions: Compared,
        #[serde(flatten)]
        report: &'a DiffReport,
    }
    pretty_json(&RevisionDiff {
        object: key.to_string(),
        revisions: Compared { old, new },
        report,
    })
}

fn pretty_json(value: &impl Serialize) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("JSON serialises");
    text.push('\n');
    text
}

/// Where a container's digest was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DigestSource {
    /// The template names the image by digest.
    Template,
    /// The template holds a tag; the running pods' `imageID` says what it pulled.
    Pod,
}

/// One container of a revision and the digests it ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContainerHistory {
    pub name: String,
    /// As the template writes it.
    pub image: String,
    /// The image with its digest; several where pods pulled a moved tag at different times;
    /// none where the template holds a tag and no pod of the revision runs.
    pub pinned: Vec<String>,
    pub digest_from: Option<DigestSource>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RevisionHistory {
    pub revision: u64,
    pub created: Option<String>,
    pub change_cause: Option<String>,
    pub containers: Vec<ContainerHistory>,
}

/// A revision's containers (`images`: name -> image, as the locator finds them) with their
/// digests, from the template or from the `imageID`s of the revision's pods among `pods`.
pub fn revision_history(
    revision: &Revision,
    images: BTreeMap<String, String>,
    pods: &[Value],
) -> RevisionHistory {
    let running: Vec<&Value> = match &revision.pods {
        Some(pod_match) => pods.iter().filter(|pod| pod_match.matches(pod)).collect(),
        None => Vec::new(),
    };
    let containers = images
        .into_iter()
        .map(|(name, image)| {
            let (pinned, digest_from) = match ImageReference::parse(&image) {
                Ok(reference) if reference.digest().is_some() => {
                    (vec![image.clone()], Some(DigestSource::Template))
                }
                Ok(reference) => {
                    let pinned: Vec<String> = pod_digests(&running, &name)
                        .iter()
                        .map(|digest| reference.pinned(digest, false))
                        .collect();
                    let from = (!pinned.is_empty()).then_some(DigestSource::Pod);
                    (pinned, from)
                }
                // Not an image reference at all: no pod can have pulled it.
                Err(_) => (Vec::new(), None),
            };
            ContainerHistory {
                name,
                image,
                pinned,
                digest_from,
            }
        })
        .collect();
    RevisionHistory {
        revision: revision.number,
        created: revision.created.clone(),
        change_cause: revision.change_cause.clone(),
        containers,
    }
}

/// The registry digest in a container status's `imageID`, however the runtime spells it:
/// `docker-pullable://repo@sha256:…` (dockershim), `repo@sha256:…` (containerd, CRI-O) or a bare
/// `sha256:…`.
pub fn image_id_digest(image_id: &str) -> Option<&str> {
    let id = image_id
        .split_once("://")
        .map_or(image_id, |(_, rest)| rest);
    let digest = id.rsplit_once('@').map_or(id, |(_, digest)| digest);
    is_valid_digest(digest).then_some(digest)
}

/// The registry digests the pods report for `container` (among their containers and init
/// containers), from each status's `imageID` ([`image_id_digest`]).
pub fn pod_digests(pods: &[&Value], container: &str) -> BTreeSet<String> {
    pods.iter()
        .flat_map(|pod| {
            ["containerStatuses", "initContainerStatuses"]
                .into_iter()
                .filter_map(|list| pod.pointer(&format!("/status/{list}"))?.as_array())
                .flatten()
        })
        .filter(|status| text(status, "/name") == Some(container))
        .filter_map(|status| image_id_digest(text(status, "/imageID")?))
        .map(str::to_string)
        .collect()
}

/// The history as a table: one row per container, the revision's fields on its first row.
pub fn render_history_text(key: &ObjectKey, history: &[RevisionHistory]) -> String {
    let mut rows: Vec<[String; 5]> =
        vec![["REVISION", "CREATED", "CONTAINER", "IMAGE", "CHANGE-CAUSE"].map(String::from)];
    for revision in history {
        let mut first = true;
        let mut push = |container: &str, image: String| {
            rows.push(if first {
                [
                    revision.revision.to_string(),
                    revision.created.clone().unwrap_or_else(|| "-".into()),
                    container.to_string(),
                    image,
                    revision
                        .change_cause
                        .clone()
                        .unwrap_or_else(|| "<none>".into()),
                ]
            } else {
                [
                    String::new(),
                    String::new(),
                    container.to_string(),
                    image,
                    String::new(),
                ]
            });
            first = false;
        };
        for container in &revision.containers {
            match container.digest_from {
                None => push(&container.name, format!("{} (no digest)", container.image)),
                Some(DigestSource::Template) => push(&container.name, container.image.clone()),
                Some(DigestSource::Pod) => {
                    for pinned in &container.pinned {
                        push(&container.name, format!("{pinned} (from pod)"));
                    }
                }
            }
        }
        if revision.containers.is_empty() {
            push("-", "-".into());
        }
    }
    let widths: Vec<usize> = (0..5)
        .map(|column| rows.iter().map(|row| row[column].len()).max().unwrap_or(0))
        .collect();
    let mut out = format!("{key}\n");
    for row in rows {
        let mut line = String::new();
        for (column, cell) in row.iter().enumerate() {
            let _ = write!(line, "{cell:width$}  ", width = widths[column]);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The history as JSON, for scripts.
pub fn render_history_json(key: &ObjectKey, history: &[RevisionHistory]) -> String {
    #[derive(Serialize)]
    struct History<'a> {
        object: String,
        revisions: &'a [RevisionHistory],
    }
    pretty_json(&History {
        object: key.to_string(),
        revisions: history,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    fn replica_set(revision: &str, hash: &str, owner: &str, image: &str) -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {
                "name": format!("web-{hash}"), "uid": format!("rs-{hash}"),
                "creationTimestamp": "2024-05-01T10:00:00Z",
                "labels": {"app": "web", "pod-template-hash": hash},
                "annotations": {"deployment.kubernetes.io/revision": revision},
                "ownerReferences": [{"kind": "Deployment", "name": "web", "uid": owner}]
            },
            "spec": {"template": {
                "metadata": {"labels": {"app": "web", "pod-template-hash": hash}},
                "spec": {"containers": [{"name": "web", "image": image}]}
            }}
        })
    }

    fn pod(hash: &str, owner: &str, image_id: &str) -> Value {
        json!({
            "metadata": {"labels": {"pod-template-hash": hash},
                         "ownerReferences": [{"uid": owner}]},
            "status": {"containerStatuses": [{"name": "web", "imageID": image_id}]}
        })
    }

    #[test]
    fn image_ids_are_read_however_the_runtime_spells_them() {
        let hex = "0123456789abcdef".repeat(4);
        let digest = format!("sha256:{hex}");
        for id in [
            format!("docker-pullable://registry.test/web@{digest}"),
            format!("registry.test/web@{digest}"),
            format!("docker.io/library/web@{digest}"),
            digest.clone(),
        ] {
            assert_eq!(image_id_digest(&id), Some(digest.as_str()), "{id}");
        }
        for id in ["", "sha256:0123", "docker://sha256:xyz", "web:1"] {
            assert_eq!(image_id_digest(id), None, "{id}");
        }
    }

    #[test]
    fn parses_kubectl_types() {
        for input in [
            "deployment/web",
            "deploy/web",
            "Deployments/web",
            "deployments.apps/web",
            "deployment.v1.apps/web",
        ] {
            let workload: Workload = input.parse().unwrap();
            assert_eq!(workload.kind, WorkloadKind::Deployment, "{input}");
            assert_eq!(workload.name, "web");
        }
        assert_eq!(
            "sts/db".parse::<Workload>().unwrap().kind,
            WorkloadKind::StatefulSet
        );
        assert_eq!(
            "daemonsets/agent".parse::<Workload>().unwrap().to_string(),
            "daemonset/agent"
        );
        for bad in [
            "web",
            "deployment/",
            "/web",
            "deployment/a/b",
            "release-1.yaml",
        ] {
            assert!(
                matches!(bad.parse::<Workload>(), Err(WorkloadError::Malformed(_))),
                "{bad}"
            );
        }
        assert_eq!(
            "pod/web".parse::<Workload>(),
            Err(WorkloadError::NoRevisions("pod".into()))
        );
    }

    #[test]
    fn replica_sets_of_the_deployment_by_revision_without_their_hash_label() {
        let objects = [
            replica_set("10", "bbb", "dep-1", "web:2"),
            replica_set("9", "aaa", "dep-1", "web:1"),
            replica_set("1", "ccc", "someone-else", "web:0"),
            json!({"metadata": {"name": "no-revision", "ownerReferences": [{"uid": "dep-1"}]}}),
        ];
        let revisions = revisions(WorkloadKind::Deployment, "dep-1", &objects);
        let numbers: Vec<u64> = revisions.iter().map(|r| r.number).collect();
        assert_eq!(numbers, [9, 10], "numeric order, others' skipped");
        assert_eq!(
            revisions[0].template["metadata"]["labels"],
            json!({"app": "web"})
        );
        assert_eq!(
            revisions[1].pods,
            Some(PodMatch {
                label: ("pod-template-hash".into(), "bbb".into()),
                owner_uid: "rs-bbb".into()
            })
        );
        assert_eq!(
            revisions[1].pods.as_ref().unwrap().selector(),
            "pod-template-hash=bbb"
        );
    }

    #[test]
    fn controller_revisions_hold_the_template_as_a_replacing_patch() {
        let revision = |name: &str, number: u64| {
            json!({
                "apiVersion": "apps/v1", "kind": "ControllerRevision",
                "metadata": {"name": name, "labels": {"controller-revision-hash": "h1"},
                             "annotations": {"kubernetes.io/change-cause": "upgrade"},
                             "ownerReferences": [{"uid": "set-1"}]},
                "revision": number,
                "data": {"spec": {"template": {"$patch": "replace",
                    "spec": {"containers": [{"name": "db", "image": "db:1"}]}}}}
            })
        };
        let objects = [revision("db-7f9", 2), revision("db-5c4", 1)];
        let stateful = revisions(WorkloadKind::StatefulSet, "set-1", &objects);
        assert_eq!(stateful[0].number, 1);
        assert_eq!(
            stateful[0].template,
            json!({"spec": {"containers": [{"name": "db", "image": "db:1"}]}})
        );
        assert_eq!(stateful[1].change_cause.as_deref(), Some("upgrade"));
        assert_eq!(
            stateful[1].pods.as_ref().unwrap().selector(),
            "controller-revision-hash=db-7f9"
        );
        let daemon = revisions(WorkloadKind::DaemonSet, "set-1", &objects);
        assert_eq!(
            daemon[1].pods.as_ref().unwrap().selector(),
            "controller-revision-hash=h1"
        );
    }

    #[test]
    fn picks_previous_and_current_or_the_requested_revisions() {
        let objects: Vec<Value> = [("1", "a"), ("2", "b"), ("4", "c")]
            .iter()
            .map(|(n, hash)| replica_set(n, hash, "d", "web"))
            .collect();
        let all = revisions(WorkloadKind::Deployment, "d", &objects);
        let numbers = |(old, new): (&Revision, &Revision)| (old.number, new.number);
        assert_eq!(pick(&all, &[]).map(numbers), Ok((2, 4)));
        assert_eq!(pick(&all, &[1]).map(numbers), Ok((1, 4)));
        assert_eq!(pick(&all, &[4, 1]).map(numbers), Ok((4, 1)));
        let error = |result: Result<_, PickError>| result.unwrap_err().to_string();
        assert_eq!(
            error(pick(&all, &[3])),
            "has no revision 3 (it has 1, 2, 4)"
        );
        assert_eq!(
            error(pick(&all[..1], &[])),
            "has only revision 1: nothing to compare it with"
        );
        assert_eq!(error(pick(&[], &[1])), "has no rollout revisions");
        assert_eq!(pick(&all, &[1, 2, 4]), Err(PickError::TooMany));
    }

    #[test]
    fn digests_come_from_the_template_or_else_from_the_revisions_pods() {
        let pinned = format!("registry.test/web@{A}");
        let with_digest = &revisions(
            WorkloadKind::Deployment,
            "d",
            &[replica_set("1", "aaa", "d", &pinned)],
        )[0];
        let images = BTreeMap::from([("web".to_string(), pinned.clone())]);
        let entry = revision_history(with_digest, images, &[]);
        assert_eq!(entry.containers[0].pinned, [pinned]);
        assert_eq!(
            entry.containers[0].digest_from,
            Some(DigestSource::Template)
        );

        let tagged = &revisions(
            WorkloadKind::Deployment,
            "d",
            &[replica_set("2", "bbb", "d", "web:1")],
        )[0];
        let images = BTreeMap::from([("web".to_string(), "web:1".to_string())]);
        let pods = [
            pod("bbb", "rs-bbb", &format!("docker-pullable://web@{A}")),
            pod("bbb", "rs-bbb", &format!("docker.io/library/web@{A}")),
            pod("bbb", "rs-bbb", "sha256:0123"),
            pod(
                "bbb",
                "rs-other",
                "web@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
            ),
            pod(
                "ccc",
                "rs-bbb",
                "web@sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc",
            ),
        ];
        let entry = revision_history(tagged, images.clone(), &pods);
        assert_eq!(entry.containers[0].pinned, [format!("web:1@{A}")]);
        assert_eq!(entry.containers[0].digest_from, Some(DigestSource::Pod));

        let gone = revision_history(tagged, images, &[]);
        assert!(gone.containers[0].pinned.is_empty());
        assert_eq!(gone.containers[0].digest_from, None);
        let key = ObjectKey {
            group: "apps".into(),
            kind: "Deployment".into(),
            namespace: "shop".into(),
            name: "web".into(),
        };
        assert_eq!(
            render_history_text(&key, &[entry, gone]),
            format!(
                "deployment.apps/shop/web
REVISION  CREATED               CONTAINER  IMAGE{pad}  CHANGE-CAUSE
2         2024-05-01T10:00:00Z  web        web:1@{A} (from pod)  <none>
2         2024-05-01T10:00:00Z  web        web:1 (no digest){rest}  <none>
",
                pad = " ".repeat(format!("web:1@{A} (from pod)").len() - 5),
                rest = " ".repeat(format!("web:1@{A} (from pod)").len() - 17),
            )
        );
    }
}
