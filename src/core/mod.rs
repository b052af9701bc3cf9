//! Pure core: no network, no files, no clock.
pub mod compose;
pub mod containers;
pub mod diff;
pub mod dockerfile;
pub mod drift;
pub mod findings;
pub mod ignore;
pub mod image_paths;
pub mod locate;
pub mod lock;
pub mod manifest;
pub mod mirror;
pub mod platform;
pub mod problem;
pub mod reference;
pub mod rewrite;
#[cfg(test)]
mod rewrite_properties;
pub mod rollback;
pub mod rollout;
pub mod rollout_status;
pub mod signature;
pub mod signature_manifest;
pub mod skim;
pub mod source_kind;
