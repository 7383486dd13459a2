//! Agent keys: DTMF feature codes that mask, pause or (with `start =
//! on-demand`) record, per policy.  What a run of digits means, checked at
//! load so that two keys, or a key and the consent digit, never collide.

use std::time::{Duration, Instant};

/// A key's meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyAction {
    /// Mask or unmask (card numbers): silence, timeline kept.
    Mask,
    /// Privacy pause or resume: the time is cut out.
    Pause,
    /// On-demand recording: start or stop keeping audio.
    Record,
}

impl KeyAction {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyAction::Mask => "mask",
            KeyAction::Pause => "pause",
            KeyAction::Record => "record",
        }
    }
}

/// What a recording switches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Switch {
    Mask,
    Pause,
}

/// What a key does to a recording masked and paused as given: switch
/// `switch` to `on`, which the sidecar notes as `word`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Toggle {
    pub switch: Switch,
    pub on: bool,
    pub word: &'static str,
}

/// Each key flips its state: the mask key masks or unmasks; the pause key
/// and the on-demand record key share the pause, so that a recording
/// paused either way is resumed by either key.
pub fn toggle(action: KeyAction, masked: bool, paused: bool) -> Toggle {
    let (switch, on, word) = match action {
        KeyAction::Mask if masked => (Switch::Mask, false, "unmask"),
        KeyAction::Mask => (Switch::Mask, true, "mask"),
        KeyAction::Record if paused => (Switch::Pause, false, "record"),
        KeyAction::Pause if paused => (Switch::Pause, false, "resume"),
        KeyAction::Pause => (Switch::Pause, true, "pause"),
        KeyAction::Record => (Switch::Pause, true, "stop-recording"),
    };
    Toggle { switch, on, word }
}

/// A policy's keys (`Policy::keys`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Keys {
    pub codes: Vec<(String, KeyAction)>,
}

/// Digits further apart than this start a new code.
pub const DIGIT_GAP: Duration = Duration::from_secs(2);

impl Keys {
    pub fn new(mask: &str, pause: &str, record: &str) -> Keys {
        let codes = [
            (mask, KeyAction::Mask),
            (pause, KeyAction::Pause),
            (record, KeyAction::Record),
        ]
        .into_iter()
        .filter(|(c, _)| !c.is_empty())
        .map(|(c, a)| (c.to_string(), a))
        .collect();
        Keys { codes }
    }

    /// `key` names a key setting whose code is wrong, and why.
    pub fn check(&self, consent_digit: Option<char>) -> Result<(), (&'static str, String)> {
        let name = |a: KeyAction| match a {
            KeyAction::Mask => "mask_key",
            KeyAction::Pause => "pause_key",
            KeyAction::Record => "record_key",
        };
        for (code, action) in &self.codes {
            if code.len() > 8
                || !code
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b == b'*' || b == b'#')
            {
                return Err((name(*action), "must be 1 to 8 keys: 0-9, * or #".into()));
            }
            if let Some(d) = consent_digit.filter(|d| code.starts_with(*d)) {
                return Err((
                    name(*action),
                    format!(
                        "'{code}' starts with consent_digit {d}: the consent window would take it"
                    ),
                ));
            }
            for (other, other_action) in &self.codes {
                if other_action != action && other.starts_with(code.as_str()) {
                    return Err((
                        name(*action),
                        format!(
                            "'{code}' collides with {} '{other}' (one is the start of the other)",
                            name(*other_action)
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }
}

/// One side's digits so far.
#[derive(Debug, Default)]
pub struct Matcher {
    typed: String,
    last: Option<Instant>,
}

/// What a digit did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pressed {
    /// Not a key: pass it on.
    Pass,
    /// The start of a key: keep it from the other party, wait for more.
    Held,
    /// A whole key.
    Key(KeyAction),
}

impl Matcher {
    /// What `digit` at `now` means, without noting it (a DTMF begin: the
    /// PBX asks before the digit ends).
    pub fn peek(&self, keys: &Keys, digit: char, now: Instant) -> Pressed {
        Self::meaning(keys, &self.typed_at(now), digit).0
    }

    /// `digit` ended at `now`.
    pub fn press(&mut self, keys: &Keys, digit: char, now: Instant) -> Pressed {
        let (what, typed) = Self::meaning(keys, &self.typed_at(now), digit);
        self.typed = typed;
        self.last = Some(now);
        what
    }

    fn typed_at(&self, now: Instant) -> String {
        match self.last {
            Some(t) if now.duration_since(t) <= DIGIT_GAP => self.typed.clone(),
            _ => String::new(),
        }
    }

    fn meaning(keys: &Keys, typed: &str, digit: char) -> (Pressed, String) {
        for start in [format!("{typed}{digit}"), digit.to_string()] {
            if let Some((_, a)) = keys.codes.iter().find(|(c, _)| *c == start) {
                return (Pressed::Key(*a), String::new());
            }
            if keys
                .codes
                .iter()
                .any(|(c, _)| c.starts_with(start.as_str()))
            {
                return (Pressed::Held, start);
            }
        }
        (Pressed::Pass, String::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_across_digits_and_a_pause_starts_over() {
        let keys = Keys::new("*1", "*2", "");
        let mut m = Matcher::default();
        let t = Instant::now();
        assert_eq!(m.peek(&keys, '*', t), Pressed::Held);
        assert_eq!(m.press(&keys, '*', t), Pressed::Held);
        assert_eq!(m.press(&keys, '2', t), Pressed::Key(KeyAction::Pause));
        assert_eq!(m.press(&keys, '5', t), Pressed::Pass);
        assert_eq!(m.press(&keys, '*', t), Pressed::Held);
        assert_eq!(m.press(&keys, '1', t + DIGIT_GAP * 2), Pressed::Pass);
        assert_eq!(m.press(&keys, '*', t), Pressed::Held);
        assert_eq!(m.press(&keys, '*', t), Pressed::Held, "a new start");
        assert_eq!(m.press(&keys, '1', t), Pressed::Key(KeyAction::Mask));
    }

    #[test]
    fn collisions_are_refused_with_the_key_named() {
        assert!(Keys::new("*1", "*2", "*3").check(Some('1')).is_ok());
        let (k, why) = Keys::new("*1", "*1", "").check(None).unwrap_err();
        assert_eq!(k, "mask_key");
        assert!(why.contains("pause_key"), "{why}");
        let (k, _) = Keys::new("*", "*2", "").check(None).unwrap_err();
        assert_eq!(k, "mask_key");
        let (k, why) = Keys::new("", "1#", "").check(Some('1')).unwrap_err();
        assert_eq!(k, "pause_key");
        assert!(why.contains("consent_digit"), "{why}");
        assert!(Keys::new("*a", "", "").check(None).is_err());
    }
}
