//! `legrec erase ID|--number N --reason TEXT`: a data subject's erasure
//! (GDPR art. 17).  The audio goes; what stays is a tombstone in the chain
//! and a sidecar without personal data, so the chain still proves itself
//! (and its anchors) and says what was erased, its hashes, who, when, why.
//!
//! In order: the intent (`erasing`, every file's hash) is chained; the
//! FLAC files are deleted; the sidecar is rewritten with the personal
//! fields replaced by "erased" (numbers, names, channels, agent, peers)
//! and no legs, status `erased`; the tombstone (`erased`) is chained with
//! the new sidecar's hash and, in its note, the erased files and hashes,
//! the reason and the user.  Refused while a legal hold covers the
//! recording, and (for now) for a recording shipped to a bucket.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::evidence::unix_user;
use super::read_sidecar;
use crate::audit::{self, Entry, FileHash};
use crate::sidecar::Sidecar;
use crate::spool::layout;

pub const INTENT: &str = "erasing";
pub const TOMBSTONE: &str = "erased";
const ERASED: &str = "erased";

/// What the tombstone's note says.
#[derive(Serialize)]
struct Tombstone<'a> {
    reason: &'a str,
    by: &'a str,
    /// The files deleted, with the hashes they had.
    erased: &'a [FileHash],
    /// The sidecar's fields replaced.
    replaced: &'static [&'static str],
}

const PERSONAL: &[&str] = &[
    "channel", "uniqueid", "caller", "callee", "agent", "peers", "keys", "legs",
];

/// The sidecar without what identifies a person.
pub fn scrub(sc: &Sidecar, by: &str, reason: &str) -> Sidecar {
    let mut s = sc.clone();
    s.channel = ERASED.into();
    s.uniqueid = ERASED.into();
    s.caller.number = ERASED.into();
    s.caller.name = ERASED.into();
    s.callee = ERASED.into();
    s.agent = s.agent.as_ref().map(|_| ERASED.into());
    for p in &mut s.peers {
        p.channel = ERASED.into();
        p.number = ERASED.into();
        p.name = ERASED.into();
        p.member = p.member.as_ref().map(|_| ERASED.into());
        p.interface = p.interface.as_ref().map(|_| ERASED.into());
    }
    s.keys.clear();
    s.legs.clear();
    s.status = TOMBSTONE.into();
    s.reason = Some(format!("erased by {by}: {reason}"));
    s
}

/// Erase recording `id` of `spool`.
pub fn erase(spool: &Path, id: &str, reason: &str) -> Result<Entry, String> {
    if reason.trim().is_empty() {
        return Err("an erasure needs --reason".into());
    }
    let sidecar = layout::find_recording(spool, id)
        .filter(|p| layout::is_sidecar(p))
        .ok_or_else(|| {
            format!(
                "{id}: no finished recording of that id in {}",
                spool.display()
            )
        })?;
    let sc = read_sidecar(&sidecar)?;
    if sc.status == TOMBSTONE {
        return Err(format!("{id}: erased already"));
    }
    if let Some(h) = crate::hold::holding(&crate::hold::active(spool)?, &sc) {
        return Err(format!("{id}: refused, {}", h.why()));
    }
    if layout::ship_state(spool, id).exists() {
        return Err(format!(
            "{id}: shipped to a bucket; erasing from the bucket and the index is not done by this version (nothing was erased)"
        ));
    }
    let by = unix_user();
    let dir = sidecar.parent().unwrap_or(spool);
    let audio: Vec<PathBuf> = sc
        .legs
        .iter()
        .map(|l| dir.join(&l.file))
        .filter(|f| f.exists())
        .collect();
    let mut all = audio.clone();
    all.push(sidecar.clone());
    let hashes = audit::hash_files(spool, &all).map_err(|e| e.to_string())?;
    let log = layout::audit_log(spool);
    let note = format!("erasure asked by {by}: {reason}");
    audit::append(
        &log,
        Entry::new(INTENT, id, &sc.policy, hashes.clone(), &note),
        0o640,
    )
    .map_err(|e| format!("audit log: {e}"))?;
    for f in &audio {
        std::fs::remove_file(f).map_err(|e| format!("{}: {e}", f.display()))?;
    }
    let scrubbed = scrub(&sc, &by, reason);
    let json = serde_json::to_vec_pretty(&scrubbed).expect("sidecar serializes");
    crate::spool::files::write_atomic(&sidecar, &json, 0o640)
        .map_err(|e| format!("{}: {e}", sidecar.display()))?;
    let note = serde_json::to_string(&Tombstone {
        reason,
        by: &by,
        erased: &hashes,
        replaced: PERSONAL,
    })
    .expect("tombstone serializes");
    audit::record(spool, TOMBSTONE, &sidecar, &scrubbed, &json, &note, 0o640)
        .map_err(|e| format!("audit log: {e}"))
}

/// Every recording of the spool in which `number` took part: caller,
/// callee or any peer.
pub fn recordings_of(spool: &Path, number: &str) -> Vec<(PathBuf, Sidecar)> {
    layout::sidecars(spool)
        .into_iter()
        .filter_map(|p| Some((p.clone(), read_sidecar(&p).ok()?)))
        .filter(|(_, sc)| {
            sc.caller.number == number
                || sc.callee == number
                || sc.peers.iter().any(|p| p.number == number)
        })
        .collect()
}
