//! Where a recording's files go and how they are created.
//!
//! Paths are built only from a checked policy name, the UTC date and a
//! generated id: nothing a caller typed in the dialplan becomes part of a
//! path.  Files are created with O_EXCL (never overwriting, never following a
//! symlink planted at the name) and with the configured modes.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::SystemTime;

use crate::policy::config::valid_policy_name;

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
    pub fn leg(&self, leg: &str) -> PathBuf {
        self.dir.join(format!("{}-{leg}.flac", self.id))
    }
    pub fn stereo(&self) -> PathBuf {
        self.dir.join(format!("{}.flac", self.id))
    }
    pub fn sidecar(&self) -> PathBuf {
        self.dir.join(format!("{}.json", self.id))
    }
    /// Present only while recording: a crash leaves it behind.
    pub fn marker(&self) -> PathBuf {
        self.dir.join(format!("{}.inprogress.json", self.id))
    }
}

/// Create `dir` and its missing parents with `mode`.
pub fn create_dirs(dir: &Path, mode: u32) -> io::Result<()> {
    DirBuilder::new().recursive(true).mode(mode).create(dir)
}

/// Create a new file; fails if anything (file or symlink) is at `path`.
pub fn create_new(path: &Path, mode: u32) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .read(true)
        .create_new(true)
        .mode(mode)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
}

/// Write `bytes` to `path` atomically: a new temporary file beside it,
/// synced, then renamed over.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let result = (|| {
        let mut f = create_new(&tmp, mode)?;
        f.write_all(bytes)?;
        f.sync_data()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Take `f`'s exclusive advisory lock without waiting.  A recording holds
/// its in-progress marker locked while it lives, so `legrec repair` (and the
/// repair at start) can tell a crashed recording from one another PBX
/// process is still writing: the kernel drops the lock when the process
/// dies.  Ok(false) when someone else holds it.
pub fn try_lock(f: &File) -> io::Result<bool> {
    use std::os::fd::AsRawFd;
    // SAFETY: flock on a descriptor we own; no memory is passed.
    if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
        return Ok(true);
    }
    let e = io::Error::last_os_error();
    if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Ok(false)
    } else {
        Err(e)
    }
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
    fn create_new_refuses_existing_files_and_symlinks() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("x.flac");
        create_new(&p, 0o640).unwrap();
        assert!(create_new(&p, 0o640).is_err());
        let link = d.path().join("link.flac");
        std::os::unix::fs::symlink(d.path().join("target"), &link).unwrap();
        assert!(create_new(&link, 0o640).is_err());
        assert!(!d.path().join("target").exists());
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
