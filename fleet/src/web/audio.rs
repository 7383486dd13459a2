//! A recording's audio, for the `<audio>` element and for download: the
//! FLAC file from the local spool, answered with HTTP Range (206) by
//! tower-http's ServeFile, so a one-hour call starts at once and seeks
//! without fetching what lies before; from the bucket (bucket.rs) when
//! the spool has no copy.  Each playback and download is in the
//! access trail first: audio nobody can account for is not served.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Path, Query, Request, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tower::ServiceExt;
use tower_http::services::ServeFile;

use super::auth::Me;
use super::error::{ApiError, Fail};
use super::ids::Leg;
use super::peaks::{self, Peaks};
use super::trail::{self, Access};
use super::{bucket, local, view, App};
use crate::index::Record;

/// A player asks for many ranges while one person listens, and a person
/// may download a file or an export again: one entry per user, file and
/// purpose an hour, not one per request.  The page's both-legs player
/// fetches `in` and `out` with `together=1`: one play of the two, entered
/// once as `in+out` (not twice, which would read as two listenings, nor as
/// one leg, which would hide the other).
#[derive(Default)]
pub struct Played(Mutex<HashMap<Counted, Instant>>);

/// User, recording, file (`in`, `out`, `stereo`, `evidence`) and event.
type Counted = (String, String, String, &'static str);

const PLAYED_AGAIN_AFTER: Duration = Duration::from_secs(3600);

impl Played {
    /// True if this access is news to the trail.
    pub fn first(&self, user: &str, id: &str, what: &str, event: &'static str) -> bool {
        let mut m = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if m.len() > 100_000 {
            m.retain(|_, t| now - *t < PLAYED_AGAIN_AFTER);
        }
        let key = (user.to_string(), id.to_string(), what.to_string(), event);
        match m.get(&key) {
            Some(t) if now - *t < PLAYED_AGAIN_AFTER => false,
            _ => {
                m.insert(key, now);
                true
            }
        }
    }

    /// Forget a noted access whose entry could not be written.
    pub fn forget(&self, user: &str, id: &str, what: &str, event: &'static str) {
        let mut m = self.0.lock().unwrap_or_else(|p| p.into_inner());
        m.remove(&(user.to_string(), id.to_string(), what.to_string(), event));
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AudioParams {
    download: Option<String>,
    together: Option<String>,
    /// Which PBX's recording the id means (view::Which).
    pbx: Option<String>,
}

/// What the trail says was played when both legs were played together.
pub const TOGETHER: &str = "in+out";

fn yes(key: &str, value: Option<&str>) -> Result<bool, Fail> {
    match value {
        None | Some("0") => Ok(false),
        Some("1") => Ok(true),
        Some(v) => Err(Fail::BadRequest(format!(
            "{key} '{}': 0 or 1",
            v.escape_default()
        ))),
    }
}

/// A recording the user may hear (for an auditor, none: they never hear
/// a call, so to them its audio does not exist).
async fn hearable(app: &App, me: &Me, id: &str, pbx: Option<&str>) -> Result<Record, Fail> {
    if !me.0.user.role.hears_audio() {
        return Err(Fail::no_recording(id));
    }
    view::visible_on(app, &me.0.user, id, pbx).await
}

/// Where the audio of `leg` of `record` comes from.
enum Source {
    Local(PathBuf),
    /// An object key in this server's bucket.
    Bucket(String),
}

fn source(app: &App, record: &Record, leg: Leg) -> Result<Source, Fail> {
    let id = &record.summary.id;
    if !record.files.iter().any(|f| f.name == leg.name()) {
        return Err(Fail::NotFound(format!(
            "recording {id} has no {} file (its policy's legs)",
            leg.name()
        )));
    }
    let local = local::find(&app.config, &record.summary)
        .map(|paths| local::audio(&paths, leg))
        .filter(|p| p.is_file());
    if let Some(path) = local {
        return Ok(Source::Local(path));
    }
    match app
        .store
        .as_ref()
        .and_then(|s| bucket::key_of(s, record, leg))
    {
        Some(key) => Ok(Source::Bucket(key)),
        None => Err(Fail::NotFound(format!(
            "recording {id}: its {} file is neither in this server's spool nor in its bucket",
            leg.name()
        ))),
    }
}

/// What identifies a source's bytes for the waveform cache: a local
/// file's path, or an object key.
fn from_path_or_key(from: &Source) -> peaks::Origin {
    match from {
        Source::Local(p) => peaks::Origin::File(p.clone()),
        Source::Bucket(k) => peaks::Origin::Object(k.clone()),
    }
}

fn leg_of(name: &str) -> Result<Leg, Fail> {
    Leg::parse(name).ok_or_else(|| {
        Fail::NotFound(format!(
            "no leg '{}': in, out or stereo",
            name.escape_default()
        ))
    })
}

/// `GET /api/recordings/{id}/audio/{in|out|stereo}[?download=1]`.
pub async fn audio(
    State(app): State<Arc<App>>,
    me: Me,
    Path((id, leg)): Path<(String, String)>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    params: Result<Query<AudioParams>, axum::extract::rejection::QueryRejection>,
    req: Request,
) -> Result<Response, ApiError> {
    let Query(params) = params.map_err(|e| Fail::BadRequest(e.body_text()))?;
    let download = yes("download", params.download.as_deref())?;
    let together = yes("together", params.together.as_deref())?;
    let leg = leg_of(&leg)?;
    if together && (download || leg == Leg::Stereo) {
        return Err(Fail::BadRequest(
            "together=1 is for playing the in and out legs at once".into(),
        )
        .into());
    }
    let record = hearable(&app, &me, &id, params.pbx.as_deref()).await?;
    let from = source(&app, &record, leg)?;
    if together {
        // Entered as both legs heard: both must be there to be heard.
        source(
            &app,
            &record,
            if leg == Leg::In { Leg::Out } else { Leg::In },
        )?;
    }
    let what = if together { TOGETHER } else { leg.name() };
    let event = if download { "downloaded" } else { "played" };
    let user = &me.0.user.name;
    // HEAD serves no audio, so there is no access to account for.
    let serves = req.method() != axum::http::Method::HEAD;
    if serves && app.played.first(user, &id, what, event) {
        let access = Access {
            user: me.0.user.name.clone(),
            role: me.0.user.role.as_str().into(),
            what: what.into(),
            client: client.ip().to_string(),
            pbx: record.summary.pbx.clone(),
        };
        let spool = app.config.spool.clone();
        let policy = record.summary.policy.clone();
        let id2 = id.clone();
        let written = tokio::task::spawn_blocking(move || {
            trail::append(&spool, event, &id2, &policy, &access)
        })
        .await
        .map_err(|e| Fail::Internal(e.to_string()))?;
        if let Err(e) = written {
            app.played.forget(user, &id, what, event);
            return Err(Fail::unavailable(
                "the access trail cannot be written: audio is not served unaccounted",
                format!("access trail: {e}"),
            )
            .into());
        }
    }
    let mut r = match from {
        Source::Local(path) => {
            let flac = "audio/flac".parse().expect("a media type");
            ServeFile::new_with_mime(&path, &flac)
                .oneshot(req)
                .await
                .map_err(|e| Fail::Internal(format!("{}: {e}", path.display())))?
                .map(axum::body::Body::new)
                .into_response()
        }
        Source::Bucket(key) => {
            let store = app.store.as_ref().expect("a bucket source has a store");
            bucket::serve(store, &key, req.headers()).await?
        }
    };
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private"));
    if download {
        let name = format!("attachment; filename=\"{id}-{}.flac\"", leg.name());
        h.insert(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_str(&name).expect("ids are ASCII"),
        );
    }
    Ok(r)
}

/// `GET /api/recordings/{id}/peaks/{in|out}`: the waveform the page draws.
pub async fn peaks(
    State(app): State<Arc<App>>,
    me: Me,
    Path((id, leg)): Path<(String, String)>,
    which: Result<Query<view::Which>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<Peaks>, ApiError> {
    let Query(which) = which.map_err(|e| Fail::BadRequest(e.body_text()))?;
    let wanted = leg_of(&leg)?;
    if wanted == Leg::Stereo {
        return Err(Fail::NotFound("no waveform 'stereo': in or out".into()).into());
    }
    let record = hearable(&app, &me, &id, which.pbx.as_deref()).await?;
    // A split leg's own file, else its channel of the stereo file.
    let (source_leg, channel) = if record.files.iter().any(|f| f.name == wanted.name()) {
        (wanted, 0)
    } else {
        (Leg::Stereo, usize::from(wanted == Leg::Out))
    };
    let from = source(&app, &record, source_leg)?;
    let fact = record.sidecar["legs"]
        .as_array()
        .and_then(|legs| legs.iter().find(|l| l["name"] == source_leg.name()))
        .cloned()
        .unwrap_or_default();
    let samples = fact["samples"].as_u64().unwrap_or(0);
    let rate = fact["sample_rate"].as_u64().unwrap_or(8000) as u32;
    // One user's page, and the next user's, ask for the same waveform:
    // computed once per file as it is (peaks::Cache).
    let sha = record
        .files
        .iter()
        .find(|f| f.name == source_leg.name())
        .map(|f| f.sha256.clone())
        .unwrap_or_default();
    let cache_key = peaks::Key::of(&from_path_or_key(&from), &sha, channel);
    if let Some(p) = app.peaks.get(&cache_key) {
        return Ok(axum::Json(p));
    }
    // From the bucket the object is streamed into a file only this user
    // reads (it is a call), removed once decoded: libFLAC reads files,
    // and a long call must not be held in memory whole.
    let (path, fetched) = match from {
        Source::Local(p) => (p, false),
        Source::Bucket(key) => {
            let store = app.store.as_ref().expect("a bucket source has a store");
            let tmp = std::env::temp_dir().join(format!(
                "legrec-peaks-{id}-{}.flac",
                super::login_session::random_token()
            ));
            if let Err(e) = bucket::fetch_to(store, &key, &tmp).await {
                let _ = std::fs::remove_file(&tmp);
                return Err(e.into());
            }
            (tmp, true)
        }
    };
    let p = tokio::task::spawn_blocking(move || {
        let p = peaks::of_file(&path, channel, samples, rate);
        if fetched {
            let _ = std::fs::remove_file(&path);
        }
        p
    })
    .await
    .map_err(|e| Fail::Internal(e.to_string()))?
    .map_err(|e| Fail::Internal(format!("waveform of {id}: {e}")))?;
    app.peaks.put(cache_key, p.clone());
    Ok(axum::Json(p))
}
