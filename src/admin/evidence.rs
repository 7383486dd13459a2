//! `legrec evidence ID -o FILE`: one tar a third party can check with
//! `sha256sum`, `openssl ts -verify` and `legrec verify --bundle FILE`,
//! and nothing else (no spool, no database):
//!
//! ```text
//! files/<spool path>       the FLAC legs (and stereo) and the sidecar, at the
//!                          paths the chain names them by
//! SHA256SUMS               their hashes as the recording's chain entry has them
//! chain.jsonl              the chain from the recording's entry to the entry
//!                          the first anchor after it stamped, whole lines
//! entries.jsonl            every entry about this recording (shipping, plays)
//! anchor.tsr               that anchor's RFC 3161 token (the TSA's answer)
//! tsa-ca.pem               the CA the token was checked against here
//! VERIFY.txt               how to check all this by hand
//! ```
//!
//! The export itself is chained in the access trail (`exported`, what
//! `evidence`), as the browser chains its downloads.

use std::path::{Path, PathBuf};

use crate::audit::{self, Entry};
use crate::spool::layout;

/// The events that chain a recording's files (the first of them for an
/// id is the one the bundle proves).
pub const MADE: [&str; 4] = ["recorded", "declined", "failed", "interrupted"];

/// What went into a bundle.
#[derive(Debug)]
pub struct Exported {
    pub policy: String,
    pub recorded_seq: u64,
    pub anchor_seq: u64,
    pub files: usize,
}

/// Who runs this, for the chain: the Unix user (and the one sudo came
/// from).
pub fn unix_user() -> String {
    let uid = unsafe { libc::getuid() };
    let mut buf = vec![0 as libc::c_char; 4096];
    let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
    let mut found: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: buffers owned here, sized as passed; the result is read only
    // when getpwuid_r says it filled `pw`.
    let name = unsafe {
        (libc::getpwuid_r(uid, &mut pw, buf.as_mut_ptr(), buf.len(), &mut found) == 0
            && !found.is_null())
        .then(|| {
            std::ffi::CStr::from_ptr(pw.pw_name)
                .to_string_lossy()
                .into_owned()
        })
    }
    .unwrap_or_else(|| format!("uid {uid}"));
    match std::env::var("SUDO_USER") {
        Ok(s) if !s.is_empty() && s != name => format!("{name} (sudo from {s})"),
        _ => name,
    }
}

/// Write the bundle of recording `id` from `spool` to `out` and chain the
/// export in the access trail as the Unix user's.  `ca` is the TSA's CA to
/// ship (the admin's `tsa_ca`; else the spool's copy).
pub fn export(spool: &Path, id: &str, ca: Option<&Path>, out: &Path) -> Result<Exported, String> {
    export_from(spool, spool, id, ca, out)
}

/// [`export`] with the recording's files read under `files` (at the
/// paths the chain names them by) instead of the spool: a copy fetched
/// from the bucket once keep_local_days removed the spool's.
pub fn export_from(
    spool: &Path,
    files: &Path,
    id: &str,
    ca: Option<&Path>,
    out: &Path,
) -> Result<Exported, String> {
    let x = write_bundle_from(spool, files, id, ca, out)?;
    let note = serde_json::json!({
        "user": unix_user(),
        "role": "admin",
        "what": "evidence",
        "client": "legrec evidence",
        "pbx": "",
    });
    audit::append(
        &layout::access_log(spool),
        Entry::new("exported", id, &x.policy, Vec::new(), &note.to_string()),
        0o640,
    )
    .map_err(|e| format!("access trail: {e} (the bundle was written)"))?;
    Ok(x)
}

/// [`export`] without chaining it: for a caller that chains the export
/// itself, as its own user (the browser).
pub fn write_bundle(
    spool: &Path,
    id: &str,
    ca: Option<&Path>,
    out: &Path,
) -> Result<Exported, String> {
    write_bundle_from(spool, spool, id, ca, out)
}

fn write_bundle_from(
    spool: &Path,
    from: &Path,
    id: &str,
    ca: Option<&Path>,
    out: &Path,
) -> Result<Exported, String> {
    let log = layout::audit_log(spool);
    let entries = audit::verify_chain(&log).map_err(|b| {
        format!(
            "{} line {}: {} (legrec verify says more); no bundle made",
            log.display(),
            b.line,
            b.what
        )
    })?;
    let recorded = entries
        .iter()
        .find(|e| e.id == id && MADE.contains(&e.event.as_str()))
        .ok_or_else(|| format!("{id}: no recording of that id in {}", log.display()))?;
    // The first token that stamps this entry or a later one.
    let (anchor_seq, token) = std::fs::read_dir(layout::anchors_dir(spool))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter_map(|p| Some((layout::anchor_seq(&p)?, p)))
        .filter(|(s, _)| *s >= recorded.seq && (*s as usize) <= entries.len())
        .min()
        .ok_or_else(|| {
            format!(
                "{id}: no anchor covers its entry {} yet (legrec anchor --config FILE --once makes one)",
                recorded.seq
            )
        })?;
    let segment = &entries[recorded.seq as usize - 1..anchor_seq as usize];
    let ca = ca
        .map(Path::to_path_buf)
        .unwrap_or_else(|| layout::anchor_ca(spool));
    let ca_pem = std::fs::read(&ca).map_err(|e| format!("{}: {e}", ca.display()))?;
    let token_bytes = std::fs::read(&token).map_err(|e| format!("{}: {e}", token.display()))?;
    // Refuse to ship what would not check.
    let cas = crate::anchor::token::read_cas(&ca_pem)?;
    let stamp = crate::anchor::token::check(&token_bytes, &cas, None)
        .map_err(|e| format!("{}: {e}", token.display()))?;
    let head = segment.last().expect("the segment ends at the anchor");
    if stamp.imprint != head.hash {
        return Err(format!(
            "{}: does not stamp entry {} as the chain has it (legrec verify says more)",
            token.display(),
            anchor_seq
        ));
    }

    let mut files: Vec<(String, PathBuf)> = Vec::new();
    let mut sums = String::new();
    for f in &recorded.files {
        let path = from.join(&f.file);
        let (sha, _) = crate::spool::digest::hash_file(&path)
            .map_err(|e| format!("{}: {e} (pruned, shipped away or erased?)", f.file))?;
        if sha != f.sha256 {
            return Err(format!(
                "{}: changed since entry {} chained it (legrec verify says more)",
                f.file, recorded.seq
            ));
        }
        sums.push_str(&format!("{}  files/{}\n", f.sha256, f.file));
        files.push((format!("files/{}", f.file), path));
    }
    let lines = |es: &[Entry]| -> String {
        es.iter()
            .map(|e| serde_json::to_string(e).expect("entry serializes") + "\n")
            .collect()
    };
    let about: Vec<Entry> = entries.iter().filter(|e| e.id == id).cloned().collect();
    let verify = verify_text(id, recorded, head, &stamp, &files);

    let tmp = out.with_extension(format!("tmp{}", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let file = crate::spool::files::create_new(&tmp, 0o640)?;
        let mut tar = tar::Builder::new(file);
        tar.mode(tar::HeaderMode::Deterministic);
        let mut add = |name: &str, bytes: &[u8]| -> std::io::Result<()> {
            let mut h = tar::Header::new_gnu();
            h.set_size(bytes.len() as u64);
            h.set_mode(0o644);
            h.set_mtime(0);
            h.set_cksum();
            tar.append_data(&mut h, name, bytes)
        };
        add("VERIFY.txt", verify.as_bytes())?;
        add("SHA256SUMS", sums.as_bytes())?;
        add("chain.jsonl", lines(segment).as_bytes())?;
        add("entries.jsonl", lines(&about).as_bytes())?;
        add("anchor.tsr", &token_bytes)?;
        add("tsa-ca.pem", &ca_pem)?;
        for (name, path) in &files {
            add(name, &std::fs::read(path)?)?;
        }
        let file = tar.into_inner()?;
        file.sync_all()?;
        std::fs::rename(&tmp, out)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(format!("{}: {e}", out.display()));
    }
    Ok(Exported {
        policy: recorded.policy.clone(),
        recorded_seq: recorded.seq,
        anchor_seq,
        files: files.len(),
    })
}

fn verify_text(
    id: &str,
    recorded: &Entry,
    head: &Entry,
    stamp: &crate::anchor::token::Stamp,
    files: &[(String, PathBuf)],
) -> String {
    format!(
        "Evidence for recording {id}\n\
         ==========================\n\n\
         What this proves: the files below are those the recorder chained in\n\
         entry {r} of its audit chain; that entry is linked, hash by hash, to\n\
         entry {a}; and a Time-Stamp Authority ({tsa}) signed entry {a}'s hash\n\
         at {time}. Nothing up to entry {a} can have changed since without the\n\
         TSA's signature failing.\n\n\
         Files: {names}\n\n\
         1. The files are those of entry {r} (its \"files\", copied to SHA256SUMS):\n\n\
         \x20   sha256sum -c SHA256SUMS\n\n\
         2. Each line of chain.jsonl is an entry; its \"hash\" is the SHA-256 of\n\
         \x20  the line with that hash emptied, and its \"prev\" the line before's\n\
         \x20  \"hash\". For the last line (entry {a}):\n\n\
         \x20   tail -n 1 chain.jsonl | sed 's/\"hash\":\"[0-9a-f]*\"}}$/\"hash\":\"\"}}/' | tr -d '\\n' | sha256sum\n\n\
         \x20  gives {head}, and every line's \"prev\" is the \"hash\" of the line\n\
         \x20  before it (the first line is entry {r}, whose \"files\" are step 1's).\n\n\
         3. The TSA signed that hash (tsa-ca.pem is the CA it was checked against\n\
         \x20  when this bundle was made: compare its fingerprint with the one the\n\
         \x20  TSA publishes, `openssl x509 -noout -fingerprint -sha256 -in tsa-ca.pem`):\n\n\
         \x20   openssl ts -verify -digest {head} -in anchor.tsr -CAfile tsa-ca.pem\n\
         \x20   openssl ts -reply -in anchor.tsr -text      # when, and which TSA\n\n\
         4. All of it at once, and the audio itself (each FLAC decodes and its\n\
         \x20  STREAMINFO MD5 and length match the sidecar):\n\n\
         \x20   legrec verify --bundle THIS-FILE.tar [--tsa-ca YOUR-COPY.pem]\n\n\
         entries.jsonl lists every entry about this recording (shipping, plays,\n\
         exports), for reading; the later ones are proven by later anchors.\n",
        r = recorded.seq,
        a = head.seq,
        tsa = stamp.tsa,
        time = stamp.time,
        head = head.hash,
        names = files
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    )
}
