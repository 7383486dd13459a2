//! Who talked, on a real FreeSWITCH: an attended transfer (mod_dptools'
//! att_xfer) from one agent to another, a pickup (intercept) of a recorded
//! call ringing elsewhere, and a recording cut by a killed FreeSWITCH whose
//! repair still names the party it was bridged with.  Checked on the
//! sidecar's peers: each party with its channel and its joined/left span.

mod common;

use std::time::Duration;

use common::asterisk::tail;
use common::freeswitch::Sandbox;
use common::sipp::Step::{Audio, Key, Wait};
use common::*;

const DIALPLAN: &str = r#"
  <!-- The caller waits in park when the first agent hangs up, as a
       transferred call must: att_xfer then bridges it on to bob.  alice is
       a SIP phone (sipp) whose leg has att_xfer on *3 (bind_meta_app), as
       FreeSWITCH's own examples set it up. -->
  <extension name="xfer"><condition field="destination_number" expression="^xfer(\d+)$">
    <action application="answer"/>
    <action application="legrec" data="quiet"/>
    <action application="bridge" data="{absolute_codec_string=PCMA,execute_on_answer='bind_meta_app 3 a s att_xfer::loopback/bob/default'}sofia/legrec/alice@127.0.0.1:$1"/>
    <action application="park"/>
  </condition></extension>
  <extension name="bob"><condition field="destination_number" expression="^bob$">
    <action application="answer"/>
    <action application="playback" data="tone_stream://%(8000,0,800)"/>
    <action application="hangup"/>
  </condition></extension>
  <!-- A recorded call ringing at a phone that never answers. -->
  <extension name="ringme"><condition field="destination_number" expression="^ringme$">
    <action application="answer"/>
    <action application="legrec" data="quiet"/>
    <action application="bridge" data="loopback/ringer/default"/>
  </condition></extension>
  <extension name="ringer"><condition field="destination_number" expression="^ringer$">
    <action application="ring_ready"/>
    <action application="sleep" data="30000"/>
  </condition></extension>
  <!-- A recorded call bridged to an agent who talks until the crash. -->
  <extension name="crash"><condition field="destination_number" expression="^crash$">
    <action application="answer"/>
    <action application="legrec" data="quiet"/>
    <action application="bridge" data="loopback/longagent/default"/>
  </condition></extension>
  <extension name="longagent"><condition field="destination_number" expression="^longagent$">
    <action application="answer"/>
    <action application="playback" data="tone_stream://%(30000,0,1000)"/>
  </condition></extension>
  <extension name="picker"><condition field="destination_number" expression="^picker$">
    <action application="answer"/>
    <action application="playback" data="tone_stream://%(3000,0,1000)"/>
    <action application="hangup"/>
  </condition></extension>
"#;

const POLICY: &str = r#"
    <policy name="quiet">
      <param name="notice" value=""/>
    </policy>
  </policies>"#;

fn sandbox() -> Sandbox {
    let mut sb = Sandbox::with_sip(DIALPLAN);
    let conf = sb.conf().join("legrec.conf.xml");
    let text = std::fs::read_to_string(&conf)
        .unwrap()
        .replace("  </policies>", POLICY);
    std::fs::write(&conf, text).unwrap();
    sb.start();
    sb
}

/// The uuid of the channel named `name`, once it is up.
fn uuid_of(sb: &Sandbox, name: &str) -> String {
    let mut uuid = String::new();
    sb.wait_for(name, Duration::from_secs(10), || {
        let list = sb.api("show channels");
        let found = list
            .lines()
            .find(|l| l.split(',').any(|f| f == name))
            .and_then(|l| l.split(',').next());
        uuid = found.unwrap_or_default().to_string();
        found.is_some()
    });
    uuid
}

#[test]
#[cfg_attr(
    not(has_freeswitch),
    ignore = "FreeSWITCH not found by scripts/find-freeswitch: skipped"
)]
fn an_attended_transfer_names_both_agents_with_their_spans_in_one_recording() {
    let sb = sandbox();
    // alice's phone answers, talks, presses *3 1.5 s in: att_xfer calls
    // bob, who answers and talks with alice while the caller waits.
    let alice_port = sb.sip_port + 3300;
    let phone = common::sipp::answer(
        alice_port,
        &[
            Audio,
            Wait(1500),
            Key('*'),
            Wait(300),
            Key('3'),
            Wait(500),
            Audio,
        ],
    );
    // The caller hangs up after 14 s.
    let out = sb.api(&format!(
        "originate loopback/xfer{alice_port}/default &playback(tone_stream://%(14000,0,500))"
    ));
    assert!(out.starts_with("+OK"), "{out}\n{}", tail(&sb.log(), 40));
    let alice = uuid_of(&sb, &format!("sofia/legrec/alice@127.0.0.1:{alice_port}"));
    uuid_of(&sb, "loopback/bob-a");
    std::thread::sleep(Duration::from_millis(1500));
    // alice hangs up: the caller goes on to bob.
    assert!(sb.api(&format!("uuid_kill {alice}")).starts_with("+OK"));
    let out = phone.wait();
    assert!(
        out.status.success(),
        "alice's phone: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let sidecars = sb.wait_sidecars(1, Duration::from_secs(30));
    std::thread::sleep(Duration::from_millis(500));
    // Nothing left that would keep the sandbox's elegant shutdown waiting.
    sb.api("hupall");
    assert_eq!(
        common::sidecars(&sb.recordings()).len(),
        1,
        "one recording across the transfer"
    );
    let sc = read_sidecar(&sidecars[0]);
    let who: Vec<&str> = sc.peers.iter().map(|p| p.channel.as_str()).collect();
    let alice_channel = format!("sofia/legrec/alice@127.0.0.1:{alice_port}");
    assert_eq!(
        who,
        [alice_channel.as_str(), "loopback/bob-a"],
        "{:#?}\n{}",
        sc.peers,
        tail(&sb.log(), 60)
    );
    let (a, b) = (&sc.peers[0], &sc.peers[1]);
    let a_left = a.left.expect("alice left");
    let b_left = b.left.expect("bob left");
    assert!(a.joined < 1.0, "alice from the start: {a:?}");
    // alice presses *3 at 1.5 s, bob answers at once, alice hangs up
    // 1.5 s after that.
    assert!((2.5..6.0).contains(&a_left), "alice left at {a_left}");
    assert!(
        b.joined >= a_left - 0.1 && b.joined < a_left + 1.0,
        "bob joins the caller when alice leaves: {a:?} {b:?}"
    );
    // bob talks 8 s from his answer.
    assert!(b_left > b.joined + 2.0, "{b:?}");
    let len = sc.legs[0].samples as f64 / 8000.0;
    assert!(b_left <= len + 0.2, "bob left by the end ({len:.2} s)");
}

#[test]
#[cfg_attr(
    not(has_freeswitch),
    ignore = "FreeSWITCH not found by scripts/find-freeswitch: skipped"
)]
fn a_pickup_names_the_picker() {
    let sb = sandbox();
    let out = sb.api("originate loopback/ringme/default &playback(tone_stream://%(30000,0,500))");
    assert!(out.starts_with("+OK"), "{out}");
    let recorded = uuid_of(&sb, "loopback/ringme-b");
    uuid_of(&sb, "loopback/ringer-a");
    std::thread::sleep(Duration::from_millis(1500));
    // Another phone picks the ringing call up.
    let out = sb.api(&format!(
        "originate loopback/picker/default &intercept({recorded})"
    ));
    assert!(out.starts_with("+OK"), "{out}");
    let sidecars = sb.wait_sidecars(1, Duration::from_secs(30));
    sb.api("hupall");
    let sc = read_sidecar(&sidecars[0]);
    let who: Vec<&str> = sc.peers.iter().map(|p| p.channel.as_str()).collect();
    assert_eq!(
        who,
        ["loopback/picker-a"],
        "the ringing phone never answered, the picker did: {:#?}\n{}",
        sc.peers,
        tail(&sb.log(), 60)
    );
    let p = &sc.peers[0];
    assert!(p.joined > 1.0, "picked up after ringing: {p:?}");
}

#[test]
#[cfg_attr(
    not(has_freeswitch),
    ignore = "FreeSWITCH not found by scripts/find-freeswitch: skipped"
)]
fn a_recording_repaired_after_a_crash_still_names_who_talked() {
    // Before, the in-progress marker held only what was known at the start,
    // so a repaired recording had no peers.
    let mut sb = sandbox();
    let out = sb.api("originate loopback/crash/default &playback(tone_stream://%(30000,0,500))");
    assert!(out.starts_with("+OK"), "{out}");
    uuid_of(&sb, "loopback/longagent-a");
    std::thread::sleep(Duration::from_millis(3000));
    sb.kill();
    let markers = legrec::spool::layout::markers(&sb.recordings());
    assert_eq!(markers.len(), 1, "the crash left the marker");
    legrec_repair(&markers[0]);
    let sidecars = common::sidecars(&sb.recordings());
    assert_eq!(sidecars.len(), 1);
    let sc = read_sidecar(&sidecars[0]);
    assert_eq!(sc.status, "interrupted");
    let who: Vec<&str> = sc.peers.iter().map(|p| p.channel.as_str()).collect();
    assert_eq!(who, ["loopback/longagent-a"], "{:#?}", sc.peers);
    assert!(sc.peers[0].joined < 1.0, "{:?}", sc.peers[0]);
    assert_eq!(sc.peers[0].left, None, "still talking when FreeSWITCH died");
    let (ok, text) = legrec_verify(&sb.recordings());
    assert!(ok, "{text}");
}
