//! Which law applies to a call: each party's number is mapped to a
//! jurisdiction by its longest E.164 prefix (US states by NANP area code,
//! other countries by country code), and the stricter rule of the two sides
//! decides.  The table ships as data/jurisdictions.tsv, with a source for
//! every line; admins extend it with `jurisdictions_file`.  These are
//! defaults, not legal advice.

use std::collections::HashMap;
use std::fmt;

/// What a jurisdiction asks of a recorded call, from least to most strict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rule {
    /// One party (the business) may consent; a notice is the policy's choice.
    OneParty,
    /// Callers must be told at the start (GDPR-style transparency).
    Notice,
    /// Every party must be told and may refuse.
    AllParty,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::OneParty => "one-party",
            Rule::Notice => "notice",
            Rule::AllParty => "all-party",
        }
    }
}

impl std::str::FromStr for Rule {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "one-party" => Ok(Rule::OneParty),
            "notice" => Ok(Rule::Notice),
            "all-party" => Ok(Rule::AllParty),
            _ => Err(format!("'{s}' is not one of one-party, notice, all-party")),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Jurisdiction {
    pub name: String,
    pub rule: Rule,
    pub source: String,
}

/// Prefix → jurisdiction.
#[derive(Clone, Debug, Default)]
pub struct Table {
    by_prefix: HashMap<String, Jurisdiction>,
    longest: usize,
}

/// The table legrec ships.
pub const DEFAULT_TABLE: &str = include_str!("../../data/jurisdictions.tsv");

#[derive(Debug, PartialEq, Eq)]
pub struct TableError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for TableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl Table {
    pub fn builtin() -> Table {
        let mut t = Table::default();
        t.extend(DEFAULT_TABLE).expect("the shipped table parses");
        t
    }

    /// Add the lines of a table file (`prefix<TAB>name<TAB>rule<TAB>source`);
    /// a prefix already present is replaced.
    pub fn extend(&mut self, text: &str) -> Result<(), TableError> {
        for (i, line) in text.lines().enumerate() {
            let line_no = i + 1;
            let line = line.trim_end();
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let f: Vec<&str> = line.splitn(4, '\t').collect();
            let err = |message: String| TableError {
                line: line_no,
                message,
            };
            if f.len() < 3 {
                return Err(err(
                    "expected prefix, jurisdiction, rule and source separated by tabs".into(),
                ));
            }
            let prefix = f[0].trim();
            if !prefix.starts_with('+')
                || prefix.len() < 2
                || !prefix[1..].bytes().all(|b| b.is_ascii_digit())
            {
                return Err(err(format!(
                    "'{prefix}' is not an E.164 prefix such as +1415"
                )));
            }
            let rule = f[2].trim().parse().map_err(err)?;
            self.longest = self.longest.max(prefix.len());
            self.by_prefix.insert(
                prefix.to_string(),
                Jurisdiction {
                    name: f[1].trim().to_string(),
                    rule,
                    source: f.get(3).unwrap_or(&"").trim().to_string(),
                },
            );
        }
        Ok(())
    }

    /// The jurisdiction of a number, by longest prefix; None when the number
    /// is not an E.164 or NANP number (an extension, "anonymous") or no
    /// prefix matches.
    pub fn lookup(&self, number: &str) -> Option<&Jurisdiction> {
        let e164 = normalize(number)?;
        (2..=e164.len().min(self.longest))
            .rev()
            .find_map(|n| self.by_prefix.get(&e164[..n]))
    }
}

/// A number as +digits: `+`/`00` international forms, and NANP numbers
/// written with 10 or 11 digits.  Spaces, dots, dashes and brackets are
/// ignored.  Anything else (extensions, names) is None.
pub fn normalize(number: &str) -> Option<String> {
    let n = number.trim();
    let plus = n.starts_with('+');
    let digits: String = n.chars().filter(|c| c.is_ascii_digit()).collect();
    if n.chars()
        .any(|c| !(c.is_ascii_digit() || " +-.()".contains(c)))
        || digits.is_empty()
    {
        return None;
    }
    if plus {
        return Some(format!("+{digits}"));
    }
    if let Some(rest) = digits.strip_prefix("00") {
        return (rest.len() >= 6).then(|| format!("+{rest}"));
    }
    let nanp = |d: &str| d.len() == 10 && matches!(d.as_bytes()[0], b'2'..=b'9');
    if nanp(&digits) {
        return Some(format!("+1{digits}"));
    }
    if digits.len() == 11 && digits.starts_with('1') && nanp(&digits[1..]) {
        return Some(format!("+{digits}"));
    }
    None
}

/// One party's side of the decision, for the sidecar.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Side {
    pub party: String,
    pub number: String,
    pub jurisdiction: String,
    pub rule: String,
    pub source: String,
}

/// What the law asks of this call: the stricter side wins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requirement {
    pub rule: Rule,
    pub sides: Vec<Side>,
    pub reason: String,
}

pub fn decide(table: &Table, parties: &[(&str, &str)]) -> Requirement {
    let found: Vec<(&str, &str, Option<&Jurisdiction>)> = parties
        .iter()
        .map(|(p, n)| (*p, *n, table.lookup(n)))
        .collect();
    let sides = found
        .iter()
        .map(|(party, number, j)| Side {
            party: party.to_string(),
            number: number.to_string(),
            jurisdiction: j.map_or("unknown", |j| &j.name).to_string(),
            rule: j.map_or("unknown", |j| j.rule.as_str()).to_string(),
            source: j.map_or("", |j| &j.source).to_string(),
        })
        .collect();
    let known: Vec<(&str, &Jurisdiction)> = found
        .iter()
        .filter_map(|(p, _, j)| j.map(|j| (*p, j)))
        .collect();
    // The first side with the strictest rule.
    let strictest = known
        .iter()
        .fold(None::<&(&str, &Jurisdiction)>, |best, k| match best {
            Some(b) if b.1.rule >= k.1.rule => Some(b),
            _ => Some(k),
        });
    let (rule, reason) = match strictest {
        None => (
            Rule::OneParty,
            "no party's number maps to a known jurisdiction; the policy applies as configured"
                .to_string(),
        ),
        Some((party, j)) => {
            let what = format!("{} ({party}) is {}: {}", j.name, j.rule.as_str(), j.source);
            (
                j.rule,
                if known.len() > 1 {
                    format!("stricter side: {what}")
                } else {
                    what
                },
            )
        }
    };
    Requirement {
        rule,
        sides,
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_prefix_wins() {
        let t = Table::builtin();
        assert_eq!(t.lookup("+14155550100").unwrap().name, "US-CA");
        assert_eq!(t.lookup("+12125550100").unwrap().name, "US"); // New York: one-party
        assert_eq!(t.lookup("(415) 555-0100").unwrap().name, "US-CA");
        assert_eq!(t.lookup("1-406-555-0100").unwrap().name, "US-MT");
        assert_eq!(t.lookup("0033 1 23 45 67 89").unwrap().name, "FR");
        assert_eq!(t.lookup("+33123456789").unwrap().rule, Rule::Notice);
        assert!(t.lookup("600").is_none());
        assert!(t.lookup("anonymous").is_none());
        assert!(t.lookup("+999123").is_none());
    }

    #[test]
    fn the_stricter_side_decides() {
        let t = Table::builtin();
        let r = decide(
            &t,
            &[("caller", "+14155550100"), ("callee", "+12125550100")],
        );
        assert_eq!(r.rule, Rule::AllParty);
        assert!(
            r.reason
                .starts_with("stricter side: US-CA (caller) is all-party"),
            "{}",
            r.reason
        );
        let r = decide(
            &t,
            &[("caller", "+12125550100"), ("callee", "+13125550100")],
        );
        assert_eq!(r.rule, Rule::AllParty, "Illinois callee");
        assert!(r.reason.contains("US-IL (callee)"));
        let r = decide(&t, &[("caller", "+12125550100"), ("callee", "600")]);
        assert_eq!(r.rule, Rule::OneParty);
        assert_eq!(r.sides[1].jurisdiction, "unknown");
        let r = decide(&t, &[("caller", "anonymous"), ("callee", "600")]);
        assert_eq!(r.rule, Rule::OneParty);
        assert!(r.reason.starts_with("no party's number"));
    }

    #[test]
    fn admin_lines_extend_and_override_with_clear_errors() {
        let mut t = Table::builtin();
        t.extend("+1212\tUS-NY-custom\tall-party\tour counsel\n")
            .unwrap();
        assert_eq!(t.lookup("+12125550100").unwrap().name, "US-NY-custom");
        assert_eq!(t.extend("# c\n+1x\tA\tnotice\n").unwrap_err().line, 2);
        assert!(t
            .extend("+44\tGB\tsometimes\n")
            .unwrap_err()
            .message
            .contains("sometimes"));
    }
}
