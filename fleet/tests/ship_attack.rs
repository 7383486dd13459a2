//! `legrec ship` and `legrec index` against a spool someone else wrote
//! into: a crafted sidecar naming files outside the spool, symlink loops.
//! Real shipper, real SeaweedFS; each test failed before its bound.

mod common;

use std::time::{Duration, Instant};

use common::*;
use sha2::{Digest, Sha256};

#[test]
fn a_crafted_sidecar_cannot_ship_or_delete_outside_the_spool() {
    let sw = Seaweed::start();
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        sw.client()
            .create_bucket()
            .bucket("recordings")
            .send()
            .await
            .unwrap();
    });
    let dir = tempfile::tempdir().unwrap();
    let spool = dir.path().join("spool");
    let sidecars = record(
        &spool,
        &[
            Call::new("5551001", "sales", Some("alice")),
            Call::new("5551002", "sales", Some("bob")),
        ],
    );
    // Files the spool's writer must never reach through the shipper, each
    // named by one crafted sidecar: up the tree, and by absolute path.
    let depth = sidecars[0]
        .parent()
        .unwrap()
        .strip_prefix(dir.path())
        .unwrap()
        .components()
        .count();
    let targets = [
        (
            dir.path().join("secret.key"),
            format!("{}secret.key", "../".repeat(depth)),
        ),
        (
            dir.path().join("other.key"),
            dir.path().join("other.key").display().to_string(),
        ),
    ];
    for (sidecar, (outside, named)) in sidecars.iter().zip(&targets) {
        std::fs::write(outside, b"not a recording").unwrap();
        let sha = legrec::hex(&Sha256::digest(b"not a recording"));
        // The sidecar rewritten: its `in` leg is that file, hash and all.
        let mut sc: serde_json::Value =
            serde_json::from_slice(&std::fs::read(sidecar).unwrap()).unwrap();
        for leg in sc["legs"].as_array_mut().unwrap() {
            if leg["name"] == "in" {
                leg["file"] = named.clone().into();
                leg["sha256"] = sha.clone().into();
            }
        }
        std::fs::write(sidecar, serde_json::to_vec(&sc).unwrap()).unwrap();
    }
    let conf = write_conf(
        dir.path(),
        &spool,
        &format!(
            "{}keep_local_days = 0\npbx_name = pbx-a",
            sw.storage("recordings", "site")
        ),
    );
    let out = fleet(&["ship", "--config", conf.to_str().unwrap(), "--once"]);
    let log = String::from_utf8_lossy(&out.stderr);
    for (outside, _) in &targets {
        assert!(
            outside.is_file(),
            "the shipper deleted {} outside the spool: {log}",
            outside.display()
        );
    }
    let keys: Vec<String> = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let list = sw
            .client()
            .list_objects_v2()
            .bucket("recordings")
            .send()
            .await
            .unwrap();
        list.contents()
            .iter()
            .map(|o| o.key().unwrap().to_string())
            .collect()
    });
    assert!(
        !keys.iter().any(|k| k.contains(".key")),
        "a file outside the spool was uploaded: {keys:?}"
    );
    assert!(log.contains("not a file of its own folder"), "{log}");
}

#[test]
fn symlink_loops_in_the_spool_are_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let spool = dir.path().join("spool");
    record(&spool, &[Call::new("5551001", "sales", Some("alice"))]);
    // Links back up the tree: followed, every path doubles at each level.
    for name in ["a", "b", "c"] {
        std::os::unix::fs::symlink("..", spool.join("p").join(name)).unwrap_or_else(|_| {
            std::os::unix::fs::symlink("..", spool.join(name)).unwrap();
        });
        std::os::unix::fs::symlink(".", spool.join(format!("{name}{name}"))).unwrap();
    }
    let conf = write_conf(dir.path(), &spool, "pbx_name = pbx-a");
    let start = Instant::now();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_legrec-fleet"))
        .args(["index", "--config", conf.to_str().unwrap()])
        .spawn()
        .unwrap();
    let mut done = None;
    while start.elapsed() < Duration::from_secs(30) {
        if let Some(status) = child.try_wait().unwrap() {
            done = Some(status);
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    let status = done.expect("legrec index still walking symlink loops after 30 s");
    assert!(status.success());
    assert_eq!(legrec::spool::layout::sidecars(&spool).len(), 1);
}
