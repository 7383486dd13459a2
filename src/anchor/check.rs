//! What `legrec verify` checks of the anchors: every token's signature
//! and certificate chain (against the CA the admin trusts), that each
//! stamps the hash its entry has in the chain now (so the history up to
//! it is the history that was stamped), that no token stamps an entry
//! past the chain's end (a cut tail), and, when anchoring is configured,
//! that no stretch of the chain went unanchored longer than the interval
//! allows (anchors removed).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use x509_cert::Certificate;

use super::config::DAILY;
use super::{note_of, token, ANCHORED};
use crate::audit::Entry;
use crate::spool::layout;

/// Whom `legrec verify` trusts for the tokens.
pub struct Trust {
    pub cas: Vec<Certificate>,
    /// Where they came from, for the report.
    pub source: PathBuf,
    /// `[anchor] interval` when legrec.conf has one: anchors are then
    /// required, not just checked where present.
    pub interval: Option<Duration>,
}

impl Trust {
    pub fn from_file(ca: &Path, interval: Option<Duration>) -> Result<Trust, String> {
        let pem = std::fs::read(ca).map_err(|e| format!("{}: {e}", ca.display()))?;
        Ok(Trust {
            cas: token::read_cas(&pem).map_err(|e| format!("{}: {e}", ca.display()))?,
            source: ca.to_path_buf(),
            interval,
        })
    }
}

/// What was found: problems (each names a seq), notes, anchors that hold.
#[derive(Debug, Default)]
pub struct Report {
    pub problems: Vec<String>,
    pub notes: Vec<String>,
    pub anchors: usize,
    /// The last entry a good token fixes.
    pub proven_to: u64,
}

/// A token checked and what it stamps.
struct Token {
    file: String,
    seq: u64,
    stamp: Result<token::Stamp, String>,
}

/// Check the anchors of the chain `entries` (verified as a chain already)
/// kept under `spool`.  `trust` None: the spool's own copy of the CA is
/// used, and the report says so.
pub fn check(spool: &Path, entries: &[Entry], trust: Option<&Trust>, now: SystemTime) -> Report {
    let mut r = Report::default();
    let tokens = token_files(spool);
    let anchored: Vec<&Entry> = entries.iter().filter(|e| e.event == ANCHORED).collect();
    if tokens.is_empty() && anchored.is_empty() {
        if let Some(interval) = trust.and_then(|t| t.interval) {
            coverage(entries, &[], interval, now, &mut r);
        }
        return r;
    }
    let own;
    let trust = match trust {
        Some(t) => t,
        None => match Trust::from_file(&layout::anchor_ca(spool), None) {
            Ok(t) => {
                r.notes.push(format!(
                    "tokens checked against the spool's own copy of the TSA's CA ({}): give --config (or --tsa-ca) to check against the CA you trust",
                    t.source.display()
                ));
                own = t;
                &own
            }
            Err(e) => {
                r.problems
                    .push(format!("no CA to check the anchors' tokens against: {e}"));
                return r;
            }
        },
    };
    let checked: Vec<Token> = tokens
        .iter()
        .map(|(seq, path)| Token {
            file: path
                .strip_prefix(spool)
                .unwrap_or(path)
                .display()
                .to_string(),
            seq: *seq,
            stamp: std::fs::read(path)
                .map_err(|e| e.to_string())
                .and_then(|b| token::check(&b, &trust.cas, None)),
        })
        .collect();
    // Every anchored entry's token is there, unchanged.
    for e in &anchored {
        let Some(f) = e.files.first() else {
            r.problems
                .push(format!("entry {}: an anchor without its token", e.seq));
            continue;
        };
        match crate::spool::digest::hash_file(&spool.join(&f.file)) {
            Err(_) => r.problems.push(format!(
                "entry {}: the anchor's token {} is missing (anchors removed?)",
                e.seq, f.file
            )),
            Ok((sha, _)) if sha != f.sha256 => r.problems.push(format!(
                "entry {}: the anchor's token {} changed since it was chained",
                e.seq, f.file
            )),
            Ok(_) => {}
        }
        if note_of(e).is_none() {
            r.problems.push(format!(
                "entry {}: an anchor whose note does not parse",
                e.seq
            ));
        }
    }
    // Every token against the chain as it is now.
    let mut good: Vec<(u64, SystemTime)> = Vec::new();
    for t in &checked {
        let stamp = match &t.stamp {
            Ok(s) => s,
            Err(e) => {
                r.problems
                    .push(format!("{} (entry {}): {e}", t.file, t.seq));
                continue;
            }
        };
        let since = good.last().map_or(1, |(s, _)| s + 1);
        if let Some(p) = unlike(&t.file, t.seq, stamp, entries, since) {
            r.problems.push(p);
            continue;
        }
        let when = humantime::parse_rfc3339_weak(&stamp.time).unwrap_or(now);
        good.push((t.seq, when));
        r.anchors += 1;
        r.proven_to = r.proven_to.max(t.seq);
    }
    for e in &anchored {
        if let Some(n) = note_of(e) {
            if !tokens.contains_key(&n.seq)
                && !r
                    .problems
                    .iter()
                    .any(|p| p.contains(&format!("entry {}:", e.seq)))
            {
                r.problems.push(format!(
                    "entry {}: anchors entry {} but no token for it is in {}",
                    e.seq,
                    n.seq,
                    layout::anchors_dir(spool).display()
                ));
            }
        }
    }
    let interval = trust.interval.or_else(|| {
        anchored
            .last()
            .and_then(|e| note_of(e))
            .map(|n| Duration::from_secs(n.interval_s))
    });
    if let Some(interval) = interval {
        coverage(entries, &good, interval, now, &mut r);
    }
    r
}

/// How the chain `entries` differs from what token `file` stamped (entry
/// `seq`), naming the seq; None when it stamps that entry as it is now.
/// `since`: the first entry no earlier token fixes.
fn unlike(
    file: &str,
    seq: u64,
    stamp: &token::Stamp,
    entries: &[Entry],
    since: u64,
) -> Option<String> {
    let Some(entry) = entries.get((seq as usize).wrapping_sub(1)) else {
        return Some(format!(
            "{file} stamps entry {seq} (at {}), but the chain ends at entry {}: its tail was cut",
            stamp.time,
            entries.len()
        ));
    };
    (entry.hash != stamp.imprint).then(|| {
        format!(
            "entry {seq} is not what the TSA stamped at {} ({file}): the history from entry {since} to entry {seq} was rewritten",
            stamp.time
        )
    })
}

/// A copy of a token kept away from the spool (the bucket's, named
/// `file`) against the chain `entries` as it is now: None when it checks
/// and stamps entry `seq` as the chain has it, else the problem naming
/// the seq.  Catches a chain rewritten or cut behind an anchor whose
/// token and entry were removed from the spool.
pub fn kept_elsewhere(
    file: &str,
    seq: u64,
    bytes: &[u8],
    trust: &Trust,
    entries: &[Entry],
) -> Option<String> {
    match token::check(bytes, &trust.cas, None) {
        Err(e) => Some(format!("{file} (entry {seq}): {e}")),
        Ok(stamp) => unlike(file, seq, &stamp, entries, 1),
    }
}

/// Every entry is stamped within two intervals of being written (the
/// loop checks once per interval) or is younger than that.  Entries
/// written before the first anchor are proven only from it on: a note.
fn coverage(
    entries: &[Entry],
    good: &[(u64, SystemTime)],
    interval: Duration,
    now: SystemTime,
    r: &mut Report,
) {
    let allowed = interval * 2 + Duration::from_secs(60);
    let first = good.iter().map(|(s, _)| *s).min();
    let mut anchors: Vec<(u64, SystemTime)> = good.to_vec();
    anchors.sort();
    for e in entries {
        let Ok(at) = humantime::parse_rfc3339_weak(&e.at) else {
            continue;
        };
        if first.is_some_and(|f| e.seq <= f) {
            continue;
        }
        // An anchor entry is stamped by the next anchor, which comes when
        // the chain grows or a day later: only a last one older than that
        // says anchoring stopped (or the tail after it was cut).
        if e.event == ANCHORED {
            let last = e.seq == entries.len() as u64;
            if last && now > at + DAILY + allowed {
                r.problems.push(format!(
                    "the chain's last entry is an anchor written {}, more than a day ago: legrec anchor stopped, or entries after it were cut",
                    e.at
                ));
            }
            continue;
        }
        // The first anchor fixing this entry.
        match anchors.iter().find(|(s, _)| *s >= e.seq) {
            Some((s, when)) if *when > at + allowed => {
                r.problems.push(format!(
                    "entry {} (written {}) was first anchored at {} (the token of entry {s}): more than twice the interval ({}) without an anchor, so anchors were removed or legrec anchor was not running",
                    e.seq,
                    e.at,
                    humantime::format_rfc3339_seconds(*when),
                    humantime::format_duration(interval)
                ));
                return;
            }
            Some(_) => {}
            None if now > at + allowed => {
                r.problems.push(format!(
                    "entries from {} (written {}) have no anchor, for more than twice the interval ({}): anchors removed, or legrec anchor is not running",
                    e.seq,
                    e.at,
                    humantime::format_duration(interval)
                ));
                return;
            }
            None => return,
        }
    }
    if let Some(first) = first.filter(|f| *f > 1) {
        r.notes.push(format!(
            "entries 1 to {first} were written before the first anchor: the TSA fixes them only from its token on"
        ));
    }
}

/// The token files under the spool's anchors folder, by the seq they
/// stamp.
fn token_files(spool: &Path) -> BTreeMap<u64, PathBuf> {
    std::fs::read_dir(layout::anchors_dir(spool))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter_map(|p| Some((layout::anchor_seq(&p)?, p)))
        .collect()
}

/// The access trail (`access.jsonl`, its own chain) against the heads the
/// audit chain recorded before each anchor: each must still be there, so
/// a trail rewritten or cut before the last anchor is named.  Returns
/// problems, and the trail's entries checked.
pub fn trail(spool: &Path, entries: &[Entry]) -> (Vec<String>, usize) {
    let log = layout::access_log(spool);
    let heads: Vec<(u64, super::TrailHead)> = entries
        .iter()
        .filter(|e| e.event == super::TRAIL)
        .filter_map(|e| Some((e.seq, serde_json::from_str(&e.note).ok()?)))
        .collect();
    if !log.exists() && heads.is_empty() {
        return (Vec::new(), 0);
    }
    let trail = match crate::audit::verify_chain(&log) {
        Ok(t) => t,
        Err(b) => {
            return (
                vec![format!("{} line {}: {}", log.display(), b.line, b.what)],
                0,
            )
        }
    };
    let mut problems = Vec::new();
    for (seq, h) in heads {
        match trail.get((h.seq as usize).wrapping_sub(1)) {
            Some(t) if t.hash == h.hash => {}
            Some(_) => problems.push(format!(
                "entry {seq} recorded access trail entry {} as {}; the access trail's entry {} is no longer that: the trail was rewritten up to there",
                h.seq, h.hash, h.seq
            )),
            None => problems.push(format!(
                "entry {seq} recorded access trail entry {}, but the access trail ends at entry {}: its tail was cut",
                h.seq,
                trail.len()
            )),
        }
    }
    (problems, trail.len())
}
