//! The assembled application: the store, the provider and the settings the
//! HTTP layer needs. Built the same way for the server and the CLI.

use crate::config::{Config, ConfigError};
use bytes::Bytes;
use idp_core::{Fetch, Offload, Provider, ProviderConfig};
use idp_store_sqlite::SqliteStore;
use std::path::Path;
use std::sync::Arc;
use tokio::sync::Semaphore;

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
}

/// Password hashing runs on tokio's blocking pool, at most two at a time per
/// core, so a burst of logins cannot starve the executor or exhaust memory
/// (argon2id uses 19 MiB per hash).
fn blocking_offload() -> Offload {
    let permits = std::thread::available_parallelism().map_or(2, |n| n.get() * 2);
    let semaphore = Arc::new(Semaphore::new(permits));
    Arc::new(move |job| {
        let semaphore = Arc::clone(&semaphore);
        Box::pin(async move {
            let _permit = semaphore.acquire_owned().await;
            let _ = tokio::task::spawn_blocking(job).await;
        })
    })
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
    let mut provider = Provider::new(store, provider_config).with_offload(blocking_offload());
    if let Some(fetch) = http_fetch() {
        provider = provider.with_fetch(fetch);
    }
    Ok(provider)
}

impl App {
    /// Wraps a provider.
    pub fn new(provider: IdpProvider) -> Self {
        let secure_cookies = provider.config().secure_cookies();
        let base_path = provider.config().base_path().to_owned();
        Self {
            provider,
            secure_cookies,
            base_path,
        }
    }
}
