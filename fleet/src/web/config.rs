//! `[web]` in legrec.conf: where `legrec serve` listens, its TLS files, how
//! long a session lasts and how many failed logins are allowed.  The
//! module reads past this section (TOOL_SECTIONS); errors name the line.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use legrec::policy::config::{ConfigError, RawConfig};
use serde::Deserialize;

use crate::config::section::{self, ToolSection};

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct WebLines {
    listen: Option<String>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    session_hours: Option<u32>,
    session_idle_minutes: Option<u32>,
    login_failures: Option<u32>,
    address_failures: Option<u32>,
    login_window_minutes: Option<u32>,
    accounts: Option<String>,
}

#[derive(Clone, Debug)]
pub struct WebConfig {
    pub listen: SocketAddr,
    /// Certificate chain and key, PEM; both or neither.
    pub tls: Option<(PathBuf, PathBuf)>,
    pub session: Duration,
    /// A session unused for this long is over.
    pub session_idle: Duration,
    /// Failed logins allowed per user and address within `window` (and
    /// per user alone before each try waits: ratelimit.rs).
    pub login_failures: u32,
    /// Failed logins allowed per address, over all names.
    pub address_failures: u32,
    pub login_window: Duration,
    /// The users' and sessions' database (web/accounts.rs).
    pub accounts: String,
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8088";

/// A browser left open on an unattended desk is logged out after half an
/// hour; a supervisor listening through a long call keeps the session
/// alive with the player's requests.
const DEFAULT_SESSION_IDLE_MINUTES: u32 = 30;

/// Not in the spool: the PBX (and its shipper) write the spool.
pub const DEFAULT_ACCOUNTS: &str = "sqlite:///var/lib/legrec/web/accounts.sqlite";

/// A whole call centre may sit behind one NAT address: 50 failed logins
/// in the window among its people before the address is held, while one
/// attacker's address gets no more than 50 guesses over all names.
const DEFAULT_ADDRESS_FAILURES: u32 = 50;

impl WebConfig {
    pub fn read(path: &Path) -> Result<WebConfig, String> {
        section::read_file(path, WebConfig::from_raw)
    }

    pub fn from_raw(raw: &RawConfig) -> Result<WebConfig, ConfigError> {
        let (lines, web): (WebLines, _) = ToolSection::read(raw, "web")?;
        let err = |key: &str, message: String| web.err(key, message);
        let listen = lines.listen.as_deref().unwrap_or(DEFAULT_LISTEN);
        let listen = parse_listen(listen).map_err(|m| err("listen", m))?;
        let tls = match (lines.tls_cert, lines.tls_key) {
            (None, None) => None,
            (Some(c), Some(k)) => Some((c, k)),
            (Some(_), None) => return Err(err("tls_cert", "needs tls_key too".into())),
            (None, Some(_)) => return Err(err("tls_key", "needs tls_cert too".into())),
        };
        let hours = lines.session_hours.unwrap_or(8);
        if !(1..=720).contains(&hours) {
            return Err(err("session_hours", "must be 1 to 720".into()));
        }
        let idle = lines
            .session_idle_minutes
            .unwrap_or(DEFAULT_SESSION_IDLE_MINUTES);
        if !(1..=1440).contains(&idle) {
            return Err(err("session_idle_minutes", "must be 1 to 1440".into()));
        }
        let failures = lines.login_failures.unwrap_or(5);
        if !(1..=1000).contains(&failures) {
            return Err(err("login_failures", "must be 1 to 1000".into()));
        }
        let address_failures = lines
            .address_failures
            .unwrap_or(DEFAULT_ADDRESS_FAILURES.max(failures));
        if !(failures..=100_000).contains(&address_failures) {
            return Err(err(
                "address_failures",
                format!("must be login_failures ({failures}) to 100000"),
            ));
        }
        let window = lines.login_window_minutes.unwrap_or(15);
        if !(1..=1440).contains(&window) {
            return Err(err("login_window_minutes", "must be 1 to 1440".into()));
        }
        let accounts = web.database_url(
            "accounts",
            lines
                .accounts
                .clone()
                .unwrap_or_else(|| DEFAULT_ACCOUNTS.to_string()),
        )?;
        Ok(WebConfig {
            accounts,
            listen,
            tls,
            session: Duration::from_secs(u64::from(hours) * 3600),
            session_idle: Duration::from_secs(u64::from(idle) * 60),
            login_failures: failures,
            address_failures,
            login_window: Duration::from_secs(u64::from(window) * 60),
        })
    }
}

/// `HOST:PORT` with an IP address (a name would need a resolver and could
/// mean several addresses).
pub fn parse_listen(s: &str) -> Result<SocketAddr, String> {
    s.parse()
        .map_err(|_| format!("'{s}' is not ADDRESS:PORT (e.g. 127.0.0.1:8088, [::1]:8088)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<WebConfig, String> {
        let raw = legrec::policy::ini::parse(text).map_err(|e| e.to_string())?;
        WebConfig::from_raw(&raw).map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_and_errors_naming_the_line() {
        let c = parse("[general]\nspool_dir = /s\n").unwrap();
        assert_eq!(c.listen.to_string(), DEFAULT_LISTEN);
        assert!(c.tls.is_none());
        assert_eq!(c.session, Duration::from_secs(8 * 3600));
        let e = parse("[web]\nlisten = localhost\n").unwrap_err();
        assert!(e.starts_with("line 2: [web] listen"), "{e}");
        let e = parse("[web]\n\ntls_cert = /c.pem\n").unwrap_err();
        assert!(e.contains("line 3") && e.contains("needs tls_key"), "{e}");
        let e = parse("[web]\nsession_hours = 0\n").unwrap_err();
        assert!(e.contains("session_hours"), "{e}");
        let e = parse("[web]\nport = 80\n").unwrap_err();
        assert!(e.contains("unknown key 'port'"), "{e}");
    }
}
