//! Feeding the index from a spool: every finished recording's sidecar (a
//! recording still being made has only its marker, and is left for later).
//! `legrec index` reads the whole spool; `legrec serve` does so at start
//! and then reads only the sidecars the audit chain says were written.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use legrec::spool::layout;

use crate::index::{Facts, Index};

#[derive(Debug, Default)]
pub struct Tally {
    /// Written now, new or changed.
    pub indexed: usize,
    /// Already in the index as they are.
    pub unchanged: usize,
    pub failed: Vec<String>,
}

impl Tally {
    pub fn add(&mut self, other: Tally) {
        self.indexed += other.indexed;
        self.unchanged += other.unchanged;
        self.failed.extend(other.failed);
    }
}

/// Each recording id the index holds, with its sidecar's SHA-256 and
/// location (`Index::known`).
pub type Known = HashMap<String, (String, String)>;

/// Puts every sidecar under `spool` into the index as `pbx`'s, skipping
/// those it holds already as they are (so a timer can run this often on a
/// large spool).
pub async fn index_spool(index: &Index, spool: &Path, pbx: &str) -> Tally {
    match index.known(pbx).await {
        Ok(known) => index_sidecars(index, spool, pbx, &layout::sidecars(spool), &known).await,
        Err(e) => Tally {
            failed: vec![e],
            ..Tally::default()
        },
    }
}

/// Puts these sidecars of `spool` into the index as `pbx`'s, skipping
/// those `known` holds as they are.
pub async fn index_sidecars(
    index: &Index,
    spool: &Path,
    pbx: &str,
    sidecars: &[PathBuf],
    known: &Known,
) -> Tally {
    let mut tally = Tally::default();
    for path in sidecars {
        let facts = std::fs::read(path)
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
