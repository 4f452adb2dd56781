//! # idp-store-sqlite
//!
//! The SQLite implementation of [`idp_core::store::Store`]: rusqlite behind an
//! r2d2 pool, WAL journal, embedded migrations tracked in `PRAGMA user_version`.
//!
//! It maps the port to tables and nothing more: every protocol rule stays in
//! `idp-core`. Every query on tenant data is scoped by `tenant_id`.
//!
//! ## Map
//! - this file: [`SqliteStore`], [`SqliteStore::open`], the pool, the
//!   connection pragmas and the mapping of SQLite errors to [`StoreError`];
//! - `migrations`: the embedded schema and its versioning;
//! - `port`: the parts of [`Store`](idp_core::store::Store), one impl block
//!   per part, which run the SQL of `tenants` (tenants and signing keys, with
//!   the compare-and-swap key rotation), `clients`, `users`, `sessions` (sessions,
//!   interactions, consent), `session_clients` (who took part in a session,
//!   for front- and back-channel logout), `grants` (codes, refresh tokens)
//!   and `deliveries` (back-channel logout deliveries waiting for a retry)
//!   on blocking threads;
//! - `audit`: the audit log, and audited changes (`admin_change`: each
//!   [`AdminChange`](idp_core::store::AdminChange) made by the functions
//!   its unaudited port method runs, in the event's transaction); `roles`,
//!   `api_keys` and `idempotency`: the admin API's other parts;
//! - `codec`: how records' fields become columns and back;
//! - `backup`: online backup, WAL checkpoint;
//! - `purge`: the `Maintenance` part (bounded deletes of expired rows);
//! - `health`: whether the database file is still reachable (`/health/ready`).
//! - `stats`: pool state and active users, for metrics;
//! - `operations`: [`Operations`](idp_core::store::Operations), the
//!   server's port to all of the above (readiness, metrics, checkpoints,
//!   backup).

mod admin;
mod admin_change;
mod analytics;
mod api_keys;
mod audit;
mod backup;
mod clients;
mod codec;
mod deliveries;
mod devices;
mod grants;
mod health;
mod idempotency;
mod migrations;
mod operations;
mod platform_settings;
mod port;
mod purge;
mod pushed;
mod roles;
mod session_clients;
mod sessions;
mod setup_links;
mod stats;
mod tenants;
mod tiers;
mod upstreams;
mod users;

#[cfg(test)]
mod testing;

pub use backup::BackupError;
pub use idp_core::store::PoolState;
pub use migrations::SCHEMA_VERSION;

use idp_core::store::{StoreError, StoreResult};
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Pragmas run on every new connection. `busy_timeout` comes first so that
/// the others wait for a lock instead of failing.
const CONNECTION_PRAGMAS: &str = "PRAGMA busy_timeout=5000;
     PRAGMA journal_mode=WAL;
     PRAGMA synchronous=NORMAL;
     PRAGMA foreign_keys=ON;";

/// Connections in the pool. SQLite has one writer at a time (writes take
/// `BEGIN IMMEDIATE` or a single autocommit statement); readers run in
/// parallel under WAL.
const POOL_SIZE: u32 = 8;

/// How long a call waits for a free connection before failing.
const POOL_WAIT: Duration = Duration::from_secs(10);

/// Prepared statements cached per connection: every statement the store
/// runs per request is prepared once per connection (about 30 of them).
const STATEMENT_CACHE: usize = 64;

type Pool = r2d2::Pool<SqliteConnectionManager>;

/// A [`Store`](idp_core::store::Store) on one SQLite database file.
///
/// Cheap to clone: clones share the connection pool.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: Pool,
    path: Arc<Path>,
    /// The file `path` named when the store opened it (see `health`).
    guard: Arc<health::FileGuard>,
}

/// Why [`SqliteStore::open`] failed. Each message fits on one startup line.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The URL or path could not be understood.
    #[error("invalid database location '{location}': {reason}")]
    InvalidLocation {
        /// What was given.
        location: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The directory that should hold the database could not be created.
    #[error("cannot open database at {}: cannot create directory {}: {source}", .path.display(), .dir.display())]
    CreateDir {
        /// The database file.
        path: PathBuf,
        /// The directory.
        dir: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// SQLite could not open, configure or read the file.
    #[error("cannot open database at {}: {reason}", .path.display())]
    Open {
        /// The database file.
        path: PathBuf,
        /// SQLite's explanation.
        reason: String,
    },
    /// A schema migration failed; the database was left unchanged.
    #[error("cannot migrate database at {}: {reason}", .path.display())]
    Migrate {
        /// The database file.
        path: PathBuf,
        /// What failed.
        reason: String,
    },
    /// The database was written by a newer version of idp.
    #[error(
        "cannot open database at {}: its schema version {found} is newer than this binary supports ({supported}); upgrade idp",
        .path.display()
    )]
    TooNew {
        /// The database file.
        path: PathBuf,
        /// `PRAGMA user_version` of the file.
        found: i64,
        /// [`SCHEMA_VERSION`].
        supported: i64,
    },
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `url_or_path` and brings its
    /// schema up to date.
    ///
    /// Accepts `sqlite:./data/idp.db`, `sqlite://./data/idp.db`,
    /// `sqlite:///abs/path.db` or a bare path; a `?query` after a `sqlite:`
    /// URL is ignored. The parent directory is created if missing. In-memory
    /// databases are refused: every pooled connection would see its own.
    ///
    /// Blocks while it opens and migrates; call it at startup.
    pub fn open(url_or_path: &str) -> Result<Self, OpenError> {
        let path = parse_location(url_or_path)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| OpenError::CreateDir {
                path: path.clone(),
                dir: dir.to_path_buf(),
                source,
            })?;
        }
        let open_err = |e: rusqlite::Error| OpenError::Open {
            path: path.clone(),
            reason: e.to_string(),
        };
        let mut conn = Connection::open(&path).map_err(open_err)?;
        conn.execute_batch(CONNECTION_PRAGMAS).map_err(open_err)?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .map_err(open_err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(path = %path.display(), %mode, "SQLite could not enable WAL; readers will block writers");
        }
        migrations::apply(&mut conn, &path)?;
        let identity = health::FileIdentity::of(&path).map_err(|e| OpenError::Open {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        drop(conn);

        // Pooled connections never create the file: if it vanishes while the
        // server runs (a volume lost, a directory renamed), a new connection
        // fails instead of starting an empty database that would take
        // acknowledged writes and then be discarded.
        let no_create = OpenFlags::default().difference(OpenFlags::SQLITE_OPEN_CREATE);
        let manager = SqliteConnectionManager::file(&path)
            .with_flags(no_create)
            .with_init(|c| {
                c.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
                c.execute_batch(CONNECTION_PRAGMAS)
            });
        let pool = r2d2::Pool::builder()
            .max_size(POOL_SIZE)
            .min_idle(Some(1))
            .connection_timeout(POOL_WAIT)
            .build(manager)
            .map_err(|e| OpenError::Open {
                path: path.clone(),
                reason: e.to_string(),
            })?;
        let path: Arc<Path> = Arc::from(path);
        Ok(Self {
            pool,
            guard: Arc::new(health::FileGuard::new(Arc::clone(&path), identity)),
            path,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` with a pooled connection on a blocking thread, mapping SQLite
    /// errors with [`db_error`]. Fails while the database file is lost
    /// (`health`): nothing is acknowledged into a file no one will reopen.
    pub(crate) async fn run<T, F>(&self, f: F) -> StoreResult<T>
    where
        F: FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let (pool, guard) = (self.pool.clone(), Arc::clone(&self.guard));
        tokio::task::spawn_blocking(move || {
            guard.check()?;
            let mut conn = pool.get().map_err(|e| {
                StoreError::Unavailable(format!("no database connection available: {e}"))
            })?;
            f(&mut conn).map_err(db_error)
        })
        .await
        .map_err(|e| StoreError::Backend(format!("database task failed: {e}")))?
    }
}

/// Turns a `DATABASE_URL` or a path into a file path.
fn parse_location(location: &str) -> Result<PathBuf, OpenError> {
    let invalid = |reason| OpenError::InvalidLocation {
        location: location.to_owned(),
        reason,
    };
    let trimmed = location.trim();
    let path = match trimmed.strip_prefix("sqlite:") {
        Some(rest) => {
            let rest = rest.split_once('?').map_or(rest, |(p, _)| p);
            rest.strip_prefix("//").unwrap_or(rest)
        }
        None => trimmed,
    };
    if path.is_empty() {
        return Err(invalid("no file path given"));
    }
    if path == ":memory:" || path.starts_with("file::memory:") {
        return Err(invalid(
            "in-memory databases are not supported; give a file path",
        ));
    }
    Ok(PathBuf::from(path))
}

/// Maps an SQLite error to the port's error: a UNIQUE or PRIMARY KEY
/// violation becomes [`StoreError::Conflict`] naming the field (so does
/// deleting a tier still assigned), anything else
/// [`StoreError::Backend`].
pub(crate) fn db_error(e: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(failure, message) = &e {
        let unique = matches!(
            failure.extended_code,
            rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
        );
        if unique {
            return conflict_field(message.as_deref().unwrap_or(""));
        }
        // A tier a tenant still names cannot go (`tiers::delete`).
        if failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY
            && message.as_deref() == Some(tiers::IN_USE)
        {
            return StoreError::Conflict("tier".to_owned());
        }
    }
    StoreError::Backend(e.to_string())
}

/// The conflict SQLite's "UNIQUE constraint failed: users.tenant_id,
/// users.email" message is about, named as every store names it
/// ([`StoreError::conflict_on`]): `email`; a bare `id` becomes `user id`.
fn conflict_field(message: &str) -> StoreError {
    let columns = message.split_once("failed: ").map_or("", |(_, c)| c);
    StoreError::conflict_on(
        columns
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(|qualified| qualified.split_once('.').unwrap_or(("", qualified))),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_parse_to_paths() -> Result<(), OpenError> {
        for (given, want) in [
            ("sqlite:./data/idp.db", "./data/idp.db"),
            ("sqlite://./data/idp.db", "./data/idp.db"),
            ("sqlite:///abs/path.db", "/abs/path.db"),
            ("sqlite:data.db?mode=rwc", "data.db"),
            ("./data/idp.db", "./data/idp.db"),
            ("/abs/idp.db", "/abs/idp.db"),
        ] {
            assert_eq!(parse_location(given)?, PathBuf::from(want), "{given}");
        }
        for bad in ["", "sqlite:", "sqlite://", "sqlite::memory:", ":memory:"] {
            assert!(parse_location(bad).is_err(), "{bad}");
        }
        Ok(())
    }

    #[test]
    fn conflict_names_the_field() {
        for (message, want) in [
            ("UNIQUE constraint failed: tenants.slug", "slug"),
            ("UNIQUE constraint failed: tenants.id", "tenant id"),
            (
                "UNIQUE constraint failed: clients.tenant_id, clients.id",
                "client id",
            ),
            (
                "UNIQUE constraint failed: users.tenant_id, users.email",
                "email",
            ),
            (
                "UNIQUE constraint failed: signing_keys.tenant_id, signing_keys.kid",
                "kid",
            ),
            ("something else", "record"),
        ] {
            assert!(
                matches!(conflict_field(message), StoreError::Conflict(ref f) if f == want),
                "{message}"
            );
        }
    }

    #[tokio::test]
    async fn reopening_keeps_the_data() -> crate::testing::TestResult {
        use crate::testing::{client_record, fresh_store, tenant_record};
        use idp_core::store::{ClientStore, TenantStore};
        let (dir, store) = fresh_store()?;
        let tenant = tenant_record("acme");
        store.create_tenant(&tenant, &[]).await?;
        store
            .create_client(&tenant.id, &client_record("c1"))
            .await?;
        let location = store.path().display().to_string();
        drop(store);
        let store = SqliteStore::open(&location)?;
        assert!(store.tenant_by_slug("acme").await?.is_some());
        assert!(
            store
                .client(&tenant.id, &client_record("c1").id)
                .await?
                .is_some()
        );
        drop(dir);
        Ok(())
    }

    #[test]
    fn a_missing_directory_is_created() -> crate::testing::TestResult {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("a/b/c/idp.db");
        let store = SqliteStore::open(&format!("sqlite://{}", path.display()))?;
        assert_eq!(store.path(), path.as_path());
        assert!(path.exists());
        Ok(())
    }

    #[test]
    fn an_unwritable_location_is_a_one_line_error() -> crate::testing::TestResult {
        let dir = tempfile::tempdir()?;
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, b"x")?;
        let err = SqliteStore::open(&blocker.join("idp.db").to_string_lossy())
            .err()
            .ok_or("opened below a file")?;
        let message = err.to_string();
        assert!(message.starts_with("cannot open database at "), "{message}");
        assert!(!message.contains('\n'));
        Ok(())
    }

    #[test]
    fn open_errors_are_one_line() {
        let e = OpenError::Open {
            path: PathBuf::from("/x/idp.db"),
            reason: "unable to open database file".into(),
        };
        assert_eq!(
            e.to_string(),
            "cannot open database at /x/idp.db: unable to open database file"
        );
    }
}
