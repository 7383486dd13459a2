//! Where a frame becomes FLAC: the encoder threads (`worker`), each
//! recording's state on them (`job`), one leg's timeline from ring to file
//! (`track`) and the resampler for frames at another rate.

pub mod job;
pub mod resample;
mod track;
pub mod worker;
