//! The core through its Rust API: alignment, gaps, resampling, min_duration,
//! config errors.  (The C ABI is driven by tests/c_harness.rs.)

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::asterisk::tone_share;
use common::*;
use legrec::policy::config::{RawConfig, Settings};
use legrec::recorder::intake::recording::{CallInfo, Recording};
use legrec::recorder::Core;

fn core(spool: &std::path::Path, extra: &[(&str, &str, &str)]) -> Core {
    let mut raw = RawConfig::default();
    raw.set("general", "spool_dir", spool.to_str().unwrap(), 1);
    raw.set("general", "workers", "1", 2);
    raw.set("p", "legs", "split", 3);
    for (s, k, v) in extra {
        raw.set(s, k, v, 10);
    }
    Core::new(Settings::from_raw(&raw).unwrap(), None).unwrap()
}

fn call(name: &str) -> CallInfo {
    CallInfo {
        pbx: "test".into(),
        channel: name.into(),
        ..Default::default()
    }
}

fn tone(n: usize, rate: f64, freq: f64, phase0: usize) -> Vec<i16> {
    (0..n)
        .map(|i| {
            (8000.0 * (2.0 * std::f64::consts::PI * freq * (i + phase0) as f64 / rate).sin()) as i16
        })
        .collect()
}

/// The one day folder a test's recordings went to.
fn day_dir(spool: &std::path::Path, policy: &str) -> std::path::PathBuf {
    std::fs::read_dir(spool.join(policy))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path()
}

fn finish(rec: &Arc<Recording>) -> legrec::sidecar::Sidecar {
    rec.stop();
    let outcome = rec
        .wait_outcome(Duration::from_secs(10))
        .expect("finalized");
    let sidecar = outcome
        .files
        .iter()
        .find(|f| f.extension().is_some_and(|e| e == "json"))
        .unwrap()
        .clone();
    read_sidecar(&sidecar)
}

#[test]
fn a_silent_direction_is_filled_so_legs_stay_on_one_timeline() {
    let tmp = tempfile::tempdir().unwrap();
    let core = core(tmp.path(), &[("general", "align_slack_ms", "100")]);
    let rec = core.start("p", call("Test/fill")).unwrap();
    // Only `in` has audio for 1 s; then both legs for 0.5 s.
    for f in 0..75 {
        let frame = tone(160, 8000.0, 500.0, f * 160);
        rec.push(0, &frame, 8000).unwrap();
        if f >= 50 {
            rec.push(1, &tone(160, 8000.0, 1000.0, f * 160), 8000)
                .unwrap();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let sc = finish(&rec);
    let day = day_dir(tmp.path(), "p");
    let li = flac_decode(&day.join(&sc.legs[0].file));
    let lo = flac_decode(&day.join(&sc.legs[1].file));
    assert_eq!(li.len(), lo.len());
    assert_eq!(li.len(), 75 * 160);
    // The out leg's audio starts where it was pushed, within the slack.
    let first = lo.iter().position(|&s| s != 0).unwrap();
    assert!(
        first.abs_diff(50 * 160) <= 1200,
        "out audio at {first}, pushed at {}",
        50 * 160
    );
    assert!(
        sc.legs[1].filled_samples >= 50 * 160 - 1200,
        "{:?}",
        sc.legs[1]
    );
    assert_eq!(sc.legs[0].filled_samples, 0);
}

/// A direction that keeps sending but runs a little slow (a loaded PBX's
/// playback; an Asterisk 20 under a whole test run here) once sat at the
/// slack's edge and got a sample or two of silence at every poll: a
/// crackle through its audio.  Silence now comes only in pieces of half
/// the slack or more.
#[test]
fn a_direction_that_runs_slow_gets_silence_in_whole_pieces_not_a_crackle() {
    let tmp = tempfile::tempdir().unwrap();
    let core = core(tmp.path(), &[("general", "align_slack_ms", "100")]);
    let rec = core.start("p", call("Test/slow")).unwrap();
    // Nothing from `out` for 300 ms, as while a key's digits were sent...
    for _ in 0..15 {
        rec.push(0, &[700; 160], 8000).unwrap();
        std::thread::sleep(Duration::from_millis(20));
    }
    // ...then its audio again, 20 ms of it every 21 ms: 5% slow.
    for _ in 0..60 {
        rec.push(0, &[700; 160], 8000).unwrap();
        rec.push(1, &[1000; 160], 8000).unwrap();
        std::thread::sleep(Duration::from_millis(21));
    }
    let sc = finish(&rec);
    let day = day_dir(tmp.path(), "p");
    let lo = flac_decode(&day.join(&sc.legs[1].file));
    let first = lo.iter().position(|&s| s != 0).unwrap();
    let last = lo.iter().rposition(|&s| s != 0).unwrap();
    let mut runs = Vec::new();
    let mut run = 0;
    for &s in &lo[first..=last] {
        if s == 0 {
            run += 1;
        } else if run > 0 {
            runs.push(run);
            run = 0;
        }
    }
    assert_eq!(
        lo[first..=last].iter().filter(|&&s| s != 0).count(),
        60 * 160
    );
    assert!(
        runs.iter().all(|&r| r >= 400),
        "silence inside the audio, in samples: {runs:?}"
    );
}

/// A party still there when the recording stops leaves with it, at the
/// same millisecond precision it joined with: once its join was rounded
/// up (0.013) and the stop's offset was not (0.012911678), a span that
/// ended before it began (seen in freeswitch_races in a whole run).
#[test]
fn a_party_there_at_the_stop_leaves_no_earlier_than_it_joined() {
    let tmp = tempfile::tempdir().unwrap();
    let core = core(tmp.path(), &[]);
    for n in 0..20 {
        let rec = core.start("p", call(&format!("Test/stop{n}"))).unwrap();
        let who = legrec::recorder::intake::peers::PeerInfo {
            channel: "Test/agent".into(),
            ..Default::default()
        };
        assert!(rec.peer_join(who));
        let sc = finish(&rec);
        let p = &sc.peers[0];
        let left = p.left.expect("closed by the stop");
        assert!(left >= p.joined, "{p:?}");
        assert_eq!(left, (left * 1000.0).round() / 1000.0, "{p:?}");
    }
}

#[test]
fn dropped_frames_become_counted_silence_at_their_place() {
    let tmp = tempfile::tempdir().unwrap();
    // A 200 ms ring, and 2 s pushed at once: most of it cannot fit.
    let core = core(
        tmp.path(),
        &[
            ("general", "ring_ms", "200"),
            ("general", "align_slack_ms", "5000"),
        ],
    );
    let rec = core.start("p", call("Test/drop")).unwrap();
    let mut refused = 0;
    for f in 0..100 {
        if rec.push(0, &[1000; 160], 8000).is_err() {
            refused += 1;
        }
        rec.push(1, &[0; 160], 8000).ok();
        let _ = f;
    }
    assert!(refused > 50);
    std::thread::sleep(Duration::from_millis(100));
    rec.push(0, &[2000; 160], 8000).unwrap(); // announces the gap
    let dropped = rec.legs[0]
        .dropped_samples
        .load(std::sync::atomic::Ordering::Relaxed);
    let sc = finish(&rec);
    assert_eq!(dropped, refused * 160);
    assert_eq!(sc.legs[0].dropped_samples, dropped);
    let day = day_dir(tmp.path(), "p");
    let li = flac_decode(&day.join(&sc.legs[0].file));
    // Kept frames, then silence for every dropped sample, then the new frame.
    let kept = (100 - refused as usize) * 160;
    assert!(li[..kept].iter().all(|&s| s == 1000));
    assert!(li[kept..kept + dropped as usize].iter().all(|&s| s == 0));
    assert!(li[kept + dropped as usize..kept + dropped as usize + 160]
        .iter()
        .all(|&s| s == 2000));
}

#[test]
fn frames_at_another_rate_are_resampled_not_garbled() {
    let tmp = tempfile::tempdir().unwrap();
    // 1 s pushed at once: a ring that holds it.
    let core = core(
        tmp.path(),
        &[
            ("general", "align_slack_ms", "5000"),
            ("general", "ring_ms", "2000"),
        ],
    );
    let rec = core.start("p", call("Test/rate")).unwrap();
    // 1 s at 8 kHz, then 1 s at 16 kHz (a codec change), same 600 Hz tone.
    for f in 0..50 {
        rec.push(0, &tone(160, 8000.0, 600.0, f * 160), 8000)
            .unwrap();
    }
    std::thread::sleep(Duration::from_millis(60));
    for f in 0..50 {
        rec.push(0, &tone(320, 16000.0, 600.0, f * 320), 16000)
            .unwrap();
        std::thread::sleep(Duration::from_millis(2));
    }
    let sc = finish(&rec);
    assert_eq!(sc.legs[0].rate_mismatch.as_deref(), Some("resampled"));
    let day = day_dir(tmp.path(), "p");
    let li = flac_decode(&day.join(&sc.legs[0].file));
    assert!(
        li.len().abs_diff(16000) <= 320,
        "2 s at 8 kHz, got {}",
        li.len()
    );
    assert!(
        tone_share(&li[9000..15000], 8000.0, 600.0) > 0.9,
        "the tone survives resampling"
    );
}

#[test]
fn short_calls_are_discarded_under_min_duration() {
    let tmp = tempfile::tempdir().unwrap();
    let core = core(tmp.path(), &[("q", "min_duration", "5")]);
    let rec = core.start("q", call("Test/short")).unwrap();
    rec.push(0, &[1; 160], 8000).unwrap();
    rec.stop();
    let outcome = rec.wait_outcome(Duration::from_secs(5)).unwrap();
    assert_eq!(outcome.status, legrec::Status::Discarded);
    let day = day_dir(tmp.path(), "q");
    assert_eq!(std::fs::read_dir(day).unwrap().count(), 0, "no files left");
}

#[test]
fn config_errors_name_section_key_and_line() {
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "general",
            "workers",
            "many",
            "line 7: [general] workers = 'many': 'many' is not a whole number",
        ),
        (
            "general",
            "file_mode",
            "rw-r",
            "line 7: [general] file_mode = 'rw-r': 'rw-r' is not an octal file mode",
        ),
        (
            "general",
            "compression_level",
            "9",
            "line 7: [general] compression_level = '9': must be from 0 to 8",
        ),
        (
            "support",
            "colour",
            "blue",
            "line 7: [support] colour: unknown key 'colour'",
        ),
        (
            "support",
            "notice_to",
            "everyone",
            "line 7: [support] notice_to = 'everyone': 'everyone' is not one of caller, both, none",
        ),
        (
            "support",
            "record_notice",
            "perhaps",
            "line 7: [support] record_notice = 'perhaps': 'perhaps' is not yes or no",
        ),
        (
            "support",
            "sample_rate",
            "44100",
            "line 7: [support] sample_rate = '44100': must be 8000 or 16000",
        ),
        (
            "../etc",
            "legs",
            "split",
            "line 7: [../etc]: a policy name may use only letters",
        ),
        (
            "bad name",
            "legs",
            "split",
            "line 7: [bad name]: a policy name",
        ),
    ];
    for (section, key, value, want) in cases {
        let mut raw = RawConfig::default();
        raw.set("general", "spool_dir", "/tmp/x", 1);
        raw.set(section, key, value, 7);
        let err = Settings::from_raw(&raw).expect_err(want).to_string();
        assert!(err.starts_with(want), "got {err:?}, want {want:?}");
    }
    let mut raw = RawConfig::default();
    raw.set("support", "legs", "split", 3);
    raw.set("support", "legs", "both", 9);
    assert_eq!(
        Settings::from_raw(&raw).unwrap_err().to_string(),
        "line 9: [support] legs: set twice (first at line 3)"
    );
}
