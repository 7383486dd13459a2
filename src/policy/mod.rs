//! Policies and settings: every decision a PBX admin configures.

pub mod config;
pub mod ini;
pub mod jurisdiction;
pub mod values;
