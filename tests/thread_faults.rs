//! A panic inside one recording's work, on an encoder thread or on the
//! closer, stops that recording alone: the thread lives on and the other
//! recordings it serves keep their audio and are finished.  The panics are
//! injected through `recorder::failpoint` (process-wide: hence a test
//! binary of their own).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use legrec::policy::config::{RawConfig, Settings};
use legrec::recorder::failpoint;
use legrec::recorder::intake::recording::{CallInfo, Recording};
use legrec::recorder::Core;
use legrec::Status;

fn call(i: usize) -> CallInfo {
    CallInfo {
        pbx: "test".into(),
        channel: format!("Test/thread-{i}"),
        ..Default::default()
    }
}

fn talk(recs: &[&Arc<Recording>], seconds: usize) {
    let frame: Vec<i16> = (0..160).map(|i| ((i * 397) % 4000) as i16 - 2000).collect();
    for _ in 0..seconds * 50 {
        for r in recs {
            let _ = r.push(0, &frame, 8000);
            let _ = r.push(1, &frame, 8000);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn dropped(rec: &Recording) -> u64 {
    rec.legs
        .iter()
        .map(|l| l.dropped_frames.load(Ordering::Relaxed))
        .sum()
}

#[test]
fn a_panic_in_one_recording_stops_only_that_recording() {
    let tmp = tempfile::tempdir().unwrap();
    let mut raw = RawConfig::default();
    raw.set("general", "spool_dir", tmp.path().to_str().unwrap(), 1);
    // One encoder thread: the one that panics serves every recording.
    raw.set("general", "workers", "1", 2);
    raw.set("p", "legs", "split", 3);
    let core = Core::new(Settings::from_raw(&raw).unwrap(), None).unwrap();
    let quiet = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));

    // An encoder thread's poll panics: the recording it was polling stops.
    let victim = core.start("p", call(0)).unwrap();
    talk(&[&victim], 1);
    failpoint::PANIC_IN_POLL.store(1, Ordering::SeqCst);
    let hit = victim
        .wait_outcome(Duration::from_secs(10))
        .expect("the panicking recording ended");
    assert_eq!(
        failpoint::PANIC_IN_POLL.load(Ordering::SeqCst),
        0,
        "the fault never fired"
    );
    assert_eq!(hit.status, Status::Failed);
    assert!(hit.reason.contains("internal error"), "{}", hit.reason);

    // The same thread serves the next calls: nothing dropped, finished.
    let a = core.start("p", call(1)).unwrap();
    let b = core.start("p", call(2)).unwrap();
    talk(&[&a, &b], 3);
    a.stop();
    let done = a
        .wait_outcome(Duration::from_secs(10))
        .expect("the encoder thread is alive");
    assert_eq!(done.status, Status::Complete, "{done:?}");
    assert_eq!(dropped(&a), 0);

    // The closer panics finishing one: that one fails, its marker stays ...
    failpoint::PANIC_IN_FINALIZE.store(1, Ordering::SeqCst);
    b.stop();
    let lost = b
        .wait_outcome(Duration::from_secs(10))
        .expect("the closer answered");
    assert_eq!(lost.status, Status::Failed);
    assert!(lost.reason.contains("legrec repair"), "{}", lost.reason);
    assert!(
        b.paths.marker().exists(),
        "the marker went: nothing left to repair from"
    );
    // ... and the closer finishes the next one.
    let c = core.start("p", call(3)).unwrap();
    talk(&[&c], 1);
    c.stop();
    let after = c
        .wait_outcome(Duration::from_secs(10))
        .expect("the closer is alive");
    assert_eq!(after.status, Status::Complete, "{after:?}");
    std::panic::set_hook(quiet);

    // What the closer left is what `legrec repair` is for.
    let repaired = legrec::admin::repair::repair_recording(&b.paths.marker(), "test");
    assert!(repaired.is_ok(), "{repaired:?}");
}
