//! The subcommands of `legrec-fleet`, each in its own file; this one reads
//! their shared options.

pub mod erase;
pub mod index;
pub mod prune;
pub mod search;
pub mod serve;
pub mod ship;
pub mod subject;
pub mod user;
pub mod verify;

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::config::Config;

pub const DEFAULT_CONFIG: &str = "/etc/asterisk/legrec.conf";

/// `--name value` options and `--flag`s, in any order, after the words.
pub struct Args {
    pub words: Vec<String>,
    options: BTreeMap<String, String>,
    flags: Vec<String>,
}

impl Args {
    /// `flags` are the options that take no value.
    pub fn parse(args: &[String], flags: &[&str]) -> Result<Args, String> {
        let mut out = Args {
            words: Vec::new(),
            options: BTreeMap::new(),
            flags: Vec::new(),
        };
        let mut it = args.iter();
        while let Some(a) = it.next() {
            if let Some(name) = a.strip_prefix("--") {
                if flags.contains(&name) {
                    out.flags.push(name.to_string());
                } else {
                    let v = it.next().ok_or_else(|| format!("--{name} needs a value"))?;
                    if out.options.insert(name.to_string(), v.clone()).is_some() {
                        return Err(format!("--{name} given twice"));
                    }
                }
            } else {
                out.words.push(a.clone());
            }
        }
        Ok(out)
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.options.get(name).map(String::as_str)
    }

    pub fn flag(&self, name: &str) -> bool {
        self.flags.iter().any(|f| f == name)
    }

    /// Fails on an option not in `known`: a mistyped filter must not
    /// silently widen a search.
    pub fn only(&self, known: &[&str]) -> Result<(), String> {
        match self.options.keys().find(|k| !known.contains(&k.as_str())) {
            Some(k) => Err(format!("unknown option --{k}")),
            None => Ok(()),
        }
    }

    pub fn config(&self) -> Result<Config, String> {
        let path = PathBuf::from(self.get("config").unwrap_or(DEFAULT_CONFIG));
        Config::read(&path)
    }
}

/// A moment given as RFC 3339 or as a day (`2026-12-01`, midnight UTC),
/// in milliseconds since the epoch.
pub fn moment(s: &str) -> Result<i64, String> {
    let t = if s.len() == 10 {
        humantime::parse_rfc3339(&format!("{s}T00:00:00Z"))
    } else {
        humantime::parse_rfc3339_weak(s)
    }
    .map_err(|e| format!("'{s}': {e} (give 2026-12-01 or 2026-12-01T08:00:00Z)"))?;
    Ok(t.duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64))
}
