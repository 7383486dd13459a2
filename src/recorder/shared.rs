//! What the encoder threads share with the control plane (the core): the
//! settings new recordings take, the live list, and the host's "finished"
//! callback.

use std::sync::{Arc, Mutex, RwLock};

use crate::policy::config::Settings;
use crate::recorder::intake::recording::{Outcome, Recording};

/// Called on a worker thread when a recording's files are final.
pub type FinishedFn = Box<dyn Fn(&Recording, &Outcome) + Send + Sync>;

/// What workers share with the control plane.
pub struct Shared {
    pub(super) settings: RwLock<Arc<Settings>>,
    pub(super) live: Mutex<Vec<Arc<Recording>>>,
    pub(super) on_finished: Option<FinishedFn>,
}

impl Shared {
    pub(super) fn ring_ms(&self) -> u32 {
        self.settings
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .general
            .ring_ms
    }

    /// Off the live list.
    pub(super) fn forget(&self, rec: &Arc<Recording>) {
        self.live
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|r| !Arc::ptr_eq(r, rec));
    }

    pub(super) fn finished(&self, rec: &Arc<Recording>, outcome: Outcome) {
        self.forget(rec);
        log::info!(channel = rec.call.channel.as_str(), uniqueid = rec.call.uniqueid.as_str();
            "recording {} {} ({:.1} s{}{})", rec.id, outcome.status.as_str(), outcome.seconds,
            if outcome.reason.is_empty() { "" } else { ": " }, outcome.reason);
        if let Some(f) = &self.on_finished {
            // A panicking host callback must not take the worker down.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(rec, &outcome)));
        }
        rec.set_outcome(outcome);
    }
}
