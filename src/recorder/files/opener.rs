//! The opener threads: create each new recording's folder, its locked
//! in-progress marker and its (empty) audio files, and hand them over.
//!
//! Why threads of its own: a recording starts on the call's own thread
//! (the dialplan's `LegRecord`, FreeSWITCH's session thread), and creating
//! files can wait on the disk for as long as the disk likes.  300 starts at
//! once into one folder on an ordinary ext4 disk waited up to 1.5 s each
//! (BENCHMARKS.md), and a spool on a network mount that hangs would hold
//! every call that starts a recording.  Here the caller waits for the files
//! at most `start_wait_ms`: a failure within it (a full disk, a folder it
//! may not write) is returned as before, so the dialplan still sees
//! `LEGREC_STATUS=FAILED`.  Either way the recording goes to its encoder
//! thread, which encodes its audio into memory until the files are there
//! (`handover::HOLD_WHILE_OPENING`), so a slow disk costs memory, not audio; a
//! late failure is logged and ends the recording failed.  MixMonitor opens
//! its file on its own thread too.
//!
//! The queue and the hand-over use a mutex and a condition variable, not a
//! channel: a channel crate keeps thread-local state on the PBX thread that
//! sends or waits (see `worker.rs`).

use std::collections::VecDeque;
use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use super::handover::{Handover, JobFiles, HOLD_WHILE_OPENING};
use super::report::initial_sidecar;
use crate::policy::config::{General, Settings};
use crate::recorder::intake::recording::Recording;
use crate::recorder::start_error::StartError;
use crate::spool::files;

/// Opener threads.  A start costs the kernel over 1 ms here (ext4's inode
/// allocator), and on the saturated benchmark machine one thread fell
/// behind 300 starts at once by seconds; four fell behind less
/// (BENCHMARKS.md).  On a disk that hangs, at most this many threads wait
/// on it.
pub(in crate::recorder) const THREADS: usize = 4;

/// A recording waiting for its files.
pub(in crate::recorder) struct Opening {
    pub rec: Arc<Recording>,
    /// The settings it started under (a reload meanwhile changes nothing).
    pub settings: Arc<Settings>,
    pub handover: Arc<Handover>,
}

#[derive(Default)]
struct Queue {
    openings: VecDeque<Opening>,
    shutting_down: bool,
}

/// The openers' inbox.
#[derive(Default)]
pub(in crate::recorder) struct Openings {
    queue: Mutex<Queue>,
    ready: Condvar,
}

impl Openings {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queue a start; refused once the openers are shutting down, when
    /// nobody would open it.
    pub fn send(&self, opening: Opening) -> Result<(), StartError> {
        let mut q = self.lock();
        if q.shutting_down {
            return Err(StartError::ShuttingDown);
        }
        q.openings.push_back(opening);
        self.ready.notify_one();
        Ok(())
    }

    /// Open what is queued, then stop.
    pub fn shut(&self) {
        self.lock().shutting_down = true;
        self.ready.notify_all();
    }

    fn next(&self) -> Option<Opening> {
        let mut q = self.lock();
        loop {
            if let Some(o) = q.openings.pop_front() {
                return Some(o);
            }
            if q.shutting_down {
                return None;
            }
            q = self.ready.wait(q).unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// How much lower than the PBX's threads an opener runs: its work can
/// wait (the audio waits in memory meanwhile), the calls' and the encoder
/// threads' cannot.  Creating files costs kernel CPU here (ext4's inode
/// allocator); in the benchmark, 300 starts at once on the saturated
/// 2-core machine kept the encoder threads from the CPU long enough that
/// their rings overflowed (BENCHMARKS.md).
const NICENESS: i32 = 10;

/// An opener thread's body.
pub(in crate::recorder) fn run(openings: Arc<Openings>) {
    crate::recorder::thread::lower_priority(NICENESS);
    while let Some(o) = openings.next() {
        let Opening {
            rec,
            settings,
            handover,
        } = o;
        // A panic creating one recording's files must not leave every later
        // start waiting for a thread that is gone.
        let g = &settings.general;
        let made = catch_unwind(AssertUnwindSafe(|| open(&rec, g))).unwrap_or_else(|_| {
            Err(StartError::Io(
                "internal error while creating the files (caught)".into(),
            ))
        });
        let failure = made.as_ref().err().map(ToString::to_string);
        if !handover.give(made) {
            went_on_without(&rec, failure, g);
        }
    }
}

/// The call went on before its files were there: say how it went.  The
/// recording's encoder thread ends it when they could not be made.
fn went_on_without(rec: &Recording, failure: Option<String>, g: &General) {
    let ms = rec.started.elapsed().as_millis();
    let (channel, uniqueid) = (rec.call.channel.as_str(), rec.call.uniqueid.as_str());
    match failure {
        None => {
            // What the rings refused while the encoder thread held the
            // audio at its limit (HOLD_WHILE_OPENING).
            let dropped: u64 = rec
                .legs
                .iter()
                .map(|l| l.dropped_samples.load(Ordering::Relaxed))
                .sum();
            let lost = if dropped > 0 {
                format!(
                    "; past the first {} s it held in memory, {dropped} samples were dropped",
                    HOLD_WHILE_OPENING.as_secs()
                )
            } else {
                ", and its audio meanwhile waited in memory".to_string()
            };
            log::warn!(channel = channel, uniqueid = uniqueid;
                "recording {}: creating its files in {} took {ms} ms (the call waits at most start_wait_ms, {} ms){lost}; the spool's disk is slow",
                rec.id, rec.paths.dir.display(), g.start_wait_ms);
        }
        Some(e) => {
            log::error!(channel = channel, uniqueid = uniqueid;
                "cannot start recording {} (after {ms} ms; the call went on unrecorded): {e}", rec.id);
            // Refuse its audio from now on.
            rec.stop();
        }
    }
}

/// Create the folder, the marker (locked: "this one is alive") and the
/// FLAC files; on failure remove whatever of them was made.
fn open(rec: &Recording, g: &General) -> Result<JobFiles, StartError> {
    let mut created = Vec::new();
    let opened = create(rec, g, &mut created);
    if opened.is_err() {
        for p in &created {
            let _ = std::fs::remove_file(p);
        }
    }
    opened
}

fn io_err(what: &Path, e: io::Error) -> StartError {
    StartError::Io(format!("{}: {e}", what.display()))
}

fn create(
    rec: &Recording,
    g: &General,
    created: &mut Vec<PathBuf>,
) -> Result<JobFiles, StartError> {
    let paths = &rec.paths;
    files::create_dirs(&paths.dir, g.dir_mode.0).map_err(|e| io_err(&paths.dir, e))?;
    let marker = serde_json::to_vec_pretty(&initial_sidecar(rec)).expect("sidecar serializes");
    let m = paths.marker();
    let mut f = files::create_new(&m, g.file_mode.0).map_err(|e| io_err(&m, e))?;
    created.push(m.clone());
    files::try_lock(&f).map_err(|e| io_err(&m, e))?;
    io::Write::write_all(&mut f, &marker).map_err(|e| io_err(&m, e))?;
    let (mut legs, mut stereo) = ([None, None], None);
    for file in paths.audio(rec.policy.legs) {
        let out =
            files::create_new(&file.path, g.file_mode.0).map_err(|e| io_err(&file.path, e))?;
        created.push(file.path.clone());
        match file.leg {
            Some(i) => legs[i] = Some(out),
            None => stereo = Some(out),
        }
    }
    Ok(JobFiles {
        legs,
        stereo,
        marker: f,
    })
}
