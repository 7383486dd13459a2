//! Uploads in parts that a crash (kill -9, a lost machine) left unfinished:
//! their parts cost storage until aborted.  Each is journalled in
//! `<spool>/.ship/<id>.uploads` before its first part; the next start
//! aborts what the journals name, and any other unfinished upload under the
//! prefix for a file of this spool.

use std::io::Write;
use std::path::Path;

use legrec::spool::{files, layout};

use super::store::{Store, StoreError, Unfinished};

fn journal(spool: &Path, id: &str) -> std::path::PathBuf {
    layout::ship_dir(spool).join(format!("{id}.uploads"))
}

/// An upload in parts began.
pub fn begun(spool: &Path, id: &str, u: &Unfinished) {
    let path = journal(spool, id);
    let write = || -> std::io::Result<()> {
        files::create_dirs(&layout::ship_dir(spool), 0o750)?;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)?;
        writeln!(f, "{}\t{}", u.key, u.upload_id)?;
        f.sync_data()
    };
    if let Err(e) = write() {
        // The sweep at the next start finds it anyway.
        log::warn!("{}: {e}", path.display());
    }
}

/// The recording's uploads ended (completed or aborted).
pub fn finished(spool: &Path, id: &str) {
    let _ = std::fs::remove_file(journal(spool, id));
}

/// Aborts what crashes left behind; returns how many uploads.
pub async fn clean(store: &Store, spool: &Path) -> Result<usize, StoreError> {
    let mut aborted = 0;
    let journals = std::fs::read_dir(layout::ship_dir(spool))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "uploads"));
    for path in journals {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        for line in text.lines() {
            if let Some((key, id)) = line.split_once('\t') {
                store.abort(key, id).await?;
                aborted += 1;
            }
        }
        let _ = std::fs::remove_file(&path);
    }
    for u in store.unfinished().await? {
        let relative = store.relative(&u.key);
        // Only this spool's files: other PBXs may share the bucket.
        if spool.join(relative).is_file() {
            store.abort(&u.key, &u.upload_id).await?;
            aborted += 1;
        }
    }
    Ok(aborted)
}
