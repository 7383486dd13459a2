//! The browser benchmark's Rust half (bench/web.sh runs it):
//!   bench_web hour SPOOL    one recording of an hour (split legs and
//!                           stereo) by the real core, for the time to its
//!                           first audio and its waveform
//!   bench_web chain SPOOL N  N more entries in the spool's audit chain
//!                           (other recordings' and their plays), as
//!                           months of a busy PBX leave it
//!   bench_web scan SPOOL ID  the milliseconds of what a recording's page
//!                           did before the browser kept where each line
//!                           starts: the whole chain read for ID's lines

use std::time::{Duration, Instant};

use legrec::policy::config::{RawConfig, Settings};
use legrec::recorder::intake::recording::{CallInfo, PushError};
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

fn chain(spool: &str, n: usize) {
    use legrec::audit::{self, Entry, FileHash};
    let log = legrec::spool::layout::audit_log(std::path::Path::new(spool));
    let t0 = Instant::now();
    let mut batch = Vec::new();
    for i in 0..n {
        let id = format!("20250101-{:06}-000-{:08x}", i / 1000 % 240000, i);
        // Three recording entries to one play, as a queue with some
        // reviews; a recording entry hashes its three or four files.
        batch.push(if i % 4 == 3 {
            Entry::new(
                "played",
                &id,
                "p",
                Vec::new(),
                r#"{"user":"sup","role":"supervisor","what":"stereo","client":"127.0.0.1","pbx":"bench"}"#,
            )
        } else {
            let files = ["-in.flac", "-out.flac", ".flac", ".json"]
                .iter()
                .map(|x| FileHash {
                    file: format!("p/2025-01-01/{id}{x}"),
                    sha256: format!("{i:064x}"),
                })
                .collect();
            Entry::new("recorded", &id, "p", files, "")
        });
        if batch.len() == 10_000 {
            audit::append_all(&log, std::mem::take(&mut batch), 0o640).unwrap();
        }
    }
    audit::append_all(&log, batch, 0o640).unwrap();
    eprintln!(
        "{n} entries appended in {:.1} s; the chain is {} bytes",
        t0.elapsed().as_secs_f64(),
        std::fs::metadata(&log).unwrap().len()
    );
}

/// What trail::entries_of did for every page until 2026-12-01.
fn scan(spool: &str, id: &str) {
    use std::io::BufRead;
    let log = legrec::spool::layout::audit_log(std::path::Path::new(spool));
    let t0 = Instant::now();
    let f = std::fs::File::open(log).unwrap();
    let found: Vec<legrec::audit::Entry> = std::io::BufReader::new(f)
        .lines()
        .map_while(Result::ok)
        .filter(|l| l.contains(id))
        .filter_map(|l| serde_json::from_str(&l).ok())
        .filter(|e: &legrec::audit::Entry| e.id == id)
        .collect();
    println!("{:.1} {}", t0.elapsed().as_secs_f64() * 1000.0, found.len());
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
        ["chain", spool, n] => chain(spool, n.parse().expect("N")),
        ["scan", spool, id] => scan(spool, id),
        _ => {
            eprintln!("usage: bench_web hour SPOOL | chain SPOOL N | scan SPOOL ID");
            std::process::exit(2);
        }
    }
}
