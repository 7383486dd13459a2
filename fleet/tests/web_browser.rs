//! The recording browser in a real browser: headless Chromium (Debian's
//! chromium and chromium-driver) driven over WebDriver (fantoccini), on a
//! spool the real core recorded in real time.  Log in, search, open a
//! recording, see both waveforms and the marks, play it (the <audio>
//! element's currentTime advances), seek, switch legs; role limits; forged
//! and missing CSRF tokens and a forged cookie refused.  Writes a
//! screenshot of the recording page (to doc/browser-recording.png when
//! LEGREC_SCREENSHOT=1).

mod common;

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::web::*;
use common::*;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

/// chromedriver on a port of the test's own, in its own process group so
/// that dropping it ends it and the Chromium it started, whatever happened.
struct Driver {
    child: Child,
    url: String,
    _profile: tempfile::TempDir,
}

impl Driver {
    fn start() -> Driver {
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

    async fn browser(&self) -> Client {
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

async fn text(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn login(c: &Client, server: &Server, user: &str, then: &str) {
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
async fn status_of(c: &Client, path: &str) -> u64 {
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
async fn expect(c: &Client, css: &str) {
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

async fn js(c: &Client, script: &str) -> serde_json::Value {
    c.execute(script, vec![]).await.unwrap()
}

async fn wait_js(c: &Client, script: &str, what: &str) -> serde_json::Value {
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

#[test]
fn search_open_play_and_the_limits_of_each_role() {
    let tmp = tempfile::tempdir().unwrap();
    let spool = tmp.path().join("spool");
    let rich = record_call_centre(&spool);
    let rich_id = rich.file_stem().unwrap().to_str().unwrap().to_string();
    let others = record(
        &spool,
        &[
            Call::new("5551002", "support", Some("bob")),
            Call::new("5551003", "sales", Some("carol")),
        ],
    );
    let support_id = others[0].file_stem().unwrap().to_str().unwrap().to_string();
    let conf = write_conf(tmp.path(), &spool, "pbx_name = pbx-a");
    // The users' database of this test's own (the default is the host's).
    let mut text = std::fs::read_to_string(&conf).unwrap();
    text.push_str(&format!(
        "\n[web]\naccounts = sqlite://{}\n",
        tmp.path().join("accounts.sqlite").display()
    ));
    std::fs::write(&conf, text).unwrap();
    fleet_ok(&["index", "--config", conf.to_str().unwrap()]);
    add_user(
        &conf,
        "sue",
        "supervisor",
        &["--queues", "sales"],
        &password("sue"),
    );
    add_user(&conf, "alice", "agent", &[], &password("alice"));
    add_user(&conf, "audrey", "auditor", &[], &password("audrey"));
    let server = Server::start(&conf);
    let driver = Driver::start();
    let shot = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let c = driver.browser().await;
        let shot = browse(&c, &server, &rich_id, &support_id).await;
        c.close().await.unwrap();
        shot
    });
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser-recording.png");
    std::fs::write(&out, &shot).unwrap();
    assert_eq!(&shot[1..4], b"PNG");
    if std::env::var_os("LEGREC_SCREENSHOT").is_some_and(|v| v == "1") {
        std::fs::write(repo().join("doc/browser-recording.png"), &shot).unwrap();
    }
    // Every playback the browser made is in the chain legrec verify checks.
    let mut report = Vec::new();
    assert_eq!(
        legrec::admin::verify::run(&spool, &mut report),
        0,
        "{}",
        String::from_utf8_lossy(&report)
    );
    let log = std::fs::read_to_string(spool.join("audit.jsonl")).unwrap();
    assert!(log.contains("\"event\":\"played\"") && log.contains("\\\"user\\\":\\\"sue\\\""));
}

async fn browse(c: &Client, server: &Server, rich_id: &str, support_id: &str) -> Vec<u8> {
    // The supervisor of sales logs in and searches.
    login(c, server, "sue", "/recordings").await;
    let rows = c
        .find_all(Locator::Css("#results tbody a.open"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 2, "sales only");
    let form = c.form(Locator::Css("#search")).await.unwrap();
    form.set_by_name("caller", "+14155550123").await.unwrap();
    form.submit().await.unwrap();
    wait_js(c, "return location.search.includes('caller=%2B14155550123') && document.readyState === 'complete'", "the search").await;
    let rows = c
        .find_all(Locator::Css("#results tbody a.open"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    rows[0].clone().click().await.unwrap();
    expect(c, "#rec-id").await;
    assert_eq!(text(c, "#rec-id").await, rich_id);
    assert_eq!(text(c, "#verdict").await, "intact");
    let facts = text(c, "#facts").await;
    for says in [
        "+14155550123 (Dana Reyes) called +14155550100 through queue sales",
        "Answered by agent alice.",
        "bob (PJSIP/bob-00000003",
        "The notice 'legrec-notice' was played to the caller at 0.0 s.",
        "The law applied: all-party",
        "Masked (silence, timeline kept) from 3.0 s to 4.0 s, asked by dialplan.",
        "asked by cli (the time is cut out)",
        "warning tone",
    ] {
        assert!(facts.contains(says), "{says}\n{facts}");
    }
    let marks = text(c, "#marks").await;
    for kind in [
        "notice",
        "mask",
        "pause",
        "beep",
        "peer: alice",
        "peer: bob",
    ] {
        assert!(marks.contains(kind), "{kind}\n{marks}");
    }
    // Both waveforms drawn, with their regions.
    wait_js(c, "return document.body.dataset.wavein === 'ready' && document.body.dataset.waveout === 'ready'", "both waveforms").await;
    let regions = js(c, "return [...document.querySelectorAll('#wave-in, #wave-out')].map(w => w.firstElementChild.shadowRoot.querySelectorAll('[part~=region], [part~=marker]').length)").await;
    let regions: Vec<u64> = regions
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert!(
        regions[0] >= 2 && regions[1] >= 5,
        "regions per lane {regions:?}"
    );

    // Play: the <audio> element's time advances.
    js(c, "document.getElementById('player').play(); return true").await;
    wait_js(
        c,
        "const a = document.getElementById('player'); return a.currentTime > 0.8 && !a.paused",
        "playback",
    )
    .await;
    js(c, "document.getElementById('player').pause(); return true").await;
    // Seek by a mark's button (a keyboard-reachable button).
    let seek = c
        .find(Locator::Css(".mark-mask button.seek"))
        .await
        .unwrap();
    seek.click().await.unwrap();
    let at = wait_js(
        c,
        "const t = document.getElementById('player').currentTime; return t > 2.9 && t < 3.2 && t",
        "the seek",
    )
    .await;
    assert!(at.as_f64().unwrap() > 2.9);
    // One leg alone keeps the position.
    c.find(Locator::Css("input[name=leg][value=in]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_js(c, "const a = document.getElementById('player'); return a.src.endsWith('/audio/in') && a.readyState > 0 && Math.abs(a.currentTime - 3.0) < 0.3", "the in leg at the same place").await;
    js(
        c,
        "document.getElementById('player').currentTime = 1.5; document.activeElement.blur(); return true",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let top = js(c, "window.scrollTo(0, 0); return document.querySelector('header').getBoundingClientRect().top").await;
    assert_eq!(top, json!(0), "the page's top is in the screenshot");
    let shot = c.screenshot().await.unwrap();

    // Outside sue's scope: the page and the API both 404.
    assert_eq!(
        status_of(c, &format!("/recordings/{support_id}")).await,
        404
    );
    assert_eq!(
        status_of(c, &format!("/api/recordings/{support_id}/audio/stereo")).await,
        404
    );
    assert_eq!(status_of(c, "/audit").await, 404);
    c.goto(&server.url(&format!("/recordings/{support_id}")))
        .await
        .unwrap();
    assert!(text(c, "main")
        .await
        .contains(&format!("no recording '{support_id}'")));

    // Logging out with a forged CSRF token, then with none: refused (403),
    // and the session lives on.
    c.goto(&server.url("/recordings")).await.unwrap();
    js(c, "document.querySelector('form.logout input[name=csrf]').value = 'forged'; document.querySelector('form.logout').submit(); return true").await;
    expect(c, "main .error").await;
    let refused = text(c, "main").await;
    assert!(
        refused.contains("403") && refused.contains("CSRF"),
        "{refused}"
    );
    c.goto(&server.url("/recordings")).await.unwrap();
    js(c, "document.querySelector('form.logout input[name=csrf]').remove(); document.querySelector('form.logout').submit(); return true").await;
    expect(c, "main .error").await;
    assert!(text(c, "main").await.contains("CSRF"));
    c.goto(&server.url("/recordings")).await.unwrap();
    assert!(text(c, "#me").await.starts_with("sue"), "still logged in");
    // The real logout ends the session.
    c.find(Locator::Css("form.logout button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    expect(c, "form.login").await;
    assert_eq!(status_of(c, "/api/recordings").await, 401);

    // A cookie the server never gave is the login form again.
    c.goto(&server.url("/login")).await.unwrap();
    js(
        c,
        "document.cookie = 'legrec_session=forged-token-forged-token-forged-token-abc; path=/'; return true",
    )
    .await;
    c.goto(&server.url("/recordings")).await.unwrap();
    expect(c, "form.login").await;
    assert_eq!(status_of(c, "/api/recordings").await, 401);
    c.delete_all_cookies().await.unwrap();

    // The agent sees her call and who listened to it.
    login(c, server, "alice", "/trail").await;
    let trail = text(c, "#trail").await;
    assert!(
        trail.contains(rich_id) && trail.contains("sue") && trail.contains("supervisor"),
        "{trail}"
    );
    c.goto(&server.url(&format!("/recordings/{rich_id}")))
        .await
        .unwrap();
    let access = text(c, "#access").await;
    assert!(
        access.contains("sue") && access.contains("played stereo"),
        "{access}"
    );
    assert_eq!(
        status_of(c, &format!("/recordings/{support_id}")).await,
        404
    );
    c.find(Locator::Css("form.logout button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    expect(c, "form.login").await;

    // The auditor: the facts and the chain, no player, no audio.
    login(c, server, "audrey", &format!("/recordings/{rich_id}")).await;
    assert_eq!(text(c, "#verdict").await, "intact");
    assert!(c.find_all(Locator::Css("audio")).await.unwrap().is_empty());
    assert_eq!(
        status_of(c, &format!("/api/recordings/{rich_id}/audio/stereo")).await,
        404
    );
    c.goto(&server.url("/audit")).await.unwrap();
    assert!(text(c, "#chain").await.starts_with("chain intact"));
    shot
}
