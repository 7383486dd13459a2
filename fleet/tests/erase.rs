//! `legrec erase --config FILE` of shipped recordings against a real
//! SeaweedFS (scripts/seaweedfs) and a real index (PostgreSQL from
//! scripts/postgres, or the spool's SQLite): the audio objects leave the
//! bucket, the spool and the index; the scrubbed sidecar stays in all
//! three; the chain says "erasing" before and "erased" after and still
//! verifies; a legal hold refuses it; a bucket that is down leaves the
//! intent chained and nothing lost, and the next run finishes it.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;
use legrec::spool::layout;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Every recording's object of `bucket`: key -> its bytes (the chain's
/// copy, `.chains/`, left out: tests/chains.rs).
fn objects(sw: &Seaweed, bucket: &str) -> BTreeMap<String, Vec<u8>> {
    rt().block_on(async {
        let c = sw.client();
        let list = c.list_objects_v2().bucket(bucket).send().await.unwrap();
        let mut out = BTreeMap::new();
        for o in list.contents() {
            let key = o.key().unwrap().to_string();
            if key.contains("/.chains/") {
                continue;
            }
            let got = c.get_object().bucket(bucket).key(&key).send().await;
            let bytes = got.unwrap().body.collect().await.unwrap().into_bytes();
            out.insert(key, bytes.to_vec());
        }
        out
    })
}

fn keys_of(objects: &BTreeMap<String, Vec<u8>>, id: &str) -> Vec<String> {
    objects.keys().filter(|k| k.contains(id)).cloned().collect()
}

fn chain(spool: &Path) -> Vec<legrec::audit::Entry> {
    legrec::audit::verify_chain(&layout::audit_log(spool)).expect("the chain is whole")
}

/// The index's file rows of recording `id` (names: in, out, stereo,
/// sidecar) and its caller, read by the fleet's own Index.
fn indexed(url: &str, id: &str) -> (Vec<String>, String) {
    rt().block_on(async {
        let index = legrec_fleet::index::Index::open(url).await.unwrap();
        let r = index
            .get("pbx-a", id)
            .await
            .unwrap()
            .expect("still indexed");
        (
            r.files.iter().map(|f| f.name.clone()).collect(),
            r.summary.caller.clone(),
        )
    })
}

fn calls() -> Vec<Call> {
    vec![
        Call::new("5551001", "sales", Some("alice")),
        Call::new("5551002", "support", Some("bob")),
        Call::new("5551003", "sales", None),
    ]
}

#[test]
fn a_shipped_recording_is_erased_from_the_bucket_the_spool_and_the_index() {
    let sw = Seaweed::with_bucket("rec");
    let pg = Postgres::start();
    let tmp = tempfile::tempdir().unwrap();
    let spool = tmp.path().join("spool");
    let sidecars = record(&spool, &calls());
    let ids: Vec<String> = sidecars
        .iter()
        .map(|s| legrec::admin::read_sidecar(s).unwrap().id)
        .collect();
    // The second is held: its local copy outlives keep_local_days = 0,
    // the others' go once shipped (their sidecars then come from the bucket).
    let hold = hold(&spool, &ids[1], "case 7");
    let conf = write_conf(
        tmp.path(),
        &spool,
        &format!(
            "{}pbx_name = pbx-a\nkeep_local_days = 0\nindex = {}\n",
            sw.storage("rec", "site-a"),
            pg.url
        ),
    );
    let conf = conf.to_str().unwrap();
    let out = fleet(&["ship", "--config", conf, "--once"]);
    assert!(out.status.success(), "{out:?}");
    assert!(
        !sidecars[0].exists() && sidecars[1].exists(),
        "keep_local_days = 0 removed the first's sidecar, the hold kept the second's: {out:?}"
    );
    let shipped = objects(&sw, "rec");
    assert_eq!(shipped.len(), 12, "{:?}", shipped.keys());

    // Under the hold: refused, and the error says which hold.
    let out = fleet(&["erase", &ids[1], "--config", conf, "--reason", "art. 17"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{out:?}");
    assert!(
        err.contains(&format!(
            "{}: refused, under legal hold {}",
            ids[1], hold.name
        )),
        "{err}"
    );
    let kept = keys_of(&objects(&sw, "rec"), &ids[1]);
    assert_eq!(kept.len(), 4, "{kept:?}");
    assert!(!chain(&spool).iter().any(|e| e.event == "erasing"));

    // Kept only in the bucket (its local copy removed): erased there.
    let out = fleet_ok(&[
        "erase",
        &ids[0],
        "--config",
        conf,
        "--reason",
        "ticket 99: the caller asked",
    ]);
    assert!(out.contains(&format!("erased {}", ids[0])), "{out}");
    let left = objects(&sw, "rec");
    let keys = keys_of(&left, &ids[0]);
    assert_eq!(keys.len(), 1, "only the sidecar stays: {keys:?}");
    assert!(keys[0].ends_with(".json"));
    let sc: legrec::sidecar::Sidecar = serde_json::from_slice(&left[&keys[0]]).unwrap();
    assert_eq!(sc.status, "erased");
    assert_eq!(sc.caller.number, "erased");
    assert!(sc.legs.is_empty(), "{:?}", sc.legs);
    assert_eq!(
        keys_of(&left, &ids[2]).len(),
        4,
        "the others stay: {:?}",
        left.keys()
    );
    assert!(
        sidecars[0].exists(),
        "the scrubbed sidecar is kept here too"
    );
    assert_eq!(
        indexed(&pg.url, &ids[0]),
        (vec!["sidecar".to_string()], "erased".to_string())
    );
    let found = fleet_ok(&["search", "--config", conf, "--json", "--caller", "5551001"]);
    assert_eq!(found.trim(), "[]");

    // Released, the held one goes too (from its local copy).
    release(&spool, &hold.name);
    fleet_ok(&["erase", &ids[1], "--config", conf, "--reason", "art. 17"]);
    let left = objects(&sw, "rec");
    assert_eq!(keys_of(&left, &ids[1]).len(), 1, "{:?}", left.keys());
    let dir = sidecars[1].parent().unwrap();
    assert!(
        !std::fs::read_dir(dir).unwrap().flatten().any(|f| f
            .file_name()
            .to_string_lossy()
            .ends_with(".flac")
            && f.file_name().to_string_lossy().contains(&ids[1])),
        "the spool's audio went"
    );
    assert_eq!(indexed(&pg.url, &ids[1]).0, vec!["sidecar".to_string()]);
    let out = fleet(&["erase", &ids[1], "--config", conf, "--reason", "again"]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("erased already"),
        "{out:?}"
    );

    // The chain: each intent before its tombstone, the objects named.
    let entries = chain(&spool);
    for id in &ids[..2] {
        let intent = entries
            .iter()
            .find(|e| e.event == "erasing" && &e.id == id)
            .expect("intent");
        let tomb = entries
            .iter()
            .find(|e| e.event == "erased" && &e.id == id)
            .expect("tombstone");
        assert!(intent.seq < tomb.seq);
        assert!(
            tomb.note.contains("s3") || tomb.note.contains("site-a/p/"),
            "{}",
            tomb.note
        );
        assert!(tomb.note.contains(".flac"), "{}", tomb.note);
    }
    let (failures, said) = verify_spool(&spool);
    assert_eq!(failures, 0, "{said}");
}

#[test]
fn a_bucket_down_leaves_the_erasure_chained_and_the_next_run_finishes_it() {
    let sw = Seaweed::with_bucket("rec");
    let tmp = tempfile::tempdir().unwrap();
    let spool = tmp.path().join("spool");
    let sidecars = record(&spool, &calls()[..1]);
    let id = legrec::admin::read_sidecar(&sidecars[0]).unwrap().id;
    let conf = write_conf(
        tmp.path(),
        &spool,
        &format!("{}pbx_name = pbx-a\n", sw.storage("rec", "site-a")),
    );
    let conf = conf.to_str().unwrap();
    fleet_ok(&["ship", "--config", conf, "--once"]);
    let before: Vec<_> = std::fs::read_dir(sidecars[0].parent().unwrap())
        .unwrap()
        .flatten()
        .map(|f| f.path())
        .collect();

    sw.stop();
    let out = fleet(&["erase", &id, "--config", conf, "--reason", "art. 17"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{out:?}");
    assert!(err.contains("is the store running?"), "{err}");
    let intent = chain(&spool)
        .into_iter()
        .find(|e| e.event == "erasing")
        .expect("the intent is chained");
    assert!(
        err.contains(&format!("chained (entry {})", intent.seq))
            && err.contains("the next `legrec erase --config FILE` finishes it"),
        "{err}"
    );
    assert!(!chain(&spool).iter().any(|e| e.event == "erased"));
    for f in &before {
        assert!(f.exists(), "nothing lost here: {}", f.display());
    }
    let (failures, said) = verify_spool(&spool);
    assert_eq!(failures, 0, "{said}");

    sw.restart();
    let out = fleet_ok(&["erase", "--config", conf]);
    assert!(
        out.contains(&format!(
            "erased {id} (finished what entry {} intended",
            intent.seq
        )),
        "{out}"
    );
    let left = objects(&sw, "rec");
    assert_eq!(keys_of(&left, &id).len(), 1, "{:?}", left.keys());
    let tombs: Vec<_> = chain(&spool)
        .into_iter()
        .filter(|e| e.event == "erased")
        .collect();
    assert_eq!(tombs.len(), 1);
    assert!(tombs[0].note.contains("art. 17"), "{}", tombs[0].note);
    let found = fleet_ok(&["search", "--config", conf, "--json"]);
    assert!(
        found.contains(&id) && !found.contains("5551001"),
        "the index keeps the scrubbed row: {found}"
    );
    let (failures, said) = verify_spool(&spool);
    assert_eq!(failures, 0, "{said}");
}
