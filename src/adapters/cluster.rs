//! The Kubernetes API through the kube crate: kubeconfig, discovery, get and server-side apply.
//!
//! Only what a 1.20 API server already has is used (server-side apply, `dryRun=All`, legacy
//! discovery), so the plugin works there and on current clusters alike.

use std::path::Path;

use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::core::GroupVersionKind;
use kube::discovery::{ApiCapabilities, ApiResource, Discovery, Scope};
use serde_json::Value;

use super::innermost;
use crate::core::manifest::{ObjectKey, api_group};

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("cannot load the kubeconfig: {0}")]
    Kubeconfig(String),
    #[error("cannot reach the cluster: {0}")]
    Unreachable(String),
    /// The API server's own answer, e.g. a 403 or a field-manager conflict.
    #[error("{message}")]
    Refused {
        code: u16,
        reason: String,
        message: String,
    },
    #[error("the server does not know {kind} in {api_version}")]
    UnknownKind { api_version: String, kind: String },
}

impl From<kube::Error> for ClusterError {
    fn from(error: kube::Error) -> Self {
        match error {
            kube::Error::Api(status) => ClusterError::Refused {
                code: status.code,
                reason: status.reason.clone(),
                message: status.message.clone(),
            },
            other => ClusterError::Unreachable(innermost(&other)),
        }
    }
}

/// Which kubeconfig, context and namespace: kubectl's flags.
#[derive(Debug, Clone, Default)]
pub struct ClusterSettings {
    pub kubeconfig: Option<std::path::PathBuf>,
    pub context: Option<String>,
    pub namespace: Option<String>,
}

/// A connection to one cluster, with what discovery found there.
pub struct Cluster {
    client: kube::Client,
    discovery: Discovery,
    /// `-n`, else the context's namespace, else `default`.
    pub namespace: String,
}

/// An object's API resource, as discovery maps its apiVersion and kind.
#[derive(Debug, Clone)]
pub struct Resource {
    pub api: ApiResource,
    pub namespaced: bool,
}

impl Cluster {
    pub async fn connect(settings: &ClusterSettings) -> Result<Cluster, ClusterError> {
        let options = KubeConfigOptions {
            context: settings.context.clone(),
            ..KubeConfigOptions::default()
        };
        let config = match &settings.kubeconfig {
            Some(path) => {
                let kubeconfig = read_kubeconfig(path)?;
                kube::Config::from_custom_kubeconfig(kubeconfig, &options).await
            }
            None => kube::Config::from_kubeconfig(&options).await,
        }
        .map_err(|error| ClusterError::Kubeconfig(innermost(&error)))?;
        let namespace = settings
            .namespace
            .clone()
            .unwrap_or_else(|| config.default_namespace.clone());
        let client =
            kube::Client::try_from(config).map_err(|e| ClusterError::Unreachable(innermost(&e)))?;
        let discovery = Discovery::new(client.clone()).run().await?;
        Ok(Cluster {
            client,
            discovery,
            namespace,
        })
    }

    /// Discovers again, after CRDs were created.
    pub async fn refresh(&mut self) -> Result<(), ClusterError> {
        self.discovery = Discovery::new(self.client.clone()).run().await?;
        Ok(())
    }

    /// The API resource for an object's `apiVersion` and `kind`.
    pub fn resource(&self, object: &Value) -> Result<Resource, ClusterError> {
        let text = |field: &str| {
            object
                .get(field)
                .and_then(Value::as_str)
                .unwrap_or_default()
        };
        let (api_version, kind) = (text("apiVersion"), text("kind"));
        let (group, version) = match api_version.rsplit_once('/') {
            Some((group, version)) => (group, version),
            None => ("", api_version),
        };
        let gvk = GroupVersionKind::gvk(group, version, kind);
        let (api, capabilities): (ApiResource, ApiCapabilities) = self
            .discovery
            .resolve_gvk(&gvk)
            .ok_or_else(|| ClusterError::UnknownKind {
                api_version: api_version.to_string(),
                kind: kind.to_string(),
            })?;
        Ok(Resource {
            api,
            namespaced: capabilities.scope == Scope::Namespaced,
        })
    }

    /// The identity of `object` on this cluster: scope from discovery, namespace defaulted.
    pub fn key(&self, object: &Value, resource: &Resource) -> ObjectKey {
        let text = |pointer: &str| object.pointer(pointer).and_then(Value::as_str);
        ObjectKey {
            group: api_group(text("/apiVersion").unwrap_or_default()).to_string(),
            kind: text("/kind").unwrap_or_default().to_string(),
            namespace: if resource.namespaced {
                text("/metadata/namespace")
                    .unwrap_or(&self.namespace)
                    .to_string()
            } else {
                String::new()
            },
            name: text("/metadata/name").unwrap_or_default().to_string(),
        }
    }

    fn api(&self, resource: &Resource, namespace: &str) -> Api<DynamicObject> {
        if resource.namespaced {
            Api::namespaced_with(self.client.clone(), namespace, &resource.api)
        } else {
            Api::all_with(self.client.clone(), &resource.api)
        }
    }

    /// The live object, or `None` where there is none.
    pub async fn get(
        &self,
        resource: &Resource,
        key: &ObjectKey,
    ) -> Result<Option<Value>, ClusterError> {
        let found = self
            .api(resource, &key.namespace)
            .get_opt(&key.name)
            .await?;
        Ok(found.map(|object| serde_json::to_value(object).expect("an object serialises")))
    }

    /// Every object of a resource in a namespace (all namespaces for cluster-scoped kinds),
    /// narrowed by a label selector.
    pub async fn list(
        &self,
        resource: &Resource,
        namespace: &str,
        selector: Option<&str>,
    ) -> Result<Vec<Value>, ClusterError> {
        let mut params = kube::api::ListParams::default();
        if let Some(selector) = selector {
            params = params.labels(selector);
        }
        let list = self.api(resource, namespace).list(&params).await?;
        Ok(list
            .items
            .into_iter()
            .map(|object| serde_json::to_value(object).expect("an object serialises"))
            .collect())
    }

    /// Server-side apply of `object` as `field_manager`; with `dry_run`, what the server would
    /// store, nothing persisted.
    pub async fn apply(
        &self,
        resource: &Resource,
        key: &ObjectKey,
        object: &Value,
        field_manager: &str,
        force: bool,
        dry_run: bool,
    ) -> Result<Value, ClusterError> {
        let mut params = PatchParams::apply(field_manager);
        params.force = force;
        params.dry_run = dry_run;
        let mut object = object.clone();
        if resource.namespaced {
            object["metadata"]["namespace"] = Value::String(key.namespace.clone());
        }
        let applied = self
            .api(resource, &key.namespace)
            .patch(&key.name, &params, &Patch::Apply(&object))
            .await?;
        Ok(serde_json::to_value(applied).expect("an object serialises"))
    }

    /// The client, for what this adapter does not wrap (watching a rollout).
    pub fn client(&self) -> &kube::Client {
        &self.client
    }
}

fn read_kubeconfig(path: &Path) -> Result<Kubeconfig, ClusterError> {
    Kubeconfig::read_from(path).map_err(|error| {
        ClusterError::Kubeconfig(format!("{}: {}", path.display(), innermost(&error)))
    })
}
