//! What the fleet tests share: recordings made by the real core, a private
//! PostgreSQL and a SeaweedFS started by the project's scripts (and always
//! stopped), and the `legrec-fleet` binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use legrec::policy::config::{RawConfig, Settings};
use legrec::recorder::intake::peers::PeerInfo;
use legrec::recorder::intake::recording::CallInfo;
use legrec::recorder::Core;

pub mod browser;
pub mod web;

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The first of 16 free ports of this test process's own (tests of one
/// binary run in threads, several binaries at once; a server uses up to 16:
/// SeaweedFS's S3, master, volumes, filer and their gRPC).  Each call takes
/// the next of 8 slots of the process's range, skipping a slot where any
/// port is taken: a long test still holding its server must not meet
/// another's on the same ports.
pub fn ports() -> u16 {
    static NEXT: AtomicU16 = AtomicU16::new(0);
    // Below 32768, where Linux's outgoing connections take their local
    // ports (ip_local_port_range): a server's port checked free here could
    // otherwise be taken by a connection before the server binds it.
    let base = 20000 + ((std::process::id() % 96) as u16) * 128;
    for _ in 0..64 {
        let slot = NEXT.fetch_add(1, Ordering::Relaxed) % 8;
        let first = base + slot * 16;
        let free =
            (first..first + 16).all(|p| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok());
        if free {
            return first;
        }
    }
    panic!("no 16 free ports in 20000 + {base}..+128");
}

pub fn fleet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_legrec-fleet"))
        .args(args)
        .output()
        .expect("legrec-fleet runs")
}

/// `legrec-fleet ARGS`, which must succeed; its stdout.
pub fn fleet_ok(args: &[&str]) -> String {
    let out = fleet(args);
    assert!(
        out.status.success(),
        "legrec-fleet {args:?}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `legrec verify` of the spool alone: its failures and what it said.
pub fn verify_spool(spool: &Path) -> (usize, String) {
    let mut out = Vec::new();
    let n = legrec::admin::verify::run(spool, &mut out);
    (n, String::from_utf8_lossy(&out).into_owned())
}

/// `legrec verify SPOOL --config CONF` by legrec-fleet (the bucket's
/// anchor tokens and chain copy too): whether it passed, what it said.
pub fn verify_with_bucket(spool: &Path, conf: &str) -> (bool, String) {
    let out = fleet(&["verify", spool.to_str().unwrap(), "--config", conf]);
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// A call to record.
#[derive(Clone)]
pub struct Call {
    pub caller: &'static str,
    pub callee: &'static str,
    pub queue: &'static str,
    pub agent: Option<&'static str>,
    pub seconds: f64,
    /// Noise instead of a tone: FLAC cannot shrink it, so files are large.
    pub noise: bool,
}

impl Call {
    pub fn new(caller: &'static str, queue: &'static str, agent: Option<&'static str>) -> Call {
        Call {
            caller,
            callee: "600",
            queue,
            agent,
            seconds: 0.4,
            noise: false,
        }
    }
}

/// Records `calls` into `spool` with the real core (policy `p`, split legs
/// and stereo), each a tone per leg; returns the sidecars, in call order.
pub fn record(spool: &Path, calls: &[Call]) -> Vec<PathBuf> {
    record_with(spool, calls, &[])
}

/// `record` under policy `p` with these more `(key, value)` settings.
pub fn record_with(spool: &Path, calls: &[Call], policy: &[(&str, &str)]) -> Vec<PathBuf> {
    let mut raw = RawConfig::default();
    raw.set("general", "spool_dir", spool.to_str().unwrap(), 1);
    raw.set("general", "workers", "1", 2);
    raw.set("p", "legs", "both", 3);
    for (k, v) in policy {
        raw.set("p", k, v, 4);
    }
    let core = Core::new(Settings::from_raw(&raw).unwrap(), None).unwrap();
    let mut out = Vec::new();
    for (i, c) in calls.iter().enumerate() {
        let rec = core
            .start(
                "p",
                CallInfo {
                    pbx: "test".into(),
                    channel: format!("PJSIP/{}-{i:08x}", c.caller),
                    uniqueid: format!("1700000000.{i}"),
                    caller_number: c.caller.into(),
                    caller_name: format!("Caller {}", c.caller),
                    callee: c.callee.into(),
                    queue: c.queue.into(),
                    ..Default::default()
                },
            )
            .unwrap();
        if let Some(agent) = c.agent {
            rec.peer_join(PeerInfo {
                channel: format!("PJSIP/{agent}-{i:08x}"),
                number: "100".into(),
                name: agent.into(),
                member: agent.into(),
                interface: format!("PJSIP/{agent}"),
            });
        }
        let frames = (c.seconds * 50.0) as usize;
        let mut seed = 0x2545_f491_u32 ^ i as u32;
        for f in 0..frames {
            let frame: Vec<i16> = (0..160)
                .map(|n| {
                    if c.noise {
                        seed ^= seed << 13;
                        seed ^= seed >> 17;
                        seed ^= seed << 5;
                        return (seed >> 16) as i16;
                    }
                    let t = (f * 160 + n) as f64 / 8000.0;
                    (6000.0 * (2.0 * std::f64::consts::PI * (400.0 + 100.0 * i as f64) * t).sin())
                        as i16
                })
                .collect();
            // Faster than real time.  A loaded machine's encoder may fall
            // behind anyway (noise is slow to encode): the core then drops
            // the frame and marks a gap, as it would under a PBX, and the
            // recording keeps its length; give the encoder time to catch up.
            let full = rec.push(0, &frame, 8000).is_err() | rec.push(1, &frame, 8000).is_err();
            if full {
                std::thread::sleep(Duration::from_millis(20));
            } else if f % 5 == 4 {
                std::thread::sleep(Duration::from_millis(2));
            }
        }
        rec.stop();
        let outcome = rec.wait_outcome(Duration::from_secs(20)).expect("finished");
        out.push(
            outcome
                .files
                .iter()
                .find(|f| f.extension().is_some_and(|e| e == "json"))
                .expect("a sidecar")
                .clone(),
        );
    }
    out
}

/// A legal hold on recording `id`, placed by alice for `reason`.
pub fn hold(spool: &Path, id: &str, reason: &str) -> legrec::hold::Active {
    legrec::hold::place(
        spool,
        legrec::hold::Hold {
            ids: vec![id.to_string()],
            reason: reason.into(),
            by: "alice".into(),
            ..Default::default()
        },
    )
    .unwrap()
}

/// The hold `name` released by alice, the case settled.
pub fn release(spool: &Path, name: &str) {
    legrec::hold::release(
        spool,
        name,
        legrec::hold::Release {
            reason: "settled".into(),
            by: "alice".into(),
        },
    )
    .unwrap()
}

/// legrec.conf for a spool, with `storage` lines under `[storage]`.
pub fn write_conf(dir: &Path, spool: &Path, storage: &str) -> PathBuf {
    let path = dir.join("legrec.conf");
    std::fs::write(
        &path,
        format!(
            "[general]\nspool_dir = {}\n\n[storage]\n{storage}\n\n[p]\nlegs = both\n",
            spool.display()
        ),
    )
    .unwrap();
    path
}

fn script(name: &str, args: &[&str]) -> String {
    let out = Command::new(repo().join("scripts").join(name))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "scripts/{name} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A private PostgreSQL cluster (scripts/postgres), stopped when dropped.
pub struct Postgres {
    dir: tempfile::TempDir,
    pub url: String,
}

impl Postgres {
    pub fn start() -> Postgres {
        let dir = tempfile::tempdir().unwrap();
        let port = ports();
        let data = dir.path().join("pg");
        let url = script(
            "postgres",
            &["start", data.to_str().unwrap(), &port.to_string()],
        );
        Postgres { dir, url }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.dir.path().join("pg");
        let _ = Command::new(repo().join("scripts/postgres"))
            .args(["stop", data.to_str().unwrap()])
            .status();
    }
}

/// A SeaweedFS with its S3 gateway (scripts/seaweedfs), stopped when
/// dropped.
pub struct Seaweed {
    pub dir: tempfile::TempDir,
    pub port: u16,
    pub endpoint: String,
}

pub const ACCESS: &str = "legrec";
pub const SECRET: &str = "legrec-secret";

impl Seaweed {
    pub fn start() -> Seaweed {
        let dir = tempfile::tempdir().unwrap();
        let port = ports();
        let endpoint = script(
            "seaweedfs",
            &["start", dir.path().to_str().unwrap(), &port.to_string()],
        );
        Seaweed {
            dir,
            port,
            endpoint,
        }
    }
    /// Started, with an empty bucket `bucket`.
    pub fn with_bucket(bucket: &str) -> Seaweed {
        let sw = Seaweed::start();
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async { sw.client().create_bucket().bucket(bucket).send().await })
            .expect("bucket created");
        sw
    }
    /// Its folder and ports, not started (a store that is down).
    pub fn unstarted() -> Seaweed {
        let port = ports();
        Seaweed {
            dir: tempfile::tempdir().unwrap(),
            port,
            endpoint: format!("http://127.0.0.1:{port}"),
        }
    }
    pub fn stop(&self) {
        script("seaweedfs", &["stop", self.dir.path().to_str().unwrap()]);
    }
    /// Starts it, or starts it again on the same data (S3 then answers
    /// within ~30 s).
    pub fn restart(&self) {
        script(
            "seaweedfs",
            &[
                "start",
                self.dir.path().to_str().unwrap(),
                &self.port.to_string(),
            ],
        );
    }
    /// `[storage]` lines for this store's bucket `bucket`.
    pub fn storage(&self, bucket: &str, prefix: &str) -> String {
        format!(
            "url = s3://{bucket}/{prefix}\nendpoint = {}\naccess_key = {ACCESS}\nsecret_key = {SECRET}\n",
            self.endpoint
        )
    }
    /// An S3 client for checking what is in the bucket, as a tool nobody
    /// here wrote sees it.
    pub fn client(&self) -> aws_sdk_s3::Client {
        let conf = aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .endpoint_url(&self.endpoint)
            .region(aws_sdk_s3::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_s3::config::Credentials::new(
                ACCESS, SECRET, None, None, "test",
            ))
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }
}

impl Drop for Seaweed {
    fn drop(&mut self) {
        let _ = Command::new(repo().join("scripts/seaweedfs"))
            .args(["stop", self.dir.path().to_str().unwrap()])
            .status();
    }
}
