//! app_legrec on a real Asterisk (Debian's 16.28), started in a sandbox
//! folder: queue calls over Local channels, a SIP call from sipp, 20 calls
//! at once, CLI, AMI, reload and unload.  The files are checked with the
//! reference flac tool and by listening to them (Goertzel).

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::asterisk::{rms, tail, tone_share, Sandbox};
use common::*;

const RATE: f64 = 8000.0;

const TEST_DIALPLAN: &str = r#"
[legrec-test]
exten => caller,1,Answer()
 same => n,Set(LEGREC_QUEUE=support)
 same => n,LegRecord(support)
 same => n,Set(GLOBAL(LAST_STATUS)=${LEGREC_STATUS})
 same => n,Queue(testq,,,,30)
 same => n,Hangup()

exten => agent,1,Answer()
 same => n,Playback(legrec-test-agent)
 same => n,Hangup()

exten => direct,1,Answer()
 same => n,LegRecord(support,n)
 same => n,Playback(legrec-test-agent)
 same => n,Hangup()

exten => long,1,Answer()
 same => n,LegRecord(support,n)
 same => n,Wait(25)
 same => n,Hangup()

exten => badpolicy,1,Answer()
 same => n,LegRecord(../../etc)
 same => n,Set(GLOBAL(BAD_STATUS)=${LEGREC_STATUS})
 same => n,Hangup()

exten => both,1,Answer()
 same => n,LegRecord(sales)
 same => n,Queue(testq,,,,30)
 same => n,Hangup()

exten => xfer,1,Answer()
 same => n,LegRecord(support,n)
 same => n,Dial(Local/agentlong@legrec-test/n)
 same => n,Hangup()

exten => agentlong,1,Answer()
 same => n,Playback(legrec-test-long)
 same => n,Hangup()

exten => second,1,Playback(legrec-test-agent)
 same => n,Hangup()

exten => wide,1,Answer()
 same => n,LegRecord(wide,n)
 same => n,Playback(legrec-test-agent)
 same => n,Hangup()

[legrec-sip]
exten => service,1,Answer()
 same => n,LegRecord(support,n)
 same => n,Wait(20)
 same => n,Hangup()
"#;

const TEST_QUEUE: &str = "
[testq]
strategy = ringall
timeout = 15
member => Local/agent@legrec-test/n
";

fn sandbox() -> Sandbox {
    let mut sb = Sandbox::new();
    sb.append("legrec.conf", "\n[wide]\nsample_rate = 16000\n");
    sb.append("extensions.conf", TEST_DIALPLAN);
    sb.append("queues.conf", TEST_QUEUE);
    sb.start();
    sb
}

fn decode_legs(sidecar: &Path) -> (legrec::sidecar::Sidecar, Vec<i16>, Vec<i16>) {
    let sc = read_sidecar(sidecar);
    for leg in &sc.legs {
        flac_test(&sidecar.parent().unwrap().join(&leg.file));
    }
    let li = flac_decode(&leg_path(sidecar, &sc, "in"));
    let lo = flac_decode(&leg_path(sidecar, &sc, "out"));
    (sc, li, lo)
}

fn seconds_between(a: &str, b: &str) -> f64 {
    let t = |s: &str| humantime::parse_rfc3339(s).unwrap();
    t(b).duration_since(t(a)).unwrap().as_secs_f64()
}

#[test]
fn queue_call_records_caller_and_agent_on_separate_aligned_legs() {
    let sb = sandbox();
    let ami = sb.ami();
    sb.cli("channel originate Local/caller@legrec-test application Playback legrec-test-caller");
    let sidecars = sb.wait_sidecars(1, Duration::from_secs(40));
    let (sc, li, lo) = decode_legs(&sidecars[0]);

    assert_eq!(sc.status, "complete");
    assert_eq!(sc.policy, "support");
    assert_eq!(sc.queue, "support");
    assert_eq!(sc.pbx, common::asterisk::version());
    assert!(
        sc.channel.starts_with("Local/caller@legrec-test"),
        "{}",
        sc.channel
    );
    // Equal length (±20 ms), close to the call's duration.
    assert!(
        li.len().abs_diff(lo.len()) <= 160,
        "legs {} vs {}",
        li.len(),
        lo.len()
    );
    let call = seconds_between(&sc.started_at, sc.ended_at.as_deref().unwrap());
    let len = li.len() as f64 / RATE;
    assert!(
        (len - call).abs() < 0.5,
        "recorded {len:.2} s of a {call:.2} s call"
    );
    assert!(sc.legs.iter().all(|l| l.dropped_samples == 0));

    // The notice went to the caller at the start, and it is in `out`.
    assert_eq!(sc.notice.len(), 1, "{:?}", sc.notice);
    assert_eq!(sc.notice[0].party, "caller");
    assert!(sc.notice[0].offset < 0.5);
    let notice = window(&lo, 0.2, 3.5);
    assert!(
        rms(notice) > 300.0,
        "notice audible in out leg (rms {})",
        rms(notice)
    );
    assert!(
        tone_share(notice, RATE, 1000.0) < 0.2,
        "notice is speech, not the agent's tone"
    );
    // Then the agent's 1000 Hz tone, for its 3 s, at the end of `out`: a
    // 2 s stretch of it ending within the last 3 s (on a loaded machine
    // the hangup after the agent's playback can leave a second or more of
    // silence behind it).
    let (share, agent) = (5..=30)
        .map(|tenths| {
            let end = len - f64::from(tenths) / 10.0;
            let w = window(&lo, end - 2.0, end);
            (tone_share(w, RATE, 1000.0), w)
        })
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .unwrap();
    assert!(share > 0.8, "agent tone in out leg: {share}");
    // The caller's 500 Hz is in `in` all along, and never in `out`.
    let caller = window(&li, 1.0, len - 1.0);
    assert!(
        tone_share(caller, RATE, 500.0) > 0.8,
        "caller tone in in leg"
    );
    assert!(
        tone_share(agent, RATE, 500.0) < 0.05,
        "caller not in out leg"
    );

    let (ok, text) = legrec_verify(&sb.recordings());
    assert!(ok, "{text}");

    // AMI events, and the core's own log lines in Asterisk's log file.
    let start = ami.wait_event("LegRecordStart", 1, Duration::from_secs(5));
    assert!(start[0].contains(&format!("Id: {}", sc.id)), "{}", start[0]);
    assert!(start[0].contains("Policy: support"));
    let stop = ami.wait_event("LegRecordStop", 1, Duration::from_secs(5));
    assert!(
        stop[0].contains("Status: COMPLETE") && stop[0].contains(&format!("{}-in.flac", sc.id)),
        "{}",
        stop[0]
    );
    let log = sb.log();
    assert!(
        log.contains(&format!(
            "src/recorder/shared.rs: {}: recording {} complete",
            sc.channel, sc.id
        )),
        "{}",
        tail(&log, 30)
    );
    assert!(
        log.contains("NOTICE") && log.contains("legrec 0.1.0 started"),
        "start-up notice logged"
    );
}

#[test]
fn sip_call_from_sipp_records_what_sipp_sent() {
    let sb = sandbox();
    let work = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("/usr/share/sip-tester", work.path().join("pcap")).unwrap();
    let out = Command::new("sipp")
        .current_dir(work.path())
        .args([
            "-sn",
            "uac_pcap",
            "-m",
            "1",
            "-i",
            "127.0.0.1",
            "-p",
            "0",
            "-timeout",
            "40s",
            "-timeout_error",
            "-nostdin",
        ])
        .arg(format!("127.0.0.1:{}", sb.sip_port))
        .output()
        .expect("sipp (sip-tester) installed");
    assert!(
        out.status.success(),
        "sipp failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        tail(&sb.log(), 30)
    );
    let sidecars = sb.wait_sidecars(1, Duration::from_secs(10));
    let (sc, li, lo) = decode_legs(&sidecars[0]);
    assert!(sc.channel.starts_with("PJSIP/sipp-"), "{}", sc.channel);
    assert_eq!(
        sc.caller.number, "sipp",
        "caller id from the SIP From header"
    );
    assert_eq!(sc.callee, "service");
    assert_eq!(li.len(), lo.len());

    // What sipp sent: the A-law payloads of the pcap, decoded.
    let sent = pcap_alaw("/usr/share/sip-tester/g711a.pcap");
    assert!(sent.len() > 50_000);
    // Find where a stretch of the pcap lies in the `in` leg, then compare
    // the whole overlap sample by sample.  (The first packets can arrive
    // before LegRecord runs, right after the answer.)
    let probe = &sent[20_000..20_400];
    let at = li
        .windows(probe.len())
        .position(|w| w == probe)
        .expect("sipp's audio found bit-exact in the in leg");
    let shift = at as isize - 20_000;
    let (rec_from, sent_from) = if shift >= 0 {
        (shift as usize, 0)
    } else {
        (0, (-shift) as usize)
    };
    let n = (sent.len() - sent_from).min(li.len() - rec_from);
    assert!(
        sent_from < 8000,
        "at most 1 s of sipp's audio before recording began ({sent_from} samples)"
    );
    assert!(
        n >= sent.len() - 8000,
        "the pcap is in the in leg ({n} of {})",
        sent.len()
    );
    let same = li[rec_from..rec_from + n]
        .iter()
        .zip(&sent[sent_from..sent_from + n])
        .filter(|(a, b)| a == b)
        .count();
    assert!(
        same as f64 >= 0.99 * n as f64,
        "{same} of {n} samples identical"
    );
    // Nothing is played to sipp: its `out` leg is silent.
    assert!(rms(&lo) < 50.0, "out leg silent, rms {}", rms(&lo));
}

/// A-law RTP payloads of an Ethernet pcap, decoded as G.711 specifies.
fn pcap_alaw(path: &str) -> Vec<i16> {
    let d = std::fs::read(path).unwrap();
    let mut off = 24;
    let mut out = Vec::new();
    while off + 16 <= d.len() {
        let incl = u32::from_le_bytes(d[off + 8..off + 12].try_into().unwrap()) as usize;
        let pkt = &d[off + 16..off + 16 + incl];
        off += 16 + incl;
        let ihl = usize::from(pkt[14] & 0x0f) * 4;
        let rtp = &pkt[14 + ihl + 8..];
        let cc = usize::from(rtp[0] & 0x0f);
        if rtp[1] & 0x7f != 8 {
            continue;
        }
        out.extend(rtp[12 + 4 * cc..].iter().map(|&a| alaw(a)));
    }
    out
}

fn alaw(a: u8) -> i16 {
    let a = a ^ 0x55;
    let seg = (a & 0x70) >> 4;
    let mut t = (i32::from(a & 0x0f) << 4) + 8;
    if seg > 0 {
        t = (t + 0x100) << (seg - 1);
    }
    (if a & 0x80 != 0 { t } else { -t }) as i16
}

#[test]
fn twenty_concurrent_calls_all_complete_without_drops() {
    let sb = sandbox();
    for _ in 0..20 {
        sb.cli(
            "channel originate Local/direct@legrec-test application Playback legrec-test-caller",
        );
    }
    sb.wait_for("20 live recordings", Duration::from_secs(10), || {
        sb.cli("legrec show recordings")
            .contains("20 active recordings")
    });
    let sidecars = sb.wait_sidecars(20, Duration::from_secs(30));
    assert_eq!(sidecars.len(), 20);
    for p in &sidecars {
        let (sc, li, lo) = decode_legs(p);
        assert_eq!(sc.status, "complete");
        assert!(
            sc.legs.iter().all(|l| l.dropped_samples == 0),
            "{}: dropped",
            sc.id
        );
        assert_eq!(li.len(), lo.len());
        let len = li.len() as f64 / RATE;
        assert!((2.8..4.0).contains(&len), "{}: {len} s", sc.id);
        assert!(tone_share(window(&lo, 0.5, len - 0.5), RATE, 1000.0) > 0.8);
        assert!(tone_share(window(&li, 0.5, len - 0.5), RATE, 500.0) > 0.8);
    }
    let (ok, text) = legrec_verify(&sb.recordings());
    assert!(ok, "{text}");
}

#[test]
fn cli_ami_mask_pause_reload_and_unload_on_a_live_call() {
    let sb = sandbox();
    let mut ami = sb.ami();
    sb.cli("channel originate Local/long@legrec-test application Playback legrec-test-long");
    sb.wait_for("a live recording", Duration::from_secs(10), || {
        sb.cli("legrec show recordings")
            .contains("1 active recording")
    });
    let listing = sb.cli("legrec show recordings");
    let chan = listing
        .lines()
        .find(|l| l.starts_with("Local/long@"))
        .and_then(|l| l.split_whitespace().next())
        .expect("channel listed")
        .to_string();
    let policies = sb.cli("legrec show policies");
    for p in ["support ", "sales ", "billing ", "wide ", "4 policies"] {
        assert!(policies.contains(p), "{p} in {policies}");
    }

    // Mask from the CLI, pause from AMI.
    std::thread::sleep(Duration::from_millis(1500));
    assert!(sb.cli(&format!("legrec mask {chan}")).contains("done"));
    std::thread::sleep(Duration::from_millis(2000));
    assert!(sb.cli(&format!("legrec unmask {chan}")).contains("done"));
    assert!(
        sb.cli(&format!("legrec unmask {chan}"))
            .contains("not possible"),
        "second unmask refused"
    );
    assert!(sb
        .cli("legrec mask Local/nobody")
        .contains("no such channel"));
    ami.send(&format!(
        "Action: LegRecordPause\r\nChannel: {chan}\r\nActionID: p1\r\n"
    ));
    std::thread::sleep(Duration::from_millis(2000));
    ami.send(&format!(
        "Action: LegRecordPause\r\nChannel: {chan}\r\nState: off\r\nActionID: p2\r\n"
    ));

    // A broken line at reload: named, and the running policies stay.
    let conf = sb.etc().join("legrec.conf");
    let good = std::fs::read_to_string(&conf).unwrap();
    std::fs::write(&conf, good.replace("legs = split", "legs = sideways")).unwrap();
    sb.cli("module reload app_legrec.so");
    sb.wait_for("reload error", Duration::from_secs(5), || {
        sb.log().contains("sideways")
    });
    let log = sb.log();
    let line = good
        .lines()
        .position(|l| l.starts_with("legs = split"))
        .unwrap()
        + 1;
    assert!(
        log.contains(&format!("line {line}: [support] legs")),
        "{}",
        tail(&log, 10)
    );
    assert!(log.contains("keeping the running configuration"));
    assert!(sb.cli("legrec show policies").contains("support"));

    // Unload while recording: refused, as for any module in use.
    let unload = sb.cli("module unload app_legrec.so");
    assert!(
        sb.cli("module show like legrec").contains("app_legrec.so"),
        "still loaded: {unload}"
    );
    // Stop from AMI; the files are finalized and announced.
    ami.send(&format!(
        "Action: LegRecordStop\r\nChannel: {chan}\r\nActionID: s1\r\n"
    ));
    let stop = ami.wait_event("LegRecordStop", 1, Duration::from_secs(5));
    assert!(stop[0].contains("Status: COMPLETE"), "{}", stop[0]);
    let text = ami.text();
    assert!(
        text.contains("ActionID: p1") && text.contains("ActionID: s1"),
        "{text}"
    );

    let sidecars = sb.wait_sidecars(1, Duration::from_secs(5));
    let (sc, li, lo) = decode_legs(&sidecars[0]);
    assert_eq!(sc.masks.len(), 1);
    assert_eq!(sc.masks[0].by, "cli");
    let m = &sc.masks[0];
    let (ms, me) = (m.start_offset, m.end_offset.unwrap());
    assert!((me - ms - 2.0).abs() < 0.5, "mask {ms}..{me}");
    assert!(
        rms(window(&li, ms + 0.2, me - 0.2)) < 1.0,
        "masked audio is silence"
    );
    assert!(
        tone_share(window(&li, 0.3, ms - 0.2), RATE, 500.0) > 0.8,
        "audio before the mask"
    );
    assert!(rms(window(&lo, ms + 0.2, me - 0.2)) < 1.0);
    assert_eq!(sc.pauses.len(), 1);
    assert_eq!(sc.pauses[0].by, "ami");
    let p = &sc.pauses[0];
    let paused = seconds_between(&p.start, p.end.as_deref().unwrap());
    assert!((paused - 2.0).abs() < 0.5, "paused {paused}");
    // Pause cuts time: the file is shorter than the call by the pause.
    let call = seconds_between(&sc.started_at, sc.ended_at.as_deref().unwrap());
    let len = li.len() as f64 / RATE;
    assert!(
        (call - paused - len).abs() < 0.5,
        "call {call} - pause {paused} vs file {len}"
    );

    // With nothing recording, unload and load work, with the good config.
    std::fs::write(&conf, &good).unwrap();
    sb.cli("channel request hangup all");
    std::thread::sleep(Duration::from_millis(500));
    sb.cli("module unload app_legrec.so");
    let shown = sb.cli("module show like legrec");
    assert!(
        !shown.contains("app_legrec.so") || shown.contains("Not Running"),
        "unloaded: {shown}"
    );
    assert!(!sb.log().contains("Failure in dlclose"), "unloads cleanly");
    sb.cli("module load app_legrec.so");
    let shown = sb.cli("module show like legrec");
    assert!(
        shown.contains("app_legrec.so") && !shown.contains("Not Running"),
        "loaded again: {shown}"
    );
    assert!(sb
        .cli("core show application LegRecord")
        .contains("per-leg FLAC files"));
}

#[test]
fn bad_policy_names_fail_the_recording_not_the_call() {
    let sb = sandbox();
    sb.cli("channel originate Local/badpolicy@legrec-test application Wait 1");
    sb.wait_for("status", Duration::from_secs(5), || {
        sb.cli("dialplan show globals")
            .contains("BAD_STATUS=FAILED")
    });
    assert!(
        sb.log().contains("LegRecord(../../etc) not started"),
        "{}",
        tail(&sb.log(), 10)
    );
    // Nothing was written anywhere: the spool has no folder for it.
    let entries: Vec<_> = std::fs::read_dir(sb.recordings())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(entries.is_empty(), "{entries:?}");
}

#[test]
fn notice_to_both_reaches_the_agent_once_and_stereo_is_written() {
    let sb = sandbox();
    sb.cli("channel originate Local/both@legrec-test application Playback legrec-test-caller");
    let sidecars = sb.wait_sidecars(1, Duration::from_secs(40));
    let sc = read_sidecar(&sidecars[0]);
    assert_eq!(sc.policy, "sales");
    let parties: Vec<&str> = sc.notice.iter().map(|n| n.party.as_str()).collect();
    assert_eq!(parties, ["caller", "agent"], "{:?}", sc.notice);
    assert!(sb
        .log()
        .contains("recording notice 'legrec/legrec-notice' queued to Local/agent@legrec-test"));
    // legs = both: split files and a stereo file, L = in, R = out.
    let names: Vec<&str> = sc.legs.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["in", "out", "stereo"]);
    let (_, li, lo) = decode_legs(&sidecars[0]);
    let st = flac_decode(&leg_path(&sidecars[0], &sc, "stereo"));
    let (l, r): (Vec<i16>, Vec<i16>) = st.chunks(2).map(|c| (c[0], c[1])).unzip();
    assert_eq!(l, li);
    assert_eq!(r, lo);
    let (ok, text) = legrec_verify(&sidecars[0]);
    assert!(ok, "{text}");
}

#[test]
fn the_recording_follows_the_channel_through_a_transfer() {
    let sb = sandbox();
    sb.cli("channel originate Local/xfer@legrec-test application Playback legrec-test-caller");
    let mut chan = String::new();
    sb.wait_for("a live recording", Duration::from_secs(10), || {
        let l = sb.cli("legrec show recordings");
        chan = l
            .lines()
            .find(|l| l.starts_with("Local/xfer@"))
            .and_then(|l| l.split_whitespace().next())
            .unwrap_or("")
            .to_string();
        !chan.is_empty()
    });
    // The caller talks to the first agent (500 Hz ... agentlong plays a
    // 500 Hz file too, so use time), then is transferred to `second`, which
    // plays the 1000 Hz file: one recording holds both.
    std::thread::sleep(Duration::from_millis(2500));
    let out = sb.cli(&format!("channel redirect {chan} legrec-test,second,1"));
    assert!(out.contains("redirected"), "{out}");
    let sidecars = sb.wait_sidecars(1, Duration::from_secs(20));
    assert_eq!(sidecars.len(), 1, "one recording across the transfer");
    let (sc, _li, lo) = decode_legs(&sidecars[0]);
    assert_eq!(sc.status, "complete");
    let len = lo.len() as f64 / RATE;
    assert!(len > 4.5, "{len} s: before and after the transfer");
    assert!(
        tone_share(window(&lo, 0.5, 2.0), RATE, 500.0) > 0.8,
        "first agent"
    );
    assert!(
        tone_share(window(&lo, len - 2.5, len - 0.5), RATE, 1000.0) > 0.8,
        "after the transfer"
    );
}

#[test]
fn a_broken_config_at_load_declines_and_names_the_line() {
    let mut sb = Sandbox::new();
    let conf = sb.etc().join("legrec.conf");
    let text = std::fs::read_to_string(&conf)
        .unwrap()
        .replace("compression_level = 5 ", "compression_level = five ");
    std::fs::write(&conf, text).unwrap();
    sb.start();
    let shown = sb.cli("module show like legrec");
    assert!(
        !shown.contains("Running          extended") || shown.contains("Not Running"),
        "{shown}"
    );
    sb.wait_for(
        "the config error in the log",
        Duration::from_secs(5),
        || sb.log().contains("legrec not loaded"),
    );
    let log = sb.log();
    let line = log
        .lines()
        .find(|l| l.contains("legrec not loaded"))
        .unwrap();
    assert!(
        line.contains("ERROR")
            && line.contains(
                "line 12: [general] compression_level = 'five': 'five' is not a whole number"
            ),
        "{line}"
    );
}

#[test]
fn make_install_puts_module_docs_prompt_and_config_in_place() {
    let so = common::asterisk::module();
    let dest = tempfile::tempdir().unwrap();
    let st = Command::new("make")
        .current_dir(repo())
        .args(["-s", "--no-print-directory", "install-asterisk"])
        .arg(format!("AST_MODULE_SO={}", so.display()))
        .arg(format!("DESTDIR={}", dest.path().display()))
        .status()
        .unwrap();
    assert!(st.success());
    // Where the installed Asterisk keeps modules (16 and 22 differ).
    let moddir = common::asterisk::installed_dir("astmoddir");
    let datadir = common::asterisk::installed_dir("astdatadir");
    let etcdir = common::asterisk::installed_dir("astetcdir");
    let under_dest = |p: &Path| dest.path().join(p.strip_prefix("/").unwrap());
    for f in [
        moddir.join("app_legrec.so"),
        datadir.join("documentation/thirdparty/legrec-en_US.xml"),
        datadir.join("sounds/legrec/legrec-notice.wav"),
        datadir.join("sounds/legrec/legrec-notice.wav16"),
        etcdir.join("legrec.conf"),
        etcdir.join("legrec.conf.sample"),
    ] {
        assert!(under_dest(&f).is_file(), "{} installed", f.display());
    }
    // Installed stripped, its symbols kept apart.
    let sections = Command::new("readelf")
        .arg("-SW")
        .arg(under_dest(&moddir.join("app_legrec.so")))
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&sections.stdout).contains(".debug_info"));
    assert!(dest.path().join("usr/lib/debug/.build-id").is_dir());
}

#[test]
fn a_16_khz_policy_on_an_8_khz_call_is_resampled_in_the_core() {
    let sb = sandbox();
    sb.cli("channel originate Local/wide@legrec-test application Playback legrec-test-caller");
    let sidecars = sb.wait_sidecars(1, Duration::from_secs(20));
    let (sc, li, lo) = decode_legs(&sidecars[0]);
    assert!(sc.legs.iter().all(|l| l.sample_rate == 16000));
    assert_eq!(sc.legs[0].rate_mismatch.as_deref(), Some("resampled"));
    let len = li.len() as f64 / 16000.0;
    assert!((2.8..4.0).contains(&len), "{len} s");
    assert!(tone_share(&li[8000..li.len() - 8000], 16000.0, 500.0) > 0.8);
    assert!(tone_share(&lo[8000..lo.len() - 8000], 16000.0, 1000.0) > 0.8);
}
