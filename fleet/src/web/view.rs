//! One recording as a user may see it: fetched by a checked id, refused
//! (404, as unknown) outside their scope, with its audit entries and its
//! integrity.  The page and the API show the same thing.

use std::sync::Arc;

use legrec::audit::Entry;
use legrec::spool::layout::RecordingPaths;
use serde::{Deserialize, Serialize};

use super::error::Fail;
use super::ids::valid_id;
use super::integrity::{self, Integrity};
use super::trail::{self, Seen};
use super::users::User;
use super::{local, App};
use crate::index::Record;

/// `?pbx=NAME`: which PBX's recording an id means (ids are each PBX's
/// own; without it, the one the user may see, or a 409 naming them).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Which {
    pub pbx: Option<String>,
}

/// The recording `id` if `user` may see it.
pub async fn visible(app: &App, user: &User, id: &str) -> Result<Record, Fail> {
    visible_on(app, user, id, None).await
}

/// The recording `id` made by `pbx` (any PBX: None) if `user` may see it.
pub async fn visible_on(
    app: &App,
    user: &User,
    id: &str,
    pbx: Option<&str>,
) -> Result<Record, Fail> {
    if !valid_id(id) {
        return Err(Fail::BadRequest(format!(
            "'{}' is not a recording id (YYYYMMDD-HHMMSS-mmm-xxxxxxxx)",
            id.escape_default()
        )));
    }
    // Each PBX of a fleet names its own ids: another's row under the same
    // id (made by chance or to shadow this one) is never taken for it.
    let mut seen: Vec<Record> = app
        .index
        .get_all(id)
        .await
        .map_err(Fail::Internal)?
        .into_iter()
        .filter(|r| pbx.is_none_or(|p| r.summary.pbx == p) && user.may_see(r))
        .collect();
    match seen.len() {
        0 => Err(Fail::no_recording(id)),
        1 => Ok(seen.remove(0)),
        _ => {
            let pbxs: Vec<&str> = seen.iter().map(|r| r.summary.pbx.as_str()).collect();
            Err(Fail::Conflict(format!(
                "'{id}' names recordings of several PBXs ({}): add ?pbx=NAME to say which",
                pbxs.join(", ")
            )))
        }
    }
}

#[derive(Serialize)]
pub struct Full {
    #[serde(flatten)]
    pub record: Record,
    pub integrity: Integrity,
    /// Who played, downloaded or exported it, newest first.
    pub access: Vec<Seen>,
    #[serde(skip)]
    pub entries: Vec<Entry>,
    #[serde(skip)]
    pub paths: Option<RecordingPaths>,
}

/// The recording with its integrity checked now (every file hashed) and its
/// access trail.
pub async fn full(app: &Arc<App>, user: &User, id: &str) -> Result<Full, Fail> {
    full_on(app, user, id, None).await
}

/// `full` of the recording `id` made by `pbx` (any PBX: None).
pub async fn full_on(
    app: &Arc<App>,
    user: &User,
    id: &str,
    pbx: Option<&str>,
) -> Result<Full, Fail> {
    let record = visible_on(app, user, id, pbx).await?;
    let app = app.clone();
    tokio::task::spawn_blocking(move || {
        let paths = local::find(&app.config, &record.summary);
        let entries = app.chain.entries_of(&record.summary.id);
        let integrity = integrity::check(&record, paths.as_ref(), &entries);
        let mut access: Vec<Seen> = entries.iter().filter_map(trail::seen).collect();
        access.reverse();
        Full {
            record,
            integrity,
            access,
            entries,
            paths,
        }
    })
    .await
    .map_err(|e| Fail::Internal(e.to_string()))
}
