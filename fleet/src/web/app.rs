//! The browser's state, shared by every handler: the index, the accounts,
//! the configuration, the limits and caches.

use crate::config::Config;
use crate::index::Index;

use super::config::WebConfig;
use super::{
    accounts, audio, chain, freshness, login_session, passwords, peaks, ratelimit, users, work,
};

pub struct App {
    pub index: Index,
    /// Users and sessions, in a database of their own (accounts.rs), on
    /// a pool of its own: the check every request makes never waits
    /// behind a search.
    pub accounts: accounts::Accounts,
    pub work: work::Gate,
    pub config: Config,
    pub web: WebConfig,
    pub limiter: ratelimit::Limiter,
    pub passwords: passwords::Checker,
    /// Checked against when the user is unknown, so a wrong name costs as
    /// long as a wrong password.
    pub dummy_hash: String,
    pub played: audio::Played,
    pub peaks: peaks::Cache,
    /// `[storage]`'s bucket, for audio the spool no longer has.
    pub store: Option<crate::shipper::store::Store>,
    /// The spool's audit chain, read once and then as it grows.
    pub chain: chain::Chain,
    /// How far the index is behind the spool.
    pub freshness: freshness::Freshness,
}

impl App {
    /// `config_file` is named to the admin when the index needs `legrec
    /// index`.
    pub fn new(
        index: Index,
        accounts: accounts::Accounts,
        config: Config,
        web: WebConfig,
        config_file: &std::path::Path,
    ) -> Result<App, String> {
        Ok(App {
            accounts,
            work: work::Gate::new(),
            freshness: freshness::Freshness::new(
                !index.is_postgres(),
                &config.pbx_name,
                config_file,
            ),
            limiter: ratelimit::Limiter::new(
                web.login_failures,
                web.address_failures,
                web.login_window,
            ),
            passwords: passwords::Checker::new(),
            dummy_hash: users::hash_password(&login_session::random_token())?,
            played: audio::Played::default(),
            peaks: peaks::Cache::default(),
            store: config
                .bucket
                .as_ref()
                .map(crate::shipper::store::Store::connect),
            chain: chain::Chain::new(&config.spool),
            index,
            config,
            web,
        })
    }

    /// Cookies are Secure when the server speaks TLS.
    pub fn secure(&self) -> bool {
        self.web.tls.is_some()
    }

    /// The session cookie's name: `__Host-` under TLS, which browsers
    /// accept only Secure, for this host and Path=/, so no other site of
    /// the domain (and no plain-HTTP answer) can set or shadow it.
    pub fn cookie(&self) -> &'static str {
        if self.secure() {
            login_session::HOST_COOKIE
        } else {
            login_session::COOKIE
        }
    }
}
