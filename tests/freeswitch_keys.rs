//! Agent keys on a real FreeSWITCH, pressed on real SIP phones: the
//! recorded caller is sipp calling into mod_sofia, the agent another sipp
//! that mod_sofia's bridge rings and that answers with a 1000 Hz tone; both
//! press keys as RFC 2833 events over A-law.  Checked on what comes out: a
//! mask span silent in both legs, a pause cut out, on-demand keeping only
//! what was asked for, the sidecar's keys with their side, and key digits
//! that never reach the other party's phone while other digits still do.

mod common;

use std::time::Duration;

use common::asterisk::{rms, tone_share};
use common::freeswitch::Sandbox;
use common::sipp::Step::{self, Audio, Key, Tone, Wait};
use common::sipp::TONE_HZ;
use common::*;

const RATE: f64 = 8000.0;

const POLICIES: &str = r#"
    <policy name="keyed">
      <param name="notice" value=""/>
      <param name="mask_key" value="*7"/>
      <param name="pause_key" value="*8"/>
    </policy>
    <policy name="ondemand">
      <param name="notice" value=""/>
      <param name="start" value="on-demand"/>
      <param name="record_key" value="*9"/>
    </policy>
  </policies>"#;

/// `<policy>-<port>`: the caller is recorded under the policy and bridged
/// to the agent's phone at 127.0.0.1:port.
const DIALPLAN: &str = r#"
  <extension name="keyed"><condition field="destination_number" expression="^(keyed|ondemand)-(\d+)$">
    <action application="answer"/>
    <action application="legrec" data="$1"/>
    <action application="bridge" data="{absolute_codec_string=PCMA}sofia/legrec/agent@127.0.0.1:$2"/>
  </condition></extension>
"#;

fn sandbox() -> Sandbox {
    let mut sb = Sandbox::with_sip(DIALPLAN);
    let conf = sb.conf().join("legrec.conf.xml");
    let text = std::fs::read_to_string(&conf)
        .unwrap()
        .replace("  </policies>", POLICIES);
    std::fs::write(&conf, text).unwrap();
    sb.start();
    sb
}

/// The caller calls `policy` and does `caller`; the agent's phone answers
/// the bridge and does `agent`, then waits for the caller's hangup.
fn call(sb: &Sandbox, policy: &str, caller: &[Step], agent: &[Step]) {
    let port = sb.sip_port + 3300;
    let phone = common::sipp::answer(port, agent);
    sb.sip_call(&format!("{policy}-{port}"), caller);
    let out = phone.wait();
    assert!(
        out.status.success(),
        "the agent's phone: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        common::asterisk::tail(&sb.log(), 30)
    );
}

/// The agent's phone: its tone, `key`, its tone, `key` again, its tone;
/// then `last` (if any) and a little more tone.
fn agent_pressing(key: [char; 2], last: Option<char>) -> Vec<Step> {
    let mut steps = Vec::new();
    for _ in 0..2 {
        steps.extend([
            Tone,
            Wait(3000),
            Key(key[0]),
            Wait(300),
            Key(key[1]),
            Wait(300),
        ]);
    }
    steps.extend([Tone, Wait(3000)]);
    if let Some(d) = last {
        steps.extend([Key(d), Wait(300), Tone, Wait(500)]);
    }
    steps
}

/// The share of quarter seconds in `from..to` that carry the agent's
/// 1000 Hz (robust to a late frame or two on a busy machine).
fn agent_share(x: &[i16], from: f64, to: f64) -> f64 {
    let quarters: Vec<f64> = (0..((to - from) * 4.0) as usize)
        .map(|q| from + q as f64 / 4.0)
        .collect();
    let toned = quarters
        .iter()
        .filter(|&&t| tone_share(window(x, t, t + 0.25), RATE, TONE_HZ) > 0.8)
        .count();
    toned as f64 / quarters.len().max(1) as f64
}

/// The digits FreeSWITCH's log shows for `what` ("Send start packet for
/// [": RFC 2833 sent to a phone, "RTP RECV DTMF ": from a phone) on the
/// session `uuid`'s lines, or on every other session's (the agent's) with
/// `others`.
fn digits(log: &str, uuid: &str, others: bool, what: &str) -> String {
    log.lines()
        .filter(|l| l.starts_with(uuid) != others && !l.is_empty())
        .filter_map(|l| l.split_once(what).and_then(|(_, r)| r.chars().next()))
        .collect()
}

#[test]
#[cfg_attr(
    not(has_freeswitch),
    ignore = "FreeSWITCH not found by scripts/find-freeswitch: skipped"
)]
fn the_agents_mask_key_silences_its_span_and_never_reaches_the_caller() {
    let sb = sandbox();
    call(
        &sb,
        "keyed",
        &[Audio, Wait(12_500)],
        &agent_pressing(['*', '7'], Some('9')),
    );
    let sidecars = sb.wait_sidecars(1, Duration::from_secs(20));
    let sc = read_sidecar(&sidecars[0]);
    let keys: Vec<(&str, &str, &str)> = sc
        .keys
        .iter()
        .map(|k| (k.key.as_str(), k.action.as_str(), k.side.as_str()))
        .collect();
    assert_eq!(
        keys,
        [("*7", "mask", "agent"), ("*7", "unmask", "agent")],
        "{}",
        common::asterisk::tail(&sb.log(), 40)
    );
    assert_eq!(sc.masks.len(), 1, "{:#?}", sc.masks);
    let m = &sc.masks[0];
    assert_eq!(
        (m.by.as_str(), m.ended_by.as_deref()),
        ("dtmf:agent", Some("dtmf:agent"))
    );
    let (from, to) = (m.start_offset, m.end_offset.unwrap());
    assert!((2.5..5.0).contains(&from) && to - from > 2.5, "{m:?}");
    let lo = flac_decode(&leg_path(&sidecars[0], &sc, "out"));
    let li = flac_decode(&leg_path(&sidecars[0], &sc, "in"));
    let before = agent_share(&lo, 0.5, from - 0.5);
    assert!(before > 0.6, "the agent before the mask: {before:.2}");
    assert!(
        rms(window(&lo, from + 0.1, to - 0.1)) < 1.0,
        "masked: the agent's tone is silence"
    );
    assert!(
        rms(window(&li, 0.5, from - 0.5)) > 300.0,
        "the caller's audio before the mask"
    );
    assert!(
        rms(window(&li, from + 0.1, to - 0.1)) < 1.0,
        "masked: the caller's audio is silence"
    );
    let after = agent_share(&lo, to + 0.5, to + 2.0);
    assert!(after > 0.6, "the agent after the mask: {after:.2}");
    // Every digit arrived from the agent's phone; what went out to the
    // caller's as RFC 2833 is the 9, which is no key, and nothing of *7.
    let log = sb.log();
    let arrived = digits(&log, &sc.uniqueid, true, "RTP RECV DTMF ");
    assert_eq!(
        arrived, "*7*79",
        "digits FreeSWITCH got from the agent's phone"
    );
    let sent = digits(&log, &sc.uniqueid, false, "Send start packet for [");
    assert_eq!(sent, "9", "digits sent to the caller");
}

#[test]
#[cfg_attr(
    not(has_freeswitch),
    ignore = "FreeSWITCH not found by scripts/find-freeswitch: skipped"
)]
fn a_key_pressed_on_the_callers_phone_pauses_and_never_reaches_the_agent() {
    let sb = sandbox();
    // *8 (RFC 2833) 3 s in, the caller's audio again, then a 5 that is no
    // key; the agent's phone only talks.
    call(
        &sb,
        "keyed",
        &[
            Audio,
            Wait(3000),
            Key('*'),
            Wait(300),
            Key('8'),
            Wait(600),
            Audio,
            Wait(2000),
            Key('5'),
            Wait(600),
            Audio,
            Wait(5000),
        ],
        &[Tone, Wait(7000)],
    );
    let sidecars = sb.wait_sidecars(1, Duration::from_secs(20));
    let sc = read_sidecar(&sidecars[0]);
    let keys: Vec<(&str, &str, &str)> = sc
        .keys
        .iter()
        .map(|k| (k.key.as_str(), k.action.as_str(), k.side.as_str()))
        .collect();
    let log = sb.log();
    assert_eq!(
        keys,
        [("*8", "pause", "caller")],
        "{}",
        common::asterisk::tail(&log, 40)
    );
    assert_eq!(sc.pauses.len(), 1);
    assert_eq!(sc.pauses[0].by, "dtmf:caller");
    let p = sc.pauses[0].start_offset;
    assert!((2.5..5.0).contains(&p), "paused at {p}");
    // The time after the key is cut out: about 3.5 s of an 11 s call kept.
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
    // Every digit arrived from the caller's phone; only the 5 went on to
    // the agent's phone as RFC 2833.
    let arrived = digits(&log, &sc.uniqueid, false, "RTP RECV DTMF ");
    assert_eq!(
        arrived, "*85",
        "digits FreeSWITCH got from the caller's phone"
    );
    let sent = digits(&log, &sc.uniqueid, true, "Send start packet for [");
    assert_eq!(sent, "5", "digits sent to the agent's phone");
}

#[test]
#[cfg_attr(
    not(has_freeswitch),
    ignore = "FreeSWITCH not found by scripts/find-freeswitch: skipped"
)]
fn on_demand_keeps_only_what_the_agent_asked_for() {
    let sb = sandbox();
    call(
        &sb,
        "ondemand",
        &[Audio, Wait(12_500)],
        &agent_pressing(['*', '9'], None),
    );
    let sidecars = sb.wait_sidecars(1, Duration::from_secs(20));
    let sc = read_sidecar(&sidecars[0]);
    assert_eq!(sc.start, "on-demand");
    let keys: Vec<(&str, &str)> = sc
        .keys
        .iter()
        .map(|k| (k.action.as_str(), k.side.as_str()))
        .collect();
    assert_eq!(
        keys,
        [("record", "agent"), ("stop-recording", "agent")],
        "{:#?}",
        sc.keys
    );
    assert_eq!(sc.pauses[0].by, "on-demand");
    let lo = flac_decode(&leg_path(&sidecars[0], &sc, "out"));
    let len = lo.len() as f64 / RATE;
    // The middle tone (3 s) between the two presses, nothing else.
    assert!((2.5..4.0).contains(&len), "kept {len:.2} s");
    let toned = agent_share(&lo, 0.0, len);
    assert!(toned > 0.7, "the agent's tone in {len:.2} s: {toned:.2}");
}
