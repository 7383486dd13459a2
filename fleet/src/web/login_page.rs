//! The login form's page, with a fresh token of its own (a double submit:
//! there is no session yet to keep one in).  Shown by the login handlers
//! and for any page asked without a session (error.rs), so it answers a
//! template that fails by itself.

use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use super::login_session;

/// The cookie and form field of the login form's own CSRF token.
pub const LOGIN_COOKIE: &str = "legrec_login";

/// Where to go after logging in: a path on this server only.  Visible
/// ASCII only: browsers drop tabs and newlines and read `\` as `/`, so
/// `/\t/evil.example` was `//evil.example` to them, another site.
pub fn local_path(next: &str) -> &str {
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
    let token = login_session::random_token();
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
                login_session::set_cookie(LOGIN_COOKIE, &token, 3600, false),
            );
            r
        }
        Err(e) => {
            log::error!("{}", e.0);
            let status = StatusCode::INTERNAL_SERVER_ERROR;
            (status, Html(format!("<p>{status}</p>"))).into_response()
        }
    }
}
