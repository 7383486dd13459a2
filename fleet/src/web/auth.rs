//! Who is asking: the session cookie resolved on every request, the CSRF
//! token required on every state-changing one, and logging in and out
//! (the API's JSON and the pages' form share one checked path).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use serde::Deserialize;

use super::error::{ApiError, Fail, PageError};
use super::session::{self, Session};
use super::users::{self, User};
use super::App;

/// The cookie and form field of the login form's own CSRF token (a
/// double submit: there is no session yet to keep it in).
const LOGIN_COOKIE: &str = "legrec_login";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The logged-in user of a request; without one, a 401 (the login form
/// for a page).
pub struct Me(pub Session);

impl<S: Send + Sync> FromRequestParts<S> for Me {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Me, Response> {
        match parts.extensions.get::<Option<Session>>() {
            Some(Some(s)) => Ok(Me(s.clone())),
            _ => Err(unauthenticated(parts.uri.path(), &parts.uri.to_string())),
        }
    }
}

fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

fn unauthenticated(path: &str, next: &str) -> Response {
    if is_api(path) {
        ApiError(Fail::Unauthorized(
            "no session: log in first (POST /api/login)".into(),
        ))
        .into_response()
    } else {
        PageError(Fail::LoginNeeded { next: next.into() }).into_response()
    }
}

fn refuse(path: &str, fail: Fail) -> Response {
    if is_api(path) {
        ApiError(fail).into_response()
    } else {
        PageError(fail).into_response()
    }
}

/// Runs before every handler: resolves the session, checks the CSRF token
/// of anything but GET and HEAD, and adds the headers every answer has.
pub async fn authenticate(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let session = match session::cookie(req.headers(), app.cookie()) {
        None => None,
        Some(token) => match session::lookup(&app.accounts, token, app.web.session_idle).await {
            Ok(s) => s,
            Err(e) => return refuse(&path, Fail::Internal(e)),
        },
    };
    let mut req = req;
    let safe = matches!(*req.method(), Method::GET | Method::HEAD);
    if !safe && path != "/login" && path != "/api/login" {
        let Some(s) = &session else {
            return unauthenticated(&path, "/recordings");
        };
        let (given, rebuilt) = match csrf_of(req).await {
            Ok(x) => x,
            Err(f) => return refuse(&path, f),
        };
        req = rebuilt;
        if !given.is_some_and(|g| session::same_token(&g, &s.csrf)) {
            return refuse(
                &path,
                Fail::Forbidden(format!(
                    "missing or wrong CSRF token (send the session's token as the \
                     {CSRF_HEADER} header or the csrf form field)"
                )),
            );
        }
    }
    req.extensions_mut().insert(session);
    let mut r = next.run(req).await;
    let h = r.headers_mut();
    // The pages load only their own scripts and styles (wavesurfer draws
    // in styled shadow DOM, hence inline styles); nothing may frame them.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
             media-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if app.secure() {
        // A year: a browser that saw the server once over TLS never asks
        // it in plain HTTP again, where a cookie could be read or set.
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    r
}

/// The request's CSRF token: its header, else a form body's `csrf` field
/// (the body is read and put back for the handler).
async fn csrf_of(req: Request) -> Result<(Option<String>, Request), Fail> {
    if let Some(v) = req.headers().get(CSRF_HEADER) {
        return Ok((v.to_str().ok().map(str::to_string), req));
    }
    let form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return Ok((None, req));
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map_err(|_| Fail::BadRequest("form body over 64 KiB".into()))?;
    let token = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
        .ok()
        .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "csrf").map(|(_, v)| v));
    Ok((token, Request::from_parts(parts, Body::from(bytes))))
}

/// A login's body is a name (64 bytes at most) and a password: 4 KiB is
/// room for any of them, and nothing larger is read.
pub const LOGIN_BODY_LIMIT: usize = 4096;

/// A checked login: the name checked first (a malformed one is a failure
/// that costs no hash and never becomes a limiter key), the attempt
/// counted before its password is checked, then the password (against a
/// dummy hash for an unknown name, so both take the same time), a few
/// checks at a time (passwords.rs).
async fn log_in(
    app: &App,
    name: &str,
    password: &str,
    client: SocketAddr,
    headers: &axum::http::HeaderMap,
) -> Result<(String, String, User), Fail> {
    let address = client.ip().to_string();
    let wrong = || Fail::Unauthorized("wrong user or password".into());
    if !users::valid_name(name) {
        let _ = app.limiter.attempt(None, &address).map_err(Fail::TooMany)?;
        // Not the name itself: it may be anything, a password typed in
        // the wrong field too.
        log::warn!("failed login: user=(malformed) address={address}");
        return Err(wrong());
    }
    let folded = name.to_lowercase();
    let attempt = app
        .limiter
        .attempt(Some(&folded), &address)
        .map_err(Fail::TooMany)?;
    let found = users::get(&app.accounts, name)
        .await
        .map_err(Fail::Internal)?;
    let phc = found
        .as_ref()
        .map_or(app.dummy_hash.clone(), |(_, h)| h.clone());
    let ok = app.passwords.verify(phc, password.to_string()).await?;
    let user = match found {
        Some((user, _)) if ok => user,
        _ => {
            // One line per failure, for fail2ban and its kind: the name
            // (checked, so it cannot forge a line) and the address.
            log::warn!("failed login: user={name} address={address}");
            return Err(wrong());
        }
    };
    app.limiter.succeeded(attempt, &folded, &address);
    // Each login is a new session, and the one the browser came with
    // (another user's, or one set or seen by someone else) is ended.
    if let Some(old) = session::cookie(headers, app.cookie()) {
        session::end(&app.accounts, &session::token_hash(old))
            .await
            .map_err(Fail::Internal)?;
    }
    let (token, csrf) = session::create(
        &app.accounts,
        &user.name,
        &client.ip().to_string(),
        app.web.session,
    )
    .await
    .map_err(Fail::Internal)?;
    Ok((token, csrf, user))
}

fn session_cookie(app: &App, token: &str) -> HeaderValue {
    session::set_cookie(app.cookie(), token, app.web.session.as_secs(), app.secure())
}

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
    session::end(&app.accounts, &s.token_sha256)
        .await
        .map_err(Fail::Internal)?;
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        session::set_cookie(app.cookie(), "", 0, app.secure()),
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

/// Where to go after logging in: a path on this server only.  Visible
/// ASCII only: browsers drop tabs and newlines and read `\` as `/`, so
/// `/\t/evil.example` was `//evil.example` to them, another site.
fn local_path(next: &str) -> &str {
    let b = next.as_bytes();
    let here = b.first() == Some(&b'/')
        && !matches!(b.get(1), Some(b'/'))
        && b.iter().all(|c| (0x21..0x7f).contains(c) && *c != b'\\');
    if here {
        next
    } else {
        "/recordings"
    }
}

/// The login form with a fresh login token (and its cookie).
pub fn login_page(status: StatusCode, next: &str, error: Option<&str>) -> Response {
    let token = session::random_token();
    let ctx = minijinja::context! {
        title => "Log in",
        next => local_path(next),
        csrf => token,
        error => error,
    };
    match super::templates::render("login.html", ctx) {
        Ok(html) => {
            let mut r = (status, html).into_response();
            // Not Secure-flagged: it guards only the login form's post.
            r.headers_mut().insert(
                header::SET_COOKIE,
                session::set_cookie(LOGIN_COOKIE, &token, 3600, false),
            );
            r
        }
        Err(f) => PageError(f).into_response(),
    }
}

#[derive(Deserialize)]
pub struct NextParam {
    next: Option<String>,
}

pub async fn login_form(
    session: axum::Extension<Option<Session>>,
    axum::extract::Query(q): axum::extract::Query<NextParam>,
) -> Response {
    let next = q.next.as_deref().unwrap_or("/recordings");
    if session.0.is_some() {
        return Redirect::to(local_path(next)).into_response();
    }
    login_page(StatusCode::OK, next, None)
}

#[derive(Deserialize)]
pub struct LoginForm {
    user: String,
    password: String,
    csrf: String,
    next: Option<String>,
}

pub async fn login_post(
    State(app): State<Arc<App>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: axum::http::HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let next = f.next.as_deref().unwrap_or("/recordings").to_string();
    let cookie = session::cookie(&headers, LOGIN_COOKIE).unwrap_or("");
    if !session::same_token(cookie, &f.csrf) || f.csrf.is_empty() {
        return login_page(
            StatusCode::FORBIDDEN,
            &next,
            Some("The login form expired or was not this server's: try again."),
        );
    }
    match log_in(&app, &f.user, &f.password, client, &headers).await {
        Ok((token, _, _)) => {
            let mut r = Redirect::to(local_path(&next)).into_response();
            let h = r.headers_mut();
            h.append(header::SET_COOKIE, session_cookie(&app, &token));
            h.append(
                header::SET_COOKIE,
                session::set_cookie(LOGIN_COOKIE, "", 0, false),
            );
            r
        }
        Err(f @ Fail::Internal(_)) => PageError(f).into_response(),
        Err(f) => login_page(f.status(), &next, Some(&f.message())),
    }
}

pub async fn logout_post(State(app): State<Arc<App>>, Me(s): Me) -> Response {
    if let Err(e) = session::end(&app.accounts, &s.token_sha256).await {
        return PageError(Fail::Internal(e)).into_response();
    }
    let mut r = Redirect::to("/login").into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        session::set_cookie(app.cookie(), "", 0, app.secure()),
    );
    r
}
