//! A leg's waveform as the page draws it: the loudest sample of each of a
//! few thousand slices, computed here from the FLAC file so the browser
//! never has to download and decode an hour of audio before it can show
//! the call (the `<audio>` element streams it by ranges instead).

use std::path::Path;

use serde::Serialize;

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
