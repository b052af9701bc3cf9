//! What the user's kubeconfig says, read with the kube crate (`KUBECONFIG` lists included).

/// The namespace of the kubeconfig's current context (or of `context`), if it names one.
pub fn context_namespace(context: Option<&str>) -> Option<String> {
    let config = kube::config::Kubeconfig::read().ok()?;
    let name = context.map(str::to_string).or(config.current_context)?;
    config
        .contexts
        .into_iter()
        .find(|named| named.name == name)?
        .context?
        .namespace
}
