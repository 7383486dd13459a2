//! Audio from the bucket when the spool has no copy (shipped, then removed
//! by keep_local_days; or another PBX's, in a fleet sharing the bucket):
//! the shipper's Store asked for the one range the player wants, and the
//! object streamed on as it arrives, so a long call starts at once from
//! the bucket too.

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::error::Fail;
use super::ids::Leg;
use crate::index::Record;
use crate::shipper::store::{Store, Trouble};

/// The object key of `leg` if it is in this server's bucket.
pub fn key_of(store: &Store, record: &Record, leg: Leg) -> Option<String> {
    if record.summary.location != format!("s3://{}", store.bucket) {
        return None;
    }
    record
        .files
        .iter()
        .find(|f| f.name == leg.name())
        .and_then(|f| f.object.clone())
}

/// The request's one byte range, as S3 takes it; None without one, or for
/// what a player never sends (several ranges, another unit): the whole
/// object then, as RFC 9110 lets a server do.
pub fn range(headers: &HeaderMap) -> Option<String> {
    let spec = headers
        .get(header::RANGE)?
        .to_str()
        .ok()?
        .strip_prefix("bytes=")?;
    let (a, b) = spec.trim().split_once('-')?;
    let digits = |s: &str| s.len() <= 19 && s.bytes().all(|c| c.is_ascii_digit());
    if !(digits(a) && digits(b)) || (a.is_empty() && b.is_empty()) {
        return None;
    }
    Some(format!("bytes={a}-{b}"))
}

/// The object `key` written to a new file `path` (mode 0600) as it
/// arrives, never whole in memory.
pub async fn fetch_to(store: &Store, key: &str, path: &std::path::Path) -> Result<(), Fail> {
    use tokio::io::AsyncWriteExt;
    let down = |e: String| {
        Fail::unavailable(
            "the recording's store does not answer",
            format!("the bucket did not give {key}: {e}"),
        )
    };
    let (mut body, _, _) = store
        .get(key, None)
        .await
        .map_err(|e| down(e.to_string()))?;
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .await
        .map_err(|e| Fail::Internal(format!("{}: {e}", path.display())))?;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| down(e.to_string()))?;
        file.write_all(&chunk)
            .await
            .map_err(|e| Fail::Internal(format!("{}: {e}", path.display())))?;
    }
    file.flush()
        .await
        .map_err(|e| Fail::Internal(format!("{}: {e}", path.display())))
}

pub async fn serve(store: &Store, key: &str, headers: &HeaderMap) -> Result<Response, Fail> {
    let range = range(headers);
    let asked = range.is_some();
    let (body, content_range, len) = match store.get(key, range).await {
        Ok(got) => got,
        Err(e) if asked && e.trouble == Trouble::Unsatisfiable => {
            return Ok(StatusCode::RANGE_NOT_SATISFIABLE.into_response());
        }
        Err(e) => {
            return Err(Fail::unavailable(
                "the recording's store does not answer",
                format!("the bucket did not give {key}: {e}"),
            ))
        }
    };
    let stream = futures::stream::unfold(body, |mut b| async move {
        b.next()
            .await
            .map(|chunk| (chunk.map_err(std::io::Error::other), b))
    });
    let mut r = Response::new(Body::from_stream(stream));
    *r.status_mut() = match (&content_range, asked) {
        (Some(_), true) => StatusCode::PARTIAL_CONTENT,
        _ => StatusCode::OK,
    };
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("audio/flac"));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len.max(0)));
    if let Some(cr) = content_range.filter(|_| asked) {
        if let Ok(v) = HeaderValue::from_str(&cr) {
            h.insert(header::CONTENT_RANGE, v);
        }
    }
    Ok(r)
}
