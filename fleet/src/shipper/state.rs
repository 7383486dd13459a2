//! What the shipper knows of one recording, in `<spool>/.ship/<id>.shipped`:
//! written once every object is verified in the bucket and the chain says
//! "shipped" (`audited`; older states may lack it).  A recording without
//! it is (re)shipped; the object keys are fixed by the recording, so shipping
//! again after a crash overwrites the same objects and never adds one.

use std::collections::BTreeMap;
use std::path::Path;

use legrec::spool::{files, layout};
use serde::{Deserialize, Serialize};

use crate::index::Facts;

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Shipped {
    pub bucket: String,
    /// File name (`in`, `out`, `stereo`, `sidecar`) to object key.
    pub objects: BTreeMap<String, String>,
    pub verified_at: String,
    /// The audit chain has the "shipped" entry.
    pub audited: bool,
    /// The local files were removed (keep_local_days).
    #[serde(default)]
    pub local_removed: bool,
    #[serde(default)]
    pub policy: String,
    /// When `legrec prune` deletes it everywhere (retention_days after it
    /// ended); None: kept for ever.
    #[serde(default)]
    pub keep_until: Option<String>,
}

pub fn read(spool: &Path, id: &str) -> Option<Shipped> {
    let bytes = std::fs::read(layout::ship_state(spool, id)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Written whole (a new file renamed over the old) but not synced: the
/// chain, synced, has the last word, and a state lost with the power is
/// written again from it (`Ship::recording`'s `chained`).
pub fn write(spool: &Path, id: &str, s: &Shipped) -> std::io::Result<()> {
    files::create_dirs(&layout::ship_dir(spool), 0o750)?;
    let bytes = serde_json::to_vec_pretty(s).expect("state serializes");
    let path = layout::ship_state(spool, id);
    let tmp = layout::ship_state_new(spool, id);
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, &path)
}

impl Shipped {
    /// Gives `facts` the object keys and location this state records.
    pub fn apply_to(&self, facts: &mut Facts) {
        for f in &mut facts.files {
            f.object = self.objects.get(&f.name).cloned();
        }
        facts.location = format!("s3://{}", self.bucket);
    }
}

/// Gives `facts` the object keys and location of a shipped recording.
pub fn apply(spool: &Path, facts: &mut Facts) {
    if let Some(s) = read(spool, &facts.sidecar.id) {
        s.apply_to(facts);
    }
}
