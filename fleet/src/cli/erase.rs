//! `legrec erase ID...|--number N --reason TEXT --config FILE` where
//! [storage] names a bucket (`legrec` runs this for it): see
//! shipper::erase.

use legrec_cli::Erase;

pub async fn run(args: Erase) -> Result<(), String> {
    let config = super::config(args.place.config.as_deref())?;
    let said = crate::shipper::erase::run(
        &config,
        &args.ids,
        args.number.as_deref(),
        args.reason.as_deref(),
    )
    .await?;
    for s in said {
        println!("{s}");
    }
    Ok(())
}
