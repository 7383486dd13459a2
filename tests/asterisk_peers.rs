//! Who talked, on a real Asterisk: a queue call answered by a named member
//! (the agent in the sidecar, LEGREC_AGENT, the AMI stop event, the FLAC
//! tags and `legrec info`), with queues.conf's `setinterfacevar = yes` and
//! without it (app_queue then sets no MEMBERNAME: the member comes from its
//! AgentConnect message alone), an attended transfer by AMI Atxfer whose
//! sidecar names both parties with when each joined and left, and a pickup
//! (PickupChan) that names the picker.

mod common;

use std::time::Duration;

use common::asterisk::{tail, Sandbox};
use common::*;

const DIALPLAN: &str = r#"
[peers-test]
exten => caller,1,Answer()
 same => n,LegRecord(support,n)
 same => n,Queue(peersq,t,,,30)
 same => n,Hangup()
exten => h,1,ExecIf($["${LEGREC_AGENT}" != ""]?Set(GLOBAL(AGENT_SEEN)=${LEGREC_AGENT}))

; The same queue call, to a queue that sets no member variables.
exten => plaincaller,1,Answer()
 same => n,LegRecord(support,n)
 same => n,Queue(plainq,t,,,30)
 same => n,Hangup()

exten => alice,1,Answer()
 same => n,Playback(legrec-test-agent)
 same => n,Hangup()

exten => xcaller,1,Answer()
 same => n,LegRecord(support,n)
 same => n,Queue(xferq,t,,,30)
 same => n,Hangup()

; Audio keeps flowing from the agent while the transfer's digits are
; read (Asterisk ends a queued DTMF digit on a later frame).
exten => xalice,1,Answer()
 same => n,Playback(legrec-test-agent)
 same => n,Wait(1)
 same => n,Hangup()

;  A recorded call ringing at a phone that never answers, and another
; phone that picks it up.
exten => pcaller,1,Answer()
 same => n,LegRecord(support,n)
 same => n,Dial(Local/ringer@peers-test,20)
 same => n,Hangup()

exten => ringer,1,Ringing()
 same => n,Wait(20)

exten => picker,1,PickupChan(Local/ringer@peers-test)

; bob is reached by digits: AMI Atxfer dials them as DTMF.
; It outlasts the consultation: alice hangs up and the transfer completes.
exten => 2002,1,Answer()
 same => n,Wait(4)
 same => n,Playback(legrec-test-agent)
 same => n,Hangup()
"#;

const QUEUES: &str = "
[peersq]
strategy = ringall
timeout = 15
setinterfacevar = yes
member => Local/alice@peers-test/n,0,Alice Smith

[plainq]
strategy = ringall
timeout = 15
member => Local/alice@peers-test/n,0,Alice Smith

[xferq]
strategy = ringall
timeout = 15
setinterfacevar = yes
member => Local/xalice@peers-test/n,0,Alice Smith
";

fn sandbox() -> Sandbox {
    let mut sb = Sandbox::new();
    sb.append("extensions.conf", DIALPLAN);
    sb.append("queues.conf", QUEUES);
    // The prompt an attended transfer plays while it collects the digits.
    sb.synth("pbx-transfer", &["trim", "0", "0.2"]);
    std::fs::write(
        sb.etc().join("features.conf"),
        "[general]\n[featuremap]\natxfer => *2\n",
    )
    .unwrap();
    sb.start();
    sb
}

fn wait_until_ok(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let end = std::time::Instant::now() + timeout;
    while std::time::Instant::now() < end {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    cond()
}

#[test]
fn a_queue_call_names_the_member_who_answered_everywhere() {
    names_the_member_who_answered("caller");
}

#[test]
fn a_queue_without_setinterfacevar_still_names_the_member_who_answered() {
    names_the_member_who_answered("plaincaller");
}

fn names_the_member_who_answered(caller: &str) {
    let sb = sandbox();
    let ami = sb.ami();
    sb.cli(&format!(
        "channel originate Local/{caller}@peers-test application Playback legrec-test-caller"
    ));
    let sidecars = sb.wait_sidecars(1, Duration::from_secs(30));
    let sc = read_sidecar(&sidecars[0]);
    assert_eq!(sc.agent.as_deref(), Some("Alice Smith"), "{:#?}", sc.peers);
    assert_eq!(sc.peers.len(), 1, "{:#?}", sc.peers);
    let p = &sc.peers[0];
    assert!(
        p.channel.starts_with("Local/alice@peers-test-"),
        "{}",
        p.channel
    );
    assert_eq!(p.member.as_deref(), Some("Alice Smith"));
    assert_eq!(p.interface.as_deref(), Some("Local/alice@peers-test/n"));
    let left = p.left.expect("the agent left");
    // alice plays 3 s, then hangs up.
    assert!(p.joined < 2.0, "joined at {}", p.joined);
    assert!(
        (left - p.joined - 3.0).abs() < 1.0,
        "{} .. {left}",
        p.joined
    );

    let seen = wait_until_ok(Duration::from_secs(5), || {
        sb.cli("dialplan show globals")
            .contains("AGENT_SEEN=Alice Smith")
    });
    let log = sb.log();
    let lines: Vec<&str> = log
        .lines()
        .filter(|l| {
            l.contains("AGENT_SEEN") || l.contains("LEGREC_AGENT") || l.contains("@peers-test:")
        })
        .collect();
    assert!(seen, "LEGREC_AGENT in the dialplan: {lines:#?}");
    let stop = ami.wait_event("LegRecordStop", 1, Duration::from_secs(5));
    assert!(stop[0].contains("Agent: Alice Smith"), "{}", stop[0]);
    let tags = std::process::Command::new("metaflac")
        .arg("--export-tags-to=-")
        .arg(leg_path(&sidecars[0], &sc, "in"))
        .output()
        .unwrap();
    let tags = String::from_utf8_lossy(&tags.stdout);
    assert!(tags.contains("LEGREC_AGENT=Alice Smith"), "{tags}");
    let info = legrec_cli("info", &sidecars[0]);
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(info.contains("agent        Alice Smith"), "{info}");
    assert!(
        info.contains("peer         Local/alice@peers-test-"),
        "{info}"
    );
    let (ok, text) = legrec_verify(&sb.recordings());
    assert!(ok, "{text}");
}

#[test]
fn an_attended_transfer_names_both_parties_with_their_spans() {
    let sb = sandbox();
    let mut ami = sb.ami();
    sb.cli("channel originate Local/xcaller@peers-test application Playback legrec-test-long");
    // The member's half in the caller's bridge.
    let mut agent = String::new();
    sb.wait_for("the agent answered", Duration::from_secs(15), || {
        agent = sb
            .cli("core show channels concise")
            .lines()
            .filter_map(|l| l.split('!').next())
            .find(|c| c.starts_with("Local/xalice@peers-test-") && c.ends_with(";1"))
            .unwrap_or("")
            .to_string();
        !agent.is_empty()
    });
    std::thread::sleep(Duration::from_millis(1500));
    ami.send(&format!(
        "Action: Atxfer\r\nChannel: {agent}\r\nExten: 2002\r\nContext: peers-test\r\n"
    ));
    // xalice hangs up 4 s after answering: the transfer completes, the
    // caller talks to bob (2002), who plays 3 s and hangs up.
    let sidecars = sb.wait_sidecars(1, Duration::from_secs(40));
    let sc = read_sidecar(&sidecars[0]);
    let who: Vec<&str> = sc.peers.iter().map(|p| p.channel.as_str()).collect();
    assert!(
        sc.peers.len() >= 2
            && sc.peers[0].channel.starts_with("Local/xalice@peers-test-")
            && sc
                .peers
                .last()
                .unwrap()
                .channel
                .starts_with("Local/2002@peers-test-"),
        "{who:?}\n{}",
        tail(&sb.log(), 40)
    );
    assert_eq!(sc.agent.as_deref(), Some("Alice Smith"));
    let (alice, bob) = (&sc.peers[0], sc.peers.last().unwrap());
    assert_eq!(alice.member.as_deref(), Some("Alice Smith"));
    assert_eq!(bob.member, None, "bob came by transfer, not by the queue");
    let alice_left = alice.left.expect("alice left");
    assert!(alice_left > alice.joined + 1.0, "{alice:?}");
    assert!(bob.joined >= alice_left - 0.5, "bob after alice: {sc:#?}");
    assert!(bob.left.unwrap() > bob.joined + 2.0, "{bob:?}");
}

#[test]
fn a_pickup_names_the_picker() {
    let sb = sandbox();
    sb.cli("channel originate Local/pcaller@peers-test application Playback legrec-test-caller");
    sb.wait_for("the phone rings", Duration::from_secs(15), || {
        sb.cli("core show channels concise")
            .lines()
            .any(|l| l.starts_with("Local/ringer@peers-test-") && l.contains("!Ringing!"))
    });
    std::thread::sleep(Duration::from_millis(1500));
    // Another phone picks it up: its channel takes the ringing one's place
    // in the caller's bridge, and plays the agent's tone.
    sb.cli("channel originate Local/picker@peers-test application Playback legrec-test-agent");
    let sidecars = sb.wait_sidecars(1, Duration::from_secs(30));
    let sc = read_sidecar(&sidecars[0]);
    let who: Vec<&str> = sc.peers.iter().map(|p| p.channel.as_str()).collect();
    assert!(
        who.len() == 1 && who[0].starts_with("Local/picker@peers-test-"),
        "the ringing phone never answered, the picker did: {who:?}\n{}",
        tail(&sb.log(), 40)
    );
    let p = &sc.peers[0];
    assert!(p.joined > 1.0, "picked up after ringing: {p:?}");
    assert!(p.left.is_some(), "{p:?}");
}
