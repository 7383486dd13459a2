//! What the index keeps of a sidecar: the facts searched on, in the shape
//! of the `recordings` row, and the files and peers beside it.

use legrec::sidecar::{Peer, Sidecar};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// One file of a recording; `object` once it is verified in the bucket.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FileFact {
    /// `in`, `out`, `stereo` or `sidecar`.
    pub name: String,
    /// Relative to the sidecar's folder.
    pub file: String,
    pub sha256: String,
    pub object: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Facts {
    pub pbx: String,
    pub sidecar: Sidecar,
    /// The sidecar's exact bytes, kept so a page or an API answer shows it
    /// as written.
    pub sidecar_json: String,
    pub started_ms: i64,
    pub duration: f64,
    pub law: Option<(String, String)>,
    pub files: Vec<FileFact>,
    /// `spool` while only on the PBX, `s3://BUCKET` once shipped.
    pub location: String,
}

impl Facts {
    /// The facts of the sidecar `bytes` made on `pbx`.
    pub fn of(pbx: &str, bytes: &[u8], location: &str) -> Result<Facts, String> {
        let sidecar: Sidecar =
            serde_json::from_slice(bytes).map_err(|e| format!("not a legrec sidecar: {e}"))?;
        let started = humantime::parse_rfc3339(&sidecar.started_at)
            .map_err(|e| format!("started_at '{}': {e}", sidecar.started_at))?;
        let started_ms = started
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let duration = sidecar
            .legs
            .iter()
            .filter(|l| l.sample_rate > 0)
            .map(|l| l.samples as f64 / f64::from(l.sample_rate))
            .fold(0.0, f64::max);
        let mut files: Vec<FileFact> = sidecar
            .legs
            .iter()
            .map(|l| FileFact {
                name: l.name.clone(),
                file: l.file.clone(),
                sha256: l.sha256.clone(),
                object: None,
            })
            .collect();
        files.push(FileFact {
            name: "sidecar".into(),
            file: legrec::spool::layout::sidecar_name(&sidecar.id),
            sha256: legrec::hex(&Sha256::digest(bytes)),
            object: None,
        });
        let law = sidecar
            .consent
            .law
            .as_ref()
            .map(|l| (l.rule.clone(), l.reason.clone()));
        Ok(Facts {
            pbx: pbx.to_string(),
            sidecar_json: String::from_utf8_lossy(bytes).into_owned(),
            started_ms,
            duration,
            law,
            files,
            location: location.to_string(),
            sidecar,
        })
    }

    pub fn peers(&self) -> &[Peer] {
        &self.sidecar.peers
    }

    pub fn sidecar_sha256(&self) -> &str {
        &self
            .files
            .last()
            .expect("the sidecar is always listed")
            .sha256
    }
}
