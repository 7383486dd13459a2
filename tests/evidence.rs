//! `legrec evidence ID -o FILE` and `legrec verify --bundle FILE`: a
//! bundle checks in an empty folder with `sha256sum`, `openssl ts -verify`
//! and `legrec verify --bundle` alone (the TSA is OpenSSL's own, the
//! recordings the core's), and a tampered one does not.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::anchored::*;
use common::tsa::Tsa;
use legrec::spool::layout;

/// Run `sh -c script` in `dir` with nothing of the spool around.
fn sh(dir: &Path, script: &str) -> Output {
    Command::new("sh")
        .current_dir(dir)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .args(["-c", script])
        .output()
        .unwrap()
}

fn verify_bundle(bundle: &Path, cwd: &Path) -> (bool, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_legrec"))
        .current_dir(cwd)
        .args(["verify", "--bundle"])
        .arg(bundle)
        .output()
        .unwrap();
    (o.status.success(), text(&o))
}

/// Re-pack the unpacked bundle in `dir` as `out`.
fn repack(dir: &Path, out: &Path) {
    let o = sh(dir, &format!("tar -cf {} *", out.display()));
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn a_bundle_checks_with_sha256sum_openssl_and_legrec_alone_and_tampering_fails() {
    let tsa = Tsa::start("reply");
    let tmp = tempfile::tempdir().unwrap();
    let spool = tmp.path().join("spool");
    let conf = write_conf_legs(tmp.path(), &spool, &tsa.url(), &tsa.ca(), "10m", "both");
    let sidecars = record(&conf, 2);
    let id = layout::RecordingPaths::of_file(&sidecars[0]).unwrap().id;
    let bundle = tmp.path().join("evidence.tar");
    let conf_s = conf.to_str().unwrap();
    let bundle_s = bundle.to_str().unwrap();

    // Before any anchor there is nothing to prove it by: refused.
    let o = legrec(&["evidence", &id, "-o", bundle_s, "--config", conf_s]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("no anchor covers its entry"),
        "{}",
        text(&o)
    );
    assert!(!bundle.exists());

    assert!(anchor_once(&conf).status.success());
    record(&conf, 1);
    let o = legrec(&["evidence", &id, "-o", bundle_s, "--config", conf_s]);
    assert!(o.status.success(), "{}", text(&o));
    // The export is in the access trail.
    let exported = legrec::audit::verify_chain(&layout::access_log(&spool))
        .unwrap()
        .into_iter()
        .find(|e| e.event == "exported" && e.id == id)
        .expect("the export is chained");
    assert!(
        exported.note.contains("\"what\":\"evidence\""),
        "{}",
        exported.note
    );

    // A machine with the bundle only.
    let clean = tempfile::tempdir().unwrap();
    std::fs::copy(&bundle, clean.path().join("evidence.tar")).unwrap();
    let o = sh(
        clean.path(),
        "tar -xf evidence.tar && sha256sum -c SHA256SUMS",
    );
    assert!(o.status.success(), "{}", text(&o));
    let said = text(&o);
    assert_eq!(
        said.matches(": OK").count(),
        4,
        "in, out, stereo, sidecar: {said}"
    );
    // The chain's last entry hashes as VERIFY.txt says, to what the token
    // stamps.
    let o = sh(
        clean.path(),
        r#"tail -n 1 chain.jsonl | sed 's/"hash":"[0-9a-f]*"}$/"hash":""}/' | tr -d '\n' | sha256sum"#,
    );
    let head = text(&o).split_whitespace().next().unwrap().to_string();
    let verify_txt = std::fs::read_to_string(clean.path().join("VERIFY.txt")).unwrap();
    assert!(
        verify_txt.contains(&format!("gives {head}")),
        "{verify_txt}"
    );
    let o = sh(
        clean.path(),
        &format!("openssl ts -verify -digest {head} -in anchor.tsr -CAfile tsa-ca.pem"),
    );
    assert!(text(&o).contains("Verification: OK"), "{}", text(&o));
    let (ok, report) = verify_bundle(&clean.path().join("evidence.tar"), clean.path());
    assert!(ok, "{report}");
    assert!(
        report.contains(&format!("OK   recording {id}: 4 file(s) match")),
        "{report}"
    );

    // Tampered: one byte of the in leg.
    let unpacked = clean.path();
    let flac = layout::find_files(&unpacked.join("files"), "-in.flac")[0].clone();
    let mut bytes = std::fs::read(&flac).unwrap();
    let n = bytes.len();
    bytes[n - 10] ^= 0x40;
    std::fs::write(&flac, &bytes).unwrap();
    std::fs::remove_file(unpacked.join("evidence.tar")).unwrap();
    let bad = tmp.path().join("tampered.tar");
    repack(unpacked, &bad);
    assert!(!sh(unpacked, "sha256sum -c SHA256SUMS").status.success());
    let (ok, report) = verify_bundle(&bad, unpacked);
    assert!(!ok, "{report}");
    assert!(report.contains("-in.flac: SHA-256"), "{report}");

    // Tampered consistently: the forger also rewrites the bundle's chain
    // segment (and sums) for the new file: the token no longer fits.
    let new_sha = legrec::spool::digest::hash_file(&flac).unwrap().0;
    let lines = std::fs::read_to_string(unpacked.join("chain.jsonl")).unwrap();
    let mut entries: Vec<legrec::audit::Entry> = lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let rel = flac
        .strip_prefix(unpacked.join("files"))
        .unwrap()
        .display()
        .to_string();
    // The sidecar's hash of that leg too, and so the sidecar's own.
    let sc_path = layout::find_files(&unpacked.join("files"), ".json")[0].clone();
    let mut sc: legrec::sidecar::Sidecar =
        serde_json::from_slice(&std::fs::read(&sc_path).unwrap()).unwrap();
    for l in sc.legs.iter_mut().filter(|l| l.name == "in") {
        l.sha256 = new_sha.clone();
    }
    let sc_json = serde_json::to_vec_pretty(&sc).unwrap();
    std::fs::write(&sc_path, &sc_json).unwrap();
    let sc_rel = sc_path
        .strip_prefix(unpacked.join("files"))
        .unwrap()
        .display()
        .to_string();
    let sc_sha = legrec::hex(&<sha2::Sha256 as sha2::Digest>::digest(&sc_json));
    let mut prev: Option<String> = None;
    for e in entries.iter_mut() {
        for f in e.files.iter_mut() {
            if f.file == rel {
                f.sha256 = new_sha.clone();
            } else if f.file == sc_rel {
                f.sha256 = sc_sha.clone();
            }
        }
        if let Some(p) = &prev {
            e.prev = p.clone();
        }
        e.hash = e.digest();
        prev = Some(e.hash.clone());
    }
    let text_lines: String = entries
        .iter()
        .map(|e| serde_json::to_string(e).unwrap() + "\n")
        .collect();
    std::fs::write(unpacked.join("chain.jsonl"), text_lines).unwrap();
    let forged = tmp.path().join("forged.tar");
    std::fs::remove_file(&bad).ok();
    repack(unpacked, &forged);
    let (ok, report) = verify_bundle(&forged, unpacked);
    assert!(!ok, "{report}");
    assert!(
        report.contains("OK   chain.jsonl"),
        "the segment links again: {report}"
    );
    assert!(report.contains("anchor.tsr stamps"), "{report}");
    let last = entries.last().unwrap();
    let o = sh(
        unpacked,
        &format!(
            "openssl ts -verify -digest {} -in anchor.tsr -CAfile tsa-ca.pem",
            last.hash
        ),
    );
    assert!(!o.status.success(), "{}", text(&o));
}
