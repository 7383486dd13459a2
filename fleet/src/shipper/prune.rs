//! `legrec prune` with a bucket: a shipped recording past its
//! retention_days is deleted from the bucket, the spool and the index, with
//! one "pruned" entry in the chain naming the objects; what was never
//! shipped is pruned from the spool as `legrec prune` does without one.

use std::path::PathBuf;
use std::time::SystemTime;

use legrec::audit;
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
    let states = std::fs::read_dir(layout::ship_dir(spool))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".shipped").map(str::to_string)
        });
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
        for key in s.objects.values() {
            match store.delete(key).await {
                Ok(()) => {}
                Err(e) if e.trouble == Trouble::NotFound => {}
                Err(e) => return Err(format!("{e}; nothing of {id} was removed")),
            }
        }
        let local: Vec<PathBuf> = s
            .objects
            .values()
            .map(|k| spool.join(store.relative(k)))
            .filter(|p| p.is_file())
            .collect();
        let hashes = audit::hash_files(spool, &local).map_err(|e| e.to_string())?;
        let note = format!(
            "retention passed on {}; deleted from s3://{}: {}",
            humantime::format_rfc3339_seconds(until),
            store.bucket,
            s.objects.values().cloned().collect::<Vec<_>>().join(" ")
        );
        audit::append(
            &layout::audit_log(spool),
            audit::Entry::new("pruned", &id, &s.policy, hashes, &note),
            0o640,
        )
        .map_err(|e| format!("audit log: {e}"))?;
        for f in &local {
            std::fs::remove_file(f).map_err(|e| format!("{}: {e}", f.display()))?;
        }
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
