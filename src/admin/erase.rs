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
//! recording.  A shipped recording is erased from the bucket and the index
//! too, by legrec-fleet (fleet/src/shipper/erase.rs), with these same
//! steps: it deletes the audio objects after the intent and puts the
//! scrubbed sidecar in the bucket before the tombstone.  The intent's note
//! (`Asked`) holds what the next run needs to finish an erasure cut short.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

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
    /// The bucket's objects deleted.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    objects: &'a [String],
    /// The sidecar's fields replaced.
    replaced: &'static [&'static str],
}

/// An erasure's intent note: who asked, why, and the bucket objects to
/// delete (none for a recording never shipped).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Asked {
    pub reason: String,
    pub by: String,
    #[serde(default)]
    pub objects: Vec<String>,
}

impl Asked {
    /// The note of an intent; an older one ("erasure asked by X: why") is
    /// kept whole as the reason.
    pub fn of(intent: &Entry) -> Asked {
        serde_json::from_str(&intent.note).unwrap_or_else(|_| Asked {
            reason: intent.note.clone(),
            by: String::new(),
            objects: Vec::new(),
        })
    }
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

/// Erase recording `id` of `spool` (not shipped: see the module's note).
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
    let bytes = std::fs::read(&sidecar).map_err(|e| format!("{}: {e}", sidecar.display()))?;
    let sc = read_sidecar(&sidecar)?;
    if sc.status == TOMBSTONE {
        return Err(format!("{id}: erased already"));
    }
    refuse_if_held(spool, &sc)?;
    if layout::ship_state(spool, id).exists() {
        return Err(format!(
            "{id}: shipped to a bucket; give --config FILE (its [storage]) to erase it from the bucket and the index too (nothing was erased)"
        ));
    }
    let asked = Asked {
        reason: reason.into(),
        by: unix_user(),
        objects: Vec::new(),
    };
    let intent = intend(spool, &sidecar, &sc, &bytes, &asked)?;
    remove_audio(&sidecar, &sc)?;
    let (scrubbed, json) = write_scrubbed(&sidecar, &sc, &asked)?;
    tombstone(spool, &sidecar, &scrubbed, &json, &asked, &intent)
}

/// Refused while a legal hold covers the recording: the error names it.
pub fn refuse_if_held(spool: &Path, sc: &Sidecar) -> Result<(), String> {
    match crate::hold::holding(&crate::hold::active(spool)?, sc) {
        Some(h) => Err(format!("{}: refused, {}", sc.id, h.why())),
        None => Ok(()),
    }
}

/// Chain the intent (`erasing`): the recording's files and their hashes
/// as its sidecar `bytes` name them, and `asked` as the note.
pub fn intend(
    spool: &Path,
    sidecar: &Path,
    sc: &Sidecar,
    bytes: &[u8],
    asked: &Asked,
) -> Result<Entry, String> {
    let files = audit::files_of(spool, sidecar, sc, bytes);
    let note = serde_json::to_string(asked).expect("a note serializes");
    super::prune::chain_intent(spool, INTENT, &sc.id, &sc.policy, files, &note)
}

/// Delete the spool's audio of the recording (what is already gone is
/// not an error: a run finishing an earlier one).
pub fn remove_audio(sidecar: &Path, sc: &Sidecar) -> Result<(), String> {
    let dir = sidecar.parent().unwrap_or(Path::new("."));
    for l in &sc.legs {
        let f = dir.join(&l.file);
        match std::fs::remove_file(&f) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("{}: {e}", f.display())),
        }
    }
    Ok(())
}

/// Write the scrubbed sidecar over `sidecar` (its folder made if the
/// spool's copy was removed): the new sidecar and its bytes.
pub fn write_scrubbed(
    sidecar: &Path,
    sc: &Sidecar,
    asked: &Asked,
) -> Result<(Sidecar, Vec<u8>), String> {
    let scrubbed = scrub(sc, &asked.by, &asked.reason);
    let json = serde_json::to_vec_pretty(&scrubbed).expect("sidecar serializes");
    if let Some(dir) = sidecar.parent() {
        crate::spool::files::create_dirs(dir, 0o750)
            .map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    crate::spool::files::write_atomic(sidecar, &json, 0o640)
        .map_err(|e| format!("{}: {e}", sidecar.display()))?;
    Ok((scrubbed, json))
}

/// Chain the tombstone (`erased`), the outcome of `intent`: the scrubbed
/// sidecar's hash, and in its note the erased files and hashes, the
/// objects deleted, the reason and the user.
pub fn tombstone(
    spool: &Path,
    sidecar: &Path,
    scrubbed: &Sidecar,
    json: &[u8],
    asked: &Asked,
    intent: &Entry,
) -> Result<Entry, String> {
    let note = serde_json::to_string(&Tombstone {
        reason: &asked.reason,
        by: &asked.by,
        erased: &intent.files,
        objects: &asked.objects,
        replaced: PERSONAL,
    })
    .expect("tombstone serializes");
    audit::record(spool, TOMBSTONE, sidecar, scrubbed, json, &note, 0o640)
        .map_err(|e| format!("audit log: {e}"))
}

/// Erasures chained as intended and not yet tombstoned (a run cut short:
/// a bucket down, a kill): the next run finishes them.
pub fn unfinished(spool: &Path) -> Result<Vec<Entry>, String> {
    super::prune::open_intents(spool, INTENT, TOMBSTONE)
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
