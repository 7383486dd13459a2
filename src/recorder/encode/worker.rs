//! The encoder threads and the closer.  A fixed pool: each worker polls its
//! recordings every 20 ms, and one closer thread finishes the recordings
//! that ended.  Nobody wakes a worker: the media thread only writes rings
//! (a wake-up would take a futex), and the control plane leaves new
//! recordings and shutdown in the worker's inbox, read at the next poll.
//!
//! The inbox is a plain mutex-guarded list rather than a channel: channel
//! crates keep per-thread state (a thread-local with a destructor) on the
//! *sending* thread, which here is a PBX thread, and a thread-local
//! destructor pins our shared object in memory so the PBX can never unload
//! the module cleanly.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::job::Job;
use crate::flac::encoder::take_write_time;
use crate::recorder::intake::recording::{Outcome, Recording};
use crate::recorder::shared::Shared;
use crate::Status;

pub const POLL: Duration = Duration::from_millis(20);

pub enum Control {
    Add(Box<Job>),
    Shutdown,
}

/// Messages for one worker, taken at each poll.
#[derive(Default)]
pub struct Inbox {
    queue: Mutex<Vec<Control>>,
}

impl Inbox {
    pub fn send(&self, msg: Control) {
        self.queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(msg);
    }

    fn take(&self) -> Vec<Control> {
        std::mem::take(&mut *self.queue.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// An encoder thread: drains and encodes its recordings every poll, and
/// hands the ones that ended to the closer.
pub fn run(inbox: Arc<Inbox>, closer: Arc<Inbox>, shared: Arc<Shared>) {
    let mut jobs: Vec<Job> = Vec::new();
    let mut shutting_down = false;
    loop {
        let started = Instant::now();
        for msg in inbox.take() {
            match msg {
                Control::Add(job) => jobs.push(*job),
                Control::Shutdown => shutting_down = true,
            }
        }
        let mut i = 0;
        while i < jobs.len() {
            // Read `stopped` before draining, so everything pushed before
            // the stop is in the files.
            let stopping = jobs[i].rec.is_stopped() || shutting_down;
            // A panic in one recording's work stops that recording, not
            // this thread: were it to end, every recording it serves would
            // drop its audio from then on, without a word.
            if catch_unwind(AssertUnwindSafe(|| jobs[i].poll(started))).is_err() {
                jobs[i].panicked();
            }
            // One whose files are still being made waits for them (its
            // audio is in memory); at shutdown the openers are done.
            let waits = jobs[i].awaits_files() && !shutting_down;
            if (stopping || jobs[i].failed()) && !waits {
                closer.send(Control::Add(Box::new(jobs.swap_remove(i))));
            } else {
                i += 1;
            }
        }
        // Taking the write time also starts the next pass's count at zero.
        warn_if_behind(started.elapsed(), take_write_time(), jobs.len(), &shared);
        if shutting_down && jobs.is_empty() {
            return;
        }
        if let Some(rest) = POLL.checked_sub(started.elapsed()) {
            std::thread::sleep(rest);
        }
    }
}

/// The closer thread: finishes ended recordings (the last audio, FLAC
/// headers, fsyncs, sidecar, audit log).  Syncing to disk can take long on
/// a busy disk (an fsync on ext4 waits for the whole journal commit), and
/// an encoder thread stalled that long would drop the audio of every call
/// it serves once their rings (`ring_ms`) fill; here it delays only the
/// moment a finished recording is final.  Stops once told to and empty;
/// the core tells it after the encoder threads have handed it everything.
pub fn close(inbox: Arc<Inbox>, shared: Arc<Shared>) {
    loop {
        let started = Instant::now();
        let mut shutting_down = false;
        for msg in inbox.take() {
            match msg {
                Control::Add(job) => {
                    let rec = Arc::clone(&job.rec);
                    // As on the encoder threads: a panic finishing one
                    // recording must not leave every later one unfinished.
                    let outcome = catch_unwind(AssertUnwindSafe(|| job.finalize()))
                        .unwrap_or_else(|_| unfinished(&rec));
                    shared.finished(&rec, outcome);
                }
                Control::Shutdown => shutting_down = true,
            }
        }
        if shutting_down {
            return;
        }
        if let Some(rest) = POLL.checked_sub(started.elapsed()) {
            std::thread::sleep(rest);
        }
    }
}

/// What a recording whose finish panicked ends as: failed, its marker left
/// for `legrec repair` (or the repair at the next module load) to make its
/// files whole.
fn unfinished(rec: &Recording) -> Outcome {
    let reason = "internal error while finishing (caught); the in-progress marker stays \
                  for legrec repair"
        .to_string();
    log::error!(channel = rec.call.channel.as_str(), uniqueid = rec.call.uniqueid.as_str();
        "recording {} could not be finished: {reason}", rec.id);
    Outcome {
        status: Status::Failed,
        reason,
        files: Vec::new(),
        seconds: rec.offset_at(Instant::now()),
    }
}

/// Tell the admin when an encoder thread fell behind by more than half of
/// what a ring holds: audio is being dropped or about to be.  `writing` is
/// how much of the pass went into writes to the files, which says whether
/// the disk or the CPU held it up.
fn warn_if_behind(took: Duration, writing: Duration, recordings: usize, shared: &Shared) {
    // A pass within its poll is the normal case: no need to look at the
    // settings (ring_ms is at least 200 ms, so half a ring is never less).
    if took <= POLL {
        return;
    }
    let ring = Duration::from_millis(u64::from(shared.ring_ms()));
    if took > ring / 2 {
        log::warn!(
            "an encoder thread needed {} ms for one pass over its {recordings} recordings, \
             {} ms of it writing to the files; audio is dropped once that passes ring_ms ({} ms): {}",
            took.as_millis(),
            writing.as_millis(),
            ring.as_millis(),
            behind_because(took, writing)
        );
    }
}

/// Which of the two held a pass up, in the admin's words.
fn behind_because(took: Duration, writing: Duration) -> &'static str {
    if writing * 2 >= took {
        "the disk is blocking writes (a slow or busy disk, or a file system waiting on its journal)"
    } else {
        "the machine is short of CPU"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pass_spent_mostly_writing_blames_the_disk() {
        let ms = Duration::from_millis;
        assert!(behind_because(ms(900), ms(800)).starts_with("the disk"));
        assert!(behind_because(ms(900), ms(450)).starts_with("the disk"));
        assert!(behind_because(ms(900), ms(100)).contains("short of CPU"));
    }
}
