//! The chain copied to the bucket (real SeaweedFS): the shipper puts what
//! the spool's audit chain gained since its last segment, byte for byte,
//! so an erasure's tombstone is on record outside the PBX; and `legrec
//! verify PATH --config FILE` names the first entry of a chain rewritten
//! or cut behind its copy, with no anchor at all, where the spool's own
//! check passes.  The shipper refuses to copy on from such a chain.  The
//! browser's access trail goes the same way.

mod common;

use std::path::Path;

use common::*;
use legrec::audit::Entry;
use legrec::spool::layout;

/// The bucket's segments of `chain` (audit, access), in order: key ->
/// bytes.
fn segments(sw: &Seaweed, chain: &str) -> Vec<(String, Vec<u8>)> {
    segments_of(sw, "pbx-a", chain)
}

/// The segments of `chain` in the folder of the PBX whose name is
/// `folder` once encoded.
fn segments_of(sw: &Seaweed, folder: &str, chain: &str) -> Vec<(String, Vec<u8>)> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let c = sw.client();
            let list = c
                .list_objects_v2()
                .bucket("rec")
                .prefix(format!("site-a/.chains/{folder}/{chain}/"))
                .send()
                .await
                .unwrap();
            let mut out = Vec::new();
            for o in list.contents() {
                let key = o.key().unwrap().to_string();
                let got = c.get_object().bucket("rec").key(&key).send().await;
                let bytes = got.unwrap().body.collect().await.unwrap().into_bytes();
                out.push((key, bytes.to_vec()));
            }
            out
        })
}

fn delete(sw: &Seaweed, key: &str) {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(sw.client().delete_object().bucket("rec").key(key).send())
        .unwrap();
}

/// The shipper's note of what it copied of the audit chain.
fn audit_note(spool: &Path) -> std::path::PathBuf {
    std::fs::read_dir(layout::ship_dir(spool).join("copied"))
        .unwrap()
        .flatten()
        .map(|d| d.path().join("last"))
        .find(|p| std::fs::read_to_string(p).is_ok_and(|t| t.contains("/audit/")))
        .expect("a note of the audit chain's copy")
}

fn entries_in(bytes: &[u8]) -> Vec<Entry> {
    bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect()
}

/// The forger, holding the spool: the chain written again from `entries`
/// (seq, prev and hash made to link).
fn rechain(spool: &Path, entries: Vec<Entry>) {
    let log = layout::audit_log(spool);
    std::fs::remove_file(&log).unwrap();
    legrec::audit::append_all(&log, entries, 0o640).unwrap();
}

fn ship(conf: &str) -> (bool, String) {
    let out = fleet(&["ship", "--config", conf, "--once"]);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_chain_goes_to_the_bucket_and_a_rewrite_or_cut_behind_it_is_named() {
    let sw = Seaweed::with_bucket("rec");
    let tmp = tempfile::tempdir().unwrap();
    let spool = tmp.path().join("spool");
    let log = layout::audit_log(&spool);
    let sidecars = record(
        &spool,
        &[
            Call::new("5551001", "sales", Some("alice")),
            Call::new("5551002", "support", Some("bob")),
        ],
    );
    let conf = write_conf(
        tmp.path(),
        &spool,
        &format!("{}pbx_name = pbx-a\n", sw.storage("rec", "site-a")),
    );
    let conf = conf.to_str().unwrap();
    // A listen, in the browser's access trail (fleet/src/web/trail.rs).
    let id = legrec::admin::read_sidecar(&sidecars[0]).unwrap().id;
    let trail = layout::access_log(&spool);
    legrec::audit::append(
        &trail,
        Entry::new("played", &id, "p", Vec::new(), r#"{"by":"alice"}"#),
        0o640,
    )
    .unwrap();

    // Shipped: the chains as they were at the pass's end, byte for byte.
    let (ok, err) = ship(conf);
    assert!(ok, "{err}");
    let whole = std::fs::read(&log).unwrap();
    let n = entries_in(&whole).len();
    assert!(
        err.contains(&format!("{} chain entr(ies) copied", n + 1)),
        "{err}"
    );
    let segs = segments(&sw, "audit");
    assert_eq!(
        segs.len(),
        1,
        "{:?}",
        segs.iter().map(|s| &s.0).collect::<Vec<_>>()
    );
    assert_eq!(
        segs[0].0,
        format!("site-a/.chains/pbx-a/audit/0000000001-{n:010}.jsonl")
    );
    assert_eq!(segs[0].1, whole);
    let stale = std::fs::read(audit_note(&spool)).unwrap();
    let (ok, said) = verify_with_bucket(&spool, conf);
    assert!(ok, "{said}");
    assert!(
        said.contains(&format!(
            "its first {n} entries are as copied to s3://rec/site-a/.chains/pbx-a/audit, 1 segment(s)"
        )),
        "{said}"
    );
    let listens = segments(&sw, "access");
    assert_eq!(
        listens,
        vec![(
            "site-a/.chains/pbx-a/access/0000000001-0000000001.jsonl".to_string(),
            std::fs::read(&trail).unwrap()
        )]
    );
    assert!(
        said.contains(&format!(
            "OK   {} (its first 1 entries are as copied to s3://rec/site-a/.chains/pbx-a/access",
            trail.display()
        )),
        "{said}"
    );

    // A second PBX of the fleet under the same prefix: its chain, whose
    // seqs overlap this one's, goes beside it, and both verify.  Its name
    // has a space, which its folder's key carries encoded.
    let b = tmp.path().join("b");
    std::fs::create_dir_all(&b).unwrap();
    let spool_b = b.join("spool");
    record(&spool_b, &[Call::new("5551009", "sales", None)]);
    let conf_b = write_conf(
        &b,
        &spool_b,
        &format!("{}pbx_name = pbx b\n", sw.storage("rec", "site-a")),
    );
    let conf_b = conf_b.to_str().unwrap();
    let (ok, err) = ship(conf_b);
    assert!(ok, "{err}");
    assert_eq!(segments_of(&sw, "pbx%20b", "audit").len(), 1);
    for (spool, conf) in [(&spool, conf), (&spool_b, conf_b)] {
        let (ok, said) = verify_with_bucket(spool, conf);
        assert!(ok && said.contains("1 segment(s)"), "{said}");
    }

    // An erasure: its intent and tombstone reach the bucket on the next
    // pass, in a segment of their own.
    fleet_ok(&["erase", &id, "--config", conf, "--reason", "ticket 99"]);
    let (ok, err) = ship(conf);
    assert!(ok, "{err}");
    let segs = segments(&sw, "audit");
    assert_eq!(segs.len(), 2);
    let second = entries_in(&segs[1].1);
    assert_eq!(
        second[0].seq,
        n as u64 + 1,
        "it goes on where the first ended"
    );
    assert!(
        second
            .iter()
            .any(|e| e.event == "erased" && e.id == id && e.note.contains("ticket 99")),
        "the tombstone is in the bucket: {second:?}"
    );

    // A put that landed but whose note was not written (a crash, a full
    // disk): the next pass puts those entries again in a segment that
    // overlaps, and the copy still checks, as the same entries twice.
    std::fs::write(audit_note(&spool), &stale).unwrap();
    record(&spool, &[Call::new("5551003", "sales", None)]);
    let (ok, err) = ship(conf);
    assert!(ok, "{err}");
    let segs = segments(&sw, "audit");
    assert_eq!(segs.len(), 3);
    assert!(
        segs[2].0.contains(&format!("/{:010}-", n + 1)),
        "{:?}",
        segs.iter().map(|s| &s.0).collect::<Vec<_>>()
    );
    let (ok, said) = verify_with_bucket(&spool, conf);
    assert!(ok, "{said}");

    // The notes lost: the bucket's last segment says where to go on, and
    // nothing is copied twice.
    std::fs::remove_dir_all(layout::ship_dir(&spool).join("copied")).unwrap();
    record(&spool, &[Call::new("5551005", "sales", None)]);
    let (ok, err) = ship(conf);
    assert!(ok, "{err}");
    let segs = segments(&sw, "audit");
    assert_eq!(segs.len(), 4);
    let last_before = entries_in(&segs[2].1).last().unwrap().seq;
    assert_eq!(entries_in(&segs[3].1)[0].seq, last_before + 1);
    let mut tail = segs[2].1.clone();
    tail.extend(&segs[3].1);
    assert!(
        std::fs::read(&log).unwrap().ends_with(&tail),
        "the last copies, end to end, are the chain's end"
    );
    let (ok, said) = verify_with_bucket(&spool, conf);
    assert!(ok, "{said}");
    let original = legrec::audit::verify_chain(&log).unwrap();

    // Rewritten by whoever holds the spool: the second call's entry
    // changed, the chain relinked.  The spool alone cannot tell; the
    // copy names the entry, and the shipper copies nothing more.
    let mut forged = original.clone();
    let target = forged
        .iter_mut()
        .find(|e| e.event == "recorded" && e.id != id)
        .expect("the second call's entry");
    let seq = target.seq;
    target.note = format!("{} (forged)", target.note);
    rechain(&spool, forged);
    let (failures, said) = verify_spool(&spool);
    assert_eq!(failures, 0, "the spool alone passes: {said}");
    let (ok, said) = verify_with_bucket(&spool, conf);
    assert!(!ok, "{said}");
    assert!(
        said.contains(&format!("FAIL {}: entry {seq} (recorded ", log.display()))
            && said.contains(&format!(
                "is not what was copied to s3://rec/{} at ",
                segs[0].0
            ))
            && said.contains("the chain was rewritten from there"),
        "{said}"
    );
    record(&spool, &[Call::new("5551004", "sales", None)]);
    let (ok, err) = ship(conf);
    assert!(!ok, "{err}");
    assert!(
        err.contains("is no longer what was copied to s3://rec/site-a/.chains/pbx-a/audit/")
            && err.contains("1 chain(s) not copied"),
        "{err}"
    );
    assert!(
        err.contains("shipped 1 recording(s), 0 not"),
        "recordings still ship: {err}"
    );
    assert_eq!(
        segments(&sw, "audit").len(),
        4,
        "nothing copied on from a rewritten chain"
    );

    // Cut: the chain ended before the erasure (the forger's way to undo
    // the tombstone; anchors.rs shows the spool alone passing a cut).
    rechain(&spool, original.into_iter().take(n).collect());
    let (ok, said) = verify_with_bucket(&spool, conf);
    assert!(!ok, "{said}");
    assert!(
        said.contains(&format!(
            "but the chain ends at entry {n}: its tail was cut"
        )),
        "{said}"
    );

    // A segment removed from the bucket: the copy itself says so.
    delete(&sw, &segs[0].0);
    let (ok, said) = verify_with_bucket(&spool, conf);
    assert!(!ok, "{said}");
    assert!(
        said.contains(&format!(
            "entries 1 to {n} are missing from s3://rec/site-a/.chains/pbx-a/audit: a segment removed from the bucket"
        )),
        "{said}"
    );
    // And all of it: the shipper's note says there was a copy.
    for (key, _) in &segs[1..] {
        delete(&sw, key);
    }
    let (ok, said) = verify_with_bucket(&spool, conf);
    assert!(
        !ok && said.contains("but no segment is there: removed from the bucket"),
        "{said}"
    );
}
