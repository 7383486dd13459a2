//! Consent modes, the warning beep, the audit chain and retention, through
//! the core's Rust API and the legrec tool.

mod common;

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use common::asterisk::beep_windows;
use common::*;
use legrec::policy::config::{RawConfig, Settings};
use legrec::policy::consent::Decision as Consent;
use legrec::policy::plan::CallSide;
use legrec::recorder::intake::recording::{CallInfo, NoticeError, Recording};
use legrec::recorder::Core;

fn core(spool: &std::path::Path, policy: &[(&str, &str)]) -> Core {
    let mut raw = RawConfig::default();
    raw.set("general", "spool_dir", spool.to_str().unwrap(), 1);
    raw.set("general", "workers", "1", 2);
    raw.set("general", "align_slack_ms", "5000", 3);
    raw.set("general", "ring_ms", "20000", 3);
    if !policy.iter().any(|(k, _)| *k == "notice") {
        raw.set("p", "notice", "legrec-notice", 4);
    }
    for (k, v) in policy {
        raw.set("p", k, v, 10);
    }
    Core::new(Settings::from_raw(&raw).unwrap(), None).unwrap()
}

fn call(caller: &str, callee: &str) -> CallInfo {
    CallInfo {
        pbx: "test".into(),
        channel: "Test/1".into(),
        caller_number: caller.into(),
        callee: callee.into(),
        ..Default::default()
    }
}

fn talk(rec: &Recording, frames: usize) {
    for f in 0..frames {
        let x: Vec<i16> = (0..160)
            .map(|i| ((f * 160 + i) % 100) as i16 * 50)
            .collect();
        let _ = rec.push(0, &x, 8000);
        let _ = rec.push(1, &x, 8000);
    }
}

fn finish(rec: &Arc<Recording>) -> (legrec::sidecar::Sidecar, std::path::PathBuf) {
    rec.stop();
    let outcome = rec
        .wait_outcome(Duration::from_secs(10))
        .expect("finalized");
    let sidecar = outcome
        .files
        .iter()
        .find(|f| f.extension().is_some_and(|e| e == "json"))
        .expect("a sidecar")
        .clone();
    (read_sidecar(&sidecar), sidecar)
}

#[test]
fn opt_out_with_a_press_deletes_everything_and_says_declined() {
    let tmp = tempfile::tempdir().unwrap();
    let core = core(
        tmp.path(),
        &[("consent", "opt-out"), ("consent_digit", "9")],
    );
    let rec = core.start("p", call("+12125550100", "600")).unwrap();
    talk(&rec, 50);
    rec.consent_begin();
    assert_eq!(
        rec.consent(Some('3')),
        Consent::Pending,
        "another key keeps the window open"
    );
    assert_eq!(rec.consent(Some('9')), Consent::Declined);
    assert!(rec.is_stopped(), "drop stops the recording");
    let (sc, path) = finish(&rec);
    assert_eq!(sc.status, "declined");
    assert!(sc.legs.is_empty());
    assert_eq!(sc.consent.decision, "declined");
    assert_eq!(sc.consent.digit.as_deref(), Some("9"));
    assert!(sc.consent.digit_at.is_some() && sc.consent.window_at.is_some());
    let dir = path.parent().unwrap();
    let flacs = flac_count(dir);
    assert_eq!(flacs, 0, "no audio of the caller is kept");
}

#[test]
fn opt_out_without_a_press_records() {
    let tmp = tempfile::tempdir().unwrap();
    let core = core(tmp.path(), &[("consent", "opt-out")]);
    let rec = core.start("p", call("", "600")).unwrap();
    rec.consent_begin();
    talk(&rec, 25);
    assert_eq!(rec.consent(None), Consent::Kept);
    talk(&rec, 25);
    let (sc, _) = finish(&rec);
    assert_eq!(sc.status, "complete");
    assert_eq!(sc.consent.decision, "recorded");
    assert!(
        sc.consent.reason.contains("did not press 1"),
        "{}",
        sc.consent.reason
    );
    assert_eq!(sc.legs.len(), 2);
}

#[test]
fn opt_out_agent_only_keeps_just_the_agent_leg() {
    let tmp = tempfile::tempdir().unwrap();
    let core = core(
        tmp.path(),
        &[("consent", "opt-out"), ("declined_action", "agent-only")],
    );
    let rec = core.start("p", call("", "600")).unwrap();
    rec.consent_begin();
    assert_eq!(rec.consent(Some('1')), Consent::Declined);
    assert!(!rec.is_stopped(), "the agent side goes on being recorded");
    talk(&rec, 50);
    let (sc, path) = finish(&rec);
    assert_eq!(sc.status, "declined");
    let names: Vec<&str> = sc.legs.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["out"]);
    assert!(!path.with_file_name(format!("{}-in.flac", sc.id)).exists());
    let (ok, text) = legrec_verify(&path);
    assert!(ok, "{text}");
}

#[test]
fn opt_in_records_only_after_the_press_and_nothing_without_it() {
    let tmp = tempfile::tempdir().unwrap();
    let core = core(tmp.path(), &[("consent", "opt-in")]);
    // With a press: the time before it is cut (paused), then recorded.
    let rec = core.start("p", call("", "600")).unwrap();
    talk(&rec, 10);
    rec.consent_begin();
    talk(&rec, 50); // not kept: waiting for consent
    assert_eq!(rec.consent(Some('1')), Consent::Kept);
    talk(&rec, 25);
    let (sc, _) = finish(&rec);
    assert_eq!(sc.status, "complete");
    assert_eq!(sc.consent.decision, "recorded");
    assert!(
        sc.legs[0].samples <= 40 * 160,
        "{} samples: the wait was not kept",
        sc.legs[0].samples
    );
    assert_eq!(sc.pauses.len(), 1);
    assert_eq!(sc.pauses[0].by, "consent");
    // Without a press: nothing.
    let rec = core.start("p", call("", "600")).unwrap();
    rec.consent_begin();
    talk(&rec, 50);
    assert_eq!(rec.consent(None), Consent::Declined);
    let (sc, _) = finish(&rec);
    assert_eq!(sc.status, "declined");
    assert!(sc.legs.is_empty());
    // Hanging up inside the window is no consent either.
    let rec = core.start("p", call("", "600")).unwrap();
    rec.consent_begin();
    talk(&rec, 10);
    let (sc, _) = finish(&rec);
    assert_eq!(sc.status, "declined");
}

#[test]
fn jurisdiction_auto_forces_the_notice_for_an_all_party_state() {
    let tmp = tempfile::tempdir().unwrap();
    let core = core(
        tmp.path(),
        &[
            ("jurisdiction", "auto"),
            ("notice_to", "none"),
            ("notice", ""),
        ],
    );
    // California caller to a New York number: all-party wins.
    let rec = core
        .start("p", call("+14155550100", "+12125550199"))
        .unwrap();
    assert_eq!(rec.plan.notice, "legrec/legrec-notice");
    assert!(rec.plan.notice_required_by_law);
    let (sc, _) = finish(&rec);
    let law = sc.consent.law.unwrap();
    assert_eq!(law.rule, "all-party");
    assert!(law.reason.contains("US-CA (caller)"), "{}", law.reason);
    assert!(sc.consent.notice_required_by_law);
    // New York to New York: one-party, the policy's choice (no notice) holds.
    let rec = core
        .start("p", call("+12125550100", "+12125550199"))
        .unwrap();
    assert_eq!(rec.plan.notice, "");
    assert!(!rec.plan.notice_required_by_law);
    finish(&rec);
}

#[test]
fn never_record_exempts_a_party() {
    let tmp = tempfile::tempdir().unwrap();
    let core = core(
        tmp.path(),
        &[("never_record", "+15550001, 7001, PJSIP/ceo")],
    );
    assert!(core.start("p", call("7001", "600")).is_err());
    assert!(core.start("p", call("", "+15550001")).is_err());
    let mut c = call("", "600");
    c.channel = "PJSIP/ceo-00000001".into();
    assert!(core.start("p", c).is_err());
    assert!(core.start("p", call("7002", "600")).is_ok());
}

#[test]
fn the_warning_beep_is_heard_at_its_period() {
    let tmp = tempfile::tempdir().unwrap();
    let core = core(tmp.path(), &[("beep_interval", "5")]);
    let rec = core.start("p", call("", "600")).unwrap();
    // 16 s of silence through beep() then push(), as a shim does.
    for _ in 0..(16 * 50) {
        for leg in 0..2 {
            let mut frame = [0i16; 160];
            rec.beep(leg, &mut frame, 8000);
            rec.push(leg, &frame, 8000).unwrap();
        }
    }
    let (sc, path) = finish(&rec);
    let beeps = sc.beeps.unwrap();
    assert_eq!(
        (beeps.interval_seconds, beeps.count, beeps.frequency_hz),
        (5, 3, 1400.0)
    );
    let out = flac_decode(&path.with_file_name(format!("{}-out.flac", sc.id)));
    // Goertzel at 1400 Hz over 100 ms windows: tone exactly at 5, 10, 15 s.
    let (on, starts) = beep_windows(&out[..160 * 800], 0.8);
    assert_eq!(
        starts,
        [50, 100, 150],
        "beeps start at 5, 10, 15 s (100 ms windows)"
    );
    assert!(on.iter().all(|w| (w % 50) < 5), "each lasts 0.5 s");
}

#[test]
fn the_audit_chain_catches_edits_deletions_and_reordering_and_survives_prune() {
    let tmp = tempfile::tempdir().unwrap();
    let spool = tmp.path();
    {
        let core = core(spool, &[("retention_days", "30")]);
        for _ in 0..3 {
            let rec = core.start("p", call("", "600")).unwrap();
            talk(&rec, 20);
            finish(&rec);
        }
    }
    let log = spool.join("audit.jsonl");
    let (ok, text) = legrec_verify(spool);
    assert!(ok, "{text}");
    assert!(text.contains("chain intact"), "{text}");
    let original = std::fs::read_to_string(&log).unwrap();

    // A byte of a recording changed (and its sidecar hash "fixed" to match
    // is not enough: the audit entry still has the old hash).
    let first = sidecars(spool).into_iter().next().unwrap();
    let sc = read_sidecar(&first);
    let flac = leg_path(&first, &sc, "in");
    let saved = std::fs::read(&flac).unwrap();
    let mut bytes = saved.clone();
    let n = bytes.len();
    bytes[n - 50] ^= 1;
    std::fs::write(&flac, &bytes).unwrap();
    let (ok, text) = legrec_verify(spool);
    assert!(
        !ok && text.contains("changed since it was recorded"),
        "{text}"
    );
    std::fs::write(&flac, &saved).unwrap();

    // An entry deleted, then two swapped: the first broken line is named.
    let lines: Vec<&str> = original.lines().collect();
    std::fs::write(&log, format!("{}\n{}\n", lines[0], lines[2])).unwrap();
    let (ok, text) = legrec_verify(spool);
    assert!(!ok && text.contains("audit.jsonl line 2"), "{text}");
    std::fs::write(&log, format!("{}\n{}\n{}\n", lines[1], lines[0], lines[2])).unwrap();
    let (ok, text) = legrec_verify(spool);
    assert!(!ok && text.contains("audit.jsonl line 1"), "{text}");
    // The last entry cut off: its sidecar has no entry.
    std::fs::write(&log, format!("{}\n{}\n", lines[0], lines[1])).unwrap();
    let (ok, text) = legrec_verify(spool);
    assert!(!ok && text.contains("has no entry"), "{text}");
    std::fs::write(&log, &original).unwrap();

    // Prune after 31 days: files gone, chain still valid, deletions logged.
    let later =
        humantime::format_rfc3339(std::time::SystemTime::now() + Duration::from_secs(31 * 86_400))
            .to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_legrec"))
        .args(["prune"])
        .arg(spool)
        .args(["--now", &later])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("3 recording(s) pruned"));
    assert!(sidecars(spool).is_empty());
    let entries = legrec::audit::verify_chain(&log).unwrap();
    assert_eq!(entries.iter().filter(|e| e.event == "pruned").count(), 3);
    let out = Command::new(env!("CARGO_BIN_EXE_legrec"))
        .arg("verify")
        .arg(spool)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("chain intact"), "{text}");
    // Nothing is due before the retention ends.
    let out = Command::new(env!("CARGO_BIN_EXE_legrec"))
        .args(["prune"])
        .arg(spool)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 recording(s) pruned"));
}

#[test]
fn the_dialplan_n_option_skips_the_policys_notice_but_not_the_laws() {
    let tmp = tempfile::tempdir().unwrap();
    let core = core(tmp.path(), &[("jurisdiction", "auto")]);
    let before = |caller: &str| CallInfo {
        notice_played_before: true,
        ..call(caller, "+12125550199")
    };
    // The IVR played the policy's notice: nothing more to play, even where
    // the law wants a notice (it had one).
    let rec = core.start("p", before("+14155550100")).unwrap();
    assert_eq!(rec.plan.notice, "");
    assert!(!rec.plan.notice_required_by_law);
    finish(&rec);
    // Without `n` the policy's notice plays.
    let rec = core
        .start("p", call("+14155550100", "+12125550199"))
        .unwrap();
    assert_eq!(rec.plan.notice, "legrec/legrec-notice");
    finish(&rec);
    // A policy with no notice of its own: the law's notice plays despite `n`.
    let tmp = tempfile::tempdir().unwrap();
    let core = self::core(
        tmp.path(),
        &[
            ("jurisdiction", "auto"),
            ("notice", ""),
            ("notice_to", "none"),
        ],
    );
    let rec = core.start("p", before("+14155550100")).unwrap();
    assert_eq!(rec.plan.notice, "legrec/legrec-notice");
    assert!(rec.plan.notice_required_by_law);
    finish(&rec);
}

#[test]
fn a_notice_counts_when_played_and_is_kept_out_when_the_policy_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let core = core(
        tmp.path(),
        &[("record_notice", "no"), ("notice_to", "both")],
    );
    let rec = core.start("p", call("+12125550100", "600")).unwrap();
    rec.notice_begin(CallSide::Caller).unwrap();
    assert!(rec.is_paused(), "record_notice = no pauses while it plays");
    assert_eq!(
        rec.notice_begin(CallSide::Caller),
        Err(NoticeError::OutOfOrder)
    );
    rec.notice_end(CallSide::Caller, true).unwrap();
    assert!(!rec.is_paused());
    assert_eq!(
        rec.notice_end(CallSide::Caller, true),
        Err(NoticeError::OutOfOrder)
    );
    // Queued to the agent: no pause (the recorded legs do not carry it);
    // the PBX could not play it: not in the sidecar.
    rec.notice_begin(CallSide::Agent).unwrap();
    assert!(!rec.is_paused());
    rec.notice_end(CallSide::Agent, false).unwrap();
    let (sc, _) = finish(&rec);
    let notices: Vec<_> = sc.notice.iter().map(|n| n.party.as_str()).collect();
    assert_eq!(notices, ["caller"]);
    assert_eq!(sc.pauses.len(), 1);
    assert_eq!(sc.pauses[0].by, "notice");
}

#[test]
fn a_notice_or_a_decision_never_ends_a_pause_someone_else_made() {
    // Before the redesign both shims resumed after the notice whatever the
    // pause was, and a refusal under agent-only resumed any pause.
    let tmp = tempfile::tempdir().unwrap();
    let core = core(
        tmp.path(),
        &[
            ("record_notice", "no"),
            ("consent", "opt-out"),
            ("consent_digit", "9"),
            ("declined_action", "agent-only"),
        ],
    );
    let rec = core.start("p", call("+12125550100", "600")).unwrap();
    assert!(rec.set_paused(true, "ami"));
    rec.notice_begin(CallSide::Caller).unwrap();
    rec.notice_end(CallSide::Caller, true).unwrap();
    assert!(rec.is_paused(), "the admin's pause ended with the notice");
    rec.consent_begin();
    assert_eq!(rec.consent(Some('9')), Consent::Declined);
    assert!(rec.is_paused(), "the refusal ended the admin's pause");
    assert!(!rec.is_stopped());
    let (sc, _) = finish(&rec);
    assert_eq!(sc.pauses.len(), 1);
    assert_eq!(sc.pauses[0].by, "ami");
}
