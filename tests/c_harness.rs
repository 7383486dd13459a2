//! Drives tests/c/harness.c — a pretend PBX written only against the C
//! header — and checks the audio it leaves with the reference flac tool.

mod common;

use std::process::Command;

use common::*;

const FRAME: usize = 160;
const SECONDS: usize = 3;
const FRAMES: usize = SECONDS * 50;

fn sample_for(call: i64, leg: usize, k: i64) -> i16 {
    if leg == 0 {
        (((k * 7 + call * 1000) % 20000) - 10000) as i16
    } else {
        (((k * 13 + call * 333) % 16000) - 8000) as i16
    }
}

fn expected(call: i64, leg: usize, n: usize) -> Vec<i16> {
    (0..n as i64).map(|k| sample_for(call, leg, k)).collect()
}

#[test]
fn c_harness_records_calls_like_a_pbx() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("harness");
    compile_c("harness.c", &bin);
    let spool = tmp.path().join("spool");
    let out = Command::new(&bin)
        .arg(&spool)
        .arg(SECONDS.to_string())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "harness failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("RESULT PASS"), "{stdout}");
    // Core log lines reached the host's callback, with the channel.
    assert!(stderr.contains("Harness/call-0: recording"), "{stderr}");

    let mut ids = std::collections::HashMap::new();
    for line in stdout.lines().filter(|l| l.starts_with("CALL ")) {
        let f: Vec<&str> = line.split_whitespace().collect();
        ids.insert(f[3].to_string(), f[1].parse::<i64>().unwrap());
    }
    let sidecars = sidecars(&spool);
    assert_eq!(sidecars.len(), 6, "5 calls + the misuse call: {sidecars:?}");
    let (ok, text) = legrec_verify(&spool);
    assert!(ok, "legrec verify: {text}");

    for path in &sidecars {
        let sc = read_sidecar(path);
        assert_eq!(sc.status, "complete");
        for leg in &sc.legs {
            flac_test(&path.parent().unwrap().join(&leg.file));
        }
        let Some(&call) = ids.get(&sc.id) else {
            continue;
        };
        assert_eq!(sc.pbx, "legrec C harness");
        assert_eq!(sc.caller.number, "+15551230000");
        assert_eq!(sc.queue, "support");
        assert_eq!(sc.channel, format!("Harness/call-{call}"));
        if call == 4 {
            continue; // two threads in one leg: only validity is promised
        }
        let li = flac_decode(&leg_path(path, &sc, "in"));
        let lo = flac_decode(&leg_path(path, &sc, "out"));
        assert_eq!(li.len(), lo.len(), "call {call}: legs of equal length");
        let n = FRAMES * FRAME;
        match call {
            0 | 1 => {
                assert_eq!(li, expected(call, 0, n), "call {call} in leg bit-exact");
                assert_eq!(lo, expected(call, 1, n), "call {call} out leg bit-exact");
                for leg in &sc.legs {
                    assert_eq!(leg.samples, n as u64);
                    assert_eq!(leg.dropped_samples, 0);
                }
            }
            2 => {
                // Masked from frame 50 to 75 of the in thread: silence there,
                // the timeline kept, everything else bit-exact.
                assert_eq!(li.len(), n);
                for (leg, got) in [(0, &li), (1, &lo)] {
                    let want = expected(call, leg, n);
                    let zeros = got.iter().zip(&want).filter(|(g, w)| g != w).count();
                    assert!(
                        got.iter().zip(&want).all(|(g, w)| g == w || *g == 0),
                        "leg {leg}: only silence differs"
                    );
                    let masked = (FRAMES / 2 - FRAMES / 3) * FRAME;
                    assert!(
                        zeros.abs_diff(masked) <= 3 * FRAME,
                        "leg {leg}: {zeros} masked samples, ~{masked} expected"
                    );
                }
                assert_eq!(
                    li[..FRAMES / 3 * FRAME],
                    expected(call, 0, n)[..FRAMES / 3 * FRAME]
                );
                assert_eq!(sc.masks.len(), 1);
                assert_eq!(sc.masks[0].by, "harness");
                let m = &sc.masks[0];
                let len = m.end_offset.unwrap() - m.start_offset;
                assert!((len - 0.5).abs() < 0.1, "mask interval {len} s");
            }
            3 => {
                // Paused from frame 50 to 75: that time is cut out.
                let cut = (FRAMES / 2 - FRAMES / 3) * FRAME;
                let want = expected(call, 0, n);
                let head = FRAMES / 3 * FRAME;
                assert_eq!(li[..head], want[..head]);
                assert_eq!(li[head..n - cut], want[head + cut..]);
                assert!(
                    li.len().abs_diff(n - cut) <= 3 * FRAME,
                    "paused length {}",
                    li.len()
                );
                assert_eq!(sc.pauses.len(), 1);
                assert!(sc.pauses[0].end.is_some());
            }
            _ => unreachable!(),
        }
        if call == 1 {
            let st = flac_decode(&leg_path(path, &sc, "stereo"));
            let (l, r): (Vec<i16>, Vec<i16>) = st.chunks(2).map(|c| (c[0], c[1])).unzip();
            assert_eq!(l, li, "stereo L = in");
            assert_eq!(r, lo, "stereo R = out");
        }
    }
}

#[test]
fn verify_names_a_damaged_file() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("harness");
    compile_c("harness.c", &bin);
    let spool = tmp.path().join("spool");
    let out = Command::new(&bin).arg(&spool).arg("1").output().unwrap();
    assert!(out.status.success());
    let sc_path = sidecars(&spool).into_iter().next().unwrap();
    let sc = read_sidecar(&sc_path);
    let victim = leg_path(&sc_path, &sc, &sc.legs[0].name);
    let mut bytes = std::fs::read(&victim).unwrap();
    let at = bytes.len() - 100;
    bytes[at] ^= 0x55;
    std::fs::write(&victim, bytes).unwrap();
    let (ok, text) = legrec_verify(&sc_path);
    assert!(!ok, "a flipped byte must fail verification");
    assert!(text.contains(&sc.legs[0].file), "names the file: {text}");
}

#[test]
fn a_killed_pbx_loses_at_most_about_a_second_and_repair_makes_files_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("harness");
    compile_c("harness.c", &bin);
    let spool = tmp.path().join("spool");
    let mut child = Command::new(&bin)
        .arg(&spool)
        .arg("30")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    std::thread::sleep(std::time::Duration::from_millis(3000));
    child.kill().unwrap(); // SIGKILL: no chance to finalize anything
    let alive = started.elapsed().as_secs_f64();
    child.wait().unwrap();

    let markers = legrec::spool::layout::find_files(&spool, ".inprogress.json");
    assert_eq!(markers.len(), 5, "every live recording left its marker");
    for marker in &markers {
        let sc = read_sidecar(marker);
        let call: i64 = sc
            .channel
            .trim_start_matches("Harness/call-")
            .parse()
            .unwrap();
        legrec_repair(marker);
        let sidecar = marker.with_file_name(format!("{}.json", sc.id));
        let sc = read_sidecar(&sidecar);
        assert_eq!(sc.status, "interrupted");
        assert!(!marker.exists());
        let (ok, text) = legrec_verify(&sidecar);
        assert!(ok, "{text}");
        if call >= 2 {
            continue; // masked / paused / raced calls: only validity matters
        }
        let li = flac_decode(&leg_path(&sidecar, &sc, "in"));
        let kept = li.len() as f64 / 8000.0;
        assert!(
            kept >= alive - 1.3 && kept <= alive + 0.1,
            "call {call}: kept {kept:.2} s of {alive:.2} s"
        );
        assert_eq!(
            li,
            expected(call, 0, li.len()),
            "what was kept is exactly what was pushed"
        );
    }
}

#[test]
fn the_harness_runs_clean_under_valgrind() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("harness");
    compile_c("harness.c", &bin);
    let out = Command::new("valgrind")
        .args([
            "--error-exitcode=9",
            "--leak-check=full",
            "--errors-for-leak-kinds=definite",
        ])
        .arg(&bin)
        .arg(tmp.path().join("spool"))
        .arg("2")
        .output()
        .expect("valgrind installed (scripts/setup-deps)");
    let report = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "valgrind: {}",
        common::asterisk::tail(&report, 30)
    );
    assert!(report.contains("ERROR SUMMARY: 0 errors"), "{report}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("RESULT PASS"));
}
