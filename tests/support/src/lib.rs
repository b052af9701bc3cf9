//! Test support for kubectl-immutable's integration tests (`tests/cli`) and its benchmark
//! (`benches/pin`): real servers started on loopback ports, proxies that inject faults in front
//! of them, and a runner for the built plugin.
//!
//! A crate of its own, a dev-dependency of the plugin only (as cargo's `cargo-test-support` is
//! of cargo): the test binary and the benchmark share it, and what it makes public is what they
//! use.

pub mod cluster;
pub mod faults;
pub mod plugin;
pub mod registry;
pub mod tcp_drop;
