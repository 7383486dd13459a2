//! Where a recording's files are on this server's disk.  The path is built
//! by `legrec::spool::layout` from the configured spool, the policy (a
//! checked name), the UTC day and the checked id, never from a file name
//! kept in the database.

use std::path::PathBuf;
use std::time::Duration;

use legrec::spool::layout::RecordingPaths;

use super::ids::Leg;
use crate::config::Config;
use crate::index::Summary;

/// The folder of a recording in the local spool; None when another PBX
/// made it or its sidecar is not here (shipped, then removed).
pub fn find(config: &Config, s: &Summary) -> Option<RecordingPaths> {
    if s.pbx != config.pbx_name {
        return None;
    }
    let started = humantime::parse_rfc3339_weak(&s.started_at).ok()?;
    // The day folder is the start's UTC day; a day either side covers a
    // clock that stepped between taking the id and opening the folder.
    let day = Duration::from_secs(86_400);
    [started, started - day, started + day]
        .into_iter()
        .filter_map(|t| RecordingPaths::new(&config.spool, &s.policy, t, &s.id).ok())
        .find(|p| p.sidecar().is_file())
}

/// The file of leg `leg` (or `sidecar`) under `paths`.
pub fn file(paths: &RecordingPaths, name: &str) -> Option<PathBuf> {
    Some(match name {
        "sidecar" => paths.sidecar(),
        _ => audio(paths, Leg::parse(name)?),
    })
}

pub fn audio(paths: &RecordingPaths, leg: Leg) -> PathBuf {
    match leg {
        Leg::Stereo => paths.stereo(),
        l => paths.leg(l.name()),
    }
}
