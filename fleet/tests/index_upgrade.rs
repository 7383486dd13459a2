//! An index made before the migrations (its tables made statement by
//! statement, `legrec_schema` saying version 1) is taken over by them
//! with its rows, on a real SQLite file and a real PostgreSQL: `legrec
//! index` then indexes into it, searches find old and new rows alike, and
//! opening it again migrates nothing more.

mod common;

use common::*;
use sqlx::{AnyPool, Row};

/// The tables as legrec made them before the migrations: the statements
/// of the first migration (which took them over unchanged), run one by
/// one as the old program ran them, version 1 noted, and one recording in.
async fn old_index(url: &str) {
    sqlx::any::install_default_drivers();
    let pool = AnyPool::connect(url).await.unwrap();
    let sql = std::fs::read_to_string(repo().join("fleet/migrations/1_tables.sql")).unwrap();
    for stmt in sql.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        let stmt: String = stmt
            .lines()
            .filter(|l| !l.trim_start().starts_with("--"))
            .collect::<Vec<_>>()
            .join("\n");
        if !stmt.trim().is_empty() {
            sqlx::query(&stmt).execute(&pool).await.unwrap();
        }
    }
    sqlx::query(
        "INSERT INTO recordings VALUES ('pbx-old', '20250101-000000-000-00000001', 'p', \
         'sales', '5550000', 'Old', '100', NULL, 1735689600000, '2025-01-01T00:00:00Z', \
         NULL, 12.5, 'complete', 'notified', 'notify', NULL, NULL, 0, 0, 'local', '{}', \
         'x', 1735689600000)",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
}

async fn migrations_and_version(url: &str) -> (Vec<i64>, i64) {
    let pool = AnyPool::connect(url).await.unwrap();
    let applied =
        sqlx::query("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(&pool)
            .await
            .unwrap()
            .iter()
            .map(|r| r.get::<i64, _>(0))
            .collect();
    let v: i64 = sqlx::query("SELECT version FROM legrec_schema")
        .fetch_one(&pool)
        .await
        .unwrap()
        .get(0);
    pool.close().await;
    (applied, v)
}

fn upgrade(url: &str, index_line: &str) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(old_index(url));
    let tmp = tempfile::tempdir().unwrap();
    let spool = tmp.path().join("spool");
    record(&spool, &calls());
    let conf = write_conf(
        tmp.path(),
        &spool,
        &format!("pbx_name = pbx-a\n{index_line}"),
    );
    let conf = conf.to_str().unwrap();
    let out = fleet_ok(&["index", "--config", conf]);
    assert!(out.contains("indexed 4 recording(s) of pbx-a"), "{out}");
    let old = fleet_ok(&["search", "--config", conf, "--pbx", "pbx-old"]);
    assert!(
        old.contains("5550000") && old.contains("1 recording(s)"),
        "{old}"
    );
    let new = fleet_ok(&["search", "--config", conf, "--pbx", "pbx-a"]);
    assert!(new.contains("4 recording(s)"), "{new}");
    // Opened again: nothing more to do, the version a legrec from before
    // the migrations checks still 1.
    fleet_ok(&["search", "--config", conf]);
    assert_eq!(rt.block_on(migrations_and_version(url)), (vec![1], 1));
}

fn calls() -> Vec<Call> {
    ["5551001", "5551002", "5551003", "5551004"]
        .into_iter()
        .map(|n| Call::new(n, "sales", None))
        .collect()
}

#[test]
fn an_sqlite_index_from_before_the_migrations_upgrades() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("old.sqlite");
    let url = format!("sqlite://{}", db.display());
    std::fs::File::create(&db).unwrap();
    upgrade(&url, &format!("index = {url}"));
}

#[test]
fn a_postgresql_index_from_before_the_migrations_upgrades() {
    let pg = Postgres::start();
    upgrade(&pg.url, &format!("index = {}", pg.url));
}
