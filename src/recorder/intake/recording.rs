//! One call's recording as the PBX sees it: push frames, mask, pause, stop.
//!
//! The media thread only touches atomics and its leg's ring producer.
//! Everything with a lock (mask and pause intervals, notices) belongs to the
//! control plane: dialplan, CLI and AMI threads.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime};

use super::peers::{PeerInfo, PeerLog};
use crate::policy::config::Policy;
use crate::policy::consent::{self, Decision, Then};
use crate::policy::keys::{self, KeyAction, Matcher, Pressed, Switch};
use crate::policy::plan::{CallPlan, CallSide};
use crate::recorder::ring::LegProducer;
use crate::sidecar::{Interval, KeyPress, NoticeRecord};
use crate::spool::layout::RecordingPaths;

/// Call metadata, copied from the PBX at start.
#[derive(Clone, Debug, Default)]
pub struct CallInfo {
    pub pbx: String,
    pub channel: String,
    pub uniqueid: String,
    pub caller_number: String,
    pub caller_name: String,
    pub callee: String,
    pub queue: String,
    /// Started from outside the call (API, CLI): no consent window.
    pub unattended: bool,
    /// The dialplan says the policy's notice was played already (the IVR).
    pub notice_played_before: bool,
}

/// The media thread's side of one leg.
pub struct LegInput {
    /// Held while a thread pushes; a second concurrent pusher is refused
    /// rather than made to wait.
    busy: AtomicBool,
    producer: UnsafeCell<LegProducer>,
    pub pushed_samples: AtomicU64,
    pub dropped_samples: AtomicU64,
    pub dropped_frames: AtomicU64,
    /// Samples seen by the warning-beep schedule (this leg's media thread
    /// only) and beeps mixed in.
    beep_pos: AtomicU64,
    pub beeps: AtomicU64,
}

// SAFETY: `producer` is only reached while `busy` is held (see push).
unsafe impl Sync for LegInput {}

impl LegInput {
    /// Run `f` on the producer if no other thread holds it (None if one
    /// does: a second pusher is refused, never made to wait).
    #[inline]
    fn with_producer<T>(&self, f: impl FnOnce(&mut LegProducer) -> T) -> Option<T> {
        if self
            .busy
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            return None;
        }
        // Released however `f` ends: a panic inside it (caught at the FFI
        // boundary) must not leave the leg refusing every later frame.
        let _busy = Release(&self.busy);
        // SAFETY: `busy` gives this thread exclusive use of the producer.
        Some(f(unsafe { &mut *self.producer.get() }))
    }

    pub fn new(producer: LegProducer) -> Self {
        LegInput {
            busy: AtomicBool::new(false),
            producer: UnsafeCell::new(producer),
            pushed_samples: AtomicU64::new(0),
            dropped_samples: AtomicU64::new(0),
            dropped_frames: AtomicU64::new(0),
            beep_pos: AtomicU64::new(0),
            beeps: AtomicU64::new(0),
        }
    }
}

/// Clears a leg's `busy` flag when dropped, unwinding included.
struct Release<'a>(&'a AtomicBool);

impl Drop for Release<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// Why a push was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PushError {
    Stopped,
    Busy,
}

/// Mask/pause/notice history, kept for the sidecar.
#[derive(Default)]
pub struct ControlLog {
    pub masks: Vec<Interval>,
    pub pauses: Vec<Interval>,
    pub notices: Vec<NoticeRecord>,
    pub peers: PeerLog,
    pub keys: Vec<KeyPress>,
    /// Each side's digits so far (`CallSide as usize`).
    typed: [Matcher; 2],
    /// A notice playing now, per side (`CallSide as usize`).
    playing: [Option<Playing>; 2],
    paused_since: Option<Instant>,
    paused_total: Duration,
}

/// A notice between `notice_begin` and `notice_end`.
struct Playing {
    at: SystemTime,
    offset: f64,
    /// The notice paused the recording (and so resumes it).
    paused: bool,
}

/// Why a notice could not be noted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoticeError {
    /// Begun twice for one side, or ended without a beginning.
    OutOfOrder,
}

/// The consent window's history, kept for the sidecar.
#[derive(Clone, Debug)]
pub struct ConsentLog {
    pub decision: Decision,
    pub window_at: Option<String>,
    pub window_offset: Option<f64>,
    pub digit: Option<char>,
    pub digit_at: Option<String>,
    pub reason: String,
}

/// Warning tone: 1400 Hz for 0.5 s (the 47 CFR 64.501 convention).
pub const BEEP_HZ: f64 = 1400.0;
const BEEP_AMPLITUDE: f64 = 6000.0;

/// The outcome a worker reports once the files are final.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub status: crate::Status,
    pub reason: String,
    pub files: Vec<std::path::PathBuf>,
    pub seconds: f64,
}

/// Shared between the PBX's handle, the core's registry and the worker.
pub struct Recording {
    pub id: String,
    pub policy: Arc<Policy>,
    pub call: CallInfo,
    pub paths: RecordingPaths,
    pub plan: CallPlan,
    pub consent: Mutex<ConsentLog>,
    pub started_at: SystemTime,
    pub started: Instant,
    pub legs: [LegInput; 2],
    stopped: AtomicBool,
    masked: AtomicBool,
    paused: AtomicBool,
    /// Samples written to the longer leg's files, for the CLI.
    pub recorded_samples: AtomicU64,
    pub control: Mutex<ControlLog>,
    outcome: Mutex<Option<Outcome>>,
    finished: Condvar,
}

fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_millis(t).to_string()
}

impl Recording {
    pub fn new(
        id: String,
        policy: Arc<Policy>,
        call: CallInfo,
        paths: RecordingPaths,
        plan: CallPlan,
        producers: [LegProducer; 2],
    ) -> Self {
        let [pin, pout] = producers;
        let consent = ConsentLog {
            decision: Decision::initial(&policy),
            window_at: None,
            window_offset: None,
            digit: None,
            digit_at: None,
            reason: String::new(),
        };
        let rec = Recording {
            id,
            policy,
            call,
            paths,
            plan,
            consent: Mutex::new(consent),
            started_at: SystemTime::now(),
            started: Instant::now(),
            legs: [LegInput::new(pin), LegInput::new(pout)],
            stopped: AtomicBool::new(false),
            masked: AtomicBool::new(false),
            paused: AtomicBool::new(false),
            recorded_samples: AtomicU64::new(0),
            control: Mutex::new(ControlLog::default()),
            outcome: Mutex::new(None),
            finished: Condvar::new(),
        };
        if rec.plan.starts_paused {
            // Nothing is kept until an agent asks for it.
            rec.set_paused(true, "on-demand");
        }
        rec
    }

    /// The media-thread path.  No allocation, no lock, no system call.
    pub fn push(&self, leg: usize, frame: &[i16], rate: u32) -> Result<(), PushError> {
        if self.stopped.load(Ordering::Acquire) {
            return Err(PushError::Stopped);
        }
        if self.paused.load(Ordering::Acquire) {
            return Ok(());
        }
        let input = &self.legs[leg];
        let masked = self.masked.load(Ordering::Acquire);
        let Some(result) = input.with_producer(|p| p.push(frame, rate, masked)) else {
            let n = frame.len() as u64 * u64::from(self.policy.sample_rate) / u64::from(rate);
            input.dropped_samples.fetch_add(n, Ordering::Relaxed);
            input.dropped_frames.fetch_add(1, Ordering::Relaxed);
            return Err(PushError::Busy);
        };
        match result {
            Ok(()) => {
                input
                    .pushed_samples
                    .fetch_add(frame.len() as u64, Ordering::Relaxed);
                Ok(())
            }
            Err(d) => {
                input
                    .dropped_samples
                    .fetch_add(d.samples, Ordering::Relaxed);
                input.dropped_frames.fetch_add(1, Ordering::Relaxed);
                Err(PushError::Busy)
            }
        }
    }

    /// What a leg dropped at its end that no later frame announced to the
    /// worker (see `LegProducer::take_trailing_gap`); for the worker once
    /// the recording stopped, when no push holds the leg any more.  0 when
    /// a push still holds it.
    pub fn trailing_gap(&self, leg: usize) -> u64 {
        self.legs[leg]
            .with_producer(LegProducer::take_trailing_gap)
            .unwrap_or(0)
    }

    /// Media-thread path: mix the warning tone into `frame` where the
    /// schedule says.  No allocation, no lock.
    pub fn beep(&self, leg: usize, frame: &mut [i16], rate: u32) -> bool {
        let interval = u64::from(self.policy.beep_interval);
        if interval == 0 {
            return false;
        }
        let input = &self.legs[leg];
        let start = input
            .beep_pos
            .fetch_add(frame.len() as u64, Ordering::Relaxed);
        let (rate, period) = (u64::from(rate), interval * u64::from(rate));
        let mut mixed = false;
        for (i, s) in frame.iter_mut().enumerate() {
            let p = start + i as u64;
            let into = p % period;
            if p < period || into >= rate / 2 {
                continue;
            }
            if into == 0 {
                input.beeps.fetch_add(1, Ordering::Relaxed);
            }
            let t = into as f64 / rate as f64;
            let tone = (2.0 * std::f64::consts::PI * BEEP_HZ * t).sin() * BEEP_AMPLITUDE;
            *s = (f64::from(*s) + tone).clamp(-32768.0, 32767.0) as i16;
            mixed = true;
        }
        mixed
    }

    /// The consent window opens.  Under opt-in nothing is kept until the
    /// caller agrees.
    pub fn consent_begin(&self) {
        let offset = {
            let log = self.control.lock().unwrap_or_else(|e| e.into_inner());
            self.story_offset(&log, Instant::now())
        };
        {
            let mut c = self.consent.lock().unwrap_or_else(|e| e.into_inner());
            c.window_at = Some(rfc3339(SystemTime::now()));
            c.window_offset = Some(offset);
        }
        if self.plan.window_pauses {
            self.set_paused(true, "consent");
        }
    }

    /// A key in the consent window, or None when it closed without the
    /// consent key: the policy decides (`policy::consent`), this applies it.
    pub fn consent(&self, digit: Option<char>) -> Decision {
        let mut c = self.consent.lock().unwrap_or_else(|e| e.into_inner());
        if c.decision != Decision::Pending {
            return c.decision;
        }
        let Some(answer) = consent::answer(&self.policy, digit) else {
            return Decision::Pending;
        };
        c.decision = answer.decision;
        c.reason = answer.reason;
        if answer.pressed {
            c.digit = digit;
            c.digit_at = Some(rfc3339(SystemTime::now()));
        }
        drop(c);
        if answer.decision == Decision::Declined {
            log::info!(channel = self.call.channel.as_str(), uniqueid = self.call.uniqueid.as_str(); "recording {}: consent declined ({})", self.id,
                self.policy.declined_action.as_str());
        }
        match self.plan.after(answer.decision) {
            Then::Stop => {
                self.stop();
            }
            // Only the window's own pause: an admin's pause stays.
            Then::Resume if self.paused_by("consent") => {
                self.set_paused(false, "consent");
            }
            Then::Resume | Then::Continue => {}
        }
        answer.decision
    }

    pub fn consent_decision(&self) -> Decision {
        self.consent
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .decision
    }

    pub fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::Acquire)
    }
    pub fn is_masked(&self) -> bool {
        self.masked.load(Ordering::Acquire)
    }
    pub fn is_paused(&self) -> bool {
        self.paused.load(Ordering::Acquire)
    }

    /// Returns false if it was already stopped.
    pub fn stop(&self) -> bool {
        let was = self.stopped.swap(true, Ordering::AcqRel);
        if !was {
            let mut log = self.control.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            let offset = self.story_offset(&log, now);
            close_open(&mut log.masks, offset, "stop");
            log.peers.close_all(&rfc3339(SystemTime::now()), offset);
            if let Some(since) = log.paused_since.take() {
                log.paused_total += now - since;
                close_open(&mut log.pauses, offset, "stop");
            }
        }
        !was
    }

    /// Seconds of recording time at `now`: wall time since start with
    /// paused time cut out.
    pub fn offset_at(&self, now: Instant) -> f64 {
        let log = self.control.lock().unwrap_or_else(|e| e.into_inner());
        self.offset_locked(&log, now)
    }

    fn offset_locked(&self, log: &ControlLog, now: Instant) -> f64 {
        let mut paused = log.paused_total;
        if let Some(since) = log.paused_since {
            paused += now.saturating_duration_since(since);
        }
        now.saturating_duration_since(self.started)
            .saturating_sub(paused)
            .as_secs_f64()
    }

    /// Where `now` falls in the call's story (the sidecar's offsets of
    /// masks, pauses, keys, notices, peers): whole milliseconds, taken the
    /// same way on every path, so that a party that joined in the very
    /// millisecond a stop came never leaves before it joined (a join
    /// rounded up, a stop not, once did).
    fn story_offset(&self, log: &ControlLog, now: Instant) -> f64 {
        round_ms(self.offset_locked(log, now))
    }

    /// Mask or unmask; false if already in that state.
    pub fn set_masked(&self, on: bool, by: &str) -> bool {
        let mut log = self.control.lock().unwrap_or_else(|e| e.into_inner());
        if self.masked.load(Ordering::Acquire) == on {
            return false;
        }
        let offset = self.story_offset(&log, Instant::now());
        if on {
            log.masks.push(open_interval(offset, by));
        } else {
            close_open(&mut log.masks, offset, by);
        }
        self.masked.store(on, Ordering::Release);
        true
    }

    /// Pause or resume; false if already in that state.
    pub fn set_paused(&self, on: bool, by: &str) -> bool {
        let mut log = self.control.lock().unwrap_or_else(|e| e.into_inner());
        if self.paused.load(Ordering::Acquire) == on {
            return false;
        }
        let now = Instant::now();
        let offset = self.story_offset(&log, now);
        if on {
            log.pauses.push(open_interval(offset, by));
            log.paused_since = Some(now);
        } else {
            if let Some(since) = log.paused_since.take() {
                log.paused_total += now - since;
            }
            close_open(&mut log.pauses, offset, by);
        }
        self.paused.store(on, Ordering::Release);
        true
    }

    /// The plan's notice starts to play to `side`.  A notice the policy
    /// keeps out of the recording (`record_notice = no`) pauses it, on the
    /// caller's side (a notice queued to the agent does not reach the
    /// recorded legs).
    pub fn notice_begin(&self, side: CallSide) -> Result<(), NoticeError> {
        let pause = side == CallSide::Caller && self.plan.notice_pauses_caller;
        // Paused first, so the notice's offset is where the cut is.
        let paused = pause && self.set_paused(true, "notice");
        let mut log = self.control.lock().unwrap_or_else(|e| e.into_inner());
        if log.playing[side as usize].is_some() {
            drop(log);
            if paused {
                self.set_paused(false, "notice");
            }
            return Err(NoticeError::OutOfOrder);
        }
        let offset = self.story_offset(&log, Instant::now());
        log.playing[side as usize] = Some(Playing {
            at: SystemTime::now(),
            offset,
            paused,
        });
        Ok(())
    }

    /// The notice to `side` ended.  It counts as played (the sidecar's
    /// `notice`, at the offset where it began) when the PBX played it:
    /// `played` is false when the sound could not be opened or queued.
    pub fn notice_end(&self, side: CallSide, played: bool) -> Result<(), NoticeError> {
        let mut log = self.control.lock().unwrap_or_else(|e| e.into_inner());
        let p = log.playing[side as usize]
            .take()
            .ok_or(NoticeError::OutOfOrder)?;
        if played {
            log.notices.push(NoticeRecord {
                sound: self.plan.notice.clone(),
                party: side.as_str().to_string(),
                at: rfc3339(p.at),
                offset: p.offset,
            });
        }
        drop(log);
        if p.paused {
            self.set_paused(false, "notice");
        }
        Ok(())
    }

    /// A party joined the recorded channel's bridge; false when it was
    /// there already.
    pub fn peer_join(&self, who: PeerInfo) -> bool {
        let mut log = self.control.lock().unwrap_or_else(|e| e.into_inner());
        let offset = self.story_offset(&log, Instant::now());
        log.peers.join(who, rfc3339(SystemTime::now()), offset)
    }

    /// A party left; false when it was not there.
    pub fn peer_leave(&self, channel: &str) -> bool {
        let mut log = self.control.lock().unwrap_or_else(|e| e.into_inner());
        let offset = self.story_offset(&log, Instant::now());
        log.peers.leave(channel, rfc3339(SystemTime::now()), offset)
    }

    /// A queue connected `member` (see `PeerLog::queue_member`).
    pub fn peer_member(&self, member: &str, interface: &str) {
        let mut log = self.control.lock().unwrap_or_else(|e| e.into_inner());
        log.peers
            .queue_member(member.to_string(), interface.to_string());
    }

    /// The queue member who answered, once one has.
    pub fn agent(&self) -> Option<String> {
        let log = self.control.lock().unwrap_or_else(|e| e.into_inner());
        log.peers.agent().map(str::to_string)
    }

    /// An agent key's digit on `side`: `ended` is false for a DTMF begin
    /// (asked before the digit ends, so that the PBX can hold it back
    /// too), true when it ended, which is when a key acts.
    pub fn key(&self, side: CallSide, digit: char, ended: bool) -> Pressed {
        if self.plan.keys.is_empty() || self.is_stopped() {
            return Pressed::Pass;
        }
        let now = Instant::now();
        let mut log = self.control.lock().unwrap_or_else(|e| e.into_inner());
        if !ended {
            return log.typed[side as usize].peek(&self.plan.keys, digit, now);
        }
        let pressed = log.typed[side as usize].press(&self.plan.keys, digit, now);
        drop(log);
        if let Pressed::Key(action) = pressed {
            self.apply_key(side, action);
        }
        pressed
    }

    /// Carries out what `keys::toggle` says the key does.
    fn apply_key(&self, side: CallSide, action: KeyAction) {
        let by = format!("dtmf:{}", side.as_str());
        let t = keys::toggle(action, self.is_masked(), self.is_paused());
        let switched = match t.switch {
            Switch::Mask => self.set_masked(t.on, &by),
            Switch::Pause => self.set_paused(t.on, &by),
        };
        let done = switched.then_some(t.word);
        let code = self
            .plan
            .keys
            .codes
            .iter()
            .find(|(_, a)| *a == action)
            .map(|(c, _)| c.clone())
            .unwrap_or_default();
        let mut log = self.control.lock().unwrap_or_else(|e| e.into_inner());
        let offset = self.story_offset(&log, Instant::now());
        log.keys.push(KeyPress {
            key: code,
            action: done.unwrap_or(action.as_str()).to_string(),
            side: side.as_str().to_string(),
            at: rfc3339(SystemTime::now()),
            offset,
        });
    }

    /// The recording is paused and `by` paused it.
    fn paused_by(&self, by: &str) -> bool {
        let log = self.control.lock().unwrap_or_else(|e| e.into_inner());
        log.paused_since.is_some() && log.pauses.last().is_some_and(|p| p.by == by)
    }

    /// Called by the worker once the files are final.
    pub fn set_outcome(&self, outcome: Outcome) {
        *self.outcome.lock().unwrap_or_else(|e| e.into_inner()) = Some(outcome);
        self.finished.notify_all();
    }

    /// Wait until the worker has finalized the files (tests, shutdown).
    pub fn wait_outcome(&self, timeout: Duration) -> Option<Outcome> {
        let guard = self.outcome.lock().unwrap_or_else(|e| e.into_inner());
        let (guard, _) = self
            .finished
            .wait_timeout_while(guard, timeout, |o| o.is_none())
            .unwrap_or_else(|e| e.into_inner());
        guard.clone()
    }

    pub fn outcome(&self) -> Option<Outcome> {
        self.outcome
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// A span opened at `offset`, a story offset.
fn open_interval(offset: f64, by: &str) -> Interval {
    Interval {
        start: rfc3339(SystemTime::now()),
        end: None,
        start_offset: offset,
        end_offset: None,
        by: by.to_string(),
        ended_by: None,
    }
}

/// The open span of `list`, if any, closed at `offset`, a story offset.
fn close_open(list: &mut [Interval], offset: f64, by: &str) {
    if let Some(last) = list.last_mut().filter(|i| i.end.is_none()) {
        last.end = Some(rfc3339(SystemTime::now()));
        last.end_offset = Some(offset);
        last.ended_by = Some(by.to_string());
    }
}

fn round_ms(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
