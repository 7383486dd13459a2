//! FLAC: the writer used while recording (our own frame encoder, see
//! frame.rs for why) and the libFLAC reader used by `legrec verify`/`repair`
//! and the tests.

mod bits;
pub mod decoder;
pub mod encoder;
mod frame;
mod kernels;
