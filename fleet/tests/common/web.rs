//! The recording browser for the web tests: `legrec-fleet serve` on a port
//! of the test's own (always stopped), users made with `legrec user add`,
//! and a small HTTP client that shows every status (ureq's errors are
//! answers too here).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::*;

/// A running `legrec serve`, stopped (SIGTERM, then waited for) when
/// dropped.
pub struct Server {
    child: Child,
    pub base: String,
    /// What it wrote to stderr (its log) so far.
    log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Server {
    pub fn start(conf: &Path) -> Server {
        Server::start_with(conf, "http")
    }

    /// On a port of ports(); the tests of one binary share its slots, so a
    /// port another test of this process still holds is given up for the
    /// next.
    pub fn start_with(conf: &Path, scheme: &str) -> Server {
        for _ in 0..8 {
            let listen = format!("127.0.0.1:{}", ports());
            if let Some(s) = Server::try_start(conf, &listen, scheme) {
                return s;
            }
        }
        panic!("legrec serve did not start on any of 8 ports");
    }

    fn try_start(conf: &Path, listen: &str, scheme: &str) -> Option<Server> {
        let mut child = Command::new(env!("CARGO_BIN_EXE_legrec-fleet"))
            .args([
                "serve",
                "--config",
                conf.to_str().unwrap(),
                "--listen",
                listen,
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("legrec-fleet serve starts");
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        // The server's log goes on to the test's stderr.
        let (etx, erx) = std::sync::mpsc::channel();
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let kept = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("{line}");
                kept.lock().unwrap().push(line.clone());
                let _ = etx.send(line);
            }
        });
        let mut server = Server {
            child,
            base: format!("{scheme}://{listen}"),
            log,
        };
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(line) if line.contains("listening on") => Some(server),
            other => {
                server.stop();
                let err: Vec<String> = erx.iter().collect();
                if err.iter().any(|l| l.contains("cannot listen")) {
                    return None;
                }
                panic!("legrec serve did not start: {other:?} {err:?}");
            }
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The server's log so far.
    pub fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A line of the server's /proc/PID/status in KiB (`VmHWM`, `VmRSS`).
    pub fn memory_kib(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{field}:")))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("no {field} in {status}"))
    }

    fn stop(&mut self) {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        for _ in 0..100 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `legrec user add NAME --role ROLE EXTRA... --password-file` with
/// `password`.
pub fn add_user(conf: &Path, name: &str, role: &str, extra: &[&str], password: &str) {
    let dir = tempfile::tempdir().unwrap();
    let pw = dir.path().join("pw");
    std::fs::write(&pw, format!("{password}\n")).unwrap();
    let mut args = vec![
        "user",
        "add",
        name,
        "--role",
        role,
        "--password-file",
        pw.to_str().unwrap(),
        "--config",
        conf.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    fleet_ok(&args);
}

/// legrec.conf for `spool` of PBX pbx-a, indexed, with sue, supervisor
/// of queue sales.
pub fn conf_with_sue(dir: &Path, spool: &Path) -> PathBuf {
    let conf = write_conf(dir, spool, "pbx_name = pbx-a");
    own_accounts(&conf, dir);
    fleet_ok(&["index", "--config", conf.to_str().unwrap()]);
    add_sue(&conf);
    conf
}

/// The users' database of this test's own, in `dir` (the default is the
/// host's, which a second run would find already holding its users).
pub fn own_accounts(conf: &Path, dir: &Path) {
    let mut text = std::fs::read_to_string(conf).unwrap();
    text.push_str(&format!(
        "\n[web]\naccounts = sqlite://{}\n",
        dir.join("accounts.sqlite").display()
    ));
    std::fs::write(conf, text).unwrap();
}

/// sue, supervisor of queue sales.
pub fn add_sue(conf: &Path) {
    add_user(
        conf,
        "sue",
        "supervisor",
        &["--queues", "sales"],
        &password("sue"),
    );
}

/// `legrec verify` finds the spool's audit chain and files intact.
pub fn assert_verified(spool: &Path) {
    let mut report = Vec::new();
    assert_eq!(
        legrec::admin::verify::run(spool, &mut report),
        0,
        "{}",
        String::from_utf8_lossy(&report)
    );
}

/// An answer: status, headers (lower-case names), body.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    /// The value the Set-Cookie header gives cookie `name`.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .filter(|(k, _)| k == "set-cookie")
            .find_map(|(_, v)| v.strip_prefix(&format!("{name}=")))
            .map(|v| v.split(';').next().unwrap().to_string())
    }
}

/// The ids of a list of recordings the API answered (200), sorted.
pub fn ids(a: &Answer) -> Vec<String> {
    assert_eq!(a.status, 200, "{}", a.text());
    let mut v: Vec<String> = a
        .json()
        .as_array()
        .expect("a list")
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

pub fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .redirects(0)
        .timeout(Duration::from_secs(30))
        .build()
}

/// Sends `req` (with `body` if given) and returns whatever came back.
pub fn send(req: ureq::Request, body: Option<&str>) -> Answer {
    let r = match body {
        Some(b) => req.send_string(b),
        None => req.call(),
    };
    let resp = match r {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("request failed: {e}"),
    };
    let status = resp.status();
    let headers = resp
        .headers_names()
        .iter()
        .flat_map(|n| {
            resp.all(n)
                .into_iter()
                .map(|v| (n.to_lowercase(), v.to_string()))
                .collect::<Vec<_>>()
        })
        .collect();
    let mut body = Vec::new();
    std::io::Read::read_to_end(&mut resp.into_reader(), &mut body).unwrap();
    Answer {
        status,
        headers,
        body,
    }
}

/// A logged-in API client: the session cookie and the CSRF token.
pub struct Client {
    pub agent: ureq::Agent,
    pub base: String,
    pub cookie: String,
    pub csrf: String,
}

pub fn login(server: &Server, user: &str, password: &str) -> Client {
    let agent = agent();
    let a = send(
        agent
            .post(&server.url("/api/login"))
            .set("Content-Type", "application/json"),
        Some(&serde_json::json!({"user": user, "password": password}).to_string()),
    );
    assert_eq!(a.status, 200, "login {user}: {}", a.text());
    Client {
        cookie: a.cookie("legrec_session").expect("a session cookie"),
        csrf: a.json()["csrf"].as_str().unwrap().to_string(),
        base: server.base.clone(),
        agent,
    }
}

impl Client {
    pub fn get(&self, path: &str) -> Answer {
        self.get_with(path, &[])
    }
    pub fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Answer {
        let mut r = self
            .agent
            .get(&format!("{}{path}", self.base))
            .set("Cookie", &format!("legrec_session={}", self.cookie));
        for (k, v) in headers {
            r = r.set(k, v);
        }
        send(r, None)
    }
    pub fn post(&self, path: &str, csrf: Option<&str>) -> Answer {
        let mut r = self
            .agent
            .post(&format!("{}{path}", self.base))
            .set("Cookie", &format!("legrec_session={}", self.cookie));
        if let Some(t) = csrf {
            r = r.set("X-CSRF-Token", t);
        }
        send(r, Some(""))
    }
}

/// A spool of recordings made by the real core, indexed, with one user of
/// each role (password: `<name>-password`); the config and the sidecars.
pub struct Site {
    pub dir: tempfile::TempDir,
    pub spool: PathBuf,
    pub conf: PathBuf,
    pub sidecars: Vec<PathBuf>,
}

impl Site {
    /// The users' and sessions' database.
    pub fn accounts(&self) -> PathBuf {
        self.dir.path().join("accounts.sqlite")
    }
}

pub fn password(user: &str) -> String {
    format!("{user}-password")
}

impl Site {
    pub fn new(calls: &[Call], web: &str) -> Site {
        Site::with_storage(calls, "", web)
    }

    /// With `storage` lines (e.g. `index = postgresql://...`) too.
    pub fn with_storage(calls: &[Call], storage: &str, web: &str) -> Site {
        let dir = tempfile::tempdir().unwrap();
        let spool = dir.path().join("spool");
        let sidecars = record(&spool, calls);
        let conf = write_conf(dir.path(), &spool, &format!("pbx_name = pbx-a\n{storage}"));
        // The users and sessions in a database of their own, as always.
        let accounts = dir.path().join("accounts.sqlite");
        let mut text = std::fs::read_to_string(&conf).unwrap();
        text.push_str(&format!(
            "\n[web]\naccounts = sqlite://{}\n{web}\n",
            accounts.display()
        ));
        std::fs::write(&conf, text).unwrap();
        fleet_ok(&["index", "--config", conf.to_str().unwrap()]);
        add_user(&conf, "root", "admin", &[], &password("root"));
        add_sue(&conf);
        add_user(&conf, "alice", "agent", &[], &password("alice"));
        add_user(&conf, "audrey", "auditor", &[], &password("audrey"));
        Site {
            dir,
            spool,
            conf,
            sidecars,
        }
    }

    /// The id of the `i`th recorded call.
    pub fn id(&self, i: usize) -> String {
        let name = self.sidecars[i].file_name().unwrap().to_str().unwrap();
        name.strip_suffix(".json").unwrap().to_string()
    }
}

/// Calls of three agents in two queues; the third is the longest.
pub fn site_calls() -> Vec<Call> {
    vec![
        Call::new("5551001", "sales", Some("alice")),
        Call::new("5551002", "sales", Some("bob")),
        Call {
            seconds: 1.2,
            ..Call::new("5551003", "support", Some("alice"))
        },
        Call::new("5551004", "support", Some("bob")),
    ]
}

/// One call-centre call recorded in real time (8 s) with everything the
/// recording page marks: the notice, agent alice's span and a transfer to
/// bob, a mask, a pause, warning beeps, the law of a Californian caller;
/// queue sales.  Each leg carries its own speaker's bursts of tone, so the
/// two waveforms differ: the caller's (`in`) at 320 Hz in 1.2-2.4 s,
/// 4.6-5.4 s and 6.8-7.6 s, the notice's and the agents' (`out`) at
/// 560 Hz in 0-1 s, 2.5-4.4 s and 6-6.7 s.  Split legs and stereo (`legs
/// = both`).  Returns the sidecar.
pub fn record_call_centre(spool: &Path) -> PathBuf {
    record_call_centre_as(spool, "both")
}

/// `record_call_centre` with this `legs` setting.
pub fn record_call_centre_as(spool: &Path, legs: &str) -> PathBuf {
    use legrec::policy::config::{RawConfig, Settings};
    use legrec::policy::plan::CallSide;
    use legrec::recorder::intake::peers::PeerInfo;
    use legrec::recorder::intake::recording::CallInfo;
    use legrec::recorder::Core;
    let mut raw = RawConfig::default();
    for (i, (section, key, value)) in [
        ("general", "spool_dir", spool.to_str().unwrap()),
        ("general", "workers", "1"),
        ("p", "legs", legs),
        ("p", "notice", "legrec-notice"),
        ("p", "beep_interval", "5"),
        ("p", "jurisdiction", "auto"),
    ]
    .into_iter()
    .enumerate()
    {
        raw.set(section, key, value, i as u32 + 1);
    }
    let core = Core::new(Settings::from_raw(&raw).unwrap(), None).unwrap();
    let rec = core
        .start(
            "p",
            CallInfo {
                pbx: "test".into(),
                channel: "PJSIP/trunk-00000001".into(),
                uniqueid: "1700000100.1".into(),
                caller_number: "+14155550123".into(),
                caller_name: "Dana Reyes".into(),
                callee: "+14155550100".into(),
                queue: "sales".into(),
                ..Default::default()
            },
        )
        .unwrap();
    let peer = |name: &str, n: u32| PeerInfo {
        channel: format!("PJSIP/{name}-0000000{n}"),
        number: format!("10{n}"),
        name: name.into(),
        member: name.into(),
        interface: format!("PJSIP/{name}"),
    };
    // Who speaks when, in seconds: the caller on `in`, the notice and the
    // agents on `out`.
    let caller = [(1.2, 2.4), (4.6, 5.4), (6.8, 7.6)];
    let heard = [(0.0, 1.0), (2.5, 4.4), (6.0, 6.7)];
    let speaking = |spans: &[(f64, f64)], t: f64| spans.iter().any(|(a, b)| (*a..*b).contains(&t));
    let start = Instant::now();
    rec.notice_begin(CallSide::Caller).unwrap();
    for f in 0..400usize {
        let t = f as f64 * 0.02;
        let due = start + Duration::from_millis(20 * f as u64);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        match f {
            50 => {
                rec.notice_end(CallSide::Caller, true).unwrap();
                rec.peer_join(peer("alice", 2));
            }
            150 => {
                rec.set_masked(true, "dialplan");
            }
            200 => {
                rec.set_masked(false, "dialplan");
            }
            250 => {
                rec.set_paused(true, "cli");
            }
            280 => {
                rec.set_paused(false, "cli");
            }
            300 => {
                rec.peer_leave("PJSIP/alice-00000002");
                rec.peer_join(peer("bob", 3));
            }
            _ => {}
        }
        for (leg, spans, hz) in [(0, &caller[..], 320.0), (1, &heard[..], 560.0)] {
            let mut frame: Vec<i16> = (0..160)
                .map(|n| {
                    let s = t + n as f64 / 8000.0;
                    if !speaking(spans, s) {
                        return 0;
                    }
                    let syllable = (std::f64::consts::PI * 4.0 * s).sin().abs();
                    (9000.0 * syllable * (2.0 * std::f64::consts::PI * hz * s).sin()) as i16
                })
                .collect();
            rec.beep(leg, &mut frame, 8000);
            rec.push(leg, &frame, 8000).unwrap();
        }
    }
    rec.stop();
    let outcome = rec.wait_outcome(Duration::from_secs(20)).expect("finished");
    outcome
        .files
        .iter()
        .find(|f| f.extension().is_some_and(|e| e == "json"))
        .expect("a sidecar")
        .clone()
}
