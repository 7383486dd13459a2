//! A data subject's rights over the spool: `legrec subject export
//! --number N -o FILE` (access, GDPR art. 15: every recording where N took
//! part, as evidence bundles, with an index) and `legrec erase ID|--number
//! N --reason TEXT` (erasure, art. 17: see erase.rs).

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::erase::{erase as erase_one, recordings_of};
use crate::sidecar::Sidecar;

/// `legrec erase ID... | --number N --reason TEXT`.
pub fn erase(
    spool: &Path,
    ids: &[String],
    number: Option<&str>,
    reason: &str,
    out: &mut dyn std::io::Write,
) -> Result<(), String> {
    let mut ids = ids.to_vec();
    if let Some(n) = number {
        ids.extend(recordings_of(spool, n).into_iter().map(|(_, sc)| sc.id));
    }
    if ids.is_empty() {
        return Err("legrec erase ID...|--number N --reason TEXT: nothing to erase".into());
    }
    let mut failed = Vec::new();
    for id in &ids {
        match erase_one(spool, id, reason) {
            Ok(e) => {
                let _ = writeln!(out, "erased {id} (tombstone: entry {})", e.seq);
            }
            Err(e) => failed.push(e),
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(failed.join("; "))
    }
}

/// One line of a subject export's index.
#[derive(Serialize)]
struct Found {
    id: String,
    started_at: String,
    policy: String,
    queue: String,
    caller: String,
    callee: String,
    /// How the subject took part: `caller`, `callee` or `peer`.
    took_part_as: String,
    status: String,
    /// Where its files came from: `spool`, or the bucket they were
    /// fetched from once the spool's copy was removed.
    from: String,
    /// Its evidence bundle in this file, or why there is none.
    bundle: Option<String>,
    note: Option<String>,
}

/// A recording kept elsewhere than the spool, its files fetched into
/// `files` at the paths the chain names them by.
pub struct Fetched {
    pub sidecar: Sidecar,
    pub files: PathBuf,
    /// Where from, for the index (`s3://BUCKET/KEY` of its sidecar).
    pub from: String,
}

/// `legrec subject export --number N -o FILE`: one tar with
/// `index.json` and `bundles/<id>.tar` for each recording.  Each bundle's
/// export is chained in the access trail (legrec evidence).
pub fn export(
    spool: &Path,
    number: &str,
    file: &Path,
    out: &mut dyn std::io::Write,
) -> Result<(), String> {
    export_found(spool, number, &[], file, out)
}

/// The export of every recording of `number` in `spool` and of those
/// `fetched` from elsewhere (legrec-fleet's, from the bucket).
pub fn export_found(
    spool: &Path,
    number: &str,
    fetched: &[Fetched],
    file: &Path,
    out: &mut dyn std::io::Write,
) -> Result<(), String> {
    let mut rnd = [0u8; 8];
    let _ = getrandom::getrandom(&mut rnd);
    let work = std::env::temp_dir().join(format!("legrec-subject-{}", crate::hex(&rnd)));
    std::fs::create_dir(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    let result = (|| {
        let mut found = Vec::new();
        let mut bundles = Vec::new();
        let here = recordings_of(spool, number)
            .into_iter()
            .map(|(_, sc)| (sc, spool.to_path_buf(), "spool".to_string()));
        let there = fetched
            .iter()
            .map(|f| (f.sidecar.clone(), f.files.clone(), f.from.clone()));
        for (sc, files, from) in here.chain(there) {
            let role = if sc.caller.number == number {
                "caller"
            } else if sc.callee == number {
                "callee"
            } else {
                "peer"
            };
            let path = work.join(format!("{}.tar", sc.id));
            let (bundle, note) =
                match super::evidence::export_from(spool, &files, &sc.id, None, &path) {
                    Ok(_) => {
                        let name = format!("bundles/{}.tar", sc.id);
                        bundles.push((name.clone(), path));
                        (Some(name), None)
                    }
                    Err(e) => (None, Some(e)),
                };
            found.push(Found {
                id: sc.id.clone(),
                started_at: sc.started_at.clone(),
                policy: sc.policy.clone(),
                queue: sc.queue.clone(),
                caller: sc.caller.number.clone(),
                callee: sc.callee.clone(),
                took_part_as: role.into(),
                status: sc.status.clone(),
                from,
                bundle,
                note,
            });
        }
        let index = serde_json::to_vec_pretty(&serde_json::json!({
            "number": number,
            "recordings": found,
        }))
        .expect("index serializes");
        let f = crate::spool::files::create_new(file, 0o640)
            .map_err(|e| format!("{}: {e}", file.display()))?;
        let mut tar = tar::Builder::new(f);
        let mut add = |name: &str, bytes: &[u8]| {
            let mut h = tar::Header::new_gnu();
            h.set_size(bytes.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            tar.append_data(&mut h, name, bytes)
                .map_err(|e| format!("{}: {e}", file.display()))
        };
        add("index.json", &index)?;
        for (name, path) in &bundles {
            add(name, &std::fs::read(path).map_err(|e| e.to_string())?)?;
        }
        tar.into_inner()
            .and_then(|f| f.sync_all())
            .map_err(|e| format!("{}: {e}", file.display()))?;
        let _ = writeln!(
            out,
            "wrote {}: {} recording(s) of {number}, {} with an evidence bundle{}",
            file.display(),
            found.len(),
            bundles.len(),
            match fetched.len() {
                0 => String::new(),
                n => format!("; {n} fetched from the bucket"),
            }
        );
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&work);
    result
}
