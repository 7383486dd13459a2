//! A real browser for the web tests: headless Chromium (Debian's chromium
//! and chromium-driver) over WebDriver (fantoccini), and the few steps the
//! tests take in it.

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use super::ports;
use super::web::{password, Server};

/// chromedriver on a port of the test's own, in its own process group so
/// that dropping it ends it and the Chromium it started, whatever happened.
pub struct Driver {
    child: Child,
    url: String,
    _profile: tempfile::TempDir,
}

impl Driver {
    pub fn start() -> Driver {
        let port = ports();
        let child = Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("chromedriver (Debian's chromium-driver) runs");
        let url = format!("http://127.0.0.1:{port}");
        let d = Driver {
            child,
            url,
            _profile: tempfile::tempdir().unwrap(),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not listen");
            std::thread::sleep(Duration::from_millis(100));
        }
        d
    }

    pub async fn browser(&self) -> Client {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu",
                    "--disable-dev-shm-usage", "--window-size=1280,1400",
                    "--autoplay-policy=no-user-gesture-required",
                    format!("--user-data-dir={}", self._profile.path().display()),
                ],
            }),
        );
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&self.url)
            .await
            .expect("a Chromium session")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let group = self.child.id() as i32;
        unsafe { libc::kill(-group, libc::SIGTERM) };
        std::thread::sleep(Duration::from_millis(300));
        unsafe { libc::kill(-group, libc::SIGKILL) };
        let _ = self.child.wait();
    }
}

pub async fn text(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

pub async fn browser_login(c: &Client, server: &Server, user: &str, then: &str) {
    c.goto(&server.url(then)).await.unwrap();
    // Any page without a session is the login form (answered 401), which
    // comes back to the page asked for.
    let form = c.form(Locator::Css("form.login")).await.unwrap();
    form.set_by_name("user", user).await.unwrap();
    form.set_by_name("password", &password(user)).await.unwrap();
    form.submit().await.unwrap();
    expect(c, "#me").await;
    assert!(text(c, "#me").await.starts_with(user));
}

/// The status of GET `path` from the page (with its cookie).
pub async fn status_of(c: &Client, path: &str) -> u64 {
    c.execute_async(
        "fetch(arguments[0]).then(r => arguments[1](r.status))",
        vec![json!(path)],
    )
    .await
    .unwrap()
    .as_u64()
    .unwrap()
}

/// Waits for `css`; on a timeout, fails showing the page it got.
pub async fn expect(c: &Client, css: &str) {
    if c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(css))
        .await
        .is_err()
    {
        let url = c
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default();
        panic!(
            "no {css} at {url}:\n{}",
            c.source().await.unwrap_or_default()
        );
    }
}

pub async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

pub async fn js(c: &Client, script: &str) -> serde_json::Value {
    c.execute(script, vec![]).await.unwrap()
}

pub async fn wait_js(c: &Client, script: &str, what: &str) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let v = js(c, script).await;
        if v != json!(false) && v != json!(null) {
            return v;
        }
        assert!(Instant::now() < deadline, "waited 20 s for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
