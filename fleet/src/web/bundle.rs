//! `GET /api/recordings/{id}/bundle`: the evidence bundle of `legrec
//! evidence` (FLAC legs, sidecar, chain segment to the first anchor after
//! the recording, the TSA's token and CA, VERIFY.txt) as a download, for
//! whoever may hear the recording.  An auditor may not: the bundle holds
//! the audio, and auditors never get the audio (the JSON evidence is
//! theirs).  The export is chained in the access trail before the bundle
//! is sent (`exported`, what `bundle`), as every download is.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

use super::auth::Me;
use super::error::{ApiError, Fail};
use super::trail::{self, Access};
use super::{view, App};

pub async fn bundle(
    State(app): State<Arc<App>>,
    Me(s): Me,
    Path(id): Path<String>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
) -> Result<Response, ApiError> {
    if !s.user.role.hears_audio() {
        return Err(Fail::no_recording(&id).into());
    }
    let record = view::visible(&app, &s.user, &id).await?;
    let access = Access {
        user: s.user.name.clone(),
        role: s.user.role.as_str().into(),
        what: "bundle".into(),
        client: client.ip().to_string(),
        pbx: record.summary.pbx.clone(),
    };
    let spool = app.config.spool.clone();
    let id2 = record.summary.id.clone();
    let bytes = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, Fail> {
        let mut rnd = [0u8; 8];
        let _ = getrandom::getrandom(&mut rnd);
        let tmp = std::env::temp_dir().join(format!("legrec-bundle-{}.tar", legrec::hex(&rnd)));
        // Only the spool has the chain and the tokens: a recording whose
        // files are gone from it cannot be bundled here.
        // The reason names spool paths: the server's log has it, the
        // answer only what it means.
        let made = legrec::admin::evidence::write_bundle(&spool, &id2, None, &tmp).map_err(|e| {
            log::warn!("no evidence bundle for {id2}: {e}");
            Fail::NotFound(if e.contains("no anchor covers") {
                format!("no evidence bundle for {id2}: no anchor covers it yet (legrec anchor)")
            } else {
                format!("no evidence bundle for {id2}: its files or chain are not whole in this server's spool (legrec verify)")
            })
        });
        let bytes = made.and_then(|x| {
            trail::append(&spool, "exported", &id2, &x.policy, &access).map_err(|e| {
                Fail::Unavailable(format!("the access trail cannot be written ({e})"))
            })?;
            std::fs::read(&tmp).map_err(|e| Fail::Internal(e.to_string()))
        });
        let _ = std::fs::remove_file(&tmp);
        bytes
    })
    .await
    .map_err(|e| Fail::Internal(e.to_string()))??;
    let mut r = bytes.into_response();
    let headers = r.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-tar"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("attachment; filename=\"{id}-evidence.tar\""))
            .expect("ids are ASCII"),
    );
    Ok(r)
}
