//! The assembled application: the store, the provider and the settings the
//! HTTP layer needs. Built the same way for the server and the CLI, over
//! whichever store `DATABASE_URL` names ([`crate::backend`]).

use crate::backend::Backend;
use crate::config::{Config, ConfigError};
use idp_core::{Provider, ProviderConfig};
use std::path::Path;

/// Everything a request handler needs.
pub struct App<S: Backend> {
    /// The protocol engine.
    pub provider: Provider<S>,
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
    /// The admin REST API (`/api/v1`); loaded by the server at start.
    pub admin_api: Option<crate::api::AdminApi<S>>,
    /// BASE_URL, without a trailing slash.
    pub base_url: String,
    /// The sign-up page's proof of work and spent challenges (`/signup`).
    pub signup: crate::pages::signup::SignupGuard,
    /// The console's organisation usage counts of the last minute.
    pub console_usage: crate::console::usage::UsageCache,
}

/// Loads the master key and builds the provider over `store`. In
/// development mode (no `ENCRYPTION_KEY`) the key file is kept in the
/// store's data directory, or in `./data` for a backend without one.
pub fn build_provider<S: Backend>(
    config: &Config,
    store: S,
    base_url: &str,
) -> Result<Provider<S>, ConfigError> {
    // A database server is shared by instances that must all hold one
    // master key: no development key file beside one of them.
    if store.data_dir().is_none() && config.encryption_key.is_none() {
        return Err(ConfigError::new(
            "ENCRYPTION_KEY",
            format!(
                "is required with {}: every instance must use the same master key (64 hex characters, e.g. `openssl rand -hex 32`)",
                S::BACKEND
            ),
        ));
    }
    let data_dir = store
        .data_dir()
        .map_or_else(|| Path::new("data").to_path_buf(), Path::to_path_buf);
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
    // Failed back-channel deliveries are queued only if the job retries them.
    provider_config.logout_retry = config
        .jobs
        .logout_retry_interval
        .map(|_| config.logout_retry.clone());
    // Every request the provider makes itself goes through one guarded
    // client (ADR 0019).
    let outbound = crate::outbound::OutboundClient::new(config.outbound.clone())
        .map_err(|e| ConfigError::new("OUTBOUND_ALLOW", format!("no HTTP client: {e}")))?;
    // On a database several instances share, failed logins per account are
    // counted there, so N instances do not give N times the guesses.
    let shared_limits = store.login_failures().map(|failures| {
        std::sync::Arc::new(idp_core::abuse::shared::SharedLoginLimits::new(
            &provider_config.abuse,
            failures,
        )) as std::sync::Arc<dyn idp_core::abuse::AbuseLimits>
    });
    let provider = Provider::new(store, provider_config);
    let provider = match shared_limits {
        Some(limits) => provider.with_abuse_limits(limits),
        None => provider,
    };
    Ok(provider
        .with_offload(crate::password_pool::offload())
        .with_sleep(std::sync::Arc::new(|d| Box::pin(tokio::time::sleep(d))))
        .with_fetch(outbound.fetch_hook())
        .with_upstream_http(outbound.upstream_hook())
        .with_deliver(outbound.deliver_hook()))
}

impl<S: Backend> App<S> {
    /// Wraps a provider, with the default limits and no trusted proxy (the
    /// server sets them from its [`Config`]).
    pub fn new(provider: Provider<S>) -> Self {
        let secure_cookies = provider.config().secure_cookies();
        let base_path = provider.config().base_path().to_owned();
        let base_url = provider.config().base_url.clone();
        Self {
            admin_api: None,
            base_url,
            provider,
            secure_cookies,
            base_path,
            limits: crate::rate_limit::Limits::new(&Default::default()),
            trusted_proxies: Default::default(),
            http_limits: Default::default(),
            metrics: Default::default(),
            signup: Default::default(),
            console_usage: Default::default(),
        }
    }
}
