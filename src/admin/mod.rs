//! The `legrec` admin tool: verify, repair and inspect recordings.

pub mod info;
pub mod prune;
pub mod repair;
pub mod verify;

use std::path::{Path, PathBuf};

use crate::sidecar::Sidecar;

/// Every file under `root` (or `root` itself) whose name ends with `suffix`.
pub fn find_files(root: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            if let Ok(rd) = std::fs::read_dir(&p) {
                for e in rd.flatten() {
                    stack.push(e.path());
                }
            }
        } else if p.to_string_lossy().ends_with(suffix) {
            out.push(p);
        }
    }
    out.sort();
    out
}

pub fn read_sidecar(path: &Path) -> Result<Sidecar, String> {
    let text = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_slice(&text)
        .map_err(|e| format!("{}: not a legrec sidecar: {e}", path.display()))
}
