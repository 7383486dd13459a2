//! `legrec subject export --number N -o FILE --config FILE` with a bucket
//! (real SeaweedFS, the spool's SQLite index, OpenSSL's TSA anchoring the
//! chain): a recording whose spool copy keep_local_days removed is fetched
//! from the bucket into the export, its bundle checks like the spool's,
//! and index.json says which came from where.

mod common;

#[path = "../../tests/common/tsa.rs"]
mod tsa;

use common::*;

#[test]
fn a_subject_export_fetches_from_the_bucket_what_the_spool_no_longer_holds() {
    let tsa = tsa::Tsa::start("reply");
    let sw = Seaweed::with_bucket("rec");
    let tmp = tempfile::tempdir().unwrap();
    let spool = tmp.path().join("spool");
    let sidecars = record(
        &spool,
        &[
            Call::new("5551001", "sales", Some("alice")),
            Call::new("5551002", "support", Some("bob")),
            Call::new("5551001", "support", None),
        ],
    );
    let ids: Vec<String> = sidecars
        .iter()
        .map(|s| legrec::admin::read_sidecar(s).unwrap().id)
        .collect();
    // The third is held, so keep_local_days = 0 keeps its spool copy;
    // the first's goes once shipped.
    hold(&spool, &ids[2], "case 8");
    let conf = write_conf(
        tmp.path(),
        &spool,
        &format!(
            "{}pbx_name = pbx-a\nkeep_local_days = 0\n",
            sw.storage("rec", "site-a")
        ),
    );
    let conf = conf.to_str().unwrap();
    let out = fleet(&["ship", "--config", conf, "--once"]);
    assert!(out.status.success(), "{out:?}");
    assert!(!sidecars[0].exists() && sidecars[2].exists());
    tsa.anchor(&spool);

    let export = tmp.path().join("subject.tar");
    let said = fleet_ok(&[
        "subject",
        "export",
        "--number",
        "5551001",
        "-o",
        export.to_str().unwrap(),
        "--config",
        conf,
    ]);
    assert!(
        said.contains(
            "2 recording(s) of 5551001, 2 with an evidence bundle; 1 fetched from the bucket"
        ),
        "{said}"
    );
    let dir = tmp.path().join("unpacked");
    std::fs::create_dir(&dir).unwrap();
    let st = std::process::Command::new("tar")
        .args(["-xf", export.to_str().unwrap(), "-C", dir.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(st.success());
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
    let found = index["recordings"].as_array().unwrap();
    assert_eq!(found.len(), 2, "{index}");
    let of = |id: &str| found.iter().find(|r| r["id"] == id).expect(id).clone();
    assert_eq!(of(&ids[2])["from"], "spool");
    let from = of(&ids[0])["from"].as_str().unwrap().to_string();
    assert!(
        from.starts_with("s3://rec/site-a/p/") && from.ends_with(&format!("{}.json", ids[0])),
        "{from}"
    );
    for id in [&ids[0], &ids[2]] {
        let bundle = dir.join(format!("bundles/{id}.tar"));
        let mut report = Vec::new();
        let problems = legrec::admin::bundle::verify(&bundle, Some(&tsa.ca()), &mut report);
        assert!(
            problems.is_empty(),
            "{id}: {}",
            String::from_utf8_lossy(&report)
        );
    }
    // Each bundle's export is chained in the access trail.
    let trail = legrec::audit::verify_chain(&legrec::spool::layout::access_log(&spool)).unwrap();
    assert_eq!(trail.iter().filter(|e| e.event == "exported").count(), 2);
}
