//! The opener threads: create each new recording's folder, its locked
//! in-progress marker and its FLAC files, then hand the recording to an
//! encoder thread.
//!
//! Why threads of its own: a recording starts on the call's own thread
//! (the dialplan's `LegRecord`, FreeSWITCH's session thread), and creating
//! files can wait on the disk for as long as the disk likes.  300 starts at
//! once into one folder on an ordinary ext4 disk waited up to 1.5 s each
//! (BENCHMARKS.md), and a spool on a network mount that hangs would hold
//! every call that starts a recording.  Here the caller waits for the answer
//! at most `start_wait_ms`: a failure within it (a full disk, a folder it
//! may not write) is returned as before, so the dialplan still sees
//! `LEGREC_STATUS=FAILED`; past it the call goes on, its first audio waits
//! in the rings (`ring_ms`), and a late failure is logged and ends the
//! recording failed.  MixMonitor opens its file on its own thread too.
//!
//! The queue and the replies use a mutex and a condition variable, not a
//! channel: a channel crate keeps thread-local state on the PBX thread that
//! sends or waits (see `worker.rs`).

use std::collections::VecDeque;
use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use super::job::{Job, JobFiles};
use super::report::initial_sidecar;
use super::ring::LegConsumer;
use super::session::{Outcome, Recording};
use super::shared::Shared;
use super::worker::{Control, Inbox};
use super::StartError;
use crate::flac::encoder::{FlacSpec, FlacWriter};
use crate::policy::config::{General, Settings};
use crate::spool::files;
use crate::Status;

/// Opener threads.  A start costs the kernel over 1 ms here (ext4's inode
/// allocator), and on the saturated benchmark machine one thread fell
/// behind 300 starts at once by seconds; four fell behind less, though not
/// always within `ring_ms` (BENCHMARKS.md).  On a disk that hangs, at most
/// this many threads wait on it.
pub(super) const THREADS: usize = 4;

/// A recording waiting for its files.
pub(super) struct Opening {
    pub rec: Arc<Recording>,
    pub consumers: [LegConsumer; 2],
    /// The settings it started under (a reload meanwhile changes nothing).
    pub settings: Arc<Settings>,
    /// The encoder thread that will serve it.
    pub worker: Arc<Inbox>,
    pub reply: Arc<Reply>,
}

/// The answer to one start, for a caller that may have stopped waiting.
#[derive(Default)]
pub(super) struct Reply {
    state: Mutex<Answer>,
    answered: Condvar,
}

#[derive(Default)]
enum Answer {
    #[default]
    Waiting,
    Given(Result<(), StartError>),
    /// The caller went on: the opener thread reports what happens itself.
    NotAwaited,
}

impl Reply {
    fn lock(&self) -> MutexGuard<'_, Answer> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The caller's side: the answer if it came within `limit`; `None` if
    /// not, and from then on the opener no longer gives it here.
    pub fn wait(&self, limit: Duration) -> Option<Result<(), StartError>> {
        let guard = self.lock();
        let (mut state, _) = self
            .answered
            .wait_timeout_while(guard, limit, |s| matches!(s, Answer::Waiting))
            .unwrap_or_else(|e| e.into_inner());
        match std::mem::replace(&mut *state, Answer::NotAwaited) {
            Answer::Given(r) => Some(r),
            _ => None,
        }
    }

    /// The opener's side: hands `result` over, or gives it back when the
    /// caller is no longer waiting.
    fn give(&self, result: Result<(), StartError>) -> Result<(), Result<(), StartError>> {
        let mut state = self.lock();
        match *state {
            Answer::Waiting => {
                *state = Answer::Given(result);
                self.answered.notify_all();
                Ok(())
            }
            _ => Err(result),
        }
    }
}

#[derive(Default)]
struct Queue {
    openings: VecDeque<Opening>,
    shutting_down: bool,
}

/// The openers' inbox.
#[derive(Default)]
pub(super) struct Openings {
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

/// An opener thread's body.
pub(super) fn run(openings: Arc<Openings>, shared: Arc<Shared>) {
    while let Some(o) = openings.next() {
        let Opening {
            rec,
            consumers,
            settings,
            worker,
            reply,
        } = o;
        // A panic creating one recording's files must not leave every later
        // start waiting for a thread that is gone.
        let general = &settings.general;
        let opened = catch_unwind(AssertUnwindSafe(|| open(&rec, general))).unwrap_or_else(|_| {
            Err(StartError::Io(
                "internal error while creating the files (caught)".into(),
            ))
        });
        let result = opened.map(|files| {
            let job = Job::new(
                Arc::clone(&rec),
                consumers,
                files,
                general.align_slack_ms,
                general.file_mode.0,
            );
            worker.send(Control::Add(Box::new(job)));
        });
        if let Err(late) = reply.give(result) {
            went_on_without(&rec, late, general, &shared);
        }
    }
}

/// The call went on before its files were there: say how it ended.
fn went_on_without(
    rec: &Arc<Recording>,
    late: Result<(), StartError>,
    g: &General,
    shared: &Shared,
) {
    let took = rec.started.elapsed().as_millis();
    let (channel, uniqueid) = (rec.call.channel.as_str(), rec.call.uniqueid.as_str());
    match late {
        Ok(()) => {
            let lost = if took > u128::from(g.ring_ms) {
                "; audio beyond ring_ms was dropped"
            } else {
                ", and its first audio waited in memory"
            };
            log::warn!(channel = channel, uniqueid = uniqueid;
                "recording {}: creating its files in {} took {took} ms (the call waits at most start_wait_ms, {} ms){lost}; the spool's disk is slow",
                rec.id, rec.paths.dir.display(), g.start_wait_ms);
        }
        Err(e) => {
            log::error!(channel = channel, uniqueid = uniqueid;
                "cannot start recording {} (after {took} ms; the call went on unrecorded): {e}", rec.id);
            rec.stop();
            let outcome = Outcome {
                status: Status::Failed,
                reason: e.to_string(),
                files: Vec::new(),
                seconds: 0.0,
            };
            shared.finished(rec, outcome);
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
    let tags = vorbis_tags(rec);
    let (mut legs, mut stereo) = ([None, None], None);
    for file in paths.audio(rec.policy.legs) {
        let out =
            files::create_new(&file.path, g.file_mode.0).map_err(|e| io_err(&file.path, e))?;
        created.push(file.path.clone());
        let spec = FlacSpec {
            channels: file.channels,
            sample_rate: rec.policy.sample_rate,
            compression_level: g.compression_level,
            blocksize: crate::flac::encoder::speech_blocksize(rec.policy.sample_rate),
            tags: tags.clone(),
        };
        let writer = FlacWriter::new(out, &spec).map_err(|e| io_err(&file.path, e))?;
        match file.leg {
            Some(i) => legs[i] = Some(writer),
            None => stereo = Some(writer),
        }
    }
    Ok(JobFiles {
        legs,
        stereo,
        marker: f,
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_after_the_wait_goes_back_to_the_opener() {
        let r = Reply::default();
        assert!(r.wait(Duration::from_millis(1)).is_none());
        assert!(r.give(Ok(())).is_err(), "nobody waits any more");
    }

    #[test]
    fn an_answer_in_time_reaches_the_caller() {
        let r = Arc::new(Reply::default());
        let r2 = Arc::clone(&r);
        let t = std::thread::spawn(move || r2.give(Err(StartError::ShuttingDown)).is_ok());
        let got = r.wait(Duration::from_secs(10));
        assert!(t.join().unwrap());
        assert!(matches!(got, Some(Err(StartError::ShuttingDown))));
    }
}
