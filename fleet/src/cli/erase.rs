//! `legrec erase ID...|--number N --reason TEXT --config FILE` where
//! [storage] names a bucket (`legrec` runs this for it): see
//! shipper::erase.

use super::Args;

pub async fn run(args: &Args) -> Result<(), String> {
    args.only(&["config", "number", "reason"])?;
    let config = args.config()?;
    let said = crate::shipper::erase::run(
        &config,
        &args.words[1..],
        args.get("number"),
        args.get("reason"),
    )
    .await?;
    for s in said {
        println!("{s}");
    }
    Ok(())
}
