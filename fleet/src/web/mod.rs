//! `legrec serve`: the recording browser.  Supervisors, QA and whoever
//! settles a dispute search the index, play both legs on one timeline with
//! the notice, consent, masks, pauses, beeps and peers marked, read the
//! sidecar's facts in words and whether the files are intact, and every
//! playback, download and export joins the audit chain.
//!
//! axum over hyper; TLS by rustls when `[web]` names a certificate.  Pages
//! and API share the handlers' building blocks: view.rs (one recording in
//! scope), search.rs (a checked search), audio.rs (Range), auth.rs
//! (sessions, CSRF, login).

pub mod api;
pub mod assets;
pub mod audio;
pub mod auth;
pub mod bucket;
pub mod bundle;
pub mod chain;
pub mod config;
pub mod error;
pub mod holds;
pub mod ids;
pub mod integrity;
pub mod local;
pub mod pages;
pub mod peaks;
pub mod ratelimit;
pub mod scope;
pub mod search;
pub mod session;
pub mod templates;
pub mod trail;
pub mod users;
pub mod view;
pub mod words;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::routing::{get, post};
use axum::Router;

use crate::config::Config;
use crate::index::Index;
use config::WebConfig;

pub struct App {
    pub index: Index,
    pub config: Config,
    pub web: WebConfig,
    pub limiter: ratelimit::Limiter,
    /// Checked against when the user is unknown, so a wrong name costs as
    /// long as a wrong password.
    pub dummy_hash: String,
    pub played: audio::Played,
    /// `[storage]`'s bucket, for audio the spool no longer has.
    pub store: Option<crate::shipper::store::Store>,
    /// The spool's audit chain, read once and then as it grows.
    pub chain: chain::Chain,
}

impl App {
    pub fn new(index: Index, config: Config, web: WebConfig) -> Result<App, String> {
        Ok(App {
            limiter: ratelimit::Limiter::new(web.login_failures, web.login_window),
            dummy_hash: users::hash_password(&session::random_token())?,
            played: audio::Played::default(),
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
}

pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(pages::root))
        .route("/login", get(auth::login_form).post(auth::login_post))
        .route("/logout", post(auth::logout_post))
        .route("/recordings", get(pages::search))
        .route("/recordings/{id}", get(pages::recording))
        .route("/trail", get(pages::trail))
        .route("/audit", get(pages::audit))
        .route("/assets/{name}", get(assets::asset))
        .route("/api/login", post(auth::api_login))
        .route("/api/logout", post(auth::api_logout))
        .route("/api/session", get(auth::api_session))
        .route("/api/recordings", get(api::recordings))
        .route("/api/recordings/{id}", get(api::recording))
        .route("/api/recordings/{id}/evidence", get(api::evidence))
        .route("/api/recordings/{id}/bundle", get(bundle::bundle))
        .route("/api/holds", get(holds::list).post(holds::place))
        .route("/api/holds/{name}/release", post(holds::release))
        .route("/api/recordings/{id}/audio/{leg}", get(audio::audio))
        .route("/api/recordings/{id}/peaks/{leg}", get(audio::peaks))
        .route("/api/trail", get(api::trail))
        .route("/api/audit", get(api::audit))
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            auth::authenticate,
        ))
        .with_state(app)
}

/// Serves until SIGTERM or SIGINT (then lets requests in flight finish, up
/// to 5 s).
pub async fn serve(app: App) -> Result<(), String> {
    let listen = app.web.listen;
    let listener = std::net::TcpListener::bind(listen)
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| format!("{listen}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let tls = app.web.tls.clone();
    let service = router(Arc::new(app)).into_make_service_with_connect_info::<SocketAddr>();
    let handle = axum_server::Handle::new();
    let stopper = handle.clone();
    tokio::spawn(async move {
        stop_signal().await;
        stopper.graceful_shutdown(Some(Duration::from_secs(5)));
    });
    match tls {
        None => {
            println!("legrec serve: listening on http://{addr}");
            axum_server::from_tcp(listener)
                .map_err(|e| format!("{addr}: {e}"))?
                .handle(handle)
                .serve(service)
                .await
        }
        Some((cert, key)) => {
            // aws-sdk-s3 brings a second rustls provider into the
            // binary; say which one this server uses.
            let _ = rustls::crypto::ring::default_provider().install_default();
            let tls = axum_server::tls_rustls::RustlsConfig::from_pem_file(&cert, &key)
                .await
                .map_err(|e| {
                    format!(
                        "[web] tls_cert {} / tls_key {}: {e}",
                        cert.display(),
                        key.display()
                    )
                })?;
            println!("legrec serve: listening on https://{addr}");
            axum_server::from_tcp_rustls(listener, tls)
                .map_err(|e| format!("{addr}: {e}"))?
                .handle(handle)
                .serve(service)
                .await
        }
    }
    .map_err(|e| format!("serving on {addr}: {e}"))
}

async fn stop_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("a SIGTERM handler");
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
