//! The index's tables, made and moved on by the migrations in
//! fleet/migrations (sqlx's, embedded in the program), in SQL both SQLite
//! and PostgreSQL take as written.
//!
//! One row per recording, keyed by the PBX that made it and its id; its
//! files (with their object keys once shipped) and its peers beside it.
//! Times are milliseconds since the epoch, so ranges compare as integers
//! in both engines.  Each search filter has an index that ends in
//! `started_ms`, so "this caller, newest first" and "this queue, this
//! week" are index range scans however large the table grows.

use sqlx::migrate::Migrator;

pub static MIGRATIONS: Migrator = sqlx::migrate!("./migrations");
