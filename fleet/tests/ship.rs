//! `legrec ship` against a real SeaweedFS (scripts/seaweedfs: master, two
//! volume servers, filer, S3 gateway): what lands in the bucket, checked
//! with the AWS SDK and SHA-256 of what comes back; the store down and back;
//! kill -9 mid-upload; a corrupted object; two shippers; bad credentials and
//! a missing bucket; the index rebuilt from the bucket; local copies removed
//! after verification.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use sha2::{Digest, Sha256};

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn make_bucket(sw: &Seaweed, name: &str) {
    rt().block_on(async { sw.client().create_bucket().bucket(name).send().await })
        .expect("bucket created");
}

/// Every recording's object in `bucket`: key -> SHA-256 of its bytes as
/// read back.  The chain's copy (`.chains/`, tests/chains.rs) is left
/// out: it is the record of what happened to these, and stays.
fn objects(sw: &Seaweed, bucket: &str) -> BTreeMap<String, String> {
    rt().block_on(async {
        let c = sw.client();
        let list = c.list_objects_v2().bucket(bucket).send().await.unwrap();
        let mut out = BTreeMap::new();
        for o in list.contents() {
            let key = o.key().unwrap().to_string();
            if key.contains("/.chains/") {
                continue;
            }
            let body = c
                .get_object()
                .bucket(bucket)
                .key(&key)
                .send()
                .await
                .unwrap();
            let bytes = body.body.collect().await.unwrap().into_bytes();
            out.insert(key, legrec::hex(&Sha256::digest(&bytes)));
        }
        out
    })
}

fn unfinished_uploads(sw: &Seaweed, bucket: &str) -> usize {
    rt().block_on(async {
        sw.client()
            .list_multipart_uploads()
            .bucket(bucket)
            .send()
            .await
            .unwrap()
            .uploads()
            .len()
    })
}

/// The files every recording under `spool` has (relative path -> SHA-256),
/// as the sidecars say, and the sidecars' own.
fn expected(spool: &Path, prefix: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for sc in legrec::spool::layout::sidecars(spool) {
        let bytes = std::fs::read(&sc).unwrap();
        let s: legrec::sidecar::Sidecar = serde_json::from_slice(&bytes).unwrap();
        let rel = |p: &Path| {
            format!(
                "{prefix}/{}",
                p.strip_prefix(spool).unwrap().to_string_lossy()
            )
        };
        for l in &s.legs {
            out.insert(rel(&sc.parent().unwrap().join(&l.file)), l.sha256.clone());
        }
        out.insert(rel(&sc), legrec::hex(&Sha256::digest(&bytes)));
    }
    out
}

fn chain(spool: &Path, event: &str) -> Vec<legrec::audit::Entry> {
    legrec::audit::verify_chain(&legrec::spool::layout::audit_log(spool))
        .expect("the chain is whole")
        .into_iter()
        .filter(|e| e.event == event)
        .collect()
}

fn shipper(conf: &Path, extra_env: &[(&str, &str)]) -> Child {
    let mut c = Command::new(env!("CARGO_BIN_EXE_legrec-fleet"));
    c.args([
        "ship",
        "--config",
        conf.to_str().unwrap(),
        "--interval",
        "1s",
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    for (k, v) in extra_env {
        c.env(k, v);
    }
    c.spawn().unwrap()
}

fn stop(mut child: Child) -> String {
    // SAFETY: signalling a child of ours by its pid.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        assert!(
            Instant::now() < deadline,
            "the shipper did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "the shipper's exit: {:?}", out.status);
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn calls() -> Vec<Call> {
    vec![
        Call::new("5551001", "sales", Some("alice")),
        Call::new("5551002", "support", Some("bob")),
        Call::new("5551003", "sales", None),
    ]
}

struct Site {
    tmp: tempfile::TempDir,
    spool: std::path::PathBuf,
    conf: std::path::PathBuf,
}

fn site(sw: &Seaweed, bucket: &str, extra: &str, calls: &[Call]) -> Site {
    let tmp = tempfile::tempdir().unwrap();
    let spool = tmp.path().join("spool");
    record(&spool, calls);
    let conf = write_conf(
        tmp.path(),
        &spool,
        &format!("{}pbx_name = pbx-a\n{extra}", sw.storage(bucket, "site-a")),
    );
    Site { tmp, spool, conf }
}

#[test]
fn ships_verifies_indexes_and_chains_each_recording_once() {
    let sw = Seaweed::start();
    make_bucket(&sw, "recordings");
    let s = site(&sw, "recordings", "", &calls());
    let conf = s.conf.to_str().unwrap();
    let out = fleet(&["ship", "--config", conf, "--once"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("shipped 3 recording(s), 0 not"), "{err}");
    // In the bucket: exactly the files, byte for byte, under
    // PREFIX/<policy>/<day>/.
    let want = expected(&s.spool, "site-a");
    assert_eq!(want.len(), 3 * 4, "three legs files and a sidecar each");
    assert_eq!(objects(&sw, "recordings"), want);
    assert!(want.keys().all(|k| k.starts_with("site-a/p/20")));
    // Chained, indexed with the object keys, and verify is content.
    let shipped = chain(&s.spool, "shipped");
    assert_eq!(shipped.len(), 3);
    assert!(shipped[0]
        .note
        .contains("verified in s3://recordings: site-a/p/"));
    assert_eq!(verify_spool(&s.spool).0, 0, "{}", verify_spool(&s.spool).1);
    let found = fleet_ok(&["search", "--config", conf, "--json", "--queue", "sales"]);
    let v: serde_json::Value = serde_json::from_str(&found).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2);
    assert!(v
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["location"] == "s3://recordings"));
    // Again: nothing twice, in the bucket or the chain.
    let out = fleet(&["ship", "--config", conf, "--once"]);
    assert!(out.status.success());
    assert_eq!(objects(&sw, "recordings").len(), 12);
    assert_eq!(chain(&s.spool, "shipped").len(), 3);
    // Every volume is on both volume servers (replication 001).
    let status: serde_json::Value = serde_json::from_str(
        &String::from_utf8(
            Command::new("curl")
                .args([
                    "-s",
                    &format!("http://127.0.0.1:{}/vol/status", sw.port + 1),
                ])
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap(),
    )
    .unwrap();
    let rack = &status["Volumes"]["DataCenters"]["DefaultDataCenter"]["DefaultRack"];
    let servers: Vec<&serde_json::Value> = rack.as_object().unwrap().values().collect();
    assert_eq!(servers.len(), 2);
    let ids = |v: &serde_json::Value| {
        let mut ids: Vec<i64> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["Id"].as_i64().unwrap())
            .collect();
        ids.sort();
        ids
    };
    assert!(!ids(servers[0]).is_empty());
    assert_eq!(
        ids(servers[0]),
        ids(servers[1]),
        "each volume on both servers"
    );
}

#[test]
fn recordings_made_while_the_store_is_down_ship_when_it_returns() {
    // Its folder and ports, not started: down.  (A first start, rather than
    // a restart on old data, which takes SeaweedFS 30 s or more.)
    let sw = Seaweed::unstarted();
    let s = site(&sw, "recordings", "", &calls());
    let child = shipper(&s.conf, &[]);
    // Several passes fail meanwhile; the error is said once.
    std::thread::sleep(Duration::from_secs(4));
    record(&s.spool, &calls()[..1]);
    sw.restart();
    make_bucket(&sw, "recordings");
    let want = expected(&s.spool, "site-a");
    assert_eq!(want.len(), 16);
    let deadline = Instant::now() + Duration::from_secs(90);
    while chain(&s.spool, "shipped").len() < 4 {
        assert!(
            Instant::now() < deadline,
            "not shipped after the store came back"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let log = stop(child);
    assert_eq!(objects(&sw, "recordings"), want);
    assert_eq!(
        log.matches("the store does not answer").count(),
        1,
        "said once: {log}"
    );
    assert!(log.contains("the store answers again"), "{log}");
}

#[test]
fn kill_9_mid_upload_then_restart_leaves_each_file_once_and_no_parts() {
    let sw = Seaweed::start();
    make_bucket(&sw, "recordings");
    let mut big = Call::new("5559999", "sales", Some("alice"));
    big.noise = true;
    big.seconds = 400.0; // 6.4 MB a leg, 12.8 MB stereo: in 5 MB parts
    let s = site(
        &sw,
        "recordings",
        "multipart_mb = 5\nconcurrency = 1\n",
        &[big, calls()[0].clone()],
    );
    let mut child = shipper(&s.conf, &[("LEGREC_SHIP_STALL_AFTER_PART", "30")]);
    let ship_dir = s.spool.join(".ship");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let journal = std::fs::read_dir(&ship_dir)
            .into_iter()
            .flatten()
            .flatten()
            .any(|e| e.path().extension().is_some_and(|x| x == "uploads"));
        if journal {
            break;
        }
        assert!(Instant::now() < deadline, "no upload in parts began");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Let the first part land, then kill -9 in the stall after it.
    std::thread::sleep(Duration::from_secs(2));
    child.kill().unwrap();
    child.wait().unwrap();
    // Both legs and the stereo file go up in parts, at once.
    let left = unfinished_uploads(&sw, "recordings");
    assert!(left >= 1);
    let out = fleet(&["ship", "--config", s.conf.to_str().unwrap(), "--once"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains(&format!(
            "aborted {left} upload(s) in parts left unfinished"
        )),
        "{err}"
    );
    assert_eq!(unfinished_uploads(&sw, "recordings"), 0);
    assert_eq!(objects(&sw, "recordings"), expected(&s.spool, "site-a"));
    assert_eq!(chain(&s.spool, "shipped").len(), 2);
}

#[test]
fn a_corrupted_object_is_found_and_put_again_from_the_local_copy() {
    let sw = Seaweed::start();
    make_bucket(&sw, "recordings");
    let s = site(&sw, "recordings", "", &calls()[..1]);
    let conf = s.conf.to_str().unwrap();
    fleet_ok(&["ship", "--config", conf, "--once"]);
    let want = expected(&s.spool, "site-a");
    let victim = want
        .keys()
        .find(|k| k.ends_with("-in.flac"))
        .unwrap()
        .clone();
    rt().block_on(async {
        sw.client()
            .put_object()
            .bucket("recordings")
            .key(&victim)
            .body(b"not the recording".to_vec().into())
            .send()
            .await
    })
    .unwrap();
    assert_ne!(objects(&sw, "recordings"), want);
    let out = fleet(&["ship", "--config", conf, "--once", "--recheck"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains(&format!("{victim}: does not match its SHA-256")),
        "{err}"
    );
    assert_eq!(objects(&sw, "recordings"), want);
    let again = chain(&s.spool, "shipped");
    assert!(
        again.last().unwrap().note.contains("was corrupted"),
        "{:?}",
        again.last()
    );
    assert_eq!(verify_spool(&s.spool).0, 0, "the local copy is kept intact");
}

#[test]
fn two_shippers_on_one_spool_cannot_both_ship() {
    let sw = Seaweed::start();
    make_bucket(&sw, "recordings");
    let s = site(&sw, "recordings", "", &calls());
    let first = shipper(&s.conf, &[]);
    let deadline = Instant::now() + Duration::from_secs(30);
    while chain(&s.spool, "shipped").len() < 3 {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(200));
    }
    let out = fleet(&["ship", "--config", s.conf.to_str().unwrap(), "--once"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains(&format!(
            "another legrec ship is shipping {}",
            s.spool.display()
        )),
        "{err}"
    );
    stop(first);
    assert_eq!(chain(&s.spool, "shipped").len(), 3);
}

#[test]
fn wrong_credentials_or_no_bucket_is_one_clear_error_and_nothing_is_removed() {
    let sw = Seaweed::start();
    make_bucket(&sw, "recordings");
    let tmp = tempfile::tempdir().unwrap();
    let spool = tmp.path().join("spool");
    record(&spool, &calls()[..1]);
    let before = expected(&spool, "x");
    let storage = sw
        .storage("recordings", "site-a")
        .replace(SECRET, "not-the-secret");
    let conf = write_conf(
        tmp.path(),
        &spool,
        &format!("{storage}keep_local_days = 0\n"),
    );
    let out = fleet(&["ship", "--config", conf.to_str().unwrap(), "--once"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("check [storage] access_key and secret_key"),
        "{err}"
    );
    assert!(
        !err.contains("not-the-secret"),
        "the secret is never shown: {err}"
    );
    let conf = write_conf(
        tmp.path(),
        &spool,
        &format!("{}keep_local_days = 0\n", sw.storage("no-such-bucket", "")),
    );
    let child = shipper(&conf, &[]);
    std::thread::sleep(Duration::from_secs(5));
    let log = stop(child);
    assert_eq!(log.matches("no such bucket").count(), 1, "said once: {log}");
    assert!(log.contains("create the bucket"), "{log}");
    assert_eq!(expected(&spool, "x"), before, "nothing removed");
    assert_eq!(verify_spool(&spool).0, 0);
}

#[test]
fn the_index_rebuilds_from_the_bucket_and_local_copies_go_after_verification() {
    let sw = Seaweed::start();
    make_bucket(&sw, "recordings");
    let s = site(&sw, "recordings", "keep_local_days = 0\n", &calls());
    let conf = s.conf.to_str().unwrap();
    let want = expected(&s.spool, "site-a");
    let out = fleet(&["ship", "--config", conf, "--once"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("3 local cop(ies) removed"), "{err}");
    // Only the bucket has them now; the chain says so, verify agrees.
    assert!(legrec::spool::layout::sidecars(&s.spool).is_empty());
    assert_eq!(objects(&sw, "recordings"), want);
    assert_eq!(chain(&s.spool, "removed-local").len(), 3);
    assert_eq!(verify_spool(&s.spool).0, 0, "{}", verify_spool(&s.spool).1);
    // The index lost: rebuilt from the sidecars in the bucket.
    std::fs::remove_file(s.spool.join("index.sqlite")).unwrap();
    let out = fleet_ok(&["index", "rebuild", "--from-bucket", "--config", conf]);
    assert!(
        out.contains("indexed 3 recording(s) from s3://recordings"),
        "{out}"
    );
    let found = fleet_ok(&["search", "--config", conf, "--json", "--agent", "bob"]);
    let v: serde_json::Value = serde_json::from_str(&found).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!(v[0]["caller"], "5551002");
    assert_eq!(v[0]["pbx"], "pbx-a", "the PBX is in the objects' metadata");
    drop(s.tmp);
}

#[test]
fn prune_deletes_past_retention_from_the_bucket_the_spool_and_the_index() {
    let sw = Seaweed::start();
    make_bucket(&sw, "recordings");
    let tmp = tempfile::tempdir().unwrap();
    let spool = tmp.path().join("spool");
    record_with(&spool, &calls()[..2], &[("retention_days", "2")]);
    let conf = write_conf(
        tmp.path(),
        &spool,
        &format!("{}pbx_name = pbx-a\n", sw.storage("recordings", "site-a")),
    );
    let conf = conf.to_str().unwrap();
    fleet_ok(&["ship", "--config", conf, "--once"]);
    // One more, never shipped: pruned from the spool alone.
    record_with(&spool, &calls()[2..], &[("retention_days", "2")]);
    fleet_ok(&["index", "--config", conf]);
    assert_eq!(objects(&sw, "recordings").len(), 8);
    let now = |days: u64| {
        humantime::format_rfc3339_seconds(
            std::time::SystemTime::now() + Duration::from_secs(days * 86_400),
        )
        .to_string()
    };
    let out = fleet_ok(&["prune", "--config", conf, "--now", &now(1)]);
    assert!(out.contains("0 recording(s) pruned"), "{out}");
    let out = fleet_ok(&["prune", "--config", conf, "--now", &now(3)]);
    assert!(out.contains("3 recording(s) pruned"), "{out}");
    assert!(objects(&sw, "recordings").is_empty());
    assert!(legrec::spool::layout::sidecars(&spool).is_empty());
    let pruned = chain(&spool, "pruned");
    assert_eq!(pruned.len(), 3);
    assert_eq!(
        pruned
            .iter()
            .filter(|e| e.note.contains("deleted from s3://recordings: site-a/p/"))
            .count(),
        2
    );
    let found = fleet_ok(&["search", "--config", conf, "--json"]);
    assert_eq!(found.trim(), "[]", "the index forgot them");
    assert_eq!(verify_spool(&spool).0, 0, "{}", verify_spool(&spool).1);
}

/// A legal hold keeps a recording through keep_local_days (its spool
/// copy stays) and through retention with a bucket (its objects, spool
/// files and index row stay), and each says which hold.
#[test]
fn a_held_recording_survives_keep_local_days_and_prune_with_a_bucket() {
    let sw = Seaweed::start();
    make_bucket(&sw, "recordings");
    let tmp = tempfile::tempdir().unwrap();
    let spool = tmp.path().join("spool");
    let sidecars = record_with(&spool, &calls()[..2], &[("retention_days", "2")]);
    let held_id = legrec::admin::read_sidecar(&sidecars[0]).unwrap().id;
    let free_id = legrec::admin::read_sidecar(&sidecars[1]).unwrap().id;
    let hold = hold(&spool, &held_id, "case 42");
    let conf = write_conf(
        tmp.path(),
        &spool,
        &format!(
            "{}pbx_name = pbx-a\nkeep_local_days = 0\n",
            sw.storage("recordings", "site-a")
        ),
    );
    let conf = conf.to_str().unwrap();
    let out = fleet(&["ship", "--config", conf, "--once"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("1 local cop(ies) removed"), "{err}");
    assert!(
        err.contains(&format!(
            "kept the local copy of {held_id}: under legal hold {}",
            hold.name
        )),
        "{err}"
    );
    assert!(sidecars[0].exists(), "the held copy stays");
    assert!(!sidecars[1].exists());
    assert_eq!(objects(&sw, "recordings").len(), 8);

    let later = humantime::format_rfc3339_seconds(
        std::time::SystemTime::now() + Duration::from_secs(3 * 86_400),
    )
    .to_string();
    let out = fleet_ok(&["prune", "--config", conf, "--now", &later]);
    assert!(out.contains("1 recording(s) pruned"), "{out}");
    assert!(
        out.contains(&format!("kept {held_id}: under legal hold {}", hold.name))
            && out.contains("by alice: case 42"),
        "{out}"
    );
    let left = objects(&sw, "recordings");
    assert_eq!(left.len(), 4, "{left:?}");
    assert!(left.keys().all(|k| k.contains(&held_id)), "{left:?}");
    assert!(sidecars[0].exists());
    let found = fleet_ok(&["search", "--config", conf, "--json"]);
    assert!(
        found.contains(&held_id) && !found.contains(&free_id),
        "{found}"
    );
    assert_eq!(chain(&spool, "pruned").len(), 1);
    assert_eq!(verify_spool(&spool).0, 0, "{}", verify_spool(&spool).1);

    // Released, it goes at the next prune.
    release(&spool, &hold.name);
    let out = fleet_ok(&["prune", "--config", conf, "--now", &later]);
    assert!(out.contains("1 recording(s) pruned"), "{out}");
    assert!(objects(&sw, "recordings").is_empty());
}
