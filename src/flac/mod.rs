//! FLAC through Debian's libFLAC: the writer used while recording and the
//! reader used by `legrec verify`/`repair` and the tests.

pub mod decoder;
pub mod encoder;
