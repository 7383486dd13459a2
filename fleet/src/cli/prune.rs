//! `legrec prune --config FILE` where [storage] names a bucket (`legrec`
//! runs this for it): see shipper::prune.

use super::Args;

pub async fn run(args: &Args) -> Result<(), String> {
    args.only(&["config", "now"])?;
    let config = args.config()?;
    let now = match args.get("now") {
        None => std::time::SystemTime::now(),
        Some(t) => humantime::parse_rfc3339(t).map_err(|e| format!("--now {t}: {e}"))?,
    };
    let n = crate::shipper::prune::run(&config, now).await?;
    println!("{n} recording(s) pruned");
    Ok(())
}
