//! A real Asterisk whose spool's disk hangs: the spool is an ext4 file
//! system frozen with `fsfreeze` (every write to it waits in the kernel, as
//! on a network mount that stopped answering) while a call starts
//! `LegRecord`.

mod common;

use std::time::Duration;

use common::asterisk::{tail, tone_share, Sandbox};
use common::*;

#[test]
fn a_frozen_spool_does_not_hold_up_the_call_and_the_recording_is_whole() {
    let mut sb = Sandbox::new();
    let disk = Ext4::mount(&sb.recordings(), 32);
    sb.append(
        "extensions.conf",
        "\n[legrec-test]\nexten => frozen,1,Answer()\n same => n,LegRecord(support,n)\n \
         same => n,Set(GLOBAL(FROZEN_STATUS)=${LEGREC_STATUS})\n same => n,Wait(5)\n same => n,Hangup()\n",
    );
    sb.start();
    let frozen = disk.freeze();
    let log_before = sb.log().len();

    sb.cli("channel originate Local/frozen@legrec-test application Playback legrec-test-long");
    // LegRecord returned, and the dialplan went on, with the disk frozen.
    sb.wait_for(
        "the dialplan past LegRecord",
        Duration::from_secs(10),
        || {
            sb.cli("dialplan show globals")
                .contains("FROZEN_STATUS=RECORDING")
        },
    );
    assert!(sb
        .cli("legrec show recordings")
        .contains("1 active recording"));
    // Frozen for about 2 s of the call in all.
    std::thread::sleep(Duration::from_millis(1500));
    frozen.thaw();

    let sidecar = sb.wait_sidecars(1, Duration::from_secs(20)).remove(0);
    let sc = read_sidecar(&sidecar);
    let log = sb.log()[log_before..].to_string();
    assert_eq!(sc.status, "complete", "{}", tail(&log, 30));
    for leg in &sc.legs {
        assert_eq!(leg.dropped_samples, 0, "{}", leg.name);
        assert!(
            leg.samples >= 4 * 8000,
            "{}: {} samples",
            leg.name,
            leg.samples
        );
        flac_test(&sidecar.parent().unwrap().join(&leg.file));
    }
    // What the far side played while the disk was frozen is in the file.
    let heard = flac_decode(&leg_path(&sidecar, &sc, "in"));
    let share = tone_share(window(&heard, 0.1, 1.5), 8000.0, 500.0);
    assert!(
        share > 0.5,
        "the 500 Hz tone's share in 0.1-1.5 s: {share:.2}"
    );
    // The console says why, once.
    let warnings: Vec<&str> = log.lines().filter(|l| l.contains("WARNING[")).collect();
    assert_eq!(warnings.len(), 1, "{}", warnings.join("\n"));
    assert!(
        warnings[0].contains("creating its files") && warnings[0].contains("disk is slow"),
        "{}",
        warnings[0]
    );
    sb.stop();
}
