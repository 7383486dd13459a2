//! What the tools read from `legrec.conf`: `[general]`'s spool_dir, as the
//! module reads it, and the `[storage]` section the module leaves to them.
//! A FreeSWITCH install gives the tools a small file of the same shape.

use std::fmt;
use std::path::{Path, PathBuf};

use legrec::policy::config::{ConfigError, RawConfig, Settings};
use serde::Deserialize;

pub mod section;

use section::ToolSection;

/// `[storage]` as written: every key optional, checked by `Storage::from`.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct StorageLines {
    url: Option<String>,
    endpoint: Option<String>,
    region: Option<String>,
    access_key: Option<String>,
    access_key_file: Option<PathBuf>,
    access_key_env: Option<String>,
    secret_key: Option<String>,
    secret_key_file: Option<PathBuf>,
    secret_key_env: Option<String>,
    index: Option<String>,
    pbx_name: Option<String>,
    keep_local_days: Option<u32>,
    concurrency: Option<u32>,
    multipart_mb: Option<u32>,
}

/// A secret read from the config, a file or the environment; never printed.
#[derive(Clone, Default)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(secret)")
    }
}

/// Where the bucket is and how to reach it.
#[derive(Clone, Debug)]
pub struct Bucket {
    pub bucket: String,
    /// Without leading or trailing '/'; may be empty.
    pub prefix: String,
    pub endpoint: Option<String>,
    pub region: String,
    pub access_key: Secret,
    pub secret_key: Secret,
}

/// Debug shows the index's URL without its password (index::redact).
#[derive(Clone)]
pub struct Config {
    pub spool: PathBuf,
    /// None without `url`: `legrec index` then indexes the spool alone.
    pub bucket: Option<Bucket>,
    /// `sqlite:///PATH` or `postgresql://...`.
    pub index: String,
    pub pbx_name: String,
    pub keep_local_days: Option<u32>,
    pub concurrency: usize,
    /// Files larger than this go up in parts of this size.
    pub multipart_bytes: u64,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("spool", &self.spool)
            .field("bucket", &self.bucket)
            .field("index", &crate::index::redact(&self.index))
            .field("pbx_name", &self.pbx_name)
            .field("keep_local_days", &self.keep_local_days)
            .field("concurrency", &self.concurrency)
            .field("multipart_bytes", &self.multipart_bytes)
            .finish()
    }
}

impl Config {
    pub fn read(path: &Path) -> Result<Config, String> {
        section::read_file(path, Config::from_raw)
    }

    pub fn from_raw(raw: &RawConfig) -> Result<Config, ConfigError> {
        // The module's own checks too: a config the PBX would refuse is
        // refused here, so the shipper never ships by another reading.
        let settings = Settings::from_raw(raw)?;
        let spool = settings.general.spool_dir;
        let (lines, storage): (StorageLines, _) = ToolSection::read(raw, "storage")?;
        let err = |key: &str, message: String| storage.err(key, message);
        let bucket = match &lines.url {
            None => None,
            Some(url) => {
                let rest = url
                    .strip_prefix("s3://")
                    .ok_or_else(|| err("url", format!("'{url}' is not s3://BUCKET/PREFIX")))?;
                let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
                if bucket.is_empty() {
                    return Err(err("url", format!("'{url}' names no bucket")));
                }
                let access_key = secret(
                    "access_key",
                    &lines.access_key,
                    &lines.access_key_file,
                    &lines.access_key_env,
                )
                .map_err(|(k, m)| err(k, m))?;
                let secret_key = secret(
                    "secret_key",
                    &lines.secret_key,
                    &lines.secret_key_file,
                    &lines.secret_key_env,
                )
                .map_err(|(k, m)| err(k, m))?;
                Some(Bucket {
                    bucket: bucket.to_string(),
                    prefix: prefix.trim_matches('/').to_string(),
                    endpoint: lines.endpoint.clone(),
                    region: lines.region.clone().unwrap_or_else(|| "us-east-1".into()),
                    access_key,
                    secret_key,
                })
            }
        };
        let index = storage.database_url(
            "index",
            lines
                .index
                .clone()
                .unwrap_or_else(|| format!("sqlite://{}", spool.join("index.sqlite").display())),
        )?;
        let pbx_name = match lines.pbx_name.clone() {
            Some(n) if !n.trim().is_empty() => n,
            Some(_) => return Err(err("pbx_name", "is empty".into())),
            None => hostname(),
        };
        let concurrency = lines.concurrency.unwrap_or(4);
        if !(1..=64).contains(&concurrency) {
            return Err(err("concurrency", "must be 1 to 64".into()));
        }
        let multipart_mb = lines.multipart_mb.unwrap_or(16);
        if !(5..=5120).contains(&multipart_mb) {
            // S3's own bounds for a part.
            return Err(err("multipart_mb", "must be 5 to 5120".into()));
        }
        Ok(Config {
            spool,
            bucket,
            index,
            pbx_name,
            keep_local_days: lines.keep_local_days,
            concurrency: concurrency as usize,
            multipart_bytes: u64::from(multipart_mb) << 20,
        })
    }
}

/// One of `key`, `key_file` or `key_env`, exactly.
fn secret(
    key: &'static str,
    value: &Option<String>,
    file: &Option<PathBuf>,
    env: &Option<String>,
) -> Result<Secret, (&'static str, String)> {
    let given = [value.is_some(), file.is_some(), env.is_some()];
    if given.iter().filter(|g| **g).count() > 1 {
        return Err((key, format!("give one of {key}, {key}_file, {key}_env")));
    }
    let text = if let Some(v) = value {
        v.clone()
    } else if let Some(f) = file {
        std::fs::read_to_string(f)
            .map_err(|e| (key, format!("{key}_file {}: {e}", f.display())))?
            .trim()
            .to_string()
    } else if let Some(name) = env {
        std::env::var(name).map_err(|_| (key, format!("{key}_env: ${name} is not set")))?
    } else {
        return Err((
            key,
            format!("is required with url (or {key}_file, {key}_env)"),
        ));
    };
    if text.is_empty() {
        return Err((key, "is empty".into()));
    }
    Ok(Secret(text))
}

fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: buf is writable for its length; gethostname NUL-terminates
    // or truncates within it.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
    match std::str::from_utf8(&buf[..end]) {
        Ok(h) if rc == 0 && !h.is_empty() => h.to_string(),
        _ => "pbx".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, String> {
        let raw = legrec::policy::ini::parse(text).map_err(|e| e.to_string())?;
        Config::from_raw(&raw).map_err(|e| e.to_string())
    }

    #[test]
    fn a_bucket_with_its_keys() {
        let c = parse(
            "[general]\nspool_dir = /s\n[storage]\nurl = s3://rec/site-a/\nendpoint = http://127.0.0.1:8333\naccess_key = AK\nsecret_key = SK\npbx_name = a\n",
        )
        .unwrap();
        let b = c.bucket.unwrap();
        assert_eq!((b.bucket.as_str(), b.prefix.as_str()), ("rec", "site-a"));
        assert_eq!(c.index, "sqlite:///s/index.sqlite");
        assert_eq!(format!("{:?}", b.secret_key), "(secret)");
        let c = parse(
            "[general]\nspool_dir = /s\n[storage]\nindex = postgresql://u:pw1@h/db?password=pw2\n",
        )
        .unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("pw1") && !shown.contains("pw2"), "{shown}");
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse("[storage]\nurl = s3://b\naccess_key = AK\n").unwrap_err();
        assert!(e.contains("secret_key"), "{e}");
        let e = parse("[storage]\n\nurl = http://b\n").unwrap_err();
        assert!(e.starts_with("line 3: [storage] url"), "{e}");
        let e = parse("[storage]\nindex = mysql://x\n").unwrap_err();
        assert!(e.starts_with("line 2: [storage] index"), "{e}");
        let e = parse("[storage]\nbucket = x\n").unwrap_err();
        assert!(e.contains("unknown key 'bucket'"), "{e}");
        let e =
            parse("[storage]\nurl = s3://b\naccess_key = A\nsecret_key_env = LEGREC_NO_SUCH_VAR\n")
                .unwrap_err();
        assert!(e.contains("LEGREC_NO_SUCH_VAR is not set"), "{e}");
    }
}
