//! The CSRF token a state-changing request must carry: the session's,
//! sent back as a header by scripts or as a form field by the pages.

use axum::body::Body;
use axum::extract::Request;
use axum::http::header;

use super::error::Fail;

pub const CSRF_HEADER: &str = "x-csrf-token";

/// The request's CSRF token: its header, else a form body's `csrf` field
/// (the body is read and put back for the handler).
pub async fn csrf_of(req: Request) -> Result<(Option<String>, Request), Fail> {
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
