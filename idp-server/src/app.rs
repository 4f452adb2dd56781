//! The assembled application: the store, the provider and the settings the
//! HTTP layer needs. Built the same way for the server and the CLI.

use crate::config::{Config, ConfigError};
use bytes::Bytes;
use idp_core::{Deliver, Fetch, Provider, ProviderConfig};
use idp_store_sqlite::SqliteStore;
use std::path::Path;
use std::sync::Arc;

/// The provider over the SQLite store.
pub type IdpProvider = Provider<SqliteStore>;

/// Everything a request handler needs.
pub struct App {
    /// The protocol engine.
    pub provider: IdpProvider,
    /// Whether cookies get `Secure`.
    pub secure_cookies: bool,
    /// Path part of BASE_URL.
    pub base_path: String,
    /// Brute-force and request-rate limits (`RATE_LIMIT_*`).
    pub limits: crate::rate_limit::Limits,
    /// Proxies whose `X-Forwarded-*` headers are believed (`TRUST_PROXY`).
    pub trusted_proxies: crate::forwarded::IpBlocks,
    /// Per-connection size and time bounds.
    pub http_limits: crate::connection_limits::HttpLimits,
}

/// Largest JWK Set document fetched from a client's `jwks_uri`.
const MAX_JWKS_BYTES: usize = 64 * 1024;

/// Fetches clients' `jwks_uri` documents: 5-second timeout, no redirects,
/// a size cap, 200 only.
fn http_fetch() -> Option<Fetch> {
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .ok()?;
    Some(Arc::new(move |url: String| {
        let client = client.clone();
        Box::pin(async move {
            let mut res = client.get(&url).send().await.map_err(|e| e.to_string())?;
            if res.status() != reqwest::StatusCode::OK {
                return Err(format!("status {}", res.status()));
            }
            let mut body = Vec::new();
            while let Some(chunk) = res.chunk().await.map_err(|e| e.to_string())? {
                if body.len() + chunk.len() > MAX_JWKS_BYTES {
                    return Err("document too large".into());
                }
                body.extend_from_slice(&chunk);
            }
            Ok(Bytes::from(body))
        })
    }))
}

/// How long a back-channel logout delivery may take (Back-Channel Logout
/// §2.5); a logout waits at most this long for its relying parties.
const DELIVERY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// POSTs Logout Tokens to clients' `backchannel_logout_uri`: 5-second
/// timeout, no redirects. Each request runs as its own task, so it finishes
/// even if the browser that asked for the logout goes away; the provider
/// waits for all of a logout's deliveries together.
fn http_deliver() -> Option<Deliver> {
    let client = reqwest::Client::builder()
        .timeout(DELIVERY_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .ok()?;
    Some(Arc::new(move |url: String, form: Vec<(String, String)>| {
        let client = client.clone();
        let task = tokio::spawn(async move {
            let res = client
                .post(&url)
                .form(&form)
                .send()
                .await
                // Without the URL: only the error's kind and cause.
                .map_err(|e| e.without_url().to_string())?;
            Ok(res.status().as_u16())
        });
        Box::pin(async move { task.await.map_err(|e| e.to_string())? })
    }))
}

/// Opens the store, running its migrations.
pub fn open_store(config: &Config) -> Result<SqliteStore, ConfigError> {
    SqliteStore::open(&config.database_url)
        .map_err(|e| ConfigError::new("DATABASE_URL", e.to_string()))
}

/// Loads the master key and builds the provider over `store`.
pub fn build_provider(
    config: &Config,
    store: SqliteStore,
    base_url: &str,
) -> Result<IdpProvider, ConfigError> {
    let data_dir = store
        .path()
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let master_key = config.master_key(&data_dir)?;
    let mut provider_config = ProviderConfig::new(base_url, master_key);
    provider_config.lifetimes = config.lifetimes.clone();
    provider_config.pending_interactions_per_requester =
        config.rate_limits.pending_interactions_per_ip;
    let mut provider =
        Provider::new(store, provider_config).with_offload(crate::password_pool::offload());
    if let Some(fetch) = http_fetch() {
        provider = provider.with_fetch(fetch);
    }
    if let Some(deliver) = http_deliver() {
        provider = provider.with_deliver(deliver);
    }
    Ok(provider)
}

impl App {
    /// Wraps a provider, with the default limits and no trusted proxy (the
    /// server sets them from its [`Config`]).
    pub fn new(provider: IdpProvider) -> Self {
        let secure_cookies = provider.config().secure_cookies();
        let base_path = provider.config().base_path().to_owned();
        Self {
            provider,
            secure_cookies,
            base_path,
            limits: crate::rate_limit::Limits::new(&Default::default()),
            trusted_proxies: Default::default(),
            http_limits: Default::default(),
        }
    }
}
