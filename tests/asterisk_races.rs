//! Control actions racing a recording's end on a real Asterisk: AMI and CLI
//! mask/unmask/pause/resume/stop fired from many connections at once at
//! channels that are playing their recording notice, then hung up under
//! them.  Each AMI connection is its own thread in Asterisk, so the
//! actions, the stops and LegRecord itself (still in the notice, with the
//! recording paused: record_notice = no) run side by side.
//!
//! Run normally this checks that Asterisk survives, that every action is
//! answered with one of the messages an admin should see and that every
//! recording is finalized.  The memory errors themselves (a thread reading
//! a channel's recording after a stop on another thread freed it) are seen
//! by valgrind: `scripts/memcheck-asterisk --test asterisk_races`, which
//! fails when any error passes through legrec.

mod common;

use std::time::Duration;

use common::asterisk::{tail, Ami, Sandbox};
use common::*;

const DIALPLAN: &str = "
[legrec-race]
exten => long,1,Answer()
 same => n,LegRecord(racing)
 same => n,Wait(120)
 same => n,Hangup()
";

/// The notice is long enough for every burst to land while it plays.
const POLICY: &str = "
[racing]
notice = legrec-race-notice
notice_to = caller
record_notice = no
";

/// What an admin may be told when an action loses the race: the channel
/// went, its recording stopped, or the state had just changed.
const EXPECTED_ERRORS: [&str; 4] = [
    "the channel is not being recorded by LegRecord",
    "no such channel",
    "the recording has been stopped",
    "not possible in the recording's current state",
];

fn rounds() -> usize {
    std::env::var("LEGREC_RACE_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(6)
}

/// The channels `legrec show recordings` lists.
fn recorded_channels(sb: &Sandbox) -> Vec<String> {
    sb.cli("legrec show recordings")
        .lines()
        .filter(|l| l.starts_with("Local/long@legrec-race"))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}

/// Asterisk is still running (a use-after-free in the module typically
/// ends it with a segfault).
fn assert_alive(sb: &Sandbox, when: &str) {
    let pid = sb.pid();
    assert!(
        std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "Asterisk died {when} (see dmesg for a segfault in app_legrec.so): {}",
        tail(&sb.log(), 15)
    );
}

fn action(name: &str, channel: &str, state: Option<&str>, id: usize) -> String {
    let mut a = format!("Action: {name}\r\nActionID: {id}\r\nChannel: {channel}\r\n");
    if let Some(s) = state {
        a.push_str(&format!("State: {s}\r\n"));
    }
    a
}

/// Responses seen on one AMI connection: (successes, error messages).
fn responses(ami: &Ami) -> (usize, Vec<String>) {
    let text = ami.text().replace('\r', "");
    let mut ok = 0;
    let mut errors = Vec::new();
    for block in text.split("\n\n") {
        if !block.lines().any(|l| l.starts_with("ActionID: ")) {
            continue;
        }
        if block.lines().any(|l| l == "Response: Success") {
            ok += 1;
        } else if block.lines().any(|l| l == "Response: Error") {
            let msg = block
                .lines()
                .find_map(|l| l.strip_prefix("Message: "))
                .unwrap_or("")
                .to_string();
            errors.push(msg);
        }
    }
    (ok, errors)
}

#[test]
fn control_actions_racing_a_stop_and_a_hangup_are_answered_and_every_recording_finishes() {
    const CALLS: usize = 4;
    const REPEATS: usize = 12;
    let mut sb = Sandbox::new();
    sb.append("extensions.conf", DIALPLAN);
    sb.append("legrec.conf", POLICY);
    sb.synth(
        "legrec-race-notice",
        &["synth", "6", "sine", "700", "vol", "0.5"],
    );
    sb.start();
    let mut conns: Vec<Ami> = (0..CALLS).map(|_| sb.ami()).collect();
    let mut sent = [0usize; CALLS];
    let mut id = 0;
    let rounds = rounds();

    for round in 0..rounds {
        for _ in 0..CALLS {
            sb.cli("channel originate Local/long@legrec-race application Wait 120");
        }
        let mut channels = Vec::new();
        sb.wait_for(
            &format!("round {round}: {CALLS} live recordings"),
            Duration::from_secs(60),
            || {
                channels = recorded_channels(&sb);
                channels.len() == CALLS
            },
        );
        // Each connection's burst is written in one go: Asterisk reads the
        // actions back to back on that connection's thread while the other
        // connections' threads do the same.  Half way through, connection
        // m stops channel m: the other connections are still masking it.
        for (m, ami) in conns.iter_mut().enumerate() {
            let mut burst = Vec::new();
            for r in 0..REPEATS {
                if r == REPEATS / 2 {
                    id += 1;
                    burst.push(action("LegRecordStop", &channels[m], None, id));
                    sent[m] += 1;
                }
                for c in 0..CALLS {
                    // Connections start at different channels so that
                    // every channel is hit by several at a time.
                    let chan = &channels[(c + m + r) % CALLS];
                    for (name, state) in [
                        ("LegRecordMask", "on"),
                        ("LegRecordMask", "off"),
                        ("LegRecordPause", "on"),
                        ("LegRecordPause", "off"),
                    ] {
                        id += 1;
                        burst.push(action(name, chan, Some(state), id));
                        sent[m] += 1;
                    }
                }
            }
            ami.send(&burst.join("\r\n"));
        }
        // While LegRecord still plays the notice; the CLI joins in from its
        // own thread, then the calls hang up under whatever is left.
        for chan in &channels {
            sb.cli(&format!("legrec mask {chan}"));
            sb.cli(&format!("legrec stop {chan}"));
        }
        sb.cli("channel request hangup all");
        sb.wait_for(
            &format!("round {round}: the calls to end"),
            Duration::from_secs(60),
            || {
                assert_alive(&sb, &format!("in round {round}"));
                sb.cli("core show channels").contains("0 active calls")
            },
        );
    }

    let total = rounds * CALLS;
    let sidecars = sb.wait_sidecars(total, Duration::from_secs(60));
    assert_eq!(sidecars.len(), total);
    for p in &sidecars {
        let sc = read_sidecar(p);
        assert_eq!(sc.status, "complete", "{}", p.display());
        for leg in &sc.legs {
            flac_test(&p.parent().unwrap().join(&leg.file));
        }
    }
    let (ok, text) = legrec_verify(&sb.recordings());
    assert!(ok, "{text}");
    assert_alive(&sb, "after the calls");

    // Every action was answered, with success or a message that says why.
    for (m, ami) in conns.iter().enumerate() {
        sb.wait_for("every action answered", Duration::from_secs(60), || {
            let (ok, errors) = responses(ami);
            ok + errors.len() >= sent[m]
        });
        let (ok, errors) = responses(ami);
        eprintln!(
            "connection {m}: {ok} done, {} refused ({} after a stop)",
            errors.len(),
            errors
                .iter()
                .filter(|e| !e.contains("current state"))
                .count()
        );
        for e in &errors {
            assert!(EXPECTED_ERRORS.contains(&e.as_str()), "AMI said: {e}");
        }
    }
    let log = sb.log();
    assert!(
        !log.contains("internal error"),
        "a panic in the core: {}",
        tail(&log, 30)
    );
    sb.stop();
}
