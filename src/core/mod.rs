//! Pure core: no network, no files, no clock.
pub mod containers;
pub mod diff;
pub mod image_paths;
pub mod locate;
pub mod lock;
pub mod manifest;
pub mod platform;
pub mod problem;
pub mod reference;
pub mod rewrite;
#[cfg(test)]
mod rewrite_properties;
pub mod rollout;
pub mod rollout_status;
