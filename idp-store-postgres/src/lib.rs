//! # idp-store-postgres
//!
//! The PostgreSQL implementation of [`idp_core::store::Store`]:
//! `tokio-postgres` behind a `deadpool-postgres` pool (native async, no
//! blocking threads), TLS by rustls when the URL asks for it, embedded
//! migrations applied under an advisory lock, and row-level security on
//! every table of tenant data (ADR 0027).
//!
//! It maps the port to tables and nothing more: every protocol rule stays
//! in `idp-core`. Every query on tenant data runs in a transaction whose
//! `idp.tenant` setting names the tenant, and the database itself refuses
//! rows of any other tenant.
//!
//! ## Map
//! - this file: [`PostgresStore`], [`PostgresStore::connect`], the pool;
//! - `scoped`: the tenant-scoped transactions every area runs in;
//! - `error`: driver errors as the port's;
//! - `settings`: what `DATABASE_URL` says (TLS mode, root certificate) and
//!   the pool's bounds; `tls`: rustls for `tokio-postgres`;
//! - `migrations`: the embedded schema (`migrations/*.sql`), its version
//!   table, the `idp_app` role the store serves as;
//! - one module per part of the port: `tenants` (tenants and signing keys),
//!   `clients`, `users`, `sessions`, `grants`, `pushed`, `revocations`,
//!   `devices`, `deliveries`, `admin`, `purge` (the `Maintenance` part),
//!   `login_failures` (shared lockout counters), `roles`, `api_keys`,
//!   `idempotency`, `audit` (the audit log) and `audited` (a change and
//!   its event in one transaction);
//! - `operations`: readiness, pool state, active users (the server's
//!   [`Operations`](idp_core::store::Operations) port);
//! - `changes`: `LISTEN idp_changes`, how other instances' changes to
//!   tenants, keys and clients reach this process's caches; `jobs`: one
//!   instance at a time per background job;
//! - `scratch`: throw-away databases for tests.

mod admin;
mod analytics;
mod api_keys;
mod audit;
mod audited;
mod changes;
mod clients;
mod deliveries;
mod devices;
mod error;
mod grants;
mod idempotency;
mod jobs;
mod login_failures;
mod migrations;
mod operations;
mod platform_settings;
mod purge;
mod pushed;
mod revocations;
mod roles;
mod scoped;
pub mod scratch;
mod sessions;
mod settings;
mod setup_links;
mod tenants;
mod tiers;
mod tls;
mod upstreams;
mod users;

pub use changes::{Change, ChangeFeed};
pub use migrations::SCHEMA_VERSION;
pub use settings::{PoolSettings, TlsMode, redact};

pub(crate) use error::{db_error, describe};
pub(crate) use scoped::{registry_transaction, tenant_transaction};

use deadpool_postgres::{Hook, HookError, Manager, ManagerConfig, Pool, RecyclingMethod};
use idp_core::store::{StoreError, StoreResult};
use settings::ConnectionUrl;
use std::sync::Arc;
use tokio_postgres::NoTls;

/// The role the store serves as: it owns nothing, so every row-level
/// security policy applies to it (created by the migrations).
pub const APP_ROLE: &str = "idp_app";

/// A [`Store`](idp_core::store::Store) on one PostgreSQL database.
///
/// Cheap to clone: clones share the pool.
#[derive(Clone)]
pub struct PostgresStore {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    settings: PoolSettings,
    /// How to reach the database outside the pool (the change feed's
    /// dedicated connection).
    connect: Connector,
}

/// What opens a connection: the parsed URL and its TLS.
#[derive(Clone)]
pub(crate) struct Connector {
    config: tokio_postgres::Config,
    tls: Option<tls::RustlsConnect>,
}

impl Connector {
    /// One connection outside the pool, its driver task spawned; it serves
    /// as whoever the URL names (migrations, the change feed).
    pub(crate) async fn connect(&self) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
        match &self.tls {
            Some(tls) => {
                let (client, connection) = self.config.connect(tls.clone()).await?;
                tokio::spawn(async move {
                    if let Err(e) = connection.await {
                        tracing::debug!(error = %e, "database connection closed");
                    }
                });
                Ok(client)
            }
            None => {
                let (client, connection) = self.config.connect(NoTls).await?;
                tokio::spawn(async move {
                    if let Err(e) = connection.await {
                        tracing::debug!(error = %e, "database connection closed");
                    }
                });
                Ok(client)
            }
        }
    }

    /// A connection opened by [`Self::connect`], with its notifications
    /// (LISTEN) delivered to `sender`.
    pub(crate) async fn connect_listening(
        &self,
        sender: tokio::sync::mpsc::UnboundedSender<tokio_postgres::Notification>,
    ) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
        match &self.tls {
            Some(tls) => {
                let (client, connection) = self.config.connect(tls.clone()).await?;
                tokio::spawn(changes::drive(connection, sender));
                Ok(client)
            }
            None => {
                let (client, connection) = self.config.connect(NoTls).await?;
                tokio::spawn(changes::drive(connection, sender));
                Ok(client)
            }
        }
    }
}

/// Why [`PostgresStore::connect`] failed; each message is one start-up
/// line and never shows the password.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The URL could not be understood.
    #[error("invalid PostgreSQL URL {url}: {reason}")]
    InvalidUrl {
        /// The URL, password redacted.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The server could not be reached or refused the connection.
    #[error("cannot connect to PostgreSQL at {url}: {reason}")]
    Connect {
        /// The URL, password redacted.
        url: String,
        /// Why.
        reason: String,
    },
    /// A migration failed; the schema was left as it was.
    #[error("cannot migrate the PostgreSQL database at {url}: {reason}")]
    Migrate {
        /// The URL, password redacted.
        url: String,
        /// What failed.
        reason: String,
    },
    /// The database was migrated by a newer version of idp.
    #[error(
        "the PostgreSQL database at {url} has schema version {found}, newer than this binary supports ({supported}); upgrade idp"
    )]
    TooNew {
        /// The URL, password redacted.
        url: String,
        /// The newest applied migration.
        found: i32,
        /// [`SCHEMA_VERSION`].
        supported: i32,
    },
}

impl PostgresStore {
    /// Connects to `url` (`postgres://…` or `postgresql://…`, libpq's
    /// `sslmode` and `sslrootcert` understood), applies pending migrations
    /// under an advisory lock (safe when several instances start at once)
    /// and opens the pool, whose connections serve as [`APP_ROLE`].
    pub async fn connect(url: &str, settings: PoolSettings) -> Result<Self, OpenError> {
        let shown = redact(url);
        let invalid = |reason: String| OpenError::InvalidUrl {
            url: shown.clone(),
            reason,
        };
        let parsed = ConnectionUrl::parse(url).map_err(invalid)?;
        let mut config: tokio_postgres::Config = parsed
            .for_driver
            .parse()
            .map_err(|e: tokio_postgres::Error| invalid(e.to_string()))?;
        config.connect_timeout(settings.wait);
        // A database host that vanishes (network cut, machine gone) is
        // noticed by the socket: keepalive probes after 5 s of silence
        // (3 probes, 2 s apart), and data sent but not acknowledged within
        // the statement timeout plus the pool wait closes the connection.
        // A frozen server whose kernel still answers is not detected here:
        // its statements wait (PostgreSQL's own statement_timeout cannot
        // fire while it is frozen).
        config.keepalives_idle(std::time::Duration::from_secs(5));
        config.keepalives_interval(std::time::Duration::from_secs(2));
        config.keepalives_retries(3);
        config.tcp_user_timeout(settings.statement_timeout + settings.wait);
        if config.get_application_name().is_none() {
            config.application_name("idp");
        }
        let tls = tls::RustlsConnect::new(&parsed.tls).map_err(invalid)?;
        config.ssl_mode(if tls.is_some() {
            tokio_postgres::config::SslMode::Require
        } else {
            tokio_postgres::config::SslMode::Disable
        });
        let connect = Connector { config, tls };

        let mut owner = connect.connect().await.map_err(|e| OpenError::Connect {
            url: shown.clone(),
            reason: describe(&e),
        })?;
        migrations::apply(&mut owner, &shown).await?;
        drop(owner);

        let pool = build_pool(&connect, settings).map_err(|reason| OpenError::Connect {
            url: shown.clone(),
            reason,
        })?;
        Ok(Self {
            inner: Arc::new(Inner {
                pool,
                settings,
                connect,
            }),
        })
    }

    /// The pool's bounds.
    pub fn settings(&self) -> PoolSettings {
        self.inner.settings
    }

    pub(crate) fn pool(&self) -> &Pool {
        &self.inner.pool
    }

    pub(crate) fn connector(&self) -> &Connector {
        &self.inner.connect
    }

    /// A pooled connection, or [`StoreError::Unavailable`] once the pool's
    /// wait runs out (pool exhausted, database down).
    pub(crate) async fn client(&self) -> StoreResult<deadpool_postgres::Object> {
        self.inner
            .pool
            .get()
            .await
            .map_err(|e| StoreError::Unavailable(format!("no database connection available: {e}")))
    }
}

/// The pool: connections as the URL's user that switch to [`APP_ROLE`]
/// and bound every statement's time as soon as they are made.
fn build_pool(connect: &Connector, settings: PoolSettings) -> Result<Pool, String> {
    let manager_config = ManagerConfig {
        recycling_method: RecyclingMethod::Fast,
    };
    let manager = match &connect.tls {
        Some(tls) => Manager::from_config(connect.config.clone(), tls.clone(), manager_config),
        None => Manager::from_config(connect.config.clone(), NoTls, manager_config),
    };
    let statement_timeout = settings.statement_timeout.as_millis();
    Pool::builder(manager)
        .max_size(settings.max_connections)
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .wait_timeout(Some(settings.wait))
        .create_timeout(Some(settings.wait))
        .recycle_timeout(Some(settings.wait))
        .post_create(Hook::async_fn(move |client, _| {
            Box::pin(async move {
                client
                    .batch_execute(&format!(
                        "SET ROLE {APP_ROLE}; SET statement_timeout = {statement_timeout}"
                    ))
                    .await
                    .map_err(HookError::Backend)
            })
        }))
        .build()
        .map_err(|e| e.to_string())
}
