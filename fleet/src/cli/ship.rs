//! `legrec ship`: see shipper::run.

use legrec_cli::Ship;

use crate::shipper::run::{run as ship, Options};

pub async fn run(args: Ship) -> Result<(), String> {
    let config = super::config(args.config.as_deref())?;
    let interval = humantime::parse_duration(&args.interval)
        .map_err(|e| format!("--interval {}: {e}", args.interval))?;
    ship(
        &config,
        Options {
            once: args.once,
            recheck: args.recheck,
            interval,
        },
    )
    .await
}
