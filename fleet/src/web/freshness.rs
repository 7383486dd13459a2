//! Whether the index holds what this server's spool has, and keeping it
//! so.  With the embedded SQLite index (the default) the browser is its own
//! indexer: at start it reads the spool as `legrec index` does, then it
//! follows the audit chain, where the PBX names each sidecar it has just
//! written, and indexes that one (both by `spool_index`, the code of
//! `legrec index`); every hour it reads the whole spool again, as a
//! safety net for a sidecar the chain missed.  A PostgreSQL index is the
//! fleet's, written by each PBX's `legrec ship` (or `legrec index`): there
//! the browser only notes what this spool has that the index lacks.  Pages
//! read the last status; nothing here holds up a request.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use legrec::audit::Entry;
use legrec::spool::layout;
use serde::Serialize;

use super::chain::Mark;
use super::App;
use crate::spool_index::{index_sidecars, Known, Tally};

/// How often the chain is looked at (one stat when nothing happened).
const FOLLOW_EVERY: Duration = Duration::from_secs(2);
/// How often the whole spool is read again.
const READ_ALL_EVERY: Duration = Duration::from_secs(3600);
/// How often recordings the index lacked are looked for again.
const RETRY_EVERY: Duration = Duration::from_secs(10);
/// At most this many of them each time.
const RETRY_AT_MOST: usize = 1000;
/// Sidecars read between two updates of the first reading's progress.
const BATCH: usize = 200;

/// What the pages say about the index.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Status {
    /// This server writes the index from its spool.
    pub writes: bool,
    /// The reading of the whole spool under way: sidecars done, of all.
    pub reading: Option<(usize, usize)>,
    /// Seconds since the spool and the index were last compared.
    pub checked_ago: Option<u64>,
    /// Finished recordings of this spool the index lacks.
    pub lacking: usize,
    /// Why the first of them is not in it, when known.
    pub failure: Option<String>,
    /// When the newest recording of this PBX in the index started.
    pub newest: Option<String>,
    pub pbx: String,
    /// What to run on this PBX to bring the index up to date.
    pub command: String,
}

pub struct Freshness {
    status: Mutex<(Status, Option<Instant>)>,
}

impl Freshness {
    pub fn new(writes: bool, pbx: &str, config: &Path) -> Freshness {
        let status = Status {
            writes,
            pbx: pbx.into(),
            command: format!("legrec index --config {}", config.display()),
            ..Status::default()
        };
        Freshness {
            status: Mutex::new((status, None)),
        }
    }

    pub fn status(&self) -> Status {
        let s = self.status.lock().unwrap_or_else(|p| p.into_inner());
        let mut status = s.0.clone();
        status.checked_ago = s.1.map(|t| t.elapsed().as_secs());
        status
    }

    /// The status as `user` may see it: why a recording is not indexed
    /// names its file, for admins.
    pub fn status_for(&self, user: &super::users::User) -> Status {
        let mut status = self.status();
        if user.role != super::users::Role::Admin {
            status.failure = None;
        }
        status
    }

    /// The chain was looked at: the status is as of now.
    fn touch(&self) {
        self.status.lock().unwrap_or_else(|p| p.into_inner()).1 = Some(Instant::now());
    }

    fn update(&self, f: impl FnOnce(&mut Status)) {
        f(&mut self.status.lock().unwrap_or_else(|p| p.into_inner()).0)
    }

    fn checked(&self, lacking: &Lacking, newest: Option<String>) {
        let mut s = self.status.lock().unwrap_or_else(|p| p.into_inner());
        s.0.lacking = lacking.len();
        s.0.failure = lacking.values().find_map(|(_, why)| why.clone());
        s.0.newest = newest;
        s.1 = Some(Instant::now());
    }
}

/// Each recording the index lacks, by id: its sidecar and, when writing
/// it failed, why.
type Lacking = BTreeMap<String, (PathBuf, Option<String>)>;

/// Keeps the index up to date with the spool (SQLite), or notes what it
/// lacks (PostgreSQL), until the server stops.
pub async fn follow(app: Arc<App>) {
    let writes = app.freshness.status().writes;
    let mut lacking = Lacking::new();
    let mut mark = chain_now(&app).await;
    let mut read_all = Instant::now();
    let mut retried = Instant::now();
    read_spool(&app, writes, &mut lacking, true).await;
    loop {
        tokio::time::sleep(FOLLOW_EVERY).await;
        if writes && read_all.elapsed() >= READ_ALL_EVERY {
            read_all = Instant::now();
            mark = chain_now(&app).await;
            read_spool(&app, writes, &mut lacking, false).await;
            continue;
        }
        let app2 = app.clone();
        let Ok((entries, next)) =
            tokio::task::spawn_blocking(move || app2.chain.finished_since(mark)).await
        else {
            continue;
        };
        mark = next;
        app.freshness.touch();
        let new: Vec<PathBuf> = entries
            .iter()
            .filter_map(|e| sidecar_of(&app.config.spool, e))
            .collect();
        let retry = !lacking.is_empty() && retried.elapsed() >= RETRY_EVERY;
        if new.is_empty() && !retry {
            continue;
        }
        if retry {
            retried = Instant::now();
        }
        let mut paths: Vec<PathBuf> = if retry {
            lacking
                .values()
                .take(RETRY_AT_MOST)
                .map(|(p, _)| p.clone())
                .collect()
        } else {
            Vec::new()
        };
        paths.extend(new);
        settle(&app, writes, &paths, &Known::new(), &mut lacking).await;
        app.freshness.checked(&lacking, newest(&app).await);
    }
}

/// Where the chain ends now: what finishes while the spool is read is
/// taken from there.
async fn chain_now(app: &Arc<App>) -> Mark {
    let app = app.clone();
    tokio::task::spawn_blocking(move || app.chain.mark())
        .await
        .unwrap_or_default()
}

/// Reads every sidecar of the spool into the index, or notes those it
/// lacks; the first time, telling the pages how far it got.
async fn read_spool(app: &Arc<App>, writes: bool, lacking: &mut Lacking, first: bool) {
    let spool = app.config.spool.clone();
    let sidecars = tokio::task::spawn_blocking(move || layout::sidecars(&spool))
        .await
        .unwrap_or_default();
    let known = match app.index.known(&app.config.pbx_name).await {
        Ok(k) => k,
        Err(e) => {
            log::error!("{e}");
            app.freshness.update(|s| s.failure = Some(e));
            return;
        }
    };
    lacking.clear();
    let total = sidecars.len();
    for (n, batch) in sidecars.chunks(BATCH).enumerate() {
        if first {
            app.freshness
                .update(|s| s.reading = Some((n * BATCH, total)));
        }
        settle(app, writes, batch, &known, lacking).await;
    }
    app.freshness.update(|s| s.reading = None);
    app.freshness.checked(lacking, newest(app).await);
}

/// Writes these sidecars into the index (or, when it is not this
/// server's to write, looks whether it has them) and notes which it lacks.
async fn settle(
    app: &App,
    writes: bool,
    sidecars: &[PathBuf],
    known: &Known,
    lacking: &mut Lacking,
) {
    let pbx = &app.config.pbx_name;
    for path in sidecars {
        let Some(id) = layout::id_of_sidecar(path) else {
            continue;
        };
        let held = if writes {
            let one = std::slice::from_ref(path);
            let tally: Tally = index_sidecars(&app.index, &app.config.spool, pbx, one, known).await;
            tally.failed.into_iter().next().map_or(Ok(true), Err)
        } else if known.contains_key(&id) {
            Ok(true)
        } else {
            app.index.has(pbx, &id).await
        };
        match held {
            Ok(true) => {
                lacking.remove(&id);
            }
            Ok(false) => {
                lacking.insert(id, (path.clone(), None));
            }
            Err(e) => {
                log::warn!("indexing {}: {e}", path.display());
                lacking.insert(id, (path.clone(), Some(e)));
            }
        }
    }
}

async fn newest(app: &App) -> Option<String> {
    app.index.newest(&app.config.pbx_name).await.ok().flatten()
}

/// The sidecar a finished recording's entry names (the last of its files),
/// if it lies in the spool and is there.
fn sidecar_of(spool: &Path, e: &Entry) -> Option<PathBuf> {
    let file = &e.files.last()?.file;
    let relative = Path::new(file);
    let inside = relative
        .components()
        .all(|c| matches!(c, std::path::Component::Normal(_)));
    let path = spool.join(relative);
    (inside && layout::is_sidecar(&path) && path.is_file()).then_some(path)
}
