//! A section of legrec.conf that only the tools read (`[storage]`,
//! `[web]`; the module reads past them): its lines as a struct, and
//! errors that name the line of the key they are about.

use std::path::Path;

use legrec::policy::config::{ConfigError, RawConfig, RawSection};

/// Where a section is, for errors about its keys.
pub struct ToolSection<'a> {
    name: &'static str,
    section: Option<&'a RawSection>,
}

impl<'a> ToolSection<'a> {
    /// The section `name` of `raw` read as `T` (every key optional:
    /// absent, it is `T::default()`), and where it is.
    pub fn read<T: Default + serde::de::DeserializeOwned>(
        raw: &'a RawConfig,
        name: &'static str,
    ) -> Result<(T, ToolSection<'a>), ConfigError> {
        let section = raw.sections.iter().find(|s| s.name == name);
        let lines = match section {
            Some(s) => s.read()?,
            None => T::default(),
        };
        Ok((lines, ToolSection { name, section }))
    }

    /// `url` as `key`'s value, if it names a database the tools can open
    /// (SQLite or PostgreSQL); else an error naming its line.
    pub fn database_url(&self, key: &str, url: String) -> Result<String, ConfigError> {
        if url.starts_with("sqlite://")
            || url.starts_with("postgresql://")
            || url.starts_with("postgres://")
        {
            Ok(url)
        } else {
            Err(self.err(
                key,
                format!("'{url}' is neither sqlite:///PATH nor postgresql://..."),
            ))
        }
    }

    /// An error about `key`, naming its line (0 when the key is absent).
    pub fn err(&self, key: &str, message: String) -> ConfigError {
        let line = self
            .section
            .and_then(|s| s.lines.iter().find(|l| l.key == key))
            .map_or(0, |l| l.line);
        ConfigError {
            section: self.name.into(),
            key: Some(key.into()),
            value: None,
            line,
            message,
        }
    }
}

/// legrec.conf at `path`, read by `from_raw`; errors name the file.
pub fn read_file<C>(
    path: &Path,
    from_raw: impl FnOnce(&RawConfig) -> Result<C, ConfigError>,
) -> Result<C, String> {
    let raw = legrec::policy::ini::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    from_raw(&raw).map_err(|e| format!("{}: {e}", path.display()))
}
