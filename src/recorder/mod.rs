//! The recorder: live recordings, their rings and the worker pool.  The
//! folders follow a frame: it enters (`intake`), waits (`ring`) and becomes
//! FLAC (`encode`) in the files `files` creates and describes.

pub mod encode;
pub mod failpoint;
pub mod files;
pub mod intake;
pub mod ring;
mod shared;
pub mod start_error;
pub mod thread;

use std::io;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use crate::policy::admit::{self, Refusal};
use crate::policy::config::Settings;
use crate::spool::layout::{self, RecordingPaths};
use encode::job::Job;
use encode::worker::{self, Control, Inbox};
use files::{handover, opener};
use intake::recording::{CallInfo, Recording};
use shared::Shared;

pub use shared::FinishedFn;
pub use start_error::StartError;

/// The process-wide recorder.
pub struct Core {
    shared: Arc<Shared>,
    workers: Vec<(Arc<Inbox>, thread::Thread)>,
    /// Finishes the recordings that ended (see `worker::close`).
    closer: Option<(Arc<Inbox>, thread::Thread)>,
    /// New recordings waiting for their files (see `opener`); refuses
    /// more once shut.
    openings: Arc<opener::Openings>,
    /// The threads that create them.
    openers: Vec<thread::Thread>,
    next_worker: AtomicUsize,
    shutting_down: Arc<AtomicBool>,
    /// Threads started with `run_beside`.
    beside: Vec<thread::Thread>,
}

impl Core {
    pub fn new(settings: Settings, on_finished: Option<FinishedFn>) -> io::Result<Core> {
        let g = &settings.general;
        crate::spool::files::create_dirs(&g.spool_dir, g.dir_mode.0).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot create spool_dir {}: {e}", g.spool_dir.display()),
            )
        })?;
        let n = g.workers;
        let shared = Arc::new(Shared {
            settings: RwLock::new(Arc::new(settings)),
            live: Mutex::new(Vec::new()),
            on_finished,
        });
        // Built first so that a failure to start a thread shuts down (and
        // joins) the ones already running, through Drop.
        let mut core = Core {
            shared,
            workers: Vec::with_capacity(n),
            closer: None,
            openings: Arc::new(opener::Openings::default()),
            openers: Vec::with_capacity(opener::THREADS),
            next_worker: AtomicUsize::new(0),
            shutting_down: Arc::new(AtomicBool::new(false)),
            beside: Vec::new(),
        };
        let closer = Arc::new(Inbox::default());
        let (ib, sh) = (Arc::clone(&closer), Arc::clone(&core.shared));
        core.closer = Some((
            Arc::clone(&closer),
            thread::spawn("legrec-close", move || worker::close(ib, sh))?,
        ));
        for i in 0..n {
            let inbox = Arc::new(Inbox::default());
            let (ib, cl, sh) = (
                Arc::clone(&inbox),
                Arc::clone(&closer),
                Arc::clone(&core.shared),
            );
            let handle = thread::spawn(&format!("legrec-enc{i}"), move || worker::run(ib, cl, sh))?;
            core.workers.push((inbox, handle));
        }
        for i in 0..opener::THREADS {
            let op = Arc::clone(&core.openings);
            let handle = thread::spawn(&format!("legrec-open{i}"), move || opener::run(op))?;
            core.openers.push(handle);
        }
        log::info!(target: "notice", "legrec {} started: {} encoder threads, {} openers and a closer", crate::VERSION, n, opener::THREADS);
        Ok(core)
    }

    /// Run `work` on a thread of its own beside the recorder, for as long
    /// as the core lives: it is told to stop (the flag) when the core shuts
    /// down, and joined then.  Loading the module need not wait for it.
    pub fn run_beside(
        &mut self,
        name: &str,
        work: impl FnOnce(&AtomicBool) + Send + 'static,
    ) -> io::Result<()> {
        let stop = Arc::clone(&self.shutting_down);
        self.beside.push(thread::spawn(name, move || work(&stop))?);
        Ok(())
    }

    pub fn settings(&self) -> Arc<Settings> {
        Arc::clone(
            &self
                .shared
                .settings
                .read()
                .unwrap_or_else(|e| e.into_inner()),
        )
    }

    /// New recordings use `settings`; live ones keep theirs.
    pub fn reload(&self, settings: Settings) {
        let n = settings.policies.len();
        if settings.general.workers != self.workers.len() {
            log::warn!(
                "workers = {} takes effect when the module is loaded again ({} running)",
                settings.general.workers,
                self.workers.len()
            );
        }
        *self
            .shared
            .settings
            .write()
            .unwrap_or_else(|e| e.into_inner()) = Arc::new(settings);
        log::info!(target: "notice", "configuration reloaded: {n} policies");
    }

    pub fn live(&self) -> Vec<Arc<Recording>> {
        self.shared
            .live
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Start a recording: its rings and encoders now, its files on an
    /// opener thread (waited for at most `start_wait_ms`).
    pub fn start(&self, policy_name: &str, call: CallInfo) -> Result<Arc<Recording>, StartError> {
        if self.shutting_down.load(Ordering::Acquire) {
            return Err(StartError::ShuttingDown);
        }
        let settings = self.settings();
        let policy = settings
            .policies
            .get(policy_name)
            .ok_or_else(|| StartError::UnknownPolicy(policy_name.to_string()))?;
        let facts = admit::Call {
            caller: &call.caller_number,
            callee: &call.callee,
            channel: &call.channel,
            unattended: call.unattended,
            notice_played_before: call.notice_played_before,
        };
        let plan = match admit::admit(policy, &facts, &settings.jurisdictions) {
            Ok(plan) => plan,
            Err(Refusal::NeedsConsentWindow) => {
                let e = StartError::NeedsConsentWindow(policy.name.clone());
                log::warn!(channel = call.channel.as_str(), uniqueid = call.uniqueid.as_str(); "not recorded: {e}");
                return Err(e);
            }
            Err(Refusal::Exempt(entry)) => {
                log::info!(channel = call.channel.as_str(), uniqueid = call.uniqueid.as_str(); "not recorded: policy {} never_record lists '{entry}'", policy.name);
                return Err(StartError::Exempt(entry));
            }
        };
        let policy = Arc::new(policy.clone());
        let g = &settings.general;
        let now = SystemTime::now();
        let id = layout::new_id(now);
        let paths = RecordingPaths::new(&g.spool_dir, &policy.name, now, &id)
            .map_err(|e| StartError::Io(e.to_string()))?;
        let capacity = (u64::from(g.ring_ms) * u64::from(policy.sample_rate) / 1000) as usize;
        let (pi, ci) = ring::leg_ring(capacity, policy.sample_rate);
        let (po, co) = ring::leg_ring(capacity, policy.sample_rate);
        let rec = Arc::new(Recording::new(
            id,
            Arc::clone(&policy),
            call,
            paths,
            plan,
            [pi, po],
        ));
        let handover = Arc::new(handover::Handover::default());
        let job = Job::new(Arc::clone(&rec), [ci, co], Arc::clone(&handover), g)
            .map_err(|e| StartError::Io(e.to_string()))?;
        // Live from now: the CLI lists it and a stop reaches it while its
        // files are being created.
        self.shared
            .live
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Arc::clone(&rec));
        let opening = opener::Opening {
            rec: Arc::clone(&rec),
            settings: Arc::clone(&settings),
            handover: Arc::clone(&handover),
        };
        // No answer in time: the encoder thread holds the audio in memory
        // until the files come, and the opener says later how it went.
        let wait = Duration::from_millis(u64::from(g.start_wait_ms));
        let answer = self
            .openings
            .send(opening)
            .and_then(|()| handover.wait(wait).unwrap_or(Ok(())));
        if let Err(e) = answer {
            self.shared.forget(&rec);
            log::error!(channel = rec.call.channel.as_str(), uniqueid = rec.call.uniqueid.as_str(); "cannot start recording: {e}");
            return Err(e);
        }
        let w = self.next_worker.fetch_add(1, Ordering::Relaxed) % self.workers.len();
        self.workers[w].0.send(Control::Add(Box::new(job)));
        log::info!(channel = rec.call.channel.as_str(), uniqueid = rec.call.uniqueid.as_str();
            "recording {} started under policy {} into {}", rec.id, policy.name, rec.paths.dir.display());
        Ok(rec)
    }

    /// Stop everything, finalize every file, join the workers.
    pub fn shutdown(&mut self) {
        if self.shutting_down.swap(true, Ordering::AcqRel) {
            return;
        }
        for rec in self.live() {
            rec.stop();
        }
        // First: the openers hand over the last recordings' files.
        self.openings.shut();
        for handle in self.openers.drain(..) {
            handle.join();
        }
        for (inbox, _) in &self.workers {
            inbox.send(Control::Shutdown);
        }
        for (_, handle) in self.workers.drain(..) {
            handle.join();
        }
        // After the workers: they hand it every recording they had.
        if let Some((inbox, handle)) = self.closer.take() {
            inbox.send(Control::Shutdown);
            handle.join();
        }
        for handle in self.beside.drain(..) {
            handle.join();
        }
        log::info!("legrec stopped");
    }
}

impl Drop for Core {
    fn drop(&mut self) {
        self.shutdown();
    }
}
