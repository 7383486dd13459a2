//! A spool whose disk hangs: the recording's files are created on an
//! opener thread, so a start waits at most `start_wait_ms` and never for
//! the disk, and its audio is encoded into memory until the files are
//! there.  The disk is a real ext4 file system frozen with `fsfreeze`
//! (every write to it waits in the kernel until it thaws), not a mock.

mod common;

use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use common::*;
use legrec::policy::config::{RawConfig, Settings};
use legrec::recorder::intake::recording::{CallInfo, Recording};
use legrec::recorder::{Core, StartError};
use legrec::Status;

/// The smallest rings there are (200 ms): audio that waits for the files
/// must not wait in them.
fn settings(spool: &std::path::Path) -> Settings {
    settings_with_rings(spool, 200)
}

fn settings_with_rings(spool: &std::path::Path, ring_ms: u32) -> Settings {
    let mut raw = RawConfig::default();
    raw.set("general", "spool_dir", spool.to_str().unwrap(), 1);
    raw.set("general", "workers", "1", 2);
    raw.set("general", "ring_ms", &ring_ms.to_string(), 3);
    raw.set("general", "start_wait_ms", "100", 4);
    // Audio pushed by a test thread comes a little unevenly.
    raw.set("general", "align_slack_ms", "2000", 5);
    raw.set("p", "legs", "split", 6);
    Settings::from_raw(&raw).unwrap()
}

fn call() -> CallInfo {
    CallInfo {
        pbx: "test".into(),
        channel: "Test/frozen-1".into(),
        ..Default::default()
    }
}

/// Start on another thread, so that a start stuck on the frozen disk fails
/// the test (and thaws it) instead of hanging it.
fn start_beside(core: &Arc<Core>) -> Result<Arc<Recording>, StartError> {
    let (tx, rx) = mpsc::channel();
    let c = Arc::clone(core);
    std::thread::spawn(move || {
        let _ = tx.send(c.start("p", call()));
    });
    rx.recv_timeout(Duration::from_secs(10))
        .expect("the start returned while the spool's disk was frozen")
}

/// Two legs of different sound, 50 frames a second, in real time (as a
/// call would: faster would overflow the 200 ms rings between polls).
fn push(rec: &Recording, seconds: usize) -> [Vec<i16>; 2] {
    let (pushed, refused) = push_faster(rec, seconds, 1);
    assert_eq!(refused, 0, "frames refused");
    pushed
}

/// As `push`, `speed` times faster than real time; the frames pushed and
/// how many of them a full ring refused.
fn push_faster(rec: &Recording, seconds: usize, speed: u64) -> ([Vec<i16>; 2], usize) {
    let (mut pushed, mut refused) = ([Vec::new(), Vec::new()], 0);
    let t0 = std::time::Instant::now();
    for f in 0..seconds * 50 {
        let due = Duration::from_micros(20_000 * f as u64 / speed);
        if let Some(early) = due.checked_sub(t0.elapsed()) {
            std::thread::sleep(early);
        }
        for (leg, kept) in pushed.iter_mut().enumerate() {
            let frame: Vec<i16> = (0..160)
                .map(|i| (((f * 160 + i) * (leg + 3)) % 2000) as i16 - 1000)
                .collect();
            refused += usize::from(rec.push(leg, &frame, 8000).is_err());
            kept.extend_from_slice(&frame);
        }
    }
    (pushed, refused)
}

#[test]
fn a_frozen_disk_holds_up_neither_the_start_nor_the_audio() {
    let tmp = tempfile::tempdir().unwrap();
    let spool = tmp.path().join("spool");
    let disk = Ext4::mount(&spool, 16);
    let core = Arc::new(Core::new(settings(&spool), None).unwrap());
    let frozen = disk.freeze();

    let rec = start_beside(&core).expect("started");
    assert!(
        !rec.paths.marker().exists(),
        "nothing can be created on the frozen disk yet"
    );
    assert_eq!(core.live().len(), 1, "listed while its files wait");
    // Fifteen times what the rings hold.
    let pushed = push(&rec, 3);
    frozen.thaw();

    rec.stop();
    let outcome = rec.wait_outcome(Duration::from_secs(20)).expect("final");
    assert_eq!(outcome.status, Status::Complete, "{outcome:?}");
    for file in rec.paths.audio(rec.policy.legs) {
        flac_test(&file.path);
        let got = flac_decode(&file.path);
        let leg = file.leg.unwrap();
        assert!(
            got == pushed[leg],
            "{}: {} samples, pushed {}",
            file.name,
            got.len(),
            pushed[leg].len()
        );
    }
}

#[test]
fn a_disk_that_hangs_past_the_hold_costs_the_audio_after_it_and_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let spool = tmp.path().join("spool");
    let disk = Ext4::mount(&spool, 16);
    // 10 s rings, so that audio pushed ten times faster than a call fits
    // between polls; the hold (30 s) is what runs out.
    let core = Arc::new(Core::new(settings_with_rings(&spool, 10_000), None).unwrap());
    let frozen = disk.freeze();

    let rec = start_beside(&core).expect("started");
    let (pushed, refused) = push_faster(&rec, 60, 10);
    assert!(
        refused > 0,
        "past 30 s held and 10 s in the rings, pushes are refused"
    );
    frozen.thaw();

    rec.stop();
    let outcome = rec.wait_outcome(Duration::from_secs(30)).expect("final");
    assert_eq!(outcome.status, Status::Complete, "{outcome:?}");
    let sidecar = read_sidecar(&rec.paths.sidecar());
    let held = 30 * 8000;
    for file in rec.paths.audio(rec.policy.legs) {
        let leg = file.leg.unwrap();
        let got = flac_decode(&file.path);
        assert!(
            got.len() >= held && got[..held] == pushed[leg][..held],
            "{}: the first 30 s are kept whole ({} samples)",
            file.name,
            got.len()
        );
        let dropped = sidecar
            .legs
            .iter()
            .find(|l| l.name == file.name)
            .unwrap()
            .dropped_samples;
        assert!(
            dropped >= 10 * 8000,
            "{}: {dropped} samples counted as dropped",
            file.name
        );
    }
}

#[test]
fn files_that_cannot_be_made_after_the_call_went_on_end_it_failed_and_leave_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let spool = tmp.path().join("spool");
    let disk = Ext4::mount_with_inodes(&spool, 8, 16);
    let finished = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&finished);
    let on_finished: legrec::recorder::FinishedFn = Box::new(move |rec, outcome| {
        seen.lock().unwrap().push((rec.id.clone(), outcome.status));
    });
    let core = Arc::new(Core::new(settings(&spool), Some(on_finished)).unwrap());
    // Use up the disk's last inodes: the recording's folder cannot be made.
    let mut n = 0;
    while std::fs::File::create(spool.join(format!("filler{n}"))).is_ok() {
        n += 1;
    }
    assert!(n > 0);
    let frozen = disk.freeze();

    let rec = start_beside(&core).expect("the call goes on before the disk answers");
    push(&rec, 1);
    frozen.thaw();

    let outcome = rec.wait_outcome(Duration::from_secs(20)).expect("ended");
    assert_eq!(outcome.status, Status::Failed);
    assert!(
        outcome.reason.contains("No space left on device"),
        "{}",
        outcome.reason
    );
    assert!(rec.is_stopped() && rec.push(0, &[0; 160], 8000).is_err());
    assert!(core.live().is_empty());
    assert_eq!(
        *finished.lock().unwrap(),
        vec![(rec.id.clone(), Status::Failed)],
        "the host is told, as for any recording that ends"
    );
    let left: Vec<_> = walkdir(&spool)
        .into_iter()
        .filter(|p| {
            p.is_file()
                && !p
                    .file_name()
                    .is_some_and(|f| f.to_string_lossy().starts_with("filler"))
        })
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

fn walkdir(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walkdir(&p));
        }
        out.push(p);
    }
    out
}
