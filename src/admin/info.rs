//! `legrec info ID|FILE`: what a recording is, in words.

use std::path::{Path, PathBuf};

use super::read_sidecar;
use crate::spool::layout::{self, RecordingPaths};

/// Find the sidecar for an id, a sidecar path or a FLAC path.
pub fn locate(what: &str, spool: &Path) -> Option<PathBuf> {
    let p = Path::new(what);
    if p.is_file() {
        if layout::is_sidecar(p) || layout::is_marker(p) {
            return Some(p.to_path_buf());
        }
        let rec = RecordingPaths::of_file(p)?;
        return [rec.sidecar(), rec.marker()]
            .into_iter()
            .find(|c| c.is_file());
    }
    layout::find_recording(spool, what)
}

pub fn run(what: &str, spool: &Path, out: &mut dyn std::io::Write) -> Result<(), String> {
    let path = locate(what, spool)
        .ok_or_else(|| format!("{what}: no recording found (spool {})", spool.display()))?;
    let sc = read_sidecar(&path)?;
    let w = |out: &mut dyn std::io::Write, k: &str, v: &str| {
        let _ = writeln!(out, "{k:<12} {v}");
    };
    w(out, "id", &sc.id);
    w(out, "sidecar", &path.display().to_string());
    w(
        out,
        "status",
        &format!(
            "{}{}",
            sc.status,
            sc.reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        ),
    );
    w(out, "policy", &sc.policy);
    w(out, "pbx", &sc.pbx);
    w(out, "channel", &sc.channel);
    w(
        out,
        "caller",
        format!("{} {}", sc.caller.number, sc.caller.name).trim(),
    );
    w(out, "callee", &sc.callee);
    w(out, "queue", &sc.queue);
    w(out, "agent", sc.agent.as_deref().unwrap_or("-"));
    for p in &sc.peers {
        let who = [
            p.member.as_deref(),
            Some(p.name.as_str()),
            Some(p.number.as_str()),
        ]
        .into_iter()
        .flatten()
        .find(|s| !s.is_empty())
        .unwrap_or("");
        let left = p.left.map_or("-".to_string(), |l| format!("{l:.2} s"));
        w(
            out,
            "peer",
            &format!("{} {who} ({:.2} s .. {left})", p.channel, p.joined).replace("  ", " "),
        );
    }
    w(out, "started", &sc.started_at);
    w(out, "ended", sc.ended_at.as_deref().unwrap_or("-"));
    for leg in &sc.legs {
        w(
            out,
            &format!("leg {}", leg.name),
            &format!(
                "{} {:.2} s at {} Hz, {} ch, dropped {} filled {} samples",
                leg.file,
                leg.samples as f64 / f64::from(leg.sample_rate.max(1)),
                leg.sample_rate,
                leg.channels,
                leg.dropped_samples,
                leg.filled_samples
            ),
        );
    }
    for n in &sc.notice {
        w(
            out,
            "notice",
            &format!(
                "{} to {} at {} (+{:.2} s)",
                n.sound, n.party, n.at, n.offset
            ),
        );
    }
    for m in &sc.masks {
        w(
            out,
            "mask",
            &format!(
                "+{:.2} s to {} by {}",
                m.start_offset,
                m.end_offset.map_or("-".into(), |e| format!("+{e:.2} s")),
                m.by
            ),
        );
    }
    for p in &sc.pauses {
        w(
            out,
            "pause",
            &format!(
                "at +{:.2} s from {} to {} by {}",
                p.start_offset,
                p.start,
                p.end.as_deref().unwrap_or("-"),
                p.by
            ),
        );
    }
    w(
        out,
        "consent",
        &format!(
            "{}: {} ({})",
            sc.consent.mode, sc.consent.decision, sc.consent.reason
        ),
    );
    Ok(())
}
