//! Where a frame becomes FLAC: a worker's state for one recording.
//!
//! Each poll drains both legs (`track`) into their encoders, keeps them on
//! one clock (silence for a direction that sent nothing) and feeds the
//! stereo file.  `finalize` closes the files, applies the policy's verdict
//! (`policy::outcome`), writes the sidecar (`report`) and chains it into
//! the audit log.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::track::{flush, LegOutput, Track, WRITE_CHUNK};
use crate::flac::encoder::{speech_blocksize, timed_write, FlacSpec, FlacWriter};
use crate::policy::config::General;
use crate::policy::outcome;
use crate::recorder::failpoint;
use crate::recorder::files::handover::{Handover, JobFiles, HOLD_WHILE_OPENING};
use crate::recorder::files::report;
use crate::recorder::intake::recording::{Outcome, Recording};
use crate::recorder::ring::LegConsumer;
use crate::sidecar::{LegFile, Sidecar};
use crate::spool::digest::hash_file;
use crate::spool::files::{replace_locked, write_atomic};
use crate::Status;

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
    /// Where the files come from while an opener thread makes them; None
    /// once they came (or could not be made).
    handover: Option<Arc<Handover>>,
    /// The in-progress marker, locked, and what it holds: rewritten when
    /// the call's story changes (peers, masks, keys...), at most every
    /// MARKER_EVERY, so that a repair after a crash keeps it.  None until
    /// the files are made (see `files_made`).
    marker_lock: Option<std::fs::File>,
    marker_json: Vec<u8>,
    marker_due: Instant,
    marker_failed: bool,
}

const MARKER_EVERY: Duration = Duration::from_secs(1);

impl Job {
    /// A new recording's encoding, started before its files exist: they
    /// come through `handover`.
    pub(in crate::recorder) fn new(
        rec: Arc<Recording>,
        consumers: [LegConsumer; 2],
        handover: Arc<Handover>,
        g: &General,
    ) -> io::Result<Job> {
        let rate = rec.policy.sample_rate;
        let tags = vorbis_tags(&rec);
        let (mut legs, mut stereo) = ([None, None], None);
        for file in rec.paths.audio(rec.policy.legs) {
            let spec = FlacSpec {
                channels: file.channels,
                sample_rate: rate,
                compression_level: g.compression_level,
                blocksize: speech_blocksize(rate),
                tags: tags.clone(),
            };
            let writer = FlacWriter::unattached(&spec)?;
            match file.leg {
                Some(i) => legs[i] = Some(writer),
                None => stereo = Some(writer),
            }
        }
        let want_pending = stereo.is_some();
        let [ci, co] = consumers;
        let [fi, fo] = legs;
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
        Ok(Job {
            tracks: [track(ci, fi), track(co, fo)],
            stereo,
            interleave: Vec::new(),
            slack: u64::from(g.align_slack_ms) * u64::from(rate) / 1000,
            file_mode: g.file_mode.0,
            failure: None,
            handover: Some(handover),
            marker_lock: None,
            marker_json: marker_json(&rec),
            marker_due: Instant::now() + MARKER_EVERY,
            marker_failed: false,
            rec,
        })
    }

    /// Whether its files are still being made.
    pub fn awaits_files(&self) -> bool {
        self.handover.is_some()
    }

    /// Whether the files were made (their marker came with them): a
    /// recording whose files never were ends with nothing to finish.
    fn files_made(&self) -> bool {
        self.marker_lock.is_some()
    }

    /// Samples in the longer leg so far.
    fn longest(&self) -> u64 {
        self.tracks.iter().map(|t| t.out.samples).max().unwrap_or(0)
    }

    /// Take the files if they came; whether this poll goes on: with the
    /// files, or into memory while they are made and `HOLD_WHILE_OPENING`
    /// is not used up.
    fn take_files(&mut self) -> bool {
        let Some(handover) = &self.handover else {
            return true;
        };
        let Some(made) = handover.take() else {
            let limit = HOLD_WHILE_OPENING.as_secs() * u64::from(self.rec.policy.sample_rate);
            return self.longest() < limit;
        };
        self.handover = None;
        match made {
            Ok(files) => match self.attach(files) {
                Ok(()) => true,
                Err(e) => {
                    self.fail(e);
                    false
                }
            },
            Err(e) => {
                // Said on the console by the opener thread (or returned to
                // the caller, who then never handed this job over).
                self.failure.get_or_insert_with(|| e.to_string());
                self.rec.stop();
                false
            }
        }
    }

    /// Give every encoder its file: what they encoded meanwhile goes in.
    fn attach(&mut self, files: JobFiles) -> io::Result<()> {
        let JobFiles {
            legs,
            stereo,
            marker,
        } = files;
        self.marker_lock = Some(marker);
        for (t, file) in self.tracks.iter_mut().zip(legs) {
            if let (Some(w), Some(f)) = (&mut t.out.flac, file) {
                w.attach(f)?;
            }
        }
        if let (Some(w), Some(f)) = (&mut self.stereo, stereo) {
            w.attach(f)?;
        }
        Ok(())
    }

    /// Bring the marker up to date.  A failure (disk full) keeps the older
    /// marker and the recording going; it is said once.
    fn refresh_marker(&mut self) {
        let json = marker_json(&self.rec);
        if json == self.marker_json {
            return;
        }
        // On the encoder thread, like the audio's writes: its time counts
        // with theirs when a pass runs long.
        match timed_write(|| replace_locked(&self.rec.paths.marker(), &json, self.file_mode)) {
            Ok(f) => {
                self.marker_lock = Some(f);
                self.marker_json = json;
            }
            Err(e) if !self.marker_failed => {
                self.marker_failed = true;
                log::warn!(channel = self.rec.call.channel.as_str(), uniqueid = self.rec.call.uniqueid.as_str();
                    "recording {}: cannot update the in-progress marker ({e}); a repair after a crash would miss what happened since",
                    self.rec.id);
            }
            Err(_) => {}
        }
    }

    pub fn failed(&self) -> bool {
        self.failure.is_some()
    }

    /// Move queued audio into the files; called every poll.
    pub fn poll(&mut self, now: Instant) {
        // Files that come after a failure are taken too, to be finished
        // with what the recording had.
        if !self.take_files() || self.failure.is_some() {
            return;
        }
        if failpoint::hit(&failpoint::PANIC_IN_POLL) {
            panic!("failpoint PANIC_IN_POLL");
        }
        if let Err(e) = self.write_queued(now) {
            self.fail(e);
        }
    }

    /// What `poll` does, with the first error returned (which fails the
    /// recording): both legs' queued audio, silence where a direction fell
    /// behind the call's clock, the stereo file, and stale frames flushed.
    fn write_queued(&mut self, now: Instant) -> io::Result<()> {
        for t in &mut self.tracks {
            t.drain()?;
        }
        if !self.rec.is_paused() {
            // A direction more than the slack behind the call's clock (it
            // sent nothing, or runs slow) gets silence so later audio
            // lands at the right time: up to half the slack behind, not to
            // the slack's edge, where a slow one would get a sample or two
            // at every poll, a crackle through its audio.
            let rate = f64::from(self.rec.policy.sample_rate);
            let expected = (self.rec.offset_at(now) * rate) as u64;
            for t in &mut self.tracks {
                if t.out.samples + self.slack < expected {
                    let n = expected - self.slack / 2 - t.out.samples;
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
        let longest = self.longest();
        self.rec.recorded_samples.store(longest, Ordering::Relaxed);
        if now >= self.marker_due && self.files_made() {
            self.marker_due = now + MARKER_EVERY;
            self.refresh_marker();
        }
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

    /// Drain what is left, even out the legs, close the files, apply the
    /// policy's verdict and write the sidecar.  Runs on the worker thread,
    /// after the PBX stopped pushing.
    pub fn finalize(mut self) -> Outcome {
        if failpoint::hit(&failpoint::PANIC_IN_FINALIZE) {
            panic!("failpoint PANIC_IN_FINALIZE");
        }
        if !self.files_made() {
            // Nothing on disk to finish, publish or chain.
            let reason = self
                .failure
                .take()
                .unwrap_or_else(|| "its files were never created".into());
            return Outcome {
                status: Status::Failed,
                reason,
                files: Vec::new(),
                seconds: 0.0,
            };
        }
        if self.failure.is_none() {
            if let Err(e) = self.finish_audio() {
                self.fail(e);
            }
        }
        let longest = self.longest();
        let seconds = longest as f64 / f64::from(self.rec.policy.sample_rate);
        let mut legs = self.close_files();
        let rec = Arc::clone(&self.rec);
        let verdict = outcome::decide(
            &rec.policy,
            rec.consent_decision(),
            self.failure.is_some(),
            seconds,
        );
        // What the party refused, or a call too short to keep, is deleted,
        // not merely marked.
        legs.retain(|l| {
            let kept = verdict.keeps(&l.name);
            if !kept {
                let _ = std::fs::remove_file(rec.paths.dir.join(&l.file));
            }
            kept
        });
        let reason = self.failure.clone().unwrap_or_default();
        if verdict.status == Status::Discarded {
            let _ = std::fs::remove_file(rec.paths.marker());
            log::info!(channel = rec.call.channel.as_str(), uniqueid = rec.call.uniqueid.as_str();
                "recording {} discarded: {:.1} s is shorter than min_duration {} s",
                rec.id, seconds, rec.policy.min_duration);
            return Outcome {
                status: verdict.status,
                reason,
                files: Vec::new(),
                seconds,
            };
        }
        self.publish(legs, verdict.status, reason, seconds)
    }

    /// Whatever the rings still hold goes into the files; legs end
    /// together (the shorter one padded).
    fn finish_audio(&mut self) -> io::Result<()> {
        for (leg, t) in self.tracks.iter_mut().enumerate() {
            t.drain()?;
            flush(&mut t.resampler, &mut t.out)?;
            // Audio the full ring refused at the very end is counted (and
            // timed) like any other gap.
            let gap = self.rec.trailing_gap(leg);
            t.out.dropped += gap;
            t.out.silence(gap)?;
        }
        let longest = self.longest();
        for t in &mut self.tracks {
            let n = longest - t.out.samples;
            t.out.filled += n;
            t.out.silence(n)?;
        }
        self.write_stereo()
    }

    /// Close every audio file; what the sidecar says of each.
    fn close_files(&mut self) -> Vec<LegFile> {
        let rate = self.rec.policy.sample_rate;
        let paths = self.rec.paths.clone();
        let agent = self.rec.agent();
        let mut legs = Vec::new();
        for file in paths.audio(self.rec.policy.legs) {
            let leg = file.leg;
            let mut writer = match leg {
                Some(i) => self.tracks[i].out.flac.take(),
                None => self.stereo.take(),
            };
            // Known only now: whoever answered the call.
            if let (Some(w), Some(a)) = (writer.as_mut(), agent.as_deref()) {
                w.add_tag("LEGREC_AGENT", a);
            }
            let (sha256, flac_md5) = self.close_one(&file.path, writer);
            let [ti, to] = &self.tracks;
            let (samples, dropped, filled, resampled) = match leg {
                Some(i) => {
                    let t = &self.tracks[i];
                    (t.out.samples, t.out.dropped, t.out.filled, t.rate_mismatch)
                }
                None => (
                    ti.out.samples.max(to.out.samples),
                    ti.out.dropped + to.out.dropped,
                    0,
                    false,
                ),
            };
            legs.push(LegFile {
                name: file.name.to_string(),
                file: file_name(&file.path),
                channels: file.channels,
                sample_rate: rate,
                samples,
                dropped_samples: dropped,
                filled_samples: filled,
                rate_mismatch: resampled.then(|| "resampled".to_string()),
                sha256,
                flac_md5,
            });
        }
        legs
    }

    /// Finish one file; its SHA-256 and STREAMINFO MD5 (none when the
    /// encoder was gone: the file is what was on disk when it failed).
    fn close_one(&mut self, path: &Path, writer: Option<FlacWriter>) -> (String, String) {
        match writer.map(FlacWriter::finish).transpose() {
            Ok(Some(_)) => hash_file(path).unwrap_or_default(),
            Ok(None) => hash_file(path)
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
        }
    }

    /// Write the sidecar (the marker goes), then chain it into the audit
    /// log.  A failure here keeps the marker, so `legrec repair` finds it.
    fn publish(
        &self,
        legs: Vec<LegFile>,
        status: Status,
        mut reason: String,
        seconds: f64,
    ) -> Outcome {
        let paths = &self.rec.paths;
        let mut files: Vec<PathBuf> = legs.iter().map(|l| paths.dir.join(&l.file)).collect();
        let sidecar = report::final_sidecar(&self.rec, legs, status, &reason);
        let json = serde_json::to_vec_pretty(&sidecar).expect("sidecar serializes");
        let written = write_atomic(&paths.sidecar(), &json, self.file_mode)
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
        crate::audit::record(
            spool,
            event,
            &self.rec.paths.sidecar(),
            sidecar,
            sidecar_json,
            reason,
            self.file_mode,
        )
        .map(drop)
        .map_err(|e| format!("cannot append to the audit log in {}: {e}", spool.display()))
    }
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn vorbis_tags(rec: &Recording) -> Vec<(String, String)> {
    let c = &rec.call;
    let mut tags = vec![
        ("TITLE".to_string(), format!("Call {}", rec.id)),
        (
            "DATE".to_string(),
            humantime::format_rfc3339_seconds(rec.started_at).to_string(),
        ),
        ("LEGREC_ID".to_string(), rec.id.clone()),
        ("LEGREC_POLICY".to_string(), rec.policy.name.clone()),
        ("ENCODER".to_string(), format!("legrec {}", crate::VERSION)),
    ];
    for (k, v) in [
        ("LEGREC_PBX", &c.pbx),
        ("LEGREC_CHANNEL", &c.channel),
        ("LEGREC_UNIQUEID", &c.uniqueid),
        ("LEGREC_CALLER_NUMBER", &c.caller_number),
        ("LEGREC_CALLER_NAME", &c.caller_name),
        ("LEGREC_CALLEE", &c.callee),
        ("LEGREC_QUEUE", &c.queue),
    ] {
        if !v.is_empty() {
            tags.push((k.to_string(), v.clone()));
        }
    }
    tags
}

/// The marker's content now (report::interim_sidecar).
fn marker_json(rec: &Recording) -> Vec<u8> {
    serde_json::to_vec_pretty(&report::interim_sidecar(rec)).expect("sidecar serializes")
}
