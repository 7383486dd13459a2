//! legrec: a call recorder that lives inside the PBX.
//!
//! A PBX shim (Asterisk's `app_legrec`, FreeSWITCH's `mod_legrec`) hands each
//! audio frame to this core through the C ABI in `include/legrec.h`
//! (`ffi`).  Frames wait in a lock-free ring per leg (`recorder::ring`),
//! become FLAC on worker threads (`recorder::encode::job`, `flac`), and every
//! decision a PBX admin would call policy lives in `policy`.

pub mod admin;
pub mod anchor;
pub mod audit;
pub mod ffi;
pub mod flac;
pub mod hold;
pub mod notify;
pub mod policy;
pub mod recorder;
pub mod sidecar;
pub mod spool;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// A recording's final state, as the sidecar and the PBX events say it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Recording,
    Complete,
    Failed,
    Declined,
    Discarded,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Recording => "recording",
            Status::Complete => "complete",
            Status::Failed => "failed",
            Status::Declined => "declined",
            Status::Discarded => "discarded",
        }
    }
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}
