//! A leg's waveform as the page draws it: the loudest sample of each of a
//! few thousand slices, computed here from the FLAC file so the browser
//! never has to download and decode an hour of audio before it can show
//! the call (the `<audio>` element streams it by ranges instead).

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;

/// Waveforms kept: each is at most 8000 numbers (32 KiB), so 256 are
/// 8 MiB at most, the recordings a team has open in a morning.
const CACHED: usize = 256;

/// Where a waveform's bytes come from.
pub enum Origin {
    File(PathBuf),
    Object(String),
}

/// A waveform's source as it is now: a local file by its path and what
/// changes with any write to it (inode, size, modification and change
/// times: a change time cannot be set back), an object by its key; with
/// the SHA-256 the index has and the channel.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Key(String);

impl Key {
    pub fn of(origin: &Origin, sha256: &str, channel: usize) -> Key {
        let at = match origin {
            Origin::File(p) => match std::fs::metadata(p) {
                Ok(m) => format!(
                    "{} {} {} {}.{} {}.{}",
                    p.display(),
                    m.ino(),
                    m.len(),
                    m.mtime(),
                    m.mtime_nsec(),
                    m.ctime(),
                    m.ctime_nsec()
                ),
                Err(_) => format!("{} (unreadable)", p.display()),
            },
            Origin::Object(k) => format!("s3 {k}"),
        };
        Key(format!("{at} {sha256} {channel}"))
    }
}

/// Waveforms computed, by Key: decoding an hour of FLAC for each view of
/// a page was seconds of a core each time.
#[derive(Default)]
pub struct Cache(Mutex<HashMap<Key, Peaks>>);

impl Cache {
    pub fn get(&self, key: &Key) -> Option<Peaks> {
        let m = self.0.lock().unwrap_or_else(|p| p.into_inner());
        m.get(key).cloned()
    }

    pub fn put(&self, key: Key, peaks: Peaks) {
        let mut m = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if m.len() >= CACHED {
            // Not the least recent: any, which keeps the bound simply.
            let drop: Vec<Key> = m.keys().take(CACHED / 2).cloned().collect();
            for k in drop {
                m.remove(&k);
            }
        }
        m.insert(key, peaks);
    }
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Peaks {
    pub duration: f64,
    /// 0..1, one per slice of `duration / peaks.len()` seconds.
    pub peaks: Vec<f32>,
}

/// Slices for a recording of `seconds`: 50 a second, at most 8000.
fn slices(seconds: f64) -> usize {
    ((seconds * 50.0) as usize).clamp(1, 8000)
}

/// The peaks of channel `channel` of the FLAC file at `path`; `samples` and
/// `rate` from the sidecar say how long it is.  Blocking.
pub fn of_file(path: &Path, channel: usize, samples: u64, rate: u32) -> std::io::Result<Peaks> {
    let duration = if rate == 0 {
        0.0
    } else {
        samples as f64 / f64::from(rate)
    };
    let n = slices(duration);
    let per = (samples as usize).div_ceil(n).max(1);
    let mut peaks = vec![0u16; n];
    let mut at = 0usize;
    let decoded = legrec::flac::decoder::decode_file(path, &mut |frame, channels| {
        let channels = channels.max(1) as usize;
        for s in frame.iter().skip(channel).step_by(channels) {
            if let Some(p) = peaks.get_mut(at / per) {
                *p = (*p).max(s.unsigned_abs());
            }
            at += 1;
        }
    })?;
    if let Some(e) = decoded.error {
        if decoded.samples == 0 {
            return Err(std::io::Error::other(e));
        }
    }
    Ok(Peaks {
        duration,
        peaks: peaks
            .into_iter()
            .map(|p| (f32::from(p) / 32768.0 * 1000.0).round() / 1000.0)
            .collect(),
    })
}
