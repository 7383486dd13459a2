//! What one user's requests may cost the others.  Every request checks
//! its session on a pool of its own (`App::accounts`, another database); the requests that
//! read the index, the chain or the files (searches, a recording with its
//! integrity, waveforms, the trail, the audit chain: everything but
//! logging in, the session, assets and audio) run HEAVY_PER_USER at a
//! time for one user and HEAVY_AT_ONCE in all, waiting their turn.  One
//! agent firing the costliest searches in parallel took all four of
//! SQLite's connections, and every other request, the session check of
//! every user included, waited seconds behind them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::accounts::Accounts;
use super::error::{ApiError, Fail, PageError};
use super::login_session::Session;
use super::App;
use crate::index::Index;

/// Heavy requests of one user at once: a page opens the recording and
/// then its two waveforms, which wait their turn instead of running
/// beside each other.
const HEAVY_PER_USER: usize = 1;

/// Heavy requests at once in all: one fewer than the index pool's
/// connections on SQLite (4), so the pool always has one for the rest,
/// and no more than the host's two cores (often the PBX's) could run.
const HEAVY_AT_ONCE: usize = 3;

/// How long a heavy request waits for its turn before it is told the
/// server is busy (503).
const TURN_WAIT: Duration = Duration::from_secs(30);

/// Connections of the pool that checks sessions and logins.
const ACCOUNT_CONNECTIONS: u32 = 2;

/// What a statement of the browser may take on PostgreSQL before the
/// database cancels it (SQLite has no such bound: the gate above and the
/// search's offset cap hold there).
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(10);

/// Past this many users' entries, idle ones are dropped.
const USERS_BEFORE_CLEANUP: usize = 10_000;

/// The browser's two pools: the index's, and the accounts' (a database of
/// their own, which must not be the index: web/accounts.rs).
pub async fn open_pools(index: &str, accounts: &str) -> Result<(Index, Accounts), String> {
    if index == accounts {
        return Err(format!(
            "[web] accounts is [storage] index ({}): every shipper can write there, so a \
             PBX could make itself an admin; give the users a database of their own",
            crate::index::redact(index)
        ));
    }
    let connections = if index.starts_with("postgres") { 8 } else { 4 };
    let index = Index::open_with(index, connections, Some(STATEMENT_TIMEOUT)).await?;
    let accounts = Accounts::open(accounts, ACCOUNT_CONNECTIONS, Some(STATEMENT_TIMEOUT)).await?;
    Ok((index, accounts))
}

pub struct Gate {
    all: Arc<Semaphore>,
    users: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl Gate {
    pub fn new() -> Gate {
        Gate {
            all: Arc::new(Semaphore::new(HEAVY_AT_ONCE)),
            users: Mutex::default(),
        }
    }

    fn of_user(&self, user: &str) -> Arc<Semaphore> {
        let mut m = self.users.lock().unwrap_or_else(|p| p.into_inner());
        if m.len() > USERS_BEFORE_CLEANUP {
            m.retain(|_, s| Arc::strong_count(s) > 1);
        }
        m.entry(user.to_string())
            .or_insert_with(|| Arc::new(Semaphore::new(HEAVY_PER_USER)))
            .clone()
    }

    /// The user's turn, then one of all: both held until dropped.
    async fn turn(&self, user: &str) -> Result<[OwnedSemaphorePermit; 2], Fail> {
        let busy = || Fail::Unavailable("the server is busy: try again shortly".into());
        let mine = self.of_user(user);
        let wait = async {
            let mine = mine.acquire_owned().await;
            let all = self.all.clone().acquire_owned().await;
            match (mine, all) {
                (Ok(a), Ok(b)) => Ok([a, b]),
                _ => Err(Fail::Internal("the request gate closed".into())),
            }
        };
        tokio::time::timeout(TURN_WAIT, wait)
            .await
            .map_err(|_| busy())?
    }
}

impl Default for Gate {
    fn default() -> Gate {
        Gate::new()
    }
}

/// Whether a request reads the index, the chain or the files at length.
fn heavy(path: &str) -> bool {
    let reads = [
        "/api/recordings",
        "/api/trail",
        "/api/audit",
        "/recordings",
        "/trail",
        "/audit",
    ];
    reads
        .iter()
        .any(|p| path == *p || path.starts_with(&format!("{p}/")))
        && !path.contains("/audio/")
}

/// The middleware: heavy requests of a logged-in user take their turn.
pub async fn one_at_a_time(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let user = match req.extensions().get::<Option<Session>>() {
        Some(Some(s)) if heavy(&path) => s.user.name.clone(),
        _ => return next.run(req).await,
    };
    let _turn = match app.work.turn(&user).await {
        Ok(t) => t,
        Err(f) if path.starts_with("/api/") => return ApiError(f).into_response(),
        Err(f) => return PageError(f).into_response(),
    };
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_heavy() {
        for p in [
            "/api/recordings",
            "/api/recordings/x",
            "/api/recordings/x/peaks/in",
            "/recordings",
            "/trail",
            "/api/audit",
        ] {
            assert!(heavy(p), "{p}");
        }
        for p in [
            "/api/session",
            "/api/login",
            "/login",
            "/assets/app.js",
            "/api/recordings/x/audio/in",
            "/recordingsx",
        ] {
            assert!(!heavy(p), "{p}");
        }
    }
}
