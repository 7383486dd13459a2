//! The chains copied to the bucket beside the recordings: `audit.jsonl`
//! (recorded, shipped, held, erased ...) and, where the browser keeps its
//! trail in this spool, `access.jsonl`.  Whole entries go in segments,
//! `<prefix>/.chains/<pbx>/<chain>/<first seq>-<last seq>.jsonl` (ten digits
//! each, so a listing is in order), each read back before it counts.  A
//! tombstone, a hold or a listen is then on record where the PBX's own
//! disk cannot take it back, and `legrec verify --config FILE` (`check`)
//! names the first entry the spool no longer holds as it was copied: a
//! chain rewritten or cut behind its copy, anchored or not.
//!
//! A segment is put at most every ten minutes while a chain grows (every
//! pass with `--once`): a year of a busy PBX is tens of thousands of
//! small objects, not one a pass.  The shipper never copies on from a
//! chain whose copied part changed: it stops and says why, since either
//! the spool was tampered with or a new spool took the same prefix and
//! pbx_name, and only the admin can tell which.

use std::collections::HashMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::time::Duration;

use legrec::audit::{self, Entry};
use legrec::spool::layout;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::store::{Store, StoreError, Trouble};

const FOLDER: &str = ".chains";
/// Between two segments of a chain that keeps growing.
const EVERY: Duration = Duration::from_secs(600);

/// A spool's chains, by the name their copies go under.
fn chains(spool: &Path) -> [(&'static str, PathBuf); 2] {
    [
        ("audit", layout::audit_log(spool)),
        ("access", layout::access_log(spool)),
    ]
}

/// The last entry copied, noted in `<spool>/.ship/chains/<pbx>/<chain>`
/// (or, that note lost, read from the bucket's last segment).
#[derive(Serialize, Deserialize)]
struct Copied {
    key: String,
    seq: u64,
    hash: String,
}

/// Where this PBX's copy of `chain` goes, under the prefix.
fn folder(pbx: &str, chain: &str) -> String {
    format!("{}/{chain}", Store::own_folder(FOLDER, pbx))
}

fn note_path(spool: &Path, pbx: &str, chain: &str) -> PathBuf {
    layout::ship_dir(spool).join(folder(pbx, chain).trim_start_matches('.'))
}

fn other(message: String) -> StoreError {
    StoreError {
        trouble: Trouble::Other,
        message,
    }
}

/// The seqs a segment's key names.
fn segment_range(key: &str) -> Option<(u64, u64)> {
    let name = key.rsplit('/').next()?.strip_suffix(".jsonl")?;
    let (first, last) = name.split_once('-')?;
    Some((first.parse().ok()?, last.parse().ok()?))
}

/// A log's whole lines (a torn tail is the next append's to repair) and
/// their entries, checked as `legrec verify` checks them.
fn whole_lines(log: &Path) -> Result<(Vec<u8>, Vec<Entry>), String> {
    let mut bytes = std::fs::read(log).map_err(|e| format!("{}: {e}", log.display()))?;
    bytes.truncate(bytes.iter().rposition(|&b| b == b'\n').map_or(0, |n| n + 1));
    let entries = audit::verify_lines(Cursor::new(&bytes))
        .map_err(|b| format!("{} line {}: {}", log.display(), b.line, b.what))?;
    Ok((bytes, entries))
}

/// Copies what each chain gained since its last segment, if one is due
/// (`once`: always); returns how many entries.
pub async fn ship(spool: &Path, store: &Store, pbx: &str, once: bool) -> Result<usize, StoreError> {
    let mut copied = 0;
    for (chain, log) in chains(spool) {
        if log.exists() {
            copied += ship_chain(spool, store, pbx, chain, &log, once).await?;
        }
    }
    Ok(copied)
}

async fn ship_chain(
    spool: &Path,
    store: &Store,
    pbx: &str,
    chain: &str,
    log: &Path,
    once: bool,
) -> Result<usize, StoreError> {
    let note = note_path(spool, pbx, chain);
    let last_put = std::fs::metadata(&note).and_then(|m| m.modified()).ok();
    if !once && last_put.is_some_and(|t| t.elapsed().unwrap_or_default() < EVERY) {
        return Ok(0);
    }
    let (bytes, entries) = whole_lines(log).map_err(|e| {
        other(format!(
            "{e}; its copy in the bucket waits until `legrec verify` passes"
        ))
    })?;
    let copied = match std::fs::read(&note)
        .ok()
        .and_then(|b| serde_json::from_slice::<Copied>(&b).ok())
    {
        Some(c) => Some(c),
        None => last_in_bucket(store, &folder(pbx, chain)).await?,
    };
    let start = match &copied {
        None => 0,
        Some(c) => match entries.get((c.seq as usize).wrapping_sub(1)) {
            Some(e) if e.hash == c.hash => c.seq as usize,
            Some(_) => {
                return Err(other(format!(
                    "{}: entry {} is no longer what was copied to s3://{}/{}: the chain was rewritten, or a new spool took this prefix and pbx_name (then give it another pbx_name); nothing more is copied until that is settled (`legrec verify --config FILE` says what changed)",
                    log.display(),
                    c.seq,
                    store.bucket,
                    c.key
                )))
            }
            None => {
                return Err(other(format!(
                    "{}: the chain ends at entry {}, but entry {} was copied to s3://{}/{}: its tail was cut, or a new spool took this prefix and pbx_name (then give it another pbx_name); nothing more is copied until that is settled",
                    log.display(),
                    entries.len(),
                    c.seq,
                    store.bucket,
                    c.key
                )))
            }
        },
    };
    let Some(last) = entries.last().filter(|_| start < entries.len()) else {
        return Ok(0);
    };
    let segment: Vec<u8> = bytes
        .split_inclusive(|&b| b == b'\n')
        .skip(start)
        .flatten()
        .copied()
        .collect();
    let key = store.key(&format!(
        "{}/{:010}-{:010}.jsonl",
        folder(pbx, chain),
        start + 1,
        last.seq
    ));
    let sha = legrec::hex(&Sha256::digest(&segment));
    store.put_bytes(&key, segment, pbx).await?;
    if store.sha256(&key).await? != sha {
        return Err(other(format!(
            "{key}: the bucket returned other bytes than were sent; put again next pass"
        )));
    }
    let done = Copied {
        key,
        seq: last.seq,
        hash: last.hash.clone(),
    };
    legrec::spool::files::create_dirs(note.parent().expect("in .ship/chains"), 0o750)
        .and_then(|()| std::fs::write(&note, serde_json::to_vec(&done).expect("serializes")))
        .map_err(|e| other(format!("{}: {e}", note.display())))?;
    Ok(entries.len() - start)
}

/// The bucket's last segment in `folder`, read for its last entry.
async fn last_in_bucket(store: &Store, folder: &str) -> Result<Option<Copied>, StoreError> {
    let keys = store.list_in(folder).await?;
    let Some(key) = keys
        .into_iter()
        .filter(|k| segment_range(k).is_some())
        .max_by_key(|k| segment_range(k))
    else {
        return Ok(None);
    };
    let (_, bytes) = store.get_all(&key).await?;
    let last = bytes
        .split(|&b| b == b'\n')
        .rev()
        .find_map(|l| serde_json::from_slice::<Entry>(l).ok())
        .ok_or_else(|| other(format!("{key}: no chain entry in it")))?;
    Ok(Some(Copied {
        key,
        seq: last.seq,
        hash: last.hash,
    }))
}

/// One chain's copy in the bucket against the spool's chain as it is now.
pub struct Checked {
    pub log: PathBuf,
    /// Where its segments are: `s3://bucket/prefix/.chains/<chain>`.
    pub folder: String,
    pub entries: usize,
    pub segments: usize,
    /// Each naming the seq where the chain left its copy.
    pub problems: Vec<String>,
}

/// Every chain with a copy in the bucket, checked: the copy whole and
/// linked from entry 1, and each of its entries still in the chain.
pub async fn check(spool: &Path, store: &Store, pbx: &str) -> Result<Vec<Checked>, String> {
    let mut out = Vec::new();
    for (chain, log) in chains(spool) {
        let mut keys: Vec<((u64, u64), String)> = store
            .list_in(&folder(pbx, chain))
            .await
            .map_err(|e| e.advice())?
            .into_iter()
            .filter_map(|k| Some((segment_range(&k)?, k)))
            .collect();
        if keys.is_empty() {
            continue;
        }
        keys.sort();
        let mut copy = Vec::new();
        for (_, key) in &keys {
            copy.extend(store.get_all(key).await.map_err(|e| e.advice())?.1);
        }
        let mut checked = Checked {
            folder: format!("s3://{}/{}", store.bucket, store.key(&folder(pbx, chain))),
            log,
            entries: 0,
            segments: keys.len(),
            problems: Vec::new(),
        };
        match audit::verify_lines(Cursor::new(&copy)) {
            Ok(copied) => {
                checked.entries = copied.len();
                let key_of = |seq: u64| {
                    keys.iter()
                        .find(|((first, last), _)| (*first..=*last).contains(&seq))
                        .map_or("", |(_, k)| k.as_str())
                        .to_string()
                };
                checked.problems = against_spool(&checked.log, &copied, &store.bucket, key_of)?;
            }
            Err(b) => checked.problems.push(format!(
                "its copy in {} breaks at the copy's entry {}: {} (a segment removed or changed in the bucket)",
                checked.folder, b.line, b.what
            )),
        }
        out.push(checked);
    }
    Ok(out)
}

/// The first entry of `copied` the chain at `log` no longer holds.
fn against_spool(
    log: &Path,
    copied: &[Entry],
    bucket: &str,
    key_of: impl Fn(u64) -> String,
) -> Result<Vec<String>, String> {
    // Leniently: a chain broken here is `legrec verify`'s to name; this
    // names where it parted from its copy.
    let here: HashMap<u64, String> = audit::entries_lenient(log)
        .map_err(|e| format!("{}: {e}", log.display()))?
        .into_iter()
        .map(|e| (e.seq, e.hash))
        .collect();
    let ends = here.keys().max().copied().unwrap_or(0);
    for e in copied {
        let file = format!("s3://{bucket}/{}", key_of(e.seq));
        match here.get(&e.seq) {
            Some(h) if *h == e.hash => {}
            Some(_) => {
                return Ok(vec![format!(
                    "entry {} ({} {}) is not what was copied to {file} at {}: the chain was rewritten from there",
                    e.seq, e.event, e.id, e.at
                )])
            }
            None if e.seq > ends => {
                return Ok(vec![format!(
                    "{file} holds entries up to {}, but the chain ends at entry {ends}: its tail was cut",
                    copied.last().map_or(0, |l| l.seq)
                )])
            }
            None => {
                return Ok(vec![format!(
                    "entry {} ({} {}), copied to {file}, is no longer in the chain",
                    e.seq, e.event, e.id
                )])
            }
        }
    }
    Ok(Vec::new())
}
