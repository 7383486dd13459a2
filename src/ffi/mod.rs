//! The C boundary, and only the boundary: handles, the panic guard, error
//! codes and the log bridge.  Every exported function checks its pointers
//! first, then its lengths, then calls into the core inside a panic guard.

#![allow(clippy::missing_safety_doc)] // each function's contract is in include/legrec.h

#[allow(
    non_camel_case_types,
    non_upper_case_globals,
    non_snake_case,
    dead_code
)]
pub mod bindings {
    include!(concat!(env!("OUT_DIR"), "/bindings.rs"));
}

#[macro_use]
mod guard;
mod config;
mod core;
mod error;
pub mod log;
mod names;
mod recording;
mod stats;

pub use self::config::*;
pub use self::core::*;
pub use self::error::*;
pub use self::names::*;
pub use self::recording::*;

// Ties every prototype of include/legrec.h to the function above of the
// same name: a mismatch in any argument or return type fails to compile.
include!(concat!(env!("OUT_DIR"), "/abi_check.rs"));
