//! Where the browser's users and sessions live: a database of their own
//! (`[web] accounts`), never the index.  Every shipper of a fleet holds
//! the index's credentials, so users there meant a compromised PBX could
//! insert itself an admin, or a session.  By default a SQLite file the
//! server's own user keeps; for a fleet, a PostgreSQL schema whose role
//! only `legrec serve` and `legrec user` have (README: "Deploying the
//! browser" gives the grants).

use std::time::Duration;

use sqlx::AnyPool;

pub struct Accounts {
    pool: AnyPool,
}

const TABLES: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS browser_users (
        name TEXT PRIMARY KEY,
        role TEXT NOT NULL,
        queues TEXT NOT NULL,
        pbxs TEXT NOT NULL,
        agent TEXT,
        password TEXT NOT NULL,
        created_ms BIGINT NOT NULL
    )",
    // By the SHA-256 of the cookie's token, so the table never holds a
    // token that would open a session.
    "CREATE TABLE IF NOT EXISTS browser_sessions (
        token_sha256 TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        csrf TEXT NOT NULL,
        address TEXT NOT NULL,
        created_ms BIGINT NOT NULL,
        expires_ms BIGINT NOT NULL,
        last_seen_ms BIGINT NOT NULL
    )",
    "CREATE INDEX IF NOT EXISTS browser_sessions_name ON browser_sessions (name)",
];

impl Accounts {
    /// Opens (and creates) the accounts database at `url`.
    pub async fn open(
        url: &str,
        connections: u32,
        statement_timeout: Option<Duration>,
    ) -> Result<Accounts, String> {
        let (pool, _) = crate::index::connect(url, connections, statement_timeout)
            .await
            .map_err(|e| format!("[web] accounts: {e}"))?;
        for stmt in TABLES {
            sqlx::query(stmt)
                .execute(&pool)
                .await
                .map_err(|e| format!("[web] accounts: creating tables: {e}"))?;
        }
        Ok(Accounts { pool })
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }
}
