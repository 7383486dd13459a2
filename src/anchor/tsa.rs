//! Asking a Time-Stamp Authority (RFC 3161 over HTTP) to stamp a digest.

use std::io::Read;
use std::time::Duration;

use der::asn1::{Int, OctetString};
use der::Encode;
use x509_cert::spki::AlgorithmIdentifier;
use x509_tsp::{MessageImprint, TimeStampReq, TspVersion};

use super::token::SHA256;

/// A TSA's answer can be a few KiB (the certificates); anything past this
/// is not one.
const MAX_ANSWER: u64 = 1 << 20;

/// The request for `digest` (SHA-256), with a fresh nonce and the TSA's
/// certificates asked for, so the token checks on its own.  Returns the
/// DER and the nonce.
pub fn request(digest: &[u8; 32]) -> Result<(Vec<u8>, Vec<u8>), String> {
    let mut nonce = [0u8; 8];
    getrandom::getrandom(&mut nonce).map_err(|e| e.to_string())?;
    nonce[0] &= 0x7f; // positive
    nonce[0] |= 0x01; // and no leading zero byte for DER to strip
    let req = TimeStampReq {
        version: TspVersion::V1,
        message_imprint: MessageImprint {
            hash_algorithm: AlgorithmIdentifier {
                oid: SHA256,
                parameters: Some(der::Any::null()),
            },
            hashed_message: OctetString::new(digest.to_vec()).map_err(|e| e.to_string())?,
        },
        req_policy: None,
        nonce: Some(Int::new(&nonce).map_err(|e| e.to_string())?),
        cert_req: true,
        extensions: None,
    };
    Ok((req.to_der().map_err(|e| e.to_string())?, nonce.to_vec()))
}

/// POST the request to the TSA; its answer's bytes.
pub fn ask(url: &str, request: &[u8]) -> Result<Vec<u8>, String> {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(30))
        .build();
    let resp = agent
        .post(url)
        .set("Content-Type", "application/timestamp-query")
        .send_bytes(request)
        .map_err(|e| format!("TSA {url}: {e}"))?;
    let mut body = Vec::new();
    resp.into_reader()
        .take(MAX_ANSWER)
        .read_to_end(&mut body)
        .map_err(|e| format!("TSA {url}: {e}"))?;
    Ok(body)
}
