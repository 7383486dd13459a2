//! An RFC 3161 time-stamp token, checked as `openssl ts -verify` checks it:
//! the TSA's answer was granted, its imprint is the digest we expect, the
//! signature over the signed attributes verifies with the signer's key,
//! those attributes bind the TSTInfo (content type, message digest), and
//! the signer's certificate chains to a CA the caller trusts and is meant
//! for time-stamping.

use cms::cert::CertificateChoices;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier, SignerInfo};
use der::asn1::{GeneralizedTime, ObjectIdentifier, OctetString};
use der::{Decode, Encode};
use sha2::{Digest, Sha256};
use x509_cert::Certificate;
use x509_tsp::{TimeStampResp, TstInfo};

const SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const TST_INFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
const CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
pub const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const RSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const EXT_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
const TIME_STAMPING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");

/// What a checked token says.
#[derive(Debug, Clone, PartialEq)]
pub struct Stamp {
    /// The SHA-256 the TSA signed, hex.
    pub imprint: String,
    /// When, as the TSA says it (RFC 3339).
    pub time: String,
    pub serial: String,
    /// The signer's subject, for messages.
    pub tsa: String,
}

/// The certificates a caller trusts (the PEM file `tsa_ca` names).
pub fn read_cas(pem: &[u8]) -> Result<Vec<Certificate>, String> {
    let certs =
        Certificate::load_pem_chain(pem).map_err(|e| format!("not a PEM certificate: {e}"))?;
    if certs.is_empty() {
        return Err("no certificate in the CA file".into());
    }
    Ok(certs)
}

/// The token of a TSA's answer (a TimeStampResp, as `openssl ts -reply`
/// writes and TSAs send), if it was granted.
pub fn token_of(response: &[u8]) -> Result<ContentInfo, String> {
    let resp = TimeStampResp::from_der(response)
        .map_err(|e| format!("not an RFC 3161 time-stamp response: {e}"))?;
    let status = resp.status.status as u8;
    if status > 1 {
        return Err(format!(
            "the TSA refused (PKIStatus {status}{})",
            resp.status
                .status_string
                .as_ref()
                .map(|s| format!(": {s:?}"))
                .unwrap_or_default()
        ));
    }
    resp.time_stamp_token
        .ok_or_else(|| "the TSA granted but sent no token".into())
}

/// Check a TSA's answer: granted, a SHA-256 imprint, signed by a
/// certificate that chains to one of `cas`.  `nonce`, when given, must be
/// the request's.  What it stamps is the caller's to compare
/// (`Stamp::imprint`).
pub fn check(response: &[u8], cas: &[Certificate], nonce: Option<&[u8]>) -> Result<Stamp, String> {
    let token = token_of(response)?;
    if token.content_type != SIGNED_DATA {
        return Err("the token is not CMS SignedData".into());
    }
    let sd: SignedData = token
        .content
        .decode_as()
        .map_err(|e| format!("the token's SignedData: {e}"))?;
    if sd.encap_content_info.econtent_type != TST_INFO {
        return Err("the token does not hold a TSTInfo".into());
    }
    let content = sd
        .encap_content_info
        .econtent
        .as_ref()
        .ok_or("the token holds no TSTInfo")?
        .decode_as::<OctetString>()
        .map_err(|e| format!("the token's content: {e}"))?;
    let tst = TstInfo::from_der(content.as_bytes()).map_err(|e| format!("the TSTInfo: {e}"))?;
    if tst.message_imprint.hash_algorithm.oid != SHA256 {
        return Err("the token's imprint is not SHA-256".into());
    }
    let imprint = tst.message_imprint.hashed_message.as_bytes();
    if let Some(want) = nonce {
        if tst.nonce.as_ref().map(|n| n.as_bytes()) != Some(want) {
            return Err("the token's nonce is not the request's (a replayed answer?)".into());
        }
    }
    let certs: Vec<&Certificate> = sd
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .filter_map(|c| match c {
            CertificateChoices::Certificate(c) => Some(c),
            _ => None,
        })
        .collect();
    let [signer] = sd.signer_infos.0.as_slice() else {
        return Err("the token must have exactly one signer".into());
    };
    let cert = signer_cert(signer, &certs)?;
    check_signer(signer, cert, content.as_bytes())?;
    check_chain(cert, &certs, cas, &tst.gen_time)?;
    Ok(Stamp {
        imprint: crate::hex(imprint),
        time: humantime::format_rfc3339_seconds(tst.gen_time.to_system_time()).to_string(),
        serial: crate::hex(tst.serial_number.as_bytes()),
        tsa: cert.tbs_certificate.subject.to_string(),
    })
}

/// The certificate `signer` names, among those the token carries (the
/// request asks for them: certReq).
fn signer_cert<'a>(
    signer: &SignerInfo,
    certs: &[&'a Certificate],
) -> Result<&'a Certificate, String> {
    certs
        .iter()
        .copied()
        .find(|c| match &signer.sid {
            SignerIdentifier::IssuerAndSerialNumber(i) => {
                c.tbs_certificate.issuer == i.issuer
                    && c.tbs_certificate.serial_number == i.serial_number
            }
            SignerIdentifier::SubjectKeyIdentifier(ski) => {
                c.tbs_certificate.extensions.iter().flatten().any(|e| {
                    e.extn_id == ObjectIdentifier::new_unwrap("2.5.29.14")
                        && e.extn_value.as_bytes().ends_with(ski.0.as_bytes())
                })
            }
        })
        .ok_or_else(|| "the token does not carry its signer's certificate".into())
}

/// The signed attributes bind the content; the signature covers them.
fn check_signer(signer: &SignerInfo, cert: &Certificate, content: &[u8]) -> Result<(), String> {
    if signer.digest_alg.oid != SHA256 {
        return Err(format!(
            "the token is signed with digest {}; legrec checks SHA-256",
            signer.digest_alg.oid
        ));
    }
    let attrs = signer
        .signed_attrs
        .as_ref()
        .ok_or("the token's signer has no signed attributes")?;
    let value = |oid: ObjectIdentifier| {
        attrs
            .iter()
            .find(|a| a.oid == oid)
            .and_then(|a| a.values.iter().next())
    };
    let ct = value(CONTENT_TYPE)
        .and_then(|v| v.decode_as::<ObjectIdentifier>().ok())
        .ok_or("the signed attributes lack the content type")?;
    if ct != TST_INFO {
        return Err("the signed content type is not TSTInfo".into());
    }
    let md = value(MESSAGE_DIGEST)
        .and_then(|v| v.decode_as::<OctetString>().ok())
        .ok_or("the signed attributes lack the message digest")?;
    if md.as_bytes() != Sha256::digest(content).as_slice() {
        return Err("the signed message digest does not match the TSTInfo".into());
    }
    let signed = attrs
        .to_der()
        .map_err(|e| format!("the signed attributes: {e}"))?;
    verify_signature(
        cert,
        &signer.signature_algorithm.oid,
        &signed,
        signer.signature.as_bytes(),
    )
    .map_err(|e| format!("the TSA's signature does not verify: {e}"))
}

/// `signature` over `message` by the key of `cert` (RSA PKCS#1 v1.5 or
/// ECDSA P-256, with SHA-256: what TSAs use).
fn verify_signature(
    cert: &Certificate,
    algorithm: &ObjectIdentifier,
    message: &[u8],
    signature: &[u8],
) -> Result<(), String> {
    let spki = &cert.tbs_certificate.subject_public_key_info;
    let key_der = spki.to_der().map_err(|e| e.to_string())?;
    match *algorithm {
        RSA | RSA_SHA256 => {
            use rsa::pkcs8::DecodePublicKey;
            use rsa::signature::Verifier;
            let key = rsa::RsaPublicKey::from_public_key_der(&key_der)
                .map_err(|e| format!("the RSA key: {e}"))?;
            let sig = rsa::pkcs1v15::Signature::try_from(signature).map_err(|e| e.to_string())?;
            rsa::pkcs1v15::VerifyingKey::<Sha256>::new(key)
                .verify(message, &sig)
                .map_err(|e| e.to_string())
        }
        ECDSA_SHA256 => {
            use p256::ecdsa::signature::Verifier;
            use p256::pkcs8::DecodePublicKey;
            let key = p256::ecdsa::VerifyingKey::from_public_key_der(&key_der)
                .map_err(|e| format!("the P-256 key: {e}"))?;
            let sig = p256::ecdsa::Signature::from_der(signature).map_err(|e| e.to_string())?;
            key.verify(message, &sig).map_err(|e| e.to_string())
        }
        ref other => Err(format!(
            "signature algorithm {other} is not one legrec checks"
        )),
    }
}

/// The signer's certificate is for time-stamping, valid when it signed,
/// and chains (through certificates the token carries) to one of `cas`.
fn check_chain(
    signer: &Certificate,
    carried: &[&Certificate],
    cas: &[Certificate],
    at: &GeneralizedTime,
) -> Result<(), String> {
    let eku = signer
        .tbs_certificate
        .extensions
        .iter()
        .flatten()
        .find(|e| e.extn_id == EXT_KEY_USAGE)
        .ok_or("the TSA's certificate has no extended key usage")?;
    let usages = x509_cert::ext::pkix::ExtendedKeyUsage::from_der(eku.extn_value.as_bytes())
        .map_err(|e| format!("the TSA's extended key usage: {e}"))?;
    if !eku.critical || usages.0 != [TIME_STAMPING] {
        return Err(
            "the TSA's certificate is not for time-stamping only (RFC 3161: critical extendedKeyUsage timeStamping)"
                .into(),
        );
    }
    let when = at.to_system_time();
    let mut cert = signer;
    for _ in 0..8 {
        let v = &cert.tbs_certificate.validity;
        if when < v.not_before.to_system_time() || when > v.not_after.to_system_time() {
            return Err(format!(
                "{} was not valid when the token was signed",
                cert.tbs_certificate.subject
            ));
        }
        let issued_by = |issuer: &Certificate| {
            issuer.tbs_certificate.subject == cert.tbs_certificate.issuer
                && cert
                    .tbs_certificate
                    .to_der()
                    .map_err(|e| e.to_string())
                    .and_then(|tbs| {
                        verify_signature(
                            issuer,
                            &cert.signature_algorithm.oid,
                            &tbs,
                            cert.signature.raw_bytes(),
                        )
                    })
                    .is_ok()
        };
        if cas.iter().any(|ca| ca == cert || issued_by(ca)) {
            return Ok(());
        }
        match carried.iter().find(|c| *c != &cert && issued_by(c)) {
            Some(next) => cert = next,
            None => break,
        }
    }
    Err(format!(
        "the TSA's certificate ({}) does not chain to the trusted CA",
        signer.tbs_certificate.subject
    ))
}
