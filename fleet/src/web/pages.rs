//! The pages: search, a recording, the access trail, the audit chain.
//! Each renders what the API answers, from the same functions.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use minijinja::context;

use super::auth::Me;
use super::error::{Fail, PageError};
use super::ids::Leg;
use super::login_session::Session;
use super::search::{Params, PAGE};
use super::{api, templates, view, words, App};

type Page = Result<Html<String>, PageError>;

/// What every page's header needs: who is logged in, the logout form's
/// token.
fn me(s: &Session) -> minijinja::Value {
    context! {
        name => s.user.name,
        role => s.user.role.as_str(),
        audits => s.user.role.audits(),
        csrf => s.csrf,
    }
}

pub async fn root() -> Redirect {
    Redirect::to("/recordings")
}

const SORTS: [(&str, &str); 4] = [
    ("started", "Started"),
    ("duration", "Seconds"),
    ("caller", "Caller"),
    ("queue", "Queue"),
];

pub async fn search(
    State(app): State<Arc<App>>,
    Me(s): Me,
    params: Result<Query<Params>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, PageError> {
    let Query(params) = params.map_err(|e| Fail::BadRequest(e.body_text()))?;
    // One row more than a page says whether there is a next page.
    let query = params.query(&s.user).map(|mut q| {
        q.limit += 1;
        q
    });
    let (rows, error) = match query {
        Ok(q) => (
            app.index
                .search(&q)
                .await
                .map_err(|e| PageError(Fail::Internal(e)))?,
            None,
        ),
        Err(m) => (Vec::new(), Some(m)),
    };
    let limit = params
        .limit
        .as_deref()
        .and_then(|l| l.trim().parse::<u32>().ok())
        .unwrap_or(PAGE);
    // The index answers at most 1000 rows: a full page of 1000 may have more.
    let more = rows.len() > limit as usize || (limit == 1000 && rows.len() == 1000);
    let rows: Vec<_> = rows.into_iter().take(limit as usize).collect();
    let offset: u64 = params
        .offset
        .as_deref()
        .and_then(|o| o.trim().parse().ok())
        .unwrap_or(0);
    let sort = params.sort.clone().unwrap_or_else(|| "started".into());
    let desc = params.order.as_deref() != Some("asc");
    let headers: Vec<_> = SORTS
        .iter()
        .map(|(key, label)| {
            let order = if sort == *key && desc { "asc" } else { "desc" };
            context! {
                label => label,
                href => format!("/recordings?{}", params.link(0, Some(key), Some(order))),
                current => sort == *key,
                desc => desc,
            }
        })
        .collect();
    let ctx = context! {
        title => "Recordings",
        me => me(&s),
        p => params,
        rows => rows,
        error => error,
        offset => offset,
        first => offset + 1,
        last => offset + rows.len() as u64,
        headers => headers,
        prev => (offset > 0).then(|| format!("/recordings?{}", params.link(offset.saturating_sub(u64::from(limit)), None, None))),
        next => more.then(|| format!("/recordings?{}", params.link(offset + u64::from(limit), None, None))),
        scope => scope_words(&s),
        fresh => app.freshness.status_for(&s.user),
    };
    let status = if error.is_some() {
        axum::http::StatusCode::BAD_REQUEST
    } else {
        axum::http::StatusCode::OK
    };
    Ok((status, templates::render("search.html", ctx)?).into_response())
}

fn scope_words(s: &Session) -> String {
    use super::users::Role;
    match s.user.role {
        Role::Admin => "all recordings".into(),
        Role::Auditor => "all recordings (no audio)".into(),
        Role::Supervisor => format!("queues {}", s.user.queues.join(", ")),
        Role::Agent => format!("calls {} took part in", s.user.agent_name()),
    }
}

pub async fn recording(State(app): State<Arc<App>>, Me(s): Me, Path(id): Path<String>) -> Page {
    let full = view::full(&app, &s.user, &id).await?;
    let sidecar: Option<legrec::sidecar::Sidecar> =
        serde_json::from_value(full.record.sidecar.clone()).ok();
    let duration = full.record.summary.duration;
    let pause_lengths = sidecar.as_ref().map(words::pause_lengths);
    let mut marks = sidecar
        .as_ref()
        .map(|sc| words::marks(sc, duration))
        .unwrap_or_default();
    templates::say_marks(&mut marks)?;
    let legs: Vec<&str> = full
        .record
        .files
        .iter()
        .map(|f| f.name.as_str())
        .filter(|n| *n != "sidecar")
        .collect();
    let local = full.paths.is_some();
    // Playable from the spool, or else from the bucket.
    let in_bucket = app.store.as_ref().is_some_and(|store| {
        [Leg::In, Leg::Out, Leg::Stereo]
            .into_iter()
            .any(|l| super::bucket::key_of(store, &full.record, l).is_some())
    });
    let hears = s.user.role.hears_audio() && (local || in_bucket);
    let base = format!("/api/recordings/{id}");
    // Split legs are first played together (what a dispute needs first);
    // a stereo file, where there is one, already is both.
    let split = legs.contains(&Leg::In.name()) && legs.contains(&Leg::Out.name());
    let first = if legs.contains(&Leg::Stereo.name()) {
        Some(Leg::Stereo.name())
    } else if split {
        Some("together")
    } else {
        legs.first().copied()
    };
    let data = context! {
        id => id,
        duration => duration,
        legs => legs,
        marks => marks,
        audio => format!("{base}/audio/"),
        peaks => format!("{base}/peaks/"),
    };
    let ctx = context! {
        title => format!("Recording {id}"),
        me => me(&s),
        r => full.record.summary,
        legs => legs,
        sc => sidecar,
        duration => duration,
        pause_lengths => pause_lengths,
        marks => marks,
        integrity => full.integrity,
        access => full.access,
        hears => hears,
        deaf => !s.user.role.hears_audio(),
        local => local,
        first => first,
        split => split,
        base => base,
        data => data,
    };
    Ok(templates::render("recording.html", ctx)?)
}

pub async fn trail(State(app): State<Arc<App>>, Me(s): Me) -> Page {
    let seen = api::visible_trail(&app, &s.user, 500).await?;
    let ctx = context! {
        title => "Access trail",
        me => me(&s),
        seen => seen,
        all => s.user.role.audits(),
    };
    Ok(templates::render("trail.html", ctx)?)
}

pub async fn audit(State(app): State<Arc<App>>, Me(s): Me) -> Page {
    let chain = api::chain(&app, &s.user).await?;
    let ctx = context! {
        title => "Audit chain",
        me => me(&s),
        chain => chain,
    };
    Ok(templates::render("audit.html", ctx)?)
}

/// Any other path: 404, as a page.
pub async fn not_found() -> PageError {
    PageError(Fail::NotFound("no such page".into()))
}
