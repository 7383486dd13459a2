//! Legal holds.  A recording under hold survives every deletion path:
//! retention (`legrec prune`, in the spool, the bucket and the index),
//! `keep_local_days` (the shipper's removal of the spool's copy), and
//! erasure.  A hold names recordings by id, or by caller, or by queue and
//! a time span, and so also covers calls recorded after it was placed.
//!
//! Holds live in the audit chain, where nobody edits them unseen: placing
//! one chains a `hold` entry (its id in `id`; what it covers, who placed
//! it and why in the note), releasing it a `hold-released` entry (who and
//! why).  The holds in force are those placed and not yet released.

use std::path::Path;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::audit::{self, Entry};
use crate::sidecar::Sidecar;
use crate::spool::layout;

pub const PLACED: &str = "hold";
pub const RELEASED: &str = "hold-released";

/// What a hold covers, and who placed it and why.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Hold {
    /// Recordings by id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ids: Vec<String>,
    /// Every recording whose caller number is this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller: Option<String>,
    /// Every recording of this queue (within `from`..`to`, when given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    /// RFC 3339, or a day (YYYY-MM-DD: from its start, to its end).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    pub reason: String,
    /// The Unix user, or the browser's user.
    pub by: String,
}

/// What a release says.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Release {
    pub reason: String,
    pub by: String,
}

/// A hold in force.
#[derive(Clone, Debug, PartialEq)]
pub struct Active {
    /// Its id (the `hold` entry's `id`).
    pub name: String,
    pub at: String,
    pub seq: u64,
    pub hold: Hold,
}

/// A time a hold gives: RFC 3339, or a day's start (`end`: the next
/// day's start).
fn time(t: &str, end: bool) -> Result<SystemTime, String> {
    if t.len() == 10 {
        let start =
            humantime::parse_rfc3339(&format!("{t}T00:00:00Z")).map_err(|e| format!("{t}: {e}"))?;
        return Ok(if end {
            start + Duration::from_secs(86_400)
        } else {
            start
        });
    }
    humantime::parse_rfc3339_weak(t).map_err(|e| format!("{t}: {e} (RFC 3339 or YYYY-MM-DD)"))
}

impl Hold {
    /// A hold must name something, and say why.
    pub fn check(&self) -> Result<(), String> {
        if self.reason.trim().is_empty() {
            return Err("a hold needs --reason".into());
        }
        if self.ids.is_empty() && self.caller.is_none() && self.queue.is_none() {
            return Err("a hold names recordings: IDs, --caller N, or --queue Q".into());
        }
        if (self.from.is_some() || self.to.is_some())
            && self.queue.is_none()
            && self.caller.is_none()
        {
            return Err("--from and --to narrow a --caller or --queue hold".into());
        }
        for t in [&self.from, &self.to].into_iter().flatten() {
            time(t, false)?;
        }
        if let Some(id) = self.ids.iter().find(|i| i.is_empty() || i.contains('/')) {
            return Err(format!("'{id}' is not a recording id"));
        }
        Ok(())
    }

    /// Does this hold cover the recording of sidecar `sc`?
    pub fn covers(&self, sc: &Sidecar) -> bool {
        if self.ids.contains(&sc.id) {
            return true;
        }
        if self.caller.is_none() && self.queue.is_none() {
            return false;
        }
        if self.caller.as_ref().is_some_and(|c| *c != sc.caller.number)
            || self.queue.as_ref().is_some_and(|q| *q != sc.queue)
        {
            return false;
        }
        let Ok(started) = humantime::parse_rfc3339_weak(&sc.started_at) else {
            // A recording whose time does not parse is held rather than lost.
            return true;
        };
        let after = self
            .from
            .as_deref()
            .is_none_or(|f| time(f, false).is_ok_and(|f| started >= f));
        let before = self
            .to
            .as_deref()
            .is_none_or(|t| time(t, true).is_ok_and(|t| started < t));
        after && before
    }

    /// In words, for lists and logs.
    pub fn what(&self) -> String {
        let mut parts = Vec::new();
        if !self.ids.is_empty() {
            parts.push(self.ids.join(" "));
        }
        if let Some(c) = &self.caller {
            parts.push(format!("caller {c}"));
        }
        if let Some(q) = &self.queue {
            parts.push(format!("queue {q}"));
        }
        if let Some(f) = &self.from {
            parts.push(format!("from {f}"));
        }
        if let Some(t) = &self.to {
            parts.push(format!("to {t}"));
        }
        parts.join(", ")
    }
}

impl Active {
    /// Why a deletion path keeps a recording, for its log.
    pub fn why(&self) -> String {
        format!(
            "under legal hold {} (placed {} by {}: {})",
            self.name, self.at, self.hold.by, self.hold.reason
        )
    }
}

/// The holds in force in the spool's chain.  Read leniently: a broken
/// chain must not lift a hold.
pub fn active(spool: &Path) -> Result<Vec<Active>, String> {
    let log = layout::audit_log(spool);
    let entries = audit::entries_lenient(&log).map_err(|e| format!("{}: {e}", log.display()))?;
    let mut holds: Vec<Active> = Vec::new();
    for e in entries {
        match e.event.as_str() {
            PLACED => {
                if let Ok(hold) = serde_json::from_str(&e.note) {
                    holds.push(Active {
                        name: e.id,
                        at: e.at,
                        seq: e.seq,
                        hold,
                    });
                }
            }
            RELEASED => holds.retain(|h| h.name != e.id),
            _ => {}
        }
    }
    Ok(holds)
}

/// The first hold in force that covers `sc`.
pub fn holding<'a>(holds: &'a [Active], sc: &Sidecar) -> Option<&'a Active> {
    holds.iter().find(|h| h.hold.covers(sc))
}

/// Place a hold: chained, and in force from then on.
pub fn place(spool: &Path, hold: Hold) -> Result<Active, String> {
    hold.check()?;
    let name = format!("hold-{}", layout::new_id(SystemTime::now()));
    let note = serde_json::to_string(&hold).expect("hold serializes");
    let e = audit::append(
        &layout::audit_log(spool),
        Entry::new(PLACED, &name, "", Vec::new(), &note),
        0o640,
    )
    .map_err(|e| format!("audit log: {e}"))?;
    Ok(Active {
        name,
        at: e.at,
        seq: e.seq,
        hold,
    })
}

/// Release hold `name`: chained with who and why.
pub fn release(spool: &Path, name: &str, release: Release) -> Result<(), String> {
    if release.reason.trim().is_empty() {
        return Err("a release needs --reason".into());
    }
    if !active(spool)?.iter().any(|h| h.name == name) {
        return Err(format!("{name}: no such hold in force (legrec hold list)"));
    }
    let note = serde_json::to_string(&release).expect("release serializes");
    audit::append(
        &layout::audit_log(spool),
        Entry::new(RELEASED, name, "", Vec::new(), &note),
        0o640,
    )
    .map_err(|e| format!("audit log: {e}"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sc(id: &str, caller: &str, queue: &str, started: &str) -> Sidecar {
        let mut s = Sidecar {
            id: id.into(),
            queue: queue.into(),
            started_at: started.into(),
            ..Default::default()
        };
        s.caller.number = caller.into();
        s
    }

    #[test]
    fn a_hold_covers_by_id_caller_or_queue_and_time() {
        let a = sc("a", "5551001", "sales", "2026-12-01T10:00:00.000Z");
        let b = sc("b", "5551002", "support", "2026-12-03T10:00:00.000Z");
        let by_id = Hold {
            ids: vec!["a".into()],
            reason: "r".into(),
            ..Default::default()
        };
        assert!(by_id.covers(&a) && !by_id.covers(&b));
        let by_caller = Hold {
            caller: Some("5551002".into()),
            reason: "r".into(),
            ..Default::default()
        };
        assert!(!by_caller.covers(&a) && by_caller.covers(&b));
        let queue_days = Hold {
            queue: Some("sales".into()),
            from: Some("2026-11-30".into()),
            to: Some("2026-12-01".into()),
            reason: "r".into(),
            ..Default::default()
        };
        assert!(queue_days.covers(&a), "the 'to' day is included whole");
        assert!(!queue_days.covers(&b));
        let later = Hold {
            from: Some("2026-12-02T00:00:00Z".into()),
            ..queue_days.clone()
        };
        assert!(!later.covers(&a));
    }

    #[test]
    fn holds_are_checked_chained_and_released() {
        let d = tempfile::tempdir().unwrap();
        assert!(place(
            d.path(),
            Hold {
                reason: "r".into(),
                ..Default::default()
            }
        )
        .is_err());
        assert!(place(
            d.path(),
            Hold {
                ids: vec!["a".into()],
                ..Default::default()
            }
        )
        .is_err());
        let h = place(
            d.path(),
            Hold {
                ids: vec!["a".into()],
                reason: "case 42".into(),
                by: "alice".into(),
                ..Default::default()
            },
        )
        .unwrap();
        let a = sc("a", "1", "q", "2026-12-01T10:00:00.000Z");
        let holds = active(d.path()).unwrap();
        assert_eq!(holding(&holds, &a).unwrap().name, h.name);
        assert!(holding(&holds, &a)
            .unwrap()
            .why()
            .contains("by alice: case 42"));
        let r = Release {
            reason: "settled".into(),
            by: "bob".into(),
        };
        release(d.path(), &h.name, r.clone()).unwrap();
        assert!(active(d.path()).unwrap().is_empty());
        assert!(release(d.path(), &h.name, r).is_err(), "released once");
        let chain = audit::verify_chain(&layout::audit_log(d.path())).unwrap();
        assert_eq!(
            chain.iter().map(|e| e.event.as_str()).collect::<Vec<_>>(),
            [PLACED, RELEASED]
        );
    }
}
