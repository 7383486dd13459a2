//! Login sessions (the browser's, not a call's): a random token in an
//! HttpOnly, SameSite=Strict cookie (Secure under TLS); the server keeps
//! only its SHA-256 beside the user and the session's CSRF token, so a
//! cookie it did not hand out opens nothing and a copy of the table opens
//! nothing either.

use axum::http::{header, HeaderMap, HeaderValue};
use base64::Engine;
use sha2::{Digest, Sha256};
use sqlx::Row;

use super::accounts::Accounts;
use super::users::{user_of, User};

pub const COOKIE: &str = "legrec_session";
pub const HOST_COOKIE: &str = "__Host-legrec_session";

/// last_seen_ms is written at most this often per session: a page's
/// dozen requests are one write, and the idle timeout is minutes.
const SEEN_EVERY_MS: i64 = 60_000;

#[derive(Clone, Debug)]
pub struct Session {
    pub user: User,
    pub csrf: String,
    pub token_sha256: String,
}

/// 32 random bytes, URL-safe base64.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    getrandom::getrandom(&mut b).expect("the system's random source");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

pub fn token_hash(token: &str) -> String {
    legrec::hex(&Sha256::digest(token.as_bytes()))
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn sql_err(what: &'static str) -> impl Fn(sqlx::Error) -> String {
    move |e| format!("sessions: {what}: {e}")
}

/// A new session for `name`; returns the cookie's token and the CSRF token.
pub async fn create(
    accounts: &Accounts,
    name: &str,
    address: &str,
    lasts: std::time::Duration,
) -> Result<(String, String), String> {
    let (token, csrf) = (random_token(), random_token());
    let now = now_ms();
    // Expired sessions go when someone logs in, so the table stays small
    // without a timer.
    sqlx::query("DELETE FROM browser_sessions WHERE expires_ms <= $1")
        .bind(now)
        .execute(accounts.pool())
        .await
        .map_err(sql_err("expire"))?;
    sqlx::query(
        "INSERT INTO browser_sessions \
         (token_sha256, name, csrf, address, created_ms, expires_ms, last_seen_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $5)",
    )
    .bind(token_hash(&token))
    .bind(name)
    .bind(&csrf)
    .bind(address)
    .bind(now)
    .bind(now + lasts.as_millis() as i64)
    .execute(accounts.pool())
    .await
    .map_err(sql_err("create"))?;
    Ok((token, csrf))
}

/// The live session of `token`, with its user as the table says now (a
/// changed role or a deleted user takes effect at the next request); None
/// once it expired or nobody used it for `idle`.
pub async fn lookup(
    accounts: &Accounts,
    token: &str,
    idle: std::time::Duration,
) -> Result<Option<Session>, String> {
    let hash = token_hash(token);
    let now = now_ms();
    let row = sqlx::query(
        "SELECT s.csrf, s.last_seen_ms, u.name, u.role, u.queues, u.pbxs, u.agent \
         FROM browser_sessions s JOIN browser_users u ON u.name = s.name \
         WHERE s.token_sha256 = $1 AND s.expires_ms > $2 AND s.last_seen_ms > $3",
    )
    .bind(&hash)
    .bind(now)
    .bind(now - idle.as_millis() as i64)
    .fetch_optional(accounts.pool())
    .await
    .map_err(sql_err("lookup"))?;
    let Some(row) = row else { return Ok(None) };
    let seen: i64 = row.try_get("last_seen_ms").map_err(sql_err("lookup"))?;
    if now - seen > SEEN_EVERY_MS {
        sqlx::query("UPDATE browser_sessions SET last_seen_ms = $1 WHERE token_sha256 = $2")
            .bind(now)
            .bind(&hash)
            .execute(accounts.pool())
            .await
            .map_err(sql_err("seen"))?;
    }
    Ok(Some(Session {
        user: user_of(&row)?,
        csrf: row.try_get("csrf").map_err(sql_err("lookup"))?,
        token_sha256: hash,
    }))
}

pub async fn end(accounts: &Accounts, token_sha256: &str) -> Result<(), String> {
    sqlx::query("DELETE FROM browser_sessions WHERE token_sha256 = $1")
        .bind(token_sha256)
        .execute(accounts.pool())
        .await
        .map_err(sql_err("end"))?;
    Ok(())
}

/// The value of cookie `name` in the request's Cookie headers.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A Set-Cookie value; `max_age` 0 removes the cookie.  (No Domain: the
/// cookie is this host's alone, as `__Host-` requires.)
pub fn set_cookie(name: &str, value: &str, max_age: u64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .expect("cookie values are base64")
}

/// Equal tokens, compared in constant time (a token guessed byte by byte
/// from response times would be a CSRF token found).
pub fn same_token(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_among_others() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            "a=1; legrec_session=tok; b=2".parse().unwrap(),
        );
        assert_eq!(cookie(&h, COOKIE), Some("tok"));
        assert_eq!(cookie(&h, "legrec"), None);
        let c = set_cookie(COOKIE, "x", 60, true);
        let c = c.to_str().unwrap();
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.ends_with("Secure"));
        assert!(!set_cookie(COOKIE, "x", 60, false)
            .to_str()
            .unwrap()
            .contains("Secure"));
    }

    #[test]
    fn tokens() {
        assert_ne!(random_token(), random_token());
        assert_eq!(random_token().len(), 43);
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abc", "abd") && !same_token("abc", "ab"));
    }
}
