//! One leg's timeline from its ring to its file: samples as they came,
//! silence for dropped frames, resampling for frames at another rate, and
//! the samples the stereo file waits for.

use std::io;

use super::resample::LegResampler;
use crate::flac::encoder::FlacWriter;
use crate::recorder::ring::{LegConsumer, LegEvent, Piece};

/// Samples handed to the encoder per call.
pub(super) const WRITE_CHUNK: usize = 1024;

/// Output side of one leg: everything after the ring.
pub(super) struct LegOutput {
    pub(super) flac: Option<FlacWriter>,
    /// Samples kept for the stereo file until the other leg catches up.
    pub(super) pending: Option<Vec<i16>>,
    pub(super) samples: u64,
    pub(super) dropped: u64,
    pub(super) filled: u64,
}

impl LegOutput {
    pub(super) fn write(&mut self, s: &[i16]) -> io::Result<()> {
        if let Some(f) = &mut self.flac {
            // A poll can drain seconds of audio at once; bounded pieces
            // keep the encoder's conversion buffer small.
            for piece in s.chunks(WRITE_CHUNK) {
                f.write(piece)?;
            }
        }
        if let Some(p) = &mut self.pending {
            p.extend_from_slice(s);
        }
        self.samples += s.len() as u64;
        Ok(())
    }

    pub(super) fn silence(&mut self, n: u64) -> io::Result<()> {
        if let Some(f) = &mut self.flac {
            f.write_silence(n)?;
        }
        if let Some(p) = &mut self.pending {
            p.resize(p.len() + n as usize, 0);
        }
        self.samples += n;
        Ok(())
    }
}

/// One leg from its ring to its file.
pub(super) struct Track {
    pub(super) consumer: LegConsumer,
    pub(super) leg_rate: u32,
    pub(super) src_rate: u32,
    pub(super) resampler: Option<LegResampler>,
    /// Frames came at another rate than the policy's (the sidecar says so).
    pub(super) rate_mismatch: bool,
    pub(super) out: LegOutput,
}

impl Track {
    /// Move what the ring holds into the file, on the leg's timeline.
    pub(super) fn drain(&mut self) -> io::Result<()> {
        let Track {
            consumer,
            leg_rate,
            src_rate,
            resampler,
            rate_mismatch,
            out,
        } = self;
        let mut result = Ok(());
        consumer.drain(|piece| {
            if result.is_err() {
                return;
            }
            result = match piece {
                Piece::Samples(s) => match resampler {
                    Some(r) => {
                        let mut r_out = Ok(());
                        r.push(s, &mut |o| {
                            if r_out.is_ok() {
                                r_out = out.write(o);
                            }
                        });
                        r_out
                    }
                    None => out.write(s),
                },
                Piece::Event(LegEvent::Gap { samples, .. }) => {
                    out.dropped += samples;
                    flush(resampler, out).and_then(|_| out.silence(samples))
                }
                Piece::Event(LegEvent::Rate { rate, .. }) => {
                    let flushed = flush(resampler, out);
                    *src_rate = rate;
                    *resampler = if rate == *leg_rate {
                        None
                    } else {
                        *rate_mismatch = true;
                        LegResampler::new(rate, *leg_rate)
                    };
                    flushed
                }
            };
        });
        result
    }
}

pub(super) fn flush(resampler: &mut Option<LegResampler>, out: &mut LegOutput) -> io::Result<()> {
    let mut result = Ok(());
    if let Some(r) = resampler {
        r.flush(&mut |o| {
            if result.is_ok() {
                result = out.write(o);
            }
        });
    }
    result
}
