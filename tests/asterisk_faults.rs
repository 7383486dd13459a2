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
    let pid = std::fs::read_to_string(sb.path().join("run/asterisk.pid")).unwrap();
    let killed_at = SystemTime::now();
    assert!(Command::new("kill")
        .args(["-9", pid.trim()])
        .status()
        .unwrap()
        .success());
    let t = Instant::now();
    while Command::new("kill")
        .args(["-0", pid.trim()])
        .status()
        .unwrap()
        .success()
        && t.elapsed() < Duration::from_secs(5)
    {
        std::thread::sleep(Duration::from_millis(50));
    }

    // Every recording is detectably interrupted: its marker is there.
    let mut markers = legrec::admin::find_files(&sb.recordings(), ".inprogress.json");
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
        let out = Command::new(env!("CARGO_BIN_EXE_legrec"))
            .arg("repair")
            .arg(marker)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "repair: {}",
            String::from_utf8_lossy(&out.stderr)
        );
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
