//! What a request that fails is told: a clear 4xx naming the problem (in
//! JSON under /api/, as a page elsewhere), or a 5xx whose cause goes to
//! the log and not to the client.  Whatever is outside the user's scope is
//! a 404 worded exactly as an unknown id, so answers never tell what
//! exists.

use std::time::Duration;

use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;

use super::templates::TemplateFailed;

#[derive(Debug)]
pub enum Fail {
    BadRequest(String),
    /// The API without a (live) session.
    Unauthorized(String),
    /// A page without a session: the login form, then back to `next`.
    LoginNeeded {
        next: String,
    },
    Forbidden(String),
    NotFound(String),
    /// An id that names several recordings the user may see (of several
    /// PBXs).
    Conflict(String),
    /// A body larger than its route takes.
    TooLarge(String),
    TooMany(Duration),
    /// Something the server needs is not there (the audit log unwritable).
    Unavailable(String),
    Internal(String),
}

impl Fail {
    pub fn status(&self) -> StatusCode {
        match self {
            Fail::BadRequest(_) => StatusCode::BAD_REQUEST,
            Fail::Unauthorized(_) | Fail::LoginNeeded { .. } => StatusCode::UNAUTHORIZED,
            Fail::Forbidden(_) => StatusCode::FORBIDDEN,
            Fail::NotFound(_) => StatusCode::NOT_FOUND,
            Fail::Conflict(_) => StatusCode::CONFLICT,
            Fail::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Fail::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
            Fail::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Fail::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn message(&self) -> String {
        match self {
            Fail::BadRequest(m)
            | Fail::Unauthorized(m)
            | Fail::Forbidden(m)
            | Fail::NotFound(m)
            | Fail::Conflict(m)
            | Fail::TooLarge(m)
            | Fail::Unavailable(m) => m.clone(),
            Fail::LoginNeeded { .. } => "log in first".into(),
            Fail::TooMany(d) => format!(
                "too many failed logins; try again in {} s",
                d.as_secs().max(1)
            ),
            Fail::Internal(_) => "internal error (the server's log says more)".into(),
        }
    }

    fn headers(&self, r: &mut Response) {
        if let Fail::Internal(cause) = self {
            log::error!("{cause}");
        }
        if let Fail::TooMany(d) = self {
            r.headers_mut().insert(
                header::RETRY_AFTER,
                d.as_secs().max(1).to_string().parse().expect("digits"),
            );
        }
    }

    /// A 503 whose cause (a bucket, an object key, a path, a store's
    /// answer) goes to the log, not to the client: those tell an attacker
    /// how the fleet is laid out.
    pub fn unavailable(public: &str, cause: String) -> Fail {
        log::error!("{public}: {cause}");
        Fail::Unavailable(public.to_string())
    }

    /// The 404 for an id that is unknown or out of scope: one wording.
    pub fn no_recording(id: &str) -> Fail {
        Fail::NotFound(format!("no recording '{id}'"))
    }
}

impl From<TemplateFailed> for Fail {
    fn from(e: TemplateFailed) -> Fail {
        Fail::Internal(e.0)
    }
}

impl From<TemplateFailed> for PageError {
    fn from(e: TemplateFailed) -> PageError {
        PageError(e.into())
    }
}

impl From<sqlx::Error> for Fail {
    fn from(e: sqlx::Error) -> Fail {
        Fail::Internal(e.to_string())
    }
}

/// A failure answered in JSON: `{"error": "..."}`.
pub struct ApiError(pub Fail);

impl From<Fail> for ApiError {
    fn from(f: Fail) -> ApiError {
        ApiError(f)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.0.message() });
        let mut r = (self.0.status(), Json(body)).into_response();
        self.0.headers(&mut r);
        r
    }
}

/// A failure answered as a page; without a session, the login form.
pub struct PageError(pub Fail);

impl From<Fail> for PageError {
    fn from(f: Fail) -> PageError {
        PageError(f)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if let Fail::LoginNeeded { next } = &self.0 {
            return super::login_page::login_page(StatusCode::UNAUTHORIZED, next, None);
        }
        let ctx = minijinja::context! {
            title => self.0.status().canonical_reason().unwrap_or("error"),
            status => self.0.status().as_u16(),
            message => self.0.message(),
        };
        let html = super::templates::render("error.html", ctx)
            .unwrap_or_else(|_| Html(format!("<p>{}</p>", self.0.status())));
        let mut r = (self.0.status(), html).into_response();
        self.0.headers(&mut r);
        r
    }
}
