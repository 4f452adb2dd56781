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
//!
//! The first two also stop the store itself: every call first asks the
//! [`FileGuard`], which looks at the path at most every [`LOOK_INTERVAL`],
//! and fails while the file is lost instead of reading and acknowledging
//! writes through descriptors to a file no one will open again. It recovers
//! by itself if the same file comes back (a rename undone).

use crate::SqliteStore;
use idp_core::store::StoreError;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long the whole check may take, file lookup included.
const HEALTH_BOUND: Duration = Duration::from_secs(2);

/// How often store calls look at the file (one `stat`): the longest a lost
/// file goes unnoticed by them, at a cost of a few syscalls a second.
const LOOK_INTERVAL: Duration = Duration::from_millis(250);

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

/// The file a store opened, and whether it is still at its path.
#[derive(Debug)]
pub(crate) struct FileGuard {
    path: Arc<Path>,
    opened: FileIdentity,
    epoch: Instant,
    /// Milliseconds after `epoch` when the next call looks at the file.
    next_look: AtomicU64,
    /// What the last look found.
    lost: AtomicBool,
}

impl FileGuard {
    pub(crate) fn new(path: Arc<Path>, opened: FileIdentity) -> Self {
        Self {
            path,
            opened,
            epoch: Instant::now(),
            next_look: AtomicU64::new(0),
            lost: AtomicBool::new(false),
        }
    }

    /// `Err` while the file at the path is missing or another file. Looks
    /// at most once per [`LOOK_INTERVAL`] (one caller looks; the others
    /// use its answer), so hot paths pay an atomic load and a clock read.
    pub(crate) fn check(&self) -> Result<(), StoreError> {
        let now = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        let due = self.next_look.load(Ordering::Relaxed);
        let interval = LOOK_INTERVAL.as_millis() as u64;
        if now >= due
            && self
                .next_look
                .compare_exchange(
                    due,
                    now.saturating_add(interval),
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                )
                .is_ok()
        {
            let _ = self.look();
        }
        if self.lost.load(Ordering::Relaxed) {
            return Err(StoreError::Unavailable(format!(
                "the database file {} is missing or was replaced while the server ran",
                self.path.display()
            )));
        }
        Ok(())
    }

    /// Looks at the file now and remembers the answer.
    fn look(&self) -> Result<(), Unhealthy> {
        let display = || self.path.display().to_string();
        let found = FileIdentity::of(&self.path)
            .map_err(|source| Unhealthy::Missing {
                path: display(),
                source,
            })
            .and_then(|now| {
                if now == self.opened {
                    Ok(())
                } else {
                    Err(Unhealthy::Replaced { path: display() })
                }
            });
        self.lost.store(found.is_err(), Ordering::Relaxed);
        found
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
        let (pool, guard) = (self.pool.clone(), Arc::clone(&self.guard));
        let check = tokio::task::spawn_blocking(move || {
            guard.look()?;
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
    use super::*;
    use crate::testing::{TestResult, fresh_store, tenant_record};
    use idp_core::store::TenantStore;

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

    #[tokio::test]
    async fn store_calls_fail_while_the_file_is_lost_and_recover_when_it_returns() -> TestResult {
        let (dir, store) = fresh_store()?;
        store.create_tenant(&tenant_record("a"), &[]).await?;
        let path = store.path().to_path_buf();
        let away = dir.path().join("away.db");
        std::fs::rename(&path, &away)?;
        tokio::time::sleep(LOOK_INTERVAL + Duration::from_millis(50)).await;
        let refused = store.create_tenant(&tenant_record("b"), &[]).await;
        assert!(
            matches!(&refused, Err(StoreError::Unavailable(m)) if m.contains("missing or was replaced")),
            "a write into a lost file was accepted: {refused:?}"
        );
        assert!(store.tenant_by_slug("a").await.is_err(), "reads too");
        std::fs::rename(&away, &path)?;
        tokio::time::sleep(LOOK_INTERVAL + Duration::from_millis(50)).await;
        store.create_tenant(&tenant_record("b"), &[]).await?;
        assert!(store.tenant_by_slug("b").await?.is_some());
        Ok(())
    }
}
