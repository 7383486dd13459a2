//! RFC 3161 anchoring against a real TSA (OpenSSL's `openssl ts -reply`
//! behind tests/tools/tsa_server.py): `legrec anchor` stamps the chain's
//! head, `legrec verify` checks the tokens, `openssl ts -verify` accepts
//! them alone, and a forger who rewrites a recorded call and the chain
//! consistently is caught once an anchor came after it.

mod common;

use std::process::Command;
use std::time::Duration;

use common::anchored::*;
use common::tsa::Tsa;
use common::*;
use legrec::audit::Entry;
use legrec::spool::layout;

#[test]
fn an_anchor_stamps_the_head_and_verifies_in_legrec_and_in_openssl() {
    let tsa = Tsa::start("reply");
    let tmp = tempfile::tempdir().unwrap();
    let spool = tmp.path().join("spool");
    let conf = write_conf(tmp.path(), &spool, &tsa.url(), &tsa.ca(), "10m");
    record(&conf, 2);
    let head = chain(&spool).last().unwrap().clone();

    let o = anchor_once(&conf);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains(&format!("anchored entry {}", head.seq)),
        "{}",
        text(&o)
    );
    let entries = chain(&spool);
    let a = entries.last().unwrap();
    assert_eq!(a.event, "anchored");
    assert_eq!(a.seq, head.seq + 1);
    let note: serde_json::Value = serde_json::from_str(&a.note).unwrap();
    assert_eq!(note["seq"], head.seq);
    assert_eq!(note["head"], head.hash);
    let token = spool.join(&a.files[0].file);
    assert_eq!(token, layout::anchor_token(&spool, head.seq));

    // Nothing appended since: not due again.
    let o = anchor_once(&conf);
    assert!(text(&o).contains("nothing new to anchor"), "{}", text(&o));

    let (ok, report) = verify(&spool, &conf);
    assert!(ok, "{report}");
    assert!(report.contains("anchored: 1 token(s) check"), "{report}");

    // The token stands on its own: OpenSSL checks it against the CA with
    // the entry's hash as the digest, and refuses another digest.
    let openssl = |digest: &str| {
        Command::new("openssl")
            .args(["ts", "-verify", "-digest", digest, "-in"])
            .arg(&token)
            .arg("-CAfile")
            .arg(tsa.ca())
            .output()
            .unwrap()
    };
    let o = openssl(&head.hash);
    assert!(
        o.status.success() && text(&o).contains("Verification: OK"),
        "{}",
        text(&o)
    );
    let other = format!("{:064x}", 1);
    assert!(!openssl(&other).status.success());

    // A token checked against another CA is not trusted.
    let stranger = tempfile::tempdir().unwrap();
    common::tsa::make_pki(stranger.path());
    let o = legrec(&[
        "verify",
        spool.to_str().unwrap(),
        "--tsa-ca",
        stranger.path().join("ca.pem").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("does not chain to the trusted CA"),
        "{}",
        text(&o)
    );
}

#[test]
fn a_call_rewritten_consistently_passes_without_an_anchor_and_fails_after_one() {
    let tsa = Tsa::start("reply");
    let tmp = tempfile::tempdir().unwrap();
    let spool = tmp.path().join("spool");
    let conf = write_conf(tmp.path(), &spool, &tsa.url(), &tsa.ca(), "10m");
    let sidecars = record(&conf, 2);
    // A copy never anchored: what the forger gets away with today.
    let bare = tmp.path().join("bare");
    let st = Command::new("cp")
        .arg("-a")
        .arg(&spool)
        .arg(&bare)
        .status()
        .unwrap();
    assert!(st.success());
    let bare_sidecar = bare.join(sidecars[0].strip_prefix(&spool).unwrap());
    forge(&bare, &bare_sidecar, "in");
    let o = legrec(&["verify", bare.to_str().unwrap()]);
    assert!(
        o.status.success(),
        "the forgery is consistent: {}",
        text(&o)
    );

    // The same forgery after an anchor.
    assert!(anchor_once(&conf).status.success());
    let stamped = chain(&spool).len() - 1;
    record(&conf, 1);
    forge(&spool, &sidecars[0], "in");
    let first = chain(&spool)
        .iter()
        .find(|e| e.event == "recorded")
        .unwrap()
        .seq;
    let (ok, report) = verify(&spool, &conf);
    assert!(!ok, "{report}");
    assert!(
        report.contains(&format!("entry {stamped} is not what the TSA stamped"))
            && report.contains(&format!(
                "history from entry 1 to entry {stamped} was rewritten"
            )),
        "{report}"
    );
    assert!(first <= stamped as u64);
}

#[test]
fn a_cut_tail_after_an_anchor_is_named() {
    let tsa = Tsa::start("reply");
    let tmp = tempfile::tempdir().unwrap();
    let spool = tmp.path().join("spool");
    let conf = write_conf(tmp.path(), &spool, &tsa.url(), &tsa.ca(), "10m");
    record(&conf, 3);
    assert!(anchor_once(&conf).status.success());
    let stamped = chain(&spool).len() - 1;
    // The last recording, its entry and the anchor's entry go: the chain
    // that is left links, and its sidecars are removed too.
    let entries = chain(&spool);
    let cut = &entries[..stamped - 1];
    let gone = &entries[stamped - 1];
    for f in &gone.files {
        let _ = std::fs::remove_file(spool.join(&f.file));
    }
    let lines: String = cut
        .iter()
        .map(|e| serde_json::to_string(e).unwrap() + "\n")
        .collect();
    std::fs::write(layout::audit_log(&spool), lines).unwrap();
    let (ok, report) = verify(&spool, &conf);
    assert!(!ok, "{report}");
    assert!(
        report.contains(&format!("stamps entry {stamped}"))
            && report.contains(&format!("the chain ends at entry {}", stamped - 1)),
        "{report}"
    );
}

#[test]
fn anchors_removed_leave_a_stretch_verify_names() {
    let tsa = Tsa::start("reply");
    let tmp = tempfile::tempdir().unwrap();
    let spool = tmp.path().join("spool");
    let conf = write_conf(tmp.path(), &spool, &tsa.url(), &tsa.ca(), "1m");
    record(&conf, 1);
    assert!(anchor_once(&conf).status.success());
    record(&conf, 1);
    assert!(anchor_once(&conf).status.success());
    let trust =
        legrec::anchor::check::Trust::from_file(&tsa.ca(), Some(Duration::from_secs(60))).unwrap();
    let entries = chain(&spool);
    let now = std::time::SystemTime::now();
    let r = legrec::anchor::check::check(&spool, &entries, Some(&trust), now);
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    assert_eq!(r.anchors, 2);
    // An hour on, nothing unanchored: still fine.
    let later = now + Duration::from_secs(3600);
    let r = legrec::anchor::check::check(&spool, &entries, Some(&trust), later);
    assert!(r.problems.is_empty(), "{:?}", r.problems);

    // The forger drops the second anchor (its entry, the chain's last, and
    // its token): an hour on, the second recording has gone unanchored.
    let last = entries.last().unwrap();
    std::fs::remove_file(spool.join(&last.files[0].file)).unwrap();
    let cut = &entries[..entries.len() - 1];
    let r = legrec::anchor::check::check(&spool, cut, Some(&trust), later);
    let unanchored = cut.last().unwrap().seq;
    assert!(
        r.problems
            .iter()
            .any(|p| p.contains(&format!("entries from {unanchored}")) && p.contains("no anchor")),
        "{:?}",
        r.problems
    );

    // With [anchor] configured and every anchor gone, too.
    for e in &entries {
        if e.event == "anchored" {
            let _ = std::fs::remove_file(spool.join(&e.files[0].file));
        }
    }
    let plain: Vec<Entry> = entries
        .iter()
        .filter(|e| e.event != "anchored")
        .cloned()
        .collect();
    let r = legrec::anchor::check::check(&spool, &plain, Some(&trust), later);
    assert!(
        r.problems.iter().any(|p| p.contains("entries from 1")),
        "{:?}",
        r.problems
    );
}

#[test]
fn a_tsa_answering_garbage_is_refused_and_nothing_is_chained() {
    let tsa = Tsa::start("garbage");
    let tmp = tempfile::tempdir().unwrap();
    let spool = tmp.path().join("spool");
    let conf = write_conf(tmp.path(), &spool, &tsa.url(), &tsa.ca(), "10m");
    record(&conf, 1);
    let before = std::fs::read(layout::audit_log(&spool)).unwrap();
    let o = anchor_once(&conf);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("not an RFC 3161 time-stamp response")
            && text(&o).contains("nothing chained"),
        "{}",
        text(&o)
    );
    assert_eq!(std::fs::read(layout::audit_log(&spool)).unwrap(), before);
    assert!(!layout::anchors_dir(&spool).join("tsa-ca.pem").exists());
}

#[test]
fn a_tsa_that_is_down_is_retried_while_recording_goes_on() {
    let port = common::webhook::free_port();
    let tmp = tempfile::tempdir().unwrap();
    let spool = tmp.path().join("spool");
    // The CA the TSA will have once it is up.
    let pki = tempfile::tempdir().unwrap();
    common::tsa::make_pki(pki.path());
    let url = format!("http://127.0.0.1:{port}/tsa");
    let conf = write_conf(tmp.path(), &spool, &url, &pki.path().join("ca.pem"), "10s");
    record(&conf, 1);
    let o = anchor_once(&conf);
    assert!(!o.status.success());
    assert!(text(&o).contains(&format!("TSA {url}")), "{}", text(&o));

    // The loop, beside the PBX: it fails, records go on, then the TSA
    // comes up and the next try anchors.
    let log = tmp.path().join("anchor.log");
    let _looping = Killed(
        Command::new(env!("CARGO_BIN_EXE_legrec"))
            .args(["anchor", "--config", conf.to_str().unwrap()])
            .stdout(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    let said = || std::fs::read_to_string(&log).unwrap_or_default();
    wait_until(
        "the loop's first try fails",
        Duration::from_secs(10),
        || said().contains("retrying"),
        said,
    );
    record(&conf, 1);
    assert_eq!(
        chain(&spool)
            .iter()
            .filter(|e| e.event == "recorded")
            .count(),
        2,
        "recording is not held up by the TSA"
    );
    let tsa = Tsa::start_in(port, "reply", pki);
    wait_until(
        "the loop anchors once the TSA is up",
        Duration::from_secs(30),
        || chain(&spool).iter().any(|e| e.event == "anchored"),
        said,
    );
    let (ok, report) = verify(&spool, &conf);
    assert!(ok, "{report}");
    drop(tsa);
}

/// A child process killed when the test ends, passed or not.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The access trail has its own chain: each anchor first records its head
/// in the audit chain, so a trail rewritten or cut before it is named.
#[test]
fn the_access_trail_is_fixed_by_the_anchors_too() {
    let tsa = Tsa::start("reply");
    let tmp = tempfile::tempdir().unwrap();
    let spool = tmp.path().join("spool");
    let conf = write_conf(tmp.path(), &spool, &tsa.url(), &tsa.ca(), "10m");
    record(&conf, 1);
    let trail = layout::access_log(&spool);
    let access = |user: &str| {
        let note = format!(
            r#"{{"user":"{user}","role":"agent","what":"in","client":"127.0.0.1","pbx":"a"}}"#
        );
        legrec::audit::append(&trail, Entry::new("played", "r", "p", vec![], &note), 0o640)
            .unwrap();
    };
    access("alice");
    access("bob");
    assert!(anchor_once(&conf).status.success());
    let entries = chain(&spool);
    let recorded = &entries[entries.len() - 2];
    assert_eq!(recorded.event, "trail");
    assert!(recorded.note.contains("\"seq\":2"), "{}", recorded.note);
    // Only the access trail grew: due again.
    access("carol");
    let o = anchor_once(&conf);
    assert!(text(&o).contains("anchored entry"), "{}", text(&o));
    let (ok, report) = verify(&spool, &conf);
    assert!(ok, "{report}");
    assert!(
        report.contains("access.jsonl (chain intact, 3 access(es))"),
        "{report}"
    );

    // Bob's play removed and the trail re-chained: named.
    let lines: Vec<Entry> = legrec::audit::verify_chain(&trail).unwrap();
    let mut kept: Vec<Entry> = vec![lines[0].clone(), lines[2].clone()];
    kept[1].seq = 2;
    kept[1].prev = kept[0].hash.clone();
    kept[1].hash = kept[1].digest();
    let write = |es: &[Entry]| {
        let text: String = es
            .iter()
            .map(|e| serde_json::to_string(e).unwrap() + "\n")
            .collect();
        std::fs::write(&trail, text).unwrap();
    };
    write(&kept);
    let (ok, report) = verify(&spool, &conf);
    assert!(!ok, "{report}");
    assert!(
        report.contains("recorded access trail entry 2 as") && report.contains("was rewritten"),
        "{report}"
    );
    // Cut to its first entry: named too.
    write(&lines[..1]);
    let (ok, report) = verify(&spool, &conf);
    assert!(!ok, "{report}");
    assert!(
        report.contains("the access trail ends at entry 1"),
        "{report}"
    );
}
