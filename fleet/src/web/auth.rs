//! Who is asking: the middleware that resolves the session cookie on every
//! request and requires the CSRF token (csrf.rs) on every state-changing
//! one, and `Me`, the logged-in user a handler asks for.  Logging in is
//! login.rs (the checked path), login_api.rs and login_pages.rs.

use std::sync::Arc;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::csrf::{csrf_of, CSRF_HEADER};
use super::error::{ApiError, Fail, PageError};
use super::login_session::{self, Session};
use super::App;

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
    let session = match login_session::cookie(req.headers(), app.cookie()) {
        None => None,
        Some(token) => {
            match login_session::lookup(&app.accounts, token, app.web.session_idle).await {
                Ok(s) => s,
                Err(e) => return refuse(&path, Fail::Internal(e)),
            }
        }
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
        if !given.is_some_and(|g| login_session::same_token(&g, &s.csrf)) {
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
