//! `legrec prune --config FILE` where [storage] names a bucket (`legrec`
//! runs this for it): see shipper::prune.

use legrec_cli::Prune;

pub async fn run(args: Prune) -> Result<(), String> {
    let config = super::config(args.config.as_deref())?;
    let now = match args.now {
        None => std::time::SystemTime::now(),
        Some(t) => humantime::parse_rfc3339(&t).map_err(|e| format!("--now {t}: {e}"))?,
    };
    let n = crate::shipper::prune::run(&config, now).await?;
    println!("{n} recording(s) pruned");
    Ok(())
}
