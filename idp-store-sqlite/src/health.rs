//! Whether the database is reachable, for `/health/ready`.
//!
//! SQLite is embedded: there is no server to lose a connection to. What an
//! operator loses instead is the *file*: a volume unmounted, a directory
//! renamed, the file deleted or replaced by a restore. Pooled connections
//! keep their open descriptors to the old inode and go on answering
//! `SELECT 1`, and a server that keeps writing there writes into a file no
//! one will ever open again: every acknowledged write is lost. So
//! "unreachable" here means any of:
//!
//! - nothing is found at the configured path (deleted, renamed, the
//!   directory or its volume gone);
//! - the file at the path is not the one the store opened (another device
//!   or inode: replaced underneath the running server);
//! - the database does not answer a read of its schema within
//!   [`HEALTH_BOUND`] (locked, or a hung filesystem).

use crate::SqliteStore;
use std::path::Path;
use std::time::Duration;

/// How long the whole check may take, file lookup included.
const HEALTH_BOUND: Duration = Duration::from_secs(2);

/// Which file a path named when the store opened it: device and inode on
/// Unix. Elsewhere only the file's existence is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FileIdentity {
    #[cfg(unix)]
    dev: u64,
    #[cfg(unix)]
    ino: u64,
}

impl FileIdentity {
    /// The identity of the file now at `path`.
    pub(crate) fn of(path: &Path) -> std::io::Result<Self> {
        let meta = std::fs::metadata(path)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            Ok(Self {
                dev: meta.dev(),
                ino: meta.ino(),
            })
        }
        #[cfg(not(unix))]
        {
            let _ = meta;
            Ok(Self {})
        }
    }
}

/// Why the database is not ready (logged; never shown to clients).
#[derive(Debug, thiserror::Error)]
enum Unhealthy {
    #[error("no database file at {path}: {source}")]
    Missing {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "the file at {path} is not the database this server opened (replaced or restored underneath it); restart the server"
    )]
    Replaced { path: String },
    #[error("the database does not answer: {0}")]
    NoAnswer(String),
    #[error("the database did not answer within {HEALTH_BOUND:?}")]
    TimedOut,
}

impl SqliteStore {
    /// Whether the database is reachable (see the module documentation for
    /// what that means for an embedded database): the file at the configured
    /// path is still the one opened, and it answers a read of its schema
    /// within a couple of seconds. Logs the reason when it is not.
    pub async fn health_check(&self) -> bool {
        let (pool, path, opened) = (self.pool.clone(), self.path.clone(), self.identity);
        let check = tokio::task::spawn_blocking(move || {
            let display = || path.display().to_string();
            let now = FileIdentity::of(&path).map_err(|source| Unhealthy::Missing {
                path: display(),
                source,
            })?;
            if now != opened {
                return Err(Unhealthy::Replaced { path: display() });
            }
            let conn = pool
                .get_timeout(HEALTH_BOUND)
                .map_err(|e| Unhealthy::NoAnswer(e.to_string()))?;
            // Reads the schema page: a read transaction on the file and its
            // WAL index, not only the connection's memory.
            conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
                r.get::<_, i64>(0)
            })
            .map(drop)
            .map_err(|e| Unhealthy::NoAnswer(e.to_string()))
        });
        let outcome = match tokio::time::timeout(HEALTH_BOUND, check).await {
            Err(_) => Err(Unhealthy::TimedOut),
            Ok(Err(e)) => Err(Unhealthy::NoAnswer(format!("check task failed: {e}"))),
            Ok(Ok(result)) => result,
        };
        match outcome {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(reason = %e, "database health check failed");
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{TestResult, fresh_store, tenant_record};
    use idp_core::store::Store;

    #[tokio::test]
    async fn a_moved_or_replaced_file_is_unhealthy() -> TestResult {
        let (dir, store) = fresh_store()?;
        assert!(store.health_check().await);
        let path = store.path().to_path_buf();
        let away = dir.path().join("away.db");
        std::fs::rename(&path, &away)?;
        // The pooled connections still answer; the check must not be fooled.
        assert!(!store.health_check().await, "a moved file passed");
        std::fs::copy(&away, &path)?;
        assert!(!store.health_check().await, "a replaced file passed");
        std::fs::rename(&away, &path)?;
        assert!(store.health_check().await, "the file came back");
        store.create_tenant(&tenant_record("acme"), &[]).await?;
        Ok(())
    }
}
