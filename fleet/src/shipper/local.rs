//! `keep_local_days`: the spool's copy of a shipped recording is removed
//! that many days after its objects were verified, and only after reading
//! every object back once more; the chain says "removed-local" first, so a
//! crash in between leaves an entry for files still present (which
//! `legrec verify` accepts) rather than files gone without a trace.

use std::path::Path;
use std::time::{Duration, SystemTime};

use legrec::audit;
use legrec::spool::layout;

use super::recording::Ship;
use super::state;
use super::store::{StoreError, Trouble};

pub async fn remove_expired(
    ship: &Ship<'_>,
    days: u32,
    now: SystemTime,
) -> Result<usize, StoreError> {
    let mut removed = 0;
    let holds = legrec::hold::active(ship.spool).map_err(|message| StoreError {
        trouble: Trouble::Other,
        message,
    })?;
    for sidecar in layout::sidecars(ship.spool) {
        let Some(paths) = layout::RecordingPaths::of_file(&sidecar) else {
            continue;
        };
        let Some(s) = state::read(ship.spool, &paths.id) else {
            continue;
        };
        let verified = humantime::parse_rfc3339(&s.verified_at).unwrap_or(now);
        if !s.audited
            || s.local_removed
            || verified + Duration::from_secs(u64::from(days) * 86_400) > now
        {
            continue;
        }
        // A held recording keeps its local copy too (the hold's reason is in
        // the chain; the log says which hold).
        if let Some(h) = legrec::admin::read_sidecar(&sidecar)
            .ok()
            .and_then(|sc| legrec::hold::holding(&holds, &sc).map(|h| (sc.id.clone(), h)))
        {
            log::info!("kept the local copy of {}: {}", h.0, h.1.why());
            continue;
        }
        // Whatever no longer matches is put again now, and removal waits
        // for a pass that finds everything intact.
        if !ship.recheck(&sidecar).await?.is_empty() {
            continue;
        }
        let files: Vec<std::path::PathBuf> = s
            .objects
            .values()
            .map(|key| ship.spool.join(ship.store.relative(key)))
            .filter(|p| p.is_file())
            .collect();
        let hashes = audit::hash_files(ship.spool, &files).map_err(|e| StoreError {
            trouble: Trouble::Other,
            message: format!("hashing {}: {e}", sidecar.display()),
        })?;
        let policy = sidecar
            .parent()
            .and_then(Path::parent)
            .and_then(Path::file_name)
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        audit::append(
            &layout::audit_log(ship.spool),
            audit::Entry::new(
                "removed-local",
                &paths.id,
                &policy,
                hashes,
                &format!(
                    "keep_local_days = {days}; kept in s3://{}",
                    ship.store.bucket
                ),
            ),
            0o640,
        )
        .map_err(|e| StoreError {
            trouble: Trouble::Other,
            message: format!("audit log: {e}"),
        })?;
        for f in &files {
            if let Err(e) = std::fs::remove_file(f) {
                log::error!("{}: {e}", f.display());
            }
        }
        let _ = state::write(
            ship.spool,
            &paths.id,
            &state::Shipped {
                local_removed: true,
                ..s
            },
        );
        removed += 1;
    }
    Ok(removed)
}
