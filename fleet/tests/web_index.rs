//! How `legrec serve` keeps up with the spool, through the real server on
//! spools the real core recorded: with the embedded SQLite index it reads
//! a spool nobody indexed and then each recording as it finishes, with no
//! `legrec index`; with a fleet's PostgreSQL (which PBXs' shippers write)
//! it writes nothing and says what the index lacks and what to run.

mod common;

use std::time::{Duration, Instant};

use common::web::*;
use common::*;

fn id_of(sidecar: &std::path::Path) -> String {
    sidecar.file_stem().unwrap().to_str().unwrap().to_string()
}

/// Asks `what` again until `done` holds of it (20 s at most); the last
/// answer.
fn until<T: std::fmt::Debug>(what: impl Fn() -> T, done: impl Fn(&T) -> bool) -> T {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let v = what();
        if done(&v) {
            return v;
        }
        assert!(Instant::now() < deadline, "waited 20 s; last: {v:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_spool_never_indexed_is_listed_and_a_call_finished_later_appears() {
    let tmp = tempfile::tempdir().unwrap();
    let spool = tmp.path().join("spool");
    let calls = site_calls();
    let first = record(&spool, &calls[..2]);
    let conf = write_conf(tmp.path(), &spool, "pbx_name = pbx-a");
    own_accounts(&conf, tmp.path());
    // No `legrec index`: the index holds only the user.
    add_user(&conf, "root", "admin", &[], &password("root"));
    let server = Server::start(&conf);
    let root = login(&server, "root", &password("root"));
    let mut want: Vec<String> = first.iter().map(|s| id_of(s)).collect();
    want.sort();
    until(|| ids(&root.get("/api/recordings")), |v| *v == want);
    let status = until(
        || root.get("/api/index").json(),
        |s| s["checked_ago"].is_u64(),
    );
    assert_eq!(status["writes"], true, "{status}");
    assert_eq!(status["lacking"], 0, "{status}");
    let page = root.get("/recordings").text();
    assert!(
        page.contains("The index follows this server's spool: every finished recording is in it"),
        "{page}"
    );

    // A call that finishes while the server runs: listed within seconds.
    let later = record(&spool, &calls[2..3]);
    want.push(id_of(&later[0]));
    want.sort();
    until(|| ids(&root.get("/api/recordings")), |v| *v == want);
    let r = root
        .get(&format!("/api/recordings/{}", id_of(&later[0])))
        .json();
    assert_eq!(r["integrity"]["verdict"], "intact", "{}", r["integrity"]);
    assert_eq!(root.get("/api/index").json()["lacking"], 0);
}

#[test]
fn a_fleets_postgresql_is_not_written_and_the_page_says_what_to_run() {
    let pg = Postgres::start();
    let site = Site::with_storage(&site_calls()[..2], &format!("index = {}", pg.url), "");
    // Finished after the last `legrec index`, with no shipper running.
    let later = record(&site.spool, &site_calls()[2..3]);
    let server = Server::start(&site.conf);
    let root = login(&server, "root", &password("root"));
    let status = until(
        || root.get("/api/index").json(),
        |s| s["checked_ago"].is_u64(),
    );
    assert_eq!(status["writes"], false, "{status}");
    assert_eq!(status["lacking"], 1, "{status}");
    assert_eq!(ids(&root.get("/api/recordings")).len(), 2, "not written");
    let page = root.get("/recordings").text();
    // The page escapes '/' in what it was given.
    let conf = site.conf.display().to_string().replace('/', "&#x2f;");
    let run = format!("run <code>legrec index --config {conf}</code> on pbx-a");
    assert!(
        page.contains("The index lacks 1 finished recording of this server") && page.contains(&run),
        "{page}"
    );
    // What the page said to run: the index has it, and the page says so.
    fleet_ok(&["index", "--config", site.conf.to_str().unwrap()]);
    until(|| root.get("/api/index").json(), |s| s["lacking"] == 0);
    assert_eq!(ids(&root.get("/api/recordings")).len(), 3);
    let page = root.get("/recordings").text();
    assert!(
        page.contains("It holds every finished recording of this server")
            && page.contains(&id_of(&later[0])),
        "{page}"
    );
}
