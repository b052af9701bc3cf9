//! Adapters: everything that touches the outside world.
pub mod cluster;
pub mod credentials;
pub mod fs;
pub mod git;
pub mod kubeconfig;
pub mod registry;

/// The deepest cause of an error: it names the real fault ("Connection refused", "certificate
/// unknown") where the outer ones only say that a request failed.
pub(crate) fn innermost(error: &dyn std::error::Error) -> String {
    let mut deepest = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        deepest = cause.to_string();
        source = cause.source();
    }
    deepest
}
