//! The spool's audit chain as the browser reads it.  The chain grows by a
//! few entries a call and every play, so a year of a busy queue is
//! millions of lines: reading it whole for every recording's page or
//! trail made the pages slower by the month.  The browser reads each line
//! once, keeping where it starts and which recording it names (16 bytes a
//! line), then only what was appended since; a page reads back its own
//! few lines.
//!
//! The browser's accesses have their own chain, `access.jsonl` (so its
//! appends never wait for, nor hold up, the PBX's under `audit.jsonl`'s
//! lock); accesses chained in `audit.jsonl` before it existed are still
//! read there.

use std::collections::hash_map::DefaultHasher;
use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use legrec::audit::Entry;
use legrec::spool::layout;
use serde::Deserialize;

use super::trail::{self, Seen};

pub struct Chain {
    audit: Log,
    access: Log,
}

/// One chained log, read as it grows.
struct Log {
    path: PathBuf,
    read: Mutex<Read>,
}

/// What of the file has been read.
#[derive(Default)]
struct Read {
    /// Where the first line not yet read starts (only whole lines count:
    /// an append may be under way).
    end: u64,
    /// Device and inode of the file read: another file in its place (a
    /// backup put back) is read from its start.
    file: Option<(u64, u64)>,
    /// Each line's recording (a hash of its id; the lines read back are
    /// checked against the id itself) and start.
    lines: Vec<(u64, u64)>,
    /// Where each access entry starts, oldest first.
    accesses: Vec<u64>,
    /// Where each entry of a recording that finished starts, oldest first.
    finished: Vec<u64>,
    /// Counts the files read from their start (see `Mark`).
    generation: u64,
}

/// The events the PBX chains once a recording's sidecar is written.
const FINISHED: [&str; 4] = ["recorded", "declined", "failed", "interrupted"];

/// How many finished recordings of which reading of the file a caller of
/// `finished_since` has seen.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Mark {
    generation: u64,
    seen: usize,
}

/// The two fields an entry is indexed by.
#[derive(Deserialize)]
struct Head {
    event: String,
    id: String,
}

fn id_hash(id: &str) -> u64 {
    let mut h = DefaultHasher::new();
    id.hash(&mut h);
    h.finish()
}

impl Chain {
    pub fn new(spool: &Path) -> Chain {
        Chain {
            audit: Log::new(layout::audit_log(spool)),
            access: Log::new(layout::access_log(spool)),
        }
    }

    /// Every entry about recording `id`: the audit chain's (its recording
    /// entry, shipping, accesses from before the access trail had its own
    /// chain), then the access trail's, each in order.  Blocks on the
    /// files: call it off the async threads.
    pub fn entries_of(&self, id: &str) -> Vec<Entry> {
        let mut all = self.audit.entries_of(id);
        all.extend(self.access.entries_of(id));
        all
    }

    /// The accesses, newest first: the access trail's, then those the
    /// audit chain holds from before.  Blocks on the files: call it off the
    /// async threads.
    pub fn accesses(&self) -> impl Iterator<Item = Seen> + Send + 'static {
        self.access.accesses().chain(self.audit.accesses())
    }

    /// Where the audit chain (the PBX's) ends now, for `finished_since`.
    pub fn mark(&self) -> Mark {
        self.audit.mark()
    }

    /// The audit chain's entries of recordings that finished since `mark`
    /// (see `Log::finished_since`).  Blocks on the file: call it off the
    /// async threads.
    pub fn finished_since(&self, mark: Mark) -> (Vec<Entry>, Mark) {
        self.audit.finished_since(mark)
    }
}

impl Log {
    fn new(path: PathBuf) -> Log {
        Log {
            path,
            read: Mutex::new(Read::default()),
        }
    }

    /// Reads what was appended since the last call; returns the file.
    fn catch_up(&self, read: &mut Read) -> Option<File> {
        let Ok(mut f) = File::open(&self.path) else {
            if read.file.is_some() {
                read.restart(None);
            }
            return None;
        };
        let meta = f.metadata().ok()?;
        let file = Some((meta.dev(), meta.ino()));
        if read.file != file || meta.len() < read.end {
            read.restart(file);
        }
        if meta.len() > read.end {
            f.seek(SeekFrom::Start(read.end)).ok()?;
            let mut r = BufReader::with_capacity(1 << 16, &f);
            let mut line = Vec::new();
            loop {
                line.clear();
                let Ok(n) = r.read_until(b'\n', &mut line) else {
                    break;
                };
                if n == 0 || line.last() != Some(&b'\n') {
                    break;
                }
                let at = read.end;
                read.end += n as u64;
                // A line that is not an entry is `legrec verify`'s to name;
                // here it names no recording.
                if let Ok(head) = serde_json::from_slice::<Head>(&line) {
                    read.lines.push((id_hash(&head.id), at));
                    if trail::EVENTS.contains(&head.event.as_str()) {
                        read.accesses.push(at);
                    }
                    if FINISHED.contains(&head.event.as_str()) {
                        read.finished.push(at);
                    }
                }
            }
        }
        Some(f)
    }

    /// Catches up, then takes what `pick` wants of what has been read, and
    /// the file to read those lines back from.
    fn caught_up<T>(&self, pick: impl FnOnce(&Read) -> T) -> (Option<File>, T) {
        let mut read = self.read.lock().unwrap_or_else(|p| p.into_inner());
        let file = self.catch_up(&mut read);
        (file, pick(&read))
    }

    /// Every entry of this log about recording `id`, in order.
    fn entries_of(&self, id: &str) -> Vec<Entry> {
        let want = id_hash(id);
        let (file, starts) = self.caught_up(|read| {
            read.lines
                .iter()
                .filter(|(h, _)| *h == want)
                .map(|(_, at)| *at)
                .collect::<Vec<u64>>()
        });
        let Some(file) = file else {
            return Vec::new();
        };
        starts
            .into_iter()
            .filter_map(|at| entry_at(&file, at))
            .filter(|e| e.id == id)
            .collect()
    }

    /// Where the chain ends now, for `finished_since`.
    fn mark(&self) -> Mark {
        self.caught_up(|read| Mark {
            generation: read.generation,
            seen: read.finished.len(),
        })
        .1
    }

    /// The entries of recordings that finished since `mark` (all of them
    /// when the file was replaced since), and the mark to give next time.
    /// Blocks on the file: call it off the async threads.
    fn finished_since(&self, mark: Mark) -> (Vec<Entry>, Mark) {
        let (file, (starts, now)) = self.caught_up(|read| {
            let now = Mark {
                generation: read.generation,
                seen: read.finished.len(),
            };
            let from = if mark.generation == now.generation && mark.seen <= now.seen {
                mark.seen
            } else {
                0
            };
            (read.finished[from..].to_vec(), now)
        });
        let entries = match file {
            Some(file) => starts
                .into_iter()
                .filter_map(|at| entry_at(&file, at))
                .collect(),
            None => Vec::new(),
        };
        (entries, now)
    }

    /// The accesses of the log, newest first, read as they are taken.
    /// Blocks on the file: call it off the async threads.
    fn accesses(&self) -> impl Iterator<Item = Seen> + Send + 'static {
        let (file, starts) = self.caught_up(|read| read.accesses.clone());
        starts
            .into_iter()
            .rev()
            .filter_map(move |at| entry_at(file.as_ref()?, at))
            .filter_map(|e| trail::seen(&e))
    }
}

impl Read {
    /// Forgets what was read: `file` is read from its start.
    fn restart(&mut self, file: Option<(u64, u64)>) {
        *self = Read {
            file,
            generation: self.generation + 1,
            ..Read::default()
        };
    }
}

/// The entry of the line that starts at `at`.
fn entry_at(file: &File, at: u64) -> Option<Entry> {
    let mut r = BufReader::with_capacity(4096, file);
    r.seek(SeekFrom::Start(at)).ok()?;
    let mut line = Vec::new();
    r.read_until(b'\n', &mut line).ok()?;
    serde_json::from_slice(&line).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::trail::Access;
    use legrec::audit;
    use std::io::Write;

    fn access(user: &str) -> Access {
        Access {
            user: user.into(),
            role: "agent".into(),
            what: "stereo".into(),
            client: "127.0.0.1".into(),
            pbx: "pbx-a".into(),
        }
    }

    #[test]
    fn pages_read_their_own_lines_and_what_was_appended_since() {
        let d = tempfile::tempdir().unwrap();
        let log = layout::audit_log(d.path());
        let chain = Chain::new(d.path());
        assert!(chain.entries_of("a").is_empty(), "no chain yet");
        audit::append(&log, Entry::new("recorded", "a", "p", vec![], ""), 0o640).unwrap();
        audit::append(&log, Entry::new("recorded", "b", "p", vec![], ""), 0o640).unwrap();
        trail::append(d.path(), "played", "a", "p", &access("alice")).unwrap();
        assert_eq!(chain.entries_of("a").len(), 2);
        assert_eq!(chain.entries_of("b").len(), 1);
        assert!(chain.entries_of("c").is_empty());
        // Appended after the first read: found from where it ended.
        trail::append(d.path(), "downloaded", "b", "p", &access("bob")).unwrap();
        let seen: Vec<Seen> = chain.accesses().collect();
        assert_eq!(seen.len(), 2);
        assert_eq!(
            (seen[0].event.as_str(), seen[0].id.as_str()),
            ("downloaded", "b")
        );
        assert_eq!(seen[1].access, access("alice"));
        assert_eq!(chain.entries_of("b")[1].event, "downloaded");
        // The accesses went to the access trail, not the PBX's chain.
        assert_eq!(audit::verify_chain(&log).unwrap().len(), 2);
        // Half a line (an append under way) waits until it is whole.
        let trail = layout::access_log(d.path());
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&trail)
            .unwrap();
        f.write_all(b"{\"seq\":9,\"event\":\"played\",\"id\":\"a\"")
            .unwrap();
        assert_eq!(chain.entries_of("a").len(), 2);
        assert_eq!(chain.accesses().count(), 2);
    }

    /// Accesses chained in audit.jsonl before the access trail had its own
    /// chain are still read, after the new ones.
    #[test]
    fn accesses_of_the_audit_chain_from_before_are_still_read() {
        let d = tempfile::tempdir().unwrap();
        let log = layout::audit_log(d.path());
        audit::append(&log, Entry::new("recorded", "a", "p", vec![], ""), 0o640).unwrap();
        let old = serde_json::to_string(&access("old")).unwrap();
        audit::append(&log, Entry::new("played", "a", "p", vec![], &old), 0o640).unwrap();
        trail::append(d.path(), "played", "a", "p", &access("new")).unwrap();
        let chain = Chain::new(d.path());
        let users: Vec<String> = chain.accesses().map(|s| s.access.user).collect();
        assert_eq!(users, ["new", "old"]);
        let events: Vec<String> = chain.entries_of("a").into_iter().map(|e| e.event).collect();
        assert_eq!(events, ["recorded", "played", "played"]);
    }

    #[test]
    fn finished_recordings_since_a_mark_and_all_of_another_file() {
        let d = tempfile::tempdir().unwrap();
        let log = layout::audit_log(d.path());
        let chain = Chain::new(d.path());
        audit::append(&log, Entry::new("recorded", "a", "p", vec![], ""), 0o640).unwrap();
        let mark = chain.mark();
        trail::append(d.path(), "played", "a", "p", &access("alice")).unwrap();
        audit::append(&log, Entry::new("declined", "b", "p", vec![], ""), 0o640).unwrap();
        let (new, mark) = chain.finished_since(mark);
        let ids: Vec<&str> = new.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["b"], "only what finished since, no access");
        assert!(chain.finished_since(mark).0.is_empty());
        // A chain put back from a backup: every finished recording again.
        std::fs::remove_file(&log).unwrap();
        audit::append(&log, Entry::new("recorded", "c", "p", vec![], ""), 0o640).unwrap();
        audit::append(&log, Entry::new("failed", "d", "p", vec![], ""), 0o640).unwrap();
        let (new, _) = chain.finished_since(mark);
        let ids: Vec<&str> = new.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["c", "d"]);
    }

    #[test]
    fn another_file_in_its_place_is_read_from_its_start() {
        let d = tempfile::tempdir().unwrap();
        let log = layout::audit_log(d.path());
        let chain = Chain::new(d.path());
        audit::append(&log, Entry::new("recorded", "a", "p", vec![], ""), 0o640).unwrap();
        audit::append(&log, Entry::new("recorded", "b", "p", vec![], ""), 0o640).unwrap();
        assert_eq!(chain.entries_of("b").len(), 1);
        let backup = d.path().join("older.jsonl");
        std::fs::copy(&log, &backup).unwrap();
        std::fs::remove_file(&log).unwrap();
        assert!(chain.entries_of("b").is_empty(), "no chain: nothing");
        audit::append(
            &log,
            Entry::new("recorded", "b", "p", vec![], "again"),
            0o640,
        )
        .unwrap();
        let b = chain.entries_of("b");
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].note, "again");
        assert!(chain.entries_of("a").is_empty());
    }
}
