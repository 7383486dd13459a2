//! A data subject's access and erasure through the `legrec` tool, on a
//! spool the core recorded and OpenSSL's TSA anchored: every recording of
//! a number exported as bundles that verify; erasure leaves a tombstone,
//! a scrubbed sidecar and a chain (and anchors) that still verify; a held
//! recording is refused.

mod common;

use std::process::Command;

use common::anchored::*;
use common::tsa::Tsa;
use legrec::spool::layout;

#[test]
fn a_subject_gets_every_recording_and_erasure_keeps_the_chain_provable() {
    let tsa = Tsa::start("reply");
    let tmp = tempfile::tempdir().unwrap();
    let spool = tmp.path().join("spool");
    let conf = write_conf(tmp.path(), &spool, &tsa.url(), &tsa.ca(), "10m");
    let c = conf.to_str().unwrap();
    let sidecars = record_from(
        &conf,
        &[
            ("5551001", "200"),
            ("5551002", "5551001"),
            ("5551003", "300"),
        ],
    );
    let id = |i: usize| layout::RecordingPaths::of_file(&sidecars[i]).unwrap().id;
    assert!(anchor_once(&conf).status.success());

    // Access: both calls of 5551001 (as caller, as callee), as bundles.
    let subj = tmp.path().join("subject.tar");
    let o = legrec(&[
        "subject",
        "export",
        "--number",
        "5551001",
        "-o",
        subj.to_str().unwrap(),
        "--config",
        c,
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("2 recording(s) of 5551001, 2 with an evidence bundle"),
        "{}",
        text(&o)
    );
    let out = tempfile::tempdir().unwrap();
    let st = Command::new("tar")
        .arg("-xf")
        .arg(&subj)
        .current_dir(out.path())
        .status()
        .unwrap();
    assert!(st.success());
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("index.json")).unwrap()).unwrap();
    let rows = index["recordings"].as_array().unwrap();
    let roles: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap(),
                r["took_part_as"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(roles.contains(&(id(0).as_str(), "caller")), "{roles:?}");
    assert!(roles.contains(&(id(1).as_str(), "callee")), "{roles:?}");
    for r in rows {
        let bundle = out.path().join(r["bundle"].as_str().unwrap());
        let o = legrec(&[
            "verify",
            "--bundle",
            bundle.to_str().unwrap(),
            "--tsa-ca",
            tsa.ca().to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", text(&o));
    }

    // A held recording is not erased.
    let o = legrec(&["hold", "add", &id(2), "--reason", "claim 9", "--config", c]);
    assert!(o.status.success(), "{}", text(&o));
    let o = legrec(&["erase", &id(2), "--reason", "asked", "--config", c]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("refused, under legal hold") && text(&o).contains("claim 9"),
        "{}",
        text(&o)
    );
    assert!(layout::find_files(&spool, &format!("{}-in.flac", id(2))).len() == 1);

    // Erasure of 5551001's first call: audio gone, sidecar scrubbed, a
    // tombstone with the erased hashes; the chain and its anchor verify.
    let before = legrec::admin::read_sidecar(&sidecars[0]).unwrap();
    let o = legrec(&[
        "erase",
        &id(0),
        "--reason",
        "art. 17 request 3",
        "--config",
        c,
    ]);
    assert!(o.status.success(), "{}", text(&o));
    for leg in &before.legs {
        assert!(!sidecars[0].parent().unwrap().join(&leg.file).exists());
    }
    let after = std::fs::read_to_string(&sidecars[0]).unwrap();
    assert!(
        !after.contains("5551001") && after.contains("\"status\": \"erased\""),
        "{after}"
    );
    let chain = chain(&spool);
    let tomb = chain.iter().find(|e| e.event == "erased").unwrap();
    assert_eq!(tomb.id, id(0));
    for leg in &before.legs {
        assert!(tomb.note.contains(&leg.sha256), "{}", tomb.note);
    }
    assert!(tomb.note.contains("art. 17 request 3"));
    let (ok, report) = verify(&spool, &conf);
    assert!(ok, "{report}");
    assert!(report.contains("anchored: 1 token(s) check"), "{report}");
    // And once anchored after it.
    assert!(anchor_once(&conf).status.success());
    let (ok, report) = verify(&spool, &conf);
    assert!(ok, "{report}");

    // By number: the rest of 5551002's calls.
    let o = legrec(&[
        "erase",
        "--number",
        "5551002",
        "--reason",
        "request 4",
        "--config",
        c,
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains(&format!("erased {}", id(1))),
        "{}",
        text(&o)
    );
    let (ok, report) = verify(&spool, &conf);
    assert!(ok, "{report}");
    // Nothing of 5551001 is left to export.
    let again = tmp.path().join("again.tar");
    let o = legrec(&[
        "subject",
        "export",
        "--number",
        "5551001",
        "-o",
        again.to_str().unwrap(),
        "--config",
        c,
    ]);
    assert!(
        text(&o).contains("0 recording(s) of 5551001"),
        "{}",
        text(&o)
    );
}
