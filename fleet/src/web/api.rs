//! The JSON API the pages use and integrators call (README: "The browser's
//! API").  Login and logout are in auth.rs, audio in audio.rs.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use super::auth::Me;
use super::error::{ApiError, Fail};
use super::search::Params;
use super::trail::{self, Access, Seen};
use super::users::User;
use super::{view, App};
use crate::index::Summary;

type Accesses = Box<dyn Iterator<Item = Seen> + Send>;

type Rejected<T> = Result<Query<T>, axum::extract::rejection::QueryRejection>;

fn bad(e: axum::extract::rejection::QueryRejection) -> Fail {
    Fail::BadRequest(e.body_text())
}

/// `GET /api/recordings?...`: a list, each with its `id`.
pub async fn recordings(
    State(app): State<Arc<App>>,
    Me(s): Me,
    params: Rejected<Params>,
) -> Result<Json<Vec<Summary>>, ApiError> {
    let Query(params) = params.map_err(bad)?;
    let q = params.query(&s.user).map_err(Fail::BadRequest)?;
    Ok(Json(app.index.search(&q).await.map_err(Fail::Internal)?))
}

/// `GET /api/recordings/{id}`: the indexed facts, files, sidecar,
/// integrity, and who accessed it.
pub async fn recording(
    State(app): State<Arc<App>>,
    Me(s): Me,
    Path(id): Path<String>,
    which: Rejected<view::Which>,
) -> Result<Json<view::Full>, ApiError> {
    let Query(which) = which.map_err(bad)?;
    Ok(Json(
        view::full_on(&app, &s.user, &id, which.pbx.as_deref()).await?,
    ))
}

/// `GET /api/recordings/{id}/evidence`: what a dispute needs in one file
/// (the sidecar, the integrity checked now, the recording's audit
/// entries), as a download; the export itself joins the trail.
pub async fn evidence(
    State(app): State<Arc<App>>,
    Me(s): Me,
    Path(id): Path<String>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    method: axum::http::Method,
    which: Rejected<view::Which>,
) -> Result<Response, ApiError> {
    let Query(which) = which.map_err(bad)?;
    let full = view::full_on(&app, &s.user, &id, which.pbx.as_deref()).await?;
    // One export per user and recording an hour is chained; a HEAD
    // exports nothing.
    let user = s.user.name.clone();
    let news =
        method != axum::http::Method::HEAD && app.played.first(&user, &id, "evidence", "exported");
    let entry = if news {
        let access = Access {
            user: s.user.name.clone(),
            role: s.user.role.as_str().into(),
            what: "evidence".into(),
            client: client.ip().to_string(),
            pbx: full.record.summary.pbx.clone(),
        };
        let spool = app.config.spool.clone();
        let policy = full.record.summary.policy.clone();
        let id2 = id.clone();
        let written = tokio::task::spawn_blocking(move || {
            trail::append(&spool, "exported", &id2, &policy, &access)
        })
        .await
        .map_err(|e| Fail::Internal(e.to_string()))?;
        match written {
            Ok(e) => Some(e),
            Err(e) => {
                app.played.forget(&user, &id, "evidence", "exported");
                return Err(Fail::unavailable(
                    "the access trail cannot be written",
                    format!("audit chain: {e}"),
                )
                .into());
            }
        }
    } else {
        None
    };
    let body = serde_json::json!({
        "exported_at": entry.as_ref().map(|e| e.at.clone()),
        "exported_by": s.user.name,
        // None: this user's export of it within the hour is chained already.
        "export_entry": entry.as_ref().map(|e| e.seq),
        "recording": full.record,
        "integrity": full.integrity,
        "audit_entries": full.entries,
    });
    let mut r = Json(body).into_response();
    r.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("attachment; filename=\"{id}-evidence.json\""))
            .expect("ids are ASCII"),
    );
    Ok(r)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrailParams {
    limit: Option<usize>,
}

/// Access entries one request reads back from the chain at most: a user
/// with few visible accesses in a long chain would otherwise make one
/// request read (and look up in the index) the whole of it.  Older
/// accesses are in `legrec verify`'s chain and the auditor's trail.
const TRAIL_SCAN_MAX: usize = 20_000;

/// The accesses `user` may see, newest first, among the newest
/// TRAIL_SCAN_MAX: all for an admin or auditor; for others, those of
/// recordings in their scope (an agent sees who listened to their calls).
pub async fn visible_trail(app: &Arc<App>, user: &User, limit: usize) -> Result<Vec<Seen>, Fail> {
    let audits = user.role.audits();
    let app2 = app.clone();
    let mut accesses =
        tokio::task::spawn_blocking(move || Box::new(app2.chain.accesses()) as Accesses)
            .await
            .map_err(|e| Fail::Internal(e.to_string()))?;
    let mut out = Vec::new();
    let mut allowed = std::collections::HashMap::new();
    let mut scanned = 0;
    while out.len() < limit && scanned < TRAIL_SCAN_MAX {
        // Read in chunks off the async threads; the scope of each is
        // checked in between.
        let want = if audits { limit - out.len() } else { 256 };
        let want = want.min(TRAIL_SCAN_MAX - scanned);
        scanned += want;
        let (rest, chunk) = tokio::task::spawn_blocking(move || {
            let chunk: Vec<Seen> = accesses.by_ref().take(want).collect();
            (accesses, chunk)
        })
        .await
        .map_err(|e| Fail::Internal(e.to_string()))?;
        accesses = rest;
        if chunk.is_empty() {
            break;
        }
        for s in chunk {
            let ok = audits
                || match allowed.get(&(s.access.pbx.clone(), s.id.clone())) {
                    Some(ok) => *ok,
                    None => {
                        // The access names the PBX whose recording it was.
                        let ok = view::visible_on(app, user, &s.id, Some(&s.access.pbx))
                            .await
                            .is_ok();
                        allowed.insert((s.access.pbx.clone(), s.id.clone()), ok);
                        ok
                    }
                };
            if ok && out.len() < limit {
                out.push(s);
            }
        }
    }
    Ok(out)
}

/// `GET /api/trail[?limit=N]`.
pub async fn trail(
    State(app): State<Arc<App>>,
    Me(s): Me,
    params: Rejected<TrailParams>,
) -> Result<Json<Vec<Seen>>, ApiError> {
    let Query(p) = params.map_err(bad)?;
    let limit = p.limit.unwrap_or(200);
    if !(1..=10_000).contains(&limit) {
        return Err(Fail::BadRequest(format!("limit {limit}: 1 to 10000")).into());
    }
    Ok(Json(visible_trail(&app, &s.user, limit).await?))
}

/// The whole chain checked (`legrec verify`'s first step), for an auditor.
pub async fn chain(app: &Arc<App>, user: &User) -> Result<serde_json::Value, Fail> {
    if !user.role.audits() {
        return Err(Fail::NotFound("no such page".into()));
    }
    let log = legrec::spool::layout::audit_log(&app.config.spool);
    tokio::task::spawn_blocking(move || {
        // Not the chain's path: where the spool is is nobody's business
        // but the admin's.
        let name = "audit.jsonl (in the spool)".to_string();
        if !log.is_file() {
            return serde_json::json!({ "log": name, "intact": true, "entries": 0,
                "summary": "no audit log yet (nothing recorded)" });
        }
        match legrec::audit::verify_chain(&log) {
            Ok(entries) => serde_json::json!({
                "log": name, "intact": true, "entries": entries.len(),
                "summary": format!("chain intact: {} entries", entries.len()),
            }),
            Err(b) => serde_json::json!({
                "log": name, "intact": false, "line": b.line,
                "summary": format!("chain broken at line {}: {}", b.line, b.what),
            }),
        }
    })
    .await
    .map_err(|e| Fail::Internal(e.to_string()))
}

/// `GET /api/audit`: the chain's state (admin and auditor only).
pub async fn audit(
    State(app): State<Arc<App>>,
    Me(s): Me,
) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(chain(&app, &s.user).await?))
}

/// `GET /api/index`: how far the index is behind this server's spool
/// (why a recording could not be indexed: admins only, it names files).
pub async fn index(State(app): State<Arc<App>>, Me(s): Me) -> Json<super::freshness::Status> {
    Json(app.freshness.status_for(&s.user))
}
