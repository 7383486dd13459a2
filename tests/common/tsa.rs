//! A real Time-Stamp Authority for the tests: a CA and a TSA certificate
//! made here with `openssl req`/`openssl x509` (extendedKeyUsage critical,
//! timeStamping), and OpenSSL's `openssl ts -reply` behind
//! tests/tools/tsa_server.py on 127.0.0.1, stopped when dropped.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub struct Tsa {
    pub port: u16,
    child: Child,
    pub dir: tempfile::TempDir,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A test CA and a TSA certificate it signed, in `dir`: ca.pem, tsa.pem,
/// tsa.key, and ts.cnf for `openssl ts -reply`.
pub fn make_pki(dir: &Path) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "30",
            "-subj",
            "/CN=legrec test TSA CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "tsa.key",
            "-out",
            "tsa.csr",
            "-subj",
            "/CN=legrec test TSA",
        ],
    );
    std::fs::write(
        dir.join("tsa.ext"),
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "tsa.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "tsa.pem",
            "-days",
            "30",
            "-sha256",
            "-extfile",
            "tsa.ext",
        ],
    );
    std::fs::write(dir.join("serial"), "01\n").unwrap();
    std::fs::write(
        dir.join("ts.cnf"),
        format!(
            "[tsa]\ndefault_tsa = tsa1\n[tsa1]\ndir = {d}\nserial = {d}/serial\n\
             signer_cert = {d}/tsa.pem\ncerts = {d}/ca.pem\nsigner_key = {d}/tsa.key\n\
             signer_digest = sha256\ndefault_policy = 1.2.3.4.1\ndigests = sha256\n\
             accuracy = secs:1\nordering = no\ntsa_name = no\n\
             ess_cert_id_chain = no\ness_cert_id_alg = sha256\n",
            d = dir.display()
        ),
    )
    .unwrap();
}

impl Tsa {
    /// A TSA answering as OpenSSL does (`mode` "reply") or with bytes that
    /// are no answer ("garbage").
    pub fn start(mode: &str) -> Tsa {
        let dir = tempfile::tempdir().unwrap();
        make_pki(dir.path());
        Tsa::start_in(0, mode, dir)
    }

    /// On `port` (0: any), with the PKI already made in `dir`.
    pub fn start_in(port: u16, mode: &str, dir: tempfile::TempDir) -> Tsa {
        let mut child = Command::new("python3")
            .arg(super::repo().join("tests/tools/tsa_server.py"))
            .arg(port.to_string())
            .arg(dir.path().join("ts.cnf"))
            .arg(mode)
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line.trim().parse().expect("the TSA prints its port");
        Tsa { port, child, dir }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/tsa", self.port)
    }

    pub fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// Has this TSA stamp `spool`'s chain now, through the library (as
    /// `legrec anchor --once` does); panics unless a token was kept.
    #[allow(dead_code)]
    pub fn anchor(&self, spool: &Path) {
        let anchored = legrec::anchor::anchor_once(
            &legrec::anchor::config::AnchorConfig {
                spool: spool.to_path_buf(),
                tsa_url: self.url(),
                tsa_ca: self.ca(),
                interval: std::time::Duration::from_secs(600),
            },
            false,
        )
        .unwrap();
        assert!(matches!(anchored, legrec::anchor::Anchored::Done { .. }));
    }
}

impl Drop for Tsa {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
