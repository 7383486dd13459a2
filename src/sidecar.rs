//! The JSON sidecar written beside each recording: what was recorded, of
//! whom, under which policy, what was played and decided, and the hashes
//! `legrec verify` checks.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Party {
    pub number: String,
    pub name: String,
}

/// One FLAC file of the recording.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct LegFile {
    /// `in`, `out` or `stereo` (L = in, R = out).
    pub name: String,
    /// File name, relative to the sidecar's directory.
    pub file: String,
    pub channels: u32,
    pub sample_rate: u32,
    /// Samples per channel in the file.
    pub samples: u64,
    /// Samples lost because the leg's ring was full; written as silence.
    pub dropped_samples: u64,
    /// Silence written because no audio arrived for this direction (nothing
    /// was said or played), keeping the legs on one timeline.
    pub filled_samples: u64,
    /// Frames that arrived at another sample rate and how they were handled
    /// ("resampled"), or null when all frames were at the leg's rate.
    pub rate_mismatch: Option<String>,
    pub sha256: String,
    /// The MD5 of the decoded audio, as stored in FLAC STREAMINFO.
    pub flac_md5: String,
}

/// A party the recorded channel was bridged with, and when: a queue
/// answer, a plain bridge, a pickup, each side of a transfer.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Peer {
    pub channel: String,
    pub number: String,
    pub name: String,
    /// The queue member (app_queue's MEMBERNAME, mod_callcenter's agent)
    /// when a queue connected this party.
    pub member: Option<String>,
    /// The member's interface (app_queue's MEMBERINTERFACE).
    pub interface: Option<String>,
    pub joined_at: String,
    /// Seconds into the recording (pauses cut out), like masks and pauses.
    pub joined: f64,
    pub left_at: Option<String>,
    pub left: Option<f64>,
}

/// An agent key pressed: which, what it did, on whose side, when.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct KeyPress {
    pub key: String,
    /// `mask`, `unmask`, `pause`, `resume`, `record` or `stop-recording`.
    pub action: String,
    /// `caller` or `agent`.
    pub side: String,
    pub at: String,
    pub offset: f64,
}

fn always() -> String {
    "always".into()
}

/// A mask or pause interval.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Interval {
    pub start: String,
    pub end: Option<String>,
    /// Position in the recording (seconds from its start, pauses cut out).
    pub start_offset: f64,
    pub end_offset: Option<f64>,
    /// Who asked and how: "dialplan", "cli", "ami", "dtmf", ...
    pub by: String,
    pub ended_by: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct NoticeRecord {
    pub sound: String,
    /// `caller`, `agent` or `both`.
    pub party: String,
    pub at: String,
    pub offset: f64,
}

/// What the law of the parties' numbers asked (policy `jurisdiction = auto`).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Law {
    /// The stricter rule: one-party, notice or all-party.
    pub rule: String,
    pub reason: String,
    pub sides: Vec<crate::policy::jurisdiction::Side>,
}

/// How consent was obtained, and what was decided.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Consent {
    /// notify, opt-out or opt-in.
    pub mode: String,
    /// recorded, declined, or pending (while recording).
    pub decision: String,
    pub reason: String,
    /// When the consent prompt started.
    pub window_at: Option<String>,
    pub window_offset: Option<f64>,
    /// The consent key, when it was pressed, and when.
    pub digit: Option<String>,
    pub digit_at: Option<String>,
    /// What was kept after a refusal: drop (nothing) or agent-only.
    pub declined_action: String,
    /// The notice was played because a party's law required it.
    pub notice_required_by_law: bool,
    pub law: Option<Law>,
}

/// The warning tone mixed into the call (policy beep_interval).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Beeps {
    pub interval_seconds: u32,
    pub frequency_hz: f64,
    pub duration_ms: u32,
    /// Beeps heard by the recorded party.
    pub count: u64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Sidecar {
    pub id: String,
    pub policy: String,
    pub pbx: String,
    pub channel: String,
    pub uniqueid: String,
    pub caller: Party,
    pub callee: String,
    pub queue: String,
    /// The queue member who answered (the first peer a queue connected).
    #[serde(default)]
    pub agent: Option<String>,
    /// Everyone the recorded channel was bridged with, in order.
    #[serde(default)]
    pub peers: Vec<Peer>,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub legs: Vec<LegFile>,
    pub pauses: Vec<Interval>,
    pub masks: Vec<Interval>,
    pub notice: Vec<NoticeRecord>,
    /// `always`, or `on-demand`: only what an agent asked for is kept (the
    /// rest is in `pauses`, by `on-demand`).
    #[serde(default = "always")]
    pub start: String,
    /// Agent keys pressed.
    #[serde(default)]
    pub keys: Vec<KeyPress>,
    pub consent: Consent,
    #[serde(default)]
    pub beeps: Option<Beeps>,
    /// Days `legrec prune` keeps the recording (0 = forever), as the policy
    /// said when it was made.
    #[serde(default)]
    pub retention_days: u32,
    /// `recording` (in the marker only), `complete`, `failed`, `declined`,
    /// `interrupted` (rebuilt by `legrec repair` after a crash).
    pub status: String,
    pub reason: Option<String>,
    pub legrec_version: String,
}
