//! `legrec serve`: the recording browser.  Supervisors, QA and whoever
//! settles a dispute search the index, play both legs on one timeline with
//! the notice, consent, masks, pauses, beeps and peers marked, read the
//! sidecar's facts in words and whether the files are intact, and every
//! playback, download and export joins the audit chain.
//!
//! axum over hyper; TLS by rustls when `[web]` names a certificate.  Pages
//! and API share the handlers' building blocks: view.rs (one recording in
//! scope), search.rs (a checked search), audio.rs (Range), auth.rs (who
//! is asking), csrf.rs, login*.rs.  App is app.rs; the routes server.rs.

pub mod accounts;
pub mod api;
pub mod app;
pub mod assets;
pub mod audio;
pub mod auth;
pub mod bucket;
pub mod bundle;
pub mod chain;
pub mod config;
pub mod connections;
pub mod csrf;
pub mod error;
pub mod freshness;
pub mod holds;
pub mod ids;
pub mod integrity;
pub mod local;
pub mod login;
pub mod login_api;
pub mod login_page;
pub mod login_pages;
pub mod login_session;
pub mod pages;
pub mod passwords;
pub mod peaks;
pub mod ratelimit;
pub mod scope;
pub mod search;
pub mod server;
pub mod templates;
pub mod trail;
pub mod users;
pub mod view;
pub mod words;
pub mod work;

pub use app::App;
pub use server::{router, serve};
