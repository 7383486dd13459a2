//! FLAC: the pure-Rust writer used while recording (flacenc) and the libFLAC
//! reader used by `legrec verify`/`repair` and the tests.

pub mod decoder;
pub mod encoder;
