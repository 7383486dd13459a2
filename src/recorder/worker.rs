//! The encoder threads.  A fixed pool: each worker polls its recordings
//! every 20 ms.  The media thread never wakes a worker (waking takes a
//! futex); workers only hear from the control plane: new recordings and
//! shutdown.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError};

use super::job::Job;
use super::Shared;

pub const POLL: Duration = Duration::from_millis(20);

pub enum Control {
    Add(Box<Job>),
    Shutdown,
}

pub fn run(rx: Receiver<Control>, shared: Arc<Shared>) {
    let mut jobs: Vec<Job> = Vec::new();
    let mut shutting_down = false;
    let mut next_poll = Instant::now() + POLL;
    loop {
        let handle = |msg: Control, jobs: &mut Vec<Job>| match msg {
            Control::Add(job) => {
                jobs.push(*job);
                false
            }
            Control::Shutdown => true,
        };
        match rx.recv_deadline(next_poll) {
            Ok(msg) => shutting_down |= handle(msg, &mut jobs),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => shutting_down = true,
        }
        while let Ok(msg) = rx.try_recv() {
            shutting_down |= handle(msg, &mut jobs);
        }
        let now = Instant::now();
        if now < next_poll && !shutting_down {
            continue;
        }
        next_poll = now + POLL;
        let mut i = 0;
        while i < jobs.len() {
            // Read `stopped` before draining, so everything pushed before
            // the stop is in the files.
            let stopping = jobs[i].rec.is_stopped() || shutting_down;
            jobs[i].poll(now);
            if stopping || jobs[i].failed() {
                let job = jobs.swap_remove(i);
                let rec = Arc::clone(&job.rec);
                let outcome = job.finalize();
                shared.finished(&rec, outcome);
            } else {
                i += 1;
            }
        }
        if shutting_down && jobs.is_empty() {
            return;
        }
    }
}
