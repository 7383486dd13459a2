//! Shipping one finished recording: upload each file, read each back and
//! compare with the hash the sidecar (or the audit chain, for the sidecar
//! itself) holds, then write the state, index it, and chain "shipped".
//! Every step can be repeated after a crash with the same result: object
//! keys are the files' paths under the spool.

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

/// One file to put: where it is, its key, the hash it must have.
struct Item {
    name: String,
    path: PathBuf,
    relative: String,
    key: String,
    sha256: String,
}

fn relative(spool: &Path, path: &Path) -> String {
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

    /// Ships the recording whose sidecar is `sidecar`, unless it was.
    /// Returns whether it shipped now.
    pub async fn one(&self, sidecar: &Path) -> Result<bool, StoreError> {
        let bytes =
            std::fs::read(sidecar).map_err(|e| other(format!("{}: {e}", sidecar.display())))?;
        let mut facts = Facts::of(self.pbx, &bytes, "spool")
            .map_err(|e| other(format!("{}: {e}", sidecar.display())))?;
        let id = facts.sidecar.id.clone();
        let known = state::read(self.spool, &id);
        if known.as_ref().is_some_and(|s| s.audited) {
            return Ok(false);
        }
        let items = self.items(sidecar, &facts);
        let shipped = match known {
            // Verified before a crash: only the index and the chain remain.
            Some(s) => s,
            None => {
                for item in &items {
                    self.put_verified(&id, item).await?;
                }
                let s = Shipped {
                    bucket: self.store.bucket.clone(),
                    objects: items
                        .iter()
                        .map(|i| (i.name.clone(), i.key.clone()))
                        .collect(),
                    verified_at: humantime::format_rfc3339_millis(std::time::SystemTime::now())
                        .to_string(),
                    audited: false,
                    local_removed: false,
                    policy: facts.sidecar.policy.clone(),
                    keep_until: legrec::admin::prune::keep_until(&facts.sidecar)
                        .map(|t| humantime::format_rfc3339_seconds(t).to_string()),
                };
                state::write(self.spool, &id, &s).map_err(|e| {
                    other(format!("{}: {e}", layout::ship_dir(self.spool).display()))
                })?;
                s
            }
        };
        state::apply(self.spool, &mut facts);
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
        audit::append(
            &layout::audit_log(self.spool),
            audit::Entry::new("shipped", &id, &facts.sidecar.policy, files, &note),
            0o640,
        )
        .map_err(|e| other(format!("audit log: {e}")))?;
        state::write(
            self.spool,
            &id,
            &Shipped {
                audited: true,
                ..shipped
            },
        )
        .map_err(|e| other(format!("{}: {e}", layout::ship_dir(self.spool).display())))?;
        Ok(true)
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
            uploads::finished(self.spool, id);
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
