//! `legrec verify PATH`: every FLAC decodes, its sample count, SHA-256 and
//! STREAMINFO MD5 match the sidecar, and the decoded audio matches the MD5.

use std::path::Path;

use super::read_sidecar;
use crate::audit;
use crate::flac::decoder::decode_file;
use crate::spool::digest::hash_file;
use crate::spool::layout::{self, find_audit_log};

/// One problem found, naming the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub file: String,
    pub what: String,
}

/// Check one FLAC file on its own: decodes to the end, MD5 of the audio
/// matches STREAMINFO.  Returns the decoded sample count.
pub fn check_flac(path: &Path) -> Result<u64, String> {
    let decoded = decode_file(path, &mut |_, _| {}).map_err(|e| e.to_string())?;
    if let Some(e) = decoded.error {
        return Err(e);
    }
    if decoded.info.total_samples != decoded.samples {
        return Err(format!(
            "STREAMINFO says {} samples, {} decoded (cut by a crash? try legrec repair)",
            decoded.info.total_samples, decoded.samples
        ));
    }
    match decoded.md5_ok {
        Some(true) => Ok(decoded.samples),
        Some(false) => Err("decoded audio does not match the MD5 in STREAMINFO".into()),
        None => Err("no MD5 in STREAMINFO".into()),
    }
}

/// Each file's SHA-256 and STREAMINFO MD5, read once however many checks
/// ask (a sidecar and the audit entry both name every file).
#[derive(Default)]
pub struct Hashes(std::collections::HashMap<std::path::PathBuf, Result<(String, String), String>>);

impl Hashes {
    pub fn of(&mut self, path: &Path) -> Result<&(String, String), &str> {
        self.0
            .entry(path.to_path_buf())
            .or_insert_with(|| hash_file(path).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(String::as_str)
    }
}

/// Check one sidecar and the files it lists.
pub fn check_sidecar(path: &Path, hashes: &mut Hashes) -> Vec<Problem> {
    let mut problems = Vec::new();
    let problem = |file: &Path, what: String| Problem {
        file: file.display().to_string(),
        what,
    };
    let sc = match read_sidecar(path) {
        Ok(s) => s,
        Err(e) => return vec![problem(path, e)],
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    for leg in &sc.legs {
        let f = dir.join(&leg.file);
        if leg.file.contains('/') {
            problems.push(problem(
                &f,
                "sidecar names a file outside its directory".into(),
            ));
            continue;
        }
        match hashes.of(&f) {
            Err(e) => {
                problems.push(problem(&f, format!("cannot read: {e}")));
                continue;
            }
            Ok((sha, md5)) => {
                if *sha != leg.sha256 {
                    problems.push(problem(
                        &f,
                        format!("SHA-256 {sha} differs from the sidecar's {}", leg.sha256),
                    ));
                }
                if *md5 != leg.flac_md5 {
                    problems.push(problem(
                        &f,
                        format!(
                            "STREAMINFO MD5 {md5} differs from the sidecar's {}",
                            leg.flac_md5
                        ),
                    ));
                }
            }
        }
        match check_flac(&f) {
            Err(e) => problems.push(problem(&f, e)),
            Ok(n) if n != leg.samples => problems.push(problem(
                &f,
                format!("{n} samples decoded, the sidecar says {}", leg.samples),
            )),
            Ok(_) => {}
        }
    }
    problems
}

/// Verify everything under `root`.  Prints a line per recording; returns
/// the number of failures.  Anchors are checked against the spool's own
/// copy of the TSA's CA.
pub fn run(root: &Path, out: &mut dyn std::io::Write) -> usize {
    run_trusting(root, None, out)
}

/// [`run`], the anchors' tokens checked against `trust` (the admin's own
/// `tsa_ca`, and `[anchor] interval` when anchoring is configured).
pub fn run_trusting(
    root: &Path,
    trust: Option<&crate::anchor::check::Trust>,
    out: &mut dyn std::io::Write,
) -> usize {
    let mut failures = 0;
    let sidecars = if layout::is_sidecar(root) {
        vec![root.to_path_buf()]
    } else if layout::is_flac(root) {
        match check_flac(root) {
            Ok(n) => {
                let _ = writeln!(out, "OK   {} ({n} samples)", root.display());
                return 0;
            }
            Err(e) => {
                let _ = writeln!(out, "FAIL {}: {e}", root.display());
                return 1;
            }
        }
    } else {
        layout::sidecars(root)
    };
    for marker in layout::markers(root) {
        let _ = writeln!(
            out,
            "NOTE {}: recording in progress or interrupted (legrec repair)",
            marker.display()
        );
    }
    let log = find_audit_log(root);
    if sidecars.is_empty() && log.is_none() {
        let _ = writeln!(out, "FAIL {}: no recordings found", root.display());
        return 1;
    }
    let mut hashes = Hashes::default();
    let report = |out: &mut dyn std::io::Write, ok: String, problems: Vec<Problem>| {
        if problems.is_empty() {
            let _ = writeln!(out, "OK   {ok}");
            return 0;
        }
        for p in problems {
            let _ = writeln!(out, "FAIL {}: {}", p.file, p.what);
        }
        1
    };
    if let Some(log) = log {
        let problems = check_audit(&log, &sidecars, &mut hashes);
        let intact = problems.is_empty();
        failures += report(out, format!("{} (chain intact)", log.display()), problems);
        if intact {
            failures += anchors(&log, trust, out);
        }
    }
    for sc in sidecars {
        let problems = check_sidecar(&sc, &mut hashes);
        failures += report(out, sc.display().to_string(), problems);
    }
    failures
}

/// The chain's anchors (RFC 3161 tokens): one line, or a FAIL per problem.
fn anchors(
    log: &Path,
    trust: Option<&crate::anchor::check::Trust>,
    out: &mut dyn std::io::Write,
) -> usize {
    let Ok(entries) = audit::verify_chain(log) else {
        return 0;
    };
    let spool = log.parent().unwrap_or(Path::new("."));
    let (trail, accesses) = crate::anchor::check::trail(spool, &entries);
    let access_log = layout::access_log(spool);
    for p in &trail {
        let _ = writeln!(out, "FAIL {}: {p}", access_log.display());
    }
    if trail.is_empty() && accesses > 0 {
        let _ = writeln!(
            out,
            "OK   {} (chain intact, {accesses} access(es))",
            access_log.display()
        );
    }
    let r = crate::anchor::check::check(spool, &entries, trust, std::time::SystemTime::now());
    for n in &r.notes {
        let _ = writeln!(out, "NOTE {}: {n}", log.display());
    }
    for p in &r.problems {
        let _ = writeln!(out, "FAIL {}: {p}", log.display());
    }
    if r.problems.is_empty() && r.anchors > 0 {
        let _ = writeln!(
            out,
            "OK   {} (anchored: {} token(s) check, entries 1 to {} fixed by the TSA)",
            log.display(),
            r.anchors,
            r.proven_to
        );
    }
    usize::from(!r.problems.is_empty()) + usize::from(!trail.is_empty())
}

/// The chain, every recorded file against its entry, and every sidecar
/// against the log.
pub fn check_audit(
    log: &Path,
    sidecars: &[std::path::PathBuf],
    hashes: &mut Hashes,
) -> Vec<Problem> {
    let name = log.display().to_string();
    let entries = match audit::verify_chain(log) {
        Ok(e) => e,
        Err(b) => {
            return vec![Problem {
                file: format!("{name} line {}", b.line),
                what: b.what,
            }]
        }
    };
    let spool = log.parent().unwrap_or(Path::new("."));
    let mut problems = Vec::new();
    // Files deleted by legrec prune (from its intent on: a prune killed
    // before its outcome is finished by the next), or removed from the spool by the
    // shipper once verified in the bucket, are meant to be gone.
    let gone = |e: &audit::Entry| {
        [super::prune::INTENT, super::prune::OUTCOME, "removed-local"].contains(&e.event.as_str())
    };
    let pruned: std::collections::HashSet<&str> = entries
        .iter()
        .filter(|e| gone(e))
        .map(|e| e.id.as_str())
        .collect();
    // An erased recording: what was chained before its tombstone is meant
    // to be gone or scrubbed; the tombstone's own sidecar must match.
    let erased: std::collections::HashMap<&str, u64> = entries
        .iter()
        .filter(|e| e.event == super::erase::TOMBSTONE)
        .map(|e| (e.id.as_str(), e.seq))
        .collect();
    for (i, e) in entries.iter().enumerate() {
        if gone(e) || pruned.contains(e.id.as_str()) || e.event == super::erase::INTENT {
            continue;
        }
        if erased.get(e.id.as_str()).is_some_and(|t| e.seq < *t) {
            continue;
        }
        for f in &e.files {
            let path = spool.join(&f.file);
            let now = hashes.of(&path).map(|(sha, _)| sha.clone());
            let what = match now {
                Err(_) => format!(
                    "entry {} ({}): {} is missing (deleted outside legrec prune)",
                    e.seq, e.id, f.file
                ),
                Ok(h) if h != f.sha256 => format!(
                    "entry {} ({}): {} changed since it was recorded",
                    e.seq, e.id, f.file
                ),
                Ok(_) => continue,
            };
            problems.push(Problem {
                file: format!("{name} line {}", i + 1),
                what,
            });
        }
    }
    let known: std::collections::HashSet<&str> = entries.iter().map(|e| e.id.as_str()).collect();
    for sc in sidecars {
        if let Ok(s) = read_sidecar(sc) {
            if !known.contains(s.id.as_str()) {
                problems.push(Problem {
                    file: sc.display().to_string(),
                    what: format!(
                        "recording {} has no entry in {name} (entries removed from the end?)",
                        s.id
                    ),
                });
            }
        }
    }
    problems
}
