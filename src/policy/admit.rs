//! Whether a call is recorded at all, and the whole plan when it is: the
//! one place the recorder, the C boundary and both shims learn what to do.
//! `plan` says what the plan holds; this says when there is none.

use super::config::{ConsentMode, Policy};
use super::jurisdiction;
use super::plan::{self, CallPlan};

/// The facts of a call that admission weighs.
#[derive(Clone, Copy, Debug)]
pub struct Call<'a> {
    pub caller: &'a str,
    pub callee: &'a str,
    pub channel: &'a str,
    /// Started from outside the call (API, CLI): nobody can answer a
    /// consent window.
    pub unattended: bool,
    /// The dialplan says the policy's notice was played already (the IVR).
    pub notice_played_before: bool,
}

/// Why a call is not recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// An unattended start of a policy that asks the caller for a key.
    NeedsConsentWindow,
    /// never_record lists this entry.
    Exempt(String),
}

/// The plan for `call` under `policy`, or why it is not recorded.  A
/// refusal happens before anything is written.
pub fn admit(
    policy: &Policy,
    call: &Call,
    table: &jurisdiction::Table,
) -> Result<CallPlan, Refusal> {
    if call.unattended && policy.consent != ConsentMode::Notify {
        return Err(Refusal::NeedsConsentWindow);
    }
    if let Some(entry) = policy.exempt(&[call.caller, call.callee], call.channel) {
        return Err(Refusal::Exempt(entry.to_string()));
    }
    Ok(plan::for_call(
        policy,
        call.caller,
        call.callee,
        table,
        call.notice_played_before,
    ))
}

/// The queue a call is recorded under: the one the dialplan names
/// (Asterisk's LEGREC_QUEUE, FreeSWITCH's legrec_queue), else the one the
/// PBX's queue application set (QUEUENAME, cc_queue), else none.
pub fn queue_name<'a>(named: &'a str, pbx: &'a str) -> &'a str {
    if named.is_empty() {
        pbx
    } else {
        named
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dialplan_names_the_queue_before_the_pbx() {
        assert_eq!(queue_name("sales", "support"), "sales");
        assert_eq!(queue_name("", "support"), "support");
        assert_eq!(queue_name("", ""), "");
    }
}
