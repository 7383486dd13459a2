//! The sidecar a recording leaves: what the PBX said of the call at
//! start (also the in-progress marker), then what happened to it.

use std::sync::atomic::Ordering;
use std::time::SystemTime;

use crate::recorder::intake::recording::{Recording, BEEP_HZ};
use crate::sidecar::{Beeps, Consent, Law, LegFile, Party, Sidecar};
use crate::Status;

/// The sidecar as known at start; also the in-progress marker's content.
pub fn initial_sidecar(rec: &Recording) -> Sidecar {
    let c = &rec.call;
    Sidecar {
        id: rec.id.clone(),
        policy: rec.policy.name.clone(),
        pbx: c.pbx.clone(),
        channel: c.channel.clone(),
        uniqueid: c.uniqueid.clone(),
        caller: Party {
            number: c.caller_number.clone(),
            name: c.caller_name.clone(),
        },
        callee: c.callee.clone(),
        queue: c.queue.clone(),
        agent: None,
        peers: Vec::new(),
        started_at: humantime::format_rfc3339_millis(rec.started_at).to_string(),
        ended_at: None,
        legs: Vec::new(),
        pauses: Vec::new(),
        masks: Vec::new(),
        notice: Vec::new(),
        start: rec.policy.start.as_str().to_string(),
        keys: Vec::new(),
        consent: consent_record(rec),
        beeps: None,
        retention_days: rec.policy.retention_days,
        status: "recording".to_string(),
        reason: None,
        legrec_version: crate::VERSION.to_string(),
    }
}

/// The sidecar as far as the call has gone: the start, and the pauses,
/// masks, notices, keys, peers and consent known so far.  The in-progress
/// marker is kept up to date with it, so that a recording repaired after a
/// crash still says who talked.
pub fn interim_sidecar(rec: &Recording) -> Sidecar {
    let mut s = initial_sidecar(rec);
    let log = rec.control.lock().unwrap_or_else(|e| e.into_inner());
    s.pauses = log.pauses.clone();
    s.masks = log.masks.clone();
    s.notice = log.notices.clone();
    s.peers = log.peers.peers.clone();
    s.keys = log.keys.clone();
    s.agent = log.peers.agent().map(str::to_string);
    s
}

/// The sidecar's consent section as things stand.
fn consent_record(rec: &Recording) -> Consent {
    let c = rec
        .consent
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let p = &rec.policy;
    Consent {
        mode: p.consent.as_str().to_string(),
        decision: c.decision.as_str().to_string(),
        reason: if c.reason.is_empty() {
            format!("policy {} consent = {}", p.name, p.consent.as_str())
        } else {
            c.reason
        },
        window_at: c.window_at,
        window_offset: c.window_offset,
        digit: c.digit.map(String::from),
        digit_at: c.digit_at,
        declined_action: p.declined_action.as_str().to_string(),
        notice_required_by_law: rec.plan.notice_required_by_law,
        law: rec.plan.law.as_ref().map(|l| Law {
            rule: l.rule.as_str().to_string(),
            reason: l.reason.clone(),
            sides: l.sides.clone(),
        }),
    }
}

/// The sidecar of a finished recording: what it was at start, and all
/// that happened since (pauses, masks, notices, consent, beeps).
pub fn final_sidecar(rec: &Recording, legs: Vec<LegFile>, status: Status, reason: &str) -> Sidecar {
    let mut s = interim_sidecar(rec);
    s.ended_at = Some(humantime::format_rfc3339_millis(SystemTime::now()).to_string());
    s.legs = legs;
    let interval = rec.policy.beep_interval;
    s.beeps = (interval > 0).then(|| Beeps {
        interval_seconds: interval,
        frequency_hz: BEEP_HZ,
        duration_ms: 500,
        count: rec.legs[1].beeps.load(Ordering::Relaxed),
    });
    s.status = status.as_str().to_string();
    s.reason = (!reason.is_empty()).then(|| reason.to_string());
    s
}
