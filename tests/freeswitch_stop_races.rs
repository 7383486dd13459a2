//! Keys and API controls aimed at the moment a recording closes, on a real
//! FreeSWITCH.  The bug's CLOSE frees the recording's handle: on the API's
//! thread for `legrec stop`, on the session's at hangup.  While it does,
//! other threads may be inside mod_legrec with the same handle: the DTMF
//! hooks on the thread of a `uuid_send_dtmf` / `uuid_recv_dtmf`, the API's
//! mask and pause on theirs.  tests/freeswitch_races.rs races them loosely
//! over many calls; here every recording gets its own volley: four event
//! socket connections press keys and mask it back to back, and after a few
//! hundred microseconds of that (a different delay each time) a fifth stops
//! it or hangs it up, so that commands are in flight on both sides of the
//! free at its real size, hundreds of times.  FreeSWITCH must stay up, and
//! every recording come out whole.
//!
//! Under scripts/asan-freeswitch (LEGREC_ASAN=1) the core and mod_legrec
//! are built with AddressSanitizer, which reports a read of the freed
//! handle however brief; the run stops FreeSWITCH, and so fails here.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Barrier;
use std::time::{Duration, Instant};

use common::freeswitch::{Esl, Sandbox};
use common::*;

const DIALPLAN: &str = r#"
  <extension name="hold"><condition field="destination_number" expression="^hold$">
    <action application="answer"/>
    <action application="park"/>
  </condition></extension>
"#;

/// Keys on both sides, so the recorded session has legrec's DTMF hooks.
const POLICY: &str = r#"
    <policy name="keys">
      <param name="notice" value=""/>
      <param name="mask_key" value="*7"/>
      <param name="pause_key" value="*8"/>
    </policy>
  </policies>"#;

/// Recordings closed under a volley; LEGREC_RACE_SHOTS asks for more (a
/// run by hand under scripts/asan-freeswitch).
fn shots() -> usize {
    std::env::var("LEGREC_RACE_SHOTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000)
}

/// What the volley's threads send, UUID being the recorded session.
const VOLLEY: [&str; 4] = [
    "uuid_send_dtmf UUID ~*7",
    "uuid_recv_dtmf UUID ~*8",
    "legrec mask UUID",
    "legrec pause UUID",
];

/// One command of a volley: when it went and came back, and whether it
/// reached the session (the DTMF commands) or the live recording (legrec's).
struct Sent {
    went: Instant,
    back: Instant,
    reached: bool,
}

/// Send `command` until `closed` is set, then for as long again as the
/// close took (so the volley covers both sides of it).
fn volley(esl: &mut Esl, command: &str, go: &Barrier, closed: &AtomicBool) -> Vec<Sent> {
    let mut sent = Vec::new();
    go.wait();
    let mut after = None;
    loop {
        let went = Instant::now();
        let out = esl.api(command);
        let back = Instant::now();
        sent.push(Sent {
            went,
            back,
            reached: out.starts_with("+OK"),
        });
        match after {
            None if closed.load(Ordering::Acquire) => after = Some(back + Duration::from_millis(1)),
            Some(end) if back > end => return sent,
            _ => {}
        }
    }
}

struct HangUpAll<'a>(&'a Sandbox);

impl Drop for HangUpAll<'_> {
    fn drop(&mut self) {
        self.0.api("hupall");
    }
}

#[test]
#[cfg_attr(
    not(has_freeswitch),
    ignore = "FreeSWITCH not found by scripts/find-freeswitch: skipped"
)]
fn keys_and_controls_aimed_at_the_close_of_a_recording_leave_freeswitch_up_and_every_recording_whole(
) {
    let mut sb = Sandbox::new(DIALPLAN);
    let conf = sb.conf().join("legrec.conf.xml");
    let text = std::fs::read_to_string(&conf)
        .unwrap()
        .replace("  </policies>", POLICY);
    std::fs::write(&conf, text).unwrap();
    sb.start();
    let slow = std::env::var_os("LEGREC_ASAN").is_some();
    // FreeSWITCH's elegant shutdown waits for calls: a failure here must
    // not leave parked ones behind.
    let _hang_up = HangUpAll(&sb);

    let mut main = sb.esl();
    let mut shooters: Vec<Esl> = VOLLEY.iter().map(|_| sb.esl()).collect();
    let (mut in_flight, mut shots_hit, mut reached) = (0usize, 0usize, 0usize);
    let started = Instant::now();
    let shots = shots();
    for shot in 0..shots {
        let uuid = format!("00000000-0000-4000-8000-{shot:012}");
        let out = main.api(&format!(
            "originate {{origination_uuid={uuid}}}loopback/hold/default &park"
        ));
        assert!(out.contains("+OK"), "originate: {out}");
        let out = main.api(&format!("legrec start {uuid} keys"));
        assert!(out.starts_with("+OK RECORDING"), "legrec start: {out}");

        // Half are stopped from the API (CLOSE on its thread, at once),
        // half hung up (CLOSE on the session's, once it sees the hangup).
        let close = if shot % 2 == 0 {
            format!("legrec stop {uuid}")
        } else {
            format!("uuid_kill {uuid}")
        };
        // 0 to 1.9 ms of volley before the close: the phases differ.
        let lead = Duration::from_micros((shot as u64 * 130) % 2000);
        let go = Barrier::new(VOLLEY.len() + 1);
        let closed = AtomicBool::new(false);
        let (went, back, sent) = std::thread::scope(|s| {
            let threads: Vec<_> = shooters
                .iter_mut()
                .zip(VOLLEY)
                .map(|(esl, command)| {
                    let command = command.replace("UUID", &uuid);
                    let (go, closed) = (&go, &closed);
                    s.spawn(move || volley(esl, &command, go, closed))
                })
                .collect();
            go.wait();
            let until = Instant::now() + lead;
            while Instant::now() < until {
                std::hint::spin_loop();
            }
            let went = Instant::now();
            let out = main.api(&close);
            let back = Instant::now();
            assert!(out.starts_with("+OK"), "{close}: {out}");
            closed.store(true, Ordering::Release);
            let sent: Vec<Sent> = threads
                .into_iter()
                .flat_map(|t| t.join().unwrap())
                .collect();
            (went, back, sent)
        });
        // In flight while the close ran, and still answered by the live
        // session or recording.
        let hits = sent
            .iter()
            .filter(|c| c.reached && c.went < back && c.back > went)
            .count();
        in_flight += hits;
        shots_hit += usize::from(hits > 0);
        reached += sent.iter().filter(|c| c.reached).count();
        if shot % 2 == 0 {
            main.api(&format!("uuid_kill {uuid}"));
        }
        if shot % 50 == 49 {
            assert!(
                main.api("status").contains("UP"),
                "FreeSWITCH died: {}",
                common::asterisk::tail(&sb.log(), 30)
            );
        }
    }
    eprintln!(
        "{shots} recordings closed under a volley in {:.0?}: {reached} keys and controls reached them, \
         {in_flight} of those in flight while the close ran ({shots_hit} of the {shots} closes)",
        started.elapsed()
    );
    // The volley must straddle the close, or the test aims at nothing.
    assert!(shots_hit >= shots / 2, "{shots_hit} closes hit");

    let patience = if slow { 4 } else { 1 };
    let all = sb.wait_sidecars(shots, Duration::from_secs(30 * patience));
    assert_eq!(all.len(), shots);
    assert!(
        legrec::spool::layout::markers(&sb.recordings()).is_empty(),
        "every recording finalized"
    );
    for p in &all {
        assert_eq!(read_sidecar(p).status, "complete", "{}", p.display());
    }
    let (ok, text) = legrec_verify(&sb.recordings());
    assert!(ok, "{text}");
    let live = main.api("legrec status");
    assert_eq!(live.lines().count(), 1, "a recording is still live: {live}");
}
