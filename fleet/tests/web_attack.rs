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

    // A login body is a name and a password: a megabyte of either is
    // refused before it is read whole, and never becomes a limiter key.
    let huge = serde_json::json!({"user": "x".repeat(1 << 20), "password": "p"}).to_string();
    let a = login_body(&server, &huge);
    assert_eq!(a.status, 413, "{}", a.text());
}
