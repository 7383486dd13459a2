//! The marks a recording's waveforms carry, from its sidecar, and what the
//! facts in words (templates/facts.html: who, when, what was played,
//! which law applied and why, what was masked or paused) need computed.

use legrec::sidecar::{Interval, Sidecar};
use serde::Serialize;

/// A span (or, with `end` = `start`, a moment) on the recording's timeline,
/// with the facts its words need; templates/marks.txt says them (`label` for
/// the list below the waveforms, `short` for the waveform's region), filled
/// in by templates::say_marks.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Mark {
    /// `notice`, `consent`, `mask`, `pause`, `beep`, `peer`, `key`.
    pub kind: &'static str,
    pub start: f64,
    pub end: f64,
    /// Which waveform: `in` (what the party said), `out` (what it heard),
    /// or `both`.
    pub lane: &'static str,
    /// Who heard the notice (`caller`, `agent`, `both`), or the key's side.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub party: Option<String>,
    /// Who asked for a mask or pause.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// A pause's seconds (none: to the end).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub length: Option<f64>,
    /// The consent decision and mode, the peer's name, the key and its
    /// action.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub what: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub how: Option<String>,
    pub label: String,
    pub short: String,
}

/// Seconds as the page says them (templates' `secs` filter too).
pub fn secs(t: f64) -> String {
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

/// What templates/facts.html needs beside the sidecar, which says the
/// facts in words: each pause's length, from its wall-clock ends (None:
/// to the end).
pub fn pause_lengths(s: &Sidecar) -> Vec<Option<f64>> {
    s.pauses.iter().map(pause_length).collect()
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
            lane: "out",
            party: Some(n.party.clone()),
            ..Mark::default()
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
            lane: "in",
            what: Some(s.consent.decision.clone()),
            how: Some(s.consent.mode.clone()),
            ..Mark::default()
        });
    }
    for m in &s.masks {
        out.push(Mark {
            kind: "mask",
            start: m.start_offset,
            end: m.end_offset.unwrap_or(duration),
            lane: "both",
            by: Some(m.by.clone()),
            ..Mark::default()
        });
    }
    for p in &s.pauses {
        out.push(Mark {
            kind: "pause",
            start: p.start_offset,
            end: p.start_offset,
            lane: "both",
            by: Some(p.by.clone()),
            length: pause_length(p),
            ..Mark::default()
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
                lane: "out",
                ..Mark::default()
            });
        }
    }
    for p in &s.peers {
        out.push(Mark {
            kind: "peer",
            start: p.joined,
            end: p.left.unwrap_or(duration),
            lane: "out",
            what: Some(p.member.clone().unwrap_or_else(|| p.name.clone())),
            ..Mark::default()
        });
    }
    for k in &s.keys {
        out.push(Mark {
            kind: "key",
            start: k.offset,
            end: k.offset,
            lane: if k.side == "caller" { "in" } else { "out" },
            party: Some(k.side.clone()),
            what: Some(k.key.clone()),
            how: Some(k.action.clone()),
            ..Mark::default()
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rich() -> Vec<Sidecar> {
        use legrec::sidecar::*;
        let mut a = Sidecar::default();
        a.caller.number = "+14155550123".into();
        a.caller.name = "Dana Reyes".into();
        a.callee = "+14155550100".into();
        a.queue = "sales".into();
        a.pbx = "pbx-a".into();
        a.channel = "PJSIP/x".into();
        a.policy = "p".into();
        a.started_at = "2026-12-01T08:00:00.000Z".into();
        a.ended_at = Some("2026-12-01T08:01:10.500Z".into());
        a.status = "complete".into();
        a.reason = Some("hung up".into());
        a.agent = Some("alice".into());
        a.peers = vec![
            Peer {
                channel: "PJSIP/b".into(),
                number: "200".into(),
                name: "Bob".into(),
                member: Some("bob".into()),
                joined: 3.25,
                left: Some(65.0),
                ..Default::default()
            },
            Peer {
                channel: "PJSIP/c".into(),
                name: "Carl".into(),
                joined: 70.0,
                ..Default::default()
            },
        ];
        a.notice = vec![
            NoticeRecord {
                sound: "legrec/legrec-notice".into(),
                party: "caller".into(),
                offset: 0.0,
                ..Default::default()
            },
            NoticeRecord {
                sound: "x".into(),
                party: "both".into(),
                offset: 61.5,
                ..Default::default()
            },
        ];
        a.consent.mode = "keypress".into();
        a.consent.decision = "declined".into();
        a.consent.reason = "key 2".into();
        a.consent.digit = Some("2".into());
        a.consent.digit_at = Some("2026-12-01T08:00:05Z".into());
        a.consent.declined_action = "agent side".into();
        a.consent.notice_required_by_law = true;
        a.consent.law = Some(Law {
            rule: "all-party".into(),
            reason: "CA".into(),
            sides: vec![legrec::policy::jurisdiction::Side {
                party: "caller".into(),
                number: "+1415".into(),
                jurisdiction: "US-CA".into(),
                rule: "all-party".into(),
                source: "table".into(),
            }],
        });
        a.masks = vec![
            Interval {
                start_offset: 3.0,
                end_offset: Some(4.0),
                by: "dialplan".into(),
                ..Default::default()
            },
            Interval {
                start_offset: 5.0,
                by: "cli".into(),
                ..Default::default()
            },
        ];
        a.pauses = vec![
            Interval {
                start: "2026-12-01T08:00:10Z".into(),
                end: Some("2026-12-01T08:00:12.5Z".into()),
                start_offset: 10.0,
                by: "cli".into(),
                ..Default::default()
            },
            Interval {
                start: "2026-12-01T08:00:20Z".into(),
                start_offset: 17.5,
                by: "key".into(),
                ..Default::default()
            },
        ];
        a.beeps = Some(Beeps {
            interval_seconds: 15,
            frequency_hz: 1400.0,
            duration_ms: 200,
            count: 4,
        });
        a.keys = vec![KeyPress {
            key: "*1".into(),
            action: "mask".into(),
            side: "agent".into(),
            offset: 3.0,
            ..Default::default()
        }];
        a.retention_days = 90;
        let mut b = Sidecar::default();
        b.caller.number = "100".into();
        b.caller.name = "100".into();
        b.status = "interrupted".into();
        b.consent.mode = "notify".into();
        b.consent.decision = "notified".into();
        b.beeps = Some(Beeps {
            interval_seconds: 15,
            frequency_hz: 1400.5,
            duration_ms: 200,
            count: 0,
        });
        vec![a, b]
    }

    /// templates/facts.html says what words.rs said in Rust before it
    /// (these sentences are that function's output for these sidecars).
    #[test]
    fn the_facts_template_says_each_fact() {
        let want: [&[&str]; 2] = [
            &[
                "+14155550123 (Dana Reyes) called +14155550100 through queue sales on PBX pbx-a; recorded on PJSIP/x under policy p.",
                "From 2026-12-01T08:00:00.000Z to 2026-12-01T08:01:10.500Z (1:10.5); status complete: hung up.",
                "Answered by agent alice.",
                "bob (PJSIP/b, number 200) was on the call from 3.2 s to 1:05.0.",
                "Carl (PJSIP/c) was on the call from 1:10.0 to the end.",
                "The notice 'legrec/legrec-notice' was played to the caller at 0.0 s.",
                "The notice 'x' was played to both parties at 1:01.5.",
                "Consent by keypress: declined (key 2); key 2 pressed at 2026-12-01T08:00:05Z; kept after the refusal: agent side.",
                "The law applied: all-party, because CA.",
                "The caller +1415 is in US-CA (all-party: table).",
                "The notice was played because a party's law required it.",
                "Masked (silence, timeline kept) from 3.0 s to 4.0 s, asked by dialplan.",
                "Masked (silence, timeline kept) from 5.0 s to the end, asked by cli.",
                "Paused at 10.0 s for 2.5 s, asked by cli (the time is cut out).",
                "Paused at 17.5 s to the end, asked by key (the time is cut out).",
                "A 1400 Hz warning tone of 200 ms every 15 s; 4 heard.",
                "Key *1 (mask) pressed on the agent side at 3.0 s.",
                "Kept 90 days after the call.",
            ],
            &[
                "100 called  on PBX ; recorded on  under policy .",
                "From  to (not ended) (1:11.5); status interrupted.",
                "No queue agent answered.",
                "No notice was played.",
                "Consent by notify: notified.",
                "No jurisdiction rule was applied (the policy as configured).",
                "A 1400.5 Hz warning tone of 200 ms every 15 s; 0 heard.",
            ],
        ];
        for (i, (sc, want)) in rich().iter().zip(want).enumerate() {
            let duration = 70.5 + i as f64;
            let ctx = minijinja::context! {
                sc => sc,
                duration => duration,
                pause_lengths => pause_lengths(sc),
            };
            let Ok(html) = super::super::templates::render("facts.html", ctx) else {
                panic!("facts.html does not render");
            };
            // As a browser reads it.
            let said: Vec<String> = html
                .0
                .split("<li>")
                .skip(1)
                .map(|l| {
                    l.split("</li>")
                        .next()
                        .unwrap()
                        .replace("&#x2f;", "/")
                        .replace("&#x27;", "'")
                        .replace("&amp;", "&")
                })
                .collect();
            assert_eq!(said, want);
        }
        let ctx = minijinja::context! { sc => None::<Sidecar> };
        let html = super::super::templates::render("facts.html", ctx)
            .ok()
            .unwrap();
        assert!(html.0.contains("<li>The sidecar could not be read.</li>"));
    }
}
