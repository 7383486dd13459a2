//! The subcommands of `legrec-fleet`, each in its own file; their command
//! lines are legrec-cli's.

pub mod erase;
pub mod index;
pub mod prune;
pub mod search;
pub mod serve;
pub mod ship;
pub mod subject;
pub mod user;
pub mod verify;

use std::path::{Path, PathBuf};

use crate::config::Config;

/// --config, else /etc/asterisk/legrec.conf.
pub fn config_path(config: Option<&Path>) -> PathBuf {
    config.map_or_else(
        || PathBuf::from(legrec_cli::DEFAULT_CONFIG),
        Path::to_path_buf,
    )
}

/// The fleet's part of legrec.conf (--config, else the default).
pub fn config(config: Option<&Path>) -> Result<Config, String> {
    Config::read(&config_path(config))
}
