//! Issue 28 end to end with a real Asterisk: a call recorded by
//! app_legrec from a legrec.conf with `[anchor]` (which the module reads
//! past), anchored by `legrec anchor` against OpenSSL's TSA, exported as an
//! evidence bundle that checks in an empty folder, and the forger's
//! rewrite of that call caught by `legrec verify`.

mod common;

use std::process::Command;
use std::time::Duration;

use common::anchored::*;
use common::asterisk::Sandbox;
use common::tsa::Tsa;
use common::*;

const DIALPLAN: &str = "
[legrec-evidence]
exten => _[a-z].,1,Answer()
 same => n,LegRecord(${EXTEN})
 same => n,Playback(legrec-test-caller)
 same => n,Hangup()
";

#[test]
fn an_asterisk_call_is_anchored_exported_and_its_forgery_caught() {
    let tsa = Tsa::start("reply");
    let mut sb = Sandbox::new();
    sb.append(
        "legrec.conf",
        &format!(
            "
[anchor]
tsa_url = {}
tsa_ca = {}
interval = 10m

[evid]
notice =
legs = split
",
            tsa.url(),
            tsa.ca().display()
        ),
    );
    sb.append("extensions.conf", DIALPLAN);
    sb.start();
    // The far end speaks (a 3 s tone): the recorded party's in leg.
    sb.cli("channel originate Local/evid@legrec-evidence application Playback legrec-test-agent");
    let sidecars = sb.wait_sidecars(1, Duration::from_secs(30));
    let sc = read_sidecar(&sidecars[0]);
    assert_eq!(sc.status, "complete", "{}", sb.log());
    assert!(!sb.log().contains("[anchor]"), "{}", sb.log());
    let spool = sb.recordings();
    let conf = sb.etc().join("legrec.conf");
    let o = anchor_once(&conf);
    assert!(o.status.success(), "{}", text(&o));
    let (ok, report) = verify(&spool, &conf);
    assert!(ok, "{report}");

    // The bundle, checked where nothing else is.
    let clean = tempfile::tempdir().unwrap();
    let bundle = clean.path().join("call.tar");
    let o = legrec(&[
        "evidence",
        &sc.id,
        "-o",
        bundle.to_str().unwrap(),
        "--config",
        conf.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let o = Command::new("sh")
        .current_dir(clean.path())
        .args([
            "-c",
            "tar -xf call.tar && sha256sum -c SHA256SUMS && \
             openssl ts -verify -digest \"$(tail -n 1 chain.jsonl | sed 's/.*\"hash\":\"\\([0-9a-f]*\\)\"}$/\\1/')\" \
             -in anchor.tsr -CAfile tsa-ca.pem",
        ])
        .output()
        .unwrap();
    assert!(
        o.status.success() && text(&o).contains("Verification: OK"),
        "{}",
        text(&o)
    );
    let o = Command::new(env!("CARGO_BIN_EXE_legrec"))
        .current_dir(clean.path())
        .args(["verify", "--bundle", "call.tar"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));

    // The forger rewrites the call's in leg, sidecar and chain: caught.
    sb.stop();
    forge(&spool, &sidecars[0], "in");
    let (ok, report) = verify(&spool, &conf);
    assert!(!ok, "{report}");
    assert!(report.contains("is not what the TSA stamped"), "{report}");
}
