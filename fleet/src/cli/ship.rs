//! `legrec ship`: see shipper::run.

use std::time::Duration;

use super::Args;
use crate::shipper::run::{run as ship, Options};

pub async fn run(args: &Args) -> Result<(), String> {
    args.only(&["config", "interval"])?;
    let config = args.config()?;
    let interval = match args.get("interval") {
        None => Duration::from_secs(10),
        Some(v) => humantime::parse_duration(v).map_err(|e| format!("--interval {v}: {e}"))?,
    };
    ship(
        &config,
        Options {
            once: args.flag("once"),
            recheck: args.flag("recheck"),
            interval,
        },
    )
    .await
}
