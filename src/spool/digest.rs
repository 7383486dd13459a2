//! The digests a recorded file is known by: SHA-256 of its bytes (the
//! sidecar, the audit chain) and, for FLAC, the MD5 of its audio that
//! STREAMINFO carries (checked by decoding).

use std::io::{self, Read};
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::flac::encoder::{streaminfo_md5, HEAD_LEN};

/// SHA-256 of the whole file, and the MD5 stored in its STREAMINFO (empty
/// when it is not a FLAC file).  Hex, lower case.
pub fn hash_file(path: &Path) -> io::Result<(String, String)> {
    let mut f = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut head = Vec::with_capacity(HEAD_LEN);
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        if head.len() < HEAD_LEN {
            head.extend_from_slice(&buf[..n.min(HEAD_LEN - head.len())]);
        }
        hasher.update(&buf[..n]);
    }
    let md5 = streaminfo_md5(&head)
        .map(|m| crate::hex(&m))
        .unwrap_or_default();
    Ok((crate::hex(&hasher.finalize()), md5))
}
