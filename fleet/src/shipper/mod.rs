//! `legrec ship`: recordings from the spool to S3-compatible storage,
//! verified there, indexed, and chained "shipped"; never in the PBX's way
//! (a process of its own, reading only finished recordings).

pub mod anchors;
pub mod chains;
pub mod erase;
mod local;
mod lock;
pub mod prune;
pub mod rebuild;
pub mod recording;
mod recover;
pub mod run;
pub mod state;
pub mod store;
mod uploads;
