//! `legrec subject export --number N -o FILE --config FILE` where
//! [storage] names a bucket (`legrec` runs this for it): a data subject's
//! access (GDPR art. 15) to every recording of their number, also those
//! whose spool copy keep_local_days removed.  The index says which
//! recordings of this PBX the number took part in; what the spool no
//! longer holds is fetched from the bucket (the objects the index names)
//! into a folder of its own, and bundled from there with the spool's
//! chain and anchors (legrec::admin::subject::export_found).  The
//! export's index.json says of each where it came from.

use std::path::{Path, PathBuf};

use legrec::admin::subject::{export_found, Fetched};
use legrec::spool::layout;

use legrec_cli::{Subject, SubjectCommand};

use crate::index::Index;
use crate::shipper::store::Store;

pub async fn run(args: Subject) -> Result<(), String> {
    let SubjectCommand::Export { number, out, place } = args.command;
    let number = number.as_str();
    let config = super::config(place.config.as_deref())?;
    let bucket = config.bucket.as_ref().ok_or("no [storage] url")?;
    let store = Store::connect(bucket);
    let index = Index::open(&config.index).await?;
    let spool = &config.spool;
    let work = tempfile_dir()?;
    let result = async {
        let mut fetched = Vec::new();
        for id in index.of_number(&config.pbx_name, number).await? {
            if layout::find_recording(spool, &id).is_some_and(|p| layout::is_sidecar(&p)) {
                continue;
            }
            let record = index
                .get(&config.pbx_name, &id)
                .await?
                .ok_or_else(|| format!("{id}: left the index meanwhile"))?;
            let dir = work.join(&id);
            let mut sidecar = None;
            for f in &record.files {
                let Some(key) = &f.object else { continue };
                let (_, bytes) = store
                    .get_all(key)
                    .await
                    .map_err(|e| format!("{id}: {} (nothing was exported)", e.message))?;
                let path = dir.join(store.relative(key));
                write(&path, &bytes)?;
                if f.name == "sidecar" {
                    sidecar = Some((bytes, format!("s3://{}/{key}", store.bucket)));
                }
            }
            let Some((bytes, from)) = sidecar else {
                continue;
            };
            fetched.push(Fetched {
                sidecar: serde_json::from_slice(&bytes)
                    .map_err(|e| format!("{from}: not a legrec sidecar: {e}"))?,
                files: dir,
                from,
            });
        }
        export_found(spool, number, &fetched, &out, &mut std::io::stdout())
    }
    .await;
    let _ = std::fs::remove_dir_all(&work);
    result
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// A private folder for what is fetched, removed after.
fn tempfile_dir() -> Result<PathBuf, String> {
    let mut rnd = [0u8; 8];
    let _ = getrandom::getrandom(&mut rnd);
    let dir = std::env::temp_dir().join(format!("legrec-fetched-{}", legrec::hex(&rnd)));
    std::os::unix::fs::DirBuilderExt::mode(&mut std::fs::DirBuilder::new(), 0o700)
        .create(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(dir)
}
