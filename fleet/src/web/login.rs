//! Logging in, one checked path for the API's JSON (login_api.rs) and the
//! pages' form (login_pages.rs): limits, the password check, a new
//! session and its cookie.

use std::net::SocketAddr;

use axum::http::HeaderValue;

use super::error::Fail;
use super::login_session;
use super::users::{self, User};
use super::App;

/// A login's body is a name (64 bytes at most) and a password: 4 KiB is
/// room for any of them, and nothing larger is read.
pub const LOGIN_BODY_LIMIT: usize = 4096;

/// A checked login: the name checked first (a malformed one is a failure
/// that costs no hash and never becomes a limiter key), the attempt
/// counted before its password is checked, then the password (against a
/// dummy hash for an unknown name, so both take the same time), a few
/// checks at a time (passwords.rs).
pub async fn log_in(
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
    if let Some(old) = login_session::cookie(headers, app.cookie()) {
        login_session::end(&app.accounts, &login_session::token_hash(old))
            .await
            .map_err(Fail::Internal)?;
    }
    let (token, csrf) = login_session::create(
        &app.accounts,
        &user.name,
        &client.ip().to_string(),
        app.web.session,
    )
    .await
    .map_err(Fail::Internal)?;
    Ok((token, csrf, user))
}

pub fn session_cookie(app: &App, token: &str) -> HeaderValue {
    login_session::set_cookie(app.cookie(), token, app.web.session.as_secs(), app.secure())
}
