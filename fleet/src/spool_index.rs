//! Feeding the index from a spool: every finished recording's sidecar (a
//! recording still being made has only its marker, and is left for later).

use std::path::Path;

use legrec::spool::layout;

use crate::index::{Facts, Index};

pub struct Tally {
    /// Written now, new or changed.
    pub indexed: usize,
    /// Already in the index as they are.
    pub unchanged: usize,
    pub failed: Vec<String>,
}

/// Puts every sidecar under `spool` into the index as `pbx`'s, skipping
/// those it holds already as they are (so a timer can run this often on a
/// large spool).
pub async fn index_spool(index: &Index, spool: &Path, pbx: &str) -> Tally {
    let mut tally = Tally {
        indexed: 0,
        unchanged: 0,
        failed: Vec::new(),
    };
    let known = match index.known(pbx).await {
        Ok(k) => k,
        Err(e) => {
            tally.failed.push(e);
            return tally;
        }
    };
    for path in layout::sidecars(spool) {
        let facts = std::fs::read(&path)
            .map_err(|e| e.to_string())
            .and_then(|bytes| Facts::of(pbx, &bytes, "spool"));
        let result = match facts {
            Ok(mut f) => {
                crate::shipper::state::apply(spool, &mut f);
                let same = known.get(&f.sidecar.id).is_some_and(|(sha, location)| {
                    sha == f.sidecar_sha256() && *location == f.location
                });
                if same {
                    tally.unchanged += 1;
                    continue;
                }
                index.put(&f).await
            }
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => tally.indexed += 1,
            Err(e) => tally.failed.push(format!("{}: {e}", path.display())),
        }
    }
    tally
}
