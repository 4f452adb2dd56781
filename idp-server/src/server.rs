//! The HTTP server: hyper over tokio, HTTP/1.1, bounded request bodies,
//! graceful shutdown, and optionally TLS (rustls with the aws-lc-rs
//! provider, TLS 1.2 and 1.3, ALPN `http/1.1`; ADR 0013).

use crate::app::{App, build_provider};
use crate::backend::{Backend, WithStore};
use crate::config::{Config, ConfigError, TlsConfig, default_base_url};
use crate::metrics::route::{self, MethodLabel, Route};
use crate::router;
use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use idp_core::store::CheckpointMode;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// How long in-flight requests get to finish on shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
/// How long a client gets to complete the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A server accepting connections in the background.
pub struct RunningServer {
    /// The bound address.
    pub addr: SocketAddr,
    /// BASE_URL in effect.
    pub base_url: String,
    /// The address `/metrics` is served on when `METRICS_ADDR` is set.
    pub metrics_addr: Option<SocketAddr>,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
    metrics_task: Option<JoinHandle<()>>,
    /// Keeps the change feed running while the server runs.
    _change_watch: Option<idp_core::store::ChangeWatch>,
}

impl RunningServer {
    /// Stops accepting, lets in-flight requests finish (bounded), and returns.
    pub async fn shutdown(self) {
        if let Some(metrics) = &self.metrics_task {
            metrics.abort();
        }
        let _ = self.stop.send(());
        let _ = self.task.await;
    }

    /// Serves until `signal` completes, then shuts down gracefully. Fails if
    /// the accept loop ends on its own, which would leave a process that
    /// listens to nothing.
    pub async fn run_until(
        mut self,
        signal: impl std::future::Future<Output = ()>,
    ) -> Result<(), String> {
        tokio::select! {
            _ = signal => {
                self.shutdown().await;
                Ok(())
            }
            _ = &mut self.task => Err("the server's accept loop stopped unexpectedly".into()),
        }
    }
}

/// Opens the store `DATABASE_URL` names ([`crate::backend`]), binds the
/// port and serves in the background. Errors name the setting at fault, in
/// one line.
pub async fn start(config: Config) -> Result<RunningServer, ConfigError> {
    crate::metrics::install();
    // The certificate and key are checked before anything touches the disk.
    let tls = tls_acceptor(&config)?;
    let database_url = config.database_url.clone();
    let pool = config.database_pool;
    crate::backend::with_store(&database_url, pool, Start { config, tls }).await?
}

/// Serves over a store the caller opened (an embedder, a test of another
/// backend); `config.database_url` is not read.
pub async fn start_with<S: Backend>(
    config: Config,
    store: S,
) -> Result<RunningServer, ConfigError> {
    crate::metrics::install();
    let tls = tls_acceptor(&config)?;
    start_over(config, tls, store).await
}

/// The server's start-up, as work for whichever store `DATABASE_URL` names.
struct Start {
    config: Config,
    tls: Option<TlsAcceptor>,
}

impl WithStore for Start {
    type Output = Result<RunningServer, ConfigError>;

    fn run<S: Backend>(self, store: S) -> impl Future<Output = Self::Output> + Send {
        start_over(self.config, self.tls, store)
    }
}

/// The TLS acceptor for [`Config::tls`], its files read and checked.
fn tls_acceptor(config: &Config) -> Result<Option<TlsAcceptor>, ConfigError> {
    config
        .tls
        .as_ref()
        .map(|tls| tls_server_config(tls).map(|c| TlsAcceptor::from(Arc::new(c))))
        .transpose()
}

/// Binds and serves over an open store.
async fn start_over<S: Backend>(
    config: Config,
    tls: Option<TlsAcceptor>,
    store: S,
) -> Result<RunningServer, ConfigError> {
    let addr = format!("{}:{}", config.host, config.port);
    // The store is open before binding so a bad database fails fast, but
    // the port is bound before the provider is built: BASE_URL defaults to
    // the bound port.
    let listener = TcpListener::bind(&addr).await.map_err(|e| {
        let setting = if e.kind() == std::io::ErrorKind::AddrInUse {
            "SERVER_PORT"
        } else {
            "SERVER_HOST"
        };
        ConfigError::new(setting, format!("cannot listen on {addr}: {e}"))
    })?;
    let metrics_listener = match config.metrics.addr {
        None => None,
        Some(addr) => Some(TcpListener::bind(addr).await.map_err(|e| {
            ConfigError::new("METRICS_ADDR", format!("cannot listen on {addr}: {e}"))
        })?),
    };
    let local = listener.local_addr().map_err(|e| {
        ConfigError::new("SERVER_HOST", format!("cannot read the bound address: {e}"))
    })?;
    let base_url = config
        .base_url
        .clone()
        .unwrap_or_else(|| default_base_url(tls.is_some(), local.port()));
    let provider = build_provider(&config, store, &base_url)?;
    // Users an older version stored get their canonical email index before
    // anyone signs in; look-alike collisions are logged, never merged.
    idp_core::email_index::index_emails(provider.store())
        .await
        .map_err(|e| {
            ConfigError::new("DATABASE_URL", format!("cannot index users' emails: {e}"))
        })?;
    let mut app = App::new(provider);
    app.limits = crate::rate_limit::Limits::new(&config.rate_limits);
    app.trusted_proxies = config.trust_proxy.clone();
    app.http_limits = config.http_limits;
    app.metrics = config.metrics.clone();
    // The platform tenant and its roles exist from the first start.
    app.provider.admin().ensure_platform().await.map_err(|e| {
        ConfigError::new(
            "DATABASE_URL",
            format!("cannot create the platform tenant: {e}"),
        )
    })?;
    app.signup = crate::pages::signup::SignupGuard::new(config.signup_pow);
    // PLATFORM_OWNER_EMAIL: the owner on first start, and a set-up link
    // logged (once per start, while none works and no password is set).
    if let Some(email) = &config.platform_owner_email {
        let link = app
            .provider
            .admin()
            .ensure_owner(email)
            .await
            .map_err(|e| {
                ConfigError::new(
                    "PLATFORM_OWNER_EMAIL",
                    format!("cannot create the platform owner: {e}"),
                )
            })?;
        if let Some(link) = link {
            tracing::warn!(
                owner = %email,
                setup_link = %link.url,
                valid_seconds = idp_core::admin::SETUP_LINK_LIFETIME,
                "the platform owner has no password yet: open this one-time set-up link to choose one"
            );
        }
    }
    // PLATFORM_{GITHUB,GOOGLE,MICROSOFT}_CLIENT_ID/_SECRET: the platform's
    // upstreams on first start; the callback URL to register is logged
    // (never the secret).
    for upstream in &config.platform_upstreams {
        let created = app
            .provider
            .admin()
            .ensure_platform_upstream(upstream.kind, &upstream.client_id, &upstream.client_secret)
            .await
            .map_err(|e| {
                let var = crate::config::PLATFORM_UPSTREAM_VARS
                    .iter()
                    .find(|(kind, _, _)| *kind == upstream.kind)
                    .map_or("PLATFORM_GITHUB_CLIENT_ID", |(_, id, _)| *id);
                ConfigError::new(var, format!("cannot create the platform's upstream: {e}"))
            })?;
        if let Some(u) = created {
            tracing::warn!(
                kind = u.kind.as_str(),
                upstream = %u.id,
                callback_url = %u.callback_url,
                "created the platform's upstream: register this callback URL at the provider"
            );
        }
    }
    // The admin API's key root is created on first start, before serving.
    let admin_api = crate::api::AdminApi::load(app.provider.admin())
        .await
        .map_err(|e| {
            ConfigError::new("DATABASE_URL", format!("cannot load the API-key root: {e}"))
        })?;
    app.admin_api = Some(admin_api);
    let app = Arc::new(app);
    let (metrics_addr, metrics_task) = match metrics_listener.map(|l| (l.local_addr(), l)) {
        None => (None, None),
        Some((addr, listener)) => {
            let addr = addr.map_err(|e| {
                ConfigError::new(
                    "METRICS_ADDR",
                    format!("cannot read the bound address: {e}"),
                )
            })?;
            tracing::info!(%addr, "metrics listening");
            let task = tokio::spawn(crate::metrics::listener::serve(listener, Arc::clone(&app)));
            (Some(addr), Some(task))
        }
    };
    // Changes other instances (or the CLI) make to tenants, keys and
    // clients reach this process's caches at once where the backend can
    // tell (PostgreSQL: LISTEN/NOTIFY); elsewhere the caches' lifetimes
    // bound how soon they are seen.
    let watched = Arc::downgrade(&app);
    let change_watch = app.provider.store().watch_changes(Box::new(move |change| {
        if let Some(app) = watched.upgrade() {
            app.provider.apply_change(&change);
        }
    }));
    let (stop, stopped) = oneshot::channel();
    let jobs = crate::jobs::Jobs::spawn(Arc::clone(&app), config.jobs.clone());
    let task = tokio::spawn(accept_loop(listener, tls, app, jobs, stopped));
    Ok(RunningServer {
        addr: local,
        base_url,
        metrics_addr,
        stop,
        task,
        metrics_task,
        _change_watch: change_watch,
    })
}

pub use crate::forwarded::ClientAddr;

/// Builds the TLS configuration: the aws-lc-rs provider, TLS 1.3 and 1.2
/// only, ALPN `http/1.1`, no client certificates, the certificate chain and
/// its key (which must match). Errors name `TLS_CERT_FILE` or `TLS_KEY_FILE`.
fn tls_server_config(tls: &TlsConfig) -> Result<rustls::ServerConfig, ConfigError> {
    let cert_error = |m: String| ConfigError::new("TLS_CERT_FILE", m);
    let key_error = |m: String| ConfigError::new("TLS_KEY_FILE", m);
    let (cert_pem, cert_from) = tls.cert_pem()?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| cert_error(format!("{cert_from} is not valid PEM: {e}")))?;
    if chain.is_empty() {
        return Err(cert_error(format!(
            "{cert_from} holds no PEM CERTIFICATE block"
        )));
    }
    let (key_pem, key_from) = tls.key_pem()?;
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| {
        key_error(format!(
            "{key_from} holds no usable PEM private key (PKCS#8, RSA or SEC1): {e}"
        ))
    })?;
    // Never the process-wide default: reqwest in this binary brings ring.
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let signing_key = provider
        .key_provider
        .load_private_key(key.clone_key())
        .map_err(|e| key_error(format!("{key_from}: unsupported private key: {e}")))?;
    match rustls::sign::CertifiedKey::new(chain.clone(), signing_key).keys_match() {
        Ok(()) | Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => {}
        Err(rustls::Error::InconsistentKeys(_)) => {
            return Err(key_error(format!(
                "{key_from} does not match the certificate in TLS_CERT_FILE ({cert_from})"
            )));
        }
        Err(rustls::Error::InvalidCertificate(e)) => {
            return Err(cert_error(format!(
                "{cert_from}: the first certificate is not valid X.509 ({e:?})"
            )));
        }
        Err(e) => {
            return Err(cert_error(format!(
                "{cert_from}: the first certificate is unusable: {e}"
            )));
        }
    }
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| cert_error(format!("TLS set-up failed: {e}")))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| cert_error(format!("{cert_from}: {e}")))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

async fn accept_loop<S: Backend>(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    app: Arc<App<S>>,
    jobs: crate::jobs::Jobs,
    mut stopped: oneshot::Receiver<()>,
) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    // Tells connections still in their TLS handshake to give up.
    let (stopping, _) = watch::channel(false);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, peer)) = accepted else { continue };
                let app = Arc::clone(&app);
                // Taken before the spawn, so a shutdown that starts during
                // the handshake still reaches this connection.
                let watcher = graceful.watcher();
                match &tls {
                    None => {
                        tokio::spawn(serve_connection(stream, peer, false, app, watcher));
                    }
                    Some(acceptor) => {
                        // The handshake runs in the connection's own task: a
                        // slow or failed one never holds up the accept loop.
                        let handshake = acceptor.accept(stream);
                        let mut stopping = stopping.subscribe();
                        tokio::spawn(async move {
                            let stream = tokio::select! {
                                done = tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake) => match done {
                                    Ok(Ok(stream)) => stream,
                                    Ok(Err(e)) => {
                                        tracing::debug!(peer = %peer.ip(), error = %e, "TLS handshake failed");
                                        return;
                                    }
                                    Err(_) => {
                                        tracing::debug!(peer = %peer.ip(), "TLS handshake timed out");
                                        return;
                                    }
                                },
                                _ = stopping.wait_for(|s| *s) => return,
                            };
                            serve_connection(stream, peer, true, app, watcher).await;
                        });
                    }
                }
            }
            _ = &mut stopped => break,
        }
    }
    drop(listener);
    let _ = stopping.send(true);
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown());
    // The background jobs stop while requests drain, before the last checkpoint.
    let _ = tokio::join!(drained, jobs.stop());
    // Sign-in events recorded since the last flush (analytics, write-behind).
    crate::jobs::flush_sign_ins(&app).await;
    let _ = app.provider.store().checkpoint(CheckpointMode::Final).await;
}

/// Serves HTTP/1.1 on one connection (plain or TLS) until it closes or a
/// graceful shutdown ends it, within the connection limits; each request
/// carries its client address and transport (`TRUST_PROXY`).
async fn serve_connection<S: Backend, C>(
    stream: C,
    peer: SocketAddr,
    tls: bool,
    app: Arc<App<S>>,
    watcher: hyper_util::server::graceful::Watcher,
) where
    C: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let limits = app.http_limits;
    let service = service_fn(move |mut req: http::Request<Incoming>| {
        let (client, transport) =
            crate::forwarded::client_of(peer.ip(), tls, req.headers(), &app.trusted_proxies);
        req.extensions_mut().insert(client);
        req.extensions_mut().insert(transport);
        serve(Arc::clone(&app), req)
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new());
    limits.apply(&mut builder);
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    let _ = watcher.watch(conn).await;
}

async fn serve<S: Backend>(
    app: Arc<App<S>>,
    req: http::Request<Incoming>,
) -> Result<http::Response<crate::streamed::ResponseBody>, Infallible> {
    let started = std::time::Instant::now();
    // Cheap clones (shared buffers): the request moves into the router.
    let (method, uri) = (req.method().clone(), req.uri().clone());
    let (parts, body) = req.into_parts();
    let limits = app.http_limits;
    let collect = Limited::new(body, limits.max_body_bytes).collect();
    let res = match tokio::time::timeout(limits.body_read_timeout, collect).await {
        Ok(Ok(collected)) => {
            router::route(&app, http::Request::from_parts(parts, collected.to_bytes())).await
        }
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => closing(
            router::payload_too_large(&app.base_path, uri.path(), limits.max_body_bytes),
        ),
        Ok(Err(_)) => closing(crate::connection_limits::unreadable_body()),
        Err(_) => closing(crate::connection_limits::request_timeout()),
    };
    record_request(&app, &method, uri.path(), res.status(), started.elapsed());
    // Whole, or (the users export) streamed chunk by chunk.
    Ok(crate::streamed::into_body(res))
}

/// `res` with `Connection: close` (RFC 9112 §9.6): the request's body was
/// not read to its end, so the connection cannot carry another request;
/// the header tells the client not to reuse it (hyper closes it after the
/// response), instead of the client's next request on it failing.
fn closing(mut res: http::Response<Bytes>) -> http::Response<Bytes> {
    res.headers_mut().insert(
        http::header::CONNECTION,
        http::HeaderValue::from_static("close"),
    );
    res
}

/// Times the request in `sso_http_request_duration_seconds` and writes its
/// log line: route template, method, status, latency and tenant. Never the
/// query string (codes, tokens, `id_token_hint`), headers or body; the path
/// only for unknown routes, with any interaction id masked.
fn record_request<S: Backend>(
    app: &App<S>,
    method: &http::Method,
    path: &str,
    status: http::StatusCode,
    elapsed: Duration,
) {
    let (route, tenant) = Route::classify(&app.base_path, path);
    route::observe(
        route,
        MethodLabel::of(method),
        status,
        elapsed.as_secs_f64(),
    );
    // Whole microseconds: a short, exact decimal in the log line.
    let latency_ms = elapsed.as_micros() as f64 / 1000.0;
    let tenant = tenant.unwrap_or("-");
    if route == Route::Other {
        tracing::info!(route = route.as_str(), %method, status = status.as_u16(), latency_ms,
            tenant, path = %router::loggable_path(path), "request");
    } else {
        tracing::info!(route = route.as_str(), %method, status = status.as_u16(), latency_ms,
            tenant, "request");
    }
}
