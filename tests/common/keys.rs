//! The agent-key scenarios, the same on every PBX: what the sidecar and
//! the legs show once the agent masked a span, the caller paused, or an
//! on-demand recording kept what the agent asked for.  Each PBX's test
//! (asterisk_keys.rs, freeswitch_keys.rs) makes the call its own way and
//! checks what only it can see (the digits that never reached the other
//! party, the caller's audio where the caller sends some).

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use legrec::sidecar::Sidecar;

use super::asterisk::{rms, tone_share};
use super::pbx::Pbx;
use super::sipp::TONE_HZ;
use super::{flac_decode, leg_path, read_sidecar, window};

/// Every key test's calls are A-law or µ-law: 8 kHz legs.
pub const RATE: f64 = 8000.0;

/// How far a PBX's timing may wander from the script of its call.
pub struct Margins {
    /// The least share of quarter seconds around a mask that carry the
    /// agent's tone.
    pub agent_share: f64,
    /// When the caller's key may have paused the recording, in seconds.
    pub pause_at: Range<f64>,
    /// How long the part an on-demand recording kept may be, in seconds.
    pub on_demand_len: Range<f64>,
    /// The least quarter seconds, and the least share, of the agent's tone
    /// in that part.
    pub on_demand_quarters: usize,
    pub on_demand_share: f64,
}

/// The first finished recording: its sidecar's path and content.
pub fn recorded(sb: &impl Pbx) -> (PathBuf, Sidecar) {
    let sidecars = sb.wait_sidecars(1, Duration::from_secs(30));
    let sc = read_sidecar(&sidecars[0]);
    (sidecars[0].clone(), sc)
}

/// The sidecar's keys as (key, action, side).
fn keys(sc: &Sidecar) -> Vec<(&str, &str, &str)> {
    sc.keys
        .iter()
        .map(|k| (k.key.as_str(), k.action.as_str(), k.side.as_str()))
        .collect()
}

/// The share of quarter seconds in `from..to` that carry the agent's
/// tone (robust to a late frame or two on a busy machine).
pub fn agent_share(x: &[i16], from: f64, to: f64) -> f64 {
    let quarters: Vec<f64> = (0..((to - from) * 4.0) as usize)
        .map(|q| from + q as f64 / 4.0)
        .collect();
    let toned = quarters
        .iter()
        .filter(|&&t| tone_share(window(x, t, t + 0.25), RATE, TONE_HZ) > 0.8)
        .count();
    toned as f64 / quarters.len().max(1) as f64
}

/// The agent pressed `key` about 3 s in, again about 3 s later: one mask
/// span between, silent in the agent's leg, the agent's tone around it.
/// `context` is shown when the keys are not what was pressed.  Returns
/// the span's offsets.
pub fn agent_masked(
    sidecar: &Path,
    sc: &Sidecar,
    key: &str,
    m: &Margins,
    context: &str,
) -> (f64, f64) {
    assert_eq!(
        keys(sc),
        [(key, "mask", "agent"), (key, "unmask", "agent")],
        "{context}"
    );
    assert_eq!(sc.masks.len(), 1, "{:#?}", sc.masks);
    let span = &sc.masks[0];
    assert_eq!(
        (span.by.as_str(), span.ended_by.as_deref()),
        ("dtmf:agent", Some("dtmf:agent"))
    );
    let (from, to) = (span.start_offset, span.end_offset.unwrap());
    assert!((2.5..5.0).contains(&from) && to - from > 2.5, "{span:?}");
    let lo = flac_decode(&leg_path(sidecar, sc, "out"));
    // A loaded machine leaves gaps in a PBX's playback, so not every
    // quarter second is clearly the tone; inside the mask none is.
    let before = agent_share(&lo, 0.5, from - 0.5);
    assert!(
        before > m.agent_share,
        "the agent before the mask: {before:.2}"
    );
    assert!(
        rms(window(&lo, from + 0.1, to - 0.1)) < 1.0,
        "masked: the agent's tone is silence"
    );
    let after = agent_share(&lo, to + 0.5, to + 2.0);
    assert!(
        after > m.agent_share,
        "the agent after the mask: {after:.2} from {to:.2} s of {:.2} s",
        lo.len() as f64 / RATE
    );
    (from, to)
}

/// The caller pressed `key`, the pause key, about 3 s in while sending
/// audio: the time after it is cut out of the caller's leg.
pub fn caller_paused(sidecar: &Path, sc: &Sidecar, key: &str, m: &Margins, context: &str) {
    assert_eq!(keys(sc), [(key, "pause", "caller")], "{context}");
    assert_eq!(sc.pauses.len(), 1);
    assert_eq!(sc.pauses[0].by, "dtmf:caller");
    let p = sc.pauses[0].start_offset;
    assert!(m.pause_at.contains(&p), "paused at {p}");
    let li = flac_decode(&leg_path(sidecar, sc, "in"));
    let len = li.len() as f64 / RATE;
    assert!(
        (p - 0.5..p + 0.5).contains(&len),
        "{len:.2} s kept, paused at {p:.2}"
    );
    assert!(
        rms(window(&li, 0.5, p - 0.5)) > 300.0,
        "the caller before the key"
    );
}

/// An on-demand recording whose agent pressed the record key after its
/// first 3 s of tone and again after the next: what is kept is that
/// middle tone and nothing else.
pub fn kept_on_demand(sidecar: &Path, sc: &Sidecar, m: &Margins) {
    assert_eq!(sc.start, "on-demand");
    let actions: Vec<(&str, &str)> = keys(sc).into_iter().map(|(_, a, s)| (a, s)).collect();
    assert_eq!(
        actions,
        [("record", "agent"), ("stop-recording", "agent")],
        "{:#?}",
        sc.keys
    );
    assert_eq!(sc.pauses[0].by, "on-demand");
    let lo = flac_decode(&leg_path(sidecar, sc, "out"));
    let len = lo.len() as f64 / RATE;
    assert!(m.on_demand_len.contains(&len), "kept {len:.2} s");
    let share = agent_share(&lo, 0.0, len);
    let quarters = (share * (len * 4.0).floor()).round() as usize;
    assert!(
        quarters >= m.on_demand_quarters && share > m.on_demand_share,
        "the agent's tone in {len:.2} s: {quarters} quarter seconds, {share:.2}"
    );
}
