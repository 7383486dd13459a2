//! The encoder threads.  A fixed pool: each worker polls its recordings
//! every 20 ms.  Nobody wakes a worker: the media thread only writes rings
//! (a wake-up would take a futex), and the control plane leaves new
//! recordings and shutdown in the worker's inbox, read at the next poll.
//!
//! The inbox is a plain mutex-guarded list rather than a channel: channel
//! crates keep per-thread state (a thread-local with a destructor) on the
//! *sending* thread, which here is a PBX thread, and a thread-local
//! destructor pins our shared object in memory so the PBX can never unload
//! the module cleanly.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::job::Job;
use super::Shared;

pub const POLL: Duration = Duration::from_millis(20);

/// Time a poll may spend closing finished recordings before it goes back
/// to draining the live ones (a queue's mass hang-up closes hundreds).
const CLOSING_BUDGET: Duration = Duration::from_millis(100);

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

pub fn run(inbox: Arc<Inbox>, shared: Arc<Shared>) {
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
        // Drain every live leg first, then close what ended: closing syncs
        // files to disk, which may take long on a busy disk, and the rings
        // of the calls still going only hold `ring_ms` of audio.
        let mut ending = Vec::new();
        for (i, job) in jobs.iter_mut().enumerate() {
            // Read `stopped` before draining, so everything pushed before
            // the stop is in the files.
            let stopping = job.rec.is_stopped() || shutting_down;
            job.poll(started);
            if stopping || job.failed() {
                ending.push(i);
            }
        }
        // Highest index first, so swap_remove leaves the others in place.
        for (closed, i) in ending.into_iter().rev().enumerate() {
            // A stopped leg takes no more audio, so closing it can wait for
            // the next poll if this one has spent its time (one always
            // closes, so an overloaded worker still gets them all done).
            if closed > 0 && started.elapsed() > CLOSING_BUDGET && !shutting_down {
                break;
            }
            let job = jobs.swap_remove(i);
            let rec = Arc::clone(&job.rec);
            let outcome = job.finalize();
            shared.finished(&rec, outcome);
        }
        if shutting_down && jobs.is_empty() {
            return;
        }
        if let Some(rest) = POLL.checked_sub(started.elapsed()) {
            std::thread::sleep(rest);
        }
    }
}
