//! Where a recording lies on disk, the one place that spells it:
//!
//! ```text
//! <spool_dir>/audit.jsonl                          the audit chain
//! <spool_dir>/access.jsonl                         the access trail (plays, downloads,
//!                                                  exports), chained on its own
//! <spool_dir>/.anchors/<seq>.tsr                   an RFC 3161 token of entry seq
//! <spool_dir>/.anchors/tsa-ca.pem                  the CA it was checked against
//! <spool_dir>/.notify/<id>.delivery                a webhook not yet delivered
//! <spool_dir>/.notify/given-up/<id>.delivery       one that was given up
//! <spool_dir>/.ship/lock                           held by the one legrec ship
//! <spool_dir>/.ship/<id>.shipped                   what it shipped of a recording
//! <spool_dir>/<policy>/<YYYY-MM-DD>/<id>-in.flac   what the party said
//!                                   <id>-out.flac  what the party heard
//!                                   <id>.flac      both, L = in, R = out
//!                                   <id>.json      the sidecar, once final
//!                                   <id>.inprogress.json  while recording
//! ```
//!
//! Paths are built only from a checked policy name, the UTC date and a
//! generated id: nothing a caller typed in the dialplan becomes part of a
//! path.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::SystemTime;

use crate::policy::config::{valid_policy_name, LegsLayout};

/// The two legs, by the names files and sidecars use: what the recorded
/// party says (`in`) and hears (`out`).
pub const LEG_NAMES: [&str; 2] = ["in", "out"];
/// The sidecar's name for the stereo file (L = in, R = out).
pub const STEREO_NAME: &str = "stereo";

const AUDIT_LOG: &str = "audit.jsonl";
const ACCESS_LOG: &str = "access.jsonl";
const SIDECAR: &str = ".json";
const DELIVERY: &str = ".delivery";
const MARKER: &str = ".inprogress.json";
const STEREO: &str = ".flac";
const LEG_IN: &str = "-in.flac";
const LEG_OUT: &str = "-out.flac";
const SHIPPED: &str = ".shipped";

/// One audio file of a recording: the leg name the sidecar gives it
/// (`in`, `out`, `stereo`), where it is, how many channels it has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AudioFile {
    pub name: &'static str,
    /// Which leg (`LEG_NAMES` index) a split file holds; None for stereo.
    pub leg: Option<usize>,
    pub path: PathBuf,
    pub channels: u32,
}

/// A recording id: `YYYYMMDD-HHMMSS-mmm-xxxxxxxx`, UTC, so ids sort by start
/// time; the last part is random plus a process counter, so two recordings
/// started in the same millisecond differ.
pub fn new_id(now: SystemTime) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let stamp = humantime::format_rfc3339_millis(now).to_string(); // 2026-11-28T08:21:56.123Z
    let digits: String = stamp.chars().filter(|c| c.is_ascii_digit()).collect(); // 20261128082156123
    let mut rnd = [0u8; 2];
    let _ = getrandom::getrandom(&mut rnd);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed) & 0xffff;
    format!(
        "{}-{}-{}-{:02x}{:02x}{:04x}",
        &digits[0..8],
        &digits[8..14],
        &digits[14..17],
        rnd[0],
        rnd[1],
        n
    )
}

/// Is `s` an id as [`new_id`] makes them: `YYYYMMDD-HHMMSS-mmm-xxxxxxxx`
/// (UTC digits, then eight lower-case hex)?  The browser lets nothing else
/// from a URL near the file system.
pub fn valid_id(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 28
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 15 | 19 => *c == b'-',
            0..=18 => c.is_ascii_digit(),
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(c),
        })
}

/// The UTC day folder name of a moment: `YYYY-MM-DD`.
pub fn day(now: SystemTime) -> String {
    humantime::format_rfc3339_seconds(now).to_string()[..10].to_string()
}

/// The files of one recording.
#[derive(Clone, Debug)]
pub struct RecordingPaths {
    pub spool: PathBuf,
    pub dir: PathBuf,
    pub id: String,
}

impl RecordingPaths {
    pub fn new(spool: &Path, policy: &str, now: SystemTime, id: &str) -> io::Result<Self> {
        if !valid_policy_name(policy) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "invalid policy name",
            ));
        }
        Ok(RecordingPaths {
            spool: spool.to_path_buf(),
            dir: spool.join(policy).join(day(now)),
            id: id.to_string(),
        })
    }
    /// The recording whose sidecar, marker or audio file `path` is: its
    /// folder and id.  None for any other file name.
    pub fn of_file(path: &Path) -> Option<Self> {
        let name = path.file_name()?.to_str()?;
        let id = [MARKER, SIDECAR, LEG_IN, LEG_OUT, STEREO]
            .iter()
            .find_map(|suffix| name.strip_suffix(suffix))
            .filter(|id| !id.is_empty())?;
        let dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
        Some(RecordingPaths {
            spool: spool_of(&dir),
            dir,
            id: id.to_string(),
        })
    }
    pub fn leg(&self, leg: &str) -> PathBuf {
        self.dir.join(format!("{}-{leg}.flac", self.id))
    }
    pub fn stereo(&self) -> PathBuf {
        self.dir.join(format!("{}{STEREO}", self.id))
    }
    pub fn sidecar(&self) -> PathBuf {
        self.dir.join(format!("{}{SIDECAR}", self.id))
    }
    /// Present only while recording: a crash leaves it behind.
    pub fn marker(&self) -> PathBuf {
        self.dir.join(format!("{}{MARKER}", self.id))
    }
    /// The audio files a recording under `layout` writes, in the order the
    /// sidecar lists them: the split legs, then the stereo file.
    pub fn audio(&self, layout: LegsLayout) -> Vec<AudioFile> {
        let mut files = Vec::new();
        if layout.split() {
            for (i, name) in LEG_NAMES.into_iter().enumerate() {
                files.push(AudioFile {
                    name,
                    leg: Some(i),
                    path: self.leg(name),
                    channels: 1,
                });
            }
        }
        if layout.stereo() {
            files.push(AudioFile {
                name: STEREO_NAME,
                leg: None,
                path: self.stereo(),
                channels: 2,
            });
        }
        files
    }
}

/// True for a final sidecar, false for a marker or anything else.
pub fn is_sidecar(path: &Path) -> bool {
    let name = path.to_string_lossy();
    name.ends_with(SIDECAR) && !name.ends_with(MARKER)
}

/// The file name of recording `id`'s sidecar (as the sidecar's own file
/// list and the bucket's object keys give it).
pub fn sidecar_name(id: &str) -> String {
    format!("{id}{SIDECAR}")
}

/// The id of a final sidecar, from its file name.
pub fn id_of_sidecar(path: &Path) -> Option<String> {
    if !is_sidecar(path) {
        return None;
    }
    let name = path.file_name()?.to_str()?;
    Some(name.strip_suffix(SIDECAR)?.to_string())
}

/// True for a FLAC file (a leg or the stereo file).
pub fn is_flac(path: &Path) -> bool {
    path.to_string_lossy().ends_with(STEREO)
}

/// True for an in-progress marker.
pub fn is_marker(path: &Path) -> bool {
    path.to_string_lossy().ends_with(MARKER)
}

/// Every final sidecar under `root` (or `root` itself), sorted.
pub fn sidecars(root: &Path) -> Vec<PathBuf> {
    let mut v = find_files(root, SIDECAR);
    v.retain(|p| is_sidecar(p));
    v
}

/// Every in-progress marker under `root`, sorted.
pub fn markers(root: &Path) -> Vec<PathBuf> {
    find_files(root, MARKER)
}

/// The sidecar, or else the marker, of the recording `id` under `spool`.
pub fn find_recording(spool: &Path, id: &str) -> Option<PathBuf> {
    let (sidecar, marker) = (format!("{id}{SIDECAR}"), format!("{id}{MARKER}"));
    find_files(spool, SIDECAR).into_iter().find(|f| {
        f.file_name()
            .is_some_and(|n| n == sidecar.as_str() || n == marker.as_str())
    })
}

/// Every file under `root` (or `root` itself) whose name ends with `suffix`.
/// Symbolic links below `root` are not followed (`root` itself may be
/// one): the spool has none of its own, and a link back up the tree
/// (`a -> ..`) made the walk double at every level, for ever.
pub fn find_files(root: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![(root.to_path_buf(), root.is_dir())];
    while let Some((p, dir)) = stack.pop() {
        if dir {
            if let Ok(rd) = std::fs::read_dir(&p) {
                for e in rd.flatten() {
                    match e.file_type() {
                        Ok(t) if t.is_dir() => stack.push((e.path(), true)),
                        Ok(t) if t.is_file() => stack.push((e.path(), false)),
                        _ => {}
                    }
                }
            }
        } else if p.to_string_lossy().ends_with(suffix) {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// The audit chain of the spool `spool`.
pub fn audit_log(spool: &Path) -> PathBuf {
    spool.join(AUDIT_LOG)
}

/// The access trail of the spool `spool`: its own chain, so whoever reads
/// recordings never holds the lock the PBX appends under.
pub fn access_log(spool: &Path) -> PathBuf {
    spool.join(ACCESS_LOG)
}

/// Where `legrec anchor` keeps the TSA's tokens (a policy name cannot
/// start with a dot, so this is never a policy's folder).
pub fn anchors_dir(spool: &Path) -> PathBuf {
    spool.join(".anchors")
}

/// The token that stamps entry `seq` of the chain.
pub fn anchor_token(spool: &Path, seq: u64) -> PathBuf {
    anchors_dir(spool).join(format!("{seq:012}.tsr"))
}

/// The seq a token's file name gives, if it is one.
pub fn anchor_seq(token: &Path) -> Option<u64> {
    token
        .file_name()?
        .to_str()?
        .strip_suffix(".tsr")?
        .parse()
        .ok()
}

/// The copy of the TSA's CA kept beside the tokens (for `legrec verify`
/// without a legrec.conf; a forger could replace it, so the admin's own
/// `tsa_ca` is what counts).
pub fn anchor_ca(spool: &Path) -> PathBuf {
    anchors_dir(spool).join("tsa-ca.pem")
}

/// Where undelivered webhooks wait (a policy name cannot start with a dot,
/// so this is never a policy's folder).
pub fn notify_queue(spool: &Path) -> PathBuf {
    spool.join(".notify")
}

/// The queued webhook of recording `id`.
pub fn delivery(spool: &Path, id: &str) -> PathBuf {
    notify_queue(spool).join(format!("{id}{DELIVERY}"))
}

/// Every queued webhook under `spool`, sorted (oldest id first).
pub fn deliveries(spool: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(notify_queue(spool))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(DELIVERY))
        .collect();
    v.sort();
    v
}

/// Where a webhook that was given up goes, for the admin to see.
pub fn given_up(spool: &Path) -> PathBuf {
    notify_queue(spool).join("given-up")
}

/// What `legrec ship` keeps of each recording it shipped (beside the
/// audit chain, which has the last word).
pub fn ship_dir(spool: &Path) -> PathBuf {
    spool.join(".ship")
}

/// The shipping state of recording `id`.
pub fn ship_state(spool: &Path, id: &str) -> PathBuf {
    ship_dir(spool).join(format!("{id}{SHIPPED}"))
}

/// Where a new shipping state is written before it is renamed over the
/// old one.
pub fn ship_state_new(spool: &Path, id: &str) -> PathBuf {
    ship_dir(spool).join(format!("{id}{SHIPPED}.tmp"))
}

/// The recording a shipping state (a file in [`ship_dir`]) is of.
pub fn id_of_ship_state(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    Some(name.strip_suffix(SHIPPED)?.to_string())
}

/// The lock one `legrec ship` per spool holds.
pub fn ship_lock(spool: &Path) -> PathBuf {
    ship_dir(spool).join("lock")
}

/// The audit log of the spool `path` lies in (a spool, a policy or day
/// folder, or a file in one), if there is one yet.
pub fn find_audit_log(path: &Path) -> Option<PathBuf> {
    path.ancestors()
        .take(4)
        .map(audit_log)
        .find(|p| p.is_file())
}

/// The spool a day folder belongs to: where its audit log is, else two
/// folders up (`<spool>/<policy>/<day>`).
pub fn spool_of(dir: &Path) -> PathBuf {
    find_audit_log(dir)
        .and_then(|log| log.parent().map(Path::to_path_buf))
        .or_else(|| dir.ancestors().nth(2).map(Path::to_path_buf))
        .unwrap_or_else(|| dir.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn ids_sort_by_time_and_are_unique() {
        let t = UNIX_EPOCH + Duration::from_millis(1_795_000_000_123);
        let a = new_id(t);
        let b = new_id(t);
        let c = new_id(t + Duration::from_millis(1));
        assert_ne!(a, b);
        assert!(a[..19] < c[..19]);
        assert_eq!(a.len(), "20261128-082156-123-0000abcd".len());
        assert_eq!(day(t), "2026-11-18");
    }

    #[test]
    fn every_file_of_a_recording_names_it() {
        let p = RecordingPaths::new(Path::new("/s"), "sales", UNIX_EPOCH, "ID").unwrap();
        let mut files: Vec<PathBuf> = p
            .audio(LegsLayout::Both)
            .into_iter()
            .map(|f| f.path)
            .collect();
        files.extend([p.sidecar(), p.marker()]);
        for f in &files {
            let back = RecordingPaths::of_file(f).unwrap();
            assert_eq!(
                (back.dir.as_path(), back.id.as_str()),
                (p.dir.as_path(), "ID"),
                "{f:?}"
            );
        }
        assert!(RecordingPaths::of_file(Path::new("/s/audit.jsonl")).is_none());
        assert!(is_marker(&p.marker()) && !is_sidecar(&p.marker()));
        assert!(is_sidecar(&p.sidecar()) && !is_marker(&p.sidecar()));
        let names: Vec<_> = p.audio(LegsLayout::Both).iter().map(|f| f.name).collect();
        assert_eq!(names, ["in", "out", "stereo"]);
        assert_eq!(p.audio(LegsLayout::Stereo).len(), 1);
    }

    proptest! {
        #[test]
        fn no_policy_text_escapes_the_spool(policy in ".{0,80}") {
            let spool = Path::new("/spool");
            match RecordingPaths::new(spool, &policy, UNIX_EPOCH, "id") {
                Ok(p) => {
                    prop_assert!(valid_policy_name(&policy));
                    prop_assert_eq!(p.dir.parent().unwrap().parent().unwrap(), spool);
                    prop_assert!(!policy.contains('/') && policy != ".." && policy != ".");
                }
                Err(_) => prop_assert!(!valid_policy_name(&policy)),
            }
        }
    }
}
