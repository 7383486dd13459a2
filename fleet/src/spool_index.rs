//! Feeding the index from a spool: every finished recording's sidecar (a
//! recording still being made has only its marker, and is left for later).

use std::path::Path;

use legrec::spool::layout;

use crate::index::{Facts, Index};

pub struct Tally {
    pub indexed: usize,
    pub failed: Vec<String>,
}

/// Puts every sidecar under `spool` into the index as `pbx`'s.
pub async fn index_spool(index: &Index, spool: &Path, pbx: &str) -> Tally {
    let mut tally = Tally {
        indexed: 0,
        failed: Vec::new(),
    };
    for path in layout::sidecars(spool) {
        let facts = std::fs::read(&path)
            .map_err(|e| e.to_string())
            .and_then(|bytes| Facts::of(pbx, &bytes, "spool"));
        let result = match facts {
            Ok(mut f) => {
                crate::shipper::state::apply(spool, &mut f);
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
