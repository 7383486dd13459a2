//! Telling other systems a recording is final, on a real Asterisk:
//! `on_finish` commands (run, timed out) and `notify_url` webhooks to a
//! Python http.server that refuses its first requests, signatures checked
//! with openssl, and a delivery that waits through an Asterisk restart.

mod common;

use std::time::Duration;

use common::asterisk::{tail, Sandbox};
use common::webhook::{free_port, openssl_hmac, Receiver};
use common::*;

const SECRET: &str = "s3cret-key-for-tests";

const DIALPLAN: &str = "
[legrec-notify]
exten => _[a-z].,1,Answer()
 same => n,LegRecord(${EXTEN})
 same => n,Playback(legrec-test-agent)
 same => n,Hangup()
";

fn sandbox(policies: &str) -> Sandbox {
    let mut sb = Sandbox::new();
    sb.append("legrec.conf", policies);
    sb.append("extensions.conf", DIALPLAN);
    sb.start();
    sb
}

fn call(sb: &Sandbox, policy: &str) {
    sb.cli(&format!(
        "channel originate Local/{policy}@legrec-notify application Wait 10"
    ));
}

fn script(dir: &std::path::Path, name: &str, body: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let p = dir.join(name);
    std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

fn deliveries(sb: &Sandbox) -> Vec<std::path::PathBuf> {
    legrec::spool::layout::deliveries(&sb.recordings())
}

#[test]
fn on_finish_runs_the_command_with_the_final_sidecar_and_kills_one_that_hangs() {
    let tools = tempfile::tempdir().unwrap();
    let ran = tools.path().join("ran.txt");
    let hook = script(
        tools.path(),
        "on-finish.sh",
        &format!(
            "test -f \"$2\" && echo \"$1 $2 $LEGREC_ID $LEGREC_STATUS $LEGREC_POLICY\" >> {}\necho hello from on_finish >&2",
            ran.display()
        ),
    );
    let slow = script(tools.path(), "slow.sh", "sleep 30");
    let sb = sandbox(&format!(
        "
[hooked]
notice =
on_finish = {} --tag

[slow]
notice =
on_finish = {}
on_finish_timeout = 1
",
        hook.display(),
        slow.display()
    ));
    call(&sb, "hooked");
    let sidecars = sb.wait_sidecars(1, Duration::from_secs(20));
    let sc = read_sidecar(&sidecars[0]);
    sb.wait_for("the on_finish command", Duration::from_secs(10), || {
        ran.exists()
    });
    let line = std::fs::read_to_string(&ran).unwrap();
    assert_eq!(
        line.trim(),
        format!("--tag {} {} complete hooked", sidecars[0].display(), sc.id)
    );
    sb.wait_for(
        "the command's exit in the log",
        Duration::from_secs(5),
        || {
            sb.log().contains(&format!(
                "on_finish for recording {}: {} exited 0",
                sc.id,
                hook.display()
            ))
        },
    );
    assert!(sb.log().contains("stderr: hello from on_finish"));

    call(&sb, "slow");
    sb.wait_for("the slow command killed", Duration::from_secs(30), || {
        sb.log().contains("killed after on_finish_timeout = 1 s")
    });
    let left = std::process::Command::new("pgrep")
        .args(["-f", &slow.display().to_string()])
        .output()
        .unwrap();
    assert!(
        left.stdout.is_empty(),
        "slow.sh still runs: {}",
        String::from_utf8_lossy(&left.stdout)
    );
    // Exactly one line: the command ran once per recording.
    assert_eq!(std::fs::read_to_string(&ran).unwrap().lines().count(), 1);
}

#[test]
fn a_webhook_is_retried_until_accepted_once_and_signed() {
    let receiver = Receiver::start(0, 2);
    let sb = sandbox(&format!(
        "
[hooked]
notice =
notify_url = {}
notify_secret = {SECRET}
",
        receiver.url()
    ));
    call(&sb, "hooked");
    let sidecars = sb.wait_sidecars(1, Duration::from_secs(20));
    let sc = read_sidecar(&sidecars[0]);
    sb.wait_for("an accepted delivery", Duration::from_secs(30), || {
        receiver.requests().iter().any(|r| r.code == 200)
    });
    // Nothing more once accepted.
    std::thread::sleep(Duration::from_secs(3));
    let reqs = receiver.requests();
    let codes: Vec<u16> = reqs.iter().map(|r| r.code).collect();
    assert_eq!(codes, [503, 503, 200], "{}", tail(&sb.log(), 20));
    let body = std::fs::read(&sidecars[0]).unwrap();
    for r in &reqs {
        assert_eq!(r.body, body, "the body is the sidecar's bytes");
        assert_eq!(r.header["idempotency-key"], sc.id);
        assert_eq!(r.header["content-type"], "application/json");
        assert_eq!(
            r.header["x-legrec-signature"],
            format!("sha256={}", openssl_hmac(SECRET, &body))
        );
    }
    assert!(
        deliveries(&sb).is_empty(),
        "the queue is empty once delivered"
    );
    let log = sb.log();
    assert!(log.contains(&format!("webhook for recording {}", sc.id)));
    assert!(log.contains("retrying with backoff"));
    assert!(log.contains("(200, attempt 3)"), "{}", tail(&log, 20));
    assert!(!log.contains(SECRET), "the secret reached the log");
}

#[test]
fn a_webhook_queued_while_the_receiver_is_down_survives_an_asterisk_restart() {
    let port = free_port();
    let mut sb = sandbox(&format!(
        "
[hooked]
notice =
notify_url = http://127.0.0.1:{port}/hook
notify_secret = {SECRET}
"
    ));
    call(&sb, "hooked");
    // Recording is not held up by the receiver being down.
    let sidecars = sb.wait_sidecars(1, Duration::from_secs(20));
    let sc = read_sidecar(&sidecars[0]);
    assert_eq!(sc.status, "complete");
    sb.wait_for("a failed attempt", Duration::from_secs(20), || {
        deliveries(&sb).iter().any(|d| {
            let text = std::fs::read_to_string(d).unwrap_or_default();
            text.contains("\"attempts\": 1") || text.contains("\"attempts\": 2")
        })
    });
    sb.stop();
    assert_eq!(deliveries(&sb).len(), 1, "the delivery waits on disk");

    let receiver = Receiver::start(port, 0);
    sb.start();
    sb.wait_for(
        "the delivery after the restart",
        Duration::from_secs(60),
        || receiver.requests().iter().any(|r| r.code == 200),
    );
    let reqs = receiver.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].header["idempotency-key"], sc.id);
    sb.wait_for("the queue emptied", Duration::from_secs(5), || {
        deliveries(&sb).is_empty()
    });
}
