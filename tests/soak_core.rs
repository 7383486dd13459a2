//! Load and leaks in the core: 1,000 legs (500 calls) pushed in real time,
//! with calls ending and new ones starting all the time.  Zero drops; RSS and
//! open files flat; every finished recording complete.
//!
//! CI runs 30 s.  The 10-minute soak of RELIABILITY.md is
//! `LEGREC_SOAK_SECONDS=600 cargo test --release --test soak_core -- --nocapture`
//! (bench/soak.sh).

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use legrec::policy::config::{RawConfig, Settings};
use legrec::recorder::intake::recording::{CallInfo, Recording};
use legrec::recorder::Core;
use legrec::Status;

const CALLS: usize = 500;
const FRAME: usize = 160;

/// Speech-like test audio: harmonics under a syllable-rate envelope.
fn audio(seconds: usize) -> Vec<i16> {
    let mut x = 12345u32;
    (0..seconds * 8000)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let t = i as f64 / 8000.0;
            let env = (t * 2.0 * std::f64::consts::PI * 4.0).sin().abs();
            let v = env
                * (3000.0 * (t * 2.0 * std::f64::consts::PI * 180.0).sin()
                    + 1500.0 * (t * 2.0 * std::f64::consts::PI * 360.0).sin())
                + f64::from((x % 401) as i32 - 200);
            v as i16
        })
        .collect()
}

/// Stop a call; its dropped frames.
fn end_call(r: Arc<Recording>) -> u64 {
    r.stop();
    r.legs
        .iter()
        .map(|l| l.dropped_frames.load(Ordering::Relaxed))
        .sum()
}

#[test]
fn a_thousand_legs_in_real_time_with_churn_stay_flat() {
    let seconds: u64 = std::env::var("LEGREC_SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    let tmp = tempfile::tempdir().unwrap();
    let mut raw = RawConfig::default();
    raw.set("general", "spool_dir", tmp.path().to_str().unwrap(), 1);
    raw.set("general", "workers", "2", 2);
    raw.set("soak", "legs", "split", 3);
    let finished = Arc::new(AtomicU64::new(0));
    let problems = Arc::new(Mutex::new(Vec::<String>::new()));
    let (f2, p2) = (Arc::clone(&finished), Arc::clone(&problems));
    // Each finished recording is checked, then its files removed, so a long
    // soak does not fill the disk.
    let on_finished = Box::new(
        move |rec: &Recording, o: &legrec::recorder::intake::recording::Outcome| {
            if o.status != Status::Complete {
                p2.lock()
                    .unwrap()
                    .push(format!("{}: {:?} {}", rec.id, o.status, o.reason));
            }
            for f in &o.files {
                let _ = std::fs::remove_file(f);
            }
            f2.fetch_add(1, Ordering::SeqCst);
        },
    );
    let core = Core::new(Settings::from_raw(&raw).unwrap(), Some(on_finished)).unwrap();
    let sound = audio(30);
    let mut next_call = 0usize;
    let mut start_call = |core: &Core| {
        next_call += 1;
        core.start(
            "soak",
            CallInfo {
                channel: format!("Soak/{next_call}"),
                ..Default::default()
            },
        )
        .unwrap()
    };
    let fds_before = open_files("self");
    let mut calls: Vec<Arc<Recording>> = (0..CALLS).map(|_| start_call(&core)).collect();
    let t0 = Instant::now();
    let mut samples = Vec::new(); // (second, rss KiB, fds)
    let mut dropped = 0u64;
    let mut ended = 0u64;
    let frames = seconds * 50;
    for f in 0..frames {
        let at = (f as usize * FRAME) % (sound.len() - FRAME);
        for r in &calls {
            let _ = r.push(0, &sound[at..at + FRAME], 8000);
            let _ = r.push(1, &sound[at..at + FRAME], 8000);
        }
        // Churn: every second 10 calls end and 10 begin.
        if f % 50 == 49 {
            for _ in 0..10 {
                dropped += end_call(calls.remove(0));
                ended += 1;
                calls.push(start_call(&core));
            }
        }
        if f % 500 == 499 {
            samples.push((t0.elapsed().as_secs(), rss_kib("self"), open_files("self")));
        }
        let next = t0 + Duration::from_millis(20 * (f + 1));
        if let Some(d) = next.checked_duration_since(Instant::now()) {
            std::thread::sleep(d);
        }
    }
    for r in calls.drain(..) {
        dropped += end_call(r);
        ended += 1;
    }
    let t = Instant::now();
    while finished.load(Ordering::SeqCst) < ended && t.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let fds_end = open_files("self");
    println!("soak: {CALLS} calls ({} legs) for {seconds} s, {ended} recordings, {dropped} frames dropped", CALLS * 2);
    println!("soak: open files with {CALLS} calls live {}, after all ended {fds_end} (before the calls: {fds_before})", samples.first().map_or(0, |s| s.2));
    for (s, rss, fds) in &samples {
        println!("soak: t={s:>4} s  RSS {rss} KiB  open files {fds}");
    }
    assert_eq!(
        finished.load(Ordering::SeqCst),
        ended,
        "every recording finalized"
    );
    let problems = problems.lock().unwrap();
    assert!(problems.is_empty(), "{problems:#?}");
    assert_eq!(dropped, 0, "frames dropped");
    // Flat: after the first 10 s (rings and worker buffers warm), RSS may
    // not keep growing; open files return to where they were.
    let warm = samples.first().expect("at least one sample").1;
    let last = samples.last().unwrap().1;
    assert!(
        last <= warm + warm / 10 + 4096,
        "RSS grew from {warm} to {last} KiB"
    );
    let live_fds: Vec<usize> = samples.iter().map(|s| s.2).collect();
    assert!(
        live_fds.iter().max().unwrap() - live_fds.iter().min().unwrap() <= 40,
        "open files moved: {live_fds:?}"
    );
    assert!(
        fds_end <= fds_before,
        "{fds_end} files open, {fds_before} before"
    );
    drop(core);
}
