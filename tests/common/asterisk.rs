//! A real Asterisk for the integration tests, started in a throw-away folder
//! by scripts/asterisk-sandbox and always stopped.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::pbx::Pbx;
use super::{repo, target_dir};

/// The Asterisk built from source under this prefix (/opt/asterisk-20) that
/// the tests run against, named by LEGREC_ASTERISK_PREFIX; `None`: the
/// packaged one (`asterisk` on the PATH, /usr/include).
pub fn prefix() -> Option<PathBuf> {
    std::env::var_os("LEGREC_ASTERISK_PREFIX")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
}

/// The `asterisk` binary of the Asterisk under test.
pub fn binary() -> PathBuf {
    prefix().map_or_else(|| "asterisk".into(), |p| p.join("sbin/asterisk"))
}

/// app_legrec.so built once per test binary from the library cargo built,
/// against the headers of the Asterisk under test: one folder per prefix,
/// so that modules for different releases never mix.
pub fn module() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let dir = match prefix() {
                Some(p) => target_dir().join(format!(
                    "asterisk{}",
                    p.display().to_string().replace('/', "-")
                )),
                None => target_dir(),
            };
            let so = dir.join("app_legrec.so");
            let mut make = Command::new("make");
            make.current_dir(repo())
                .args(["-s", "--no-print-directory", "asterisk", "sounds"])
                .arg(format!("LEGREC_LIB={}", super::staticlib().display()))
                .arg(format!("AST_MODULE_SO={}", so.display()));
            if let Some(p) = prefix() {
                make.arg(format!("AST_PREFIX={}", p.display()));
            }
            let status = make.status().expect("make runs");
            assert!(status.success(), "building app_legrec.so failed");
            assert!(
                so.exists(),
                "app_legrec.so not built: are Asterisk's headers installed (asterisk-dev)?"
            );
            so
        })
        .clone()
}

/// "Asterisk 22.10.1+dfsg..." as the installed `asterisk -V` says it: the
/// tests run against whichever Asterisk is installed (16 on Debian 12, 22 in
/// scripts/sid-root, 20 or 23 under LEGREC_ASTERISK_PREFIX) and assume none.
pub fn version() -> String {
    let out = Command::new(binary())
        .arg("-V")
        .output()
        .expect("asterisk installed");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A folder of the installed Asterisk (`astmoddir`, `astdatadir`, ...) as
/// scripts/asterisk-dir reads it from its asterisk.conf: 16 and 22 differ.
pub fn installed_dir(name: &str) -> PathBuf {
    let out = Command::new(repo().join("scripts/asterisk-dir"))
        .arg(name)
        .output()
        .expect("scripts/asterisk-dir runs");
    assert!(
        out.status.success(),
        "asterisk-dir {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

static NEXT_PORT: AtomicU16 = AtomicU16::new(0);

pub struct Sandbox {
    pub dir: tempfile::TempDir,
    pub sip_port: u16,
    pub ami_port: u16,
    running: bool,
}

fn sandbox_cmd(args: &[&str]) -> std::process::Output {
    sandbox_cmd_env(args, &[])
}

fn sandbox_cmd_env(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    Command::new(repo().join("scripts/asterisk-sandbox"))
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("sandbox script runs")
}

/// How a sandbox differs from the default one.
#[derive(Default)]
pub struct Setup<'a> {
    /// The module to load (default: the one built from this tree).
    pub module: Option<&'a Path>,
    /// The documentation XML Asterisk reads (default: the tree's).
    pub docs: Option<&'a Path>,
    /// Run Asterisk as this user, as a packaged Asterisk runs (default root).
    pub user: Option<&'a str>,
}

impl Sandbox {
    /// Create the folder; edit `etc()` files, then `start()`.
    pub fn new() -> Sandbox {
        Sandbox::with(Setup::default())
    }

    pub fn with(setup: Setup) -> Sandbox {
        let built;
        let module = match setup.module {
            Some(m) => m,
            None => {
                built = module();
                &built
            }
        };
        let mut env = Vec::new();
        if let Some(docs) = setup.docs {
            env.push(("LEGREC_SANDBOX_DOCS", docs.to_str().unwrap()));
        }
        if let Some(user) = setup.user {
            env.push(("LEGREC_SANDBOX_USER", user));
        }
        let dir = tempfile::Builder::new()
            .prefix("legrec-ast")
            .tempdir()
            .unwrap();
        let n = NEXT_PORT.fetch_add(1, Ordering::Relaxed);
        let base = 15000 + (std::process::id() % 500) as u16 * 10 + n * 2;
        let (sip_port, ami_port) = (base, base + 1);
        let out = sandbox_cmd_env(
            &[
                "create",
                dir.path().to_str().unwrap(),
                module.to_str().unwrap(),
                &sip_port.to_string(),
                &ami_port.to_string(),
            ],
            &env,
        );
        assert!(
            out.status.success(),
            "sandbox create: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let sb = Sandbox {
            dir,
            sip_port,
            ami_port,
            running: false,
        };
        // Known audio for both sides of test calls.
        for (name, secs, freq) in [
            ("legrec-test-caller", "8", "500"),
            ("legrec-test-agent", "3", "1000"),
            ("legrec-test-long", "30", "500"),
        ] {
            sb.synth(name, &["synth", secs, "sine", freq, "vol", "0.5"]);
        }
        sb
    }

    /// A sound prompt `name` (8 kHz mono WAV) made by sox from nothing
    /// with `effects` ("synth 3 sine 500", "trim 0 12" for silence ...).
    pub fn synth(&self, name: &str, effects: &[&str]) {
        let st = Command::new("sox")
            .args(["-n", "-r", "8000", "-c", "1", "-b", "16"])
            .arg(self.sounds().join(format!("{name}.wav")))
            .args(effects)
            .status()
            .unwrap();
        assert!(st.success(), "sox {effects:?}");
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
    pub fn etc(&self) -> PathBuf {
        self.path().join("etc")
    }
    pub fn sounds(&self) -> PathBuf {
        self.path().join("data/sounds/en")
    }
    /// The running Asterisk's process id, as text (for /proc and kill).
    pub fn pid(&self) -> String {
        let pid = std::fs::read_to_string(self.path().join("run/asterisk.pid")).unwrap();
        pid.trim().to_string()
    }

    pub fn append(&self, file: &str, text: &str) {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(self.etc().join(file))
            .unwrap();
        f.write_all(text.as_bytes()).unwrap();
    }

    pub fn start(&mut self) {
        let out = sandbox_cmd(&["start", self.path().to_str().unwrap()]);
        self.running = true;
        assert!(
            out.status.success(),
            "Asterisk did not start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn cli(&self, command: &str) -> String {
        let out = sandbox_cmd(&["cli", self.path().to_str().unwrap(), command]);
        String::from_utf8_lossy(&out.stdout).to_string()
    }

    pub fn stop(&mut self) {
        if self.running {
            sandbox_cmd(&["stop", self.path().to_str().unwrap()]);
            self.running = false;
        }
    }

    /// Log in to AMI and collect every event in the background.
    pub fn ami(&self) -> Ami {
        Ami::connect(self.ami_port)
    }
}

impl Pbx for Sandbox {
    fn log(&self) -> String {
        std::fs::read_to_string(self.path().join("log/full")).unwrap_or_default()
    }
    fn recordings(&self) -> PathBuf {
        self.path().join("recordings")
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.stop();
        super::keep_valgrind_logs(&self.path().join("log"));
    }
}

pub fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// A minimal AMI client.
pub struct Ami {
    stream: TcpStream,
    pub seen: Arc<Mutex<String>>,
}

impl Ami {
    fn connect(port: u16) -> Ami {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("AMI listens");
        let seen = Arc::new(Mutex::new(String::new()));
        let reader = BufReader::new(stream.try_clone().unwrap());
        let sink = Arc::clone(&seen);
        std::thread::spawn(move || {
            for line in reader.lines() {
                let Ok(line) = line else { break };
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        let mut ami = Ami { stream, seen };
        ami.send("Action: Login\r\nUsername: legrec\r\nSecret: legrec\r\n");
        ami
    }

    pub fn send(&mut self, action: &str) {
        self.stream.write_all(action.as_bytes()).unwrap();
        self.stream.write_all(b"\r\n").unwrap();
    }

    pub fn text(&self) -> String {
        self.seen.lock().unwrap().clone()
    }

    /// Blocks of the form "Event: NAME" ... up to a blank line.
    pub fn events(&self, name: &str) -> Vec<String> {
        self.text()
            .split("\n\n")
            .filter(|b| {
                b.replace('\r', "")
                    .lines()
                    .any(|l| l == format!("Event: {name}"))
            })
            .map(|b| b.replace('\r', ""))
            .collect()
    }

    pub fn wait_event(&self, name: &str, n: usize, timeout: Duration) -> Vec<String> {
        let end = Instant::now() + timeout;
        while Instant::now() < end {
            let e = self.events(name);
            if e.len() >= n {
                return e;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("no {n} AMI {name} events; saw:\n{}", self.text());
    }
}

/// Where the 1400 Hz warning beep sounds in 8 kHz audio: the 100 ms
/// windows whose tone share exceeds `share`, and the windows where a run
/// of them starts.
pub fn beep_windows(x: &[i16], share: f64) -> (Vec<usize>, Vec<usize>) {
    let on: Vec<usize> = (0..x.len() / 800)
        .filter(|w| tone_share(&x[w * 800..(w + 1) * 800], 8000.0, 1400.0) > share)
        .collect();
    let starts = on
        .iter()
        .copied()
        .filter(|w| !on.contains(&(w.wrapping_sub(1))))
        .collect();
    (on, starts)
}

/// Power of `freq` in `x` (Goertzel), normalised by the signal's energy:
/// near 1 when the window is a pure tone at `freq`.
pub fn tone_share(x: &[i16], rate: f64, freq: f64) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    let w = 2.0 * std::f64::consts::PI * freq / rate;
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    let mut energy = 0.0;
    for &v in x {
        let v = f64::from(v);
        energy += v * v;
        let s = v + coeff * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    let power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    if energy == 0.0 {
        0.0
    } else {
        2.0 * power / (energy * x.len() as f64)
    }
}

pub fn rms(x: &[i16]) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    (x.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / x.len() as f64).sqrt()
}

/// A sipp call to `service` sending A-law audio from the first moment and
/// the key `1` as an RFC 2833 event `key_at_ms` after the call is up, then
/// audio again, until it hangs up at 11 s.
pub fn sipp_call(sb: &Sandbox, service: &str, key_at_ms: Option<u64>) {
    use super::sipp::Step::*;
    let total = 11_000u64;
    let steps = match key_at_ms {
        Some(at) => vec![
            Audio,
            Wait(at),
            Key('1'),
            Wait(600),
            Audio,
            Wait(total - at),
        ],
        None => vec![Audio, Wait(total)],
    };
    let out = super::sipp::call(sb.sip_port, service, &steps);
    assert!(
        out.status.success(),
        "sipp failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        tail(&sb.log(), 30)
    );
}
