//! Which store serves: picked from `DATABASE_URL`'s scheme at start-up, one
//! binary for every backend (design.md "Storage backends", ADR 0026).
//!
//! Everything above this module is generic over [`Backend`]: the server
//! (`server`), the background jobs, `/health/ready`, `/metrics` and the
//! administration commands. This module is the one place that names a
//! store type: [`with_store`] opens the store the URL names and hands it to
//! a [`WithStore`]. Adding a backend is a variant of [`DatabaseUrl`] and one
//! arm in [`with_store`].
//!
//! Accepted: `sqlite:PATH` (also `sqlite://PATH`, `sqlite:///ABS`) and a
//! bare file path; `postgres://` and `postgresql://` (the `postgres` cargo
//! feature, in the default build; a build without it refuses them by name).
//! Any other scheme is refused. Either way start-up stops with one line
//! naming `DATABASE_URL` before anything is created on disk.

use crate::config::ConfigError;
use idp_core::store::{Maintenance, Operations, Store};
use idp_store_sqlite::SqliteStore;
use std::future::Future;

/// What the server and the administration commands need of a store: the
/// protocol port, the background jobs' port and the operator's port.
pub trait Backend: Store + Maintenance + Operations {}

impl<S: Store + Maintenance + Operations> Backend for S {}

/// What `DATABASE_URL` accepts in this build, for messages.
#[cfg(not(feature = "postgres"))]
const SQLITE_FORMS: &str = "sqlite:PATH (or a file path)";

/// The schemes `DATABASE_URL` accepts, for messages.
#[cfg(feature = "postgres")]
pub const ACCEPTED: &str = "sqlite:PATH (or a file path), postgres://… or postgresql://…";

/// The schemes `DATABASE_URL` accepts, for messages.
#[cfg(not(feature = "postgres"))]
pub const ACCEPTED: &str = "sqlite:PATH (or a file path); postgres:// and postgresql:// are recognised but this build has no PostgreSQL store (cargo feature `postgres`)";

/// The PostgreSQL pool's bounds (`DATABASE_POOL_SIZE`,
/// `DATABASE_POOL_TIMEOUT_MS`, `DATABASE_STATEMENT_TIMEOUT_MS`); SQLite
/// ignores them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolBounds {
    /// The most connections one instance opens (default 16).
    pub max_connections: usize,
    /// How long a request waits for a connection before it gets 503
    /// (default 2000 ms).
    pub wait: std::time::Duration,
    /// The longest one statement may run (default 5000 ms).
    pub statement_timeout: std::time::Duration,
}

impl Default for PoolBounds {
    fn default() -> Self {
        Self {
            max_connections: 16,
            wait: std::time::Duration::from_secs(2),
            statement_timeout: std::time::Duration::from_secs(5),
        }
    }
}

impl PoolBounds {
    /// Reads the three settings (each optional; whole positive numbers).
    pub fn resolve(
        size: Option<String>,
        wait_ms: Option<String>,
        statement_ms: Option<String>,
    ) -> Result<Self, ConfigError> {
        let number = |name: &'static str, value: Option<String>, max: u64| {
            value
                .map(|v| match v.trim().parse::<u64>() {
                    Ok(n) if (1..=max).contains(&n) => Ok(n),
                    _ => Err(ConfigError::new(
                        name,
                        format!("must be a whole number from 1 to {max}, not '{v}'"),
                    )),
                })
                .transpose()
        };
        let default = Self::default();
        Ok(Self {
            max_connections: number("DATABASE_POOL_SIZE", size, 1000)?
                .map_or(default.max_connections, |n| n as usize),
            wait: number("DATABASE_POOL_TIMEOUT_MS", wait_ms, 600_000)?
                .map_or(default.wait, std::time::Duration::from_millis),
            statement_timeout: number("DATABASE_STATEMENT_TIMEOUT_MS", statement_ms, 3_600_000)?
                .map_or(default.statement_timeout, std::time::Duration::from_millis),
        })
    }
}

/// A `DATABASE_URL`, by the backend it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A SQLite file: the URL as given (`sqlite:…` or a bare path), which
    /// `SqliteStore::open` parses.
    Sqlite(String),
    /// A PostgreSQL server (`postgres://`, `postgresql://`).
    Postgres(String),
}

impl DatabaseUrl {
    /// Reads the scheme. A value without one (`./data/idp.db`,
    /// `/var/lib/idp/idp.db`) is a SQLite file path. Errors name
    /// `DATABASE_URL` and the accepted schemes, in one line.
    pub fn parse(url: &str) -> Result<Self, ConfigError> {
        let trimmed = url.trim();
        match scheme(trimmed) {
            None => Ok(Self::Sqlite(trimmed.to_owned())),
            Some(s) if s.eq_ignore_ascii_case("sqlite") => Ok(Self::Sqlite(trimmed.to_owned())),
            Some(s)
                if s.eq_ignore_ascii_case("postgres") || s.eq_ignore_ascii_case("postgresql") =>
            {
                Ok(Self::Postgres(trimmed.to_owned()))
            }
            Some(s) => Err(ConfigError::new(
                "DATABASE_URL",
                format!("unknown scheme '{s}:'; accepted: {ACCEPTED}"),
            )),
        }
    }
}

/// The URI scheme of `value` (RFC 3986 §3.1: a letter, then letters,
/// digits, `+`, `-`, `.`, then `:`), if it starts with one.
fn scheme(value: &str) -> Option<&str> {
    let (candidate, _) = value.split_once(':')?;
    let mut chars = candidate.chars();
    let first = chars.next()?;
    let valid = first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then_some(candidate)
}

/// Why no store could be had.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// `DATABASE_URL` names no backend this build has.
    #[error(transparent)]
    Unsupported(ConfigError),
    /// The store was named but could not be opened or migrated.
    #[error(transparent)]
    Unavailable(ConfigError),
}

impl From<OpenError> for ConfigError {
    fn from(e: OpenError) -> Self {
        match e {
            OpenError::Unsupported(e) | OpenError::Unavailable(e) => e,
        }
    }
}

/// Work to do with whichever store `DATABASE_URL` names: the server, an
/// administration command. A trait rather than a closure because the work
/// is generic over the store type.
pub trait WithStore {
    /// What the work returns.
    type Output;
    /// Does the work with an open, migrated store.
    fn run<S: Backend>(self, store: S) -> impl Future<Output = Self::Output> + Send;
}

/// Opens the store `database_url` names (running its migrations) and runs
/// `work` with it. Nothing is created on disk for a URL this build cannot
/// serve.
pub async fn with_store<W: WithStore>(
    database_url: &str,
    pool: PoolBounds,
    work: W,
) -> Result<W::Output, OpenError> {
    match DatabaseUrl::parse(database_url).map_err(OpenError::Unsupported)? {
        DatabaseUrl::Sqlite(location) => Ok(work.run(sqlite(&location)?).await),
        #[cfg(feature = "postgres")]
        DatabaseUrl::Postgres(url) => Ok(work.run(postgres(&url, pool).await?).await),
        #[cfg(not(feature = "postgres"))]
        DatabaseUrl::Postgres(_) => {
            let _ = pool;
            Err(OpenError::Unsupported(ConfigError::new(
                "DATABASE_URL",
                format!(
                    "this build has no PostgreSQL store (cargo feature `postgres`); accepted: {SQLITE_FORMS}"
                ),
            )))
        }
    }
}

/// Connects to PostgreSQL and migrates it.
#[cfg(feature = "postgres")]
async fn postgres(
    url: &str,
    pool: PoolBounds,
) -> Result<idp_store_postgres::PostgresStore, OpenError> {
    let settings = idp_store_postgres::PoolSettings {
        max_connections: pool.max_connections,
        wait: pool.wait,
        statement_timeout: pool.statement_timeout,
    };
    idp_store_postgres::PostgresStore::connect(url, settings)
        .await
        .map_err(|e| OpenError::Unavailable(ConfigError::new("DATABASE_URL", e.to_string())))
}

/// Opens the SQLite store `database_url` names, or says why not (a URL for
/// another backend included).
pub fn open_sqlite(database_url: &str) -> Result<SqliteStore, OpenError> {
    match DatabaseUrl::parse(database_url).map_err(OpenError::Unsupported)? {
        DatabaseUrl::Sqlite(location) => sqlite(&location),
        DatabaseUrl::Postgres(_) => Err(OpenError::Unsupported(ConfigError::new(
            "DATABASE_URL",
            "a SQLite location is needed here (sqlite:PATH)",
        ))),
    }
}

fn sqlite(location: &str) -> Result<SqliteStore, OpenError> {
    SqliteStore::open(location)
        .map_err(|e| OpenError::Unavailable(ConfigError::new("DATABASE_URL", e.to_string())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_name_their_backend() {
        for sqlite in [
            "sqlite:./data/idp.db",
            "sqlite://./data/idp.db",
            "sqlite:///abs/idp.db",
            "SQLite:idp.db",
            "./data/idp.db",
            "/var/lib/idp/idp.db",
            "idp.db",
            " sqlite:idp.db ",
        ] {
            assert!(
                matches!(DatabaseUrl::parse(sqlite), Ok(DatabaseUrl::Sqlite(_))),
                "{sqlite}"
            );
        }
        for pg in [
            "postgres://postgres@127.0.0.1:5432/idp",
            "postgresql://u:p@db/idp",
        ] {
            assert!(
                matches!(DatabaseUrl::parse(pg), Ok(DatabaseUrl::Postgres(_))),
                "{pg}"
            );
        }
        for other in ["mysql://db/idp", "file:idp.db", "redis://x", "c:idp.db"] {
            let e = DatabaseUrl::parse(other).err();
            let e = e.as_ref();
            assert_eq!(e.map(|e| e.setting), Some("DATABASE_URL"), "{other}");
            let message = e.map(ToString::to_string).unwrap_or_default();
            assert!(message.contains("accepted: sqlite:PATH"), "{message}");
            assert!(!message.contains('\n'));
        }
    }
}
