//! `[anchor]` in legrec.conf: the Time-Stamp Authority `legrec anchor`
//! asks, the CA its certificates chain to, and how often.  The module
//! reads past this section (TOOL_SECTIONS); errors name the line.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::policy::config::{ConfigError, RawConfig, Settings};

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct AnchorLines {
    tsa_url: Option<String>,
    tsa_ca: Option<PathBuf>,
    interval: Option<String>,
}

#[derive(Clone, Debug)]
pub struct AnchorConfig {
    pub spool: PathBuf,
    pub tsa_url: String,
    /// PEM: the certificates the TSA's chain to.
    pub tsa_ca: PathBuf,
    /// How often the chain is anchored while it grows.
    pub interval: Duration,
}

/// Anchored at least this often even when nothing was appended.
pub const DAILY: Duration = Duration::from_secs(86_400);
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(600);

impl AnchorConfig {
    pub fn read(path: &Path) -> Result<Option<AnchorConfig>, String> {
        let raw = crate::policy::ini::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        AnchorConfig::from_raw(&raw).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// None when legrec.conf has no `[anchor]`.
    pub fn from_raw(raw: &RawConfig) -> Result<Option<AnchorConfig>, ConfigError> {
        let Some(section) = raw.sections.iter().find(|s| s.name == "anchor") else {
            return Ok(None);
        };
        let lines: AnchorLines = section.read()?;
        let err = |key: &str, message: &str| ConfigError {
            section: "anchor".into(),
            key: Some(key.into()),
            value: None,
            line: section
                .lines
                .iter()
                .find(|l| l.key == key)
                .map_or(section.lines.first().map_or(0, |l| l.line), |l| l.line),
            message: message.into(),
        };
        let tsa_url = lines.tsa_url.ok_or_else(|| err("tsa_url", "is required"))?;
        if !(tsa_url.starts_with("http://") || tsa_url.starts_with("https://")) {
            return Err(err("tsa_url", "must be an http:// or https:// URL"));
        }
        let tsa_ca = lines.tsa_ca.ok_or_else(|| {
            err(
                "tsa_ca",
                "is required (the PEM the TSA's certificates chain to)",
            )
        })?;
        let interval = match lines.interval.as_deref() {
            None => DEFAULT_INTERVAL,
            Some(t) => humantime::parse_duration(t)
                .map_err(|_| err("interval", "a duration such as 10m or 1h"))?,
        };
        if interval < Duration::from_secs(10) || interval > DAILY {
            return Err(err("interval", "must be 10s to 24h"));
        }
        let spool = Settings::from_raw(raw)?.general.spool_dir;
        Ok(Some(AnchorConfig {
            spool,
            tsa_url,
            tsa_ca,
            interval,
        }))
    }
}
