//! A spool recorded through the core from a legrec.conf with `[anchor]`,
//! and the `legrec` tool run on it: shared by the anchoring and evidence
//! tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use legrec::audit::{self, Entry};
use legrec::policy::config::Settings;
use legrec::recorder::intake::recording::CallInfo;
use legrec::recorder::Core;
use legrec::spool::layout;
use sha2::{Digest, Sha256};

/// A legrec.conf as an admin writes it, `[anchor]` included: the module
/// must read past that section and record.
pub fn write_conf(dir: &Path, spool: &Path, tsa_url: &str, ca: &Path, interval: &str) -> PathBuf {
    write_conf_legs(dir, spool, tsa_url, ca, interval, "split")
}

/// [`write_conf`] with `legs` (split, stereo or both).
pub fn write_conf_legs(
    dir: &Path,
    spool: &Path,
    tsa_url: &str,
    ca: &Path,
    interval: &str,
    legs: &str,
) -> PathBuf {
    let conf = dir.join("legrec.conf");
    std::fs::write(
        &conf,
        format!(
            "[general]\nspool_dir = {}\nworkers = 1\n\n[p]\nlegs = {legs}\n\n\
             [anchor]\ntsa_url = {tsa_url}\ntsa_ca = {}\ninterval = {interval}\n",
            spool.display(),
            ca.display()
        ),
    )
    .unwrap();
    conf
}

/// Record `n` calls of two seconds through the core, configured from
/// `conf` exactly as the PBX module reads it.
pub fn record(conf: &Path, n: usize) -> Vec<PathBuf> {
    record_from(conf, &vec![("5551001", ""); n])
}

/// Record one call per (caller, callee), as [`record`] does.
pub fn record_from(conf: &Path, calls: &[(&str, &str)]) -> Vec<PathBuf> {
    let raw = legrec::policy::ini::read(conf).unwrap();
    let core = Core::new(
        Settings::from_raw(&raw).expect("[anchor] is read past"),
        None,
    )
    .unwrap();
    calls
        .iter()
        .enumerate()
        .map(|(i, (caller, callee))| {
            let rec = core
                .start(
                    "p",
                    CallInfo {
                        pbx: "test".into(),
                        channel: format!("PJSIP/anchor-{i}"),
                        caller_number: caller.to_string(),
                        callee: callee.to_string(),
                        ..Default::default()
                    },
                )
                .unwrap();
            for f in 0..100 {
                let frame: Vec<i16> = (0..160)
                    .map(|s| {
                        let t = (f * 160 + s) as f64 / 8000.0;
                        (6000.0 * (2.0 * std::f64::consts::PI * 440.0 * t).sin()) as i16
                    })
                    .collect();
                rec.push(0, &frame, 8000).unwrap();
                rec.push(1, &frame, 8000).unwrap();
                if f % 5 == 4 {
                    std::thread::sleep(Duration::from_millis(2));
                }
            }
            rec.stop();
            let o = rec.wait_outcome(Duration::from_secs(20)).expect("finished");
            assert_eq!(o.status, legrec::Status::Complete);
            o.files
                .into_iter()
                .find(|f| f.extension().is_some_and(|e| e == "json"))
                .unwrap()
        })
        .collect()
}

pub fn legrec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_legrec"))
        .args(args)
        .output()
        .unwrap()
}

pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

pub fn anchor_once(conf: &Path) -> Output {
    legrec(&["anchor", "--config", conf.to_str().unwrap(), "--once"])
}

pub fn verify(spool: &Path, conf: &Path) -> (bool, String) {
    let o = legrec(&[
        "verify",
        spool.to_str().unwrap(),
        "--config",
        conf.to_str().unwrap(),
    ]);
    (o.status.success(), text(&o))
}

pub fn chain(spool: &Path) -> Vec<Entry> {
    audit::verify_chain(&layout::audit_log(spool)).expect("a whole chain")
}

/// The forger of issue 28: silence the first second of a call's leg,
/// rewrite its sidecar (hashes, STREAMINFO MD5) and the chain from its
/// entry on so every hash links again.
pub fn forge(spool: &Path, sidecar: &Path, leg_name: &str) {
    use legrec::flac::decoder::decode_file;
    use legrec::flac::encoder::{FlacSpec, FlacWriter};
    let mut sc = super::read_sidecar(sidecar);
    let leg = sc.legs.iter().position(|l| l.name == leg_name).unwrap();
    let flac = sidecar.parent().unwrap().join(&sc.legs[leg].file);
    let mut samples = Vec::new();
    let decoded = decode_file(&flac, &mut |f, _| samples.extend_from_slice(f)).unwrap();
    assert!(
        samples.iter().take(8000).any(|s| *s != 0),
        "the {leg_name} leg's first second has sound to silence"
    );
    for s in samples.iter_mut().take(8000) {
        *s = 0;
    }
    let info = decoded.info;
    std::fs::remove_file(&flac).unwrap();
    let file = std::fs::File::create(&flac).unwrap();
    let mut w = FlacWriter::new(
        file,
        &FlacSpec {
            channels: info.channels,
            sample_rate: info.sample_rate,
            compression_level: 5,
            blocksize: 0,
            tags: info.tags.clone(),
        },
    )
    .unwrap();
    w.write(&samples).unwrap();
    w.finish().unwrap();
    let (sha, md5) = legrec::spool::digest::hash_file(&flac).unwrap();
    sc.legs[leg].sha256 = sha.clone();
    sc.legs[leg].flac_md5 = md5;
    let json = serde_json::to_vec_pretty(&sc).unwrap();
    std::fs::write(sidecar, &json).unwrap();
    let sidecar_sha = legrec::hex(&Sha256::digest(&json));

    let log = layout::audit_log(spool);
    let mut entries = chain(spool);
    let rel = |p: &Path| p.strip_prefix(spool).unwrap().display().to_string();
    let (flac_rel, sidecar_rel) = (rel(&flac), rel(sidecar));
    let mut prev: Option<String> = None;
    let mut rewriting = false;
    for e in entries.iter_mut() {
        for f in e.files.iter_mut() {
            if f.file == flac_rel {
                f.sha256 = sha.clone();
                rewriting = true;
            } else if f.file == sidecar_rel {
                f.sha256 = sidecar_sha.clone();
                rewriting = true;
            }
        }
        if rewriting {
            if let Some(p) = &prev {
                e.prev = p.clone();
            }
            e.hash = String::new();
            e.hash = legrec::hex(&Sha256::digest(serde_json::to_vec(&*e).unwrap()));
        }
        prev = Some(e.hash.clone());
    }
    assert!(rewriting, "the call has its entry");
    let lines: String = entries
        .iter()
        .map(|e| serde_json::to_string(e).unwrap() + "\n")
        .collect();
    std::fs::write(&log, lines).unwrap();
}
