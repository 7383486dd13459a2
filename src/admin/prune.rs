//! `legrec prune SPOOL`: delete recordings older than the retention their
//! policy gave them (`retention_days`, stored in each sidecar), and record
//! each deletion in the audit log so the chain stays whole.
//!
//! A deletion is chained twice: its intent (`pruning`, with every file's
//! hash) before any file goes, and its outcome (`pruned`) after.  A crash
//! between the two leaves an intent without an outcome, which the next
//! prune carries out: files never vanish without an entry saying so, and
//! an intent is never left half done.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::read_sidecar;
use crate::audit;
use crate::sidecar::Sidecar;
use crate::spool::layout;

/// The chain's events for a deletion: before any file goes, and after.
pub const INTENT: &str = "pruning";
pub const OUTCOME: &str = "pruned";

/// Until when a recording is kept: `retention_days` after it ended; None
/// for forever (0) or a sidecar whose times do not parse.
pub fn keep_until(sc: &Sidecar) -> Option<SystemTime> {
    if sc.retention_days == 0 {
        return None;
    }
    let ended = sc.ended_at.as_deref().unwrap_or(&sc.started_at);
    let ended = humantime::parse_rfc3339(ended).ok()?;
    Some(ended + Duration::from_secs(u64::from(sc.retention_days) * 86_400))
}

/// What the chain says of a recording pruned at `keep_until`.
pub fn note(sc: &Sidecar, keep_until: SystemTime) -> String {
    format!(
        "retention_days = {} passed on {}",
        sc.retention_days,
        humantime::format_rfc3339_seconds(keep_until)
    )
}

/// A deletion chained and not yet carried out.
#[derive(Debug)]
pub struct Intent {
    pub id: String,
    pub policy: String,
    /// The intent's entry.
    pub seq: u64,
    /// Audio first, the sidecar last: a sidecar left means the recording
    /// is still there to be pruned again.
    pub files: Vec<PathBuf>,
}

/// Chain the intent to delete `files` of recording `id`.
pub fn intend(
    spool: &Path,
    id: &str,
    policy: &str,
    files: Vec<PathBuf>,
    note: &str,
) -> Result<Intent, String> {
    let hashes = audit::hash_files(spool, &files).map_err(|e| e.to_string())?;
    let entry = chain_intent(spool, INTENT, id, policy, hashes, note)?;
    Ok(Intent {
        id: id.into(),
        policy: policy.into(),
        seq: entry.seq,
        files,
    })
}

/// Chain `event`, the intent to delete `files` of recording `id`, before
/// any of them goes: a prune's, or an erasure's (erase.rs).
pub fn chain_intent(
    spool: &Path,
    event: &str,
    id: &str,
    policy: &str,
    files: Vec<audit::FileHash>,
    note: &str,
) -> Result<audit::Entry, String> {
    audit::append(
        &layout::audit_log(spool),
        audit::Entry::new(event, id, policy, files, note),
        0o640,
    )
    .map_err(|e| format!("audit log: {e}"))
}

/// Delete an intent's files, then chain the outcome.  `also` says what
/// else was deleted (bucket objects, index rows) for the outcome's note.
pub fn carry_out(spool: &Path, intent: &Intent, also: &str) -> Result<(), String> {
    let mut gone = 0;
    for f in &intent.files {
        match std::fs::remove_file(f) {
            Ok(()) => gone += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("{}: {e}", f.display())),
        }
    }
    let note = format!(
        "as entry {} intended: {gone} of {} file(s) deleted here, the rest were gone already{also}",
        intent.seq,
        intent.files.len()
    );
    audit::append(
        &layout::audit_log(spool),
        audit::Entry::new(OUTCOME, &intent.id, &intent.policy, Vec::new(), &note),
        0o640,
    )
    .map_err(|e| format!("audit log: {e}"))?;
    Ok(())
}

/// The entries `intent` (chained by `chain_intent`) that no later
/// `outcome` of the same id answers: deletions cut short by a kill or a
/// store that was down, the next run's to finish.  Read leniently: a torn
/// tail (cut at the next append) or a broken chain (verify's to report)
/// must not stop them.
pub fn open_intents(
    spool: &Path,
    intent: &str,
    outcome: &str,
) -> Result<Vec<audit::Entry>, String> {
    let log = layout::audit_log(spool);
    let entries = audit::entries_lenient(&log).map_err(|e| format!("{}: {e}", log.display()))?;
    let mut open: std::collections::BTreeMap<String, audit::Entry> = Default::default();
    for e in entries {
        if e.event == intent {
            open.insert(e.id.clone(), e);
        } else if e.event == outcome {
            open.remove(&e.id);
        }
    }
    Ok(open.into_values().collect())
}

/// Intents the chain holds without an outcome after them (a prune killed
/// between the two).  An intent of a shipped recording (its ship state
/// still there) is `legrec prune`'s with the bucket, which sees it again.
pub fn unfinished(spool: &Path) -> Result<Vec<Intent>, String> {
    Ok(open_intents(spool, INTENT, OUTCOME)?
        .into_iter()
        .filter(|e| !layout::ship_state(spool, &e.id).exists())
        .map(|e| Intent {
            files: e.files.iter().map(|f| spool.join(&f.file)).collect(),
            id: e.id,
            policy: e.policy,
            seq: e.seq,
        })
        .collect())
}

/// Returns how many recordings were deleted.  A recording under legal
/// hold is kept, and `out` says which hold keeps it.
pub fn run(spool: &Path, now: SystemTime, out: &mut dyn std::io::Write) -> Result<usize, String> {
    let mut pruned = 0;
    let holds = crate::hold::active(spool)?;
    let held = |sidecar: &Path, out: &mut dyn std::io::Write| {
        let sc = read_sidecar(sidecar).ok()?;
        let h = crate::hold::holding(&holds, &sc)?;
        let _ = writeln!(out, "kept {}: {}", sc.id, h.why());
        Some(())
    };
    for intent in unfinished(spool)? {
        // A hold placed after the intent stops it: the sidecar goes last,
        // so it is there to say what is held.
        if let Some(sc) = intent.files.iter().find(|f| layout::is_sidecar(f)) {
            if held(sc, out).is_some() {
                continue;
            }
        }
        carry_out(spool, &intent, " (finishing a prune that was interrupted)")?;
        let _ = writeln!(
            out,
            "pruned {} (finished what entry {} intended)",
            intent.id, intent.seq
        );
        pruned += 1;
    }
    for sidecar in layout::sidecars(spool) {
        let sc = read_sidecar(&sidecar)?;
        let Some(keep_until) = keep_until(&sc) else {
            continue;
        };
        if keep_until > now || held(&sidecar, out).is_some() {
            continue;
        }
        let dir = sidecar.parent().unwrap_or(spool);
        let mut files: Vec<_> = sc
            .legs
            .iter()
            .map(|l| dir.join(&l.file))
            .filter(|f| f.exists())
            .collect();
        files.push(sidecar.clone());
        let note = note(&sc, keep_until);
        let intent = intend(spool, &sc.id, &sc.policy, files, &note)?;
        carry_out(spool, &intent, "")?;
        let _ = writeln!(out, "pruned {} ({note})", sc.id);
        pruned += 1;
    }
    Ok(pruned)
}
