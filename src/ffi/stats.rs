//! A recording's counters as the header's `legrec_recording_stats`: for a
//! recording handle and for each live recording a core lists.

use std::sync::atomic::Ordering;

use super::bindings::legrec_recording_stats;
use crate::recorder::intake::recording::Recording;

pub(crate) fn stats(rec: &Recording) -> legrec_recording_stats {
    let leg = |i: usize| &rec.legs[i];
    legrec_recording_stats {
        seconds: rec.recorded_samples.load(Ordering::Relaxed) as f64
            / f64::from(rec.policy.sample_rate),
        dropped_samples: [0, 1].map(|i| leg(i).dropped_samples.load(Ordering::Relaxed)),
        dropped_frames: [0, 1].map(|i| leg(i).dropped_frames.load(Ordering::Relaxed)),
        pushed_samples: [0, 1].map(|i| leg(i).pushed_samples.load(Ordering::Relaxed)),
        masked: rec.is_masked(),
        paused: rec.is_paused(),
        stopped: rec.is_stopped(),
    }
}
