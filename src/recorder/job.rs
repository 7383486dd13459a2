//! Where a frame becomes FLAC: a worker's state for one recording.
//!
//! Each poll drains both legs' rings into their encoders, keeps the legs on
//! one timeline (silence for a direction that sent nothing, silence for
//! dropped frames, resampling for frames at another rate), and feeds the
//! stereo file.  `finalize` closes the files and writes the sidecar.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use super::failpoint;
use super::resample::LegResampler;
use super::ring::{LegConsumer, LegEvent, Piece};
use super::session::{Consent as Decision, Outcome, Recording, BEEP_HZ};
use crate::flac::encoder::FlacWriter;
use crate::policy::config::{ConsentMode, DeclinedAction};
use crate::sidecar::{Beeps, Consent, Law, LegFile, Party, Sidecar};
use crate::spool::digest::hash_file;
use crate::spool::layout::LEG_NAMES;
use crate::Status;

/// Samples handed to the encoder per call.
const WRITE_CHUNK: usize = 1024;

/// Output side of one leg: everything after the ring.
struct LegOutput {
    flac: Option<FlacWriter>,
    /// Samples kept for the stereo file until the other leg catches up.
    pending: Option<Vec<i16>>,
    samples: u64,
    dropped: u64,
    filled: u64,
}

impl LegOutput {
    fn write(&mut self, s: &[i16]) -> io::Result<()> {
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

    fn silence(&mut self, n: u64) -> io::Result<()> {
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

struct Track {
    consumer: LegConsumer,
    leg_rate: u32,
    src_rate: u32,
    resampler: Option<LegResampler>,
    rate_mismatch: bool,
    out: LegOutput,
}

impl Track {
    fn drain(&mut self) -> io::Result<()> {
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

fn flush(resampler: &mut Option<LegResampler>, out: &mut LegOutput) -> io::Result<()> {
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

/// A worker's state for one recording.
pub struct Job {
    pub rec: Arc<Recording>,
    tracks: [Track; 2],
    stereo: Option<FlacWriter>,
    interleave: Vec<i16>,
    slack: u64,
    file_mode: u32,
    /// Why the recording failed; already said on the console at ERROR.
    failure: Option<String>,
    _marker_lock: std::fs::File,
}

/// The files a new job writes into, opened by the core on the caller's
/// thread so that a failure to create them is reported to the dialplan.
pub struct JobFiles {
    pub legs: [Option<FlacWriter>; 2],
    pub stereo: Option<FlacWriter>,
    /// The in-progress marker, open and locked (files::try_lock) for as
    /// long as the job lives.
    pub marker: std::fs::File,
}

impl Job {
    pub fn new(
        rec: Arc<Recording>,
        consumers: [LegConsumer; 2],
        files: JobFiles,
        slack_ms: u32,
        file_mode: u32,
    ) -> Job {
        let rate = rec.policy.sample_rate;
        let want_pending = files.stereo.is_some();
        let [ci, co] = consumers;
        let [fi, fo] = files.legs;
        let track = |consumer, flac| Track {
            consumer,
            leg_rate: rate,
            src_rate: rate,
            resampler: None,
            rate_mismatch: false,
            out: LegOutput {
                flac,
                pending: want_pending.then(Vec::new),
                samples: 0,
                dropped: 0,
                filled: 0,
            },
        };
        Job {
            tracks: [track(ci, fi), track(co, fo)],
            stereo: files.stereo,
            interleave: Vec::new(),
            slack: u64::from(slack_ms) * u64::from(rate) / 1000,
            file_mode,
            failure: None,
            _marker_lock: files.marker,
            rec,
        }
    }

    pub fn failed(&self) -> bool {
        self.failure.is_some()
    }

    /// Move queued audio into the files; called every poll.
    pub fn poll(&mut self, now: Instant) {
        if self.failure.is_some() {
            return;
        }
        if failpoint::hit(&failpoint::PANIC_IN_POLL) {
            panic!("failpoint PANIC_IN_POLL");
        }
        if let Err(e) = self.poll_inner(now) {
            self.fail(e);
        }
    }

    fn poll_inner(&mut self, now: Instant) -> io::Result<()> {
        for t in &mut self.tracks {
            t.drain()?;
        }
        if !self.rec.is_paused() {
            // A direction that sent nothing for longer than the slack gets
            // silence up to the call's clock, so later audio lands at the
            // right time.
            let rate = f64::from(self.rec.policy.sample_rate);
            let expected = (self.rec.offset_at(now) * rate) as u64;
            for t in &mut self.tracks {
                if t.out.samples + self.slack < expected {
                    let n = expected - self.slack - t.out.samples;
                    t.out.filled += n;
                    t.out.silence(n)?;
                }
            }
        }
        self.write_stereo()?;
        // Frames of a leg that paused or went quiet mid-batch go out too.
        for f in self.tracks.iter_mut().filter_map(|t| t.out.flac.as_mut()) {
            f.flush_stale(now)?;
        }
        if let Some(f) = &mut self.stereo {
            f.flush_stale(now)?;
        }
        let longest = self.tracks.iter().map(|t| t.out.samples).max().unwrap_or(0);
        self.rec.recorded_samples.store(longest, Ordering::Relaxed);
        Ok(())
    }

    fn write_stereo(&mut self) -> io::Result<()> {
        let Some(stereo) = &mut self.stereo else {
            return Ok(());
        };
        let [a, b] = &mut self.tracks;
        let (Some(pa), Some(pb)) = (&mut a.out.pending, &mut b.out.pending) else {
            return Ok(());
        };
        let n = pa.len().min(pb.len());
        if n == 0 {
            return Ok(());
        }
        for start in (0..n).step_by(WRITE_CHUNK) {
            let end = (start + WRITE_CHUNK).min(n);
            self.interleave.clear();
            for i in start..end {
                self.interleave.push(pa[i]);
                self.interleave.push(pb[i]);
            }
            stereo.write(&self.interleave)?;
        }
        pa.drain(..n);
        pb.drain(..n);
        Ok(())
    }

    /// The encoder thread caught a panic in this recording's poll: stop it
    /// with what is on disk; the thread goes on with the others.
    pub fn panicked(&mut self) {
        self.fail_with(
            "internal error while encoding (caught: this recording stopped, the others go on)"
                .into(),
        );
    }

    fn fail(&mut self, e: io::Error) {
        self.fail_with(format!(
            "writing {} failed: {e}",
            self.rec.paths.dir.display()
        ));
    }

    fn fail_with(&mut self, reason: String) {
        log::error!(channel = self.rec.call.channel.as_str(), uniqueid = self.rec.call.uniqueid.as_str(); "recording {} stopped: {reason}", self.rec.id);
        self.failure = Some(reason);
        self.rec.stop();
        // Release the encoders now: nothing more can be written.
        for t in &mut self.tracks {
            t.out.flac = None;
            t.out.pending = None;
        }
        self.stereo = None;
    }

    /// Drain what is left, even out the legs, close the files and write the
    /// sidecar.  Runs on the worker thread, after the PBX stopped pushing.
    pub fn finalize(mut self) -> Outcome {
        if failpoint::hit(&failpoint::PANIC_IN_FINALIZE) {
            panic!("failpoint PANIC_IN_FINALIZE");
        }
        if self.failure.is_none() {
            let result = (|| {
                for t in &mut self.tracks {
                    t.drain()?;
                    flush(&mut t.resampler, &mut t.out)?;
                }
                // Legs end together: pad the shorter one.
                let longest = self.tracks.iter().map(|t| t.out.samples).max().unwrap_or(0);
                for t in &mut self.tracks {
                    let n = longest - t.out.samples;
                    t.out.filled += n;
                    t.out.silence(n)?;
                }
                self.write_stereo()
            })();
            if let Err(e) = result {
                self.fail(e);
            }
        }
        let rate = self.rec.policy.sample_rate;
        let seconds =
            self.tracks.iter().map(|t| t.out.samples).max().unwrap_or(0) as f64 / f64::from(rate);
        let mut legs = Vec::new();
        let mut files = Vec::new();
        let paths = self.rec.paths.clone();
        let mut close = |name: &str,
                         path: PathBuf,
                         channels: u32,
                         writer: Option<FlacWriter>,
                         t: Option<&Track>| {
            let closed = writer.map(FlacWriter::finish).transpose();
            let (sha256, flac_md5) = match closed {
                Ok(Some(_)) => hash_file(&path).unwrap_or_default(),
                Ok(None) => hash_file(&path)
                    .map(|(s, _)| (s, String::new()))
                    .unwrap_or_default(),
                Err(e) => {
                    // The first failure of this recording goes to the console
                    // (one ERROR per recording); later ones only into its reason.
                    if self.failure.is_none() {
                        let reason = format!("closing {} failed: {e}", path.display());
                        log::error!(channel = self.rec.call.channel.as_str(), uniqueid = self.rec.call.uniqueid.as_str();
                            "recording {} failed: {reason}", self.rec.id);
                        self.failure = Some(reason);
                    }
                    Default::default()
                }
            };
            files.push(path.clone());
            LegFile {
                name: name.to_string(),
                file: file_name(&path),
                channels,
                sample_rate: rate,
                samples: t.map_or(0, |t| t.out.samples),
                dropped_samples: t.map_or(0, |t| t.out.dropped),
                filled_samples: t.map_or(0, |t| t.out.filled),
                rate_mismatch: t.and_then(|t| t.rate_mismatch.then(|| "resampled".to_string())),
                sha256,
                flac_md5,
            }
        };
        for file in paths.audio(self.rec.policy.legs) {
            match LEG_NAMES.iter().position(|l| *l == file.name) {
                Some(i) => {
                    let t = &mut self.tracks[i];
                    legs.push(close(file.name, file.path, 1, t.out.flac.take(), Some(t)));
                }
                None => {
                    let [ti, to] = &self.tracks;
                    let samples = ti.out.samples.max(to.out.samples);
                    let dropped = ti.out.dropped + to.out.dropped;
                    let mut l = close(file.name, file.path, 2, self.stereo.take(), None);
                    l.samples = samples;
                    l.dropped_samples = dropped;
                    legs.push(l);
                }
            }
        }

        let refused = kept_after_refusal(&self.rec);
        if let Some(keep) = refused {
            // What the party refused is deleted, not merely marked.
            legs.retain(|l| {
                let kept = keep(&l.name);
                if !kept {
                    let path = paths.dir.join(&l.file);
                    let _ = std::fs::remove_file(&path);
                    files.retain(|f| f != &path);
                }
                kept
            });
        }
        let too_short = seconds < f64::from(self.rec.policy.min_duration);
        let status = match (&self.failure, refused.is_some(), too_short) {
            (Some(_), _, _) => Status::Failed,
            (None, true, _) => Status::Declined,
            (None, false, true) => Status::Discarded,
            (None, false, false) => Status::Complete,
        };
        let mut reason = self.failure.clone().unwrap_or_default();
        if status == Status::Discarded {
            for f in &files {
                let _ = std::fs::remove_file(f);
            }
            let _ = std::fs::remove_file(paths.marker());
            log::info!(channel = self.rec.call.channel.as_str(), uniqueid = self.rec.call.uniqueid.as_str();
                "recording {} discarded: {:.1} s is shorter than min_duration {} s",
                self.rec.id, seconds, self.rec.policy.min_duration);
            return Outcome {
                status,
                reason,
                files: Vec::new(),
                seconds,
            };
        }

        let sidecar = self.sidecar(legs, status, &reason);
        let json = serde_json::to_vec_pretty(&sidecar).expect("sidecar serializes");
        let written = crate::spool::files::write_atomic(&paths.sidecar(), &json, self.file_mode)
            .map_err(|e| {
                format!(
                    "cannot write the sidecar {}: {e}; the in-progress marker stays",
                    paths.sidecar().display()
                )
            })
            .and_then(|()| {
                let _ = std::fs::remove_file(paths.marker());
                files.push(paths.sidecar());
                self.audit(status, &sidecar, &json, &reason)
            });
        if let Err(e) = written {
            if self.failure.is_some() {
                // Already reported at ERROR when the recording stopped: one
                // error per recording on the console, the rest in the
                // finished line ("recording X failed (...)").
                reason = format!("{reason}; {e}");
            } else {
                log::error!(channel = self.rec.call.channel.as_str(), uniqueid = self.rec.call.uniqueid.as_str();
                    "recording {}: {e}", self.rec.id);
            }
        }
        Outcome {
            status,
            reason,
            files,
            seconds,
        }
    }

    /// Chain this recording's files into the audit log.
    fn audit(
        &self,
        status: Status,
        sidecar: &Sidecar,
        sidecar_json: &[u8],
        reason: &str,
    ) -> Result<(), String> {
        let event = match status {
            Status::Complete => "recorded",
            other => other.as_str(),
        };
        let spool = &self.rec.paths.spool;
        let sidecar_path = self.rec.paths.sidecar();
        crate::audit::record(
            spool,
            event,
            &sidecar_path,
            sidecar,
            sidecar_json,
            reason,
            self.file_mode,
        )
        .map(drop)
        .map_err(|e| format!("cannot append to the audit log in {}: {e}", spool.display()))
    }

    fn sidecar(&self, legs: Vec<LegFile>, status: Status, reason: &str) -> Sidecar {
        let mut s = initial_sidecar(&self.rec);
        let log = self.rec.control.lock().unwrap_or_else(|e| e.into_inner());
        s.ended_at = Some(humantime::format_rfc3339_millis(SystemTime::now()).to_string());
        s.legs = legs;
        s.pauses = log.pauses.clone();
        s.masks = log.masks.clone();
        s.notice = log.notices.clone();
        drop(log);
        s.consent = consent_record(&self.rec);
        let interval = self.rec.policy.beep_interval;
        s.beeps = (interval > 0).then(|| Beeps {
            interval_seconds: interval,
            frequency_hz: BEEP_HZ,
            duration_ms: 500,
            count: self.rec.legs[1]
                .beeps
                .load(std::sync::atomic::Ordering::Relaxed),
        });
        s.status = status.as_str().to_string();
        s.reason = (!reason.is_empty()).then(|| reason.to_string());
        s
    }
}

/// The sidecar as known at start; also the in-progress marker's content.
pub fn initial_sidecar(rec: &Recording) -> Sidecar {
    let c = &rec.call;
    Sidecar {
        id: rec.id.clone(),
        policy: rec.policy.name.clone(),
        pbx: c.pbx.clone(),
        channel: c.channel.clone(),
        uniqueid: c.uniqueid.clone(),
        caller: Party {
            number: c.caller_number.clone(),
            name: c.caller_name.clone(),
        },
        callee: c.callee.clone(),
        queue: c.queue.clone(),
        started_at: humantime::format_rfc3339_millis(rec.started_at).to_string(),
        ended_at: None,
        legs: Vec::new(),
        pauses: Vec::new(),
        masks: Vec::new(),
        notice: Vec::new(),
        consent: consent_record(rec),
        beeps: None,
        retention_days: rec.policy.retention_days,
        status: "recording".to_string(),
        reason: None,
        legrec_version: crate::VERSION.to_string(),
    }
}

/// The sidecar's consent section as things stand.
fn consent_record(rec: &Recording) -> Consent {
    let c = rec
        .consent
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let p = &rec.policy;
    Consent {
        mode: p.consent.as_str().to_string(),
        decision: match c.decision {
            Decision::Kept => "recorded",
            Decision::Declined => "declined",
            Decision::Pending => "pending",
        }
        .to_string(),
        reason: if c.reason.is_empty() {
            format!("policy {} consent = {}", p.name, p.consent.as_str())
        } else {
            c.reason
        },
        window_at: c.window_at,
        window_offset: c.window_offset,
        digit: c.digit.map(String::from),
        digit_at: c.digit_at,
        declined_action: p.declined_action.as_str().to_string(),
        notice_required_by_law: rec.plan.notice_required_by_law,
        law: rec.plan.law.as_ref().map(|l| Law {
            rule: l.rule.as_str().to_string(),
            reason: l.reason.clone(),
            sides: l.sides.clone(),
        }),
    }
}

/// Which legs a refusal keeps: none, or only the agent's (`out`).
fn kept_after_refusal(rec: &Recording) -> Option<fn(&str) -> bool> {
    let declined = match rec.consent_decision() {
        Decision::Declined => true,
        // Hung up inside the window: opt-in never got a yes.
        Decision::Pending => rec.policy.consent == ConsentMode::OptIn,
        Decision::Kept => false,
    };
    declined.then(|| match rec.policy.declined_action {
        DeclinedAction::Drop => (|_: &str| false) as fn(&str) -> bool,
        DeclinedAction::AgentOnly => |name: &str| name == "out",
    })
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
