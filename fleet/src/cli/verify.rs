//! `legrec verify PATH --config FILE` where [storage] names a bucket
//! (`legrec` runs this for it): `legrec verify`'s checks, then the
//! anchors' tokens the shipper copied to the bucket against the spool's
//! chain (shipper::anchors::check), so a chain rewritten or cut behind an
//! anchor whose token is left only in the bucket is named by its seq; and
//! the chains' own copies there (shipper::chains::check), which name the
//! first entry rewritten or cut behind the copy, anchored or not.

use legrec::anchor::check::Trust;
use legrec::spool::layout;

use legrec_cli::Verify;

use crate::shipper::store::Store;

pub async fn run(args: Verify) -> Result<(), String> {
    let Some(path) = &args.path else {
        return Err("legrec verify PATH --config FILE (a bundle is legrec's own)".into());
    };
    let conf = super::config_path(args.config.as_deref());
    let config = super::config(Some(&conf))?;
    let bucket = config.bucket.as_ref().ok_or("no [storage] url")?;
    let trust = legrec::admin::anchor::trust_of_config(&conf)?;
    let mut out = std::io::stdout();
    let mut failures = legrec::admin::verify::run_trusting(path, trust.as_ref(), &mut out);
    // Without [anchor], the spool's own copy of the TSA's CA (as legrec
    // verify does, and says).
    let trust = match trust {
        Some(t) => Ok(t),
        None => Trust::from_file(&layout::anchor_ca(&config.spool), None),
    };
    let store = Store::connect(bucket);
    let (problems, read) =
        crate::shipper::anchors::check(&config.spool, &store, &config.pbx_name, &trust).await?;
    let log = layout::audit_log(&config.spool);
    for p in &problems {
        println!("FAIL {}: {p}", log.display());
    }
    if read == 0 {
        println!(
            "NOTE {}: no anchor tokens in s3://{} (none made or shipped yet)",
            log.display(),
            store.bucket
        );
    } else if problems.is_empty() {
        println!(
            "OK   {} ({read} anchor token(s) in s3://{} stamp it as it is)",
            log.display(),
            store.bucket
        );
    } else {
        failures += 1;
    }
    let chains = crate::shipper::chains::check(&config.spool, &store, &config.pbx_name).await?;
    for c in &chains {
        for p in &c.problems {
            println!("FAIL {}: {p}", c.log.display());
        }
        if c.problems.is_empty() {
            // How far the copy trails is said, not judged: a shipper
            // stopped for a night is not a forgery, and an auditor
            // comparing dates sees either.
            println!(
                "OK   {} (its first {} entries are as copied to {}, {} segment(s); {} newer not copied yet)",
                c.log.display(),
                c.entries,
                c.folder,
                c.segments,
                c.here.saturating_sub(c.entries)
            );
        } else {
            failures += 1;
        }
    }
    if chains.is_empty() {
        println!(
            "NOTE {}: no copy of it in s3://{} for pbx_name {} (`legrec ship` makes one)",
            log.display(),
            store.bucket,
            config.pbx_name
        );
    }
    match failures {
        0 => Ok(()),
        n => Err(format!("{n} recording(s) failed")),
    }
}
