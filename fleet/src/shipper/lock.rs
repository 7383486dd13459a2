//! One shipper per spool: two would upload the same files and chain
//! "shipped" twice.  An flock on `<spool>/.ship/lock`, released by the
//! kernel when the process ends however it ends.

use std::io::Write;
use std::path::Path;

use legrec::spool::{files, layout};

pub struct Lock(#[allow(dead_code)] std::fs::File);

pub fn take(spool: &Path) -> Result<Lock, String> {
    let dir = layout::ship_dir(spool);
    files::create_dirs(&dir, 0o750).map_err(|e| format!("{}: {e}", dir.display()))?;
    let path = layout::ship_lock(spool);
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if !files::try_lock(&f).map_err(|e| format!("{}: {e}", path.display()))? {
        let holder = std::fs::read_to_string(&path).unwrap_or_default();
        return Err(format!(
            "another legrec ship is shipping {} (pid {}); one at a time",
            spool.display(),
            holder.trim()
        ));
    }
    let _ = f.set_len(0);
    let _ = write!(f, "{}", std::process::id());
    Ok(Lock(f))
}
