//! The audit trail: an append-only log (JSON lines) beside the recordings,
//! `<spool_dir>/audit.jsonl`.  Every finished recording, refusal and
//! deletion appends an entry holding the SHA-256 of its files and sidecar
//! and the hash of the entry before it, so editing a file, editing or
//! deleting an entry, or reordering entries breaks the chain at a place
//! `legrec verify` names.
//!
//! The PBX's core and the `legrec prune` tool both append; an exclusive
//! flock on the log serialises them, and each append reads the last entry
//! under that lock to chain onto it.
//!
//! A line torn by a crash or a full disk (bytes after the last newline)
//! would make every later append fail to read the last entry: the next
//! append cuts the log back to its last whole line and chains a
//! `repaired` entry holding the bytes it removed, so one crash never
//! stops the chain and nothing leaves it unrecorded.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::spool::layout;

/// The `prev` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct FileHash {
    /// Relative to the spool folder.
    pub file: String,
    pub sha256: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Entry {
    pub seq: u64,
    pub at: String,
    /// `recorded`, `declined`, `failed`, `interrupted` or `pruned` (by the
    /// PBX and `legrec prune`); `shipped` (verified in the bucket) and
    /// `removed-local` (the spool's copy removed after that) by `legrec ship`.
    pub event: String,
    pub id: String,
    pub policy: String,
    /// The FLAC files and the sidecar, with their hashes.
    pub files: Vec<FileHash>,
    pub note: String,
    /// The previous entry's hash (zeros for the first).
    pub prev: String,
    /// SHA-256 of this entry serialised with `hash` empty.
    pub hash: String,
}

impl Entry {
    pub fn new(event: &str, id: &str, policy: &str, files: Vec<FileHash>, note: &str) -> Entry {
        Entry {
            at: humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string(),
            event: event.into(),
            id: id.into(),
            policy: policy.into(),
            files,
            note: note.into(),
            ..Default::default()
        }
    }

    /// What `hash` must be: the SHA-256 of the entry with `hash` empty.
    pub fn digest(&self) -> String {
        let mut unsealed = self.clone();
        unsealed.hash = String::new();
        let bytes = serde_json::to_vec(&unsealed).expect("entry serializes");
        crate::hex(&Sha256::digest(&bytes))
    }
}

/// Hash files (paths relative to `spool`) for an entry.
pub fn hash_files(spool: &Path, files: &[PathBuf]) -> io::Result<Vec<FileHash>> {
    files
        .iter()
        .map(|f| {
            Ok(FileHash {
                file: relative(spool, f),
                sha256: crate::spool::digest::hash_file(f)?.0,
            })
        })
        .collect()
}

fn relative(spool: &Path, f: &Path) -> String {
    f.strip_prefix(spool).unwrap_or(f).display().to_string()
}

/// Chain a recording whose sidecar was just written: the legs' hashes come
/// from the sidecar (taken when each file was closed) and the sidecar's own
/// from the bytes written, so nothing is read back from disk.
pub fn record(
    spool: &Path,
    event: &str,
    sidecar_path: &Path,
    sidecar: &crate::sidecar::Sidecar,
    sidecar_json: &[u8],
    note: &str,
    mode: u32,
) -> io::Result<Entry> {
    let files = files_of(spool, sidecar_path, sidecar, sidecar_json);
    append(
        &layout::audit_log(spool),
        Entry::new(event, &sidecar.id, &sidecar.policy, files, note),
        mode,
    )
}

/// A recording's files as an entry names them: the legs with the hashes
/// its sidecar holds, the sidecar with the hash of its bytes.  Nothing is
/// read from disk, so a recording kept only in a bucket is named the same.
pub fn files_of(
    spool: &Path,
    sidecar_path: &Path,
    sidecar: &crate::sidecar::Sidecar,
    sidecar_json: &[u8],
) -> Vec<FileHash> {
    let dir = sidecar_path.parent().unwrap_or(spool);
    let mut files: Vec<FileHash> = sidecar
        .legs
        .iter()
        .map(|l| FileHash {
            file: relative(spool, &dir.join(&l.file)),
            sha256: l.sha256.clone(),
        })
        .collect();
    files.push(FileHash {
        file: relative(spool, sidecar_path),
        sha256: crate::hex(&Sha256::digest(sidecar_json)),
    });
    files
}

struct Locked(File);

impl Locked {
    /// Not O_APPEND: a repair writes over a torn tail.  Every writer holds
    /// the lock, so writing at the end that was read is as safe.
    fn open(path: &Path, mode: u32) -> io::Result<Locked> {
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .mode(mode)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(path)?;
        if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Locked(f))
    }
}

impl Drop for Locked {
    fn drop(&mut self) {
        unsafe { libc::flock(self.0.as_raw_fd(), libc::LOCK_UN) };
    }
}

/// The end of the log as an append finds it.
struct Tail {
    /// Where the last whole line ends: the next entry is written here.
    end: u64,
    last: Option<Entry>,
    /// Bytes after the last newline: a line torn by a crash or a full disk.
    torn: Vec<u8>,
}

/// The last whole line of the log and what follows it, read backwards
/// from the end.
fn tail(f: &mut File) -> io::Result<Tail> {
    let len = f.seek(SeekFrom::End(0))?;
    let take = len.min(256 * 1024);
    f.seek(SeekFrom::Start(len - take))?;
    let mut tail = Vec::with_capacity(take as usize);
    f.take(take).read_to_end(&mut tail)?;
    let whole = match tail.iter().rposition(|&b| b == b'\n') {
        Some(nl) => nl + 1,
        None if take == len => 0,
        None => {
            return Err(io::Error::other(
                "the audit log ends in more than 256 KiB without a newline",
            ))
        }
    };
    let torn = tail.split_off(whole);
    let end = len - torn.len() as u64;
    let text = String::from_utf8_lossy(&tail);
    let line = text.trim_end().rsplit('\n').next().unwrap_or("");
    let last = if line.is_empty() {
        None
    } else {
        Some(serde_json::from_str(line).map_err(|e| {
            io::Error::other(format!("the audit log's last line is not an entry: {e}"))
        })?)
    };
    Ok(Tail { end, last, torn })
}

/// The entry that records cutting a torn tail: how many bytes, and the
/// bytes themselves (hex), so an auditor sees what was removed.
fn repair_entry(tail: &Tail) -> Entry {
    let note = serde_json::json!({
        "cut_at": tail.end,
        "removed_bytes": tail.torn.len(),
        "removed_hex": crate::hex(&tail.torn),
    });
    Entry::new(REPAIRED, "", "", Vec::new(), &note.to_string())
}

/// The event of an entry that cut a torn last line.
pub const REPAIRED: &str = "repaired";

/// Write `bytes` at `at` (the end of the last whole line) and cut the file
/// there, synced.  On failure the bytes that were there (a torn tail not
/// yet chained, or nothing) are put back: an entry the caller is told
/// failed leaves no partial line, and a torn tail waits for the next
/// append's repair.
fn write_at(f: &mut File, at: u64, bytes: &[u8], was: &[u8]) -> io::Result<()> {
    let result = put(f, at, bytes);
    if result.is_err() {
        let _ = put(f, at, was);
    }
    result
}

/// The file is `bytes` from `at` on, synced.
fn put(f: &mut File, at: u64, bytes: &[u8]) -> io::Result<()> {
    f.seek(SeekFrom::Start(at))?;
    f.write_all(bytes)?;
    f.set_len(at + bytes.len() as u64)?;
    f.sync_data()
}

/// The last whole entry of the log (a torn tail after it is the next
/// append's to repair); None for an empty or missing log.
pub fn head(path: &Path) -> io::Result<Option<Entry>> {
    match File::open(path) {
        Ok(mut f) => Ok(tail(&mut f)?.last),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Append `entry` to the log at `path`, chained onto the last entry.
/// Returns the entry as written.
pub fn append(path: &Path, entry: Entry, mode: u32) -> io::Result<Entry> {
    let mut written = append_all(path, vec![entry], mode)?;
    Ok(written.pop().expect("one entry in, one out"))
}

/// Append `entries` in order under one lock and one sync: a shipper
/// chaining hundreds of recordings a second waits for the disk once per
/// batch, not once per entry.
pub fn append_all(path: &Path, entries: Vec<Entry>, mode: u32) -> io::Result<Vec<Entry>> {
    let mut log = Locked::open(path, mode)?;
    let tail = tail(&mut log.0)?;
    let repair = (!tail.torn.is_empty()).then(|| repair_entry(&tail));
    let repaired = repair.is_some();
    let mut last = tail.last.clone();
    let mut bytes = Vec::new();
    let mut written = Vec::with_capacity(entries.len() + 1);
    for mut entry in repair.into_iter().chain(entries) {
        entry.seq = last.as_ref().map_or(1, |e| e.seq + 1);
        entry.prev = last
            .as_ref()
            .map_or_else(|| GENESIS.to_string(), |e| e.hash.clone());
        entry.hash = entry.digest();
        bytes.extend(serde_json::to_vec(&entry).expect("entry serializes"));
        bytes.push(b'\n');
        last = Some(entry.clone());
        written.push(entry);
    }
    write_at(&mut log.0, tail.end, &bytes, &tail.torn)?;
    if repaired {
        log::warn!(
            "{}: cut a torn last line ({} bytes, chained as entry {})",
            path.display(),
            tail.torn.len(),
            written[0].seq
        );
        written.remove(0);
    }
    Ok(written)
}

/// The log's whole lines as its writers left them: where they end is read
/// under the writers' lock (shared), so no append is caught half written
/// or before it was synced, and the bytes up to there are read after the
/// lock is let go, so a long read holds no writer up.  Lines appended
/// meanwhile are the next reader's.
pub fn committed(path: &Path) -> io::Result<Vec<u8>> {
    let mut f = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)?;
    // Where the last whole line ends, under the lock: writers only ever
    // write after it (a repair over a torn tail included), never before.
    // SAFETY: a descriptor owned by `f`, unlocked before it is read again.
    let end = unsafe {
        if libc::flock(f.as_raw_fd(), libc::LOCK_SH) != 0 {
            return Err(io::Error::last_os_error());
        }
        let end = tail(&mut f).map(|t| t.end);
        libc::flock(f.as_raw_fd(), libc::LOCK_UN);
        end?
    };
    f.seek(SeekFrom::Start(0))?;
    let mut bytes = Vec::with_capacity(end as usize);
    Read::take(&mut f, end).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Every line of the log that is an entry, whatever breaks the chain
/// between them (a torn tail, an edit: `legrec verify`'s to report): for
/// what must go on regardless, such as honouring holds and finishing an
/// interrupted prune.
pub fn entries_lenient(path: &Path) -> io::Result<Vec<Entry>> {
    let text = match std::fs::read(path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    Ok(text
        .split(|&b| b == b'\n')
        .filter_map(|l| serde_json::from_slice(l).ok())
        .collect())
}

/// The first place the chain is broken.
#[derive(Debug, PartialEq)]
pub struct Broken {
    pub line: usize,
    pub what: String,
}

/// Check the chain of the whole log; returns its entries.
pub fn verify_chain(path: &Path) -> Result<Vec<Entry>, Broken> {
    let f = File::open(path).map_err(|e| Broken {
        line: 0,
        what: format!("{}: {e}", path.display()),
    })?;
    verify_lines(BufReader::new(f))
}

/// `verify_chain` of a log's lines read from elsewhere (a copy in the
/// bucket, the whole lines of a log being written).
pub fn verify_lines(lines: impl BufRead) -> Result<Vec<Entry>, Broken> {
    let mut prev = GENESIS.to_string();
    let mut entries = Vec::new();
    for (i, line) in lines.lines().enumerate() {
        let n = i + 1;
        let broken = |what: String| Broken { line: n, what };
        let line = line.map_err(|e| broken(e.to_string()))?;
        let entry: Entry =
            serde_json::from_str(&line).map_err(|e| broken(format!("not an audit entry: {e}")))?;
        if entry.hash != entry.digest() {
            return Err(broken(format!(
                "entry {} ({} {}) does not match its hash: edited",
                entry.seq, entry.event, entry.id
            )));
        }
        if entry.prev != prev {
            return Err(broken(format!(
                "entry {} does not follow the entry before it: an entry was deleted, inserted or moved",
                entry.seq
            )));
        }
        if entry.seq != n as u64 {
            return Err(broken(format!(
                "entry number {} where {} was expected: entries removed or reordered",
                entry.seq, n
            )));
        }
        prev = entry.hash.clone();
        entries.push(entry);
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log_with(n: usize) -> (tempfile::TempDir, PathBuf) {
        let d = tempfile::tempdir().unwrap();
        let p = layout::audit_log(d.path());
        for i in 0..n {
            let f = vec![FileHash {
                file: format!("p/{i}.flac"),
                sha256: format!("{i:064}"),
            }];
            append(
                &p,
                Entry::new("recorded", &format!("id{i}"), "p", f, ""),
                0o640,
            )
            .unwrap();
        }
        (d, p)
    }

    #[test]
    fn committed_bytes_end_at_the_last_whole_line() {
        let (_d, p) = log_with(3);
        let whole = std::fs::read(&p).unwrap();
        let mut f = OpenOptions::new().append(true).open(&p).unwrap();
        f.write_all(br#"{"seq":4,"at":"#).unwrap();
        assert_eq!(committed(&p).unwrap(), whole);
        assert_eq!(verify_lines(&whole[..]).unwrap().len(), 3);
    }

    fn lines(p: &Path) -> Vec<String> {
        std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .map(String::from)
            .collect()
    }

    #[test]
    fn an_intact_chain_verifies() {
        let (_d, p) = log_with(5);
        let e = verify_chain(&p).unwrap();
        assert_eq!(e.len(), 5);
        assert_eq!(e[0].prev, GENESIS);
        assert_eq!(e[4].prev, e[3].hash);
    }

    #[test]
    fn an_edited_entry_is_named() {
        let (_d, p) = log_with(5);
        let mut l = lines(&p);
        l[2] = l[2].replace("p/2.flac", "p/x.flac");
        std::fs::write(&p, l.join("\n") + "\n").unwrap();
        let b = verify_chain(&p).unwrap_err();
        assert_eq!(b.line, 3);
        assert!(b.what.contains("edited"), "{}", b.what);
    }

    #[test]
    fn a_deleted_entry_is_named() {
        let (_d, p) = log_with(5);
        let mut l = lines(&p);
        l.remove(1);
        std::fs::write(&p, l.join("\n") + "\n").unwrap();
        assert_eq!(verify_chain(&p).unwrap_err().line, 2);
    }

    #[test]
    fn reordered_entries_are_named() {
        let (_d, p) = log_with(5);
        let mut l = lines(&p);
        l.swap(2, 3);
        std::fs::write(&p, l.join("\n") + "\n").unwrap();
        assert_eq!(verify_chain(&p).unwrap_err().line, 3);
    }

    #[test]
    fn a_removed_last_entry_shows_in_the_count_only_so_the_sidecars_are_checked_too() {
        // Truncating the tail leaves a valid shorter chain: verify
        // therefore also checks that every sidecar has its entry.
        let (_d, p) = log_with(3);
        let l = lines(&p);
        std::fs::write(&p, l[..2].join("\n") + "\n").unwrap();
        assert_eq!(verify_chain(&p).unwrap().len(), 2);
    }

    /// A crash mid-append leaves part of a line: the next append cuts it,
    /// chains what it cut, and the chain verifies.
    #[test]
    fn a_torn_last_line_is_cut_and_chained_at_the_next_append() {
        let (_d, p) = log_with(3);
        let whole = std::fs::metadata(&p).unwrap().len();
        let torn = br#"{"seq":4,"at":"2026-12-06T22:00:00.000Z","ev"#;
        let mut f = OpenOptions::new().append(true).open(&p).unwrap();
        f.write_all(torn).unwrap();
        drop(f);
        assert!(verify_chain(&p).is_err(), "a torn line breaks the chain");
        let e = append(&p, Entry::new("recorded", "next", "p", vec![], ""), 0o640).unwrap();
        assert_eq!(e.seq, 5, "the repair is entry 4");
        let chain = verify_chain(&p).expect("whole again");
        assert_eq!(chain.len(), 5);
        let repair = &chain[3];
        assert_eq!(repair.event, REPAIRED);
        let note: serde_json::Value = serde_json::from_str(&repair.note).unwrap();
        assert_eq!(note["cut_at"], whole);
        assert_eq!(note["removed_bytes"], torn.len());
        assert_eq!(note["removed_hex"], crate::hex(torn));
        assert_eq!(chain[4].id, "next");
    }

    /// A log of nothing but a torn line (the first append crashed).
    #[test]
    fn a_log_that_is_only_a_torn_line_starts_over_with_its_repair() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("audit.jsonl");
        std::fs::write(&p, b"{\"seq\":1,").unwrap();
        append(&p, Entry::new("recorded", "a", "p", vec![], ""), 0o640).unwrap();
        let chain = verify_chain(&p).unwrap();
        assert_eq!(chain.len(), 2);
        assert_eq!((chain[0].seq, chain[0].event.as_str()), (1, REPAIRED));
    }

    /// A batch chains exactly as the same entries appended one by one.
    #[test]
    fn a_batch_chains_like_single_appends() {
        let d = tempfile::tempdir().unwrap();
        let log = d.path().join("audit.jsonl");
        append(&log, Entry::new("recorded", "a", "p", vec![], ""), 0o640).unwrap();
        let batch = (0..3)
            .map(|i| Entry::new("shipped", &format!("r{i}"), "p", vec![], "n"))
            .collect();
        let written = append_all(&log, batch, 0o640).unwrap();
        assert_eq!(written.iter().map(|e| e.seq).collect::<Vec<_>>(), [2, 3, 4]);
        let chain = verify_chain(&log).expect("whole");
        assert_eq!(chain.len(), 4);
        assert_eq!(chain[3].prev, chain[2].hash);
    }
}
