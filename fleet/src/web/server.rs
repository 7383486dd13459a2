//! The routes, and serving them: plain HTTP or TLS (reloaded on SIGHUP),
//! bounded connections, a graceful stop.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;

use super::app::App;
use super::{
    api, assets, audio, auth, bundle, connections, freshness, holds, login, login_api, login_pages,
    pages, work,
};

pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(pages::root))
        .route(
            "/login",
            get(login_pages::login_form)
                .post(login_pages::login_post)
                .layer(DefaultBodyLimit::max(login::LOGIN_BODY_LIMIT)),
        )
        .route("/logout", post(login_pages::logout_post))
        .route("/recordings", get(pages::search))
        .route("/recordings/{id}", get(pages::recording))
        .route("/trail", get(pages::trail))
        .route("/audit", get(pages::audit))
        .route("/assets/{name}", get(assets::asset))
        .route(
            "/api/login",
            post(login_api::api_login).layer(DefaultBodyLimit::max(login::LOGIN_BODY_LIMIT)),
        )
        .route("/api/logout", post(login_api::api_logout))
        .route("/api/session", get(login_api::api_session))
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
        .route("/api/index", get(api::index))
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            work::one_at_a_time,
        ))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            auth::authenticate,
        ))
        .with_state(app)
}

/// Serves until SIGTERM or SIGINT (then lets requests in flight finish, up
/// to 5 s).
pub async fn serve(app: App) -> Result<(), String> {
    return_large_blocks_at_once();
    let listen = app.web.listen;
    let listener = std::net::TcpListener::bind(listen)
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| format!("{listen}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let tls = app.web.tls.clone();
    let app = Arc::new(app);
    tokio::spawn(freshness::follow(app.clone()));
    let service = router(app).into_make_service_with_connect_info::<SocketAddr>();
    let handle = axum_server::Handle::new();
    let stopper = handle.clone();
    tokio::spawn(async move {
        stop_signal().await;
        stopper.graceful_shutdown(Some(Duration::from_secs(5)));
    });
    match tls {
        None => {
            sighup_reloads_nothing();
            println!("legrec serve: listening on http://{addr}");
            bounded(axum_server::from_tcp(listener).map_err(|e| format!("{addr}: {e}"))?)
                .acceptor(connections::Guard::new())
                .handle(handle)
                .serve(service)
                .await
        }
        Some((cert, key)) => {
            // aws-sdk-s3 brings a second rustls provider into the
            // binary; say which one this server uses.
            let _ = rustls::crypto::ring::default_provider().install_default();
            let tls =
                axum_server::tls_rustls::RustlsConfig::from_config(tls_config(&cert, &key).await?);
            reload_on_sighup(tls.clone(), cert, key);
            println!("legrec serve: listening on https://{addr}");
            let acceptor = axum_server::tls_rustls::RustlsAcceptor::new(tls)
                .acceptor(connections::Guard::new());
            bounded(axum_server::from_tcp(listener).map_err(|e| format!("{addr}: {e}"))?)
                .acceptor(acceptor)
                .handle(handle)
                .serve(service)
                .await
        }
    }
    .map_err(|e| format!("serving on {addr}: {e}"))
}

/// The TLS configuration of `cert` and `key`, offering only HTTP/1.1
/// (bounded()): a browser must not be offered h2.
async fn tls_config(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> Result<Arc<rustls::ServerConfig>, String> {
    let loaded = axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
        .await
        .map_err(|e| {
            format!(
                "[web] tls_cert {} / tls_key {}: {e}",
                cert.display(),
                key.display()
            )
        })?;
    let mut only_h1 = (*loaded.get_inner()).clone();
    only_h1.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(only_h1))
}

/// SIGHUP reads the certificate and key again (a renewal: certbot's
/// deploy hook sends it); new connections get them, open ones keep
/// theirs.  A pair that does not load is logged and the working one kept.
fn reload_on_sighup(tls: axum_server::tls_rustls::RustlsConfig, cert: PathBuf, key: PathBuf) {
    use tokio::signal::unix::{signal, SignalKind};
    let Ok(mut hup) = signal(SignalKind::hangup()) else {
        log::error!("no SIGHUP handler: a renewed certificate needs a restart");
        return;
    };
    tokio::spawn(async move {
        while hup.recv().await.is_some() {
            match tls_config(&cert, &key).await {
                Ok(c) => {
                    tls.reload_from_config(c);
                    log::info!("SIGHUP: reloaded {}", cert.display());
                }
                Err(e) => log::error!("SIGHUP: kept the certificate in use: {e}"),
            }
        }
    });
}

/// Without TLS there is nothing to reload, but a SIGHUP (logrotate's, an
/// admin's habit) must not end the server as its default action would.
fn sighup_reloads_nothing() {
    use tokio::signal::unix::{signal, SignalKind};
    let Ok(mut hup) = signal(SignalKind::hangup()) else {
        log::error!("no SIGHUP handler: a SIGHUP would end the server");
        return;
    };
    tokio::spawn(async move {
        while hup.recv().await.is_some() {
            log::info!("SIGHUP: nothing to reload (no [web] tls_cert)");
        }
    });
}

/// HTTP/1.1 only, with the header-read timeout axum-server turns off:
/// the recording browser needs nothing of HTTP/2, and one protocol whose
/// every timeout is set is easier to trust than two (connections.rs has
/// the rest of the bounds).
fn bounded<A>(
    mut server: axum_server::Server<SocketAddr, A>,
) -> axum_server::Server<SocketAddr, A> {
    server
        .http_builder()
        .http1()
        .header_read_timeout(connections::HEADER_READ_TIMEOUT);
    server.http1_only()
}

/// Blocks of this size and larger are mapped for themselves and given back
/// to the system when freed.  glibc otherwise raises this bound to the
/// largest block freed so far, and then keeps each password check's
/// 19 MiB (and each waveform's decoding buffers) in the heap of whichever
/// thread ran it: the server grew by hundreds of MiB after a burst of
/// logins and never shrank, on a host that is often the PBX's.
const MAPPED_BLOCKS_FROM: libc::c_int = 1 << 20;

fn return_large_blocks_at_once() {
    // SAFETY: mallopt only sets an allocator parameter; any value is valid.
    unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, MAPPED_BLOCKS_FROM) };
}

async fn stop_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("a SIGTERM handler");
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
