//! Where a frame enters: a call's recording as the PBX's threads see it
//! (frames pushed from the media thread, mask, pause, notices, consent,
//! keys) and the parties that join and leave its bridge.

pub mod peers;
pub mod recording;
