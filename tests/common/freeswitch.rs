//! A real FreeSWITCH for the integration tests, started in a throw-away
//! folder by scripts/freeswitch-sandbox and always stopped.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::pbx::Pbx;
use super::{repo, target_dir};

/// mod_legrec.so built once per test binary from the library under test.
pub fn module() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let so = target_dir().join("fs").join("mod_legrec.so");
            let status = Command::new("make")
                .current_dir(repo())
                .args(["-s", "--no-print-directory", "freeswitch", "sounds"])
                .arg(format!("LEGREC_LIB={}", super::staticlib().display()))
                .arg(format!("FS_MODULE_SO={}", so.display()))
                .status()
                .expect("make runs");
            assert!(
                status.success() && so.exists(),
                "building mod_legrec.so failed"
            );
            so
        })
        .clone()
}

static NEXT: AtomicU16 = AtomicU16::new(0);

pub struct Sandbox {
    pub dir: tempfile::TempDir,
    pub esl_port: u16,
    /// The SIP profile's port, with `with_sip`.
    pub sip_port: u16,
    running: bool,
}

/// mod_sofia's profile `legrec`: A-law, RFC 2833, nobody asked to
/// authenticate, calls into the default context.
const SOFIA: &str = r#"<configuration name="sofia.conf" description="sofia Endpoint">
      <global_settings><param name="log-level" value="0"/></global_settings>
      <profiles><profile name="legrec"><settings>
        <param name="context" value="default"/>
        <param name="dialplan" value="XML"/>
        <param name="sip-ip" value="127.0.0.1"/>
        <param name="rtp-ip" value="127.0.0.1"/>
        <param name="ext-sip-ip" value="127.0.0.1"/>
        <param name="ext-rtp-ip" value="127.0.0.1"/>
        <param name="sip-port" value="SIP_PORT"/>
        <param name="auth-calls" value="false"/>
        <param name="inbound-codec-prefs" value="PCMA,PCMU"/>
        <param name="outbound-codec-prefs" value="PCMA,PCMU"/>
        <param name="dtmf-type" value="rfc2833"/>
        <param name="rfc2833-pt" value="101"/>
        <param name="rtp-timer-name" value="soft"/>
        <param name="manage-presence" value="false"/>
      </settings></profile></profiles>
    </configuration>
"#;

fn sandbox_cmd(args: &[&str]) -> std::process::Output {
    Command::new(repo().join("scripts/freeswitch-sandbox"))
        .args(args)
        .output()
        .expect("sandbox script runs")
}

impl Sandbox {
    pub fn new(dialplan: &str) -> Sandbox {
        let module = module();
        let dir = tempfile::Builder::new()
            .prefix("legrec-fs")
            .tempdir()
            .unwrap();
        let esl_port =
            18021 + (std::process::id() % 400) as u16 * 8 + NEXT.fetch_add(1, Ordering::Relaxed);
        let out = sandbox_cmd(&[
            "create",
            dir.path().to_str().unwrap(),
            module.to_str().unwrap(),
            &esl_port.to_string(),
        ]);
        assert!(
            out.status.success(),
            "sandbox create: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::write(
            dir.path().join("conf/dialplan.xml"),
            format!("<context name=\"default\">\n{dialplan}\n</context>\n"),
        )
        .unwrap();
        Sandbox {
            dir,
            esl_port,
            // Above every sandbox's event socket (18021 + 8 * 400).
            sip_port: esl_port + 4000,
            running: false,
        }
    }

    /// A sandbox that also answers SIP (mod_sofia on 127.0.0.1:`sip_port`),
    /// for callers that are real SIP phones (sipp).
    pub fn with_sip(dialplan: &str) -> Sandbox {
        let sb = Sandbox::new(dialplan);
        let xml = sb.conf().join("freeswitch.xml");
        let text = std::fs::read_to_string(&xml).unwrap();
        let include = r#"<X-PRE-PROCESS cmd="include" data="callcenter.conf.xml"/>"#;
        let load = r#"<load module="mod_loopback"/>"#;
        assert!(text.contains(include) && text.contains(load), "{text}");
        let sofia = SOFIA.replace("SIP_PORT", &sb.sip_port.to_string());
        let text = text
            .replace(
                load,
                &format!("{load}\n        <load module=\"mod_sofia\"/>"),
            )
            .replace(include, &format!("{sofia}    {include}"));
        std::fs::write(&xml, text).unwrap();
        sb
    }

    /// sipp calls `service` and does `steps` (common::sipp), then hangs up.
    pub fn sip_call(&self, service: &str, steps: &[super::sipp::Step]) {
        let out = super::sipp::call(self.sip_port, service, steps);
        assert!(
            out.status.success(),
            "sipp failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            super::asterisk::tail(&self.log(), 30)
        );
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
    pub fn conf(&self) -> PathBuf {
        self.path().join("conf")
    }

    pub fn start(&mut self) {
        let out = sandbox_cmd(&["start", self.path().to_str().unwrap()]);
        self.running = true;
        assert!(
            out.status.success(),
            "FreeSWITCH did not start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// `kill -9` FreeSWITCH, as a crash would end it, and wait until it is
    /// gone.
    pub fn kill(&mut self) {
        let pid = std::fs::read_to_string(self.path().join("run/freeswitch.pid")).unwrap();
        let pid = pid.trim();
        assert!(Command::new("kill")
            .args(["-9", pid])
            .status()
            .unwrap()
            .success());
        let proc = PathBuf::from(format!("/proc/{pid}"));
        let end = Instant::now() + Duration::from_secs(10);
        while proc.exists() && Instant::now() < end {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(!proc.exists(), "FreeSWITCH {pid} still there after kill -9");
        self.running = false;
    }

    pub fn api(&self, command: &str) -> String {
        let out = sandbox_cmd(&["cli", self.path().to_str().unwrap(), command]);
        String::from_utf8_lossy(&out.stdout).to_string()
    }

    /// Subscribe to legrec's events over the event socket.
    pub fn events(&self) -> Events {
        Events::connect(self.esl_port)
    }

    /// An event socket connection for API commands: far quicker than
    /// `api` (an fs_cli process each), for tests that race them.
    pub fn esl(&self) -> Esl {
        Esl::connect(self.esl_port)
    }
}

/// API commands over one event socket connection.
pub struct Esl {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Esl {
    fn connect(port: u16) -> Esl {
        let writer = TcpStream::connect(("127.0.0.1", port)).expect("event socket listens");
        let mut esl = Esl {
            reader: BufReader::new(writer.try_clone().unwrap()),
            writer,
        };
        esl.reply(); // auth/request
        esl.writer.write_all(b"auth ClueCon\n\n").unwrap();
        let (head, _) = esl.reply();
        assert!(head.contains("+OK accepted"), "{head}");
        esl
    }

    /// One reply: its headers, and its body (Content-Length bytes).
    fn reply(&mut self) -> (String, String) {
        use std::io::Read;
        let mut head = String::new();
        loop {
            let mut line = String::new();
            let n = self
                .reader
                .read_line(&mut line)
                .expect("event socket reply");
            assert!(n > 0, "event socket closed; headers so far: {head}");
            if line == "\n" && !head.is_empty() {
                break;
            }
            head.push_str(&line);
        }
        let len = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Length: "))
            .map_or(0, |n| n.trim().parse().unwrap());
        let mut body = vec![0; len];
        self.reader.read_exact(&mut body).unwrap();
        (head, String::from_utf8_lossy(&body).into_owned())
    }

    /// The API command's output.
    pub fn api(&mut self, command: &str) -> String {
        self.writer
            .write_all(format!("api {command}\n\n").as_bytes())
            .unwrap();
        self.reply().1
    }
}

impl Pbx for Sandbox {
    fn log(&self) -> String {
        std::fs::read_to_string(self.path().join("log/freeswitch.log")).unwrap_or_default()
    }
    fn recordings(&self) -> PathBuf {
        self.path().join("recordings/legrec")
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if self.running {
            sandbox_cmd(&["stop", self.path().to_str().unwrap()]);
        }
        super::keep_valgrind_logs(&self.path().join("log"));
    }
}

/// legrec's CUSTOM events, read from the event socket in the background.
pub struct Events {
    _stream: TcpStream,
    seen: Arc<Mutex<String>>,
}

impl Events {
    fn connect(port: u16) -> Events {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("event socket listens");
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
        stream.write_all(b"auth ClueCon\n\n").unwrap();
        std::thread::sleep(Duration::from_millis(200));
        stream
            .write_all(b"event plain CUSTOM legrec::start legrec::stop legrec::consent\n\n")
            .unwrap();
        std::thread::sleep(Duration::from_millis(200));
        Events {
            _stream: stream,
            seen,
        }
    }

    pub fn wait(&self, subclass: &str, timeout: Duration) -> String {
        let end = Instant::now() + timeout;
        let needle = format!("Event-Subclass: {}", subclass.replace(':', "%3A"));
        while Instant::now() < end {
            let text = self.seen.lock().unwrap().clone();
            if let Some(i) = text.find(&needle) {
                let start = text[..i].rfind("\n\n").map_or(0, |p| p + 2);
                let stop = text[i..].find("\n\n").map_or(text.len(), |p| i + p);
                return text[start..stop].to_string();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("no {subclass} event; saw:\n{}", self.seen.lock().unwrap());
    }
}
