//! The `legrec` admin tool: verify, repair and inspect recordings.

pub mod anchor;
pub mod bundle;
pub mod erase;
pub mod evidence;
pub mod hold;
pub mod info;
pub mod prune;
pub mod repair;
pub mod subject;
pub mod verify;

use std::path::Path;

use crate::sidecar::Sidecar;

pub fn read_sidecar(path: &Path) -> Result<Sidecar, String> {
    let text = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_slice(&text)
        .map_err(|e| format!("{}: not a legrec sidecar: {e}", path.display()))
}
