//! Agent keys on a real Asterisk, pressed with Asterisk's own DTMF (the
//! agent's SendDTMF through the bridge) and as RFC 2833 events from sipp
//! (the caller's side): a mask key whose span is silent in both legs,
//! on-demand recording that keeps only what was asked for, a privacy pause,
//! and key digits that never reach the other party.  The scenarios'
//! checks are common::keys', shared with freeswitch_keys.rs; this file
//! makes the calls Asterisk's way.

mod common;

use std::time::Duration;

use common::asterisk::{sipp_call, Sandbox};
use common::keys::{self, Margins};
use common::*;

/// A loaded machine (the suite runs three sandboxes at once) leaves gaps
/// in Asterisk's playback; the caller's key comes from sipp 3 s in.
const MARGINS: Margins = Margins {
    agent_share: 0.3,
    pause_at: 2.0..5.0,
    // The middle Playback (3 s) and the digits around it, which are
    // silence: 2.5 s or more of the agent's tone.
    on_demand_len: 2.5..4.5,
    on_demand_quarters: 6,
    on_demand_share: 0.0,
};

const POLICIES: &str = "
[keyed]
notice =
mask_key = *7
pause_key = *8

[ondemand]
notice =
start = on-demand
record_key = *9

[callerkey]
notice =
pause_key = 1
";

/// The caller's side listens for digits (Read) to show none came through;
/// what it heard is kept when it hangs up.
const DIALPLAN: &str = "
[keys-listen]
exten => listen,1,Answer()
 same => n,Read(HEARD,,4,,,20)
 same => n,Wait(20)
exten => h,1,Set(GLOBAL(HEARD)=got:${HEARD})

[legrec-sip]
exten => callerkey,1,Answer()
 same => n,LegRecord(callerkey)
 same => n,Wait(20)
 same => n,Hangup()

[keys-test]
exten => mcaller,1,Answer()
 same => n,LegRecord(keyed,n)
 same => n,Dial(Local/magent@keys-test/n)
 same => n,Hangup()

exten => magent,1,Answer()
 same => n,Playback(legrec-test-agent)
 same => n,SendDTMF(*7)
 same => n,Playback(legrec-test-agent)
 same => n,SendDTMF(*7)
 same => n,Playback(legrec-test-agent)
 same => n,Hangup()

exten => ocaller,1,Answer()
 same => n,LegRecord(ondemand,n)
 same => n,Dial(Local/oagent@keys-test/n)
 same => n,Hangup()

exten => oagent,1,Answer()
 same => n,Playback(legrec-test-agent)
 same => n,SendDTMF(*9)
 same => n,Playback(legrec-test-agent)
 same => n,SendDTMF(*9)
 same => n,Playback(legrec-test-agent)
 same => n,Hangup()
";

fn sandbox() -> Sandbox {
    let mut sb = Sandbox::new();
    sb.append("legrec.conf", POLICIES);
    sb.append("extensions.conf", DIALPLAN);
    sb.start();
    sb
}

/// What the caller's Read collected, once it ended.
fn heard(sb: &Sandbox) -> Option<String> {
    sb.cli("dialplan show globals")
        .lines()
        .find_map(|l| l.trim().strip_prefix("HEARD=got:").map(str::to_string))
}

#[test]
fn the_agents_mask_key_silences_its_span_and_never_reaches_the_caller() {
    let sb = sandbox();
    sb.cli("channel originate Local/mcaller@keys-test extension listen@keys-listen");
    let (sidecar, sc) = keys::recorded(&sb);
    let log = sb.log();
    let seen: Vec<&str> = log
        .lines()
        .filter(|l| {
            l.contains("agent key") || l.contains("SendDTMF") || l.contains("magent@keys-test:")
        })
        .collect();
    keys::agent_masked(&sidecar, &sc, "*7", &MARGINS, &format!("{seen:#?}"));
    sb.wait_for("the caller's Read ended", Duration::from_secs(20), || {
        heard(&sb).is_some()
    });
    assert_eq!(
        heard(&sb).unwrap(),
        "",
        "the key's digits reached the caller"
    );
}

#[test]
fn on_demand_keeps_only_what_the_agent_asked_for() {
    let sb = sandbox();
    sb.cli("channel originate Local/ocaller@keys-test application Wait 20");
    let (sidecar, sc) = keys::recorded(&sb);
    keys::kept_on_demand(&sidecar, &sc, &MARGINS);
}

#[test]
fn a_key_pressed_on_the_callers_phone_pauses_and_says_so() {
    let sb = sandbox();
    // sipp sends A-law audio, the key 1 as RFC 2833 events 3 s in, then
    // audio again until it hangs up at 11 s: about 3 s of it kept.
    sipp_call(&sb, "callerkey", Some(3000));
    let (sidecar, sc) = keys::recorded(&sb);
    keys::caller_paused(&sidecar, &sc, "1", &MARGINS, &format!("{:#?}", sc.keys));
}
