//! `POST /api/login`, `POST /api/logout`, `GET /api/session`: a script's
//! session, in JSON.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use super::auth::Me;
use super::error::{ApiError, Fail};
use super::login::{log_in, session_cookie, LOGIN_BODY_LIMIT};
use super::login_session;
use super::users;
use super::App;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    user: String,
    password: String,
}

/// `POST /api/login`: `{"user", "password"}` → the session cookie, and the
/// CSRF token the client sends back as X-CSRF-Token.
pub async fn api_login(
    State(app): State<Arc<App>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: axum::http::HeaderMap,
    body: Result<Json<LoginBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body.map_err(|e| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => {
            Fail::TooLarge(format!("a login body is {LOGIN_BODY_LIMIT} bytes at most"))
        }
        _ => Fail::BadRequest(e.body_text()),
    })?;
    let (token, csrf, user) = log_in(&app, &body.user, &body.password, client, &headers).await?;
    let mut r = Json(serde_json::json!({
        "user": user.name,
        "role": user.role,
        "csrf": csrf,
    }))
    .into_response();
    r.headers_mut()
        .insert(header::SET_COOKIE, session_cookie(&app, &token));
    Ok(r)
}

pub async fn api_logout(State(app): State<Arc<App>>, Me(s): Me) -> Result<Response, ApiError> {
    login_session::end(&app.accounts, &s.token_sha256)
        .await
        .map_err(Fail::Internal)?;
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        login_session::set_cookie(app.cookie(), "", 0, app.secure()),
    );
    Ok(r)
}

/// `GET /api/session`: who this cookie is, and its CSRF token.
pub async fn api_session(Me(s): Me) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "user": s.user.name,
        "role": s.user.role,
        "queues": s.user.queues,
        "agent": (s.user.role == users::Role::Agent).then(|| s.user.agent_name().to_string()),
        "csrf": s.csrf,
    }))
}
