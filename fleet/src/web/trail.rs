//! The access trail: every playback, download and export is an entry of
//! the spool's access chain (`access.jsonl`), hash-chained as the audit
//! chain is and under its own lock, so the browser's appends never queue
//! the PBX's; `legrec anchor` records its head in the audit chain before
//! each anchor, so `legrec verify` proves both.  Such an entry hashes no
//! files (the recording's own entry has them): the listener, their role,
//! what they took and from where are its note, as JSON.

use std::path::Path;

use legrec::audit::{self, Entry};
use legrec::spool::layout;
use serde::{Deserialize, Serialize};

/// The events of the access trail, as the chain spells them.
pub const EVENTS: [&str; 3] = ["played", "downloaded", "exported"];

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Access {
    pub user: String,
    pub role: String,
    /// `in`, `out`, `stereo`, `in+out` (both legs played together) or
    /// `evidence`.
    pub what: String,
    pub client: String,
    /// The PBX that made the recording (a fleet's browser serves many).
    pub pbx: String,
}

/// One entry of the trail as pages and the API show it.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Seen {
    pub seq: u64,
    pub at: String,
    pub event: String,
    pub id: String,
    #[serde(flatten)]
    pub access: Access,
}

pub fn append(
    spool: &Path,
    event: &str,
    id: &str,
    policy: &str,
    access: &Access,
) -> std::io::Result<Entry> {
    debug_assert!(EVENTS.contains(&event));
    let note = serde_json::to_string(access).expect("access serializes");
    audit::append(
        &layout::access_log(spool),
        Entry::new(event, id, policy, Vec::new(), &note),
        0o640,
    )
}

/// The access an entry records, if it is one.
pub fn seen(e: &Entry) -> Option<Seen> {
    if !EVENTS.contains(&e.event.as_str()) {
        return None;
    }
    Some(Seen {
        seq: e.seq,
        at: e.at.clone(),
        event: e.event.clone(),
        id: e.id.clone(),
        access: serde_json::from_str(&e.note).ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::io::AsRawFd;
    use std::time::{Duration, Instant};

    /// Whoever holds one chain's lock (an append waiting on a slow disk)
    /// holds up nobody on the other: the PBX's appends never queue behind
    /// the browser's, nor the browser's behind the PBX's.
    #[test]
    fn the_browser_and_the_pbx_append_under_different_locks() {
        let d = tempfile::tempdir().unwrap();
        let a = Access {
            user: "alice".into(),
            role: "agent".into(),
            what: "in".into(),
            client: "127.0.0.1".into(),
            pbx: "pbx-a".into(),
        };
        let audit_log = layout::audit_log(d.path());
        append(d.path(), "played", "r1", "p", &a).unwrap();
        audit::append(
            &audit_log,
            Entry::new("recorded", "r1", "p", vec![], ""),
            0o640,
        )
        .unwrap();
        for (held, other) in [
            (layout::access_log(d.path()), "pbx"),
            (audit_log.clone(), "browser"),
        ] {
            let f = std::fs::File::open(&held).unwrap();
            assert_eq!(unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) }, 0);
            let t = Instant::now();
            if other == "pbx" {
                audit::append(
                    &audit_log,
                    Entry::new("recorded", "r2", "p", vec![], ""),
                    0o640,
                )
                .unwrap();
            } else {
                append(d.path(), "played", "r2", "p", &a).unwrap();
            }
            assert!(t.elapsed() < Duration::from_secs(2), "{other} waited");
            drop(f);
        }
        assert_eq!(audit::verify_chain(&audit_log).unwrap().len(), 2);
        assert_eq!(
            audit::verify_chain(&layout::access_log(d.path()))
                .unwrap()
                .len(),
            2
        );
    }

    #[test]
    fn accesses_join_the_chain_and_read_back() {
        let d = tempfile::tempdir().unwrap();
        let a = Access {
            user: "alice".into(),
            role: "agent".into(),
            what: "stereo".into(),
            client: "127.0.0.1".into(),
            pbx: "pbx-a".into(),
        };
        append(d.path(), "played", "20261128-084831-368-bea10000", "p", &a).unwrap();
        append(
            d.path(),
            "downloaded",
            "20261128-084831-368-bea10001",
            "p",
            &a,
        )
        .unwrap();
        let chain = audit::verify_chain(&layout::access_log(d.path())).unwrap();
        assert_eq!(chain.len(), 2);
        assert_eq!(seen(&chain[1]).unwrap().event, "downloaded");
        assert_eq!(seen(&chain[0]).unwrap().access, a);
    }
}
