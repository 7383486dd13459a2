//! A spool recorded through the core from a legrec.conf with `[anchor]`,
//! and the `legrec` tool run on it: shared by the anchoring and evidence
//! tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use legrec::audit::{self, Entry};
use legrec::policy::config::Settings;
use legrec::recorder::session::CallInfo;
use legrec::recorder::Core;
use legrec::spool::layout;

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
    let raw = legrec::policy::ini::read(conf).unwrap();
    let core = Core::new(
        Settings::from_raw(&raw).expect("[anchor] is read past"),
        None,
    )
    .unwrap();
    (0..n)
        .map(|i| {
            let rec = core
                .start(
                    "p",
                    CallInfo {
                        pbx: "test".into(),
                        channel: format!("PJSIP/anchor-{i}"),
                        caller_number: "5551001".into(),
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
