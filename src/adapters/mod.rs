//! Adapters: everything that touches the outside world.
pub mod cluster;
pub mod credentials;
pub mod fs;
pub mod git;
pub mod jq;
pub mod kubeconfig;
pub mod registry;
mod wire;

use std::time::Duration;

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

/// Whether `error` is one of the adapters' own. Each keeps its cause as its `source` and says
/// in its message the part of it a user acts on, so what is under it need not be said again.
pub(crate) fn says_its_cause(error: &(dyn std::error::Error + 'static)) -> bool {
    error.is::<cluster::ClusterError>()
        || error.is::<registry::RegistryError>()
        || error.is::<kubeconfig::KubeconfigError>()
        || error.is::<credentials::CredentialError>()
        || error.is::<git::GitError>()
        || error.is::<fs::InputError>()
}

/// The wait before try `attempt + 1` after a transient fault, for the registry and the cluster
/// alike: 250 ms, 500 ms, 1 s, … (at most 8 s) with up to half again of random jitter, so
/// clients that failed together do not come back together.
pub(crate) fn backoff(attempt: u32) -> Duration {
    let base = Duration::from_millis(250) * 2u32.pow(attempt.saturating_sub(1).min(5));
    base + base.mul_f64(fastrand::f64() / 2.0)
}

/// A wait as `-v` shows it: `312ms`, `2s`, `1s 500ms`.
pub(crate) fn wait_text(wait: Duration) -> String {
    humantime::format_duration(Duration::from_millis(wait.as_millis() as u64)).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_up_to_half_again_of_jitter_and_stops_growing() {
        for (attempt, base_ms) in [(1, 250), (2, 500), (3, 1000), (6, 8000), (30, 8000)] {
            let base = Duration::from_millis(base_ms);
            let wait = backoff(attempt);
            assert!(wait >= base && wait <= base * 3 / 2, "{attempt}: {wait:?}");
        }
    }
}
