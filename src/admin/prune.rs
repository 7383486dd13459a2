//! `legrec prune SPOOL`: delete recordings older than the retention their
//! policy gave them (`retention_days`, stored in each sidecar), and record
//! each deletion in the audit log so the chain stays whole.

use std::path::Path;
use std::time::{Duration, SystemTime};

use super::read_sidecar;
use crate::audit;
use crate::sidecar::Sidecar;
use crate::spool::layout;

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

/// Returns how many recordings were deleted.
pub fn run(spool: &Path, now: SystemTime, out: &mut dyn std::io::Write) -> Result<usize, String> {
    let mut pruned = 0;
    for sidecar in layout::sidecars(spool) {
        let sc = read_sidecar(&sidecar)?;
        let Some(keep_until) = keep_until(&sc) else {
            continue;
        };
        if keep_until > now {
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
        let hashes = audit::hash_files(spool, &files).map_err(|e| e.to_string())?;
        let note = note(&sc, keep_until);
        // The entry first: a crash between the two leaves an entry for
        // files still present, which verify reports, rather than files
        // gone without a trace.
        audit::append(
            &layout::audit_log(spool),
            audit::Entry::new("pruned", &sc.id, &sc.policy, hashes, &note),
            0o640,
        )
        .map_err(|e| format!("audit log: {e}"))?;
        for f in &files {
            std::fs::remove_file(f).map_err(|e| format!("{}: {e}", f.display()))?;
        }
        let _ = writeln!(out, "pruned {} ({note})", sc.id);
        pruned += 1;
    }
    Ok(pruned)
}
