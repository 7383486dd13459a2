//! A wideband (G.722) SIP call on a real Asterisk: sipp sends a known tone
//! as G.722 RTP, which Asterisk decodes to 16 kHz signed linear, and the
//! recorded leg holds that tone at its pitch and for its length, whether
//! the policy records at 8 kHz (the core resamples the 16 kHz frames) or at
//! 16 kHz.  A frame taken at the rate asked for rather than the rate it
//! has would halve the pitch and double the length.

mod common;

use std::path::Path;
use std::time::Duration;

use common::asterisk::{tail, tone_share, Sandbox};
use common::sipp::{Step, Voice};
use common::*;

const DIALPLAN: &str = "
[legrec-sip]
exten => narrow,1,Answer()
 same => n,LegRecord(support,n)
 same => n,Playback(legrec-test-agent)
 same => n,Wait(30)
 same => n,Hangup()

exten => wide,1,Answer()
 same => n,LegRecord(wide,n)
 same => n,Playback(legrec-test-agent)
 same => n,Wait(30)
 same => n,Hangup()
";

/// What sipp sends: 3 s of 800 Hz, then 3 s of 5 kHz (which only a 16 kHz
/// recording can hold), at 16 kHz.
const LOW: f64 = 800.0;
const HIGH: f64 = 5000.0;
const TONE_SECONDS: usize = 3;

fn tone_16k() -> Vec<i16> {
    let n = TONE_SECONDS * 16000;
    let sine = |f: f64, i: usize| {
        (0.5 * 32767.0 * (2.0 * std::f64::consts::PI * f * i as f64 / 16000.0).sin()) as i16
    };
    (0..n)
        .map(|i| sine(LOW, i))
        .chain((0..n).map(|i| sine(HIGH, i)))
        .collect()
}

/// The tone as G.722 RTP in a pcap: encoded by the sandbox's own Asterisk
/// (codec_g722, `file convert`), 20 ms packets of 160 bytes whose RTP clock
/// is 8000 Hz, as RFC 3551 has it for G.722.
fn g722_pcap(sb: &Sandbox, dir: &Path) -> std::path::PathBuf {
    let sln16 = dir.join("tone.sln16");
    let bytes: Vec<u8> = tone_16k().iter().flat_map(|s| s.to_le_bytes()).collect();
    std::fs::write(&sln16, bytes).unwrap();
    let g722 = dir.join("tone.g722");
    let said = sb.cli(&format!(
        "file convert {} {}",
        sln16.display(),
        g722.display()
    ));
    let encoded = std::fs::read(&g722).unwrap_or_else(|e| panic!("file convert: {said} ({e})"));
    // G.722 is 64 kbit/s: a byte per two 16 kHz samples.
    assert_eq!(encoded.len(), TONE_SECONDS * 2 * 8000, "{said}");
    let payloads: Vec<&[u8]> = encoded.chunks(160).collect();
    let pcap = dir.join("g722.pcap");
    rtp::write_pcap(&pcap, 9, 160, 20, &payloads);
    pcap
}

/// 100 ms windows of `x` (at `rate`) where `freq` makes up most of it.
fn tone_windows(x: &[i16], rate: usize, freq: f64) -> usize {
    x.chunks_exact(rate / 10)
        .filter(|w| tone_share(w, rate as f64, freq) > 0.6)
        .count()
}

/// Call `service` from sipp offering only G.722 and sending the tone; the
/// finished recording's sidecar and both legs decoded.
fn record(service: &str) -> (legrec::sidecar::Sidecar, Vec<i16>, Vec<i16>) {
    let mut sb = Sandbox::new();
    sb.append("legrec.conf", "\n[wide]\nsample_rate = 16000\n");
    sb.append("extensions.conf", DIALPLAN);
    sb.start();
    let work = tempfile::tempdir().unwrap();
    let pcap = g722_pcap(&sb, work.path());
    let voice = Voice {
        payload_type: 9,
        rtpmap: "G722/8000",
        pcap: pcap.to_str().unwrap(),
    };
    let out = sipp::call_with(
        sb.sip_port,
        service,
        &[Step::Audio, Step::Wait(8000)],
        &voice,
    );
    assert!(
        out.status.success(),
        "sipp failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        tail(&sb.log(), 30)
    );
    let sidecar = sb.wait_sidecars(1, Duration::from_secs(15)).remove(0);
    let sc = read_sidecar(&sidecar);
    assert_eq!(sc.status, "complete");
    assert!(sc.channel.starts_with("PJSIP/sipp-"), "{}", sc.channel);
    let li = flac_decode(&leg_path(&sidecar, &sc, "in"));
    let lo = flac_decode(&leg_path(&sidecar, &sc, "out"));
    sb.stop();
    (sc, li, lo)
}

/// About 3 s (30 windows) of the tone: a little may go by before LegRecord
/// runs, none may be stretched.
fn assert_about_3_s(windows: usize, what: &str) {
    println!("{what}: {windows} windows of 100 ms");
    assert!(
        (26..=31).contains(&windows),
        "{what}: {windows} windows of 100 ms"
    );
}

#[test]
fn a_g722_call_recorded_at_8_khz_keeps_the_callers_pitch_and_length() {
    let (sc, li, lo) = record("narrow");
    assert!(sc.legs.iter().all(|l| l.sample_rate == 8000));
    // Asterisk handed 16 kHz frames for the G.722 leg; the core resampled.
    let leg_in = sc.legs.iter().find(|l| l.name == "in").unwrap();
    assert_eq!(leg_in.rate_mismatch.as_deref(), Some("resampled"));
    assert_about_3_s(tone_windows(&li, 8000, LOW), "800 Hz in the in leg");
    // Half the pitch, twice as long: 16 kHz frames taken as 8 kHz.
    assert_eq!(tone_windows(&li, 8000, LOW / 2.0), 0);
    assert_about_3_s(
        tone_windows(&lo, 8000, 1000.0),
        "the agent prompt in the out leg",
    );
}

#[test]
fn a_g722_call_recorded_at_16_khz_keeps_what_only_wideband_carries() {
    let (sc, li, lo) = record("wide");
    assert!(sc.legs.iter().all(|l| l.sample_rate == 16000));
    assert_about_3_s(tone_windows(&li, 16000, LOW), "800 Hz in the in leg");
    assert_about_3_s(tone_windows(&li, 16000, HIGH), "5 kHz in the in leg");
    assert_about_3_s(
        tone_windows(&lo, 16000, 1000.0),
        "the agent prompt in the out leg",
    );
}
