//! The anchors' tokens in the bucket (real SeaweedFS, OpenSSL's TSA): the
//! shipper copies each token beside the recordings, and `legrec verify
//! PATH --config FILE` checks them against the spool's chain, so a forger
//! holding the spool who removes the local tokens and anchor entries, then
//! rewrites or cuts the chain, passes the spool's own check but not this
//! one: the seq is named.

mod common;

#[path = "../../tests/common/tsa.rs"]
mod tsa;

use std::path::Path;

use common::*;
use legrec::spool::layout;
use sha2::{Digest, Sha256};

/// The forger: the chain rewritten from `entries` (seq, prev and hash
/// made to link again), the spool's tokens and anchor entries gone.
fn rechain(spool: &Path, entries: Vec<legrec::audit::Entry>) {
    for f in std::fs::read_dir(layout::anchors_dir(spool))
        .unwrap()
        .flatten()
    {
        if legrec::anchor::is_token(&f.path()) {
            std::fs::remove_file(f.path()).unwrap();
        }
    }
    let log = layout::audit_log(spool);
    std::fs::remove_file(&log).unwrap();
    let kept = entries
        .into_iter()
        .filter(|e| e.event != "anchored")
        .collect();
    legrec::audit::append_all(&log, kept, 0o640).unwrap();
}

#[test]
fn tokens_in_the_bucket_catch_a_chain_rewritten_or_cut_behind_its_anchor() {
    let tsa = tsa::Tsa::start("reply");
    let sw = Seaweed::with_bucket("rec");
    let tmp = tempfile::tempdir().unwrap();
    let spool = tmp.path().join("spool");
    let sidecars = record(
        &spool,
        &[
            Call::new("5551001", "sales", Some("alice")),
            Call::new("5551002", "support", Some("bob")),
        ],
    );
    tsa.anchor(&spool);
    let conf = write_conf(
        tmp.path(),
        &spool,
        &format!("{}pbx_name = pbx-a\n", sw.storage("rec", "site-a")),
    );
    let mut text = std::fs::read_to_string(&conf).unwrap();
    text.push_str(&format!(
        "\n[anchor]\ntsa_url = {}\ntsa_ca = {}\n",
        tsa.url(),
        tsa.ca().display()
    ));
    std::fs::write(&conf, text).unwrap();
    let conf = conf.to_str().unwrap();
    let out = fleet(&["ship", "--config", conf, "--once"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("1 anchor token(s) copied"), "{err}");

    // The token is in the bucket, byte for byte.
    let token = std::fs::read_dir(layout::anchors_dir(&spool))
        .unwrap()
        .flatten()
        .map(|f| f.path())
        .find(|p| legrec::anchor::is_token(p))
        .expect("a token");
    let seq = layout::anchor_seq(&token).unwrap();
    let name = token.file_name().unwrap().to_str().unwrap();
    let got = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let o = sw
                .client()
                .get_object()
                .bucket("rec")
                .key(format!("site-a/.anchors/pbx-a/{name}"))
                .send()
                .await
                .expect("the token's object");
            o.body.collect().await.unwrap().into_bytes().to_vec()
        });
    assert_eq!(
        legrec::hex(&Sha256::digest(&got)),
        legrec::hex(&Sha256::digest(std::fs::read(&token).unwrap()))
    );
    let (ok, said) = verify_with_bucket(&spool, conf);
    assert!(ok, "{said}");
    assert!(
        said.contains("1 anchor token(s) in s3://rec stamp it as it is"),
        "{said}"
    );

    // A second PBX of the fleet under the same prefix, anchored by the
    // same TSA: its token goes beside this one's, not among them.
    let b = tmp.path().join("b");
    std::fs::create_dir_all(&b).unwrap();
    let spool_b = b.join("spool");
    record(&spool_b, &[Call::new("5551009", "sales", None)]);
    tsa.anchor(&spool_b);
    let conf_b = write_conf(
        &b,
        &spool_b,
        &format!("{}pbx_name = pbx-b\n", sw.storage("rec", "site-a")),
    );
    let out = fleet(&["ship", "--config", conf_b.to_str().unwrap(), "--once"]);
    assert!(out.status.success(), "{out:?}");
    let (ok, said) = verify_with_bucket(&spool, conf);
    assert!(
        ok && said.contains("1 anchor token(s) in s3://rec stamp it as it is"),
        "{said}"
    );

    // Rewritten: the second call's entry changed and the chain relinked,
    // the spool's tokens and anchor entries removed.  The spool alone
    // cannot tell.
    let entries = legrec::audit::verify_chain(&layout::audit_log(&spool)).unwrap();
    let original = entries.clone();
    let mut forged = entries;
    let second = forged
        .iter_mut()
        .find(|e| e.event == "recorded" && e.seq == seq)
        .expect("the anchor stamps the second call's entry");
    second.note = format!("{} (forged)", second.note);
    rechain(&spool, forged);
    let (failures, said) = verify_spool(&spool);
    assert_eq!(failures, 0, "the spool alone passes: {said}");
    let (ok, said) = verify_with_bucket(&spool, conf);
    assert!(!ok, "{said}");
    assert!(
        said.contains(&format!("entry {seq} is not what the TSA stamped at"))
            && said.contains(&format!("s3://rec/site-a/.anchors/pbx-a/{name}")),
        "{said}"
    );

    // Cut: the second call deleted and the chain ended before its entry.
    let id = legrec::admin::read_sidecar(&sidecars[1]).unwrap().id;
    for f in std::fs::read_dir(sidecars[1].parent().unwrap())
        .unwrap()
        .flatten()
    {
        if f.file_name().to_string_lossy().contains(&id) {
            std::fs::remove_file(f.path()).unwrap();
        }
    }
    rechain(
        &spool,
        original.into_iter().take(seq as usize - 1).collect(),
    );
    let (failures, said) = verify_spool(&spool);
    assert_eq!(failures, 0, "the spool alone passes: {said}");
    let (ok, said) = verify_with_bucket(&spool, conf);
    assert!(!ok, "{said}");
    assert!(
        said.contains(&format!("stamps entry {seq} (at "))
            && said.contains(&format!(
                "but the chain ends at entry {}: its tail was cut",
                seq - 1
            )),
        "{said}"
    );
}
