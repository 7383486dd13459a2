//! What consent means under a policy: how a key press (or none) in the
//! consent window decides, the reason the sidecar gives, and what the
//! recording does once it is decided.  `outcome` says what a refusal
//! keeps at the end.

use super::config::{ConsentMode, DeclinedAction, Policy};

/// The consent decision so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Pending,
    Kept,
    Declined,
}

impl Decision {
    /// Before any window: notify-only policies need no answer.
    pub fn initial(policy: &Policy) -> Decision {
        if policy.consent == ConsentMode::Notify {
            Decision::Kept
        } else {
            Decision::Pending
        }
    }

    /// As the sidecar says it.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Kept => "recorded",
            Decision::Declined => "declined",
            Decision::Pending => "pending",
        }
    }
}

/// Under opt-in nothing is kept while the window is open: the caller has
/// not agreed yet.
pub fn window_pauses(policy: &Policy) -> bool {
    policy.consent == ConsentMode::OptIn
}

/// A decision and its reason in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub decision: Decision,
    /// The consent key was pressed (and is noted with its time).
    pub pressed: bool,
    pub reason: String,
}

/// What `digit` pressed in the window means, or with `None` the window
/// closing without the consent key.  None when the digit is another key:
/// the window goes on.
pub fn answer(policy: &Policy, digit: Option<char>) -> Option<Answer> {
    let key = policy.consent_digit.chars().next();
    let pressed = digit.is_some() && digit == key;
    if digit.is_some() && !pressed {
        return None;
    }
    let (mode, secs, k) = (
        policy.consent,
        policy.consent_timeout,
        &policy.consent_digit,
    );
    let (decision, reason) = match (mode, pressed) {
        (ConsentMode::Notify, _) => (Decision::Kept, "notice only".to_string()),
        (ConsentMode::OptOut, true) => {
            (Decision::Declined, format!("caller pressed {k} to opt out"))
        }
        (ConsentMode::OptOut, false) => (
            Decision::Kept,
            format!("caller did not press {k} within {secs} s: recorded"),
        ),
        (ConsentMode::OptIn, true) => (Decision::Kept, format!("caller pressed {k} to agree")),
        (ConsentMode::OptIn, false) => (
            Decision::Declined,
            format!("caller did not press {k} within {secs} s: nothing kept"),
        ),
    };
    Some(Answer {
        decision,
        pressed,
        reason,
    })
}

/// What the recording does the moment consent is decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Then {
    /// Go on as it is.
    Continue,
    /// Go on recording from here (the window's pause ends): the caller
    /// agreed, or refused under agent-only and the agent's side is kept.
    Resume,
    /// Stop now: the policy keeps nothing of a refused call.
    Stop,
}

pub fn then(policy: &Policy, decision: Decision) -> Then {
    match (decision, policy.declined_action) {
        (Decision::Kept, _) if window_pauses(policy) => Then::Resume,
        (Decision::Declined, DeclinedAction::Drop) => Then::Stop,
        (Decision::Declined, DeclinedAction::AgentOnly) => Then::Resume,
        _ => Then::Continue,
    }
}
