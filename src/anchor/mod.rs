//! Anchoring the audit chain with RFC 3161 time stamps.  A hash chain
//! kept by the party it speaks against proves nothing on its own: whoever
//! can write the spool can rewrite it consistently.  `legrec anchor` (a
//! process beside the PBX, never the PBX's threads) has a Time-Stamp
//! Authority sign the hash of the chain's head entry; the token, kept in
//! `<spool>/.anchors/`, fixes everything up to that entry at that time,
//! and the anchor itself is chained (`anchored`: which entry, its hash,
//! the token's file and hash).  `legrec verify` checks every token (see
//! check.rs).

pub mod check;
pub mod config;
pub mod token;
pub mod tsa;

use std::path::Path;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::audit::{self, Entry, FileHash};
use crate::spool::layout;
use config::{AnchorConfig, DAILY};

/// The chain's event for an anchor.
pub const ANCHORED: &str = "anchored";

/// The audit chain's event recording the access trail's head (its own
/// chain, `access.jsonl`), appended just before an anchor so the token
/// fixes both.
pub const TRAIL: &str = "trail";

/// What a `trail` entry's note holds: the access trail's last entry.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TrailHead {
    pub seq: u64,
    pub hash: String,
}

/// What an `anchored` entry's note holds.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct AnchorNote {
    /// The entry stamped, and its hash (the token's imprint).
    pub seq: u64,
    pub head: String,
    pub tsa: String,
    /// When, as the TSA's token says.
    pub time: String,
    /// `[anchor] interval` then: verify expects an anchor at least this
    /// often while the chain grows.
    pub interval_s: u64,
    /// The access trail's head hash this anchor fixes, if there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trail: Option<String>,
}

pub fn note_of(e: &Entry) -> Option<AnchorNote> {
    (e.event == ANCHORED)
        .then(|| serde_json::from_str(&e.note).ok())
        .flatten()
}

/// Is an anchor due: the chain grew since its last anchor, or its last
/// anchor is a day old.
pub fn due(head: &Entry, now: SystemTime) -> bool {
    if head.event != ANCHORED {
        return true;
    }
    humantime::parse_rfc3339_weak(&head.at)
        .ok()
        .and_then(|at| now.duration_since(at).ok())
        .is_none_or(|age| age >= DAILY)
}

/// The SHA-256 an entry's hash is, as bytes.
pub fn digest_of(e: &Entry) -> Result<[u8; 32], String> {
    let bytes: Vec<u8> = (0..e.hash.len())
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(e.hash.get(i..i + 2)?, 16).ok())
        .collect();
    bytes
        .try_into()
        .map_err(|_| format!("entry {}: its hash is not a SHA-256", e.seq))
}

/// What one anchoring did.
#[derive(Debug)]
pub enum Anchored {
    /// Nothing appended since the last anchor (less than a day ago), or
    /// no chain yet.
    NotDue,
    Done {
        /// The `anchored` entry's seq.
        chained: u64,
        note: AnchorNote,
    },
}

/// Anchor the chain's head now if due (`force`: whatever the head).  A
/// TSA that is down or answers something that does not check leaves the
/// chain as it was and returns the error.
pub fn anchor_once(cfg: &AnchorConfig, force: bool) -> Result<Anchored, String> {
    let log = layout::audit_log(&cfg.spool);
    let read = |p: &Path| audit::head(p).map_err(|e| format!("{}: {e}", p.display()));
    let head = read(&log)?;
    let trail = read(&layout::access_log(&cfg.spool))?;
    // The trail's head as the last anchor fixed it (when that anchor is
    // still the chain's head: otherwise the chain grew anyway).
    let fixed = head.as_ref().and_then(note_of).and_then(|n| n.trail);
    let trail_grew = trail
        .as_ref()
        .is_some_and(|t| Some(&t.hash) != fixed.as_ref());
    let due = match &head {
        None => trail.is_some(),
        Some(h) => force || trail_grew || due(h, SystemTime::now()),
    };
    if !due {
        return Ok(Anchored::NotDue);
    }
    if let Some(t) = trail.as_ref().filter(|_| trail_grew) {
        let note = TrailHead {
            seq: t.seq,
            hash: t.hash.clone(),
        };
        audit::append(
            &log,
            Entry::new(
                TRAIL,
                "",
                "",
                Vec::new(),
                &serde_json::to_string(&note).expect("note serializes"),
            ),
            0o640,
        )
        .map_err(|e| format!("audit log: {e}"))?;
    }
    let Some(head) = read(&log)? else {
        return Ok(Anchored::NotDue);
    };
    let digest = digest_of(&head)?;
    let ca =
        std::fs::read(&cfg.tsa_ca).map_err(|e| format!("tsa_ca {}: {e}", cfg.tsa_ca.display()))?;
    let cas = token::read_cas(&ca).map_err(|e| format!("tsa_ca {}: {e}", cfg.tsa_ca.display()))?;
    let (request, nonce) = tsa::request(&digest)?;
    let answer = tsa::ask(&cfg.tsa_url, &request)?;
    let stamp = token::check(&answer, &cas, Some(&nonce))
        .map_err(|e| format!("TSA {}: {e}; nothing chained", cfg.tsa_url))?;
    if stamp.imprint != head.hash {
        return Err(format!(
            "TSA {} stamped {} where {} was asked; nothing chained",
            cfg.tsa_url, stamp.imprint, head.hash
        ));
    }
    let dir = layout::anchors_dir(&cfg.spool);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let copy = layout::anchor_ca(&cfg.spool);
    if std::fs::read(&copy).ok().as_deref() != Some(&ca[..]) {
        crate::spool::files::write_atomic(&copy, &ca, 0o644)
            .map_err(|e| format!("{}: {e}", copy.display()))?;
    }
    let file = layout::anchor_token(&cfg.spool, head.seq);
    crate::spool::files::write_atomic(&file, &answer, 0o644)
        .map_err(|e| format!("{}: {e}", file.display()))?;
    let note = AnchorNote {
        seq: head.seq,
        head: head.hash.clone(),
        tsa: cfg.tsa_url.clone(),
        time: stamp.time,
        interval_s: cfg.interval.as_secs(),
        trail: trail.map(|t| t.hash),
    };
    let files = vec![FileHash {
        file: file
            .strip_prefix(&cfg.spool)
            .unwrap_or(&file)
            .display()
            .to_string(),
        sha256: crate::hex(&<sha2::Sha256 as sha2::Digest>::digest(&answer)),
    }];
    let entry = audit::append(
        &log,
        Entry::new(
            ANCHORED,
            "",
            "",
            files,
            &serde_json::to_string(&note).expect("note serializes"),
        ),
        0o640,
    )
    .map_err(|e| format!("audit log: {e}"))?;
    Ok(Anchored::Done {
        chained: entry.seq,
        note,
    })
}

/// `legrec anchor` without `--once`: anchor whenever due, checking every
/// `interval`; a failure is retried a minute later (or at the interval,
/// if shorter) and never touches the PBX, which goes on recording.
pub fn run_forever(cfg: &AnchorConfig, out: &mut dyn std::io::Write) -> ! {
    let retry = cfg.interval.min(Duration::from_secs(60));
    loop {
        let wait = match anchor_once(cfg, false) {
            Ok(a) => {
                report(&a, out);
                cfg.interval
            }
            Err(e) => {
                let _ = writeln!(out, "legrec anchor: {e} (retrying in {}s)", retry.as_secs());
                retry
            }
        };
        std::thread::sleep(wait);
    }
}

pub fn report(a: &Anchored, out: &mut dyn std::io::Write) {
    match a {
        Anchored::NotDue => {
            let _ = writeln!(out, "nothing new to anchor");
        }
        Anchored::Done { chained, note } => {
            let _ = writeln!(
                out,
                "anchored entry {} at {} ({}), chained as entry {}",
                note.seq, note.time, note.tsa, chained
            );
        }
    }
}

/// Is `path` a token file of the anchors folder.
pub fn is_token(path: &Path) -> bool {
    layout::anchor_seq(path).is_some()
}
