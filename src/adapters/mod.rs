//! Adapters: everything that touches the outside world.
pub mod cluster;
pub mod credentials;
pub mod fs;
pub mod git;
pub mod kubeconfig;
pub mod registry;
