//! A sidecar's facts in words for the recording's page (who, when, what
//! was played, which law applied and why, what was masked or paused), and
//! the marks its waveforms carry, both from the one sidecar.

use legrec::sidecar::{Interval, Sidecar};
use serde::Serialize;

/// A span (or, with `end` = `start`, a moment) on the recording's timeline.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Mark {
    /// `notice`, `consent`, `mask`, `pause`, `beep`, `peer`, `key`.
    pub kind: &'static str,
    pub start: f64,
    pub end: f64,
    /// For the list below the waveforms.
    pub label: String,
    /// For the waveform's region, where room is short.
    pub short: String,
    /// Which waveform: `in` (what the party said), `out` (what it heard),
    /// or `both`.
    pub lane: &'static str,
}

fn secs(t: f64) -> String {
    if t >= 60.0 {
        format!("{}:{:04.1}", (t / 60.0) as u64, t % 60.0)
    } else {
        format!("{t:.1} s")
    }
}

/// Seconds between two RFC 3339 moments.
fn between(a: &str, b: &str) -> Option<f64> {
    let a = humantime::parse_rfc3339_weak(a).ok()?;
    let b = humantime::parse_rfc3339_weak(b).ok()?;
    Some(b.duration_since(a).ok()?.as_secs_f64())
}

fn party(p: &str) -> &str {
    match p {
        "caller" => "the caller",
        "agent" => "the agent",
        "both" => "both parties",
        other => other,
    }
}

pub fn facts(s: &Sidecar, duration: f64) -> Vec<String> {
    let mut out = Vec::new();
    let caller = if s.caller.name.is_empty() || s.caller.name == s.caller.number {
        s.caller.number.clone()
    } else {
        format!("{} ({})", s.caller.number, s.caller.name)
    };
    out.push(format!(
        "{caller} called {}{} on PBX {}; recorded on {} under policy {}.",
        s.callee,
        if s.queue.is_empty() {
            String::new()
        } else {
            format!(" through queue {}", s.queue)
        },
        s.pbx,
        s.channel,
        s.policy
    ));
    out.push(format!(
        "From {} to {} ({}); status {}{}.",
        s.started_at,
        s.ended_at.as_deref().unwrap_or("(not ended)"),
        secs(duration),
        s.status,
        s.reason
            .as_deref()
            .map(|r| format!(": {r}"))
            .unwrap_or_default()
    ));
    match &s.agent {
        Some(a) => out.push(format!("Answered by agent {a}.")),
        None => out.push("No queue agent answered.".into()),
    }
    for p in &s.peers {
        out.push(format!(
            "{} ({}{}) was on the call from {} to {}.",
            p.member.as_deref().unwrap_or(&p.name),
            p.channel,
            if p.number.is_empty() {
                String::new()
            } else {
                format!(", number {}", p.number)
            },
            secs(p.joined),
            p.left.map_or("the end".into(), secs)
        ));
    }
    if s.notice.is_empty() {
        out.push("No notice was played.".into());
    }
    for n in &s.notice {
        out.push(format!(
            "The notice '{}' was played to {} at {}.",
            n.sound,
            party(&n.party),
            secs(n.offset)
        ));
    }
    let c = &s.consent;
    let mut consent = format!("Consent by {}: {}", c.mode, c.decision);
    if !c.reason.is_empty() {
        consent.push_str(&format!(" ({})", c.reason));
    }
    if let Some(d) = &c.digit {
        consent.push_str(&format!(
            "; key {d} pressed{}",
            c.digit_at
                .as_deref()
                .map(|t| format!(" at {t}"))
                .unwrap_or_default()
        ));
    }
    if c.decision == "declined" && !c.declined_action.is_empty() {
        consent.push_str(&format!("; kept after the refusal: {}", c.declined_action));
    }
    out.push(consent + ".");
    match &c.law {
        Some(l) => {
            out.push(format!(
                "The law applied: {}, because {}.",
                l.rule, l.reason
            ));
            for side in &l.sides {
                out.push(format!(
                    "The {} {} is in {} ({}: {}).",
                    side.party, side.number, side.jurisdiction, side.rule, side.source
                ));
            }
        }
        None => out.push("No jurisdiction rule was applied (the policy as configured).".into()),
    }
    if c.notice_required_by_law {
        out.push("The notice was played because a party's law required it.".into());
    }
    for m in &s.masks {
        out.push(format!(
            "Masked (silence, timeline kept) from {} to {}, asked by {}.",
            secs(m.start_offset),
            m.end_offset.map_or("the end".into(), secs),
            m.by
        ));
    }
    for p in &s.pauses {
        out.push(format!(
            "Paused at {} {}, asked by {} (the time is cut out).",
            secs(p.start_offset),
            pause_length(p).map_or("to the end".into(), |d| format!("for {}", secs(d))),
            p.by
        ));
    }
    if let Some(b) = &s.beeps {
        out.push(format!(
            "A {} Hz warning tone of {} ms every {} s; {} heard.",
            b.frequency_hz, b.duration_ms, b.interval_seconds, b.count
        ));
    }
    for k in &s.keys {
        out.push(format!(
            "Key {} ({}) pressed on the {} side at {}.",
            k.key,
            k.action,
            k.side,
            secs(k.offset)
        ));
    }
    if s.retention_days > 0 {
        out.push(format!("Kept {} days after the call.", s.retention_days));
    }
    out
}

fn pause_length(p: &Interval) -> Option<f64> {
    between(&p.start, p.end.as_deref()?)
}

pub fn marks(s: &Sidecar, duration: f64) -> Vec<Mark> {
    let mut out = Vec::new();
    for n in &s.notice {
        out.push(Mark {
            kind: "notice",
            start: n.offset,
            end: n.offset,
            label: format!("played to {}", party(&n.party)),
            short: "notice".into(),
            lane: "out",
        });
    }
    if let Some(w) = s.consent.window_offset {
        // The decision's moment in the recording: the key's wall-clock
        // time from the window's, laid from the window's offset.
        let end = match (&s.consent.window_at, &s.consent.digit_at) {
            (Some(a), Some(b)) => between(a, b).map(|d| w + d),
            _ => None,
        }
        .unwrap_or(w)
        .min(duration);
        out.push(Mark {
            kind: "consent",
            start: w,
            end,
            label: format!("{} ({})", s.consent.decision, s.consent.mode),
            short: format!("consent: {}", s.consent.decision),
            lane: "in",
        });
    }
    for m in &s.masks {
        out.push(Mark {
            kind: "mask",
            start: m.start_offset,
            end: m.end_offset.unwrap_or(duration),
            label: format!("silence, asked by {}", m.by),
            short: "masked".into(),
            lane: "both",
        });
    }
    for p in &s.pauses {
        out.push(Mark {
            kind: "pause",
            start: p.start_offset,
            end: p.start_offset,
            label: format!(
                "{} cut out, asked by {}",
                pause_length(p).map_or("the rest".into(), secs),
                p.by
            ),
            short: format!(
                "paused {}",
                pause_length(p).map_or("to the end".into(), secs)
            ),
            lane: "both",
        });
    }
    if let Some(b) = &s.beeps {
        // The tone sounds at every interval after the first (the core's
        // schedule); the count says how many the party heard.
        for k in 1..=b.count {
            let at = (k * u64::from(b.interval_seconds)) as f64;
            if at > duration {
                break;
            }
            out.push(Mark {
                kind: "beep",
                start: at,
                end: at,
                label: "warning tone".into(),
                short: "beep".into(),
                lane: "out",
            });
        }
    }
    for p in &s.peers {
        out.push(Mark {
            kind: "peer",
            start: p.joined,
            end: p.left.unwrap_or(duration),
            label: p.member.clone().unwrap_or_else(|| p.name.clone()),
            short: p.member.clone().unwrap_or_else(|| p.name.clone()),
            lane: "out",
        });
    }
    for k in &s.keys {
        out.push(Mark {
            kind: "key",
            start: k.offset,
            end: k.offset,
            label: format!("{} {} on the {} side", k.key, k.action, k.side),
            short: format!("key {}", k.key),
            lane: if k.side == "caller" { "in" } else { "out" },
        });
    }
    out
}
