//! The bucket, through aws-sdk-s3: put a file (in parts when large), read an
//! object back to hash it, list, delete, and clean up uploads left unfinished.
//!
//! Checksums are computed only when an operation requires them: since 2025
//! the SDK adds CRC checksums to every request by default, which several
//! S3-compatible servers reject; legrec verifies by reading back instead.

use std::path::Path;
use std::time::Duration;

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::config::{
    Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use aws_sdk_s3::Client;
use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;

use crate::config::Bucket;

/// Why the store refused, as far as what to do next differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trouble {
    /// Refused, timed out, or answered 5xx: try again later.
    Down,
    /// Wrong access key or secret, or not allowed.
    Denied,
    NoBucket,
    NotFound,
    /// A byte range past the object's end (HTTP 416).
    Unsatisfiable,
    /// Anything else (a local file unreadable, a malformed answer).
    Other,
}

#[derive(Clone, Debug)]
pub struct StoreError {
    pub trouble: Trouble,
    pub message: String,
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl StoreError {
    /// The message, with what an admin should check for this trouble.
    pub fn advice(&self) -> String {
        let hint = match self.trouble {
            Trouble::Denied => " (check [storage] access_key and secret_key)",
            Trouble::NoBucket => " (create the bucket, or correct [storage] url)",
            Trouble::Down => " (is the store running? [storage] endpoint)",
            _ => "",
        };
        format!("{}{hint}", self.message)
    }

    fn other(message: String) -> StoreError {
        StoreError {
            trouble: Trouble::Other,
            message,
        }
    }
}

/// An SDK error in the words an admin acts on.
fn classify<E>(what: &str, e: SdkError<E, HttpResponse>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let code = e.code().map(str::to_string);
    let status = e.raw_response().map(|r| r.status().as_u16());
    let (trouble, detail) = match &e {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => (
            Trouble::Down,
            "the store does not answer (refused or timed out)".to_string(),
        ),
        SdkError::ServiceError(se) => {
            let code = code.clone().unwrap_or_default();
            let message = se.err().message().unwrap_or("").to_string();
            let trouble = match code.as_str() {
                "NoSuchBucket" => Trouble::NoBucket,
                "NoSuchKey" | "NotFound" | "NoSuchUpload" => Trouble::NotFound,
                "InvalidRange" => Trouble::Unsatisfiable,
                "InvalidAccessKeyId" | "SignatureDoesNotMatch" | "AccessDenied" => Trouble::Denied,
                "InternalError" | "ServiceUnavailable" | "SlowDown" | "RequestTimeout" => {
                    Trouble::Down
                }
                _ if status.is_some_and(|s| s >= 500) => Trouble::Down,
                _ if status == Some(403) => Trouble::Denied,
                _ if status == Some(404) => Trouble::NotFound,
                _ if status == Some(416) => Trouble::Unsatisfiable,
                _ => Trouble::Other,
            };
            let status = status.map(|s| format!("HTTP {s}")).unwrap_or_default();
            (
                trouble,
                format!("{status} {code} {message}").trim().to_string(),
            )
        }
        SdkError::ResponseError(_) => (Trouble::Down, "an unreadable answer".to_string()),
        _ => (Trouble::Other, format!("{e}")),
    };
    let detail = if detail.is_empty() {
        format!("{e:?}").chars().take(300).collect()
    } else {
        detail
    };
    StoreError {
        trouble,
        message: format!("{what}: {detail}"),
    }
}

pub struct Store {
    client: Client,
    pub bucket: String,
    pub prefix: String,
}

/// An upload in parts not finished.
#[derive(Clone, Debug)]
pub struct Unfinished {
    pub key: String,
    pub upload_id: String,
}

impl Store {
    pub fn connect(b: &Bucket) -> Store {
        let mut conf = aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(Region::new(b.region.clone()))
            .credentials_provider(Credentials::new(
                b.access_key.expose(),
                b.secret_key.expose(),
                None,
                None,
                "legrec.conf",
            ))
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
            .timeout_config(
                aws_sdk_s3::config::timeout::TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(5))
                    .operation_attempt_timeout(Duration::from_secs(300))
                    .build(),
            );
        if let Some(endpoint) = &b.endpoint {
            // S3-compatible servers answer at one address: bucket in the path.
            conf = conf.endpoint_url(endpoint).force_path_style(true);
        }
        Store {
            client: Client::from_conf(conf.build()),
            bucket: b.bucket.clone(),
            prefix: b.prefix.clone(),
        }
    }

    /// The folder under the prefix where PBX `pbx` keeps what is its own
    /// beside the recordings (`.anchors`, `.chains`): PBXs of a fleet may
    /// share a prefix, and their chains' seqs overlap.  Bytes a key should
    /// not carry are percent-encoded, not replaced, so two names never
    /// share a folder ("pbx a" and "pbx_a" once did, and the second PBX's
    /// segments would have overwritten the first's); so is a name of dots
    /// only, which is not a folder.
    pub fn own_folder(folder: &str, pbx: &str) -> String {
        let only_dots = pbx.bytes().all(|b| b == b'.');
        let mut name = String::with_capacity(pbx.len());
        for b in pbx.bytes() {
            match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' => name.push(b as char),
                b'.' if !only_dots => name.push('.'),
                _ => name.push_str(&format!("%{b:02X}")),
            }
        }
        if name.is_empty() {
            // A lone '%' is no encoding of any other name.
            name.push('%');
        }
        format!("{folder}/{name}")
    }

    /// Where the shipper notes what it copied to `folder` of this bucket
    /// and prefix (`<spool>/.ship/copied/<16 hex>`): a note names the
    /// place it is true of, so after [storage] url or pbx_name changes,
    /// the new place is filled from scratch rather than taken as done.
    pub fn noted(&self, spool: &Path, folder: &str) -> std::path::PathBuf {
        let place = format!("s3://{}/{}", self.bucket, self.key(folder));
        let hash = legrec::hex(&Sha256::digest(place.as_bytes()));
        legrec::spool::layout::ship_dir(spool)
            .join("copied")
            .join(&hash[..16])
    }

    /// The object key of `relative` (a path under the spool).
    pub fn key(&self, relative: &str) -> String {
        if self.prefix.is_empty() {
            relative.to_string()
        } else {
            format!("{}/{relative}", self.prefix)
        }
    }

    /// The path under the spool an object key of ours stands for (the
    /// inverse of `key`).
    pub fn relative<'k>(&self, key: &'k str) -> &'k str {
        key.strip_prefix(self.prefix.as_str())
            .unwrap_or(key)
            .trim_start_matches('/')
    }

    /// Is the bucket there and are we let in?
    pub async fn check(&self) -> Result<(), StoreError> {
        self.client
            .head_bucket()
            .bucket(&self.bucket)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                let mut err = classify(&format!("bucket {}", self.bucket), e);
                // A HEAD's answer has no body, so no code: 404 is the bucket.
                if err.trouble == Trouble::NotFound {
                    err.trouble = Trouble::NoBucket;
                    err.message = format!("bucket {}: no such bucket", self.bucket);
                }
                err
            })
    }

    /// Puts `bytes` as `key` in one request: what the shipper writes
    /// itself, such as a segment of a chain.
    pub async fn put_bytes(&self, key: &str, bytes: Vec<u8>, pbx: &str) -> Result<(), StoreError> {
        self.put_body(key, ByteStream::from(bytes), pbx).await
    }

    async fn put_body(&self, key: &str, body: ByteStream, pbx: &str) -> Result<(), StoreError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .metadata("legrec-pbx", pbx)
            .body(body)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| classify(&format!("put {key}"), e))
    }

    /// Puts `path` as `key`, in one request or, above `part_size`, in parts
    /// (`started` is told each multipart upload id before its first part,
    /// so a crash can be cleaned up after).
    pub async fn put_file(
        &self,
        key: &str,
        path: &Path,
        pbx: &str,
        part_size: u64,
        started: &(dyn Fn(&Unfinished) + Send + Sync),
    ) -> Result<(), StoreError> {
        let len = tokio::fs::metadata(path)
            .await
            .map_err(|e| StoreError::other(format!("{}: {e}", path.display())))?
            .len();
        if len <= part_size {
            let body = ByteStream::from_path(path)
                .await
                .map_err(|e| StoreError::other(format!("{}: {e}", path.display())))?;
            return self.put_body(key, body, pbx).await;
        }
        let created = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .metadata("legrec-pbx", pbx)
            .send()
            .await
            .map_err(|e| classify(&format!("start upload of {key}"), e))?;
        let upload_id = created
            .upload_id()
            .ok_or_else(|| StoreError::other(format!("start upload of {key}: no upload id")))?
            .to_string();
        started(&Unfinished {
            key: key.to_string(),
            upload_id: upload_id.clone(),
        });
        let result = self.put_parts(key, &upload_id, path, len, part_size).await;
        if result.is_err() {
            // Parts left behind cost storage; the next start cleans up
            // whatever this does not.
            let _ = self.abort(key, &upload_id).await;
        }
        result
    }

    async fn put_parts(
        &self,
        key: &str,
        upload_id: &str,
        path: &Path,
        len: u64,
        part_size: u64,
    ) -> Result<(), StoreError> {
        let mut file = tokio::fs::File::open(path)
            .await
            .map_err(|e| StoreError::other(format!("{}: {e}", path.display())))?;
        let mut parts = Vec::new();
        let mut offset = 0u64;
        let mut number = 1;
        while offset < len {
            let size = part_size.min(len - offset) as usize;
            let mut buf = vec![0u8; size];
            file.read_exact(&mut buf)
                .await
                .map_err(|e| StoreError::other(format!("{}: {e}", path.display())))?;
            let part = self
                .client
                .upload_part()
                .bucket(&self.bucket)
                .key(key)
                .upload_id(upload_id)
                .part_number(number)
                .body(ByteStream::from(buf))
                .send()
                .await
                .map_err(|e| classify(&format!("put {key} part {number}"), e))?;
            parts.push(
                CompletedPart::builder()
                    .part_number(number)
                    .set_e_tag(part.e_tag().map(str::to_string))
                    .build(),
            );
            offset += size as u64;
            number += 1;
            stall_for_tests();
        }
        self.client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| classify(&format!("finish upload of {key}"), e))?;
        Ok(())
    }

    async fn get_object(
        &self,
        what: &str,
        key: &str,
        range: Option<String>,
    ) -> Result<aws_sdk_s3::operation::get_object::GetObjectOutput, StoreError> {
        self.client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .set_range(range)
            .send()
            .await
            .map_err(|e| classify(&format!("{what} {key}"), e))
    }

    /// The SHA-256 (hex) of the object `key` as the store returns it.
    pub async fn sha256(&self, key: &str) -> Result<String, StoreError> {
        let out = self.get_object("read back", key, None).await?;
        let mut body = out.body.into_async_read();
        let mut hash = Sha256::new();
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = body.read(&mut buf).await.map_err(|e| StoreError {
                trouble: Trouble::Down,
                message: format!("read back {key}: {e}"),
            })?;
            if n == 0 {
                break;
            }
            hash.update(&buf[..n]);
        }
        Ok(legrec::hex(&hash.finalize()))
    }

    /// The object's bytes `range` (`bytes=0-99` style, or all), with its
    /// total length; for playback from the bucket.
    pub async fn get(
        &self,
        key: &str,
        range: Option<String>,
    ) -> Result<(ByteStream, Option<String>, i64), StoreError> {
        let out = self.get_object("get", key, range).await?;
        let content_range = out.content_range().map(str::to_string);
        let len = out.content_length().unwrap_or(0);
        Ok((out.body, content_range, len))
    }

    /// The PBX that shipped `key` (its metadata), and its bytes.
    pub async fn get_all(&self, key: &str) -> Result<(Option<String>, Vec<u8>), StoreError> {
        let out = self.get_object("get", key, None).await?;
        let pbx = out.metadata().and_then(|m| m.get("legrec-pbx")).cloned();
        let bytes = out.body.collect().await.map_err(|e| StoreError {
            trouble: Trouble::Down,
            message: format!("get {key}: {e}"),
        })?;
        Ok((pbx, bytes.into_bytes().to_vec()))
    }

    /// Every key under the prefix.
    pub async fn list(&self) -> Result<Vec<String>, StoreError> {
        self.list_in("").await
    }

    /// Every key under the prefix's `folder` (a path under the spool; ""
    /// for all).
    pub async fn list_in(&self, folder: &str) -> Result<Vec<String>, StoreError> {
        let under = match (self.prefix.is_empty(), folder.is_empty()) {
            (true, true) => None,
            (true, false) => Some(format!("{folder}/")),
            (false, _) => Some(format!("{}/", self.key(folder).trim_end_matches('/'))),
        };
        let mut keys = Vec::new();
        let mut token = None;
        loop {
            let out = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .set_prefix(under.clone())
                .set_continuation_token(token)
                .send()
                .await
                .map_err(|e| classify(&format!("list s3://{}", self.bucket), e))?;
            keys.extend(
                out.contents()
                    .iter()
                    .filter_map(|o| o.key().map(str::to_string)),
            );
            match out.next_continuation_token() {
                Some(t) if out.is_truncated() == Some(true) => token = Some(t.to_string()),
                _ => break,
            }
        }
        Ok(keys)
    }

    pub async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| classify(&format!("delete {key}"), e))
    }

    /// Uploads in parts begun under the prefix and never finished.
    pub async fn unfinished(&self) -> Result<Vec<Unfinished>, StoreError> {
        let out = self
            .client
            .list_multipart_uploads()
            .bucket(&self.bucket)
            .set_prefix((!self.prefix.is_empty()).then(|| format!("{}/", self.prefix)))
            .send()
            .await
            .map_err(|e| classify(&format!("list uploads in s3://{}", self.bucket), e))?;
        Ok(out
            .uploads()
            .iter()
            .filter_map(|u| {
                Some(Unfinished {
                    key: u.key()?.to_string(),
                    upload_id: u.upload_id()?.to_string(),
                })
            })
            .collect())
    }

    pub async fn abort(&self, key: &str, upload_id: &str) -> Result<(), StoreError> {
        match self
            .client
            .abort_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = classify(&format!("abort upload of {key}"), e);
                if e.trouble == Trouble::NotFound {
                    Ok(())
                } else {
                    Err(e)
                }
            }
        }
    }
}

/// `LEGREC_SHIP_STALL_AFTER_PART=SECONDS` holds each upload in parts after
/// a part, so a test can kill the shipper with parts in the bucket and an
/// upload unfinished; unset in production.
fn stall_for_tests() {
    if let Some(s) = std::env::var_os("LEGREC_SHIP_STALL_AFTER_PART") {
        let secs = s.to_string_lossy().parse().unwrap_or(0);
        std::thread::sleep(Duration::from_secs(secs));
    }
}

#[cfg(test)]
mod tests {
    use super::Store;

    #[test]
    fn every_pbx_name_has_a_folder_of_its_own() {
        assert_eq!(
            Store::own_folder(".chains", "site-a-pbx1"),
            ".chains/site-a-pbx1"
        );
        assert_eq!(
            Store::own_folder(".chains", "pbx.example"),
            ".chains/pbx.example"
        );
        let names = [
            "pbx a", "pbx_a", "pbx%20a", "pbx/a", ".", "..", "_", "%", "", "é",
        ];
        let folders: std::collections::HashSet<String> = names
            .iter()
            .map(|n| Store::own_folder(".chains", n))
            .collect();
        assert_eq!(folders.len(), names.len(), "{folders:?}");
        for f in &folders {
            let name = f.strip_prefix(".chains/").unwrap();
            assert!(
                !name.is_empty() && name != "." && name != ".." && !name.contains('/'),
                "{f}"
            );
        }
    }
}
