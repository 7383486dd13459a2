//! Shipping one finished recording: upload each file, read each back and
//! compare with the hash the sidecar (or the audit chain, for the sidecar
//! itself) holds, then write the state, index it, and chain "shipped".
//! Every step can be repeated after a crash with the same result: object
//! keys are the files' paths under the spool.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use legrec::audit;
use legrec::spool::{digest, layout};

use super::state::{self, Shipped};
use super::store::{Store, StoreError, Trouble, Unfinished};
use super::uploads;
use crate::index::{Facts, Index};

/// What the shipper needs of its run.
pub struct Ship<'a> {
    pub spool: &'a Path,
    pub store: &'a Store,
    pub index: &'a Index,
    pub pbx: &'a str,
    pub part_size: u64,
}

/// A recording verified in the bucket and indexed, not yet chained.
pub struct Verified {
    pub id: String,
    entry: audit::Entry,
    state: Shipped,
}

/// One file to put: where it is, its key, the hash it must have.
struct Item {
    name: String,
    path: PathBuf,
    relative: String,
    key: String,
    sha256: String,
}

pub(super) fn relative(spool: &Path, path: &Path) -> String {
    path.strip_prefix(spool)
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned()
}

fn other(message: String) -> StoreError {
    StoreError {
        trouble: Trouble::Other,
        message,
    }
}

/// Refuses a sidecar whose id is not its own file's, or whose legs name
/// anything but a file of its own folder.  Whoever can write the spool
/// (the PBX's user) must not make the shipper upload, or keep_local_days
/// delete, a file elsewhere (`../../etc/...`), or another recording's.
fn own_files(sidecar: &Path, facts: &Facts) -> Result<(), StoreError> {
    let named = layout::RecordingPaths::of_file(sidecar).map(|p| p.id);
    if named.as_deref() != Some(facts.sidecar.id.as_str()) {
        return Err(other(format!(
            "{}: its id '{}' is not its file's; not shipped",
            sidecar.display(),
            facts.sidecar.id.escape_default()
        )));
    }
    for f in &facts.files {
        let plain = !f.file.is_empty()
            && f.file != "."
            && f.file != ".."
            && !f.file.contains(['/', '\\', '\0']);
        if !plain {
            return Err(other(format!(
                "{}: leg '{}' names '{}', not a file of its own folder; not shipped",
                sidecar.display(),
                f.name.escape_default(),
                f.file.escape_default()
            )));
        }
    }
    Ok(())
}

impl Ship<'_> {
    fn items(&self, sidecar: &Path, facts: &Facts) -> Vec<Item> {
        let dir = sidecar.parent().unwrap_or(self.spool);
        facts
            .files
            .iter()
            .map(|f| {
                let path = dir.join(&f.file);
                let rel = relative(self.spool, &path);
                Item {
                    name: f.name.clone(),
                    key: self.store.key(&rel),
                    relative: rel,
                    path,
                    sha256: f.sha256.clone(),
                }
            })
            .collect()
    }

    /// Ships the recording whose sidecar is `sidecar` unless it was: its
    /// files put and read back (at once), then indexed.  Returns what the
    /// chain is to say, for `chain` to write with others; None when there
    /// is nothing to do.  `chained` are the ids the chain already says
    /// were shipped (a crash after chaining, before the state was noted).
    pub async fn recording(
        &self,
        sidecar: &Path,
        chained: &HashSet<String>,
    ) -> Result<Option<Verified>, StoreError> {
        let bytes =
            std::fs::read(sidecar).map_err(|e| other(format!("{}: {e}", sidecar.display())))?;
        let mut facts = Facts::of(self.pbx, &bytes, "spool")
            .map_err(|e| other(format!("{}: {e}", sidecar.display())))?;
        let id = facts.sidecar.id.clone();
        own_files(sidecar, &facts)?;
        if state::read(self.spool, &id).is_some_and(|s| s.audited) {
            return Ok(None);
        }
        let items = self.items(sidecar, &facts);
        let shipped = Shipped {
            bucket: self.store.bucket.clone(),
            objects: items
                .iter()
                .map(|i| (i.name.clone(), i.key.clone()))
                .collect(),
            verified_at: humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string(),
            audited: true,
            local_removed: false,
            policy: facts.sidecar.policy.clone(),
            keep_until: legrec::admin::prune::keep_until(&facts.sidecar)
                .map(|t| humantime::format_rfc3339_seconds(t).to_string()),
        };
        if chained.contains(&id) {
            state::write(self.spool, &id, &shipped).map_err(|e| self.state_error(e))?;
            return Ok(None);
        }
        futures::future::try_join_all(items.iter().map(|i| self.put_verified(&id, i))).await?;
        uploads::finished(self.spool, &id);
        shipped.apply_to(&mut facts);
        self.index.put(&facts).await.map_err(|e| StoreError {
            trouble: Trouble::Down,
            message: e,
        })?;
        let files = items
            .iter()
            .map(|i| audit::FileHash {
                file: i.relative.clone(),
                sha256: i.sha256.clone(),
            })
            .collect();
        let note = format!(
            "verified in s3://{}: {}",
            shipped.bucket,
            shipped
                .objects
                .values()
                .cloned()
                .collect::<Vec<_>>()
                .join(" ")
        );
        Ok(Some(Verified {
            entry: audit::Entry::new("shipped", &id, &facts.sidecar.policy, files, &note),
            id,
            state: shipped,
        }))
    }

    /// Chains "shipped" for `batch` (one write, one sync), then notes each
    /// done.  Returns how many.
    pub fn chain(&self, batch: Vec<Verified>) -> Result<usize, StoreError> {
        let n = batch.len();
        let (entries, rest): (Vec<_>, Vec<_>) = batch
            .into_iter()
            .map(|v| (v.entry, (v.id, v.state)))
            .unzip();
        audit::append_all(&layout::audit_log(self.spool), entries, 0o640)
            .map_err(|e| other(format!("audit log: {e}")))?;
        for (id, s) in rest {
            state::write(self.spool, &id, &s).map_err(|e| self.state_error(e))?;
        }
        Ok(n)
    }

    fn state_error(&self, e: std::io::Error) -> StoreError {
        other(format!("{}: {e}", layout::ship_dir(self.spool).display()))
    }

    /// Puts one file and reads it back until the bucket holds exactly what
    /// the sidecar says it should (twice at most: a second mismatch is not
    /// the network's doing).
    async fn put_verified(&self, id: &str, item: &Item) -> Result<(), StoreError> {
        for attempt in 0..2 {
            let journal = |u: &Unfinished| uploads::begun(self.spool, id, u);
            self.store
                .put_file(&item.key, &item.path, self.pbx, self.part_size, &journal)
                .await?;
            let remote = self.store.sha256(&item.key).await?;
            if remote == item.sha256 {
                return Ok(());
            }
            let local = digest::hash_file(&item.path)
                .map(|(sha, _)| sha)
                .unwrap_or_default();
            if local != item.sha256 {
                return Err(other(format!(
                    "{}: differs from its sidecar's SHA-256 (run legrec verify); not shipped",
                    item.path.display()
                )));
            }
            log::warn!(
                "{}: the bucket returned other bytes than were sent (attempt {}); sending again",
                item.key,
                attempt + 1
            );
        }
        Err(other(format!(
            "{}: the bucket keeps returning other bytes than were sent",
            item.key
        )))
    }

    /// Reads back every object of a shipped recording whose files are still
    /// here; puts again any that differ.  Returns the keys put again.
    pub async fn recheck(&self, sidecar: &Path) -> Result<Vec<String>, StoreError> {
        let bytes =
            std::fs::read(sidecar).map_err(|e| other(format!("{}: {e}", sidecar.display())))?;
        let facts = Facts::of(self.pbx, &bytes, "spool")
            .map_err(|e| other(format!("{}: {e}", sidecar.display())))?;
        let id = facts.sidecar.id.clone();
        own_files(sidecar, &facts)?;
        if state::read(self.spool, &id).is_none_or(|s| !s.audited) {
            return Ok(Vec::new());
        }
        let mut fixed = Vec::new();
        for item in self.items(sidecar, &facts) {
            let remote = match self.store.sha256(&item.key).await {
                Ok(h) => Some(h),
                Err(e) if e.trouble == Trouble::NotFound => None,
                Err(e) => return Err(e),
            };
            if remote.as_deref() == Some(item.sha256.as_str()) {
                continue;
            }
            log::error!(
                "{}: {} in the bucket; putting it again from {}",
                item.key,
                if remote.is_some() {
                    "does not match its SHA-256"
                } else {
                    "is missing"
                },
                item.path.display()
            );
            self.put_verified(&id, &item).await?;
            uploads::finished(self.spool, &id);
            audit::append(
                &layout::audit_log(self.spool),
                audit::Entry::new(
                    "shipped",
                    &id,
                    &facts.sidecar.policy,
                    vec![audit::FileHash {
                        file: item.relative.clone(),
                        sha256: item.sha256.clone(),
                    }],
                    &format!(
                        "put again: s3://{}/{} {} in the bucket",
                        self.store.bucket,
                        item.key,
                        if remote.is_some() {
                            "was corrupted"
                        } else {
                            "was missing"
                        }
                    ),
                ),
                0o640,
            )
            .map_err(|e| other(format!("audit log: {e}")))?;
            fixed.push(item.key);
        }
        Ok(fixed)
    }
}
