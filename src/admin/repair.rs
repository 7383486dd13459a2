//! `legrec repair PATH`: make a FLAC file cut by a crash whole again.
//!
//! Every frame that still decodes is kept: the audio is decoded up to the
//! cut and encoded again with the same tags, so STREAMINFO (length, MD5) is
//! right.  Given a recording's in-progress marker, every leg is repaired and
//! the sidecar is rebuilt with status `interrupted`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::flac::decoder::decode_file;
use crate::flac::encoder::{FlacSpec, FlacWriter};
use crate::policy::config::LegsLayout;
use crate::sidecar::LegFile;
use crate::spool::digest::hash_file;
use crate::spool::files::{create_new, try_lock, write_atomic};
use crate::spool::layout::{self, RecordingPaths};

/// What repairing one file did.
#[derive(Debug)]
pub struct Repaired {
    pub samples: u64,
    pub channels: u32,
    pub sample_rate: u32,
    pub cut: Option<String>,
}

/// Re-encode the decodable part of `path` in place (atomically).
pub fn repair_flac(path: &Path) -> Result<Repaired, String> {
    let mut frames: Vec<Vec<i16>> = Vec::new();
    let decoded =
        decode_file(path, &mut |f, _| frames.push(f.to_vec())).map_err(|e| e.to_string())?;
    let info = &decoded.info;
    if info.channels == 0 || info.sample_rate == 0 {
        return Err(format!(
            "{}: no usable STREAMINFO; nothing to recover",
            path.display()
        ));
    }
    let tmp = path.with_extension("flac.repair");
    let _ = std::fs::remove_file(&tmp);
    let mode = std::fs::metadata(path)
        .map(|m| std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o777)
        .unwrap_or(0o640);
    let file = create_new(&tmp, mode).map_err(|e| format!("{}: {e}", tmp.display()))?;
    let result = (|| {
        let mut w = FlacWriter::new(
            file,
            &FlacSpec {
                channels: info.channels,
                sample_rate: info.sample_rate,
                compression_level: 5,
                blocksize: 0,
                tags: info.tags.clone(),
            },
        )?;
        for f in &frames {
            w.write(f)?;
        }
        w.finish()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(format!("{}: {e}", path.display()));
    }
    Ok(Repaired {
        samples: decoded.samples,
        channels: info.channels,
        sample_rate: info.sample_rate,
        cut: decoded.error,
    })
}

/// Repair every leg of the recording whose marker is `marker` and write
/// its sidecar.  Returns the sidecar path.
///
/// `by` names who repaired it in the sidecar's reason and the audit entry.
/// A marker still locked by a live PBX process is refused.
pub fn repair_recording(marker: &Path, by: &str) -> Result<PathBuf, String> {
    match lock_marker(marker)? {
        Some(_held) => repair_held(marker, by).map(|(sidecar, _)| sidecar),
        None => Err(format!(
            "{}: still being recorded (a running PBX holds it); not repaired",
            marker.display()
        )),
    }
}

/// Take a marker's lock: None when a live recording holds it.  The lock
/// lasts as long as the returned file.  A live recording replaces its
/// marker (files::replace_locked) and then lets the old one's lock go, so
/// the lock only counts if the path still names the file that was locked.
fn lock_marker(marker: &Path) -> Result<Option<std::fs::File>, String> {
    use std::os::unix::fs::MetadataExt;
    let f = std::fs::File::open(marker).map_err(|e| format!("{}: {e}", marker.display()))?;
    match try_lock(&f) {
        Ok(true) => {
            let held = f
                .metadata()
                .map_err(|e| format!("{}: {e}", marker.display()))?;
            let same = std::fs::metadata(marker)
                .is_ok_and(|now| (now.dev(), now.ino()) == (held.dev(), held.ino()));
            Ok(same.then_some(f))
        }
        Ok(false) => Ok(None),
        Err(e) => Err(format!("{}: cannot lock: {e}", marker.display())),
    }
}

/// The repair itself, with the marker's lock held by the caller.  Returns
/// the sidecar path and the seconds kept (the longest leg).
fn repair_held(marker: &Path, by: &str) -> Result<(PathBuf, f64), String> {
    let mut sc = super::read_sidecar(marker)?;
    let dir = marker.parent().unwrap_or(Path::new("."));
    let id = sc.id.clone();
    if id.is_empty() || id.contains('/') {
        return Err(format!("{}: marker has no usable id", marker.display()));
    }
    let mut legs = Vec::new();
    let mut notes = Vec::new();
    let paths = RecordingPaths {
        spool: layout::spool_of(dir),
        dir: dir.to_path_buf(),
        id: id.clone(),
    };
    // Whatever the policy was then: every audio file it may have written.
    for layout::AudioFile {
        name,
        path,
        channels,
        ..
    } in paths.audio(LegsLayout::Both)
    {
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !path.exists() {
            continue;
        }
        let r = repair_flac(&path)?;
        if let Some(cut) = &r.cut {
            notes.push(format!("{file}: {cut}"));
        }
        let (sha256, flac_md5) = hash_file(&path).map_err(|e| e.to_string())?;
        legs.push(LegFile {
            name: name.to_string(),
            file,
            channels,
            sample_rate: r.sample_rate,
            samples: r.samples,
            sha256,
            flac_md5,
            ..Default::default()
        });
    }
    sc.legs = legs;
    sc.status = "interrupted".to_string();
    sc.reason = Some(format!(
        "the PBX stopped while recording; repaired by {by}{}{}",
        if notes.is_empty() { "" } else { ": " },
        notes.join("; ")
    ));
    let sidecar = paths.sidecar();
    let json = serde_json::to_vec_pretty(&sc).map_err(|e| e.to_string())?;
    write_atomic(&sidecar, &json, 0o640).map_err(|e| format!("{}: {e}", sidecar.display()))?;
    std::fs::remove_file(marker).map_err(|e| format!("{}: {e}", marker.display()))?;
    // The entry is chained in the sidecar's spool even when no recording
    // had finished there before the crash.
    crate::audit::record(
        &paths.spool,
        "interrupted",
        &sidecar,
        &sc,
        &json,
        &format!("repaired by {by}"),
        0o640,
    )
    .map_err(|e| format!("audit log: {e}"))?;
    let seconds = sc
        .legs
        .iter()
        .map(|l| l.samples as f64 / f64::from(l.sample_rate.max(1)))
        .fold(0.0, f64::max);
    Ok((sidecar, seconds))
}

/// What [`repair_spool`] did with one marker.
pub enum SpoolRepair {
    Repaired {
        sidecar: PathBuf,
        seconds: f64,
    },
    /// A live PBX process holds it: not touched.
    Live,
    Failed(String),
}

/// Repair every interrupted recording under `spool`: the markers no live
/// process holds.  `each` hears about every marker; `stop` is checked
/// between recordings so an unload need not wait for a large spool.
pub fn repair_spool(
    spool: &Path,
    by: &str,
    stop: &dyn Fn() -> bool,
    each: &mut dyn FnMut(&Path, SpoolRepair),
) {
    for marker in layout::markers(spool) {
        if stop() {
            return;
        }
        let result = match lock_marker(&marker) {
            Ok(Some(_held)) => match repair_held(&marker, by) {
                Ok((sidecar, seconds)) => SpoolRepair::Repaired { sidecar, seconds },
                Err(e) => SpoolRepair::Failed(e),
            },
            Ok(None) => SpoolRepair::Live,
            Err(e) => SpoolRepair::Failed(e),
        };
        each(&marker, result);
    }
}

/// The repair a PBX admin would otherwise run by hand after a crash:
/// `legrec repair <spool>`, logged to the PBX console.  Run beside the
/// recorder by whoever starts it (`repair_interrupted = yes`); `stop` is
/// the recorder shutting down.
pub fn repair_at_start(spool: &Path, stop: &AtomicBool) {
    let mut repaired = 0;
    let by = "legrec at module load";
    repair_spool(
        spool,
        by,
        &|| stop.load(Ordering::Acquire),
        &mut |marker, r| match r {
            SpoolRepair::Repaired { sidecar, seconds } => {
                repaired += 1;
                log::warn!("repaired a recording interrupted by a crash: {} ({seconds:.1} s kept, status interrupted)", sidecar.display());
            }
            SpoolRepair::Live => {
                log::debug!(
                    "{} is being recorded by another process; left alone",
                    marker.display()
                )
            }
            SpoolRepair::Failed(e) => log::error!("cannot repair an interrupted recording: {e}"),
        },
    );
    if repaired > 0 {
        log::info!(target: "notice", "repaired {repaired} interrupted recording(s) under {}", spool.display());
    }
}
