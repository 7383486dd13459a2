//! `legrec anchor --config FILE [--once]`: have the TSA of `[anchor]`
//! stamp the audit chain's head, now (`--once`) or whenever due.

use std::path::Path;

use crate::anchor::check::Trust;
use crate::anchor::config::AnchorConfig;
use crate::anchor::{anchor_once, report, run_forever};

fn config(conf: &Path) -> Result<AnchorConfig, String> {
    AnchorConfig::read(conf)?
        .ok_or_else(|| format!("{}: no [anchor] section (tsa_url, tsa_ca)", conf.display()))
}

/// `--once` anchors if due and returns; without it this never returns.
pub fn run(conf: &Path, once: bool, out: &mut dyn std::io::Write) -> Result<(), String> {
    let cfg = config(conf)?;
    if once {
        report(&anchor_once(&cfg, false)?, out);
        return Ok(());
    }
    run_forever(&cfg, out)
}

/// What `legrec verify --config FILE` trusts: `[anchor] tsa_ca`, and
/// anchors required at `interval`.  None without `[anchor]`.
pub fn trust_of_config(conf: &Path) -> Result<Option<Trust>, String> {
    match AnchorConfig::read(conf)? {
        Some(cfg) => Trust::from_file(&cfg.tsa_ca, Some(cfg.interval)).map(Some),
        None => Ok(None),
    }
}
