//! What the user's kubeconfig says, read with the kube crate (`KUBECONFIG` lists included).

use std::path::Path;

/// The namespace of the kubeconfig's current context (or of `context`), if it names one; the
/// kubeconfig is `path`, else `KUBECONFIG`, else `~/.kube/config`.
pub fn context_namespace(path: Option<&Path>, context: Option<&str>) -> Option<String> {
    let config = match path {
        Some(path) => kube::config::Kubeconfig::read_from(path),
        None => kube::config::Kubeconfig::read(),
    }
    .ok()?;
    let name = context.map(str::to_string).or(config.current_context)?;
    config
        .contexts
        .into_iter()
        .find(|named| named.name == name)?
        .context?
        .namespace
}
