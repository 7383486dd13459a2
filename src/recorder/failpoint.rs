//! Faults a test can inject into the encoder and closer threads, to prove
//! that a panic in one recording's work stops that recording alone and
//! never the thread that serves the others.  Each is a count of panics to
//! cause; in production they stay 0 and cost one relaxed load per use.

use std::sync::atomic::{AtomicU32, Ordering};

/// Panics in the next N polls of a recording (on an encoder thread).
#[doc(hidden)]
pub static PANIC_IN_POLL: AtomicU32 = AtomicU32::new(0);
/// Panics in the next N finishes of a recording (on the closer thread).
#[doc(hidden)]
pub static PANIC_IN_FINALIZE: AtomicU32 = AtomicU32::new(0);

/// Whether to fail here now; counts the fault down.
pub(crate) fn hit(point: &AtomicU32) -> bool {
    point.load(Ordering::Relaxed) != 0
        && point
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .is_ok()
}
