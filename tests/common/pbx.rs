//! What a test needs of a PBX sandbox, whichever PBX it runs: its log and
//! its recordings, and waiting on them.  `asterisk::Sandbox` and
//! `freeswitch::Sandbox` say where theirs are; the waiting is written once.

use std::path::PathBuf;
use std::time::Duration;

pub trait Pbx {
    /// The PBX's log so far ("" before it wrote one).
    fn log(&self) -> String;
    /// The folder legrec records into.
    fn recordings(&self) -> PathBuf;

    /// Wait until `cond` holds, or panic with `what` and the log's tail.
    fn wait_for(&self, what: &str, timeout: Duration, mut cond: impl FnMut() -> bool)
    where
        Self: Sized,
    {
        super::wait_until(what, timeout, &mut cond, || self.log());
    }

    /// Sidecars of finished recordings.
    fn sidecars(&self) -> Vec<PathBuf> {
        super::sidecars(&self.recordings())
    }

    fn wait_sidecars(&self, n: usize, timeout: Duration) -> Vec<PathBuf>
    where
        Self: Sized,
    {
        self.wait_for(&format!("{n} finished recordings"), timeout, || {
            self.sidecars().len() >= n
        });
        self.sidecars()
    }
}
