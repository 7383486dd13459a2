//! The index fed from spools of recordings made by the real core: SQLite
//! beside the spool, and two PBXs into one PostgreSQL (scripts/postgres);
//! every filter of `legrec search`.

mod common;

use common::*;
use serde_json::Value;

fn ids(json: &str) -> Vec<(String, String)> {
    let v: Value = serde_json::from_str(json).unwrap();
    let mut out: Vec<(String, String)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["pbx"].as_str().unwrap().to_string(),
                r["caller"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn calls() -> Vec<Call> {
    vec![
        Call::new("5551001", "sales", Some("alice")),
        Call::new("5551002", "sales", Some("bob")),
        Call {
            callee: "700",
            seconds: 1.2,
            ..Call::new("5551003", "support", Some("alice"))
        },
        Call::new("5551001", "support", None),
    ]
}

/// Runs every filter against `conf`; `pbx` is the PBX the spool's calls
/// are indexed under.
fn check_filters(conf: &str, pbx: &str) {
    let search = |args: &[&str]| {
        let mut a = vec!["search", "--config", conf, "--json", "--pbx", pbx];
        a.extend_from_slice(args);
        ids(&fleet_ok(&a))
    };
    let callers = |args: &[&str]| search(args).into_iter().map(|(_, c)| c).collect::<Vec<_>>();
    assert_eq!(search(&[]).len(), 4);
    assert_eq!(callers(&["--caller", "5551001"]), ["5551001", "5551001"]);
    assert_eq!(callers(&["--callee", "700"]), ["5551003"]);
    assert_eq!(callers(&["--queue", "sales"]), ["5551001", "5551002"]);
    assert_eq!(callers(&["--agent", "alice"]), ["5551001", "5551003"]);
    assert_eq!(callers(&["--status", "complete"]).len(), 4);
    assert!(callers(&["--status", "declined"]).is_empty());
    assert_eq!(callers(&["--consent", "recorded"]).len(), 4);
    assert_eq!(callers(&["--min-duration", "1.0"]), ["5551003"]);
    assert_eq!(callers(&["--max-duration", "1.0"]).len(), 3);
    // Today's calls: from today, to tomorrow; none before yesterday.
    let day = |offset: i64| {
        let t =
            std::time::SystemTime::now() + std::time::Duration::from_secs((offset * 86400) as u64);
        humantime::format_rfc3339_seconds(t).to_string()[..10].to_string()
    };
    assert_eq!(callers(&["--from", &day(0), "--to", &day(1)]).len(), 4);
    assert!(callers(&["--to", &day(0)]).is_empty());
    assert_eq!(
        callers(&["--queue", "support", "--from", &day(0)]),
        ["5551001", "5551003"]
    );
    // Paging and sorting by the database.
    let page = |offset: &str| {
        let out = fleet_ok(&[
            "search", "--config", conf, "--json", "--pbx", pbx, "--sort", "duration", "--limit",
            "1", "--offset", offset,
        ]);
        let v: Value = serde_json::from_str(&out).unwrap();
        v[0]["caller"].as_str().map(str::to_string)
    };
    assert_eq!(page("0").as_deref(), Some("5551003"), "longest first");
    assert_eq!(page("4"), None);
}

#[test]
fn sqlite_beside_the_spool_answers_every_filter() {
    let tmp = tempfile::tempdir().unwrap();
    let spool = tmp.path().join("spool");
    record(&spool, &calls());
    let conf = write_conf(tmp.path(), &spool, "pbx_name = pbx-a");
    let conf = conf.to_str().unwrap();
    let out = fleet_ok(&["index", "--config", conf]);
    assert!(out.contains("indexed 4 recording(s) of pbx-a"), "{out}");
    assert!(spool.join("index.sqlite").is_file());
    check_filters(conf, "pbx-a");
    // Indexing again writes nothing; a rebuild gives the same answers.
    let out = fleet_ok(&["index", "--config", conf]);
    assert!(
        out.contains("indexed 0 recording(s) of pbx-a") && out.contains("(4 unchanged)"),
        "{out}"
    );
    let out = fleet_ok(&["index", "rebuild", "--config", conf]);
    assert!(out.contains("forgot 4 recording(s) of pbx-a"), "{out}");
    check_filters(conf, "pbx-a");
    // The table for people: one line a recording, and the count.
    let table = fleet_ok(&["search", "--config", conf, "--agent", "bob"]);
    assert!(
        table.contains("5551002") && table.contains("1 recording(s)"),
        "{table}"
    );
}

#[test]
fn two_pbx_spools_into_one_postgresql() {
    let pg = Postgres::start();
    let tmp = tempfile::tempdir().unwrap();
    let mut confs = Vec::new();
    for name in ["pbx-a", "pbx-b"] {
        let dir = tmp.path().join(name);
        let spool = dir.join("spool");
        record(&spool, &calls());
        std::fs::create_dir_all(&dir).unwrap();
        let conf = write_conf(
            &dir,
            &spool,
            &format!("pbx_name = {name}\nindex = {}", pg.url),
        );
        confs.push(conf.to_str().unwrap().to_string());
    }
    // Both at once: the tables are made once, by whichever comes first.
    std::thread::scope(|s| {
        for c in &confs {
            s.spawn(move || fleet_ok(&["index", "--config", c]));
        }
    });
    for (conf, pbx) in confs.iter().zip(["pbx-a", "pbx-b"]) {
        check_filters(conf, pbx);
    }
    // One database: a search without --pbx sees both PBXs.
    let all = ids(&fleet_ok(&[
        "search", "--config", &confs[0], "--json", "--caller", "5551002",
    ]));
    assert_eq!(
        all,
        [
            ("pbx-a".to_string(), "5551002".to_string()),
            ("pbx-b".to_string(), "5551002".to_string())
        ]
    );
}

#[test]
fn bad_input_is_refused_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let spool = tmp.path().join("spool");
    let conf = write_conf(tmp.path(), &spool, "index = mysql://x");
    let out = fleet(&["search", "--config", conf.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("[storage] index"), "{err}");
    let conf = write_conf(tmp.path(), &spool, "");
    let out = fleet(&["search", "--config", conf.to_str().unwrap(), "--callr", "1"]);
    // The mistyped flag is named, and so is the one meant.
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unexpected argument '--callr'") && err.contains("'--caller'"),
        "{err}"
    );
    let out = fleet(&[
        "search",
        "--config",
        conf.to_str().unwrap(),
        "--from",
        "yesterday",
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("'yesterday'"));
    // A sidecar that is not one is named, and the others are indexed.
    record(&spool, &calls()[..1]);
    std::fs::write(spool.join("p").join("broken.json"), b"{not json").unwrap();
    let out = fleet(&["index", "--config", conf.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("broken.json"),
        "{err}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("indexed 1 recording(s)"));
}
