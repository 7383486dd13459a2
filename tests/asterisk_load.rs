//! Load on a real Asterisk: many concurrent recorded calls while the module
//! is reloaded and asked to unload; then unload/load cycles.  Zero drops,
//! every recording complete, Asterisk's open files and memory flat.
//!
//! CI runs 50 calls for about 20 s.  The 5-minute soak of RELIABILITY.md is
//! `LEGREC_SOAK_CALLS=300 LEGREC_SOAK_SECONDS=300 cargo test --release
//! --test asterisk_load -- --nocapture` (bench/soak.sh).

mod common;

use std::time::{Duration, Instant};

use common::asterisk::Sandbox;
use common::*;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

#[test]
fn recorded_calls_under_reloads_and_unload_cycles_lose_nothing() {
    let calls = env("LEGREC_SOAK_CALLS", 50);
    let seconds = env("LEGREC_SOAK_SECONDS", 20);
    let mut sb = Sandbox::new();
    sb.append(
        "extensions.conf",
        &format!(
            "\n[legrec-test]\nexten => soak,1,Answer()\n same => n,LegRecord(support,n)\n same => n,Wait({seconds})\n same => n,Hangup()\n\
             exten => short,1,Answer()\n same => n,LegRecord(support,n)\n same => n,Wait(1)\n same => n,Hangup()\n"
        ),
    );
    // The far side plays a tone for longer than the calls last (its end
    // would hang the call up early).
    let long = (seconds + 30).to_string();
    sb.synth(
        "legrec-test-soak",
        &["synth", &long, "sine", "500", "vol", "0.5"],
    );
    sb.start();
    let asterisk = sb.pid();
    // A first call warms what Asterisk allocates once (translators, the
    // module's threads), then the baseline is taken.
    sb.cli("channel originate Local/short@legrec-test application Playback legrec-test-long");
    sb.wait_sidecars(1, Duration::from_secs(15));
    std::thread::sleep(Duration::from_millis(500));
    let (fds0, rss0) = (open_files(&asterisk), rss_kib(&asterisk));

    let mut ami = sb.ami();
    for i in 0..calls {
        ami.send(&format!(
            "Action: Originate\r\nChannel: Local/soak@legrec-test\r\nApplication: Playback\r\nData: legrec-test-soak\r\nAsync: true\r\nActionID: o{i}\r\n"
        ));
    }
    let want = format!("{calls} active recordings");
    sb.wait_for(&want, Duration::from_secs(30), || {
        sb.cli("legrec show recordings").contains(&want)
    });
    let t0 = Instant::now();
    let mut samples = Vec::new();
    let mut reloads = 0;
    let mut refused = 0;
    // While they record: reload every 2 s, try to unload every 5 s.
    while t0.elapsed() < Duration::from_secs(seconds.saturating_sub(4).max(4)) {
        std::thread::sleep(Duration::from_secs(1));
        let s = t0.elapsed().as_secs();
        if s.is_multiple_of(2) {
            sb.cli("module reload app_legrec.so");
            reloads += 1;
        }
        if s.is_multiple_of(5) {
            let answer = sb.cli("module unload app_legrec.so");
            let live = sb.cli("legrec show recordings");
            assert!(
                live.contains(&want),
                "an unload under load touched live recordings at {s} s: {answer}\n{}",
                common::asterisk::tail(&live, 3)
            );
            refused += 1;
        }
        if s.is_multiple_of(10) {
            samples.push((s, rss_kib(&asterisk), open_files(&asterisk)));
        }
    }
    assert!(reloads >= 2 && refused >= 1);
    sb.wait_for(
        "the calls to end",
        Duration::from_secs(seconds + 30),
        || {
            sb.cli("legrec show recordings")
                .contains("0 active recordings")
        },
    );
    let sidecars = sb.wait_sidecars(calls as usize + 1, Duration::from_secs(30));
    let mut dropped = 0;
    for p in &sidecars {
        let sc = read_sidecar(p);
        assert_eq!(sc.status, "complete", "{}", p.display());
        dropped += sc.legs.iter().map(|l| l.dropped_samples).sum::<u64>();
    }
    let (fds1, rss1) = (open_files(&asterisk), rss_kib(&asterisk));

    // Unload/load cycles with nothing recording: each loads cleanly and
    // records again.
    for cycle in 0..3 {
        sb.cli("module unload app_legrec.so");
        let shown = sb.cli("module show like legrec");
        assert!(
            !shown.contains("app_legrec.so") || shown.contains("Not Running"),
            "cycle {cycle}: not unloaded: {shown}"
        );
        // Really gone from the process, not just unregistered: nothing of
        // ours (a thread, a TLS destructor) keeps the shared object mapped.
        let maps = std::fs::read_to_string(format!("/proc/{asterisk}/maps")).unwrap();
        assert!(
            !maps.contains("app_legrec.so"),
            "cycle {cycle}: app_legrec.so still mapped after unload"
        );
        sb.cli("module load app_legrec.so");
        assert!(sb.cli("legrec show policies").contains("support"));
        let n = sb.sidecars().len();
        sb.cli("channel originate Local/short@legrec-test application Playback legrec-test-long");
        sb.wait_sidecars(n + 1, Duration::from_secs(15));
    }
    std::thread::sleep(Duration::from_millis(500));
    let (fds2, rss2) = (open_files(&asterisk), rss_kib(&asterisk));
    let log = sb.log();
    println!("load: {calls} calls for {seconds} s, {reloads} reloads, {refused} refused unloads, {dropped} samples dropped");
    println!("load: Asterisk open files {fds0} before, {fds1} after the calls, {fds2} after 3 unload/load cycles");
    println!("load: Asterisk RSS {rss0} KiB before, {rss1} KiB after the calls, {rss2} KiB after the cycles");
    for (s, rss, fds) in &samples {
        println!("load: t={s:>4} s  RSS {rss} KiB  open files {fds}");
    }
    assert_eq!(dropped, 0);
    let dlclose: Vec<&str> = log.lines().filter(|l| l.contains("dlclose")).collect();
    assert!(dlclose.is_empty(), "{dlclose:#?}");
    assert!(fds1 <= fds0 + 2, "open files {fds0} -> {fds1}");
    assert!(fds2 <= fds0 + 2, "open files {fds0} -> {fds2} after cycles");
    // No growth while the calls run (a leak per frame or per reload would
    // show here), and none from the unload/load cycles.  What Asterisk's
    // allocator keeps after the calls end is not returned to the system by
    // glibc, so "back to the start" is not the test.
    let (first, last) = (samples.first().unwrap().1, samples.last().unwrap().1);
    assert!(
        last <= first + first / 50 + 1024,
        "RSS grew during the calls: {first} -> {last} KiB"
    );
    assert!(
        rss2 <= rss1 + 4096,
        "RSS {rss1} -> {rss2} KiB over the cycles"
    );
}
