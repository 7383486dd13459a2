//! Agent keys on a real Asterisk, pressed with Asterisk's own DTMF (the
//! agent's SendDTMF through the bridge) and as RFC 2833 events from sipp
//! (the caller's side): a mask key whose span is silent in both legs,
//! on-demand recording that keeps only what was asked for, a privacy pause,
//! and key digits that never reach the other party.

mod common;

use std::time::Duration;

use common::asterisk::{rms, sipp_call, tone_share, Sandbox};
use common::*;

const RATE: f64 = 8000.0;

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

/// The share of quarter seconds in `from..to` that carry the agent's
/// 1000 Hz (robust to a late frame or two on a busy machine).
fn agent_share(x: &[i16], from: f64, to: f64) -> f64 {
    let quarters: Vec<f64> = (0..((to - from) * 4.0) as usize)
        .map(|q| from + q as f64 / 4.0)
        .collect();
    let toned = quarters
        .iter()
        .filter(|&&t| tone_share(window(x, t, t + 0.25), RATE, 1000.0) > 0.8)
        .count();
    toned as f64 / quarters.len().max(1) as f64
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
    let sidecars = sb.wait_sidecars(1, Duration::from_secs(30));
    let sc = read_sidecar(&sidecars[0]);
    let keys: Vec<(&str, &str)> = sc
        .keys
        .iter()
        .map(|k| (k.action.as_str(), k.side.as_str()))
        .collect();
    let log = sb.log();
    let seen: Vec<&str> = log
        .lines()
        .filter(|l| {
            l.contains("agent key") || l.contains("SendDTMF") || l.contains("magent@keys-test:")
        })
        .collect();
    assert_eq!(keys, [("mask", "agent"), ("unmask", "agent")], "{seen:#?}");
    assert_eq!(sc.masks.len(), 1, "{:#?}", sc.masks);
    let m = &sc.masks[0];
    assert_eq!(
        (m.by.as_str(), m.ended_by.as_deref()),
        ("dtmf:agent", Some("dtmf:agent"))
    );
    let (from, to) = (m.start_offset, m.end_offset.unwrap());
    assert!((2.5..5.0).contains(&from) && to - from > 2.5, "{m:?}");
    let lo = flac_decode(&leg_path(&sidecars[0], &sc, "out"));
    // A loaded machine (the suite runs three sandboxes at once) leaves gaps
    // in Asterisk's playback, so not every quarter second is clearly the
    // tone; inside the mask none is (the rms check below).
    let before = agent_share(&lo, 0.5, from - 0.5);
    assert!(before > 0.3, "the agent before the mask: {before:.2}");
    assert!(
        rms(window(&lo, from + 0.1, to - 0.1)) < 1.0,
        "masked: silence"
    );
    let after = agent_share(&lo, to + 0.5, to + 2.0);
    assert!(
        after > 0.3,
        "the agent after: {after:.2} from {to:.2} s of {:.2} s",
        lo.len() as f64 / RATE
    );
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
    let sidecars = sb.wait_sidecars(1, Duration::from_secs(30));
    let sc = read_sidecar(&sidecars[0]);
    assert_eq!(sc.start, "on-demand");
    let keys: Vec<&str> = sc.keys.iter().map(|k| k.action.as_str()).collect();
    assert_eq!(keys, ["record", "stop-recording"], "{:#?}", sc.keys);
    assert_eq!(sc.pauses[0].by, "on-demand");
    let lo = flac_decode(&leg_path(&sidecars[0], &sc, "out"));
    let len = lo.len() as f64 / RATE;
    // The middle Playback (3 s) and the digits around it.
    assert!((2.5..4.5).contains(&len), "kept {len:.2} s");
    // What was kept is the asked-for part: the agent's tone, 2.5 s or more
    // of it (the digits around it are silence).
    let toned = (0..(len * 4.0) as usize)
        .map(|q| window(&lo, q as f64 / 4.0, q as f64 / 4.0 + 0.25))
        .filter(|w| tone_share(w, RATE, 1000.0) > 0.8)
        .count();
    assert!(
        toned >= 6,
        "{toned} quarter seconds of the agent in {len:.2} s"
    );
}

#[test]
fn a_key_pressed_on_the_callers_phone_pauses_and_says_so() {
    let sb = sandbox();
    // sipp sends A-law audio, the key 1 as RFC 2833 events 3 s in, then
    // audio again until it hangs up at 11 s.
    sipp_call(&sb, "callerkey", Some(3000));
    let sidecars = sb.wait_sidecars(1, Duration::from_secs(30));
    let sc = read_sidecar(&sidecars[0]);
    let keys: Vec<(&str, &str, &str)> = sc
        .keys
        .iter()
        .map(|k| (k.key.as_str(), k.action.as_str(), k.side.as_str()))
        .collect();
    assert_eq!(keys, [("1", "pause", "caller")], "{:#?}", sc.keys);
    assert_eq!(sc.pauses.len(), 1);
    assert_eq!(sc.pauses[0].by, "dtmf:caller");
    let p = sc.pauses[0].start_offset;
    assert!((2.0..5.0).contains(&p), "paused at {p}");
    // The time after the key is cut out: about 3 s of an 11 s call kept.
    let li = flac_decode(&leg_path(&sidecars[0], &sc, "in"));
    let len = li.len() as f64 / RATE;
    assert!(
        (p - 0.5..p + 0.5).contains(&len),
        "{len:.2} s kept, paused at {p:.2}"
    );
    assert!(
        rms(window(&li, 0.5, p - 0.5)) > 300.0,
        "the caller before the key"
    );
}
