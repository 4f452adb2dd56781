//! # embedded-example
//!
//! One small hyper service that is both a web application and its own
//! OpenID Provider: it mounts [`idp_core::Provider`] under `/idp`, keeps the
//! provider's data in its own SQLite file, renders the provider's login and
//! consent pages itself, and signs its users in with the authorization code
//! flow (PKCE S256, `state`, `nonce`) against that in-process provider.
//!
//! ```text
//! /                                   the app's protected home page
//! /callback                           the app's redirect URI
//! /logout                             ends the app's session (POST)
//! /idp/t/demo/interaction/{id}[/…]    login and consent pages (pages.rs)
//! /idp/…                              everything else: Provider::handle
//! ```
//!
//! Why embed rather than run `idp-server` next to the app: one process, one
//! deployment, one database file, and the pages look like the app's own. The
//! tenant is still a complete OpenID Provider (discovery, JWKS, token,
//! userinfo are all served under `/idp/t/demo`), so other applications and
//! standard OIDC libraries can use it as their issuer too.
//!
//! Modules: [`setup`] (master key, store, tenant, demo user and client on
//! first start), `pages` (the provider's pages), `rp` (the application
//! side), and this file (start-up and routing).

mod pages;
mod rp;
pub mod setup;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use idp_core::abuse::ClientAddr;
use idp_core::{Offload, Provider, ProviderConfig};
use idp_store_sqlite::SqliteStore;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Where the provider is mounted in the application's URL space.
pub const IDP_PREFIX: &str = "/idp";
/// The one tenant this application uses; its issuer is `{app}/idp/t/demo`.
pub const TENANT: &str = "demo";
/// The demo user created on first start.
pub const DEMO_EMAIL: &str = "demo@example.com";
/// The demo user's password (this is a demo: change it, or create real users).
pub const DEMO_PASSWORD: &str = "demo password";

/// Largest request body accepted: forms and token requests are small.
const MAX_BODY: usize = 64 * 1024;

/// How to start the application.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Address to listen on (port 0 picks a free port).
    pub listen: SocketAddr,
    /// Directory of the SQLite database, the master key and the client
    /// credentials; created if missing.
    pub data_dir: PathBuf,
    /// The URL browsers use to reach the application, without a trailing
    /// slash; `http://{bound address}` when `None`.
    pub public_url: Option<String>,
}

/// The application, serving in the background.
pub struct Running {
    /// The bound address.
    pub addr: SocketAddr,
    /// The application's public URL.
    pub app_url: String,
    /// The tenant's issuer: `{app_url}/idp/t/demo`.
    pub issuer: String,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Running {
    /// Stops accepting connections and lets in-flight requests finish.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// Everything a request handler needs.
pub(crate) struct App {
    /// The embedded OpenID Provider.
    pub(crate) provider: Provider<SqliteStore>,
    /// The application as a relying party of that provider.
    pub(crate) rp: rp::RelyingParty,
    /// Whether cookies get `Secure` (an https public URL).
    pub(crate) secure_cookies: bool,
}

/// Password hashing (argon2id) is slow on purpose: run it on tokio's
/// blocking pool rather than on the request's executor thread.
fn blocking_offload() -> Offload {
    Arc::new(|job| {
        Box::pin(async move {
            let _ = tokio::task::spawn_blocking(job).await;
        })
    })
}

/// Opens the data directory, binds the port, makes sure the tenant, the demo
/// user and the application's client exist, and serves in the background.
pub async fn start(settings: Settings) -> anyhow::Result<Running> {
    std::fs::create_dir_all(&settings.data_dir)?;
    let master_key = setup::master_key(&settings.data_dir)?;
    let db = settings.data_dir.join("idp.db");
    let store = SqliteStore::open(&format!("sqlite:{}", db.display()))?;

    // Bind first: the issuer and the redirect URI contain the bound port.
    let listener = TcpListener::bind(settings.listen).await?;
    let addr = listener.local_addr()?;
    let app_url = settings
        .public_url
        .map(|u| u.trim_end_matches('/').to_owned())
        .unwrap_or_else(|| format!("http://{addr}"));

    // The provider's base URL carries the prefix: issuers are
    // `{app_url}/idp/t/{slug}`, and `handle` strips `/idp` from paths.
    let mut config = ProviderConfig::new(&format!("{app_url}{IDP_PREFIX}"), master_key);
    // Discovery names only the pages this application renders.
    config.host_endpoints = pages::SERVED;
    // Lockouts on guessed passwords and client secrets are the provider's
    // own (`idp_core::abuse`); its slowdowns wait on tokio's timer.
    let provider = Provider::new(store, config)
        .with_offload(blocking_offload())
        .with_sleep(Arc::new(|d| Box::pin(tokio::time::sleep(d))));
    let redirect_uri = format!("{app_url}/callback");
    let client = setup::provision(&provider, &settings.data_dir, &redirect_uri).await?;
    let rp = rp::RelyingParty::discover(&provider, client, &app_url).await?;
    let issuer = rp.issuer.clone();
    let app = Arc::new(App {
        secure_cookies: provider.config().secure_cookies(),
        provider,
        rp,
    });

    let (stop, stopped) = oneshot::channel();
    let task = tokio::spawn(accept_loop(listener, app, stopped));
    Ok(Running {
        addr,
        app_url,
        issuer,
        stop,
        task,
    })
}

async fn accept_loop(listener: TcpListener, app: Arc<App>, mut stopped: oneshot::Receiver<()>) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, peer)) = accepted else { continue };
                let app = Arc::clone(&app);
                let service = service_fn(move |mut req: Request<Incoming>| {
                    // Who is asking: the provider's lockouts count per address.
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
    let _ = tokio::time::timeout(Duration::from_secs(10), graceful.shutdown()).await;
}

/// Collects the body (bounded) so the rest of the code, like idp-core, works
/// on `Request<Bytes>`.
async fn serve(app: Arc<App>, req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    let res = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => route(&app, Request::from_parts(parts, collected.to_bytes())).await,
        Err(_) => pages::message(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Request too large",
            "The request body is too large.",
        ),
    };
    Ok(res.map(Full::new))
}

/// Routes one request: the provider's pages, the provider, or the app.
async fn route(app: &App, req: Request<Bytes>) -> Response<Bytes> {
    let path = req.uri().path().to_owned();
    let mut res = if let Some(rest) = path.strip_prefix(IDP_PREFIX) {
        match pages::Route::parse(rest) {
            // The core redirects the browser to `{issuer}/interaction/{id}`;
            // those pages are ours to render.
            Some(route) => pages::serve(app, &req, &route).await,
            // Discovery, JWKS, authorize, token, userinfo, ...
            None => app.provider.handle(req).await,
        }
    } else {
        match (req.method(), path.as_str()) {
            (&Method::GET, "/") => app.rp.home(&req).await,
            (&Method::GET, "/callback") => app.rp.callback(&app.provider, &req).await,
            (&Method::POST, "/logout") => app.rp.logout(&req),
            _ => pages::message(StatusCode::NOT_FOUND, "Not found", "There is no such page."),
        }
    };
    idp_core::wire::security_headers(res.headers_mut());
    res
}
