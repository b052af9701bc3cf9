//! Pure core: no I/O.
pub mod reference;
