//! Integration tests: the built `kubectl-immutable` binary against real parts (a CNCF Distribution
//! registry, skopeo, and a real kube-apiserver), never mocks.

// The support crate (tests/support) as `crate::support`, the name the suites know it by.
use kubectl_immutable_test_support as support;

mod apply;
mod apply_faults;
mod auth;
mod ci_formats;
mod cluster;
mod common;
mod corpus;
mod diff;
mod diff_cluster;
mod diff_ignore;
mod distribution;
mod docker;
mod hostile_input;
mod integrations;
mod pin;
mod pipes;
mod postrender;
mod registry_faults;
mod registry_hostile;
mod registry_support;
mod release_loop;
mod release_pipeline;
mod rewrite_golden;
mod secrets;
mod signatures;
mod verbosity;
mod yaml_parity;
