//! Password checks, on a few threads of their own.  Each Argon2id check
//! holds 19 MiB and a core for ~100 ms, on a host that is often the PBX:
//! run on the blocking pool (512 threads), a flood of logins took
//! gigabytes, and even a few at a time left a 19 MiB heap behind in each
//! pool thread's malloc arena.  Here the same PASSWORD_CHECKS threads do
//! every check, so their memory is reused, and a login that finds the
//! queue full, or waits too long in it, is told the server is busy (503).

use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::error::Fail;
use super::users;

/// Checks running at once.  Two at a time still log in twenty people a
/// second, and leave the PBX's cores and memory (2 x 19 MiB) alone.
pub const PASSWORD_CHECKS: usize = 2;

/// Logins waiting for a check: a few seconds of checks; more are refused
/// at once rather than queued behind a flood.
const QUEUED_CHECKS: usize = 64;

/// How long a login waits for its check before it is told the server is
/// busy: a queue that never drains is itself a flood.
const CHECK_WAIT: Duration = Duration::from_secs(10);

struct Job {
    phc: String,
    password: String,
    answer: tokio::sync::oneshot::Sender<bool>,
}

pub struct Checker {
    jobs: SyncSender<Job>,
}

impl Checker {
    pub fn new() -> Checker {
        let (jobs, queue) = sync_channel::<Job>(QUEUED_CHECKS);
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..PASSWORD_CHECKS {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("legrec-password-{i}"))
                .spawn(move || work(&queue))
                .expect("a password check thread");
        }
        Checker { jobs }
    }

    /// Whether `password` is the one `phc` was made from.
    pub async fn verify(&self, phc: String, password: String) -> Result<bool, Fail> {
        let busy = || Fail::Unavailable("too many logins at once: try again shortly".into());
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job = Job {
            phc,
            password,
            answer,
        };
        match self.jobs.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(busy()),
            Err(TrySendError::Disconnected(_)) => {
                return Err(Fail::Internal("the password check threads stopped".into()))
            }
        }
        match tokio::time::timeout(CHECK_WAIT, answered).await {
            Ok(Ok(ok)) => Ok(ok),
            Ok(Err(_)) => Err(Fail::Internal("a password check thread stopped".into())),
            Err(_) => Err(busy()),
        }
    }
}

impl Default for Checker {
    fn default() -> Checker {
        Checker::new()
    }
}

fn work(queue: &Mutex<Receiver<Job>>) {
    loop {
        let job = {
            let q = queue.lock().unwrap_or_else(|p| p.into_inner());
            match q.recv() {
                Ok(job) => job,
                Err(_) => return,
            }
        };
        // Whoever asked may have given up waiting: then the hash is not
        // worth computing.
        if job.answer.is_closed() {
            continue;
        }
        let ok = users::verify_password(&job.phc, &job.password);
        let _ = job.answer.send(ok);
    }
}
