//! The chains copied to the bucket beside the recordings: `audit.jsonl`
//! (recorded, shipped, held, erased ...) and, where the browser keeps its
//! trail in this spool, `access.jsonl`.  Whole entries go in segments,
//! `<prefix>/.chains/<pbx>/<chain>/<first seq>-<last seq>.jsonl` (ten
//! digits each, so a listing is in order), each read back before it
//! counts.  A tombstone, a hold or a listen is then on record where the
//! PBX's own disk cannot take it back, and `legrec verify --config FILE`
//! (`check`) names the first entry the spool no longer holds as it was
//! copied: a chain rewritten or cut behind its copy, anchored or not.
//!
//! A segment is put at most every ten minutes while a chain grows (every
//! pass with `--once`), of at most 10,000 entries: a year of a busy PBX is
//! tens of thousands of small objects, not one a pass, nor one too big to
//! put.  The shipper never copies on from a chain whose copied part
//! changed: it says so and ships recordings on, since either the spool was
//! tampered with or a new spool took the same place in the bucket, and
//! only the admin can tell which.

use std::collections::{BTreeMap, HashMap};
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use legrec::audit::{self, Entry};
use legrec::spool::layout;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::store::{Store, StoreError, Trouble};

const FOLDER: &str = ".chains";
/// Between two segments of a chain that keeps growing.
const EVERY: Duration = Duration::from_secs(600);
/// Entries in one segment at most (about 4 MB).
const SEGMENT: usize = 10_000;

/// A spool's chains, by the name their copies go under.
fn chains(spool: &Path) -> [(&'static str, PathBuf); 2] {
    [
        ("audit", layout::audit_log(spool)),
        ("access", layout::access_log(spool)),
    ]
}

/// Where this PBX's copy of `chain` goes, under the prefix.
fn folder(pbx: &str, chain: &str) -> String {
    format!("{}/{chain}", Store::own_folder(FOLDER, pbx))
}

/// The last entry copied, noted under `.ship/copied/` for the place it
/// was copied to (or, that note lost, read from the bucket's last
/// segment there).
#[derive(Serialize, Deserialize)]
struct Copied {
    key: String,
    seq: u64,
    hash: String,
}

fn note_of(spool: &Path, store: &Store, folder: &str) -> PathBuf {
    store.noted(spool, folder).join("last")
}

/// When each chain was last copied, kept by the running shipper (not a
/// file's time, which whoever holds the spool could set in the future).
#[derive(Default)]
pub struct Due(HashMap<&'static str, Instant>);

/// What copying the chains did: entries copied, and why a chain was not.
#[derive(Debug, Default)]
pub struct Copy {
    pub entries: usize,
    pub trouble: Vec<String>,
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
    let digits = |s: &str| s.len() == 10 && s.bytes().all(|b| b.is_ascii_digit());
    (digits(first) && digits(last)).then_some(())?;
    Some((first.parse().ok()?, last.parse().ok()?))
}

/// Copies what each chain gained since its last segment, if one is due
/// (`once`: always).  Err only when the store is down or refuses us; a
/// chain that cannot be copied is in `trouble`, and the other goes on.
pub async fn ship(
    spool: &Path,
    store: &Store,
    pbx: &str,
    once: bool,
    due: &mut Due,
) -> Result<Copy, StoreError> {
    let mut done = Copy::default();
    for (chain, log) in chains(spool) {
        if !log.exists() || !once && due.0.get(chain).is_some_and(|t| t.elapsed() < EVERY) {
            continue;
        }
        match ship_chain(spool, store, &folder(pbx, chain), &log, pbx).await {
            Ok(n) => {
                done.entries += n;
                due.0.insert(chain, Instant::now());
            }
            Err(e) if e.trouble == Trouble::Other => done.trouble.push(e.message),
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

async fn ship_chain(
    spool: &Path,
    store: &Store,
    folder: &str,
    log: &Path,
    pbx: &str,
) -> Result<usize, StoreError> {
    let bytes = audit::committed(log).map_err(|e| other(format!("{}: {e}", log.display())))?;
    let entries = audit::verify_lines(Cursor::new(&bytes)).map_err(|b| {
        other(format!(
            "{} line {}: {}; its copy in the bucket waits until `legrec verify` passes",
            log.display(),
            b.line,
            b.what
        ))
    })?;
    let note = note_of(spool, store, folder);
    let noted = std::fs::read(&note)
        .ok()
        .and_then(|b| serde_json::from_slice::<Copied>(&b).ok())
        .filter(|c| c.seq > 0);
    let copied = match noted {
        Some(c) => Some(c),
        None => last_in_bucket(store, folder).await?,
    };
    let mut start = match &copied {
        None => 0,
        Some(c) => match usize::try_from(c.seq - 1).ok().and_then(|i| entries.get(i)) {
            Some(e) if e.hash == c.hash => e.seq as usize,
            Some(_) => {
                return Err(other(format!(
                    "{}: entry {} is no longer what was copied to s3://{}/{}: the chain was rewritten (or a new spool took this prefix and pbx_name); nothing more of it is copied until an admin settles which, and `legrec verify --config FILE` names what changed",
                    log.display(),
                    c.seq,
                    store.bucket,
                    c.key
                )))
            }
            None => {
                return Err(other(format!(
                    "{}: the chain ends before entry {}, which was copied to s3://{}/{}: its tail was cut (or a new spool took this prefix and pbx_name); nothing more of it is copied until an admin settles which",
                    log.display(),
                    c.seq,
                    store.bucket,
                    c.key
                )))
            }
        },
    };
    let lines: Vec<&[u8]> = bytes.split_inclusive(|&b| b == b'\n').collect();
    let mut put = 0;
    while start < entries.len() {
        let end = (start + SEGMENT).min(entries.len());
        let segment = lines[start..end].concat();
        let last = &entries[end - 1];
        let key = store.key(&format!(
            "{folder}/{:010}-{:010}.jsonl",
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
        legrec::spool::files::create_dirs(note.parent().expect("in .ship/copied"), 0o750)
            .and_then(|()| {
                let json = serde_json::to_vec(&done).expect("serializes");
                legrec::spool::files::write_atomic(&note, &json, 0o640)
            })
            .map_err(|e| other(format!("{}: {e}", note.display())))?;
        put += end - start;
        start = end;
    }
    Ok(put)
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
    /// Where its segments are: `s3://bucket/prefix/.chains/<pbx>/<chain>`.
    pub folder: String,
    /// Entries in the copy, and in the chain here.
    pub entries: u64,
    pub here: u64,
    pub segments: usize,
    /// Each naming the seq (and segment) where the copy or the chain went
    /// wrong.
    pub problems: Vec<String>,
}

/// Every chain with a copy in the bucket, checked: every segment's
/// entries sealed, none missing or told twice differently, linked from
/// entry 1, and each still in the chain here.  A chain the shipper noted
/// copying whose copy is gone is a problem too.
pub async fn check(spool: &Path, store: &Store, pbx: &str) -> Result<Vec<Checked>, String> {
    let mut out = Vec::new();
    for (chain, log) in chains(spool) {
        let folder = folder(pbx, chain);
        let mut keys: Vec<((u64, u64), String)> = store
            .list_in(&folder)
            .await
            .map_err(|e| e.advice())?
            .into_iter()
            .filter_map(|k| Some((segment_range(&k)?, k)))
            .collect();
        // Leniently: a chain broken here is `legrec verify`'s to name; this
        // names where it parted from its copy.
        let here: HashMap<u64, String> = audit::entries_lenient(&log)
            .map_err(|e| format!("{}: {e}", log.display()))?
            .into_iter()
            .map(|e| (e.seq, e.hash))
            .collect();
        let mut checked = Checked {
            folder: format!("s3://{}/{}", store.bucket, store.key(&folder)),
            here: here.keys().max().copied().unwrap_or(0),
            log,
            entries: 0,
            segments: keys.len(),
            problems: Vec::new(),
        };
        if keys.is_empty() {
            if note_of(spool, store, &folder).exists() {
                checked.problems.push(format!(
                    "the shipper noted copying it to {}, but no segment is there: removed from the bucket",
                    checked.folder
                ));
                out.push(checked);
            }
            continue;
        }
        keys.sort();
        let mut copy: BTreeMap<u64, (Entry, String)> = BTreeMap::new();
        for (_, key) in &keys {
            let bytes = store.get_all(key).await.map_err(|e| e.advice())?.1;
            let file = format!("s3://{}/{key}", store.bucket);
            for line in bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                let sealed = serde_json::from_slice::<Entry>(line)
                    .ok()
                    .filter(|e| e.hash == e.digest());
                let Some(e) = sealed else {
                    checked.problems.push(format!(
                        "{file} holds a line that is not a sealed chain entry: changed in the bucket"
                    ));
                    continue;
                };
                match copy.get(&e.seq) {
                    Some((seen, _)) if seen.hash == e.hash => {}
                    Some((_, first)) => checked.problems.push(format!(
                        "{file} and {first} hold different entries {}: changed in the bucket",
                        e.seq
                    )),
                    None => {
                        copy.insert(e.seq, (e, file.clone()));
                    }
                }
            }
        }
        checked.problems.extend(gaps(&copy, &checked.folder));
        checked.entries = copy.len() as u64;
        checked.problems.extend(against_spool(&here, &copy));
        out.push(checked);
    }
    Ok(out)
}

/// Seqs missing from the copy, and entries that do not follow the one
/// before them.
fn gaps(copy: &BTreeMap<u64, (Entry, String)>, folder: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let mut prev: (u64, &str) = (0, audit::GENESIS);
    for (seq, (e, file)) in copy {
        if *seq != prev.0 + 1 {
            problems.push(format!(
                "entries {} to {} are missing from {folder}: a segment removed from the bucket",
                prev.0 + 1,
                seq - 1
            ));
        } else if e.prev != prev.1 {
            problems.push(format!(
                "entry {seq} in {file} does not follow entry {} of the copy: changed in the bucket",
                prev.0
            ));
        }
        prev = (*seq, &e.hash);
    }
    problems
}

/// The first entry of the copy the chain here (seq -> hash) no longer
/// holds.
fn against_spool(
    here: &HashMap<u64, String>,
    copy: &BTreeMap<u64, (Entry, String)>,
) -> Option<String> {
    let ends = here.keys().max().copied().unwrap_or(0);
    let last = copy.keys().max().copied().unwrap_or(0);
    for (seq, (e, file)) in copy {
        match here.get(seq) {
            Some(h) if *h == e.hash => {}
            Some(_) => {
                return Some(format!(
                    "entry {seq} ({} {}) is not what was copied to {file} at {}: the chain was rewritten from there",
                    e.event, e.id, e.at
                ))
            }
            None if *seq > ends => {
                return Some(format!(
                    "{file} and the segments after it hold entries up to {last}, but the chain ends at entry {ends}: its tail was cut"
                ))
            }
            None => {
                return Some(format!(
                    "entry {seq} ({} {}), copied to {file}, is no longer in the chain",
                    e.event, e.id
                ))
            }
        }
    }
    None
}
