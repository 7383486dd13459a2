//! `legrec verify --bundle FILE`: check an evidence bundle (see
//! evidence.rs) with nothing but the bundle: its chain segment links, its
//! first entry names the files' hashes, the audio decodes and matches the
//! sidecar, and the TSA's token stamps the segment's last entry.

use std::path::{Path, PathBuf};

use super::evidence::MADE;
use super::verify::{check_sidecar, Hashes};
use crate::audit::Entry;
use crate::spool::layout;

/// A folder of our own under the temporary directory, removed when done.
struct Unpacked(PathBuf);

impl Drop for Unpacked {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn unpack(bundle: &Path) -> Result<Unpacked, String> {
    let mut rnd = [0u8; 8];
    let _ = getrandom::getrandom(&mut rnd);
    let dir = std::env::temp_dir().join(format!("legrec-bundle-{}", crate::hex(&rnd)));
    std::fs::create_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let dir = Unpacked(dir);
    let file = std::fs::File::open(bundle).map_err(|e| format!("{}: {e}", bundle.display()))?;
    // unpack() refuses names with `..` or a leading `/`.
    tar::Archive::new(file)
        .unpack(&dir.0)
        .map_err(|e| format!("{}: not a legrec evidence bundle: {e}", bundle.display()))?;
    Ok(dir)
}

/// Check the bundle; each line of the report goes to `out`.  Returns the
/// problems found (none: it holds).
pub fn verify(bundle: &Path, ca: Option<&Path>, out: &mut dyn std::io::Write) -> Vec<String> {
    let dir = match unpack(bundle) {
        Ok(d) => d,
        Err(e) => return vec![e],
    };
    let mut problems = Vec::new();
    check(&dir.0, ca, out, &mut problems);
    for p in &problems {
        let _ = writeln!(out, "FAIL {p}");
    }
    problems
}

fn check(dir: &Path, ca: Option<&Path>, out: &mut dyn std::io::Write, problems: &mut Vec<String>) {
    let text = match std::fs::read_to_string(dir.join("chain.jsonl")) {
        Ok(t) => t,
        Err(e) => return problems.push(format!("chain.jsonl: {e}")),
    };
    let mut segment: Vec<Entry> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let e: Entry = match serde_json::from_str(line) {
            Ok(e) => e,
            Err(e) => {
                return problems.push(format!("chain.jsonl line {}: not an entry: {e}", i + 1))
            }
        };
        if e.hash != e.digest() {
            return problems.push(format!(
                "chain.jsonl line {}: entry {} does not match its hash: edited",
                i + 1,
                e.seq
            ));
        }
        if let Some(before) = segment.last() {
            if e.prev != before.hash || e.seq != before.seq + 1 {
                return problems.push(format!(
                    "chain.jsonl line {}: entry {} does not follow entry {}",
                    i + 1,
                    e.seq,
                    before.seq
                ));
            }
        }
        segment.push(e);
    }
    let (Some(recorded), Some(head)) = (segment.first(), segment.last()) else {
        return problems.push("chain.jsonl is empty".into());
    };
    if !MADE.contains(&recorded.event.as_str()) {
        return problems.push(format!(
            "chain.jsonl starts with a '{}' entry, not a recording's",
            recorded.event
        ));
    }
    let _ = writeln!(
        out,
        "OK   chain.jsonl: entries {} to {} link, hash by hash",
        recorded.seq, head.seq
    );

    // The files, as the recording's entry has them.
    let mut sidecar = None;
    for f in &recorded.files {
        if f.file.split('/').any(|p| p == ".." || p.is_empty()) {
            problems.push(format!(
                "entry {} names an unsafe path {}",
                recorded.seq, f.file
            ));
            continue;
        }
        let path = dir.join("files").join(&f.file);
        match crate::spool::digest::hash_file(&path) {
            Err(e) => problems.push(format!("files/{}: {e}", f.file)),
            Ok((sha, _)) if sha != f.sha256 => problems.push(format!(
                "files/{}: SHA-256 {sha}, entry {} says {}",
                f.file, recorded.seq, f.sha256
            )),
            Ok(_) => {
                if layout::is_sidecar(&path) {
                    sidecar = Some(path);
                }
            }
        }
    }
    match sidecar {
        None => problems.push(format!(
            "entry {} names no sidecar in the bundle",
            recorded.seq
        )),
        Some(sc) => {
            let found = check_sidecar(&sc, &mut Hashes::default());
            for p in &found {
                problems.push(format!(
                    "{}: {}",
                    Path::new(&p.file)
                        .strip_prefix(dir)
                        .unwrap_or(Path::new(&p.file))
                        .display(),
                    p.what
                ));
            }
            if found.is_empty() {
                let _ = writeln!(
                    out,
                    "OK   recording {}: {} file(s) match entry {}; the audio decodes and matches its sidecar",
                    recorded.id,
                    recorded.files.len(),
                    recorded.seq
                );
            }
        }
    }

    // The TSA's token.
    let own = dir.join("tsa-ca.pem");
    let ca_file = ca.unwrap_or(&own);
    let cas = match std::fs::read(ca_file)
        .map_err(|e| e.to_string())
        .and_then(|pem| crate::anchor::token::read_cas(&pem))
    {
        Ok(c) => c,
        Err(e) => return problems.push(format!("{}: {e}", ca_file.display())),
    };
    let token = match std::fs::read(dir.join("anchor.tsr")) {
        Ok(t) => t,
        Err(e) => return problems.push(format!("anchor.tsr: {e}")),
    };
    match crate::anchor::token::check(&token, &cas, None) {
        Err(e) => problems.push(format!("anchor.tsr: {e}")),
        Ok(stamp) if stamp.imprint != head.hash => problems.push(format!(
            "anchor.tsr stamps {}, not entry {} ({})",
            stamp.imprint, head.seq, head.hash
        )),
        Ok(stamp) => {
            let _ = writeln!(
                out,
                "OK   anchor.tsr: {} stamped entry {} at {}",
                stamp.tsa, head.seq, stamp.time
            );
            if ca.is_none() {
                let _ = writeln!(
                    out,
                    "NOTE the TSA's CA is the bundle's own tsa-ca.pem: compare its fingerprint with the TSA's, or give --tsa-ca"
                );
            }
        }
    }
}
