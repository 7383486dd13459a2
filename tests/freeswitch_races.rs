//! mod_legrec's other threads against the end of a recording, on a real
//! FreeSWITCH.  CHANNEL_BRIDGE / CHANNEL_UNBRIDGE are handled on event
//! threads, the API on its own, and DTMF hooks on whichever thread hands
//! the session a digit (here the API's: `uuid_send_dtmf` / `uuid_recv_dtmf`
//! with `~`), while the recording's handle is freed by the bug's CLOSE on
//! whichever thread takes the bug off: the session's at hangup, the API's at
//! `legrec stop`.  Here short bridged calls end right after their unbridge
//! (the event races the hangup) while one thread masks, pauses and stops
//! them and another presses keys on them as they go; FreeSWITCH must stay
//! up, nothing may hang, and every recording must come out finished with
//! its peer's span.
//!
//! Under scripts/memcheck-freeswitch (LEGREC_VALGRIND=1) FreeSWITCH runs
//! under valgrind's memcheck, which reports a handle used after its free
//! however short the window; the waits are longer there.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::freeswitch::{Esl, Sandbox};
use common::*;

const DIALPLAN: &str = r#"
  <extension name="racer"><condition field="destination_number" expression="^racer(\d+)$">
    <action application="answer"/>
    <action application="legrec" data="quiet"/>
    <!-- The other party's own hangup, on its thread, masks the recorded
         session and presses a key on it, while that session hangs up. -->
    <action application="bridge" data="{api_hangup_hook='legrec mask ${uuid}',api_reporting_hook='uuid_send_dtmf ${uuid} ~*7'}loopback/flicker$1/default"/>
  </condition></extension>
  <!-- Hangs up at once: the unbridge and the recorded session's hangup
       (which closes the recording) come together. -->
  <extension name="flicker"><condition field="destination_number" expression="^flicker(\d+)$">
    <action application="answer"/>
    <action application="sleep" data="$1"/>
    <action application="hangup"/>
  </condition></extension>
"#;

/// With keys, so every recorded session has legrec's DTMF hooks.
const POLICY: &str = r#"
    <policy name="quiet">
      <param name="notice" value=""/>
      <param name="mask_key" value="*7"/>
      <param name="pause_key" value="*8"/>
    </policy>
  </policies>"#;

const ROUNDS: usize = 5;
const CALLS: usize = 12;

/// The uuids of the recorded legs now up.
fn recorded_uuids(esl: &mut Esl) -> Vec<String> {
    esl.api("show channels")
        .lines()
        .filter(|l| l.contains("loopback/racer") && l.contains("-b,"))
        .filter_map(|l| l.split(',').next().map(str::to_string))
        .collect()
}

#[test]
#[cfg_attr(
    not(has_freeswitch),
    ignore = "FreeSWITCH not found by scripts/find-freeswitch: skipped"
)]
fn bridge_events_and_api_commands_racing_hangups_leave_freeswitch_up_and_every_recording_whole() {
    let mut sb = Sandbox::new(DIALPLAN);
    let conf = sb.conf().join("legrec.conf.xml");
    let text = std::fs::read_to_string(&conf)
        .unwrap()
        .replace("  </policies>", POLICY);
    std::fs::write(&conf, text).unwrap();
    sb.start();
    let valgrind = std::env::var_os("LEGREC_VALGRIND").is_some();

    // Two meddlers, each on its own event socket connection, on whatever
    // recorded leg they find: the API's controls, and keys pressed on
    // either side (the send hook is the agent's side, recv the caller's).
    let done = Arc::new(AtomicBool::new(false));
    let meddle = |commands: &'static [&'static str]| {
        let (mut esl, done) = (sb.esl(), Arc::clone(&done));
        std::thread::spawn(move || {
            let mut n = 0usize;
            while !done.load(Ordering::Relaxed) {
                for uuid in recorded_uuids(&mut esl) {
                    esl.api(&commands[n % commands.len()].replace("UUID", &uuid));
                    n += 1;
                }
            }
            n
        })
    };
    let controls = meddle(&[
        "legrec mask UUID",
        "legrec pause UUID",
        "legrec status",
        "legrec stop UUID",
    ]);
    let keys = meddle(&["uuid_send_dtmf UUID ~*7", "uuid_recv_dtmf UUID ~*8"]);
    let patience = if valgrind { 20 } else { 1 };
    let mut originate = sb.esl();
    for round in 0..ROUNDS {
        for call in 0..CALLS {
            // Between 0 and 220 ms of bridge: some calls end while the
            // bridge event is still queued.
            let ms = (call * 20 + round * 7) % 240;
            let out = originate.api(&format!("bgapi originate loopback/racer{ms}/default &park"));
            assert!(out.contains("+OK"), "{out}");
        }
        sb.wait_for(
            &format!("round {round}'s recordings"),
            Duration::from_secs(30 * patience),
            || sidecars(&sb.recordings()).len() >= (round + 1) * CALLS,
        );
        assert!(
            sb.api("status").contains("UP"),
            "FreeSWITCH died: {}",
            common::asterisk::tail(&sb.log(), 30)
        );
    }
    done.store(true, Ordering::Relaxed);
    let (controlled, pressed) = (controls.join().unwrap(), keys.join().unwrap());
    assert!(
        controlled > 0 && pressed > 0,
        "the API never reached a live recording"
    );
    eprintln!("{controlled} API controls and {pressed} keys sent to live recordings");

    let all = sidecars(&sb.recordings());
    assert_eq!(all.len(), ROUNDS * CALLS);
    assert!(
        legrec::spool::layout::markers(&sb.recordings()).is_empty(),
        "every recording finalized"
    );
    let mut spans = 0;
    for p in &all {
        let sc = read_sidecar(p);
        assert_eq!(sc.status, "complete", "{}", p.display());
        for peer in &sc.peers {
            // A party that joined left before the end of the recording, or
            // the recording stopped first and its span stays open.
            if let Some(left) = peer.left {
                assert!(left >= peer.joined, "{peer:?}");
                spans += 1;
            }
        }
    }
    assert!(spans > 0, "no bridge was ever seen");
    let (ok, text) = legrec_verify(&sb.recordings());
    assert!(ok, "{text}");
    assert!(
        !sb.api("legrec status").contains("racer"),
        "a recording is still live"
    );
}
