//! How a recording's files are created: O_EXCL (never overwriting, never
//! following a symlink planted at the name), with the configured modes,
//! atomically where a reader must never see half a file.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

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

/// Replace the locked file at `path` with `bytes`, keeping it locked: a
/// new file beside it is locked (try_lock) before it is renamed over, so
/// whoever opens `path` at any moment finds a locked file, and a process
/// killed at any moment leaves the old content or the new, never a part.
/// Returns the new file, whose lock the caller now holds (dropping the old
/// one's).  Not synced: this runs on an encoder thread once a second per
/// live recording, and what it guards against is the PBX being killed.
pub fn replace_locked(path: &Path, bytes: &[u8], mode: u32) -> io::Result<File> {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let result = (|| {
        let mut f = create_new(&tmp, mode)?;
        if !try_lock(&f)? {
            return Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                "locked by another process",
            ));
        }
        f.write_all(bytes)?;
        std::fs::rename(&tmp, path)?;
        Ok(f)
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
}
