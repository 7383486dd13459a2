//! The browser's evidence bundle (`GET /api/recordings/{id}/bundle`) from
//! the real `legrec serve`, on a spool the core recorded and OpenSSL's own
//! TSA anchored: it checks with `legrec verify --bundle`'s own code and
//! `openssl ts -verify`, its export is in the access trail, and an auditor
//! (who never gets the audio) is not given one.

mod common;

// The TSA of the core's tests (OpenSSL's `openssl ts -reply` behind
// tests/tools/tsa_server.py); it finds the script through `repo()`.
#[path = "../../tests/common/tsa.rs"]
mod tsa;

use common::web::*;
use common::*;

#[test]
fn the_browser_hands_out_an_anchored_bundle_that_checks_on_its_own() {
    let tsa = tsa::Tsa::start("reply");
    let site = Site::new(&site_calls(), "");
    let id = site.id(0);
    let server = Server::start(&site.conf);
    let root = login(&server, "root", &password("root"));
    // Not anchored yet: nothing to prove it by.
    let early = root.get(&format!("/api/recordings/{id}/bundle"));
    assert_eq!(early.status, 404, "{}", early.text());
    assert!(
        early.text().contains("no anchor covers"),
        "{}",
        early.text()
    );

    tsa.anchor(&site.spool);

    let got = root.get(&format!("/api/recordings/{id}/bundle"));
    assert_eq!(got.status, 200, "{}", got.text());
    assert_eq!(got.header("content-type"), Some("application/x-tar"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bundle.tar");
    std::fs::write(&file, &got.body).unwrap();
    let mut report = Vec::new();
    let problems = legrec::admin::bundle::verify(&file, Some(&tsa.ca()), &mut report);
    assert!(problems.is_empty(), "{}", String::from_utf8_lossy(&report));
    let st = std::process::Command::new("sh")
        .current_dir(dir.path())
        .args([
            "-c",
            "tar -xf bundle.tar && sha256sum -c SHA256SUMS >/dev/null && \
             openssl ts -verify -digest \"$(tail -n 1 chain.jsonl | sed 's/.*\"hash\":\"\\([0-9a-f]*\\)\"}$/\\1/')\" \
             -in anchor.tsr -CAfile tsa-ca.pem",
        ])
        .status()
        .unwrap();
    assert!(st.success());

    // The export is chained before the bundle is sent, as root's.
    let trail =
        legrec::audit::verify_chain(&legrec::spool::layout::access_log(&site.spool)).unwrap();
    let e = trail.last().unwrap();
    assert_eq!((e.event.as_str(), e.id.as_str()), ("exported", id.as_str()));
    assert!(
        e.note.contains("\"what\":\"bundle\"") && e.note.contains("\"user\":\"root\""),
        "{}",
        e.note
    );

    // An auditor sees the facts and the JSON evidence, never the audio.
    let audrey = login(&server, "audrey", &password("audrey"));
    assert_eq!(
        audrey.get(&format!("/api/recordings/{id}/bundle")).status,
        404
    );
    assert_eq!(
        audrey.get(&format!("/api/recordings/{id}/evidence")).status,
        200
    );
    // An agent outside the recording's scope: as unknown.
    let alice = login(&server, "alice", &password("alice"));
    assert_eq!(
        alice
            .get(&format!("/api/recordings/{}/bundle", site.id(1)))
            .status,
        404
    );
}

/// An erased recording (its tombstone in the chain) is "erased" in the
/// browser, with when, by whom and why, not "damaged" for its missing
/// audio and rewritten sidecar; a sidecar changed after the tombstone
/// still is.
#[test]
fn an_erased_recording_shows_as_erased_with_when_who_and_why() {
    let site = Site::new(&site_calls(), "");
    let id = site.id(0);
    let tomb =
        legrec::admin::erase::erase(&site.spool, &id, "ticket 12: the caller asked").unwrap();
    let server = Server::start(&site.conf);
    let root = login(&server, "root", &password("root"));
    let r = root.get(&format!("/api/recordings/{id}")).json();
    let integrity = &r["integrity"];
    assert_eq!(integrity["verdict"], "erased", "{integrity}");
    let erased = &integrity["erased"];
    assert_eq!(erased["reason"], "ticket 12: the caller asked");
    assert_eq!(erased["by"], legrec::admin::evidence::unix_user().as_str());
    assert_eq!(erased["seq"], tomb.seq);
    assert_eq!(erased["at"], tomb.at.as_str());
    assert!(
        integrity["summary"]
            .as_str()
            .unwrap()
            .contains("the sidecar left matches its tombstone"),
        "{integrity}"
    );
    let page = root.get(&format!("/recordings/{id}")).text();
    assert!(
        page.contains("<span id=\"verdict\">erased</span>")
            && page.contains("ticket 12: the caller asked")
            && page.contains(&format!("audit entry {}", tomb.seq)),
        "{page}"
    );
    // The others are as they were.
    let other = root.get(&format!("/api/recordings/{}", site.id(1))).json();
    assert_eq!(other["integrity"]["verdict"], "intact");

    // The scrubbed sidecar changed after its tombstone: damaged.
    let mut bytes = std::fs::read(&site.sidecars[0]).unwrap();
    bytes.extend_from_slice(b" ");
    std::fs::write(&site.sidecars[0], bytes).unwrap();
    let r = root.get(&format!("/api/recordings/{id}")).json();
    assert_eq!(r["integrity"]["verdict"], "damaged", "{}", r["integrity"]);
}

/// POST `body` as JSON with the client's session and CSRF token.
fn post_json(c: &Client, path: &str, body: &serde_json::Value) -> Answer {
    send(
        c.agent
            .post(&format!("{}{path}", c.base))
            .set("Cookie", &format!("legrec_session={}", c.cookie))
            .set("X-CSRF-Token", &c.csrf)
            .set("Content-Type", "application/json"),
        Some(&body.to_string()),
    )
}

#[test]
fn admins_place_and_release_holds_auditors_list_them() {
    let site = Site::new(&site_calls()[..2], "");
    let server = Server::start(&site.conf);
    let root = login(&server, "root", &password("root"));
    let audrey = login(&server, "audrey", &password("audrey"));
    let sue = login(&server, "sue", &password("sue"));
    let want = serde_json::json!({"ids": [site.id(0)], "reason": "claim 2026-118"});
    // Only an admin places one; a hold needs a reason; CSRF as everywhere.
    assert_eq!(post_json(&audrey, "/api/holds", &want).status, 403);
    assert_eq!(post_json(&sue, "/api/holds", &want).status, 403);
    let bad = post_json(
        &root,
        "/api/holds",
        &serde_json::json!({"ids": [site.id(0)], "reason": ""}),
    );
    assert_eq!(bad.status, 400, "{}", bad.text());
    assert_eq!(root.post("/api/holds", None).status, 403, "no CSRF token");
    let placed = post_json(&root, "/api/holds", &want);
    assert_eq!(placed.status, 201, "{}", placed.text());
    let name = placed.json()["name"].as_str().unwrap().to_string();

    // The auditor sees it; a supervisor does not.
    let list = audrey.get("/api/holds");
    assert_eq!(list.status, 200, "{}", list.text());
    assert_eq!(list.json()[0]["name"], name.as_str());
    assert_eq!(list.json()[0]["by"], "root (browser, admin)");
    assert_eq!(sue.get("/api/holds").status, 403);

    // The spool's prune honours it: it is the chain's hold.
    let holds = legrec::hold::active(&site.spool).unwrap();
    let sc = legrec::admin::read_sidecar(&site.sidecars[0]).unwrap();
    assert_eq!(legrec::hold::holding(&holds, &sc).unwrap().name, name);

    let path = format!("/api/holds/{name}/release");
    assert_eq!(
        post_json(&audrey, &path, &serde_json::json!({"reason": "x"})).status,
        403
    );
    let r = post_json(&root, &path, &serde_json::json!({"reason": "settled"}));
    assert_eq!(r.status, 204, "{}", r.text());
    assert_eq!(root.get("/api/holds").json(), serde_json::json!([]));
    let again = post_json(&root, &path, &serde_json::json!({"reason": "settled"}));
    assert_eq!(again.status, 400, "{}", again.text());
    let chain =
        legrec::audit::verify_chain(&legrec::spool::layout::audit_log(&site.spool)).unwrap();
    let released = chain.iter().find(|e| e.event == "hold-released").unwrap();
    assert!(released.note.contains("root (browser, admin)") && released.note.contains("settled"));
}
