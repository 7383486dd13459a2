//! Is a recording as it was made?  Each file on disk is hashed now and the
//! hash compared with the sidecar's (as indexed) and with the recording's
//! entry in the audit chain; the answer is "intact" or names the file that
//! is not.  An erased recording (its tombstone in the chain) is "erased":
//! its audio is gone by design, the scrubbed sidecar is checked against
//! the tombstone, and who erased it, when and why are shown.

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use legrec::audit::Entry;
use legrec::spool::layout::RecordingPaths;
use serde::Serialize;

use super::local;
use crate::index::Record;

/// Files whose hash is kept: a few hundred bytes each, the files of a
/// few thousand recordings.
const HASHES_KEPT: usize = 20_000;

/// A file as it is now: anything a write changes (inode, size,
/// modification and change times; the change time cannot be set back).
type Identity = (PathBuf, u64, u64, i64, i64, i64, i64);

/// SHA-256s by Identity: re-hashing an hour-long call's files on every
/// view of its page was seconds of disk and CPU each time, for any user
/// who reloads it.
static HASHES: Mutex<Option<HashMap<Identity, String>>> = Mutex::new(None);

/// The file's SHA-256, computed once for each state of the file.
fn hashed(p: &Path) -> std::io::Result<String> {
    let m = std::fs::metadata(p)?;
    let id: Identity = (
        p.to_path_buf(),
        m.ino(),
        m.len(),
        m.mtime(),
        m.mtime_nsec(),
        m.ctime(),
        m.ctime_nsec(),
    );
    if let Some(sha) = HASHES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .and_then(|h| h.get(&id))
    {
        return Ok(sha.clone());
    }
    let (sha, _) = legrec::spool::digest::hash_file(p)?;
    let mut h = HASHES.lock().unwrap_or_else(|e| e.into_inner());
    let h = h.get_or_insert_with(HashMap::new);
    if h.len() >= HASHES_KEPT {
        h.clear();
    }
    h.insert(id, sha.clone());
    Ok(sha)
}

/// The events of a recording's own entry.
const MADE: [&str; 4] = ["recorded", "declined", "failed", "interrupted"];

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct FileCheck {
    /// `in`, `out`, `stereo` or `sidecar`.
    pub name: String,
    pub file: String,
    /// `intact`, `changed`, `missing`, `unchecked` (not on this server).
    pub state: &'static str,
    pub detail: String,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Integrity {
    /// `intact`, `damaged`, `unchecked` or `erased`.
    pub verdict: &'static str,
    pub summary: String,
    pub files: Vec<FileCheck>,
    /// The audit entry the hashes were compared with.
    pub audit_seq: Option<u64>,
    /// The tombstone of an erased recording.
    pub erased: Option<Erased>,
}

/// What a recording's tombstone says: when, by whom, why.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Erased {
    pub seq: u64,
    pub at: String,
    pub by: String,
    pub reason: String,
}

impl Erased {
    fn of(e: &Entry) -> Erased {
        let note: serde_json::Value = serde_json::from_str(&e.note).unwrap_or_default();
        let field = |k: &str| note[k].as_str().unwrap_or("(not said)").to_string();
        Erased {
            seq: e.seq,
            at: e.at.clone(),
            by: field("by"),
            reason: field("reason"),
        }
    }
}

/// `entries` are the chain's entries of this recording (Chain::entries_of).
/// Reads and hashes every file: call it off the async threads.
pub fn check(record: &Record, paths: Option<&RecordingPaths>, entries: &[Entry]) -> Integrity {
    // The recording's own entry, as the PBX (or a repair, later) chained
    // it; the shipper's entries hash the same files again.
    let tombstone = entries
        .iter()
        .rev()
        .find(|e| e.event == legrec::admin::erase::TOMBSTONE);
    // Erased: the tombstone hashes the scrubbed sidecar, and no audio.
    let entry = tombstone.or_else(|| {
        entries
            .iter()
            .rev()
            .find(|e| MADE.contains(&e.event.as_str()) && !e.files.is_empty())
    });
    // Files meant to be gone from this spool.
    let removed = entries
        .iter()
        .rev()
        .find(|e| e.event == "pruned" || e.event == "removed-local");
    let mut files = Vec::new();
    for fact in &record.files {
        let path = paths.and_then(|p| local::file(p, &fact.name));
        let audited = entry.and_then(|e| {
            e.files
                .iter()
                .find(|f| f.file.rsplit('/').next() == Some(fact.file.as_str()))
        });
        let (state, detail) = match &path {
            None => (
                "unchecked",
                "not in this server's spool (another PBX's, or shipped and removed here)".into(),
            ),
            Some(p) => match hashed(p) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => match removed {
                    _ if tombstone.is_some() && fact.name != "sidecar" => (
                        "erased",
                        format!("erased (audit entry {})", tombstone.map_or(0, |t| t.seq)),
                    ),
                    Some(r) => (
                        "unchecked",
                        format!(
                            "removed from this spool (audit entry {}: {})",
                            r.seq, r.event
                        ),
                    ),
                    None => ("missing", "not in the spool (deleted?)".to_string()),
                },
                Err(e) => ("missing", format!("cannot be read: {e}")),
                // An erased recording's index row may predate its
                // tombstone: the tombstone has the last word.
                Ok(sha) if sha != fact.sha256 && tombstone.is_none() => (
                    "changed",
                    format!("SHA-256 {sha}, the sidecar says {}", fact.sha256),
                ),
                Ok(sha) => match audited {
                    None => ("changed", "has no entry in the audit chain".to_string()),
                    Some(a) if a.sha256 != sha => (
                        "changed",
                        format!("SHA-256 {sha}, the audit chain says {}", a.sha256),
                    ),
                    Some(_) => ("intact", format!("SHA-256 {sha}")),
                },
            },
        };
        files.push(FileCheck {
            name: fact.name.clone(),
            file: fact.file.clone(),
            state,
            detail,
        });
    }
    let bad: Vec<&FileCheck> = files
        .iter()
        .filter(|f| f.state == "changed" || f.state == "missing")
        .collect();
    let erased = tombstone.map(Erased::of);
    let (verdict, summary) = if let (Some(t), true) = (&erased, bad.is_empty()) {
        (
            "erased",
            format!(
                "erased on {} by {}: {} (audit entry {}); {}",
                t.at,
                t.by,
                t.reason,
                t.seq,
                if files.iter().any(|f| f.state == "intact") {
                    "the sidecar left matches its tombstone"
                } else {
                    "the sidecar left is not in this server's spool to check"
                }
            ),
        )
    } else if !bad.is_empty() {
        let names: Vec<String> = bad
            .iter()
            .map(|f| format!("{} {}", f.file, f.state))
            .collect();
        ("damaged", format!("not intact: {}", names.join(", ")))
    } else if files.iter().any(|f| f.state == "unchecked") || files.is_empty() {
        (
            "unchecked",
            "not checked: the files are not in this server's spool".to_string(),
        )
    } else {
        (
            "intact",
            format!(
                "intact: {} files match the sidecar and audit entry {}",
                files.len(),
                entry.map_or(0, |e| e.seq)
            ),
        )
    };
    Integrity {
        verdict,
        summary,
        files,
        audit_seq: entry.map(|e| e.seq),
        erased,
    }
}
