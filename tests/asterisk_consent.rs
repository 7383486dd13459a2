//! Consent, jurisdiction and the warning beep on a real Asterisk: SIP calls
//! from sipp that press keys as RFC 2833 events (the pcaps sip-tester
//! ships), Local-channel calls between US numbers, and the beep found by
//! ear (Goertzel at 1400 Hz).

mod common;

use std::time::Duration;

use common::asterisk::{beep_windows, rms, sipp_call, Sandbox};
use common::*;

const POLICIES: &str = "
[optout]
notice =
consent = opt-out
consent_timeout = 6

[optin]
notice =
consent = opt-in
consent_timeout = 6

[agentonly]
notice =
consent = opt-out
consent_timeout = 6
declined_action = agent-only

[lawful]
notice =
notice_to = none
jurisdiction = auto

[beeping]
notice =
beep_interval = 5

[nosound]
notice = no-such-notice
";

const DIALPLAN: &str = "
[legrec-sip]
exten => _[a-z].,1,Answer()
 same => n,LegRecord(${EXTEN})
 same => n,Set(GLOBAL(STATUS_${EXTEN})=${LEGREC_STATUS})
 same => n,Wait(20)
 same => n,Hangup()

[legrec-test]
; California caller, New York callee: all-party wins.
exten => 12125550100,1,Answer()
 same => n,Set(CALLERID(num)=+14155550100)
 same => n,LegRecord(lawful)
 same => n,Wait(1)
 same => n,Hangup()
; New York to New York: one-party.
exten => 12125550101,1,Answer()
 same => n,Set(CALLERID(num)=+12125550100)
 same => n,LegRecord(lawful)
 same => n,Wait(1)
 same => n,Hangup()

; The IVR played a notice (`n`), but the policy has none: the law's plays.
exten => 12125550102,1,Answer()
 same => n,Set(CALLERID(num)=+14155550100)
 same => n,LegRecord(lawful,n)
 same => n,Wait(1)
 same => n,Hangup()

exten => nosound,1,Answer()
 same => n,LegRecord(nosound)
 same => n,Wait(1)
 same => n,Hangup()

exten => beep,1,Answer()
 same => n,LegRecord(beeping)
 same => n,Playback(legrec-test-silence)
 same => n,Hangup()
";

fn sandbox() -> Sandbox {
    let mut sb = Sandbox::new();
    sb.append("legrec.conf", POLICIES);
    sb.append("extensions.conf", DIALPLAN);
    sb.synth("legrec-test-silence", &["trim", "0", "12"]);
    sb.start();
    sb
}

fn global(sb: &Sandbox, name: &str) -> String {
    sb.cli("dialplan show globals")
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix(&format!("{name}="))
                .map(str::to_string)
        })
        .unwrap_or_default()
}

#[test]
fn opt_out_pressed_keeps_nothing_of_the_caller_and_says_declined() {
    let sb = sandbox();
    let ami = sb.ami();
    sipp_call(&sb, "optout", Some(2000));
    let sidecars = sb.wait_sidecars(1, Duration::from_secs(10));
    let sc = read_sidecar(&sidecars[0]);
    assert_eq!(sc.status, "declined");
    assert!(sc.legs.is_empty());
    assert_eq!(
        flac_count(sidecars[0].parent().unwrap()),
        0,
        "no audio kept"
    );
    assert_eq!(sc.consent.digit.as_deref(), Some("1"));
    assert!(
        sc.consent.reason.contains("pressed 1 to opt out"),
        "{}",
        sc.consent.reason
    );
    assert_eq!(global(&sb, "STATUS_optout"), "DECLINED");
    let ev = ami.wait_event("LegRecordConsent", 1, Duration::from_secs(5));
    assert!(ev[0].contains("Decision: DECLINED"));
    let stop = ami.wait_event("LegRecordStop", 1, Duration::from_secs(5));
    assert!(stop[0].contains("Status: DECLINED"), "{}", stop[0]);
    let (ok, text) = legrec_verify(&sb.recordings());
    assert!(ok, "{text}");
}

#[test]
fn opt_out_not_pressed_in_the_window_records_the_call() {
    let sb = sandbox();
    // The key comes at 9 s, after the 6 s window: too late to refuse.
    sipp_call(&sb, "optout", Some(9000));
    let sidecars = sb.wait_sidecars(1, Duration::from_secs(10));
    let sc = read_sidecar(&sidecars[0]);
    assert_eq!(sc.status, "complete");
    assert_eq!(sc.consent.decision, "recorded");
    assert_eq!(global(&sb, "STATUS_optout"), "RECORDING");
    let li = flac_decode(&leg_path(&sidecars[0], &sc, "in"));
    assert!(rms(&li) > 300.0, "the caller's audio is kept");
    // The prompt the caller heard is in `out`.
    let lo = flac_decode(&leg_path(&sidecars[0], &sc, "out"));
    assert!(rms(&lo[..3 * 8000]) > 300.0);
}

#[test]
fn opt_out_with_agent_only_keeps_only_what_the_caller_heard() {
    let sb = sandbox();
    sipp_call(&sb, "agentonly", Some(2000));
    let sidecars = sb.wait_sidecars(1, Duration::from_secs(10));
    let sc = read_sidecar(&sidecars[0]);
    assert_eq!(sc.status, "declined");
    let names: Vec<&str> = sc.legs.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["out"]);
    assert_eq!(flac_count(sidecars[0].parent().unwrap()), 1);
    assert_eq!(global(&sb, "STATUS_agentonly"), "DECLINED");
}

#[test]
fn opt_in_records_only_with_a_press() {
    let sb = sandbox();
    sipp_call(&sb, "optin", Some(2000));
    let sidecars = sb.wait_sidecars(1, Duration::from_secs(10));
    let sc = read_sidecar(&sidecars[0]);
    assert_eq!(sc.status, "complete", "{:?}", sc.consent);
    assert_eq!(sc.consent.decision, "recorded");
    assert_eq!(sc.pauses.len(), 1, "nothing before the press");
    assert_eq!(sc.pauses[0].by, "consent");
    assert_eq!(global(&sb, "STATUS_optin"), "RECORDING");
    let li = flac_decode(&leg_path(&sidecars[0], &sc, "in"));
    assert!(
        rms(&li) > 300.0,
        "the caller audio after the press: rms {} of {} samples, {:?}",
        rms(&li),
        li.len(),
        sc
    );

    let sb = sandbox();
    sipp_call(&sb, "optin", None);
    let sidecars = sb.wait_sidecars(1, Duration::from_secs(10));
    let sc = read_sidecar(&sidecars[0]);
    assert_eq!(sc.status, "declined");
    assert!(sc.legs.is_empty());
    assert_eq!(flac_count(sidecars[0].parent().unwrap()), 0);
    assert_eq!(global(&sb, "STATUS_optin"), "DECLINED");
}

#[test]
fn an_all_party_state_caller_gets_the_notice_under_jurisdiction_auto() {
    let sb = sandbox();
    sb.cli("channel originate Local/12125550100@legrec-test application Wait 10");
    let sidecars = sb.wait_sidecars(1, Duration::from_secs(20));
    let sc = read_sidecar(&sidecars[0]);
    let law = sc.consent.law.as_ref().expect("jurisdiction decided");
    assert_eq!(law.rule, "all-party");
    assert!(law.reason.contains("US-CA (caller)"), "{}", law.reason);
    assert_eq!(law.sides[1].jurisdiction, "US");
    assert!(sc.consent.notice_required_by_law);
    assert_eq!(sc.notice.len(), 1);
    assert_eq!(sc.notice[0].party, "caller");
    let lo = flac_decode(&leg_path(&sidecars[0], &sc, "out"));
    assert!(rms(&lo[..3 * 8000]) > 300.0, "the notice was heard");
    assert!(sb.log().contains("required by a party's jurisdiction"));

    let sb = sandbox();
    sb.cli("channel originate Local/12125550101@legrec-test application Wait 10");
    let sidecars = sb.wait_sidecars(1, Duration::from_secs(20));
    let sc = read_sidecar(&sidecars[0]);
    assert_eq!(sc.consent.law.as_ref().unwrap().rule, "one-party");
    assert!(
        sc.notice.is_empty(),
        "one-party on both sides: the policy plays none"
    );
}

#[test]
fn the_warning_beep_is_in_what_the_caller_hears_every_interval() {
    let sb = sandbox();
    sb.cli("channel originate Local/beep@legrec-test application Wait 15");
    let sidecars = sb.wait_sidecars(1, Duration::from_secs(30));
    let sc = read_sidecar(&sidecars[0]);
    let lo = flac_decode(&leg_path(&sidecars[0], &sc, "out"));
    let (on, starts) = beep_windows(&lo, 0.7);
    assert_eq!(starts.len(), 2, "two beeps in 12 s: {on:?}");
    // In 100 ms windows, counted as integers: 10.3 s is within 0.3 s of
    // 10 s, which 10.3 - 10.0 in floating point is not.
    for (k, s) in starts.iter().enumerate() {
        let due = 50 * (k as i64 + 1);
        assert!(
            (*s as i64 - due).abs() <= 3,
            "beep {k} at {} s",
            *s as f64 / 10.0
        );
    }
    assert!(
        on.len() >= 8 && on.len() <= 12,
        "each about 0.5 s: {} windows",
        on.len()
    );
    assert_eq!(sc.beeps.as_ref().unwrap().count, 2);
}

#[test]
fn the_n_option_does_not_silence_a_notice_the_law_requires() {
    let sb = sandbox();
    sb.cli("channel originate Local/12125550102@legrec-test application Wait 10");
    let sidecars = sb.wait_sidecars(1, Duration::from_secs(20));
    let sc = read_sidecar(&sidecars[0]);
    assert!(sc.consent.notice_required_by_law);
    let parties: Vec<&str> = sc.notice.iter().map(|n| n.party.as_str()).collect();
    assert_eq!(parties, ["caller"]);
}

#[test]
fn a_notice_that_cannot_be_played_is_not_listed_as_played() {
    let sb = sandbox();
    sb.cli("channel originate Local/nosound@legrec-test application Wait 5");
    let sidecars = sb.wait_sidecars(1, Duration::from_secs(20));
    let sc = read_sidecar(&sidecars[0]);
    assert_eq!(sc.status, "complete");
    assert!(sc.notice.is_empty(), "{:?}", sc.notice);
    assert!(sb
        .log()
        .contains("could not play recording notice 'no-such-notice'"));
}
