//! The HTTP server: hyper over tokio, HTTP/1.1, bounded request bodies,
//! graceful shutdown.

use crate::app::{App, build_provider, open_store};
use crate::config::{Config, ConfigError};
use crate::router;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Largest request body accepted (forms and token requests are small).
const MAX_BODY: usize = 64 * 1024;
/// How long in-flight requests get to finish on shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// A server accepting connections in the background.
pub struct RunningServer {
    /// The bound address.
    pub addr: SocketAddr,
    /// BASE_URL in effect.
    pub base_url: String,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl RunningServer {
    /// Stops accepting, lets in-flight requests finish (bounded), and returns.
    pub async fn shutdown(self) {
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

/// Opens the database, binds the port and serves in the background.
/// Errors name the setting at fault, in one line.
pub async fn start(config: Config) -> Result<RunningServer, ConfigError> {
    let addr = format!("{}:{}", config.host, config.port);
    // Open the store before binding so a bad database fails fast, but bind
    // before building the provider: BASE_URL defaults to the bound port.
    let store = open_store(&config)?;
    let listener = TcpListener::bind(&addr).await.map_err(|e| {
        let setting = if e.kind() == std::io::ErrorKind::AddrInUse {
            "SERVER_PORT"
        } else {
            "SERVER_HOST"
        };
        ConfigError::new(setting, format!("cannot listen on {addr}: {e}"))
    })?;
    let local = listener.local_addr().map_err(|e| {
        ConfigError::new("SERVER_HOST", format!("cannot read the bound address: {e}"))
    })?;
    let base_url = config
        .base_url
        .clone()
        .unwrap_or_else(|| format!("http://localhost:{}", local.port()));
    let app = Arc::new(App::new(build_provider(&config, store, &base_url)?));
    let (stop, stopped) = oneshot::channel();
    let task = tokio::spawn(accept_loop(listener, app, stopped));
    Ok(RunningServer {
        addr: local,
        base_url,
        stop,
        task,
    })
}

/// The address of the connection's peer, in each request's extensions (the
/// device page's attempt limit keys on it).
#[derive(Clone, Copy, Debug)]
pub struct ClientAddr(pub std::net::IpAddr);

async fn accept_loop(listener: TcpListener, app: Arc<App>, mut stopped: oneshot::Receiver<()>) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, peer)) = accepted else { continue };
                let app = Arc::clone(&app);
                let service = service_fn(move |mut req: http::Request<Incoming>| {
                    req.extensions_mut().insert(ClientAddr(peer.ip()));
                    serve(Arc::clone(&app), req)
                });
                let conn = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(Duration::from_secs(10))
                    .serve_connection(TokioIo::new(stream), service);
                let watched = graceful.watch(conn);
                tokio::spawn(async move {
                    let _ = watched.await;
                });
            }
            _ = &mut stopped => break,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await;
    let _ = app.provider.store().checkpoint().await;
}

async fn serve(
    app: Arc<App>,
    req: http::Request<Incoming>,
) -> Result<http::Response<Full<Bytes>>, Infallible> {
    let started = std::time::Instant::now();
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return Ok(router::payload_too_large().map(Full::new)),
    };
    let req = http::Request::from_parts(parts, body);
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let res = router::route(&app, req).await;
    // Paths only: query strings carry codes and tokens and are never logged.
    tracing::info!(%method, path = %router::loggable_path(&path), status = res.status().as_u16(),
        latency_us = started.elapsed().as_micros() as u64, "request");
    Ok(res.map(Full::new))
}
