//! What a call's recording must do around the audio, decided once at start
//! (`admit`) from the policy and, with `jurisdiction = auto`, the law of the
//! parties' numbers: which notice to play, to whom, whether it is kept in
//! the recording, whether the recording starts paused, what follows each
//! consent outcome, which agent keys there are.  The recorder and the
//! shims carry out what this says; they decide nothing.

use super::config::{JurisdictionMode, NoticeTo, Policy, StartMode};
use super::consent::{self, Decision, Then};
use super::jurisdiction::{self, Requirement, Rule};
use super::keys::Keys;

/// The sound played when the law asks for a notice and the policy has none.
pub const DEFAULT_NOTICE: &str = super::prompts::NOTICE;

/// Which side of the call something concerns: the recorded party (the
/// caller, for a queue call) or the party bridged to it (the agent).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallSide {
    Caller,
    Agent,
}

impl CallSide {
    /// As the sidecar names it.
    pub fn as_str(self) -> &'static str {
        match self {
            CallSide::Caller => "caller",
            CallSide::Agent => "agent",
        }
    }
}

/// What the law and the policy ask of this call.
#[derive(Clone, Debug)]
pub struct CallPlan {
    /// The notice to play now ("" = none).
    pub notice: String,
    /// Who hears it; `None` exactly when `notice` is empty.
    pub notice_to: NoticeTo,
    /// The notice is played because a party's law requires it although the
    /// policy (or the dialplan) would not play one.
    pub notice_required_by_law: bool,
    pub law: Option<Requirement>,
    /// Play the notice, once, to the party the recorded channel is bridged
    /// to (notice_to = both).
    pub notice_to_peer: bool,
    /// A notice played to the caller is cut out of the recording (the
    /// recording pauses while it plays: `record_notice = no`).  One queued
    /// to the agent does not reach the recorded legs.
    pub notice_pauses_caller: bool,
    /// Nothing is kept until an agent asks for it (`start = on-demand`).
    pub starts_paused: bool,
    /// Nothing is kept while the consent window is open (opt-in).
    pub window_pauses: bool,
    /// What the recording does once consent is kept, and once declined.
    after_kept: Then,
    after_declined: Then,
    /// The agent keys; `keys::toggle` says what each one switches.
    pub keys: Keys,
}

impl CallPlan {
    /// What the recording does the moment consent is decided.
    pub fn after(&self, decision: Decision) -> Then {
        match decision {
            Decision::Kept => self.after_kept,
            Decision::Declined => self.after_declined,
            Decision::Pending => Then::Continue,
        }
    }
}

/// The plan for a call from `caller` to `callee` (for `admit`, which first
/// says whether the call is recorded at all).  `played_before` is the
/// dialplan saying the policy's notice was already played (Asterisk's
/// LegRecord `n` option: the IVR did it).  A party under a notice or
/// all-party rule always hears a notice, even when the policy plays none.
pub(super) fn for_call(
    policy: &Policy,
    caller: &str,
    callee: &str,
    table: &jurisdiction::Table,
    played_before: bool,
) -> CallPlan {
    let law = (policy.jurisdiction == JurisdictionMode::Auto)
        .then(|| jurisdiction::decide(table, &[("caller", caller), ("callee", callee)]));
    let required = law.as_ref().is_some_and(|l| l.rule >= Rule::Notice);
    let policy_plays = !policy.notice.is_empty() && policy.notice_to != NoticeTo::None;
    let (notice, notice_to, by_law) = match (policy_plays, played_before, required) {
        (true, false, _) => (policy.notice.clone(), policy.notice_to, false),
        // The IVR played the policy's notice: the law had its notice.
        (true, true, _) => (String::new(), NoticeTo::None, false),
        (false, _, true) => {
            let sound = if policy.notice.is_empty() {
                DEFAULT_NOTICE
            } else {
                &policy.notice
            };
            (sound.to_string(), NoticeTo::Caller, true)
        }
        (false, _, false) => (String::new(), NoticeTo::None, false),
    };
    CallPlan {
        notice_to_peer: !notice.is_empty() && notice_to == NoticeTo::Both,
        notice,
        notice_to,
        notice_required_by_law: by_law,
        law,
        notice_pauses_caller: !policy.record_notice,
        starts_paused: policy.start == StartMode::OnDemand,
        window_pauses: consent::window_pauses(policy),
        after_kept: consent::then(policy, Decision::Kept),
        after_declined: consent::then(policy, Decision::Declined),
        keys: policy.keys(),
    }
}
