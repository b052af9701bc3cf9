//! Integration tests: the built `kubectl-immutable` binary against real parts (a CNCF Distribution
//! registry, skopeo, and a real kube-apiserver), never mocks.

#[path = "../support/mod.rs"]
mod support;

mod apply;
mod apply_faults;
mod cluster;
mod corpus;
mod diff;
mod diff_cluster;
mod distribution;
mod pin;
mod registry_support;
mod reliability;
mod rewrite_golden;
mod verbosity;
