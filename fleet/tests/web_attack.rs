//! The recording browser played by an attacker, against the real `legrec
//! serve`: logins raced in parallel, slow sockets, the heaviest requests
//! of the lowest role, forged and stolen cookies, crafted redirects.  Each
//! test failed before the bound it checks was put in (RELIABILITY.md's
//! "Security" table names them).

mod common;

use std::sync::{Arc, Barrier};

use common::web::*;

/// `POST /api/login` with this body.
fn login_body(server: &Server, body: &str) -> Answer {
    send(
        agent()
            .post(&server.url("/api/login"))
            .set("Content-Type", "application/json"),
        Some(body),
    )
}

fn try_login(server: &Server, user: &str, password: &str) -> Answer {
    login_body(
        server,
        &serde_json::json!({"user": user, "password": password}).to_string(),
    )
}

/// `n` wrong passwords for `user`, all sent at the same moment; their
/// statuses.
fn parallel_wrong_logins(server: &Server, user: &str, n: usize) -> Vec<u16> {
    let start = Arc::new(Barrier::new(n));
    std::thread::scope(|s| {
        let threads: Vec<_> = (0..n)
            .map(|i| {
                let start = start.clone();
                s.spawn(move || {
                    start.wait();
                    // Patient: a host this loads may answer late, and a
                    // late answer is still counted.
                    let slow = ureq::AgentBuilder::new()
                        .timeout(std::time::Duration::from_secs(300))
                        .build();
                    let body = serde_json::json!({"user": user, "password": format!("guess-{i}")});
                    let a = send(
                        slow.post(&server.url("/api/login"))
                            .set("Content-Type", "application/json"),
                        Some(&body.to_string()),
                    );
                    a.status
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    })
}

#[test]
fn parallel_wrong_logins_get_only_the_allowed_guesses_and_bounded_memory() {
    let site = Site::new(
        &site_calls()[..1],
        "login_failures = 3\nlogin_window_minutes = 5",
    );
    let server = Server::start(&site.conf);
    let statuses = parallel_wrong_logins(&server, "root", 40);
    let wrong = statuses.iter().filter(|s| **s == 401).count();
    let held = statuses.iter().filter(|s| **s == 429).count();
    assert!(
        wrong <= 3 && wrong + held == statuses.len(),
        "3 guesses allowed; got {wrong} answered 401, {held} 429: {statuses:?}"
    );

    // Where the limiter allows many (a large call centre behind one
    // address), the password checks still run a few at a time: each
    // Argon2id check holds 19 MiB, and the host is the PBX's.
    let site = Site::new(&site_calls()[..1], "login_failures = 1000");
    let server = Server::start(&site.conf);
    assert_eq!(try_login(&server, "root", "warm-up").status, 401);
    let before = server.memory_kib("VmRSS");
    let statuses = parallel_wrong_logins(&server, "root", 48);
    // Checked (401), or told the server is busy (503) by those that
    // waited too long for a check: never a server grown by 48 hashes.
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 503) && statuses.contains(&401),
        "{statuses:?}"
    );
    let peak = server.memory_kib("VmHWM");
    let grew_mib = peak.saturating_sub(before) / 1024;
    assert!(
        grew_mib < 96,
        "48 parallel logins grew the server by {grew_mib} MiB (RSS {before} KiB before, peak {peak} KiB)"
    );

    // A login body is a name and a password: 16 KiB of either is refused
    // unread (413), and never becomes a limiter key.  (Not much more: the
    // server answers before the body is sent, and a client still sending
    // would see its pipe broken instead of the answer.)
    let huge = serde_json::json!({"user": "x".repeat(16 << 10), "password": "p"}).to_string();
    let a = login_body(&server, &huge);
    assert_eq!(a.status, 413, "{}", a.text());
}

/// `POST /api/login` from `source` (another loopback address: the server
/// still listens on 127.0.0.1 only); the status and Retry-After.
fn login_from(server: &Server, source: &str, user: &str, password: &str) -> (u16, Option<u64>) {
    use std::io::{Read, Write};
    let target: std::net::SocketAddr = server
        .base
        .strip_prefix("http://")
        .unwrap()
        .parse()
        .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let stream = rt.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(format!("{source}:0").parse().unwrap()).unwrap();
        socket.connect(target).await.unwrap().into_std().unwrap()
    });
    stream.set_nonblocking(false).unwrap();
    let mut stream = stream;
    let body = serde_json::json!({"user": user, "password": password}).to_string();
    write!(
        stream,
        "POST /api/login HTTP/1.1\r\nHost: {target}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer[9..12].parse().unwrap();
    let retry = answer
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("retry-after: ")
                .map(str::to_string)
        })
        .and_then(|v| v.trim().parse().ok());
    (status, retry)
}

#[test]
fn a_guessed_user_is_slowed_not_locked_and_others_behind_the_same_address_log_in() {
    let site = Site::new(
        &site_calls()[..1],
        "login_failures = 3\nlogin_window_minutes = 15\naddress_failures = 8",
    );
    let server = Server::start(&site.conf);
    // Someone behind the call centre's one address guesses at root.
    for i in 0..3 {
        assert_eq!(
            try_login(&server, "root", &format!("guess-{i}")).status,
            401
        );
    }
    let held = try_login(&server, "root", "guess-3");
    assert_eq!(held.status, 429, "{}", held.text());
    // Their colleagues behind the same address still log in.
    assert_eq!(try_login(&server, "sue", &password("sue")).status, 200);
    // And root, from elsewhere, waits seconds, not the window.
    let (status, retry) = login_from(&server, "127.0.0.2", "root", &password("root"));
    if status == 429 {
        let wait = retry.expect("a Retry-After");
        assert!(
            wait <= 2,
            "root is locked out for {wait} s by someone else's guesses"
        );
        std::thread::sleep(std::time::Duration::from_secs(wait));
        let (status, _) = login_from(&server, "127.0.0.2", "root", &password("root"));
        assert_eq!(status, 200);
    } else {
        assert_eq!(status, 200);
    }
    // One address has a ceiling over all names: 8 failures in the window
    // (3 above, 5 more), then even a right password is refused from it.
    for name in ["ann", "bea", "cid", "dot", "eve"] {
        assert_eq!(try_login(&server, name, "guess").status, 401, "{name}");
    }
    assert_eq!(
        try_login(&server, "audrey", &password("audrey")).status,
        429
    );
    // Every failure is in the server's log for fail2ban: the name and the
    // address, never the password tried.
    let log = server.log();
    let failed: Vec<&String> = log.iter().filter(|l| l.contains("failed login")).collect();
    assert!(
        failed
            .iter()
            .any(|l| l.contains("user=root address=127.0.0.1")),
        "{log:#?}"
    );
    assert!(failed
        .iter()
        .any(|l| l.contains("user=eve address=127.0.0.1")));
    assert!(!log.iter().any(|l| l.contains("guess")), "{log:#?}");
}

/// Whether the server has closed `s` (EOF or reset); false while it waits.
fn closed_by_server(s: &mut std::net::TcpStream) -> bool {
    use std::io::Read;
    s.set_read_timeout(Some(std::time::Duration::from_millis(50)))
        .unwrap();
    let mut buf = [0u8; 512];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            // An answer (a 408, say) then the close.
            Ok(_) => continue,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return false
            }
            Err(_) => return true,
        }
    }
}

fn open_descriptors(server: &Server) -> usize {
    std::fs::read_dir(format!("/proc/{}/fd", server.pid()))
        .unwrap()
        .count()
}

#[test]
fn slow_sockets_are_bounded_and_dropped() {
    use std::io::Write;
    use std::time::{Duration, Instant};
    let site = Site::new(&site_calls()[..1], "");
    let server = Server::start(&site.conf);
    let root = login(&server, "root", &password("root"));
    let before = open_descriptors(&server);
    let target = server.base.strip_prefix("http://").unwrap().to_string();
    // 150 sockets from one address, each a request begun and never ended.
    let mut slow: Vec<std::net::TcpStream> = (0..150)
        .map(|_| {
            let mut s = std::net::TcpStream::connect(&target).unwrap();
            let _ = s.write_all(b"GET /api/session HTTP/1.1\r\nHost: x\r\n");
            s
        })
        .collect();
    std::thread::sleep(Duration::from_secs(1));
    let held = open_descriptors(&server) - before;
    assert!(
        held <= 70,
        "150 slow sockets hold {held} of the server's descriptors"
    );
    // Those let in trickle a header line every 2 s: never idle, never
    // done.  The header-read timeout ends them all.
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(16) {
        for s in &mut slow {
            let _ = s.write_all(b"X-Slow: 1\r\n");
        }
        if slow.iter_mut().all(closed_by_server) {
            break;
        }
        std::thread::sleep(Duration::from_secs(2));
    }
    let open = slow.iter_mut().map(closed_by_server).filter(|c| !c).count();
    assert_eq!(
        open,
        0,
        "{open} slow sockets still open after {:?}",
        start.elapsed()
    );
    assert!(
        start.elapsed() >= Duration::from_secs(8),
        "not before the timeout"
    );
    // A connection that sends nothing at all is dropped too, and the
    // server is itself again.
    let mut silent = std::net::TcpStream::connect(&target).unwrap();
    std::thread::sleep(Duration::from_secs(12));
    assert!(closed_by_server(&mut silent));
    assert_eq!(root.get("/api/session").status, 200);
    assert!(open_descriptors(&server) <= before + 2);
}

/// Fills the index with `n` recordings of another PBX that nobody here
/// may see, in one statement: the table a busy fleet has after a year.
fn fill_index(site: &Site, n: u32) {
    let db = site.spool.join("index.sqlite");
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let index = legrec_fleet::index::Index::open(&format!("sqlite://{}", db.display()))
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO recordings (pbx, id, policy, queue, caller, caller_name, callee, agent, \
             started_ms, started_at, ended_at, duration, status, consent, consent_mode, law, \
             law_reason, masks, pauses, location, sidecar, sidecar_sha256, indexed_ms) \
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) \
             SELECT 'pbx-z', printf('20250101-000000-000-%08x', i), 'p', 'other', \
             printf('555%07d', i), 'x', '600', 'zed', 1735689600000 + i * 1000, \
             '2025-01-01T00:00:00Z', NULL, 30.0, 'recorded', 'none', 'none', NULL, NULL, 0, 0, \
             'spool', '{}', '', 0 FROM n",
        )
        .bind(i64::from(n))
        .execute(index.pool())
        .await
        .unwrap();
    });
}

#[test]
fn one_agents_heaviest_requests_leave_the_site_answering() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, Instant};
    let site = Site::new(&site_calls()[..1], "");
    fill_index(&site, 200_000);
    let server = Server::start(&site.conf);
    let alice = login(&server, "alice", &password("alice"));
    let root = login(&server, "root", &password("root"));
    // Paging a million rows deep is refused: narrow the search instead.
    let deep = alice.get("/api/recordings?offset=9999999");
    assert_eq!(deep.status, 400, "{}", deep.text());
    // The lowest role's heaviest searches, many at once: each scans every
    // row for the calls she took part in (none of these).
    let heavy = [
        "/api/recordings?sort=caller&limit=1000",
        "/api/recordings?sort=queue&order=asc&limit=1000",
        "/api/recordings?min_duration=1&sort=duration&limit=1000",
        "/api/trail?limit=10000",
    ];
    let stop = AtomicBool::new(false);
    let worst = std::thread::scope(|s| {
        for i in 0..12 {
            let (alice, stop, path) = (&alice, &stop, heavy[i % heavy.len()]);
            s.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let a = alice.get(path);
                    assert!(
                        a.status == 200 || a.status == 429 || a.status == 503,
                        "{path}: {}",
                        a.status
                    );
                }
            });
        }
        std::thread::sleep(Duration::from_secs(2));
        let mut worst = Duration::ZERO;
        for _ in 0..40 {
            let t = Instant::now();
            assert_eq!(root.get("/api/session").status, 200);
            worst = worst.max(t.elapsed());
            std::thread::sleep(Duration::from_millis(100));
        }
        stop.store(true, Ordering::Relaxed);
        worst
    });
    assert!(
        worst < Duration::from_millis(500),
        "GET /api/session took {worst:?} while one agent searched"
    );
}

/// Runs `sql` on the index database with the credentials every shipper
/// of the fleet has (here: the index's SQLite file); Err if refused.
fn as_a_shipper(site: &Site, sql: &str) -> Result<u64, String> {
    let db = site.spool.join("index.sqlite");
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let index = legrec_fleet::index::Index::open(&format!("sqlite://{}", db.display()))
            .await
            .unwrap();
        sqlx::query(sql)
            .execute(index.pool())
            .await
            .map(|r| r.rows_affected())
            .map_err(|e| e.to_string())
    })
}

/// Another PBX of the fleet indexes a row under `id` (as its shipper can).
fn index_as_another_pbx(site: &Site, id: &str, pbx: &str) {
    as_a_shipper(
        site,
        &format!(
            "INSERT INTO recordings SELECT '{pbx}', id, policy, queue, caller, caller_name, \
             callee, agent, started_ms, started_at, ended_at, duration, status, consent, \
             consent_mode, law, law_reason, masks, pauses, location, sidecar, sidecar_sha256, \
             indexed_ms FROM recordings WHERE id = '{id}'"
        ),
    )
    .unwrap();
}

#[test]
fn a_pbx_of_the_fleet_can_neither_make_itself_admin_nor_reach_across_pbxs() {
    let site = Site::new(&site_calls()[..2], "");
    let server = Server::start(&site.conf);
    // A compromised PBX writes an admin wherever in the index the browser
    // might read users from.
    let forged = legrec_fleet::web::users::hash_password("forged-password").unwrap();
    for table in ["users", "browser_users"] {
        let _ = as_a_shipper(
            &site,
            &format!(
                "INSERT INTO {table} (name, role, queues, agent, password, created_ms) \
                 VALUES ('mallory', 'admin', '[]', NULL, '{forged}', 0)"
            ),
        );
    }
    let a = try_login(&server, "mallory", "forged-password");
    assert_eq!(a.status, 401, "a PBX's shipper made an admin: {}", a.text());

    // Another PBX of the fleet indexes a recording under an id of pbx-a's,
    // in the same queue.
    let id = site.id(0);
    index_as_another_pbx(&site, &id, "pbx-b");
    // A supervisor of pbx-a's sales queue sees pbx-a's calls only.
    add_user(
        &site.conf,
        "sam",
        "supervisor",
        &["--queues", "sales", "--pbx", "pbx-a"],
        &password("sam"),
    );
    let sam = login(&server, "sam", &password("sam"));
    let list = sam.get("/api/recordings").json();
    let pbxs: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["pbx"].as_str().unwrap())
        .collect();
    assert!(
        !pbxs.is_empty() && pbxs.iter().all(|p| *p == "pbx-a"),
        "{pbxs:?}"
    );
    let one = sam.get(&format!("/api/recordings/{id}"));
    assert_eq!(
        (one.status, one.json()["pbx"].as_str()),
        (200, Some("pbx-a"))
    );
    // Whoever sees both is not silently given one of them.
    let root = login(&server, "root", &password("root"));
    let both = root.get(&format!("/api/recordings/{id}"));
    assert_eq!(both.status, 409, "{}", both.text());
    assert!(both.text().contains("pbx-b"), "{}", both.text());
}

/// The access entries (`played`, `downloaded`, `exported`) of the access
/// trail's chain.
fn accesses(site: &Site) -> Vec<(String, String)> {
    let log = legrec::spool::layout::access_log(&site.spool);
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|e| {
            ["played", "downloaded", "exported"].contains(&e["event"].as_str().unwrap_or(""))
        })
        .map(|e| {
            (
                e["event"].as_str().unwrap().to_string(),
                e["id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn the_access_trail_counts_accesses_not_requests() {
    let site = Site::new(&site_calls()[..1], "");
    let server = Server::start(&site.conf);
    let id = site.id(0);
    let root = login(&server, "root", &password("root"));
    // HEAD serves no audio: nothing to account for.
    for _ in 0..5 {
        let a = send(
            root.agent
                .head(&server.url(&format!("/api/recordings/{id}/audio/in")))
                .set("Cookie", &format!("legrec_session={}", root.cookie)),
            None,
        );
        assert_eq!(a.status, 200);
    }
    assert!(accesses(&site).is_empty(), "{:?}", accesses(&site));
    // One user downloading the same file again and again, or the
    // evidence, is one access each in the window, from any session.
    for _ in 0..5 {
        assert_eq!(
            root.get(&format!("/api/recordings/{id}/audio/in?download=1"))
                .status,
            200
        );
    }
    let again = login(&server, "root", &password("root"));
    assert_eq!(
        again
            .get(&format!("/api/recordings/{id}/audio/in?download=1"))
            .status,
        200
    );
    for _ in 0..3 {
        assert_eq!(
            root.get(&format!("/api/recordings/{id}/evidence")).status,
            200
        );
    }
    let events: Vec<String> = accesses(&site).into_iter().map(|(e, _)| e).collect();
    assert_eq!(events, ["downloaded", "exported"], "{events:?}");
    // Another file, another purpose, another user: each its own entry.
    assert_eq!(
        root.get(&format!("/api/recordings/{id}/audio/out?download=1"))
            .status,
        200
    );
    assert_eq!(
        root.get(&format!("/api/recordings/{id}/audio/in")).status,
        200
    );
    let sue = login(&server, "sue", &password("sue"));
    assert_eq!(
        sue.get(&format!("/api/recordings/{id}/audio/in?download=1"))
            .status,
        200
    );
    assert_eq!(accesses(&site).len(), 5, "{:?}", accesses(&site));
    let mut report = Vec::new();
    assert_eq!(legrec::admin::verify::run(&site.spool, &mut report), 0);
}

#[test]
fn redirects_stay_here_sessions_idle_out_and_each_login_is_a_new_session() {
    let site = Site::new(&site_calls()[..1], "");
    let server = Server::start(&site.conf);
    let root = login(&server, "root", &password("root"));
    // After logging in, `next` may only lead to a path of this server:
    // a tab or a backslash that browsers drop or turn into `/` is refused.
    for next in [
        "/%09/evil.example",
        "/%0a/evil.example",
        "//evil.example",
        "/%5Cevil.example",
        "https://evil.example",
        "/%20/evil.example",
    ] {
        let a = root.get(&format!("/login?next={next}"));
        assert_eq!(
            (a.status / 100, a.header("location")),
            (3, Some("/recordings")),
            "{next}"
        );
    }
    let here = root.get(&format!("/login?next=/recordings/{}", site.id(0)));
    assert_eq!(
        here.header("location"),
        Some(format!("/recordings/{}", site.id(0)).as_str())
    );

    // Logging in with a session cookie ends that session: a cookie set by
    // someone else before the login (or stolen before it) opens nothing.
    let sue = login(&server, "sue", &password("sue"));
    let again = send(
        agent()
            .post(&server.url("/api/login"))
            .set("Content-Type", "application/json")
            .set("Cookie", &format!("legrec_session={}", sue.cookie)),
        Some(&serde_json::json!({"user": "sue", "password": password("sue")}).to_string()),
    );
    assert_eq!(again.status, 200);
    assert_ne!(
        again.cookie("legrec_session").as_deref(),
        Some(sue.cookie.as_str())
    );
    assert_eq!(
        sue.get("/api/session").status,
        401,
        "the session before the login still opens"
    );

    // A session nobody used for longer than the idle timeout is over.
    assert_eq!(root.get("/api/session").status, 200);
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let db =
            legrec_fleet::index::Index::open(&format!("sqlite://{}", site.accounts().display()))
                .await
                .unwrap();
        sqlx::query("UPDATE browser_sessions SET last_seen_ms = last_seen_ms - 7200000")
            .execute(db.pool())
            .await
            .unwrap();
    });
    assert_eq!(
        root.get("/api/session").status,
        401,
        "an idle session still opens"
    );
}

#[test]
fn under_tls_the_cookie_is_host_only_and_browsers_are_told_to_stay_on_https() {
    let tmp = tempfile::tempdir().unwrap();
    let (cert, key) = (tmp.path().join("cert.pem"), tmp.path().join("key.pem"));
    let out = std::process::Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args([
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(out.status.success());
    let site = Site::new(
        &site_calls()[..1],
        &format!("tls_cert = {}\ntls_key = {}", cert.display(), key.display()),
    );
    let server = Server::start_with(&site.conf, "https");
    let mut roots = rustls::RootCertStore::empty();
    let pem = std::fs::read(&cert).unwrap();
    roots
        .add(rustls::pki_types::pem::PemObject::from_pem_slice(&pem).unwrap())
        .unwrap();
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
    // __Host-: only this host, Secure, Path=/; no other site under the same
    // domain can set or shadow it.
    assert!(
        set.starts_with("__Host-legrec_session=")
            && set.contains("Secure")
            && set.contains("Path=/")
            && !set.contains("Domain"),
        "{set}"
    );
    let hsts = a
        .header("strict-transport-security")
        .unwrap_or_default()
        .to_string();
    assert!(hsts.contains("max-age=31536000"), "{hsts:?}");
    let token = a.cookie("__Host-legrec_session").unwrap();
    let me = send(
        https
            .get(&server.url("/api/session"))
            .set("Cookie", &format!("__Host-legrec_session={token}")),
        None,
    );
    assert_eq!(me.status, 200);
    // The plain cookie's name opens nothing under TLS.
    let plain = send(
        https
            .get(&server.url("/api/session"))
            .set("Cookie", &format!("legrec_session={token}")),
        None,
    );
    assert_eq!(plain.status, 401);
}

#[test]
fn answers_and_errors_name_no_bucket_key_path_or_password() {
    let site = Site::with_storage(
        &site_calls()[..1],
        "url = s3://secret-bucket/site-a\nendpoint = http://127.0.0.1:9\naccess_key = AK\nsecret_key = SK\n",
        "",
    );
    let id = site.id(0);
    // As if shipped and removed here: the index says the bucket has it,
    // and the bucket is down.
    as_a_shipper(
        &site,
        &format!("UPDATE recordings SET location = 's3://secret-bucket' WHERE id = '{id}'"),
    )
    .unwrap();
    as_a_shipper(
        &site,
        &format!("UPDATE recording_files SET object = 'site-a/p/day/' || file WHERE id = '{id}'"),
    )
    .unwrap();
    // The shipper's own record of it, which the browser's indexing of its
    // spool reads too (else it puts the recording back as local).
    let sidecar: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&site.sidecars[0]).unwrap()).unwrap();
    let mut objects = std::collections::BTreeMap::new();
    for leg in sidecar["legs"].as_array().unwrap() {
        let file = leg["file"].as_str().unwrap();
        let name = if file.ends_with("-in.flac") {
            "in"
        } else {
            "out"
        };
        objects.insert(name.to_string(), format!("site-a/p/day/{file}"));
    }
    let shipped = legrec_fleet::shipper::state::Shipped {
        bucket: "secret-bucket".into(),
        objects,
        audited: true,
        local_removed: true,
        ..Default::default()
    };
    legrec_fleet::shipper::state::write(&site.spool, &id, &shipped).unwrap();
    for f in std::fs::read_dir(site.sidecars[0].parent().unwrap()).unwrap() {
        let p = f.unwrap().path();
        if p.extension().is_some_and(|e| e == "flac") {
            std::fs::remove_file(p).unwrap();
        }
    }
    let server = Server::start(&site.conf);
    let root = login(&server, "root", &password("root"));
    let spool = site.spool.display().to_string();
    let mut answers = Vec::new();
    for path in [
        format!("/api/recordings/{id}/audio/in"),
        format!("/api/recordings/{id}/peaks/in"),
        "/api/audit".to_string(),
        "/audit".to_string(),
    ] {
        let a = root.get(&path);
        answers.push((path, a.status, a.text()));
    }
    for (path, status, text) in &answers {
        for secret in [
            "secret-bucket",
            "site-a/p/day",
            "127.0.0.1:9",
            spool.as_str(),
        ] {
            assert!(
                !text.contains(secret),
                "{path} ({status}) names {secret}: {text}"
            );
        }
    }
    assert_eq!(answers[0].1, 503, "{answers:?}");
    // The log has what the admin needs.
    assert!(server
        .log()
        .iter()
        .any(|l| l.contains("secret-bucket") || l.contains("site-a/p/day")));

    // A database URL's password, in the userinfo or as a parameter, never
    // reaches a message.
    let conf = site.dir.path().join("pg.conf");
    let text = std::fs::read_to_string(&site.conf)
        .unwrap()
        .replace(
            "[storage]\n",
            "[storage]\nindex = postgresql://legrec:hunter2@127.0.0.1:9/legrec?password=hunter3&sslmode=disable\n",
        );
    std::fs::write(&conf, text).unwrap();
    let out = common::fleet(&[
        "serve",
        "--config",
        conf.to_str().unwrap(),
        "--listen",
        "127.0.0.1:9",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        !err.contains("hunter2") && !err.contains("hunter3"),
        "{err}"
    );
}

/// A self-signed certificate for 127.0.0.1 written to `cert` and `key`.
fn certificate(cert: &std::path::Path, key: &std::path::Path) {
    let out = std::process::Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args([
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .arg("-keyout")
        .arg(key)
        .arg("-out")
        .arg(cert)
        .output()
        .unwrap();
    assert!(out.status.success());
}

/// An HTTPS client trusting only the certificate in `pem`.
fn trusting(pem: &[u8]) -> ureq::Agent {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::pem::PemObject::from_pem_slice(pem).unwrap())
        .unwrap();
    let tls = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    ureq::AgentBuilder::new()
        .tls_config(std::sync::Arc::new(tls))
        .timeout(std::time::Duration::from_secs(10))
        .build()
}

#[test]
fn a_renewed_certificate_is_taken_on_sighup_without_a_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let (cert, key) = (tmp.path().join("cert.pem"), tmp.path().join("key.pem"));
    certificate(&cert, &key);
    let old = std::fs::read(&cert).unwrap();
    let site = Site::new(
        &site_calls()[..1],
        &format!("tls_cert = {}\ntls_key = {}", cert.display(), key.display()),
    );
    let server = Server::start_with(&site.conf, "https");
    let url = server.url("/api/session");
    assert_eq!(
        trusting(&old).get(&url).call().unwrap_err().kind(),
        ureq::ErrorKind::HTTP
    );
    // Renewed (certbot's way: new files, then a signal).
    certificate(&cert, &key);
    let new = std::fs::read(&cert).unwrap();
    unsafe { libc::kill(server.pid() as i32, libc::SIGHUP) };
    let start = std::time::Instant::now();
    let mut answered = None;
    while start.elapsed() < std::time::Duration::from_secs(10) {
        match trusting(&new).get(&url).call() {
            Err(ureq::Error::Status(code, _)) => {
                answered = Some(code);
                break;
            }
            _ => std::thread::sleep(std::time::Duration::from_millis(200)),
        }
    }
    assert_eq!(answered, Some(401), "the renewed certificate is not served");
    // A broken renewal keeps the working certificate, and the server.
    std::fs::write(&key, b"not a key").unwrap();
    unsafe { libc::kill(server.pid() as i32, libc::SIGHUP) };
    std::thread::sleep(std::time::Duration::from_secs(1));
    assert!(matches!(
        trusting(&new).get(&url).call(),
        Err(ureq::Error::Status(401, _))
    ));
    assert!(
        server.log().iter().any(|l| l.contains("tls_key")),
        "{:?}",
        server.log()
    );
}

#[test]
fn a_sighup_without_tls_does_not_end_the_server() {
    let site = Site::new(&site_calls()[..1], "");
    let server = Server::start(&site.conf);
    let url = server.url("/api/session");
    assert!(matches!(
        ureq::get(&url).call(),
        Err(ureq::Error::Status(401, _))
    ));
    unsafe { libc::kill(server.pid() as i32, libc::SIGHUP) };
    std::thread::sleep(std::time::Duration::from_secs(1));
    assert!(
        matches!(ureq::get(&url).call(), Err(ureq::Error::Status(401, _))),
        "the server ended on SIGHUP: {:?}",
        server.log()
    );
}

/// Runs `sql` on the PostgreSQL database at `url`; Err if refused.
fn on_postgres(url: &str, sql: &str) -> Result<u64, String> {
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(url)
            .await
            .map_err(|e| e.to_string())?;
        let r = sqlx::raw_sql(sql)
            .execute(&pool)
            .await
            .map(|r| r.rows_affected())
            .map_err(|e| e.to_string());
        pool.close().await;
        r
    })
}

#[test]
fn the_readmes_postgresql_roles_keep_the_shippers_out_of_the_accounts() {
    let pg = common::Postgres::start();
    // The README's statements ("Deploying the browser"), as written.
    on_postgres(
        &pg.url,
        "CREATE ROLE legrec_ship LOGIN PASSWORD 'ship-pw'; \
         CREATE ROLE legrec_web LOGIN PASSWORD 'web-pw'; \
         GRANT CONNECT ON DATABASE legrec TO legrec_ship, legrec_web; \
         GRANT USAGE, CREATE ON SCHEMA public TO legrec_ship; \
         CREATE SCHEMA legrec_web AUTHORIZATION legrec_web; \
         REVOKE ALL ON SCHEMA legrec_web FROM PUBLIC;",
    )
    .unwrap();
    let base = pg.url.strip_prefix("postgresql://legrec@").unwrap();
    let ship = format!("postgresql://legrec_ship:ship-pw@{base}");
    let web =
        format!("postgresql://legrec_web:web-pw@{base}?options=-c%20search_path%3Dlegrec_web");
    let site = Site::with_storage(&site_calls()[..2], &format!("index = {ship}"), "");
    let text = std::fs::read_to_string(&site.conf).unwrap();
    let accounts_line = text
        .lines()
        .find(|l| l.starts_with("accounts = "))
        .unwrap()
        .to_string();
    std::fs::write(
        &site.conf,
        text.replace(&accounts_line, &format!("accounts = {web}")),
    )
    .unwrap();
    add_user(&site.conf, "root", "admin", &[], &password("root"));
    let server = Server::start(&site.conf);
    let root = login(&server, "root", &password("root"));
    assert_eq!(
        root.get("/api/recordings").json().as_array().unwrap().len(),
        2
    );
    // The shippers' role can neither write the accounts nor put a table
    // of its own in the browser's way.
    let forged = legrec_fleet::web::users::hash_password("forged-password").unwrap();
    let insert = |table: &str| {
        on_postgres(
            &ship,
            &format!(
                "INSERT INTO {table} (name, role, queues, pbxs, agent, password, created_ms) \
                 VALUES ('mallory', 'admin', '[]', '[]', NULL, '{forged}', 0)"
            ),
        )
    };
    let refused = insert("legrec_web.browser_users").unwrap_err();
    assert!(refused.contains("permission denied"), "{refused}");
    on_postgres(
        &ship,
        "CREATE TABLE browser_users (name TEXT, role TEXT, queues TEXT, pbxs TEXT, agent TEXT, \
         password TEXT, created_ms BIGINT)",
    )
    .unwrap();
    insert("browser_users").unwrap();
    assert_eq!(try_login(&server, "mallory", "forged-password").status, 401);
}

#[test]
fn an_id_two_pbxs_share_is_chosen_by_its_pbx() {
    let site = Site::new(&site_calls()[..1], "");
    let id = site.id(0);
    index_as_another_pbx(&site, &id, "pbx-b");
    let server = Server::start(&site.conf);
    let root = login(&server, "root", &password("root"));
    assert_eq!(root.get(&format!("/api/recordings/{id}")).status, 409);
    for pbx in ["pbx-a", "pbx-b"] {
        let a = root.get(&format!("/api/recordings/{id}?pbx={pbx}"));
        assert_eq!(
            (a.status, a.json()["pbx"].as_str()),
            (200, Some(pbx)),
            "{}",
            a.text()
        );
    }
    assert_eq!(
        root.get(&format!("/api/recordings/{id}?pbx=pbx-c")).status,
        404
    );
    assert_eq!(
        root.get(&format!("/api/recordings/{id}/audio/in?pbx=pbx-a"))
            .status,
        200
    );
    assert_eq!(
        root.get(&format!("/api/recordings/{id}/peaks/in?pbx=pbx-a"))
            .status,
        200
    );
    assert_eq!(
        root.get(&format!("/api/recordings/{id}/evidence?pbx=pbx-b"))
            .status,
        200
    );
}
