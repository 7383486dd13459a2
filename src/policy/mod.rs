//! Every decision a PBX admin would call policy, one file each:
//! - `config`, `ini`, `values`: what the configuration says;
//! - `admit`: whether a call is recorded at all (never_record, an
//!   unattended start of a consent policy), and its queue;
//! - `plan`: the whole plan `admit` returns: what to play at start, to
//!   whom, whether it is kept, whether recording starts paused, what follows
//!   each consent outcome (with `jurisdiction`, what the law of each
//!   party's number asks);
//! - `consent`: what a key press in the consent window means, and what the
//!   recording does then;
//! - `outcome`: the final status, and what a refusal keeps;
//! - `notify`: the command and the webhook told when a recording is final;
//! - `keys`: the agent keys (mask, pause, on-demand recording) and what
//!   each switches;
//! - `prompts`: what legrec's own prompts are called.
//!
//! Nothing here touches audio, files or the PBX: the recorder applies
//! these decisions, the shims carry them out.

pub mod admit;
pub mod config;
pub mod consent;
pub mod ini;
pub mod jurisdiction;
pub mod keys;
pub mod notify;
pub mod outcome;
pub mod plan;
pub mod prompts;
pub mod values;
