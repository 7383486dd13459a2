//! `legrec index`: bring the index up to date with this PBX's spool;
//! `legrec index rebuild` forgets this PBX's rows first and reads them
//! again, from the spool or (`--from-bucket`) from the sidecars shipped.

use legrec_cli::{Index as Args, IndexWhat};

use crate::index::Index;
use crate::spool_index::index_spool;

pub async fn run(args: Args) -> Result<(), String> {
    let config = super::config(args.config.as_deref())?;
    let index = Index::open(&config.index).await?;
    if args.what == Some(IndexWhat::Rebuild) {
        if args.from_bucket {
            let bucket = config
                .bucket
                .as_ref()
                .ok_or("--from-bucket needs [storage] url")?;
            let store = crate::shipper::store::Store::connect(bucket);
            let n = crate::shipper::rebuild::from_bucket(&store, &index, &config.pbx_name).await?;
            println!("indexed {n} recording(s) from s3://{}", bucket.bucket);
            return Ok(());
        }
        let n = index.clear(&config.pbx_name).await?;
        println!("forgot {n} recording(s) of {}", config.pbx_name);
    }
    let tally = index_spool(&index, &config.spool, &config.pbx_name).await;
    for f in &tally.failed {
        eprintln!("legrec index: {f}");
    }
    println!(
        "indexed {} recording(s) of {} from {} ({} unchanged)",
        tally.indexed,
        config.pbx_name,
        config.spool.display(),
        tally.unchanged
    );
    if tally.failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} sidecar(s) could not be indexed",
            tally.failed.len()
        ))
    }
}
