//! What a call's recording must do around the audio, decided once at start
//! from the policy and, with `jurisdiction = auto`, the law of the parties'
//! numbers: which notice to play, to whom.  The shims play what this says;
//! they decide nothing.

use super::config::{JurisdictionMode, NoticeTo, Policy};
use super::jurisdiction::{self, Requirement, Rule};

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
}

/// The plan for a call from `caller` to `callee`.  `played_before` is the
/// dialplan saying the policy's notice was already played (Asterisk's
/// LegRecord `n` option: the IVR did it).  A party under a notice or
/// all-party rule always hears a notice, even when the policy plays none.
pub fn for_call(
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
        notice,
        notice_to,
        notice_required_by_law: by_law,
        law,
    }
}
