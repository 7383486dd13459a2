//! The PBX and the shipper together: a real Asterisk records calls while
//! the SeaweedFS behind `legrec ship` is down, and the shipper, reading the
//! same legrec.conf (its `[storage]` section, which the module reads past),
//! ships them when the store returns.  Objects are fetched with curl's own
//! SigV4 and hashed here.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::asterisk::Sandbox;
use common::*;
use sha2::{Digest, Sha256};

const DIALPLAN: &str = "
[legrec-ship]
exten => _[a-z].,1,Answer()
 same => n,LegRecord(${EXTEN})
 same => n,Playback(legrec-test-agent)
 same => n,Hangup()
";

/// legrec-fleet from this workspace, built if it is not yet.
fn fleet_bin() -> PathBuf {
    let st = Command::new(env!("CARGO"))
        .args([
            "build",
            "--quiet",
            "-p",
            "legrec-fleet",
            "--bin",
            "legrec-fleet",
        ])
        .current_dir(repo())
        .status()
        .unwrap();
    assert!(st.success(), "cargo build -p legrec-fleet");
    target_dir().join("legrec-fleet")
}

struct Weed {
    dir: tempfile::TempDir,
    port: u16,
}

impl Weed {
    fn script(&self, cmd: &str) {
        let mut c = Command::new(repo().join("scripts/seaweedfs"));
        c.args([cmd, self.dir.path().to_str().unwrap()]);
        if cmd == "start" {
            c.arg(self.port.to_string());
        }
        let out = c.output().unwrap();
        assert!(
            out.status.success(),
            "scripts/seaweedfs {cmd}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    fn curl(&self, method: &str, path: &str) -> Vec<u8> {
        let out = Command::new("curl")
            .args([
                "-sf",
                "-X",
                method,
                "--aws-sigv4",
                "aws:amz:us-east-1:s3",
                "--user",
            ])
            .arg("legrec:legrec-secret")
            .arg(format!("http://127.0.0.1:{}/{path}", self.port))
            .output()
            .unwrap();
        assert!(out.status.success(), "curl {method} {path}");
        out.stdout
    }
}

impl Drop for Weed {
    fn drop(&mut self) {
        let _ = Command::new(repo().join("scripts/seaweedfs"))
            .args(["stop", self.dir.path().to_str().unwrap()])
            .status();
    }
}

fn shipped(spool: &Path) -> usize {
    legrec::audit::verify_chain(&legrec::spool::layout::audit_log(spool))
        .map(|c| c.iter().filter(|e| e.event == "shipped").count())
        .unwrap_or(0)
}

fn stop(child: Child) -> String {
    // SAFETY: signalling our own child by its pid.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "legrec ship exit: {:?}", out.status);
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn calls_recorded_while_the_store_is_down_are_shipped_when_it_returns() {
    let fleet = fleet_bin();
    let weed = Weed {
        dir: tempfile::tempdir().unwrap(),
        port: 20000 + (std::process::id() % 500) as u16 * 64 + 48,
    };
    // Not started yet: the store is down while the calls are recorded.
    let mut sb = Sandbox::new();
    sb.append(
        "legrec.conf",
        &format!(
            "
[storage]
url = s3://recordings/pbx1
endpoint = http://127.0.0.1:{}
access_key = legrec
secret_key = legrec-secret
pbx_name = pbx1

[shipme]
notice =
",
            weed.port
        ),
    );
    sb.append("extensions.conf", DIALPLAN);
    sb.start();
    let conf = sb.etc().join("legrec.conf");
    let child = Command::new(&fleet)
        .args([
            "ship",
            "--config",
            conf.to_str().unwrap(),
            "--interval",
            "1s",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    for _ in 0..2 {
        sb.cli("channel originate Local/shipme@legrec-ship application Wait 5");
    }
    let sidecars = sb.wait_sidecars(2, Duration::from_secs(30));
    for sc in &sidecars {
        assert_eq!(read_sidecar(sc).status, "complete");
    }
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        shipped(&sb.recordings()),
        0,
        "nothing ships while the store is down"
    );

    // A first start (a restart on old data takes SeaweedFS 30 s or more).
    weed.script("start");
    weed.curl("PUT", "recordings");
    let deadline = Instant::now() + Duration::from_secs(90);
    while shipped(&sb.recordings()) < 2 {
        assert!(
            Instant::now() < deadline,
            "not shipped after the store returned"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let log = stop(child);
    assert_eq!(log.matches("the store does not answer").count(), 1, "{log}");
    // Byte for byte what the sidecars say, under pbx1/<policy>/<day>/.
    for sc in &sidecars {
        let s = read_sidecar(sc);
        let rel = sc.strip_prefix(sb.recordings()).unwrap().parent().unwrap();
        for leg in &s.legs {
            let key = format!("recordings/pbx1/{}/{}", rel.display(), leg.file);
            let body = weed.curl("GET", &key);
            assert_eq!(legrec::hex(&Sha256::digest(&body)), leg.sha256, "{key}");
        }
    }
    // The module read past [storage]: Asterisk said nothing of it.
    assert!(!sb.log().contains("[storage]"), "{}", sb.log());
}
