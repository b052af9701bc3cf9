//! The workflows the commands share: read sources, resolve images, prepare a release, apply it,
//! wait for it, compare it with the cluster, read rollout revisions. No clap types and no
//! stdout: each takes settings and adapters and returns data (a report, or located problems);
//! the commands render it.

use crate::core::rollout_status::RolloutStatus;

pub mod apply;
pub mod cluster;
pub mod drift;
pub mod live;
#[cfg(test)]
mod memory;
pub mod pin;
pub mod release;
pub mod resolve;
pub mod revisions;
pub mod rollback;
pub mod sides;
pub mod signatures;
pub mod sources;
pub mod wait;

/// What a workflow tells the user while it runs; the command decides how (a progress bar on a
/// terminal, lines on stderr, nothing with `-q`).
pub trait Reporter: Sync {
    /// Resolving `total` distinct references from `from` (registries, the lock file) begins.
    fn resolving(&self, _total: usize, _from: &str) {}
    /// One more reference resolved.
    fn resolved_one(&self) {}
    /// Resolving is over.
    fn resolved_all(&self) {}
    /// A rollout being waited for is at `status` (said again only when it changes), or is not
    /// waited for.
    fn rollout(&self, _workload: &str, _status: &RolloutStatus) {}
}

/// Says nothing.
pub struct Silent;

impl Reporter for Silent {}
