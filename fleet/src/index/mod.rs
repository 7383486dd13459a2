//! The index: every recording's facts in one SQL database, SQLite beside
//! the spool by default, PostgreSQL for a fleet (one database, many PBXs).
//! sqlx's `Any` driver runs the same statements on both; the URL decides.

pub mod facts;
pub mod schema;
pub mod search;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

pub use facts::{Facts, FileFact};
pub use search::{Query, Sort, Summary};

/// A recording as the index holds it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Record {
    #[serde(flatten)]
    pub summary: Summary,
    pub files: Vec<FileFact>,
    /// The sidecar as written by the PBX.
    pub sidecar: serde_json::Value,
}

pub struct Index {
    pool: AnyPool,
    postgres: bool,
}

fn sql_err(what: &str) -> impl Fn(sqlx::Error) -> String + '_ {
    move |e| format!("index: {what}: {e}")
}

impl Index {
    /// Opens (and for SQLite creates) the database at `url` and its tables.
    pub async fn open(url: &str) -> Result<Index, String> {
        let connections = if url.starts_with("postgres") { 8 } else { 4 };
        Index::open_with(url, connections, None).await
    }

    /// `open` with a pool of `connections`, and on PostgreSQL a
    /// `statement_timeout` for every statement (the browser's bound on
    /// what one request may cost the database).
    pub async fn open_with(
        url: &str,
        connections: u32,
        statement_timeout: Option<std::time::Duration>,
    ) -> Result<Index, String> {
        let (pool, postgres) = connect(url, connections, statement_timeout).await?;
        let index = Index { pool, postgres };
        index.create_tables().await?;
        Ok(index)
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn is_postgres(&self) -> bool {
        self.postgres
    }

    /// Brings the tables up to the migrations this program holds (an
    /// index made before them, at legrec_schema version 1, takes the first
    /// as already there).  On PostgreSQL sqlx locks the database so two
    /// shippers starting at once do not both migrate; SQLite has no such
    /// lock, so a second opener that raced the first and lost tries once
    /// more, and then finds the work done.
    async fn create_tables(&self) -> Result<(), String> {
        let first = schema::MIGRATIONS.run(&self.pool).await;
        let result = match first {
            Err(_) if !self.postgres => schema::MIGRATIONS.run(&self.pool).await,
            other => other,
        };
        result.map_err(|e| format!("index: migrating the tables: {e}"))
    }

    /// Adds or replaces a recording, its files and its peers, in one
    /// transaction: a search never sees half of one.
    pub async fn put(&self, f: &Facts) -> Result<(), String> {
        let s = &f.sidecar;
        let mut tx = self.pool.begin().await.map_err(sql_err("begin"))?;
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        sqlx::query(
            "INSERT INTO recordings (pbx, id, policy, queue, caller, caller_name, callee, agent, \
             started_ms, started_at, ended_at, duration, status, consent, consent_mode, law, \
             law_reason, masks, pauses, location, sidecar, sidecar_sha256, indexed_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
             $18, $19, $20, $21, $22, $23) \
             ON CONFLICT (pbx, id) DO UPDATE SET policy = excluded.policy, queue = excluded.queue, \
             caller = excluded.caller, caller_name = excluded.caller_name, callee = excluded.callee, \
             agent = excluded.agent, started_ms = excluded.started_ms, started_at = excluded.started_at, \
             ended_at = excluded.ended_at, duration = excluded.duration, status = excluded.status, \
             consent = excluded.consent, consent_mode = excluded.consent_mode, law = excluded.law, \
             law_reason = excluded.law_reason, masks = excluded.masks, pauses = excluded.pauses, \
             location = excluded.location, sidecar = excluded.sidecar, \
             sidecar_sha256 = excluded.sidecar_sha256, indexed_ms = excluded.indexed_ms",
        )
        .bind(&f.pbx)
        .bind(&s.id)
        .bind(&s.policy)
        .bind(&s.queue)
        .bind(&s.caller.number)
        .bind(&s.caller.name)
        .bind(&s.callee)
        .bind(s.agent.clone())
        .bind(f.started_ms)
        .bind(&s.started_at)
        .bind(s.ended_at.clone())
        .bind(f.duration)
        .bind(&s.status)
        .bind(&s.consent.decision)
        .bind(&s.consent.mode)
        .bind(f.law.as_ref().map(|l| l.0.clone()))
        .bind(f.law.as_ref().map(|l| l.1.clone()))
        .bind(s.masks.len() as i64)
        .bind(s.pauses.len() as i64)
        .bind(&f.location)
        .bind(&f.sidecar_json)
        .bind(f.sidecar_sha256())
        .bind(now_ms)
        .execute(&mut *tx)
        .await
        .map_err(sql_err("put"))?;
        for table in ["recording_files", "recording_peers"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE pbx = $1 AND id = $2"))
                .bind(&f.pbx)
                .bind(&s.id)
                .execute(&mut *tx)
                .await
                .map_err(sql_err("put"))?;
        }
        for file in &f.files {
            sqlx::query(
                "INSERT INTO recording_files (pbx, id, name, file, sha256, object) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&f.pbx)
            .bind(&s.id)
            .bind(&file.name)
            .bind(&file.file)
            .bind(&file.sha256)
            .bind(file.object.clone())
            .execute(&mut *tx)
            .await
            .map_err(sql_err("put"))?;
        }
        for (seq, p) in f.peers().iter().enumerate() {
            sqlx::query(
                "INSERT INTO recording_peers (pbx, id, seq, channel, number, name, member, \
                 interface, joined_s, left_s) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(&f.pbx)
            .bind(&s.id)
            .bind(seq as i64)
            .bind(&p.channel)
            .bind(&p.number)
            .bind(&p.name)
            .bind(p.member.clone())
            .bind(p.interface.clone())
            .bind(p.joined)
            .bind(p.left)
            .execute(&mut *tx)
            .await
            .map_err(sql_err("put"))?;
        }
        tx.commit().await.map_err(sql_err("commit"))
    }

    /// Forgets a recording (pruned everywhere).
    pub async fn remove(&self, pbx: &str, id: &str) -> Result<(), String> {
        let mut tx = self.pool.begin().await.map_err(sql_err("begin"))?;
        for table in ["recording_files", "recording_peers", "recordings"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE pbx = $1 AND id = $2"))
                .bind(pbx)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(sql_err("remove"))?;
        }
        tx.commit().await.map_err(sql_err("commit"))
    }

    /// Forgets every recording of `pbx` (before a rebuild).
    pub async fn clear(&self, pbx: &str) -> Result<u64, String> {
        let mut tx = self.pool.begin().await.map_err(sql_err("begin"))?;
        let mut n = 0;
        for table in ["recording_files", "recording_peers", "recordings"] {
            n = sqlx::query(&format!("DELETE FROM {table} WHERE pbx = $1"))
                .bind(pbx)
                .execute(&mut *tx)
                .await
                .map_err(sql_err("clear"))?
                .rows_affected();
        }
        tx.commit().await.map_err(sql_err("commit"))?;
        Ok(n)
    }

    pub async fn search(&self, q: &Query) -> Result<Vec<Summary>, String> {
        let sql = q.to_sql();
        let mut query = sqlx::query(&sql.text);
        for v in sql.values {
            query = match v {
                search::Value::Text(s) => query.bind(s),
                search::Value::Int(i) => query.bind(i),
                search::Value::Real(r) => query.bind(r),
            };
        }
        let rows = query
            .fetch_all(&self.pool)
            .await
            .map_err(sql_err("search"))?;
        rows.iter().map(summary).collect()
    }

    /// The recordings under `id`, one per PBX that made one: a PBX of the
    /// fleet can index any id, so a caller picks by PBX and scope, never
    /// the first row.
    pub async fn get_all(&self, id: &str) -> Result<Vec<Record>, String> {
        let rows = sqlx::query("SELECT pbx FROM recordings WHERE id = $1 ORDER BY pbx")
            .bind(id)
            .fetch_all(&self.pool)
            .await
            .map_err(sql_err("get"))?;
        let mut out = Vec::new();
        for r in rows {
            let pbx: String = r.try_get("pbx").map_err(sql_err("get"))?;
            if let Some(rec) = self.get(&pbx, id).await? {
                out.push(rec);
            }
        }
        Ok(out)
    }

    /// The recording `id` made by `pbx`.
    pub async fn get(&self, pbx: &str, id: &str) -> Result<Option<Record>, String> {
        let row = sqlx::query(&format!(
            "SELECT {}, sidecar FROM recordings WHERE pbx = $1 AND id = $2",
            search::SUMMARY_COLUMNS
        ))
        .bind(pbx)
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(sql_err("get"))?;
        let Some(row) = row else { return Ok(None) };
        let summary = summary(&row)?;
        let sidecar: String = row.try_get("sidecar").map_err(sql_err("get"))?;
        let files = sqlx::query(
            "SELECT name, file, sha256, object FROM recording_files \
             WHERE pbx = $1 AND id = $2 ORDER BY name",
        )
        .bind(&summary.pbx)
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .map_err(sql_err("get"))?
        .iter()
        .map(|r| {
            Ok(FileFact {
                name: r.try_get("name")?,
                file: r.try_get("file")?,
                sha256: r.try_get("sha256")?,
                object: r.try_get("object")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()
        .map_err(sql_err("get"))?;
        Ok(Some(Record {
            summary,
            files,
            sidecar: serde_json::from_str(&sidecar).unwrap_or(serde_json::Value::Null),
        }))
    }

    /// Each recording of `pbx` the index holds, with its sidecar's SHA-256
    /// and where its files are: what `legrec index` need not write again.
    pub async fn known(
        &self,
        pbx: &str,
    ) -> Result<std::collections::HashMap<String, (String, String)>, String> {
        let rows =
            sqlx::query("SELECT id, sidecar_sha256, location FROM recordings WHERE pbx = $1")
                .bind(pbx)
                .fetch_all(&self.pool)
                .await
                .map_err(sql_err("known"))?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("id")?,
                    (r.try_get("sidecar_sha256")?, r.try_get("location")?),
                ))
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(sql_err("known"))
    }

    /// The recordings of `pbx` where `number` took part (caller, callee
    /// or any peer): a data subject's, for `legrec subject export` and
    /// `legrec erase --number`, found even once the spool's copy is gone.
    pub async fn of_number(&self, pbx: &str, number: &str) -> Result<Vec<String>, String> {
        let rows = sqlx::query(
            "SELECT id FROM recordings WHERE pbx = $1 AND (caller = $2 OR callee = $2) \
             UNION SELECT id FROM recording_peers WHERE pbx = $1 AND number = $2",
        )
        .bind(pbx)
        .bind(number)
        .fetch_all(&self.pool)
        .await
        .map_err(sql_err("of_number"))?;
        rows.iter()
            .map(|r| r.try_get("id"))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(sql_err("of_number"))
    }

    /// Whether the index holds recording `id` of `pbx`.
    pub async fn has(&self, pbx: &str, id: &str) -> Result<bool, String> {
        let row = sqlx::query("SELECT 1 FROM recordings WHERE pbx = $1 AND id = $2")
            .bind(pbx)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(sql_err("has"))?;
        Ok(row.is_some())
    }

    /// When the newest recording of `pbx` the index holds started.
    pub async fn newest(&self, pbx: &str) -> Result<Option<String>, String> {
        let row = sqlx::query(
            "SELECT started_at FROM recordings WHERE pbx = $1 ORDER BY started_ms DESC LIMIT 1",
        )
        .bind(pbx)
        .fetch_optional(&self.pool)
        .await
        .map_err(sql_err("newest"))?;
        row.map(|r| r.try_get(0))
            .transpose()
            .map_err(sql_err("newest"))
    }

    /// How many recordings of `pbx` (all PBXs: None) the index holds.
    pub async fn count(&self, pbx: Option<&str>) -> Result<i64, String> {
        let row = match pbx {
            Some(p) => {
                sqlx::query("SELECT COUNT(*) FROM recordings WHERE pbx = $1")
                    .bind(p)
                    .fetch_one(&self.pool)
                    .await
            }
            None => {
                sqlx::query("SELECT COUNT(*) FROM recordings")
                    .fetch_one(&self.pool)
                    .await
            }
        }
        .map_err(sql_err("count"))?;
        row.try_get::<i64, _>(0).map_err(sql_err("count"))
    }
}

/// A pool on the database at `url` (SQLite created if missing, in WAL
/// mode), and whether it is PostgreSQL.
pub async fn connect(
    url: &str,
    connections: u32,
    statement_timeout: Option<std::time::Duration>,
) -> Result<(AnyPool, bool), String> {
    sqlx::any::install_default_drivers();
    let postgres = url.starts_with("postgres");
    let url = if postgres {
        url.to_string()
    } else {
        let path = url.trim_start_matches("sqlite://");
        if let Some(dir) = std::path::Path::new(path).parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("index {url}: {e}"))?;
        }
        format!("{url}?mode=rwc")
    };
    let pool = AnyPoolOptions::new()
        .max_connections(connections)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if let (true, Some(t)) = (postgres, statement_timeout) {
                    sqlx::query(&format!("SET statement_timeout = {}", t.as_millis()))
                        .execute(&mut *conn)
                        .await?;
                }
                if !postgres {
                    // Readers (search, the browser) beside one writer
                    // (the shipper), and a writer that waits rather
                    // than fails while another holds the lock.
                    sqlx::query("PRAGMA journal_mode = WAL")
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query("PRAGMA busy_timeout = 10000")
                        .execute(&mut *conn)
                        .await?;
                    // In WAL mode a commit then waits for no sync; a
                    // power cut may lose the last ones, which `legrec
                    // index` reads again from the spool or the bucket.
                    sqlx::query("PRAGMA synchronous = NORMAL")
                        .execute(&mut *conn)
                        .await?;
                }
                Ok(())
            })
        })
        .connect(&url)
        .await
        .map_err(|e| format!("index {}: {e}", redact(&url)))?;
    Ok((pool, postgres))
}

fn summary(r: &AnyRow) -> Result<Summary, String> {
    (|| -> Result<Summary, sqlx::Error> {
        Ok(Summary {
            id: r.try_get("id")?,
            pbx: r.try_get("pbx")?,
            policy: r.try_get("policy")?,
            queue: r.try_get("queue")?,
            caller: r.try_get("caller")?,
            caller_name: r.try_get("caller_name")?,
            callee: r.try_get("callee")?,
            agent: r.try_get("agent")?,
            started_at: r.try_get("started_at")?,
            duration: r.try_get("duration")?,
            status: r.try_get("status")?,
            consent: r.try_get("consent")?,
            law: r.try_get("law")?,
            masks: r.try_get("masks")?,
            pauses: r.try_get("pauses")?,
            location: r.try_get("location")?,
        })
    })()
    .map_err(sql_err("row"))
}

/// A database URL without its password (in the user part, or a
/// `password=` parameter), for messages.
pub fn redact(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let base = match (base.find("://"), base.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &base[s + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &base[..s + 3], &base[at..])
        }
        _ => base.to_string(),
    };
    match query {
        None => base,
        Some(q) => {
            let params: Vec<String> = q
                .split('&')
                .map(|kv| match kv.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                    _ => kv.to_string(),
                })
                .collect();
            format!("{base}?{}", params.join("&"))
        }
    }
}

#[cfg(test)]
mod redact_tests {
    #[test]
    fn passwords_are_hidden_wherever_the_url_has_them() {
        assert_eq!(
            super::redact("postgresql://u:pw@h/db?password=pw2&sslmode=disable"),
            "postgresql://u:***@h/db?password=***&sslmode=disable"
        );
        assert_eq!(
            super::redact("sqlite:///s/index.sqlite"),
            "sqlite:///s/index.sqlite"
        );
    }
}
