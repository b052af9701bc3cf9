//! The cluster as the workflows see it: discovery, get, list, server-side apply and a
//! conditional update. The kube
//! adapter implements it for real; tests implement it in memory to check sequencing.

use serde_json::Value;

use crate::adapters::cluster::{Cluster, ClusterError, Resource};
use crate::core::manifest::ObjectKey;

/// A cluster's API, as small as the workflows need.
#[allow(async_fn_in_trait)]
pub trait ClusterApi {
    /// The API resource for an object's `apiVersion` and `kind`.
    fn resource(&self, object: &Value) -> Result<Resource, ClusterError>;
    /// The identity of `object` on this cluster: scope from discovery, namespace defaulted.
    fn key(&self, object: &Value, resource: &Resource) -> ObjectKey;
    /// Discovers again, after CRDs were created.
    async fn refresh(&mut self) -> Result<(), ClusterError>;
    /// The live object, or `None` where there is none.
    async fn get(
        &self,
        resource: &Resource,
        key: &ObjectKey,
    ) -> Result<Option<Value>, ClusterError>;
    /// Every object of a resource in a namespace, narrowed by a label selector.
    async fn list(
        &self,
        resource: &Resource,
        namespace: &str,
        selector: Option<&str>,
    ) -> Result<Vec<Value>, ClusterError>;
    /// Server-side apply of `object` as `apply.manager`; with `dry_run`, what the server would
    /// store, nothing persisted.
    async fn apply(
        &self,
        resource: &Resource,
        key: &ObjectKey,
        object: &Value,
        apply: &ApplyOptions,
        dry_run: bool,
    ) -> Result<Value, ClusterError>;
    /// Replaces the object stored as `key` with `object` whole (an update, as `kubectl
    /// replace`), as `manager`, only if its `metadata.resourceVersion` is still the one in
    /// `object`: else a 409 Conflict and nothing changed. With `dry_run`, nothing persisted.
    async fn replace(
        &self,
        resource: &Resource,
        key: &ObjectKey,
        object: &Value,
        manager: &str,
        dry_run: bool,
    ) -> Result<Value, ClusterError>;
}

/// How objects are applied: as which field manager, taking over others' fields or not.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    pub manager: String,
    pub force: bool,
}

impl ClusterApi for Cluster {
    fn resource(&self, object: &Value) -> Result<Resource, ClusterError> {
        Cluster::resource(self, object)
    }

    fn key(&self, object: &Value, resource: &Resource) -> ObjectKey {
        Cluster::key(self, object, resource)
    }

    async fn refresh(&mut self) -> Result<(), ClusterError> {
        Cluster::refresh(self).await
    }

    async fn get(
        &self,
        resource: &Resource,
        key: &ObjectKey,
    ) -> Result<Option<Value>, ClusterError> {
        Cluster::get(self, resource, key).await
    }

    async fn list(
        &self,
        resource: &Resource,
        namespace: &str,
        selector: Option<&str>,
    ) -> Result<Vec<Value>, ClusterError> {
        Cluster::list(self, resource, namespace, selector).await
    }

    async fn apply(
        &self,
        resource: &Resource,
        key: &ObjectKey,
        object: &Value,
        apply: &ApplyOptions,
        dry_run: bool,
    ) -> Result<Value, ClusterError> {
        Cluster::apply(
            self,
            resource,
            key,
            object,
            &apply.manager,
            apply.force,
            dry_run,
        )
        .await
    }

    async fn replace(
        &self,
        resource: &Resource,
        key: &ObjectKey,
        object: &Value,
        manager: &str,
        dry_run: bool,
    ) -> Result<Value, ClusterError> {
        Cluster::replace(self, resource, key, object, manager, dry_run).await
    }
}
