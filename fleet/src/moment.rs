//! A moment as an admin types it, on the command line (`legrec search
//! --from`) or in the browser's search form.

/// A moment given as RFC 3339 or as a day (`2026-12-01`, midnight UTC),
/// in milliseconds since the epoch.
pub fn parse(s: &str) -> Result<i64, String> {
    let t = if s.len() == 10 {
        humantime::parse_rfc3339(&format!("{s}T00:00:00Z"))
    } else {
        humantime::parse_rfc3339_weak(s)
    }
    .map_err(|e| format!("'{s}': {e} (give 2026-12-01 or 2026-12-01T08:00:00Z)"))?;
    Ok(t.duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64))
}
