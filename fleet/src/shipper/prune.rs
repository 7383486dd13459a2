//! `legrec prune` with a bucket: a shipped recording past its
//! retention_days is deleted from the bucket, the spool and the index,
//! chained as `legrec prune` chains it: the intent (naming the objects)
//! before anything is deleted, the outcome after.  A prune killed between
//! the two sees the recording again (its ship state goes last) and
//! finishes it.  What was never shipped is pruned from the spool as
//! `legrec prune` does without a bucket.

use std::path::PathBuf;
use std::time::SystemTime;

use legrec::admin::prune;
use legrec::spool::layout;

use super::state;
use super::store::{Store, Trouble};
use crate::config::Config;
use crate::index::Index;

pub async fn run(config: &Config, now: SystemTime) -> Result<usize, String> {
    let bucket = config
        .bucket
        .as_ref()
        .ok_or("no [storage] url (legrec prune without one prunes the spool)")?;
    let store = Store::connect(bucket);
    let index = Index::open(&config.index).await?;
    let spool = &config.spool;
    let mut pruned = 0;
    let holds = legrec::hold::active(spool)?;
    let states = std::fs::read_dir(layout::ship_dir(spool))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| layout::id_of_ship_state(&e.path()));
    for id in states {
        let Some(s) = state::read(spool, &id) else {
            continue;
        };
        let Some(until) = s
            .keep_until
            .as_deref()
            .and_then(|t| humantime::parse_rfc3339(t).ok())
        else {
            continue;
        };
        if until > now {
            continue;
        }
        if let Some(h) = held(&store, spool, &id, &s, &holds).await? {
            println!("kept {id}: {}", h.why());
            continue;
        }
        let local: Vec<PathBuf> = s
            .objects
            .values()
            .map(|k| spool.join(store.relative(k)))
            .filter(|p| p.is_file())
            .collect();
        let objects = format!(
            "deleted from s3://{}: {}",
            store.bucket,
            s.objects.values().cloned().collect::<Vec<_>>().join(" ")
        );
        let note = format!(
            "retention passed on {}; to be {objects}",
            humantime::format_rfc3339_seconds(until),
        );
        let intent = prune::intend(spool, &id, &s.policy, local, &note)?;
        for key in s.objects.values() {
            match store.delete(key).await {
                Ok(()) => {}
                Err(e) if e.trouble == Trouble::NotFound => {}
                Err(e) => return Err(format!("{e}; the rest of {id} is left for the next prune")),
            }
        }
        prune::carry_out(spool, &intent, &format!("; {objects}"))?;
        index.remove(&config.pbx_name, &id).await?;
        let _ = std::fs::remove_file(layout::ship_state(spool, &id));
        println!("pruned {id} ({note})");
        pruned += 1;
    }
    // Never shipped: the spool's own prune, then the index forgets them.
    let before: Vec<String> = layout::sidecars(spool)
        .iter()
        .filter_map(|p| layout::RecordingPaths::of_file(p).map(|r| r.id))
        .collect();
    pruned += legrec::admin::prune::run(spool, now, &mut std::io::stdout())?;
    for id in before {
        if layout::find_recording(spool, &id).is_none() {
            index.remove(&config.pbx_name, &id).await?;
        }
    }
    Ok(pruned)
}

/// The hold that keeps recording `id`, judged by its sidecar: the spool's
/// copy, or the bucket's once keep_local_days removed that.  A sidecar
/// found nowhere cannot be judged: the recording is kept, and the error
/// says why.
async fn held<'h>(
    store: &Store,
    spool: &std::path::Path,
    id: &str,
    s: &state::Shipped,
    holds: &'h [legrec::hold::Active],
) -> Result<Option<&'h legrec::hold::Active>, String> {
    if holds.is_empty() {
        return Ok(None);
    }
    let bytes = match layout::find_recording(spool, id).filter(|p| layout::is_sidecar(p)) {
        Some(p) => std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()))?,
        None => {
            let key = s
                .objects
                .get("sidecar")
                .ok_or_else(|| format!("{id}: no sidecar object to judge its holds by"))?;
            store
                .get_all(key)
                .await
                .map_err(|e| format!("{e}; {id} is kept until its holds can be judged"))?
                .1
        }
    };
    let sc: legrec::sidecar::Sidecar =
        serde_json::from_slice(&bytes).map_err(|e| format!("{id}: its sidecar: {e}"))?;
    Ok(legrec::hold::holding(holds, &sc))
}
