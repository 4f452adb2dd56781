//! The assembled application: the store, the provider and the settings the
//! HTTP layer needs. Built the same way for the server and the CLI.

use crate::config::{Config, ConfigError};
use idp_core::{Provider, ProviderConfig};
use idp_store_sqlite::SqliteStore;
use std::path::Path;

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
    /// Where `/metrics` is served and whether it needs a token.
    pub metrics: crate::metrics::access::MetricsSettings,
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
    provider_config.outbound = config.outbound.clone();
    provider_config.uri_policy.allow_insecure_redirect_uris = config.allow_insecure_redirect_uris;
    provider_config.pending_interactions_per_requester =
        config.rate_limits.pending_interactions_per_ip;
    // This server renders every page of the endpoint table.
    provider_config.host_endpoints = idp_core::endpoint::EndpointSet::ALL_PAGES;
    provider_config.abuse = config.rate_limits.lockout_policy();
    // Every request the provider makes itself goes through one guarded
    // client (ADR 0019).
    let outbound = crate::outbound::OutboundClient::new(config.outbound.clone())
        .map_err(|e| ConfigError::new("OUTBOUND_ALLOW", format!("no HTTP client: {e}")))?;
    Ok(Provider::new(store, provider_config)
        .with_offload(crate::password_pool::offload())
        .with_sleep(std::sync::Arc::new(|d| Box::pin(tokio::time::sleep(d))))
        .with_fetch(outbound.fetch_hook())
        .with_deliver(outbound.deliver_hook()))
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
            metrics: Default::default(),
        }
    }
}
