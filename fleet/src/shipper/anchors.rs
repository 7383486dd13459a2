//! The anchors' tokens (`<spool>/.anchors/*.tsr`, written by `legrec
//! anchor`) copied to the bucket beside the recordings, under
//! `<prefix>/.anchors/<pbx>/`, so that whoever can rewrite the spool
//! cannot also remove the proof of what the chain was: `legrec verify
//! --config FILE` checks the bucket's tokens against the local chain
//! (`check`).  A token put and read back intact is noted under
//! `<spool>/.ship/copied/` (Store::noted) and not put again.

use std::path::Path;

use legrec::anchor::check::{kept_elsewhere, Trust};
use legrec::spool::layout;

use super::store::{Store, StoreError, Trouble};

const FOLDER: &str = ".anchors";

/// Where this PBX's tokens go, under the prefix.
fn folder(pbx: &str) -> String {
    Store::own_folder(FOLDER, pbx)
}

fn other(message: String) -> StoreError {
    StoreError {
        trouble: Trouble::Other,
        message,
    }
}

/// Puts every token not yet in the bucket; returns how many.
pub async fn ship(spool: &Path, store: &Store, pbx: &str) -> Result<usize, StoreError> {
    let Ok(dir) = std::fs::read_dir(layout::anchors_dir(spool)) else {
        return Ok(0);
    };
    let notes = store.noted(spool, &folder(pbx));
    let mut put = 0;
    for path in dir.flatten().map(|e| e.path()) {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if !legrec::anchor::is_token(&path) || notes.join(name).exists() {
            continue;
        }
        let key = store.key(&format!("{}/{name}", folder(pbx)));
        let (sha, _) = legrec::spool::digest::hash_file(&path)
            .map_err(|e| other(format!("{}: {e}", path.display())))?;
        store.put_file(&key, &path, pbx, u64::MAX, &|_| {}).await?;
        if store.sha256(&key).await? != sha {
            return Err(other(format!(
                "{key}: the bucket returned other bytes than were sent; put again next pass"
            )));
        }
        legrec::spool::files::create_dirs(&notes, 0o750)
            .and_then(|()| std::fs::write(notes.join(name), &sha))
            .map_err(|e| other(format!("{}: {e}", notes.display())))?;
        put += 1;
    }
    Ok(put)
}

/// The bucket's tokens against the spool's chain as it is now: the
/// problems (each naming the seq), and how many tokens were read.
/// `trust`: the CA to check them against, or why there is none (a
/// problem only if the bucket holds a token).
pub async fn check(
    spool: &Path,
    store: &Store,
    pbx: &str,
    trust: &Result<Trust, String>,
) -> Result<(Vec<String>, usize), String> {
    let log = layout::audit_log(spool);
    // No chain at all is a chain cut to nothing: any token names it.
    let entries = match log.exists() {
        false => Vec::new(),
        true => legrec::audit::verify_chain(&log)
            .map_err(|b| format!("{} line {}: {}", log.display(), b.line, b.what))?,
    };
    let keys = store.list_in(&folder(pbx)).await.map_err(|e| e.advice())?;
    let mut problems = Vec::new();
    let mut read = 0;
    for key in keys {
        let Some(seq) = layout::anchor_seq(Path::new(&key)) else {
            continue;
        };
        let (_, bytes) = store.get_all(&key).await.map_err(|e| e.advice())?;
        read += 1;
        let file = format!("s3://{}/{key}", store.bucket);
        let trust = match trust {
            Ok(t) => t,
            Err(e) => {
                problems.push(format!(
                    "{file} (entry {seq}): no CA to check it against: {e}"
                ));
                continue;
            }
        };
        if let Some(p) = kept_elsewhere(&file, seq, &bytes, trust, &entries) {
            problems.push(p);
        } else if !layout::anchor_token(spool, seq).exists() {
            problems.push(format!(
                "entry {seq}: its token is in the bucket ({file}) but no longer in {} (anchors removed?)",
                layout::anchors_dir(spool).display()
            ));
        }
    }
    Ok((problems, read))
}
