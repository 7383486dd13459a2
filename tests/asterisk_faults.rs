//! Faults on a real Asterisk: the PBX killed mid-call.

mod common;

use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use common::asterisk::{tail, Sandbox};
use common::*;

#[test]
fn asterisk_killed_with_ten_live_recordings_loses_at_most_about_a_second_each() {
    let mut sb = Sandbox::new();
    sb.append(
        "extensions.conf",
        "\n[legrec-test]\nexten => long,1,Answer()\n same => n,LegRecord(support,n)\n same => n,Wait(25)\n same => n,Hangup()\n",
    );
    sb.start();
    for _ in 0..10 {
        sb.cli("channel originate Local/long@legrec-test application Playback legrec-test-long");
    }
    sb.wait_for("10 live recordings", Duration::from_secs(10), || {
        sb.cli("legrec show recordings")
            .contains("10 active recordings")
    });
    std::thread::sleep(Duration::from_secs(3));
    let pid = sb.pid();
    let killed_at = SystemTime::now();
    assert!(Command::new("kill")
        .args(["-9", &pid])
        .status()
        .unwrap()
        .success());
    let t = Instant::now();
    while Command::new("kill")
        .args(["-0", &pid])
        .status()
        .unwrap()
        .success()
        && t.elapsed() < Duration::from_secs(5)
    {
        std::thread::sleep(Duration::from_millis(50));
    }

    // Every recording is detectably interrupted: its marker is there.
    let mut markers = legrec::spool::layout::find_files(&sb.recordings(), ".inprogress.json");
    markers.sort();
    assert_eq!(markers.len(), 10);
    let alive: Vec<f64> = markers
        .iter()
        .map(|m| {
            let started = humantime::parse_rfc3339(&read_sidecar(m).started_at).unwrap();
            killed_at.duration_since(started).unwrap().as_secs_f64()
        })
        .collect();
    // Half are repaired by hand, as an admin would before restarting...
    for marker in &markers[..5] {
        legrec_repair(marker);
    }
    // ...the rest by the module when Asterisk comes back.
    sb.start();
    sb.wait_for(
        "the module to repair the other 5",
        Duration::from_secs(30),
        || sb.log().contains("repaired 5 interrupted recording(s)"),
    );
    let log = sb.log();
    assert_eq!(
        log.matches("repaired a recording interrupted by a crash")
            .count(),
        5,
        "{}",
        tail(&log, 20)
    );
    for (i, marker) in markers.iter().enumerate() {
        assert!(!marker.exists(), "{} left behind", marker.display());
        let alive = alive[i];
        let sc_path = std::path::PathBuf::from(
            marker
                .to_string_lossy()
                .replace(".inprogress.json", ".json"),
        );
        let sc = read_sidecar(&sc_path);
        assert_eq!(sc.status, "interrupted");
        let by = if i < 5 {
            "legrec repair"
        } else {
            "legrec at module load"
        };
        assert!(
            sc.reason.as_deref().unwrap_or("").contains(by),
            "{:?}",
            sc.reason
        );
        for leg in &sc.legs {
            flac_test(&sc_path.parent().unwrap().join(&leg.file));
            let kept = leg.samples as f64 / 8000.0;
            assert!(
                kept >= alive - 1.3,
                "{}: kept {kept:.2} s of {alive:.2} s",
                leg.file
            );
        }
    }
    let (ok, text) = legrec_verify(&sb.recordings());
    assert!(ok, "{text}");
}

#[test]
fn a_full_disk_gives_one_console_error_per_recording_and_calls_go_on() {
    let mut sb = Sandbox::new();
    std::fs::create_dir_all(sb.recordings()).unwrap();
    let fs = Tmpfs::mount(&sb.recordings(), "2m");
    // Noise does not compress: it fills the disk within seconds.
    sb.synth(
        "legrec-test-noise",
        &["synth", "30", "whitenoise", "vol", "0.5"],
    );
    sb.append(
        "extensions.conf",
        "\n[legrec-test]\nexten => short,1,Answer()\n same => n,LegRecord(support,n)\n same => n,Wait(2)\n same => n,Hangup()\n\
         exten => noisy,1,Answer()\n same => n,LegRecord(support,n)\n same => n,Wait(10)\n same => n,Set(STILL_UP=yes)\n same => n,Hangup()\n",
    );
    sb.start();

    // One recording completes while there is room.
    sb.cli("channel originate Local/short@legrec-test application Playback legrec-test-noise");
    let first = sb.wait_sidecars(1, Duration::from_secs(15)).remove(0);
    let before = std::fs::read(&first).unwrap();

    // Leave about 150 KiB, then four noisy calls.
    let free = free_bytes(&sb.recordings());
    let filler = sb.recordings().join("filler");
    std::fs::write(&filler, vec![0u8; free.saturating_sub(150 * 1024) as usize]).unwrap();
    let log_before = sb.log().len();
    for _ in 0..4 {
        sb.cli("channel originate Local/noisy@legrec-test application Playback legrec-test-noise");
    }
    sb.wait_for(
        "4 recordings stopped by the full disk",
        Duration::from_secs(20),
        || {
            sb.log()[log_before..]
                .matches("No space left on device")
                .count()
                >= 4
        },
    );
    // Asterisk and the calls carry on.
    assert!(sb.cli("core show uptime").contains("System uptime"));
    let channels = sb.cli("core show channels");
    assert!(channels.contains("4 active calls"), "{channels}");
    // Let the calls end and every recording be finalized.
    sb.wait_for("the calls to end", Duration::from_secs(20), || {
        sb.cli("core show channels").contains("0 active calls")
    });
    sb.wait_for("no live recordings", Duration::from_secs(10), || {
        sb.cli("legrec show recordings")
            .contains("0 active recordings")
    });
    std::thread::sleep(Duration::from_millis(500));
    let log = sb.log()[log_before..].to_string();
    let problems: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("ERROR[") || l.contains("WARNING["))
        .collect();
    // Exactly one line per recording, each naming the cause.
    assert_eq!(problems.len(), 4, "{}", problems.join("\n"));
    for l in &problems {
        assert!(
            l.contains("ERROR[") && l.contains("No space left on device"),
            "{l}"
        );
    }
    // Each failed recording says so: a sidecar with status failed, or (no
    // room even for that) its in-progress marker.
    let failed = log.matches("stopped: writing").count();
    assert_eq!(failed, 4, "{}", tail(&log, 30));

    // What was complete is untouched; new calls record once there is room.
    assert_eq!(std::fs::read(&first).unwrap(), before);
    std::fs::remove_file(&filler).unwrap();
    let done_before = sb
        .sidecars()
        .iter()
        .filter(|p| read_sidecar(p).status == "complete")
        .count();
    sb.cli("channel originate Local/short@legrec-test application Playback legrec-test-noise");
    sb.wait_for("a new complete recording", Duration::from_secs(15), || {
        sb.sidecars()
            .iter()
            .filter(|p| read_sidecar(p).status == "complete")
            .count()
            > done_before
    });
    sb.stop();
    drop(fs);
}
