//! `legrec erase ID...|--number N --reason TEXT --config FILE` where
//! [storage] names a bucket (`legrec` runs this for it): a data subject's
//! erasure (GDPR art. 17) of shipped recordings too.  The steps are
//! legrec::admin::erase's, with the bucket and the index between them:
//!
//! 1. the intent (`erasing`) is chained, naming the files, their hashes
//!    and the audio objects to delete;
//! 2. the audio objects are deleted from the bucket, then the spool's;
//! 3. the scrubbed sidecar is written here and put over the bucket's;
//! 4. the index keeps the scrubbed sidecar and no audio (its files rows);
//! 5. the tombstone (`erased`) is chained.
//!
//! A run cut short (the bucket down, a kill) leaves the intent without a
//! tombstone; every run first finishes such intents, so an erasure is
//! never half done for longer than until the next `legrec erase`.  A
//! legal hold refuses it, before the intent and (placed later) before the
//! next run finishes it.

use std::path::{Path, PathBuf};

use legrec::admin::erase::{self, Asked, TOMBSTONE};
use legrec::audit::Entry;
use legrec::sidecar::Sidecar;
use legrec::spool::layout;

use super::state::{self, Shipped};
use super::store::{Store, Trouble};
use crate::config::Config;
use crate::index::{Facts, Index};

struct Erasing<'a> {
    config: &'a Config,
    store: &'a Store,
    index: &'a Index,
}

/// Erases `ids` and every recording where `number` took part (here or,
/// kept only in the bucket, in the index), after finishing what an
/// earlier run left.  Returns the lines to print, or every failure.
pub async fn run(
    config: &Config,
    ids: &[String],
    number: Option<&str>,
    reason: Option<&str>,
) -> Result<Vec<String>, String> {
    let bucket = config.bucket.as_ref().ok_or("no [storage] url")?;
    let store = Store::connect(bucket);
    let index = Index::open(&config.index).await?;
    let e = Erasing {
        config,
        store: &store,
        index: &index,
    };
    let spool = &config.spool;
    let mut said = Vec::new();
    let mut failed = Vec::new();
    let open = erase::unfinished(spool)?;
    for intent in &open {
        let asked = Asked::of(intent);
        match e.one(&intent.id, &asked, Some(intent)).await {
            Ok(t) => said.push(format!(
                "erased {} (finished what entry {} intended; tombstone: entry {})",
                intent.id, intent.seq, t.seq
            )),
            Err(err) => failed.push(err),
        }
    }
    let mut todo: Vec<String> = ids.to_vec();
    if let Some(n) = number {
        todo.extend(
            erase::recordings_of(spool, n)
                .into_iter()
                .map(|(_, sc)| sc.id),
        );
        todo.extend(index.of_number(&config.pbx_name, n).await?);
    }
    todo.sort();
    todo.dedup();
    todo.retain(|id| !open.iter().any(|i| &i.id == id));
    if !todo.is_empty() {
        let reason = reason
            .filter(|r| !r.trim().is_empty())
            .ok_or("an erasure needs --reason")?;
        let asked = Asked {
            reason: reason.into(),
            by: legrec::admin::evidence::unix_user(),
            objects: Vec::new(),
        };
        for id in &todo {
            match e.one(id, &asked, None).await {
                Ok(t) => said.push(format!("erased {id} (tombstone: entry {})", t.seq)),
                Err(err) => failed.push(err),
            }
        }
    } else if open.is_empty() && (ids.is_empty() || number.is_some()) {
        return Err(match number {
            Some(n) => format!("no recording of {n} to erase"),
            None => "legrec erase ID...|--number N --reason TEXT: nothing to erase".into(),
        });
    }
    if failed.is_empty() {
        Ok(said)
    } else {
        for s in &said {
            println!("{s}");
        }
        Err(failed.join("; "))
    }
}

impl Erasing<'_> {
    /// Erase one recording, or finish its erasure from `intent`.
    async fn one(&self, id: &str, asked: &Asked, intent: Option<&Entry>) -> Result<Entry, String> {
        let spool = &self.config.spool;
        let Some(shipped) = state::read(spool, id) else {
            return self.unshipped(id, asked, intent).await;
        };
        let (path, bytes) = self.sidecar(id, &shipped).await?;
        let sc: Sidecar =
            serde_json::from_slice(&bytes).map_err(|e| format!("{id}: its sidecar: {e}"))?;
        if sc.status == TOMBSTONE && intent.is_none() {
            return Err(format!("{id}: erased already"));
        }
        erase::refuse_if_held(spool, &sc).map_err(|e| match intent {
            Some(i) => format!("{e} (its erasure, entry {}, waits for the release)", i.seq),
            None => e,
        })?;
        let audio: Vec<String> = shipped
            .objects
            .iter()
            .filter(|(name, _)| name.as_str() != "sidecar")
            .map(|(_, key)| key.clone())
            .collect();
        let fresh;
        let (intent, asked) = match intent {
            Some(i) => (i, asked),
            None => {
                let a = Asked {
                    objects: audio.clone(),
                    ..asked.clone()
                };
                fresh = (erase::intend(spool, &path, &sc, &bytes, &a)?, a);
                (&fresh.0, &fresh.1)
            }
        };
        self.carry_out(id, &path, &sc, asked, intent, &shipped, &audio)
            .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn carry_out(
        &self,
        id: &str,
        path: &Path,
        sc: &Sidecar,
        asked: &Asked,
        intent: &Entry,
        shipped: &Shipped,
        audio: &[String],
    ) -> Result<Entry, String> {
        let spool = &self.config.spool;
        let unfinished = |e: String| {
            format!(
                "{id}: {e}; its erasure is chained (entry {}) and the next `legrec erase --config FILE` finishes it",
                intent.seq
            )
        };
        // The intent's list: a run cut short after the ship state lost
        // them still deletes (again) every object it named.
        let keys: std::collections::BTreeSet<&String> = asked.objects.iter().chain(audio).collect();
        for key in keys {
            match self.store.delete(key).await {
                Ok(()) => {}
                Err(e) if e.trouble == Trouble::NotFound => {}
                Err(e) => return Err(unfinished(e.advice())),
            }
        }
        erase::remove_audio(path, sc).map_err(&unfinished)?;
        let (scrubbed, json) = erase::write_scrubbed(path, sc, asked).map_err(&unfinished)?;
        let key = shipped
            .objects
            .get("sidecar")
            .cloned()
            .unwrap_or_else(|| self.store.key(&super::recording::relative(spool, path)));
        self.store
            .put_file(
                &key,
                path,
                &self.config.pbx_name,
                self.config.multipart_bytes,
                &|_| {},
            )
            .await
            .map_err(|e| unfinished(e.advice()))?;
        let s = Shipped {
            objects: [("sidecar".to_string(), key)].into_iter().collect(),
            ..shipped.clone()
        };
        let mut facts = Facts::of(&self.config.pbx_name, &json, "spool").map_err(&unfinished)?;
        s.apply_to(&mut facts);
        self.index.put(&facts).await.map_err(&unfinished)?;
        state::write(spool, id, &s).map_err(|e| unfinished(e.to_string()))?;
        erase::tombstone(spool, path, &scrubbed, &json, asked, intent)
    }

    /// A recording never shipped: the spool's erasure, then the index
    /// keeps its scrubbed sidecar.
    async fn unshipped(
        &self,
        id: &str,
        asked: &Asked,
        intent: Option<&Entry>,
    ) -> Result<Entry, String> {
        let spool = &self.config.spool;
        let entry = match intent {
            None => erase::erase(spool, id, &asked.reason)?,
            Some(i) => {
                let path = layout::find_recording(spool, id)
                    .filter(|p| layout::is_sidecar(p))
                    .ok_or_else(|| {
                        format!(
                            "{id}: entry {} intended its erasure, but its sidecar is gone",
                            i.seq
                        )
                    })?;
                let sc = legrec::admin::read_sidecar(&path)?;
                erase::refuse_if_held(spool, &sc)?;
                erase::remove_audio(&path, &sc)?;
                let (scrubbed, json) = erase::write_scrubbed(&path, &sc, asked)?;
                erase::tombstone(spool, &path, &scrubbed, &json, asked, i)?
            }
        };
        if let Some(path) = layout::find_recording(spool, id) {
            let json = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let facts = Facts::of(&self.config.pbx_name, &json, "spool")?;
            self.index.put(&facts).await?;
        }
        Ok(entry)
    }

    /// The recording's sidecar: the spool's copy, or the bucket's once
    /// keep_local_days removed that (then written back where it was).
    async fn sidecar(&self, id: &str, s: &Shipped) -> Result<(PathBuf, Vec<u8>), String> {
        let spool = &self.config.spool;
        if let Some(p) = layout::find_recording(spool, id).filter(|p| layout::is_sidecar(p)) {
            let bytes = std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()))?;
            return Ok((p, bytes));
        }
        let key = s
            .objects
            .get("sidecar")
            .ok_or_else(|| format!("{id}: no sidecar object in its ship state"))?;
        let (_, bytes) = self
            .store
            .get_all(key)
            .await
            .map_err(|e| format!("{id}: {} (nothing was erased)", e.advice()))?;
        Ok((spool.join(self.store.relative(key)), bytes))
    }
}
