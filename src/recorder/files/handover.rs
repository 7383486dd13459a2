//! A new recording's files on their way from the opener thread that makes
//! them to the call's thread, which waits for them at most
//! `start_wait_ms`, and to the recording's encoder thread, which takes them
//! when they come and until then keeps the audio in memory.

use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

use crate::recorder::start_error::StartError;

/// How much of a recording's audio is kept in memory, encoded, while its
/// files are still being created (a slow or hung spool disk): about 7 KB a
/// second per leg at 8 kHz.  Past it the recording stops taking audio from
/// its rings, which then drop what does not fit (counted in the sidecar).
pub const HOLD_WHILE_OPENING: Duration = Duration::from_secs(30);

/// The files a new recording writes into, made by an opener thread (empty;
/// the encoders write their headers).
pub struct JobFiles {
    pub legs: [Option<std::fs::File>; 2],
    pub stereo: Option<std::fs::File>,
    /// The in-progress marker, open and locked (files::try_lock) for as
    /// long as the job lives.
    pub marker: std::fs::File,
}

/// One recording's files, from the opener thread that makes them to the
/// call's thread (which waits for them at most `start_wait_ms`) and the
/// recording's encoder thread (which takes them when they come).
#[derive(Default)]
pub(in crate::recorder) struct Handover {
    state: Mutex<Handed>,
    made: Condvar,
}

#[derive(Default)]
struct Handed {
    files: Option<Result<JobFiles, StartError>>,
    /// The caller stopped waiting: the opener thread says itself how it went.
    caller_went_on: bool,
}

impl Handover {
    fn lock(&self) -> MutexGuard<'_, Handed> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The caller's side: `Some(Ok)` once the files are there (they stay
    /// for the encoder thread), `Some(Err)` if they could not be made,
    /// `None` if neither within `limit`.
    pub fn wait(&self, limit: Duration) -> Option<Result<(), StartError>> {
        let guard = self.lock();
        let (mut h, _) = self
            .made
            .wait_timeout_while(guard, limit, |h| h.files.is_none())
            .unwrap_or_else(|e| e.into_inner());
        match h.files.take() {
            Some(Ok(files)) => {
                h.files = Some(Ok(files));
                Some(Ok(()))
            }
            Some(Err(e)) => Some(Err(e)),
            None => {
                h.caller_went_on = true;
                None
            }
        }
    }

    /// The opener's side: hand the files (or why not) over; whether the
    /// caller was still waiting for them.
    pub fn give(&self, files: Result<JobFiles, StartError>) -> bool {
        let mut h = self.lock();
        h.files = Some(files);
        self.made.notify_all();
        !h.caller_went_on
    }

    /// The encoder thread's side: the files (or why not) once they came.
    pub fn take(&self) -> Option<Result<JobFiles, StartError>> {
        self.lock().files.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn files_made_after_the_wait_stay_for_the_encoder_thread() {
        let h = Handover::default();
        assert!(h.wait(Duration::from_millis(1)).is_none());
        assert!(
            !h.give(Err(StartError::ShuttingDown)),
            "nobody waits any more"
        );
        assert!(matches!(h.take(), Some(Err(StartError::ShuttingDown))));
        assert!(h.take().is_none(), "taken once");
    }

    #[test]
    fn a_failure_in_time_reaches_the_caller() {
        let h = Arc::new(Handover::default());
        let h2 = Arc::clone(&h);
        let t = std::thread::spawn(move || h2.give(Err(StartError::ShuttingDown)));
        let got = h.wait(Duration::from_secs(10));
        assert!(t.join().unwrap());
        assert!(matches!(got, Some(Err(StartError::ShuttingDown))));
        assert!(h.take().is_none(), "the caller took it");
    }
}
