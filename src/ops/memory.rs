//! A cluster in memory, for unit tests of the workflows' sequencing: it keeps objects (an
//! update only of the resourceVersion stored), records
//! every request in order, and fails where a test asks it to. The real API server is the second
//! tier (tests/cli); this one says in what order things were asked.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use kube::discovery::ApiResource;
use serde_json::Value;

use super::cluster::{ApplyOptions, ClusterApi};
use crate::adapters::cluster::{ClusterError, Resource};
use crate::core::manifest::{ObjectKey, api_group};

#[derive(Default)]
pub struct MemoryCluster {
    /// Kinds discovery knows: (apiVersion, kind) -> namespaced.
    pub kinds: BTreeMap<(String, String), bool>,
    pub objects: Mutex<BTreeMap<ObjectKey, Value>>,
    /// Every request, in order: `get KEY`, `dry-run KEY`, `apply KEY`, `list …`, `refresh`.
    pub log: Mutex<Vec<String>>,
    /// Objects (by name) whose applies, dry run or real, the server refuses.
    pub refuse: BTreeSet<String>,
    /// After this many real applies, the cluster can no longer be reached.
    pub reachable_applies: Option<usize>,
}

impl MemoryCluster {
    /// Knows the kinds of core Kubernetes a release usually holds.
    pub fn new() -> MemoryCluster {
        let mut cluster = MemoryCluster::default();
        for (api_version, kind, namespaced) in [
            ("v1", "Namespace", false),
            ("v1", "ConfigMap", true),
            ("v1", "Service", true),
            ("apps/v1", "Deployment", true),
            ("apiextensions.k8s.io/v1", "CustomResourceDefinition", false),
        ] {
            cluster
                .kinds
                .insert((api_version.into(), kind.into()), namespaced);
        }
        cluster
    }

    pub fn requests(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    fn record(&self, request: String) {
        self.log.lock().unwrap().push(request);
    }

    fn real_applies(&self) -> usize {
        let log = self.log.lock().unwrap();
        log.iter().filter(|r| r.starts_with("apply ")).count()
    }

    fn lost(&self) -> bool {
        self.reachable_applies
            .is_some_and(|reachable| self.real_applies() >= reachable)
    }
}

fn unreachable() -> ClusterError {
    ClusterError::Unreachable {
        reason: Some("connection reset".into()),
        source: None,
        tries: Some(4),
    }
}

impl ClusterApi for MemoryCluster {
    fn resource(&self, object: &Value) -> Result<Resource, ClusterError> {
        let text = |field: &str| object[field].as_str().unwrap_or_default().to_string();
        let (api_version, kind) = (text("apiVersion"), text("kind"));
        let namespaced = *self
            .kinds
            .get(&(api_version.clone(), kind.clone()))
            .ok_or_else(|| ClusterError::UnknownKind {
                api_version: api_version.clone(),
                kind: kind.clone(),
            })?;
        let version = api_version
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_string();
        Ok(Resource {
            api: ApiResource {
                group: api_group(&api_version).to_string(),
                version,
                plural: format!("{}s", kind.to_ascii_lowercase()),
                api_version,
                kind,
            },
            namespaced,
        })
    }

    fn key(&self, object: &Value, resource: &Resource) -> ObjectKey {
        let text = |pointer: &str| object.pointer(pointer).and_then(Value::as_str);
        ObjectKey {
            group: resource.api.group.clone(),
            kind: resource.api.kind.clone(),
            namespace: if resource.namespaced {
                text("/metadata/namespace").unwrap_or("default").to_string()
            } else {
                String::new()
            },
            name: text("/metadata/name").unwrap_or_default().to_string(),
        }
    }

    async fn refresh(&mut self) -> Result<(), ClusterError> {
        self.record("refresh".into());
        let defined: Vec<(String, String)> = self
            .objects
            .lock()
            .unwrap()
            .values()
            .filter(|o| o["kind"] == "CustomResourceDefinition")
            .filter_map(|crd| {
                let spec = &crd["spec"];
                let group = spec["group"].as_str()?;
                let version = spec["versions"][0]["name"].as_str()?;
                Some((
                    format!("{group}/{version}"),
                    spec["names"]["kind"].as_str()?.into(),
                ))
            })
            .collect();
        for kind in defined {
            self.kinds.insert(kind, true);
        }
        Ok(())
    }

    async fn get(
        &self,
        _resource: &Resource,
        key: &ObjectKey,
    ) -> Result<Option<Value>, ClusterError> {
        self.record(format!("get {key}"));
        if self.lost() {
            return Err(unreachable());
        }
        Ok(self.objects.lock().unwrap().get(key).cloned())
    }

    async fn list(
        &self,
        _resource: &Resource,
        namespace: &str,
        _selector: Option<&str>,
    ) -> Result<Vec<Value>, ClusterError> {
        self.record(format!("list {namespace}"));
        Ok(Vec::new())
    }

    async fn apply(
        &self,
        resource: &Resource,
        key: &ObjectKey,
        object: &Value,
        _apply: &ApplyOptions,
        dry_run: bool,
    ) -> Result<Value, ClusterError> {
        if self.lost() {
            self.record(format!("unreachable {key}"));
            return Err(unreachable());
        }
        self.record(format!(
            "{} {key}",
            if dry_run { "dry-run" } else { "apply" }
        ));
        if self.refuse.contains(&key.name) {
            return Err(ClusterError::Refused {
                code: 422,
                reason: "Invalid".into(),
                message: format!("{} \"{}\" is invalid", key.kind, key.name),
            });
        }
        let mut stored = object.clone();
        if resource.namespaced {
            stored["metadata"]["namespace"] = Value::String(key.namespace.clone());
        }
        if resource.api.kind == "CustomResourceDefinition" {
            stored["status"] =
                serde_json::json!({"conditions": [{"type": "Established", "status": "True"}]});
        }
        if !dry_run {
            self.objects
                .lock()
                .unwrap()
                .insert(key.clone(), stored.clone());
        }
        Ok(stored)
    }

    async fn replace(
        &self,
        _resource: &Resource,
        key: &ObjectKey,
        object: &Value,
        _manager: &str,
        dry_run: bool,
    ) -> Result<Value, ClusterError> {
        self.record(format!(
            "{} {key}",
            if dry_run {
                "dry-run-replace"
            } else {
                "replace"
            }
        ));
        let mut objects = self.objects.lock().unwrap();
        let stored = objects.get(key).map(resource_version);
        if stored.as_deref() != Some(resource_version(object).as_str()) {
            return Err(ClusterError::Refused {
                code: 409,
                reason: "Conflict".into(),
                message: format!(
                    "Operation cannot be fulfilled on {} \"{}\": the object has been modified",
                    key.kind, key.name
                ),
            });
        }
        let mut replaced = object.clone();
        replaced["metadata"]["resourceVersion"] = format!("{}+", resource_version(object)).into();
        if !dry_run {
            objects.insert(key.clone(), replaced.clone());
        }
        Ok(replaced)
    }
}

fn resource_version(object: &Value) -> String {
    object["metadata"]["resourceVersion"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}
