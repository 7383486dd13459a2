//! legrec's tools beside the PBX, reached as `legrec ship`, `legrec index`,
//! `legrec search` (the `legrec` command runs `legrec-fleet` for them):
//! they work over the network, so they live apart from the core the PBX
//! loads, and the PBX never waits on them.

pub mod cli;
pub mod config;
pub mod index;
pub mod moment;
pub mod shipper;
pub mod spool_index;
pub mod web;
