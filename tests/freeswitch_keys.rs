//! Agent keys on a real FreeSWITCH, pressed on real SIP phones: the
//! recorded caller is sipp calling into mod_sofia, the agent another sipp
//! that mod_sofia's bridge rings and that answers with a 1000 Hz tone; both
//! press keys as RFC 2833 events over A-law.  Checked on what comes out: a
//! mask span silent in both legs, a pause cut out, on-demand keeping only
//! what was asked for, the sidecar's keys with their side, and key digits
//! that never reach the other party's phone while other digits still do.
//! The scenarios' checks are common::keys', shared with asterisk_keys.rs;
//! this file makes the calls FreeSWITCH's way and checks the digits.

mod common;

use common::asterisk::rms;
use common::freeswitch::Sandbox;
use common::keys::{self, Margins};
use common::sipp::Step::{self, Audio, Key, Tone, Wait};
use common::*;

/// Both ends are sipp phones: the tone is steady, the caller's key 3 s in.
const MARGINS: Margins = Margins {
    agent_share: 0.6,
    pause_at: 2.5..5.0,
    // The middle tone (3 s) between the two presses, nothing else.
    on_demand_len: 2.5..4.0,
    on_demand_quarters: 0,
    on_demand_share: 0.7,
};

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
    let (sidecar, sc) = keys::recorded(&sb);
    let context = common::asterisk::tail(&sb.log(), 40);
    let (from, to) = keys::agent_masked(&sidecar, &sc, "*7", &MARGINS, &context);
    // The caller sends audio too: the mask silences both legs.
    let li = flac_decode(&leg_path(&sidecar, &sc, "in"));
    assert!(
        rms(window(&li, 0.5, from - 0.5)) > 300.0,
        "the caller's audio before the mask"
    );
    assert!(
        rms(window(&li, from + 0.1, to - 0.1)) < 1.0,
        "masked: the caller's audio is silence"
    );
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
    let (sidecar, sc) = keys::recorded(&sb);
    let log = sb.log();
    // About 3.5 s of an 11 s call kept.
    keys::caller_paused(
        &sidecar,
        &sc,
        "*8",
        &MARGINS,
        &common::asterisk::tail(&log, 40),
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
    let (sidecar, sc) = keys::recorded(&sb);
    keys::kept_on_demand(&sidecar, &sc, &MARGINS);
}
