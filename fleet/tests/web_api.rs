//! The recording browser's JSON API over HTTP, on spools the real core
//! recorded: login, search, a recording with its integrity, audio by
//! ranges, scopes (404 outside), sessions, CSRF, the login rate limit, the
//! access trail in the audit chain that `legrec verify` checks, TLS.

mod common;

use common::web::*;
use common::*;

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn login_search_a_recording_and_its_audio_by_ranges() {
    let site = Site::new(&site_calls(), "");
    let server = Server::start(&site.conf);
    let wrong = send(
        agent()
            .post(&server.url("/api/login"))
            .set("Content-Type", "application/json"),
        Some(r#"{"user": "root", "password": "not-it"}"#),
    );
    assert_eq!(wrong.status, 401, "{}", wrong.text());
    assert_eq!(wrong.json()["error"], "wrong user or password");
    assert!(wrong.cookie("legrec_session").is_none());

    let ok = send(
        agent()
            .post(&server.url("/api/login"))
            .set("Content-Type", "application/json"),
        Some(&format!(
            r#"{{"user": "root", "password": "{}"}}"#,
            password("root")
        )),
    );
    assert_eq!(ok.status, 200);
    assert_eq!(ok.json()["role"], "admin");
    let set = ok.header("set-cookie").unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict") && !set.contains("Secure"),
        "{set}"
    );

    let root = login(&server, "root", &password("root"));
    let all = ids(&root.get("/api/recordings"));
    assert_eq!(all, sorted((0..4).map(|i| site.id(i)).collect()));
    assert_eq!(
        ids(&root.get("/api/recordings?queue=sales")),
        sorted(vec![site.id(0), site.id(1)])
    );
    assert_eq!(
        ids(&root.get("/api/recordings?agent=alice&queue=support")),
        [site.id(2)]
    );
    let longest = root.get("/api/recordings?sort=duration&limit=1");
    assert_eq!(ids(&longest), [site.id(2)]);
    let page2 = root.get("/api/recordings?sort=caller&order=asc&limit=2&offset=2");
    assert_eq!(page2.json()[0]["caller"], "5551003");
    // Malformed queries and absurd ranges: a 400 naming what is wrong.
    for (q, says) in [
        ("callr=1", "callr"),
        ("from=yesterday", "yesterday"),
        ("from=2026-12-02&to=2026-12-01", "from is not before to"),
        ("limit=0", "limit"),
        ("offset=99999999999", "offset"),
        ("min_duration=-1", "min_duration"),
        ("sort=id", "sort"),
    ] {
        let a = root.get(&format!("/api/recordings?{q}"));
        assert_eq!(a.status, 400, "{q}");
        assert!(
            a.json()["error"].as_str().unwrap().contains(says),
            "{q}: {}",
            a.text()
        );
    }

    // The search page pages and sorts by the same query.
    let page = root.get("/recordings?limit=2&sort=caller&order=asc");
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains("5551001") && html.contains("5551002") && !html.contains("5551003"));
    assert!(
        html.contains(
            "rel=\"next\" href=\"&#x2f;recordings?sort=caller&amp;order=asc&amp;limit=2&amp;offset=2\""
        ),
        "{html}"
    );
    assert!(!html.contains("rel=\"prev\""));
    let last = root
        .get("/recordings?limit=2&sort=caller&order=asc&offset=2")
        .text();
    assert!(
        last.contains("5551004") && last.contains("rel=\"prev\"") && !last.contains("rel=\"next\"")
    );
    let bad = root.get("/recordings?from=nonsense");
    assert_eq!(bad.status, 400);
    assert!(bad.text().contains("nonsense"));
    assert_eq!(root.get("/recordings?limit=1000").status, 200);

    // One recording: the indexed facts, the sidecar, intact files.
    let id = site.id(2);
    let r = root.get(&format!("/api/recordings/{id}"));
    assert_eq!(r.status, 200, "{}", r.text());
    let r = r.json();
    assert_eq!(r["id"], id.as_str());
    assert_eq!(r["sidecar"]["agent"], "alice");
    assert_eq!(r["integrity"]["verdict"], "intact", "{}", r["integrity"]);
    assert_eq!(r["integrity"]["files"].as_array().unwrap().len(), 4);
    assert!(r["access"].as_array().unwrap().is_empty());

    // Audio: the whole file, then ranges answered 206 with the right bytes.
    let dir = site.sidecars[2].parent().unwrap().to_path_buf();
    let stereo = std::fs::read(dir.join(format!("{id}.flac"))).unwrap();
    let whole = root.get(&format!("/api/recordings/{id}/audio/stereo"));
    assert_eq!(whole.status, 200);
    assert_eq!(whole.header("content-type"), Some("audio/flac"));
    assert_eq!(whole.header("accept-ranges"), Some("bytes"));
    assert_eq!(whole.body, stereo);
    let part = root.get_with(
        &format!("/api/recordings/{id}/audio/stereo"),
        &[("Range", "bytes=100-1099")],
    );
    assert_eq!(part.status, 206);
    assert_eq!(
        part.header("content-range"),
        Some(format!("bytes 100-1099/{}", stereo.len()).as_str())
    );
    assert_eq!(part.body, &stereo[100..1100]);
    let tail = root.get_with(
        &format!("/api/recordings/{id}/audio/in"),
        &[("Range", "bytes=-50")],
    );
    let leg_in = std::fs::read(dir.join(format!("{id}-in.flac"))).unwrap();
    assert_eq!(
        (tail.status, tail.body.as_slice()),
        (206, &leg_in[leg_in.len() - 50..])
    );
    let beyond = root.get_with(
        &format!("/api/recordings/{id}/audio/out"),
        &[("Range", "bytes=99999999-")],
    );
    assert_eq!(beyond.status, 416);
    let dl = root.get(&format!("/api/recordings/{id}/audio/in?download=1"));
    assert_eq!(dl.status, 200);
    assert_eq!(
        dl.header("content-disposition"),
        Some(format!("attachment; filename=\"{id}-in.flac\"").as_str())
    );
    // The waveform: 50 slices a second, loud (a tone on each leg).
    let peaks = root.get(&format!("/api/recordings/{id}/peaks/in")).json();
    let p = peaks["peaks"].as_array().unwrap();
    assert_eq!(p.len(), 60, "{peaks}");
    assert!(p[30].as_f64().unwrap() > 0.1, "{peaks}");

    // Unknown ids, malformed ids, unknown legs: 404 or 400, never more.
    let unknown = root.get("/api/recordings/20000101-000000-000-00000000");
    assert_eq!(unknown.status, 404);
    assert_eq!(
        unknown.json()["error"],
        "no recording '20000101-000000-000-00000000'"
    );
    assert_eq!(
        root.get("/api/recordings/..%2F..%2Fetc%2Fpasswd").status,
        400
    );
    assert_eq!(
        root.get(&format!("/api/recordings/{id}/audio/..%2Fx"))
            .status,
        404
    );
    assert_eq!(
        root.get(&format!("/api/recordings/{id}/audio/mixed"))
            .status,
        404
    );
    assert_eq!(
        root.get(&format!("/api/recordings/{id}/audio/in?download=yes"))
            .status,
        400
    );

    // The access trail: one "played" for the session's playing of each
    // file however many ranges, one "downloaded"; in the access trail's
    // chain, which legrec verify still finds intact.
    let r = root.get(&format!("/api/recordings/{id}")).json();
    let access: Vec<(String, String)> = r["access"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["event"].as_str().unwrap().to_string(),
                a["what"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        access,
        [
            ("downloaded".to_string(), "in".to_string()),
            ("played".into(), "out".into()),
            ("played".into(), "in".into()),
            ("played".into(), "stereo".into()),
        ]
    );
    assert_eq!(r["access"][0]["user"], "root");
    assert_eq!(r["access"][0]["role"], "admin");
    assert_eq!(r["access"][0]["client"], "127.0.0.1");
    let evidence = root.get(&format!("/api/recordings/{id}/evidence"));
    assert_eq!(evidence.status, 200);
    let e = evidence.json();
    assert_eq!(e["integrity"]["verdict"], "intact");
    assert_eq!(e["audit_entries"][0]["event"], "recorded");
    let mut out = Vec::new();
    assert_eq!(
        legrec::admin::verify::run(&site.spool, &mut out),
        0,
        "{}",
        String::from_utf8_lossy(&out)
    );
    let log = std::fs::read_to_string(site.spool.join("access.jsonl")).unwrap();
    assert_eq!(
        log.lines()
            .filter(|l| l.contains("\"event\":\"played\""))
            .count(),
        3
    );
    assert_eq!(
        log.lines()
            .filter(|l| l.contains("\"event\":\"exported\""))
            .count(),
        1
    );
    assert!(!log.contains(&password("root")));

    // A changed file is named; the recording is no longer intact.
    let mut bytes = std::fs::read(dir.join(format!("{id}-out.flac"))).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(dir.join(format!("{id}-out.flac")), bytes).unwrap();
    let r = root.get(&format!("/api/recordings/{id}")).json();
    assert_eq!(r["integrity"]["verdict"], "damaged");
    let summary = r["integrity"]["summary"].as_str().unwrap();
    assert!(
        summary.contains(&format!("{id}-out.flac changed")),
        "{summary}"
    );
    std::fs::remove_file(dir.join(format!("{id}-in.flac"))).unwrap();
    let r = root.get(&format!("/api/recordings/{id}")).json();
    let summary = r["integrity"]["summary"].as_str().unwrap();
    assert!(
        summary.contains(&format!("{id}-in.flac missing")),
        "{summary}"
    );
    let gone = root.get(&format!("/api/recordings/{id}/audio/in"));
    assert_eq!(gone.status, 404);
    assert!(
        gone.text().contains("neither in this server's spool"),
        "{}",
        gone.text()
    );
}

#[test]
fn every_role_sees_its_scope_and_nothing_else_exists() {
    let site = Site::new(&site_calls(), "");
    let server = Server::start(&site.conf);
    let root = login(&server, "root", &password("root"));
    let sue = login(&server, "sue", &password("sue"));
    let alice = login(&server, "alice", &password("alice"));
    let audrey = login(&server, "audrey", &password("audrey"));
    let unknown_body = |c: &Client, id: &str| {
        let a = c.get(&format!("/api/recordings/{id}"));
        (a.status, a.text())
    };
    let nowhere = "20000101-000000-000-00000000";

    // The supervisor: the sales queue only, even when asking for support.
    assert_eq!(
        ids(&sue.get("/api/recordings")),
        sorted(vec![site.id(0), site.id(1)])
    );
    assert!(ids(&sue.get("/api/recordings?queue=support")).is_empty());
    let (status, body) = unknown_body(&sue, &site.id(2));
    assert_eq!(status, 404);
    // Worded as an id that does not exist: nothing tells it does.
    assert_eq!(
        body,
        unknown_body(&sue, nowhere).1.replace(nowhere, &site.id(2))
    );
    assert_eq!(
        sue.get(&format!("/api/recordings/{}/audio/stereo", site.id(2)))
            .status,
        404
    );
    assert_eq!(
        sue.get(&format!("/api/recordings/{}/audio/stereo", site.id(0)))
            .status,
        200
    );

    // The agent: the calls alice took part in, in either queue.
    assert_eq!(
        ids(&alice.get("/api/recordings")),
        sorted(vec![site.id(0), site.id(2)])
    );
    assert!(ids(&alice.get("/api/recordings?agent=bob")).is_empty());
    assert_eq!(unknown_body(&alice, &site.id(1)).0, 404);
    assert_eq!(
        alice
            .get(&format!("/api/recordings/{}/audio/in", site.id(1)))
            .status,
        404
    );
    assert_eq!(
        alice
            .get(&format!("/api/recordings/{}/evidence", site.id(3)))
            .status,
        404
    );

    // The auditor: every recording's facts, never its audio.
    assert_eq!(ids(&audrey.get("/api/recordings")).len(), 4);
    for leg in ["in", "out", "stereo"] {
        let a = audrey.get(&format!("/api/recordings/{}/audio/{leg}", site.id(0)));
        assert_eq!(a.status, 404, "{leg}");
        assert_eq!(a.json()["error"], format!("no recording '{}'", site.id(0)));
    }
    assert_eq!(
        audrey
            .get(&format!("/api/recordings/{}/peaks/in", site.id(0)))
            .status,
        404
    );
    let chain = audrey.get("/api/audit");
    assert_eq!(chain.status, 200);
    assert_eq!(chain.json()["intact"], true, "{}", chain.text());
    assert_eq!(sue.get("/api/audit").status, 404);
    assert_eq!(alice.get("/api/audit").status, 404);

    // Who listened: the supervisor plays alice's sales call; alice sees
    // that on her call and in her trail, not the root's listening to
    // bob's call; the auditor sees both.
    sue.get(&format!("/api/recordings/{}/audio/stereo", site.id(0)));
    root.get(&format!("/api/recordings/{}/audio/out", site.id(1)));
    let mine = alice.get(&format!("/api/recordings/{}", site.id(0))).json();
    assert_eq!(mine["access"][0]["user"], "sue");
    assert_eq!(mine["access"][0]["role"], "supervisor");
    let trail = alice.get("/api/trail").json();
    let seen: Vec<(&str, &str)> = trail
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["user"].as_str().unwrap(), s["id"].as_str().unwrap()))
        .collect();
    assert_eq!(seen, [("sue", site.id(0).as_str())]);
    let all = audrey.get("/api/trail").json();
    assert_eq!(all.as_array().unwrap().len(), 2, "{all}");
    assert_eq!(all[0]["user"], "root");
    assert_eq!(audrey.get("/api/trail?limit=0").status, 400);
}

#[test]
fn sessions_csrf_and_cookies_the_server_did_not_give() {
    let site = Site::new(&site_calls()[..1], "");
    let server = Server::start(&site.conf);
    let anonymous = send(agent().get(&server.url("/api/recordings")), None);
    assert_eq!(anonymous.status, 401);
    assert!(anonymous.json()["error"]
        .as_str()
        .unwrap()
        .contains("log in"));
    let root = login(&server, "root", &password("root"));
    // A cookie the server never handed out opens nothing.
    let forged = Client {
        cookie: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into(),
        ..login(&server, "root", &password("root"))
    };
    assert_eq!(forged.get("/api/recordings").status, 401);
    let me = root.get("/api/session").json();
    assert_eq!(
        (me["user"].as_str(), me["csrf"].as_str()),
        (Some("root"), Some(root.csrf.as_str()))
    );

    // Logging out changes state: no token, a wrong one, another session's,
    // all refused (403); the session still works after them.
    let other = login(&server, "sue", &password("sue"));
    for bad in [None, Some("wrong"), Some(other.csrf.as_str())] {
        let a = root.post("/api/logout", bad);
        assert_eq!(a.status, 403, "{bad:?}: {}", a.text());
        assert!(a.json()["error"].as_str().unwrap().contains("CSRF"));
    }
    assert_eq!(root.get("/api/recordings").status, 200);
    assert_eq!(root.post("/api/logout", Some(&root.csrf)).status, 204);
    assert_eq!(root.get("/api/recordings").status, 401);
    assert_eq!(other.get("/api/recordings").status, 200);

    // An expired session is refused like a forged one.
    let sue = login(&server, "sue", &password("sue"));
    let db = site.accounts();
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let index = legrec_fleet::index::Index::open(&format!("sqlite://{}", db.display()))
            .await
            .unwrap();
        sqlx::query("UPDATE browser_sessions SET expires_ms = 0 WHERE name = 'sue'")
            .execute(index.pool())
            .await
            .unwrap();
    });
    assert_eq!(sue.get("/api/recordings").status, 401);
    assert_eq!(other.get("/api/recordings").status, 401);

    // A deleted user's sessions end with them.
    let alice = login(&server, "alice", &password("alice"));
    assert_eq!(alice.get("/api/recordings").status, 200);
    fleet_ok(&[
        "user",
        "del",
        "alice",
        "--config",
        site.conf.to_str().unwrap(),
    ]);
    assert_eq!(alice.get("/api/recordings").status, 401);

    // Bad login bodies: 400, not 500.
    for body in [
        "{}",
        "not json",
        r#"{"user": "root"}"#,
        r#"{"user":1,"password":2}"#,
    ] {
        let a = send(
            agent()
                .post(&server.url("/api/login"))
                .set("Content-Type", "application/json"),
            Some(body),
        );
        assert_eq!(a.status / 100, 4, "{body}: {}", a.text());
    }
}

#[test]
fn failed_logins_are_limited_per_user_and_address() {
    let site = Site::new(
        &site_calls()[..1],
        "login_failures = 3\nlogin_window_minutes = 1",
    );
    let server = Server::start(&site.conf);
    let try_login = |user: &str, pw: &str| {
        send(
            agent()
                .post(&server.url("/api/login"))
                .set("Content-Type", "application/json"),
            Some(&serde_json::json!({"user": user, "password": pw}).to_string()),
        )
    };
    for _ in 0..3 {
        assert_eq!(try_login("root", "guess").status, 401);
    }
    // Now even the right password is refused, for a while it names.
    let held = try_login("root", &password("root"));
    assert_eq!(held.status, 429, "{}", held.text());
    let wait: u64 = held.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    // Only that user from that address: a colleague behind the same
    // address logs in (web_attack.rs has the address's own ceiling).
    assert_eq!(try_login("sue", &password("sue")).status, 200);
}

#[test]
fn tls_when_the_config_names_a_certificate() {
    let tmp = tempfile::tempdir().unwrap();
    let (cert, key) = (tmp.path().join("cert.pem"), tmp.path().join("key.pem"));
    let out = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
        ])
        .args(["-addext", "subjectAltName=IP:127.0.0.1"])
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let site = Site::new(
        &site_calls()[..1],
        &format!("tls_cert = {}\ntls_key = {}", cert.display(), key.display()),
    );
    let server = Server::start_with(&site.conf, "https");
    let listen = server.base.strip_prefix("https://").unwrap().to_string();
    let mut roots = rustls::RootCertStore::empty();
    let pem = std::fs::read(&cert).unwrap();
    let der = rustls::pki_types::pem::PemObject::from_pem_slice(&pem).unwrap();
    roots.add(der).unwrap();
    let tls = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let https = ureq::AgentBuilder::new()
        .tls_config(std::sync::Arc::new(tls))
        .build();
    let a = send(
        https
            .post(&server.url("/api/login"))
            .set("Content-Type", "application/json"),
        Some(&serde_json::json!({"user": "root", "password": password("root")}).to_string()),
    );
    assert_eq!(a.status, 200, "{}", a.text());
    let set = a.header("set-cookie").unwrap();
    assert!(set.contains("Secure") && set.contains("HttpOnly"), "{set}");
    // Plain HTTP to the TLS port gets no answer of the server's.
    assert!(agent()
        .get(&format!("http://{listen}/api/recordings"))
        .call()
        .is_err());
    // A certificate that is not there: refused at start, naming it.
    std::fs::remove_file(&key).unwrap();
    let out = fleet(&[
        "serve",
        "--config",
        site.conf.to_str().unwrap(),
        "--listen",
        &format!("127.0.0.1:{}", ports() + 1),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("tls_key"), "{err}");
}

#[test]
fn legrec_user_refuses_bad_input_clearly() {
    let site = Site::new(&[], "");
    let conf = site.conf.to_str().unwrap();
    let pw = site.dir.path().join("pw");
    std::fs::write(&pw, "long-enough-password\n").unwrap();
    let pw = pw.to_str().unwrap();
    let short = site.dir.path().join("short");
    std::fs::write(&short, "short\n").unwrap();
    let short = short.to_str().unwrap();
    for (args, says) in [
        (
            vec!["add", "bob", "--role", "king", "--password-file", pw],
            "--role king",
        ),
        (
            vec!["add", "bob", "--role", "supervisor", "--password-file", pw],
            "--queues",
        ),
        (
            vec![
                "add",
                "bob",
                "--role",
                "agent",
                "--queues",
                "a",
                "--password-file",
                pw,
            ],
            "--queues is for a supervisor",
        ),
        (
            vec![
                "add",
                "bob",
                "--role",
                "admin",
                "--agent",
                "a",
                "--password-file",
                pw,
            ],
            "--agent is for an agent",
        ),
        (
            vec!["add", "bob", "--role", "admin"],
            "--password-file is required",
        ),
        (
            vec!["add", "bob", "--role", "admin", "--password-file", short],
            "shorter than",
        ),
        (
            vec![
                "add",
                "bob",
                "--role",
                "admin",
                "--password-file",
                "/nonexistent",
            ],
            "/nonexistent",
        ),
        (
            vec!["add", "bob smith", "--role", "admin", "--password-file", pw],
            "not a user name",
        ),
        (
            vec!["add", "root", "--role", "admin", "--password-file", pw],
            "exists",
        ),
        (vec!["del", "nobody"], "no user 'nobody'"),
        (vec!["rename", "x"], "unrecognized subcommand 'rename'"),
    ] {
        let mut a = vec!["user"];
        a.extend(args.iter());
        a.extend(["--config", conf]);
        let out = fleet(&a);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && err.contains(says),
            "{args:?}: {err}"
        );
    }
    let list = fleet_ok(&["user", "list", "--config", conf]);
    for line in [
        "root",
        "admin",
        "sue",
        "queues sales",
        "alice",
        "calls of agent alice",
        "audrey",
        "4 user(s)",
    ] {
        assert!(list.contains(line), "{list}");
    }
    // The database as stored (its write-ahead log too): hashes, never the
    // password.
    let mut db = std::fs::read(site.accounts()).unwrap();
    db.extend(std::fs::read(site.accounts().with_extension("sqlite-wal")).unwrap_or_default());
    let db = String::from_utf8_lossy(&db);
    assert!(!db.contains("root-password"));
    assert!(db.contains("$argon2id$"));
}

#[test]
fn users_and_sessions_in_a_fleets_postgresql() {
    let pg = Postgres::start();
    let site = Site::with_storage(&site_calls(), &format!("index = {}", pg.url), "");
    let server = Server::start(&site.conf);
    let sue = login(&server, "sue", &password("sue"));
    assert_eq!(
        ids(&sue.get("/api/recordings")),
        sorted(vec![site.id(0), site.id(1)])
    );
    assert_eq!(
        sue.get(&format!("/api/recordings/{}", site.id(2))).status,
        404
    );
    let r = sue.get(&format!("/api/recordings/{}", site.id(0))).json();
    assert_eq!(r["integrity"]["verdict"], "intact", "{}", r["integrity"]);
    let list = fleet_ok(&["user", "list", "--config", site.conf.to_str().unwrap()]);
    assert!(list.contains("4 user(s)"), "{list}");
    assert_eq!(sue.post("/api/logout", Some("forged")).status, 403);
    assert_eq!(sue.post("/api/logout", Some(&sue.csrf)).status, 204);
    assert_eq!(sue.get("/api/recordings").status, 401);
    let forged = Client {
        cookie: "forged".into(),
        ..login(&server, "root", &password("root"))
    };
    assert_eq!(forged.get("/api/session").status, 401);
}

#[test]
fn audio_from_the_bucket_once_the_spools_copy_is_gone() {
    let sw = Seaweed::start();
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        sw.client()
            .create_bucket()
            .bucket("recordings")
            .send()
            .await
            .unwrap();
    });
    let storage = format!("{}keep_local_days = 0", sw.storage("recordings", "site-a"));
    let site = Site::with_storage(&site_calls()[..2], &storage, "");
    let id = site.id(0);
    let dir = site.sidecars[0].parent().unwrap().to_path_buf();
    let stereo = std::fs::read(dir.join(format!("{id}.flac"))).unwrap();
    let leg_in = std::fs::read(dir.join(format!("{id}-in.flac"))).unwrap();
    let conf = site.conf.to_str().unwrap();
    let out = fleet(&["ship", "--config", conf, "--once"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        legrec::spool::layout::sidecars(&site.spool).is_empty(),
        "only the bucket has them"
    );

    let server = Server::start(&site.conf);
    let root = login(&server, "root", &password("root"));
    let r = root.get(&format!("/api/recordings/{id}")).json();
    assert_eq!(r["location"], "s3://recordings");
    assert_eq!(r["integrity"]["verdict"], "unchecked", "{}", r["integrity"]);
    // The whole object, then ranges, as from the spool.
    let whole = root.get(&format!("/api/recordings/{id}/audio/stereo"));
    assert_eq!(
        (whole.status, whole.header("content-type")),
        (200, Some("audio/flac"))
    );
    assert_eq!(whole.body, stereo);
    let part = root.get_with(
        &format!("/api/recordings/{id}/audio/stereo"),
        &[("Range", "bytes=100-1099")],
    );
    assert_eq!(part.status, 206);
    assert_eq!(
        part.header("content-range"),
        Some(format!("bytes 100-1099/{}", stereo.len()).as_str())
    );
    assert_eq!(part.body, &stereo[100..1100]);
    let tail = root.get_with(
        &format!("/api/recordings/{id}/audio/in"),
        &[("Range", "bytes=-50")],
    );
    assert_eq!(
        (tail.status, tail.body.as_slice()),
        (206, &leg_in[leg_in.len() - 50..])
    );
    let beyond = root.get_with(
        &format!("/api/recordings/{id}/audio/stereo"),
        &[("Range", "bytes=99999999-")],
    );
    assert_eq!(beyond.status, 416);
    let peaks = root.get(&format!("/api/recordings/{id}/peaks/out"));
    assert_eq!(peaks.status, 200, "{}", peaks.text());
    assert_eq!(peaks.json()["peaks"].as_array().unwrap().len(), 20);
    // The page plays it; the listening is in the chain verify accepts.
    let page = root.get(&format!("/recordings/{id}"));
    assert!(
        page.text().contains("<audio id=\"player\""),
        "{}",
        page.text()
    );
    let r = root.get(&format!("/api/recordings/{id}")).json();
    assert_eq!(r["access"].as_array().unwrap().len(), 2, "{}", r["access"]);
    let mut report = Vec::new();
    assert_eq!(
        legrec::admin::verify::run(&site.spool, &mut report),
        0,
        "{}",
        String::from_utf8_lossy(&report)
    );
}
