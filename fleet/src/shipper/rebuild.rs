//! `legrec index rebuild --from-bucket`: the index read again from the
//! sidecars in the bucket (a lost index database, a new PBX's search).

use std::collections::BTreeSet;

use legrec::spool::layout;

use super::store::Store;
use crate::index::{Facts, Index};

/// Returns how many recordings were indexed.  `pbx` names recordings whose
/// objects do not say which PBX shipped them.
pub async fn from_bucket(store: &Store, index: &Index, pbx: &str) -> Result<usize, String> {
    let keys: Vec<String> = store
        .list()
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter(|k| layout::is_sidecar(std::path::Path::new(k)))
        .collect();
    let mut found = Vec::new();
    for key in keys {
        let (shipped_by, bytes) = store.get_all(&key).await.map_err(|e| e.to_string())?;
        let who = shipped_by.unwrap_or_else(|| pbx.to_string());
        let mut facts = Facts::of(&who, &bytes, &format!("s3://{}", store.bucket))
            .map_err(|e| format!("{key}: {e}"))?;
        let dir = key.rsplit_once('/').map_or("", |(d, _)| d);
        for f in &mut facts.files {
            f.object = Some(if dir.is_empty() {
                f.file.clone()
            } else {
                format!("{dir}/{}", f.file)
            });
        }
        found.push(facts);
    }
    let pbxs: BTreeSet<&str> = found.iter().map(|f| f.pbx.as_str()).collect();
    for p in pbxs {
        index.clear(p).await?;
    }
    for f in &found {
        index.put(f).await?;
    }
    Ok(found.len())
}
