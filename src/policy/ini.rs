//! Reading a `legrec.conf` in Asterisk's own config format from a file, for
//! the `legrec` tool (the prune timer, the shipper): inside the PBX the shim
//! uses the PBX's config API instead, and both end in the same `RawConfig`,
//! checked by the same `Settings::from_raw`.
//!
//! What Asterisk's parser accepts and admins use is accepted here:
//! `[section]`, `key = value` and `key => value`, `;` comments with `\;` for
//! a literal semicolon, templates `[name](!)` and sections that inherit them
//! `[name](tmpl1,tmpl2)`.  `#include` and `#exec` are refused by name, not
//! skipped: a setting silently missing would be worse than an error.

use std::path::Path;

use super::config::{ConfigError, RawConfig};

/// Read and split `path`; every error names its line.
pub fn read(path: &Path) -> Result<RawConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        section: String::new(),
        key: None,
        value: None,
        line: 0,
        message: e.to_string(),
    })?;
    parse(&text)
}

struct Template {
    name: String,
    lines: Vec<(String, String, u32)>,
}

pub fn parse(text: &str) -> Result<RawConfig, ConfigError> {
    let mut raw = RawConfig::default();
    let mut templates: Vec<Template> = Vec::new();
    // Where the lines of the current section go.
    enum Into {
        Nothing,
        Section(String),
        Template(usize),
    }
    let mut into = Into::Nothing;
    for (i, line) in text.lines().enumerate() {
        let n = i as u32 + 1;
        let err = |message: String| ConfigError {
            section: match &into {
                Into::Section(s) => s.clone(),
                Into::Template(t) => templates[*t].name.clone(),
                Into::Nothing => String::new(),
            },
            key: None,
            value: None,
            line: n,
            message,
        };
        let line = strip_comment(line);
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if line.starts_with('#') {
            let word = line.split_whitespace().next().unwrap_or(line);
            return Err(err(format!(
                "{word} is not supported by the legrec tool: put the settings in this file"
            )));
        }
        if let Some(rest) = line.strip_prefix('[') {
            let Some(close) = rest.find(']') else {
                return Err(err(format!(
                    "'{line}': a section header needs a closing ']'"
                )));
            };
            let name = rest[..close].trim().to_string();
            let tail = rest[close + 1..].trim();
            let options: Vec<&str> = match tail {
                "" => Vec::new(),
                t if t.starts_with('(') && t.ends_with(')') => {
                    t[1..t.len() - 1].split(',').map(str::trim).collect()
                }
                t => return Err(err(format!("'{t}' after the section header [{name}]"))),
            };
            if options.contains(&"!") {
                templates.push(Template {
                    name,
                    lines: Vec::new(),
                });
                into = Into::Template(templates.len() - 1);
                continue;
            }
            raw.declare(&name);
            for parent in options.iter().filter(|o| !o.is_empty()) {
                let Some(t) = templates.iter().find(|t| t.name == *parent) else {
                    return Err(err(format!(
                        "[{name}] inherits '{parent}', which is not a template defined above it"
                    )));
                };
                for (k, v, l) in &t.lines {
                    raw.set(&name, k, v, *l);
                }
            }
            into = Into::Section(name);
            continue;
        }
        let (key, value) = match (line.find("=>"), line.find('=')) {
            (Some(arrow), Some(eq)) if arrow == eq => (&line[..arrow], &line[arrow + 2..]),
            (_, Some(eq)) => (&line[..eq], &line[eq + 1..]),
            _ => return Err(err(format!("'{line}' is not 'key = value'"))),
        };
        let (key, value) = (key.trim(), value.trim());
        if key.is_empty() {
            return Err(err(format!("'{line}' has no key")));
        }
        match &into {
            Into::Nothing => return Err(err(format!("'{key}' comes before any [section]"))),
            Into::Section(s) => {
                // A line set here replaces what a template gave.
                let s = s.clone();
                let section = raw.declare(&s);
                section
                    .lines
                    .retain(|l| !(l.key == key && inherited(l.line, &templates)));
                raw.set(&s, key, value, n);
            }
            Into::Template(t) => templates[*t].lines.push((key.into(), value.into(), n)),
        }
    }
    Ok(raw)
}

/// Whether `line` belongs to a template (a line a section may override).
fn inherited(line: u32, templates: &[Template]) -> bool {
    templates
        .iter()
        .any(|t| t.lines.iter().any(|(_, _, l)| *l == line))
}

/// The line without its comment; `\;` stands for a literal semicolon.
fn strip_comment(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&';') => {
                out.push(';');
                chars.next();
            }
            ';' => break,
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::config::Settings;

    #[test]
    fn the_sample_config_reads_as_the_pbx_reads_it() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/asterisk/legrec.conf");
        let settings = Settings::from_raw(&read(&path).unwrap()).unwrap();
        assert_eq!(
            settings.general.spool_dir,
            Path::new("/var/spool/asterisk/legrec")
        );
        assert!(settings.policies.contains_key("billing"));
        assert_eq!(settings.policies["billing"].retention_days, 90);
    }

    #[test]
    fn templates_comments_and_arrows() {
        let raw = parse(
            "[general]\nspool_dir => /var/rec\\;x ; comment\n\
             [base](!)\nlegs = both\nmin_duration = 3\n\
             [sales](base)\nmin_duration = 5\n",
        )
        .unwrap();
        let settings = Settings::from_raw(&raw).unwrap();
        assert_eq!(settings.general.spool_dir, Path::new("/var/rec;x"));
        let sales = &settings.policies["sales"];
        assert_eq!(sales.min_duration, 5);
        assert!(sales.legs.stereo());
        assert!(!settings.policies.contains_key("base"));
    }

    #[test]
    fn errors_name_the_line() {
        for (text, line, words) in [
            ("spool_dir = /x\n", 1, "before any [section]"),
            ("[general]\n\n#include other.conf\n", 3, "#include"),
            ("[general]\nspool_dir /x\n", 2, "not 'key = value'"),
            ("[general\n", 1, "closing ']'"),
            ("[a](nope)\n", 1, "not a template"),
        ] {
            let e = parse(text).unwrap_err();
            assert_eq!(e.line, line, "{text}: {e}");
            assert!(e.to_string().contains(words), "{text}: {e}");
        }
        let missing = read(Path::new("/nonexistent/legrec.conf")).unwrap_err();
        assert_eq!(
            missing.to_string(),
            "No such file or directory (os error 2)"
        );
    }
}
