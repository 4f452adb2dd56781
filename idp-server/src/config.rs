//! Configuration: the only place the environment is read. Each setting comes
//! from its command-line flag, else the environment variable, else a `.env`
//! file in the working directory, else its default (design.md).

use idp_core::crypto::envelope::MasterKey;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Settings as given on the command line (all optional; see
/// [`Config::resolve`]): the options of `serve`, which are also accepted with
/// no command at all. `--database-url` is every command's (`crate::cli`);
/// the administration commands fill in the few others they use.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct Flags {
    /// `--database-url`, an option of every command (`crate::cli::Cli`).
    #[arg(skip)]
    pub database_url: Option<String>,
    /// Address to listen on [env: SERVER_HOST] [default: 127.0.0.1]
    #[arg(long)]
    pub host: Option<String>,
    /// Port to listen on [env: SERVER_PORT] [default: 3000]
    #[arg(long)]
    pub port: Option<String>,
    /// Public base URL; issuers are {BASE_URL}/t/{tenant} [env: BASE_URL] [default: http://localhost:{port}]
    #[arg(long)]
    pub base_url: Option<String>,
    /// PEM certificate chain; with --tls-key-file, serve HTTPS [env: TLS_CERT_FILE]
    #[arg(long)]
    pub tls_cert_file: Option<String>,
    /// PEM private key (PKCS#8, RSA or SEC1) of the certificate [env: TLS_KEY_FILE]
    #[arg(long)]
    pub tls_key_file: Option<String>,
    /// Seconds between purges of expired rows; 0 disables [env: PURGE_INTERVAL_SECONDS] [default: 300]
    #[arg(long)]
    pub purge_interval_seconds: Option<String>,
    /// Seconds between WAL checkpoints; 0 disables [env: CHECKPOINT_INTERVAL_SECONDS] [default: 60]
    #[arg(long)]
    pub checkpoint_interval_seconds: Option<String>,
    /// Age in days at which each tenant's signing keys are rotated; 0 disables [env: KEY_ROTATION_DAYS] [default: 90]
    #[arg(long)]
    pub key_rotation_days: Option<String>,
    /// Seconds between checks for back-channel logout deliveries due for a retry; 0 disables retries [env: LOGOUT_RETRY_INTERVAL_SECONDS] [default: 30]
    #[arg(long)]
    pub logout_retry_interval_seconds: Option<String>,
    /// Days audit events are kept; 0 keeps them forever [env: AUDIT_RETENTION_DAYS] [default: 365]
    #[arg(long)]
    pub audit_retention_days: Option<String>,
    /// Days raw sign-in events are kept for analytics (their daily roll-ups stay); 0 keeps them forever [env: ANALYTICS_RETENTION_DAYS] [default: 90]
    #[arg(long)]
    pub analytics_retention_days: Option<String>,
    /// Seconds between rebuilds of the analytics roll-ups; 0 disables [env: ANALYTICS_ROLLUP_INTERVAL_SECONDS] [default: 300]
    #[arg(long)]
    pub analytics_rollup_interval_seconds: Option<String>,
    /// Seconds a rotation's new signing keys are published in the JWKS before they sign; 0 activates them at once [env: KEY_PUBLICATION_SECONDS] [default: 3600]
    #[arg(long)]
    pub key_publication_seconds: Option<String>,
    /// Reverse proxies (addresses/CIDRs, comma-separated) whose X-Forwarded-For/-Proto are believed [env: TRUST_PROXY] [default: none]
    #[arg(long)]
    pub trust_proxy: Option<String>,
    /// Internal addresses/CIDRs (comma-separated) the server may request: jwks_uri, request_uri, back-channel logout [env: OUTBOUND_ALLOW] [default: none]
    #[arg(long)]
    pub outbound_allow: Option<String>,
    /// Let server-initiated requests use plain http, not only https: on or off [env: OUTBOUND_ALLOW_HTTP] [default: off]
    #[arg(long)]
    pub outbound_allow_http: Option<String>,
    /// Development only: accept http redirect and post-logout redirect URIs on any host, not only on loopback [env: ALLOW_INSECURE_REDIRECT_URIS] [default: off]
    #[arg(long)]
    pub allow_insecure_redirect_uris: Option<String>,
    /// Serve /metrics only on this address (its own listener; the main one answers 404 there) [env: METRICS_ADDR] [default: the main listener]
    #[arg(long)]
    pub metrics_addr: Option<String>,
    /// Leading zero bits the sign-up form's proof of work needs (each one doubles a browser's work; 18 is about a second on a phone) [env: SIGNUP_POW_BITS] [default: 18]
    #[arg(long)]
    pub signup_pow_bits: Option<String>,
    /// Email of the platform owner, created on first start; a one-time set-up link is logged while they have no password [env: PLATFORM_OWNER_EMAIL]
    #[arg(long)]
    pub platform_owner_email: Option<String>,
    /// Brute-force and request-rate limits.
    #[command(flatten)]
    pub rate_limits: crate::rate_limit::RateLimitFlags,
}

/// A configuration error, reported as one line naming the setting.
#[derive(Debug, thiserror::Error)]
#[error("{setting}: {message}")]
pub struct ConfigError {
    /// The setting's environment variable name.
    pub setting: &'static str,
    /// What is wrong with it.
    pub message: String,
}

impl ConfigError {
    pub(crate) fn new(setting: &'static str, message: impl Into<String>) -> Self {
        Self {
            setting,
            message: message.into(),
        }
    }
}

/// The resolved configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// `DATABASE_URL`.
    pub database_url: String,
    /// `DATABASE_POOL_SIZE`, `DATABASE_POOL_TIMEOUT_MS`,
    /// `DATABASE_STATEMENT_TIMEOUT_MS`: the PostgreSQL pool's bounds.
    pub database_pool: crate::backend::PoolBounds,
    /// `SERVER_HOST`.
    pub host: String,
    /// `SERVER_PORT` (0 picks a free port).
    pub port: u16,
    /// `BASE_URL`; `None` means `http://localhost:{bound port}`, or
    /// `https://…` when [`Config::tls`] is set.
    pub base_url: Option<String>,
    /// `ENCRYPTION_KEY`; `None` means development mode (a generated key file).
    pub encryption_key: Option<String>,
    /// Lifetimes of codes, tokens and sessions (not configurable from the
    /// environment yet; tests and embedders shorten them), and
    /// `KEY_PUBLICATION_SECONDS` as `key_publication`.
    pub lifetimes: idp_core::Lifetimes,
    /// `TLS_CERT_FILE` and `TLS_KEY_FILE`: serve HTTPS with this certificate
    /// and key; `None` serves plain HTTP (behind a TLS-terminating proxy).
    pub tls: Option<TlsConfig>,
    /// `PURGE_INTERVAL_SECONDS`, `CHECKPOINT_INTERVAL_SECONDS`,
    /// `KEY_ROTATION_DAYS`, `LOGOUT_RETRY_INTERVAL_SECONDS`: the background
    /// jobs (tests shorten them further).
    pub jobs: crate::jobs::JobsConfig,
    /// How failed back-channel logout deliveries are retried while
    /// [`JobsConfig::logout_retry_interval`](crate::jobs::JobsConfig::logout_retry_interval)
    /// is set (not configurable from the environment; tests shorten it).
    pub logout_retry: idp_core::logout_retry::RetryPolicy,
    /// `TRUST_PROXY`: peers whose `X-Forwarded-For` and `X-Forwarded-Proto`
    /// are believed (empty: none; the TCP peer is the client).
    pub trust_proxy: crate::forwarded::IpBlocks,
    /// `RATE_LIMIT_*`.
    pub rate_limits: crate::rate_limit::RateLimitSettings,
    /// `OUTBOUND_ALLOW` and `OUTBOUND_ALLOW_HTTP`: where requests the
    /// server makes itself may go (default: https, no internal address).
    pub outbound: idp_core::OutboundPolicy,
    /// Header, body and timeout bounds per connection (not configurable
    /// from the environment; tests shorten them).
    pub http_limits: crate::connection_limits::HttpLimits,
    /// `ALLOW_INSECURE_REDIRECT_URIS`: clients may register http redirect
    /// URIs on hosts other than loopback (development only).
    pub allow_insecure_redirect_uris: bool,
    /// `METRICS_ADDR` and `METRICS_TOKEN` (environment only, never a flag:
    /// a flag shows in the process list).
    pub metrics: crate::metrics::access::MetricsSettings,
    /// `SIGNUP_POW_BITS`: the sign-up form's proof of work.
    pub signup_pow: idp_core::signup::pow::ProofOfWork,
    /// `PLATFORM_OWNER_EMAIL`: the platform owner, created on first start.
    pub platform_owner_email: Option<String>,
    /// `PLATFORM_{GITHUB,GOOGLE,MICROSOFT}_CLIENT_ID` and `_SECRET`
    /// (environment only, never a flag): the platform tenant's upstreams,
    /// created on first start.
    pub platform_upstreams: Vec<PlatformUpstream>,
}

/// An upstream of the platform tenant given by the environment, so that
/// operators sign in to `/admin` through it. `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct PlatformUpstream {
    /// GitHub, Google or Microsoft.
    pub kind: idp_core::upstream::UpstreamKind,
    /// `PLATFORM_{KIND}_CLIENT_ID`.
    pub client_id: String,
    /// `PLATFORM_{KIND}_CLIENT_SECRET`.
    pub client_secret: String,
}

impl std::fmt::Debug for PlatformUpstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlatformUpstream")
            .field("kind", &self.kind)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .finish()
    }
}

/// Each platform upstream's kind and variables.
pub const PLATFORM_UPSTREAM_VARS: [(idp_core::upstream::UpstreamKind, &str, &str); 3] = [
    (
        idp_core::upstream::UpstreamKind::Github,
        "PLATFORM_GITHUB_CLIENT_ID",
        "PLATFORM_GITHUB_CLIENT_SECRET",
    ),
    (
        idp_core::upstream::UpstreamKind::Google,
        "PLATFORM_GOOGLE_CLIENT_ID",
        "PLATFORM_GOOGLE_CLIENT_SECRET",
    ),
    (
        idp_core::upstream::UpstreamKind::Microsoft,
        "PLATFORM_MICROSOFT_CLIENT_ID",
        "PLATFORM_MICROSOFT_CLIENT_SECRET",
    ),
];

/// The platform upstreams `get` finds: for each of GitHub, Google and
/// Microsoft, both `PLATFORM_{KIND}_CLIENT_ID` and `_CLIENT_SECRET`, or
/// neither.
fn platform_upstreams(
    get: impl Fn(&str) -> Option<String>,
) -> Result<Vec<PlatformUpstream>, ConfigError> {
    let mut found = Vec::new();
    for (kind, id_var, secret_var) in PLATFORM_UPSTREAM_VARS {
        match (get(id_var), get(secret_var)) {
            (None, None) => {}
            (Some(client_id), Some(client_secret)) => found.push(PlatformUpstream {
                kind,
                client_id: client_id.trim().to_owned(),
                client_secret: client_secret.trim().to_owned(),
            }),
            (Some(_), None) => {
                return Err(ConfigError::new(
                    secret_var,
                    format!("is required with {id_var}"),
                ));
            }
            (None, Some(_)) => {
                return Err(ConfigError::new(
                    id_var,
                    format!("is required with {secret_var}"),
                ));
            }
        }
    }
    Ok(found)
}

/// Where the server's certificate chain and private key come from. Both are
/// read and checked (parsed, and the key matched to the certificate) when the
/// server starts, before it opens the database; errors name `TLS_CERT_FILE`
/// or `TLS_KEY_FILE`.
#[derive(Clone)]
pub enum TlsConfig {
    /// PEM files, read at start-up (`TLS_CERT_FILE`, `TLS_KEY_FILE`).
    Files {
        /// The certificate chain, leaf first.
        cert_file: PathBuf,
        /// The private key: PKCS#8, PKCS#1 (RSA) or SEC1 (EC).
        key_file: PathBuf,
    },
    /// PEM text held in memory (tests, embedders).
    Pem {
        /// The certificate chain, leaf first.
        cert_chain: Vec<u8>,
        /// The private key: PKCS#8, PKCS#1 (RSA) or SEC1 (EC).
        private_key: zeroize::Zeroizing<Vec<u8>>,
    },
}

impl TlsConfig {
    /// Certificate chain and key from PEM files.
    pub fn from_files(cert_file: impl Into<PathBuf>, key_file: impl Into<PathBuf>) -> Self {
        Self::Files {
            cert_file: cert_file.into(),
            key_file: key_file.into(),
        }
    }

    /// Certificate chain and key as PEM text.
    pub fn from_pem(cert_chain: impl Into<Vec<u8>>, private_key: impl Into<Vec<u8>>) -> Self {
        Self::Pem {
            cert_chain: cert_chain.into(),
            private_key: zeroize::Zeroizing::new(private_key.into()),
        }
    }

    /// The certificate chain's PEM text and where it came from (for errors).
    pub(crate) fn cert_pem(&self) -> Result<(Vec<u8>, String), ConfigError> {
        match self {
            Self::Files { cert_file, .. } => std::fs::read(cert_file)
                .map(|pem| (pem, cert_file.display().to_string()))
                .map_err(|e| {
                    ConfigError::new(
                        "TLS_CERT_FILE",
                        format!("cannot read {}: {e}", cert_file.display()),
                    )
                }),
            Self::Pem { cert_chain, .. } => Ok((cert_chain.clone(), "the PEM given".into())),
        }
    }

    /// The private key's PEM text and where it came from (for errors).
    pub(crate) fn key_pem(&self) -> Result<(zeroize::Zeroizing<Vec<u8>>, String), ConfigError> {
        match self {
            Self::Files { key_file, .. } => std::fs::read(key_file)
                .map(|pem| (zeroize::Zeroizing::new(pem), key_file.display().to_string()))
                .map_err(|e| {
                    ConfigError::new(
                        "TLS_KEY_FILE",
                        format!("cannot read {}: {e}", key_file.display()),
                    )
                }),
            Self::Pem { private_key, .. } => Ok((private_key.clone(), "the PEM given".into())),
        }
    }
}

/// Never prints key material.
impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Files {
                cert_file,
                key_file,
            } => f
                .debug_struct("TlsConfig::Files")
                .field("cert_file", cert_file)
                .field("key_file", key_file)
                .finish(),
            Self::Pem { cert_chain, .. } => f
                .debug_struct("TlsConfig::Pem")
                .field("cert_chain", &format_args!("{} bytes", cert_chain.len()))
                .field("private_key", &format_args!("(redacted)"))
                .finish(),
        }
    }
}

/// `SIGNUP_POW_BITS`: 0 to 32 leading zero bits (0 turns the proof of
/// work off, for tests and closed networks).
fn signup_pow(value: Option<String>) -> Result<idp_core::signup::pow::ProofOfWork, ConfigError> {
    use idp_core::signup::pow::{MAX_BITS, ProofOfWork};
    let Some(v) = value else {
        return Ok(ProofOfWork::default());
    };
    match v.trim().parse::<u8>() {
        Ok(bits) if bits <= MAX_BITS => Ok(ProofOfWork {
            bits,
            ..ProofOfWork::default()
        }),
        _ => Err(ConfigError::new(
            "SIGNUP_POW_BITS",
            format!("'{v}' must be a whole number from 0 to {MAX_BITS}"),
        )),
    }
}

/// The default BASE_URL for a port: `https` when TLS is on.
pub(crate) fn default_base_url(tls: bool, port: u16) -> String {
    let scheme = if tls { "https" } else { "http" };
    format!("{scheme}://localhost:{port}")
}

/// Reads `KEY=VALUE` lines of a `.env` file (comments and blank lines
/// skipped, surrounding quotes removed).
fn read_dotenv(path: &Path) -> HashMap<String, String> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return HashMap::new();
    };
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.strip_prefix("export ").unwrap_or(l).split_once('='))
        .map(|(k, v)| {
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|x| x.strip_suffix('"'))
                .or_else(|| v.strip_prefix('\'').and_then(|x| x.strip_suffix('\'')))
                .unwrap_or(v);
            (k.trim().to_owned(), v.to_owned())
        })
        .collect()
}

impl Config {
    /// Resolves flags, environment, `.env` and defaults.
    pub fn resolve(flags: &Flags) -> Result<Self, ConfigError> {
        let dotenv = read_dotenv(Path::new(".env"));
        let get = |flag: &Option<String>, name: &str| -> Option<String> {
            flag.clone()
                .or_else(|| std::env::var(name).ok())
                .or_else(|| dotenv.get(name).cloned())
                .filter(|v| !v.trim().is_empty())
        };
        let port_text = get(&flags.port, "SERVER_PORT").unwrap_or_else(|| "3000".into());
        let port = port_text.trim().parse::<u16>().map_err(|_| {
            ConfigError::new(
                "SERVER_PORT",
                format!("'{port_text}' is not a port number (0-65535)"),
            )
        })?;
        let base_url = get(&flags.base_url, "BASE_URL");
        if let Some(url) = &base_url {
            let parsed = url::Url::parse(url).map_err(|e| {
                ConfigError::new("BASE_URL", format!("'{url}' is not an absolute URL: {e}"))
            })?;
            if !matches!(parsed.scheme(), "http" | "https")
                || parsed.query().is_some()
                || parsed.fragment().is_some()
            {
                return Err(ConfigError::new(
                    "BASE_URL",
                    format!("'{url}' must be an http(s) URL without query or fragment"),
                ));
            }
        }
        let tls = match (
            get(&flags.tls_cert_file, "TLS_CERT_FILE"),
            get(&flags.tls_key_file, "TLS_KEY_FILE"),
        ) {
            (None, None) => None,
            (Some(cert), Some(key)) => Some(TlsConfig::from_files(cert, key)),
            (Some(_), None) => {
                return Err(ConfigError::new(
                    "TLS_KEY_FILE",
                    "unset, but TLS_CERT_FILE is set: set both (HTTPS) or neither (plain HTTP)",
                ));
            }
            (None, Some(_)) => {
                return Err(ConfigError::new(
                    "TLS_CERT_FILE",
                    "unset, but TLS_KEY_FILE is set: set both (HTTPS) or neither (plain HTTP)",
                ));
            }
        };
        // The server derives the default BASE_URL from the port it bound; an
        // administration command binds nothing, so with TLS on it needs the
        // https default here to print the issuers the server will use.
        let base_url = match base_url {
            None if tls.is_some() && port != 0 => Some(default_base_url(true, port)),
            other => other,
        };
        let encryption_key = get(&None, "ENCRYPTION_KEY");
        if let Some(key) = &encryption_key {
            // Checked before anything touches the disk.
            MasterKey::from_hex(key).map_err(|_| {
                ConfigError::new(
                    "ENCRYPTION_KEY",
                    "must be 64 hexadecimal characters (32 bytes)",
                )
            })?;
        }
        let trust_proxy = match get(&flags.trust_proxy, "TRUST_PROXY") {
            None => crate::forwarded::IpBlocks::default(),
            Some(v) => crate::forwarded::IpBlocks::parse(&v)
                .map_err(|m| ConfigError::new("TRUST_PROXY", m))?,
        };
        let rate_limits = crate::rate_limit::RateLimitSettings::resolve(&flags.rate_limits, &get)?;
        let outbound = crate::outbound::policy_from_settings(
            get(&flags.outbound_allow, "OUTBOUND_ALLOW"),
            get(&flags.outbound_allow_http, "OUTBOUND_ALLOW_HTTP"),
        )?;
        let metrics = crate::metrics::access::MetricsSettings::resolve(
            get(&flags.metrics_addr, "METRICS_ADDR"),
            get(&None, "METRICS_TOKEN"),
        )?;
        let jobs = crate::jobs::JobsConfig::from_settings(
            get(&flags.purge_interval_seconds, "PURGE_INTERVAL_SECONDS"),
            get(
                &flags.checkpoint_interval_seconds,
                "CHECKPOINT_INTERVAL_SECONDS",
            ),
            get(&flags.key_rotation_days, "KEY_ROTATION_DAYS"),
            get(
                &flags.logout_retry_interval_seconds,
                "LOGOUT_RETRY_INTERVAL_SECONDS",
            ),
        )?
        .with_audit_retention(get(&flags.audit_retention_days, "AUDIT_RETENTION_DAYS"))?
        .with_analytics(
            get(&flags.analytics_retention_days, "ANALYTICS_RETENTION_DAYS"),
            get(
                &flags.analytics_rollup_interval_seconds,
                "ANALYTICS_ROLLUP_INTERVAL_SECONDS",
            ),
        )?;
        let lifetimes = idp_core::Lifetimes {
            key_publication: key_publication(get(
                &flags.key_publication_seconds,
                "KEY_PUBLICATION_SECONDS",
            ))?,
            ..idp_core::Lifetimes::default()
        };
        let allow_insecure_redirect_uris = on_off(
            "ALLOW_INSECURE_REDIRECT_URIS",
            get(
                &flags.allow_insecure_redirect_uris,
                "ALLOW_INSECURE_REDIRECT_URIS",
            ),
        )?;
        let signup_pow = signup_pow(get(&flags.signup_pow_bits, "SIGNUP_POW_BITS"))?;
        let database_url = get(&flags.database_url, "DATABASE_URL")
            .unwrap_or_else(|| "sqlite:./data/idp.db".into());
        // An unknown scheme stops here, before anything touches the disk.
        crate::backend::DatabaseUrl::parse(&database_url)?;
        let database_pool = crate::backend::PoolBounds::resolve(
            get(&None, "DATABASE_POOL_SIZE"),
            get(&None, "DATABASE_POOL_TIMEOUT_MS"),
            get(&None, "DATABASE_STATEMENT_TIMEOUT_MS"),
        )?;
        Ok(Self {
            database_url,
            database_pool,
            host: get(&flags.host, "SERVER_HOST").unwrap_or_else(|| "127.0.0.1".into()),
            port,
            base_url: base_url.map(|u| u.trim_end_matches('/').to_owned()),
            encryption_key,
            lifetimes,
            tls,
            jobs,
            logout_retry: Default::default(),
            trust_proxy,
            rate_limits,
            outbound,
            http_limits: Default::default(),
            allow_insecure_redirect_uris,
            metrics,
            signup_pow,
            platform_owner_email: get(&flags.platform_owner_email, "PLATFORM_OWNER_EMAIL")
                .filter(|e| !e.trim().is_empty()),
            platform_upstreams: platform_upstreams(|name| get(&None, name))?,
        })
    }

    /// A configuration for tests: loopback, any port, the given database and
    /// key, plain HTTP (set [`Config::tls`] for HTTPS).
    pub fn for_tests(database_url: String, encryption_key: String) -> Self {
        Self {
            database_url,
            database_pool: Default::default(),
            host: "127.0.0.1".into(),
            port: 0,
            base_url: None,
            encryption_key: Some(encryption_key),
            lifetimes: idp_core::Lifetimes::default(),
            tls: None,
            jobs: Default::default(),
            logout_retry: Default::default(),
            trust_proxy: Default::default(),
            rate_limits: Default::default(),
            outbound: Default::default(),
            http_limits: Default::default(),
            allow_insecure_redirect_uris: false,
            metrics: Default::default(),
            signup_pow: Default::default(),
            platform_owner_email: None,
            platform_upstreams: Vec::new(),
        }
    }

    /// The master key: `ENCRYPTION_KEY`, or in development mode a key kept in
    /// `{data_dir}/encryption.key` (created with mode 0600 on first start).
    pub fn master_key(&self, data_dir: &Path) -> Result<MasterKey, ConfigError> {
        if let Some(hex) = &self.encryption_key {
            return MasterKey::from_hex(hex).map_err(|_| {
                ConfigError::new(
                    "ENCRYPTION_KEY",
                    "must be 64 hexadecimal characters (32 bytes)",
                )
            });
        }
        let path = data_dir.join("encryption.key");
        let hex = match std::fs::read_to_string(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let hex = MasterKey::generate_hex();
                write_private(&path, &hex).map_err(|e| {
                    ConfigError::new(
                        "ENCRYPTION_KEY",
                        format!(
                            "unset, and cannot write a development key to {}: {e}",
                            path.display()
                        ),
                    )
                })?;
                tracing::warn!(
                    path = %path.display(),
                    "ENCRYPTION_KEY is not set: DEVELOPMENT MODE. A new master key was generated and written to this file. \
                     Anyone who can read it can decrypt every tenant's private keys. Set ENCRYPTION_KEY (64 hex characters) in production."
                );
                hex
            }
            Ok(hex) => {
                tracing::warn!(path = %path.display(), "ENCRYPTION_KEY is not set: DEVELOPMENT MODE, using the key in this file");
                hex
            }
            Err(e) => {
                return Err(ConfigError::new(
                    "ENCRYPTION_KEY",
                    format!("unset, and cannot read {}: {e}", path.display()),
                ));
            }
        };
        MasterKey::from_hex(&hex).map_err(|_| {
            ConfigError::new(
                "ENCRYPTION_KEY",
                format!(
                    "unset, and the development key in {} is malformed",
                    path.display()
                ),
            )
        })
    }
}

/// Longest `KEY_PUBLICATION_SECONDS` accepted (30 days).
const MAX_KEY_PUBLICATION_SECONDS: i64 = 30 * 24 * 3600;

/// `KEY_PUBLICATION_SECONDS`: whole seconds, 0 to 30 days; unset is
/// [`idp_core::DEFAULT_KEY_PUBLICATION`].
fn key_publication(value: Option<String>) -> Result<i64, ConfigError> {
    let Some(value) = value else {
        return Ok(idp_core::DEFAULT_KEY_PUBLICATION);
    };
    value
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|n| (0..=MAX_KEY_PUBLICATION_SECONDS).contains(n))
        .ok_or_else(|| {
            ConfigError::new(
                "KEY_PUBLICATION_SECONDS",
                format!(
                    "'{value}' is not a whole number of seconds from 0 (new keys sign at once) to {MAX_KEY_PUBLICATION_SECONDS}"
                ),
            )
        })
}

/// An on/off setting (`on`, `true`, `1` / `off`, `false`, `0`); unset is off.
pub(crate) fn on_off(setting: &'static str, value: Option<String>) -> Result<bool, ConfigError> {
    match value.as_deref().map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(false),
        Some(v) if ["on", "true", "1"].contains(&v.as_str()) => Ok(true),
        Some(v) if ["off", "false", "0"].contains(&v.as_str()) => Ok(false),
        Some(v) => Err(ConfigError::new(
            setting,
            format!("'{v}' must be on or off"),
        )),
    }
}

/// Writes a file readable only by its owner.
fn write_private(path: &PathBuf, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(contents.as_bytes())?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_upstreams_come_in_pairs() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let none = platform_upstreams(env(&[])).map(|v| v.len());
        assert_eq!(none.ok(), Some(0));
        let both = platform_upstreams(env(&[
            ("PLATFORM_GITHUB_CLIENT_ID", "id"),
            ("PLATFORM_GITHUB_CLIENT_SECRET", "s3cret"),
        ]));
        let found = both.unwrap_or_default();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].kind, idp_core::upstream::UpstreamKind::Github);
        assert!(!format!("{found:?}").contains("s3cret"));
        let half = platform_upstreams(env(&[("PLATFORM_MICROSOFT_CLIENT_SECRET", "s")]));
        assert!(half.is_err_and(|e| e.to_string().contains("PLATFORM_MICROSOFT_CLIENT_ID")));
    }

    #[test]
    fn dotenv_lines() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let p = dir.path().join(".env");
        std::fs::write(&p, "# comment\nA=1\nexport B=\"two words\"\n\nC='x=y'\n")?;
        let m = read_dotenv(&p);
        assert_eq!(m.get("A").map(String::as_str), Some("1"));
        assert_eq!(m.get("B").map(String::as_str), Some("two words"));
        assert_eq!(m.get("C").map(String::as_str), Some("x=y"));
        Ok(())
    }

    #[test]
    fn tls_files_come_in_pairs() {
        let flags = Flags {
            port: Some("8443".into()),
            tls_cert_file: Some("cert.pem".into()),
            ..Flags::default()
        };
        let err = Config::resolve(&flags).err().map(|e| e.setting);
        assert_eq!(err, Some("TLS_KEY_FILE"));
        let flags = Flags {
            port: Some("8443".into()),
            tls_key_file: Some("key.pem".into()),
            ..Flags::default()
        };
        let err = Config::resolve(&flags).err().map(|e| e.setting);
        assert_eq!(err, Some("TLS_CERT_FILE"));
    }

    #[test]
    fn key_publication_is_whole_seconds_up_to_30_days() {
        assert_eq!(
            key_publication(None).ok(),
            Some(idp_core::DEFAULT_KEY_PUBLICATION)
        );
        assert_eq!(key_publication(Some(" 0 ".into())).ok(), Some(0));
        assert_eq!(
            key_publication(Some("2592000".into())).ok(),
            Some(2_592_000)
        );
        for bad in ["-1", "2592001", "1h", "1.5"] {
            let err = key_publication(Some(bad.into())).err().map(|e| e.setting);
            assert_eq!(err, Some("KEY_PUBLICATION_SECONDS"), "{bad}");
        }
    }

    #[test]
    fn tls_debug_hides_the_key() {
        let tls = TlsConfig::from_pem("CERT", "-----BEGIN PRIVATE KEY-----secret");
        assert!(!format!("{tls:?}").contains("secret"));
    }

    #[test]
    fn dev_key_file_is_private_and_reused() -> Result<(), Box<dyn std::error::Error>> {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir()?;
        let cfg = Config::for_tests("sqlite:x".into(), String::new());
        let cfg = Config {
            encryption_key: None,
            ..cfg
        };
        cfg.master_key(dir.path())?;
        let meta = std::fs::metadata(dir.path().join("encryption.key"))?;
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        let first = std::fs::read_to_string(dir.path().join("encryption.key"))?;
        cfg.master_key(dir.path())?;
        assert_eq!(
            first,
            std::fs::read_to_string(dir.path().join("encryption.key"))?
        );
        Ok(())
    }
}
