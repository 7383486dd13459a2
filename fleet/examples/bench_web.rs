//! The browser benchmark's Rust half (bench/web.sh runs it):
//!   bench_web hour SPOOL    one recording of an hour (split legs and
//!                           stereo) by the real core, for the time to its
//!                           first audio and its waveform

use std::time::{Duration, Instant};

use legrec::policy::config::{RawConfig, Settings};
use legrec::recorder::session::{CallInfo, PushError};
use legrec::recorder::Core;

fn hour(spool: &str) {
    let mut raw = RawConfig::default();
    raw.set("general", "spool_dir", spool, 1);
    raw.set("general", "workers", "2", 2);
    raw.set("p", "legs", "both", 3);
    let core = Core::new(Settings::from_raw(&raw).unwrap(), None).unwrap();
    let rec = core
        .start(
            "p",
            CallInfo {
                pbx: "bench".into(),
                channel: "PJSIP/hour".into(),
                caller_number: "5550000001".into(),
                callee: "600".into(),
                queue: "q1".into(),
                ..Default::default()
            },
        )
        .unwrap();
    let t0 = Instant::now();
    // 50 frames a second for an hour; faster than real time, so a full
    // ring waits for the encoder rather than dropping.
    for f in 0..180_000usize {
        for leg in 0..2 {
            let frame: Vec<i16> = (0..160)
                .map(|n| {
                    let t = (f * 160 + n) as f64 / 8000.0;
                    let on = ((t / 2.0) as usize + leg).is_multiple_of(2);
                    if on {
                        (6000.0
                            * (2.0 * std::f64::consts::PI * (300.0 + 200.0 * leg as f64) * t).sin())
                            as i16
                    } else {
                        0
                    }
                })
                .collect();
            while let Err(PushError::Busy) = rec.push(leg, &frame, 8000) {
                std::thread::sleep(Duration::from_millis(2));
            }
        }
    }
    rec.stop();
    let outcome = rec
        .wait_outcome(Duration::from_secs(600))
        .expect("finished");
    eprintln!(
        "recorded an hour in {:.1} s: {:?}",
        t0.elapsed().as_secs_f64(),
        outcome.files
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["hour", spool] => hour(spool),
        _ => {
            eprintln!("usage: bench_web hour SPOOL");
            std::process::exit(2);
        }
    }
}
