//! How a recording ends: its final status, and which of its files a
//! refusal or a too-short call leaves on disk.

use super::config::{ConsentMode, DeclinedAction, Policy};
use super::consent::Decision;
use crate::Status;

/// What is kept of a finished recording.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub status: Status,
    keep: Keep,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Keep {
    Everything,
    /// The `out` leg only: what the agent said, never the caller.
    AgentSide,
    Nothing,
}

impl Verdict {
    /// Whether the file of leg `name` (`in`, `out`, `stereo`) stays; a
    /// file that does not is deleted, not merely marked.
    pub fn keeps(&self, leg: &str) -> bool {
        match self.keep {
            Keep::Everything => true,
            Keep::AgentSide => leg == "out",
            Keep::Nothing => false,
        }
    }
}

/// The end of a recording under `policy`: consent as decided, whether
/// writing failed, and how long it was.
pub fn decide(policy: &Policy, consent: Decision, failed: bool, seconds: f64) -> Verdict {
    let declined = match consent {
        Decision::Declined => true,
        // Hung up inside the window: opt-in never got a yes.
        Decision::Pending => policy.consent == ConsentMode::OptIn,
        Decision::Kept => false,
    };
    let refusal = declined.then_some(match policy.declined_action {
        DeclinedAction::Drop => Keep::Nothing,
        DeclinedAction::AgentOnly => Keep::AgentSide,
    });
    let too_short = seconds < f64::from(policy.min_duration);
    let (status, keep) = match (failed, refusal, too_short) {
        // A refusal deletes what was refused even when writing failed.
        (true, keep, _) => (Status::Failed, keep.unwrap_or(Keep::Everything)),
        (false, Some(keep), _) => (Status::Declined, keep),
        (false, None, true) => (Status::Discarded, Keep::Nothing),
        (false, None, false) => (Status::Complete, Keep::Everything),
    };
    Verdict { status, keep }
}
