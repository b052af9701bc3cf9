//! Test support shared by the integration tests: real servers started on loopback ports.
#![allow(dead_code)]

pub mod cluster;
pub mod faults;
pub mod plugin;
pub mod registry;
pub mod tcp_drop;
