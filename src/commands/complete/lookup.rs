//! What completion asks outside the command line: the contexts of the kubeconfig, and the
//! namespaces and workloads of the cluster a context names. The kubeconfig is read by the one
//! reader every command uses ([`crate::adapters::kubeconfig`]); whatever fails, or takes longer
//! than [`Sources::namespace_timeout`], gives nothing.

use std::future::Future;
use std::path::Path;

use crate::adapters::kubeconfig::Kubeconfig;

use super::Sources;

/// The workloads whose rollouts `TYPE/NAME` names, by their kubectl names and aliases.
pub(super) const WORKLOAD_KINDS: [(&str, &[&str]); 3] = [
    ("deployment", &["deployment", "deployments", "deploy"]),
    ("statefulset", &["statefulset", "statefulsets", "sts"]),
    ("daemonset", &["daemonset", "daemonsets", "ds"]),
];

/// The context names of the kubeconfig (`kubeconfig`, else the files `sources` finds), first
/// file first, each once, described by whether it is the current one, its cluster and its
/// namespace.
pub(super) fn contexts(
    sources: &Sources,
    kubeconfig: Option<&Path>,
) -> Vec<(String, Option<String>)> {
    let Ok(config) = Kubeconfig::load(kubeconfig, &sources.search()) else {
        return Vec::new();
    };
    config
        .contexts()
        .iter()
        .map(|named| {
            let mut about = Vec::new();
            if config.current_context() == Some(named.name.as_str()) {
                about.push("current".to_string());
            }
            if let Some(context) = &named.context {
                if !context.cluster.is_empty() {
                    about.push(format!("cluster {}", context.cluster));
                }
                about.extend(context.namespace.iter().map(|ns| format!("namespace {ns}")));
            }
            let description = (!about.is_empty()).then(|| about.join(", "));
            (named.name.clone(), description)
        })
        .collect()
}

/// The namespaces of the cluster that `context` (else the current context) names.
pub(super) fn namespaces(
    sources: &Sources,
    kubeconfig: Option<&Path>,
    context: Option<&str>,
) -> Vec<String> {
    ask_cluster(sources, kubeconfig, context, |client, _| async move {
        use k8s_openapi::api::core::v1::Namespace;
        names(kube::Api::<Namespace>::all(client)).await
    })
}

/// The names of the workloads of this kind (`deployment`, `sts`, ...) in `namespace` (else the
/// context's namespace, else `default`).
pub(super) fn workloads(
    sources: &Sources,
    kubeconfig: Option<&Path>,
    context: Option<&str>,
    namespace: Option<&str>,
    kind: &str,
) -> Vec<String> {
    use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
    let Some((kind, _)) = WORKLOAD_KINDS
        .iter()
        .find(|(_, names)| names.contains(&kind.to_ascii_lowercase().as_str()))
    else {
        return Vec::new();
    };
    ask_cluster(
        sources,
        kubeconfig,
        context,
        |client, default_namespace| async move {
            let namespace = namespace.map(str::to_string).unwrap_or(default_namespace);
            match *kind {
                "deployment" => {
                    names(kube::Api::<Deployment>::namespaced(client, &namespace)).await
                }
                "statefulset" => {
                    names(kube::Api::<StatefulSet>::namespaced(client, &namespace)).await
                }
                _ => names(kube::Api::<DaemonSet>::namespaced(client, &namespace)).await,
            }
        },
    )
}

/// The sorted names of the objects `api` lists, their metadata alone.
async fn names<K>(api: kube::Api<K>) -> anyhow::Result<Vec<String>>
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let list = api.list_metadata(&kube::api::ListParams::default()).await?;
    let mut names: Vec<String> = list
        .items
        .into_iter()
        .filter_map(|object| object.metadata.name)
        .collect();
    names.sort();
    Ok(names)
}

/// Runs `ask` with a client for the context in force and that context's namespace, one
/// request with no retry, all of it within the sources' timeout.
fn ask_cluster<'a, F, Fut>(
    sources: &Sources,
    kubeconfig: Option<&'a Path>,
    context: Option<&'a str>,
    ask: F,
) -> Vec<String>
where
    F: FnOnce(kube::Client, String) -> Fut + 'a,
    Fut: Future<Output = anyhow::Result<Vec<String>>> + 'a,
{
    let timeout = sources.namespace_timeout;
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return Vec::new();
    };
    let search = sources.search();
    let listed = runtime.block_on(async {
        tokio::time::timeout(timeout, async {
            let mut config = Kubeconfig::load(kubeconfig, &search)?
                .client_config(context)
                .await?;
            config.connect_timeout = Some(timeout);
            config.read_timeout = Some(timeout);
            config.default_retry = false;
            let namespace = config.default_namespace.clone();
            ask(kube::Client::try_from(config)?, namespace).await
        })
        .await
    });
    // An exec credential plugin that hangs must not keep completion waiting.
    runtime.shutdown_background();
    match listed {
        Ok(Ok(names)) => names,
        _ => Vec::new(),
    }
}
