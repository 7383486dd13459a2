//! Legal holds in the browser (crate legrec's `hold`, as `legrec hold`
//! places them): an admin places and releases them, an auditor lists
//! them.  Auditors do not place or release holds: a hold decides what may
//! not be deleted, a governance act, and the auditor's part is to check
//! that such acts were done and chained, which they could not credibly
//! do for their own.  Each hold and release is chained with the browser
//! user who did it and the reason.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use legrec::hold::{self, Hold, Release};
use serde::{Deserialize, Serialize};

use super::auth::Me;
use super::error::{ApiError, Fail};
use super::users::Role;
use super::App;

/// A hold as the API shows it.
#[derive(Serialize)]
struct Shown {
    name: String,
    placed_at: String,
    seq: u64,
    covers: String,
    #[serde(flatten)]
    hold: Hold,
}

fn shown(h: hold::Active) -> Shown {
    Shown {
        covers: h.hold.what(),
        name: h.name,
        placed_at: h.at,
        seq: h.seq,
        hold: h.hold,
    }
}

/// Who did it, as the chain says it.
fn by(me: &Me) -> String {
    format!("{} (browser, {})", me.0.user.name, me.0.user.role.as_str())
}

fn only_admins(me: &Me) -> Result<(), Fail> {
    if me.0.user.role == Role::Admin {
        Ok(())
    } else {
        Err(Fail::Forbidden(
            "only an admin places or releases a legal hold".into(),
        ))
    }
}

/// `GET /api/holds`: the holds in force (admin, auditor).
pub async fn list(State(app): State<Arc<App>>, me: Me) -> Result<Response, ApiError> {
    if !me.0.user.role.audits() {
        return Err(Fail::Forbidden("holds are for admins and auditors".into()).into());
    }
    let spool = app.config.spool.clone();
    let holds = tokio::task::spawn_blocking(move || hold::active(&spool))
        .await
        .map_err(|e| Fail::Internal(e.to_string()))?
        .map_err(|e| Fail::Unavailable(format!("the audit chain cannot be read ({e})")))?;
    let shown: Vec<Shown> = holds.into_iter().map(shown).collect();
    Ok(Json(shown).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaceBody {
    #[serde(default)]
    ids: Vec<String>,
    caller: Option<String>,
    queue: Option<String>,
    from: Option<String>,
    to: Option<String>,
    reason: String,
}

/// `POST /api/holds` `{"ids"|"caller"|"queue", "from", "to", "reason"}`:
/// 201 with the hold (admin).
pub async fn place(
    State(app): State<Arc<App>>,
    me: Me,
    body: Result<Json<PlaceBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    only_admins(&me)?;
    let Json(b) = body.map_err(|e| Fail::BadRequest(e.body_text()))?;
    let h = Hold {
        ids: b.ids,
        caller: b.caller,
        queue: b.queue,
        from: b.from,
        to: b.to,
        reason: b.reason,
        by: by(&me),
    };
    h.check().map_err(Fail::BadRequest)?;
    let spool = app.config.spool.clone();
    let placed = tokio::task::spawn_blocking(move || hold::place(&spool, h))
        .await
        .map_err(|e| Fail::Internal(e.to_string()))?
        .map_err(|e| Fail::Unavailable(format!("the hold could not be chained ({e})")))?;
    Ok((StatusCode::CREATED, Json(shown(placed))).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseBody {
    reason: String,
}

/// `POST /api/holds/{name}/release` `{"reason"}`: 204 (admin).
pub async fn release(
    State(app): State<Arc<App>>,
    me: Me,
    Path(name): Path<String>,
    body: Result<Json<ReleaseBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    only_admins(&me)?;
    let Json(b) = body.map_err(|e| Fail::BadRequest(e.body_text()))?;
    let spool = app.config.spool.clone();
    let release = Release {
        reason: b.reason,
        by: by(&me),
    };
    tokio::task::spawn_blocking(move || hold::release(&spool, &name, release))
        .await
        .map_err(|e| Fail::Internal(e.to_string()))?
        .map_err(|e| {
            if e.starts_with("audit log") {
                Fail::Unavailable(format!("the release could not be chained ({e})"))
            } else {
                Fail::BadRequest(e)
            }
        })?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
