//! Agent keys on a real FreeSWITCH.  The recorded caller is a SIP phone
//! (sipp into mod_sofia, A-law and RFC 2833 keys); the agent is a loopback
//! leg whose dialplan plays a 1000 Hz tone and presses keys with
//! FreeSWITCH's own `send_dtmf ~...`, which the bridge carries to the
//! caller's session.  Checked on what comes out: a mask span silent in both
//! legs, a pause cut out, on-demand keeping only what was asked for, the
//! sidecar's keys with their side, and key digits that never reach the
//! other party while other digits still do.

mod common;

use std::time::Duration;

use common::asterisk::{rms, tone_share};
use common::freeswitch::Sandbox;
use common::sipp::Step::{Audio, Key, Wait};
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

/// A 3 s agent tone, as the agent's dialplan plays it.
const TONE: &str = r#"<action application="playback" data="tone_stream://%(3000,0,1000)"/>"#;

fn dialplan() -> String {
    format!(
        r#"
  <extension name="keyed"><condition field="destination_number" expression="^(keyed|ondemand)$">
    <action application="answer"/>
    <action application="legrec" data="$1"/>
    <action application="bridge" data="loopback/agent-$1/default"/>
  </condition></extension>
  <!-- The agent: its tone, its keys, then a non-key digit; then quiet until
       the caller hangs up (sipp must send the BYE). -->
  <extension name="agent-keyed"><condition field="destination_number" expression="^agent-keyed$">
    <action application="answer"/>
    {TONE}
    <action application="send_dtmf" data="~*7"/>
    {TONE}
    <action application="send_dtmf" data="~*7"/>
    {TONE}
    <action application="send_dtmf" data="~5"/>
    <action application="playback" data="silence_stream://30000"/>
  </condition></extension>
  <extension name="agent-ondemand"><condition field="destination_number" expression="^agent-ondemand$">
    <action application="answer"/>
    {TONE}
    <action application="send_dtmf" data="~*9"/>
    {TONE}
    <action application="send_dtmf" data="~*9"/>
    {TONE}
    <action application="playback" data="silence_stream://30000"/>
  </condition></extension>
  <!-- The agent of a caller who presses keys: it only listens. -->
  <extension name="callerkey"><condition field="destination_number" expression="^callerkey$">
    <action application="answer"/>
    <action application="legrec" data="keyed"/>
    <action application="bridge" data="loopback/listener/default"/>
  </condition></extension>
  <extension name="listener"><condition field="destination_number" expression="^listener$">
    <action application="answer"/>
    <action application="playback" data="silence_stream://30000"/>
  </condition></extension>
"#
    )
}

fn sandbox() -> Sandbox {
    let mut sb = Sandbox::with_sip(&dialplan());
    let conf = sb.conf().join("legrec.conf.xml");
    let text = std::fs::read_to_string(&conf)
        .unwrap()
        .replace("  </policies>", POLICIES);
    std::fs::write(&conf, text).unwrap();
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

/// The digits FreeSWITCH's log shows for `what` ("Send start packet for
/// [", "RECV DTMF ") on the session `uuid`'s lines, or on every other
/// session's with `others`.
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
    sb.sip_call("keyed", &[Audio, Wait(12_500)]);
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
    // What went out to the caller's phone as RFC 2833: the agent's 5, which
    // is no key, and nothing of *7.
    let log = sb.log();
    let sent = digits(&log, &sc.uniqueid, false, "Send start packet for [");
    assert_eq!(sent, "5", "digits sent to the caller");
}

#[test]
#[cfg_attr(
    not(has_freeswitch),
    ignore = "FreeSWITCH not found by scripts/find-freeswitch: skipped"
)]
fn a_key_pressed_on_the_callers_phone_pauses_and_never_reaches_the_agent() {
    let sb = sandbox();
    // *8 (RFC 2833) 3 s in, the caller's audio again, then a 5 that is no key.
    sb.sip_call(
        "callerkey",
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
    // Every digit arrived from the phone; the agent's legs got only the 5.
    let arrived = digits(&log, &sc.uniqueid, false, "RTP RECV DTMF ");
    assert_eq!(arrived, "*85", "digits FreeSWITCH got from the phone");
    let passed = digits(&log, &sc.uniqueid, true, "RECV DTMF ");
    assert!(
        !passed.is_empty() && passed.chars().all(|d| d == '5'),
        "digits that reached the agent: {passed:?}"
    );
}

#[test]
#[cfg_attr(
    not(has_freeswitch),
    ignore = "FreeSWITCH not found by scripts/find-freeswitch: skipped"
)]
fn on_demand_keeps_only_what_the_agent_asked_for() {
    let sb = sandbox();
    sb.sip_call("ondemand", &[Audio, Wait(12_500)]);
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
