//! Faults the core must survive without losing what it could keep.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use legrec::policy::config::{RawConfig, Settings};
use legrec::recorder::intake::recording::{CallInfo, Recording};
use legrec::recorder::Core;
use legrec::Status;

fn noise(seed: u64, n: usize) -> Vec<i16> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as i16
        })
        .collect()
}

fn call(i: usize) -> CallInfo {
    CallInfo {
        pbx: "test".into(),
        channel: format!("Test/full-{i}"),
        ..Default::default()
    }
}

fn push_seconds(rec: &Recording, seconds: usize, seed: u64) {
    for f in 0..seconds * 50 {
        let x = noise(seed + f as u64, 160);
        if rec.push(0, &x, 8000).is_err() || rec.push(1, &x, 8000).is_err() {
            return;
        }
    }
}

#[test]
fn a_full_disk_fails_each_recording_cleanly_and_recovers() {
    let tmp = tempfile::tempdir().unwrap();
    let spool = tmp.path().join("spool");
    let _fs = Tmpfs::mount(&spool, "1m");
    // Room is made later by deleting this.
    let filler = spool.join("filler");
    let mut raw = RawConfig::default();
    raw.set("general", "spool_dir", spool.to_str().unwrap(), 1);
    raw.set("general", "workers", "1", 2);
    raw.set("general", "align_slack_ms", "10000", 3);
    raw.set("general", "ring_ms", "30000", 3);
    raw.set("p", "legs", "split", 4);
    let core = Core::new(Settings::from_raw(&raw).unwrap(), None).unwrap();

    // One call completes while there is room.
    let done = core.start("p", call(0)).unwrap();
    push_seconds(&done, 2, 1);
    done.stop();
    let first = done.wait_outcome(Duration::from_secs(10)).unwrap();
    assert_eq!(first.status, Status::Complete);
    let first_sidecar = first
        .files
        .iter()
        .find(|f| f.extension().is_some_and(|e| e == "json"))
        .unwrap()
        .clone();
    let before = std::fs::read(&first_sidecar).unwrap();

    // Fill most of the rest, then record noise until the disk is full.
    let free = free_bytes(&spool);
    std::fs::write(&filler, vec![0u8; free.saturating_sub(200 * 1024) as usize]).unwrap();
    let recs: Vec<Arc<Recording>> = (1..=3).map(|i| core.start("p", call(i)).unwrap()).collect();
    for (i, r) in recs.iter().enumerate() {
        push_seconds(r, 20, 100 * i as u64);
    }
    for r in &recs {
        r.stop();
    }
    for r in &recs {
        let o = r.wait_outcome(Duration::from_secs(20)).expect("finalized");
        assert_eq!(o.status, Status::Failed, "{}: {:?}", r.id, o);
        assert!(o.reason.contains("No space left on device"), "{}", o.reason);
        // Without room for the sidecar, the in-progress marker stays to say
        // the recording did not complete.
        let has_sidecar = r.paths.sidecar().exists();
        assert!(has_sidecar || r.paths.marker().exists());
    }
    // What was complete is untouched.
    assert_eq!(std::fs::read(&first_sidecar).unwrap(), before);
    let (ok, text) = legrec_verify(&first_sidecar);
    assert!(ok, "{text}");

    // Room again: new calls record.
    std::fs::remove_file(&filler).unwrap();
    let again = core.start("p", call(9)).unwrap();
    push_seconds(&again, 2, 7);
    again.stop();
    assert_eq!(
        again.wait_outcome(Duration::from_secs(10)).unwrap().status,
        Status::Complete
    );
}

#[test]
fn recordings_are_0640_folders_0750_and_nothing_is_followed_or_overwritten() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let spool = tmp.path().join("spool");
    let mut raw = RawConfig::default();
    raw.set("general", "spool_dir", spool.to_str().unwrap(), 1);
    raw.set("general", "workers", "1", 2);
    raw.set("p", "legs", "both", 3);
    let core = Core::new(Settings::from_raw(&raw).unwrap(), None).unwrap();
    let rec = core.start("p", call(1)).unwrap();
    push_seconds(&rec, 1, 3);
    let victim = tmp.path().join("victim");
    std::fs::write(&victim, b"keep me").unwrap();
    rec.stop();
    let outcome = rec.wait_outcome(Duration::from_secs(10)).unwrap();
    assert_eq!(outcome.status, Status::Complete);
    for f in &outcome.files {
        let mode = std::fs::metadata(f).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640, "{}", f.display());
    }
    let day = outcome.files[0].parent().unwrap();
    for d in [day, day.parent().unwrap()] {
        assert_eq!(
            std::fs::metadata(d).unwrap().permissions().mode() & 0o777,
            0o750,
            "{}",
            d.display()
        );
    }
    let audit = spool.join("audit.jsonl");
    assert_eq!(
        std::fs::metadata(&audit).unwrap().permissions().mode() & 0o777,
        0o640
    );
    // The audit log itself is never followed through a symlink.
    std::fs::remove_file(&audit).unwrap();
    std::os::unix::fs::symlink(&victim, &audit).unwrap();
    let rec = core.start("p", call(2)).unwrap();
    rec.stop();
    let _ = rec.wait_outcome(Duration::from_secs(10)).unwrap();
    assert_eq!(
        std::fs::read(&victim).unwrap(),
        b"keep me",
        "the link's target is untouched"
    );
}

/// `legrec repair` (and the repair at module load) must never touch a
/// recording a live PBX is writing: the marker's lock says it is alive.
#[test]
fn repair_leaves_a_live_recording_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let spool = tmp.path().join("spool");
    let mut raw = RawConfig::default();
    raw.set("general", "spool_dir", spool.to_str().unwrap(), 1);
    raw.set("general", "workers", "1", 2);
    raw.set("p", "legs", "split", 3);
    // Seconds are pushed at once: rings that hold them.
    raw.set("general", "ring_ms", "2000", 4);
    let core = Core::new(Settings::from_raw(&raw).unwrap(), None).unwrap();
    let rec = core.start("p", call(1)).unwrap();
    push_seconds(&rec, 1, 5);
    // Let the worker take that second out of the ring.
    std::thread::sleep(Duration::from_millis(200));
    let one = legrec_cli("repair", &rec.paths.marker());
    assert!(!one.status.success());
    assert!(
        String::from_utf8_lossy(&one.stderr).contains("still being recorded"),
        "{}",
        String::from_utf8_lossy(&one.stderr)
    );
    let all = legrec_cli("repair", &spool);
    assert!(all.status.success());
    assert!(String::from_utf8_lossy(&all.stdout).contains("skipped"));
    // A second core on the same spool (another PBX) leaves it alone too.
    let other = Core::new(Settings::from_raw(&raw).unwrap(), None).unwrap();
    drop(other); // joins its repair thread
    assert!(rec.paths.marker().exists());
    push_seconds(&rec, 1, 6);
    rec.stop();
    let outcome = rec.wait_outcome(Duration::from_secs(10)).unwrap();
    assert_eq!(outcome.status, Status::Complete);
    assert!((outcome.seconds - 2.0).abs() < 0.1, "{outcome:?}");
}

/// Finishing a recording waits for the disk (fsync); on a busy disk that
/// can take seconds.  It must not hold up the encoding of the calls still
/// going, whose rings hold only `ring_ms` of audio: here finishing one
/// recording takes 1.5 s (the host's callback stands in for a slow disk)
/// while another call on the same, only, encoder thread keeps talking
/// into a 500 ms ring.
#[test]
fn a_slow_finish_does_not_drop_the_audio_of_other_calls() {
    let tmp = tempfile::tempdir().unwrap();
    let mut raw = RawConfig::default();
    raw.set("general", "spool_dir", tmp.path().to_str().unwrap(), 1);
    raw.set("general", "workers", "1", 2);
    raw.set("general", "ring_ms", "500", 3);
    raw.set("p", "legs", "split", 4);
    let slow: legrec::recorder::FinishedFn =
        Box::new(|_, _| std::thread::sleep(Duration::from_millis(1500)));
    let core = Core::new(Settings::from_raw(&raw).unwrap(), Some(slow)).unwrap();
    let ending = core.start("p", call(1)).unwrap();
    let talking = core.start("p", call(2)).unwrap();
    let frame = noise(9, 160);
    let started = std::time::Instant::now();
    let mut refused = 0;
    // 3 s in real time, 20 ms frames; the first call hangs up after 0.5 s.
    for f in 0..150u32 {
        if f == 25 {
            ending.stop();
        }
        for leg in 0..2 {
            if talking.push(leg, &frame, 8000).is_err() {
                refused += 1;
            }
        }
        let next = Duration::from_millis(20 * u64::from(f + 1));
        if let Some(rest) = next.checked_sub(started.elapsed()) {
            std::thread::sleep(rest);
        }
    }
    talking.stop();
    let outcome = talking.wait_outcome(Duration::from_secs(10)).unwrap();
    assert_eq!(outcome.status, Status::Complete);
    assert_eq!(
        refused, 0,
        "frames refused while another recording was finishing"
    );
    assert!(ending.wait_outcome(Duration::from_secs(5)).is_some());
}

#[test]
fn a_panic_inside_a_push_leaves_the_leg_taking_frames() {
    // A frame at rate 0 makes the ring's rate conversion divide by zero
    // while the leg is held busy: the FFI refuses such a frame before this,
    // so this is how a test reaches a panic in there.  The guard at the FFI
    // boundary catches it; the leg must take the next frame, not stay busy.
    let tmp = tempfile::tempdir().unwrap();
    let mut raw = RawConfig::default();
    raw.set("general", "spool_dir", tmp.path().to_str().unwrap(), 1);
    raw.set("p", "legs", "split", 2);
    let core = Core::new(Settings::from_raw(&raw).unwrap(), None).unwrap();
    let rec = core.start("p", call(0)).unwrap();
    let frame = noise(1, 160);
    let quiet = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let panicked =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rec.push(0, &frame, 0)));
    std::panic::set_hook(quiet);
    assert!(panicked.is_err(), "the injected fault did not panic");
    for _ in 0..50 {
        assert_eq!(
            rec.push(0, &frame, 8000),
            Ok(()),
            "the leg stayed busy after the panic"
        );
        assert_eq!(rec.push(1, &frame, 8000), Ok(()));
    }
    rec.stop();
    let outcome = rec
        .wait_outcome(Duration::from_secs(10))
        .expect("finalized");
    assert_eq!(outcome.status, Status::Complete, "{outcome:?}");
    assert_eq!(
        rec.legs[0]
            .dropped_frames
            .load(std::sync::atomic::Ordering::Relaxed),
        0
    );
}
