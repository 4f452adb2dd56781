//! What an operator's tools need from a backend besides the protocol: is
//! the database there, how busy is its pool, who is signed in, keep its log
//! short, copy it while it serves.
//!
//! The server's readiness probe, `/metrics`, the checkpoint job, the
//! shutdown sequence and the `backup` command use this port and nothing
//! backend-specific, so that a new store (PostgreSQL) is a new
//! implementation of [`Store`](super::Store), [`Maintenance`](super::Maintenance)
//! and [`Operations`], not an edit of the server (ADR 0026).
//!
//! Not here: opening a backend (each store has its own `open`/`connect`
//! taking its own URL form; the server picks one from `DATABASE_URL`'s
//! scheme) and migrations (a store runs its own when it opens).

use super::{ChangeListener, ChangeWatch, JobLease, StoreError, StoreResult};
use crate::clock::UnixTime;
use std::future::Future;
use std::path::Path;

/// The connection pool at one instant (for metrics).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolState {
    /// Connections open, idle or in use.
    pub connections: u32,
    /// Open connections not in use.
    pub idle: u32,
    /// The most the pool will open.
    pub max: u32,
}

/// How thorough a [`Operations::checkpoint`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckpointMode {
    /// The periodic job's: move what can be moved without waiting for
    /// readers or writers (SQLite: `wal_checkpoint(PASSIVE)`).
    Periodic,
    /// The last one before the process exits: as complete as possible, and
    /// leave the log empty (SQLite: `wal_checkpoint(TRUNCATE)`).
    Final,
}

/// What a checkpoint did, in the backend's unit (SQLite: WAL frames). A
/// backend with nothing to checkpoint reports `complete` and zeros.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CheckpointReport {
    /// Whether everything pending was written to the main database, so the
    /// log can start again from its beginning.
    pub complete: bool,
    /// What was waiting in the log.
    pub pending: u64,
    /// What was written to the main database.
    pub written: u64,
}

/// Why an operation failed.
#[derive(Debug, thiserror::Error)]
pub enum OperationError {
    /// This backend has no such operation (e.g. a file backup of a database
    /// server: use the server's own tools).
    #[error("the {backend} store does not support {operation}")]
    Unsupported {
        /// What was asked, as a user would name it ("backup").
        operation: &'static str,
        /// [`Operations::BACKEND`].
        backend: &'static str,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The operation failed for a reason of its own (a destination that
    /// cannot be written); one line.
    #[error("{0}")]
    Failed(String),
}

/// Operations on a backend that are not protocol. Every method is safe to
/// call while the store serves requests, from any number of processes.
pub trait Operations: Send + Sync + 'static {
    /// The backend's name in messages: "SQLite", "PostgreSQL".
    const BACKEND: &'static str;

    /// Whether the database answers now, within a couple of seconds
    /// (`/health/ready`). Logs the reason when it does not; never panics.
    fn ready(&self) -> impl Future<Output = bool> + Send;

    /// The connection pool's state, without touching the database.
    fn pool_state(&self) -> PoolState;

    /// Distinct users, across all tenants, with a live session at `now`
    /// (not expired, not ended).
    fn active_users(&self, now: UnixTime) -> impl Future<Output = StoreResult<u64>> + Send;

    /// Moves what the backend's write-ahead log holds into the main database
    /// (see [`CheckpointMode`]). A backend that needs none reports complete.
    fn checkpoint(
        &self,
        mode: CheckpointMode,
    ) -> impl Future<Output = StoreResult<CheckpointReport>> + Send;

    /// Writes a consistent copy of the database to the new file `dest` while
    /// the store serves. The default: [`OperationError::Unsupported`].
    fn backup_to(&self, dest: &Path) -> impl Future<Output = Result<(), OperationError>> + Send {
        let _ = dest;
        std::future::ready(Err(OperationError::Unsupported {
            operation: "backup",
            backend: Self::BACKEND,
        }))
    }

    /// Starts reporting changes that other processes (instances, the CLI)
    /// make to tenants, keys and clients, so that caches drop them at once;
    /// the watch lasts as long as the returned guard. `None`: this backend
    /// cannot tell (one process per SQLite file is the rule there, and the
    /// caches' lifetimes bound how soon the CLI's changes are seen). Must
    /// be called within a Tokio runtime.
    fn watch_changes(&self, on_change: ChangeListener) -> Option<ChangeWatch> {
        let _ = on_change;
        None
    }

    /// Where password-login failures are counted for every process on this
    /// database ([`SharedLoginLimits`](crate::abuse::shared::SharedLoginLimits)),
    /// if the backend is shared by several processes; `None` keeps them in
    /// each process's memory (SQLite: one process per file).
    fn login_failures(
        &self,
    ) -> Option<std::sync::Arc<dyn crate::abuse::shared::LoginFailureStore>> {
        None
    }

    /// Lets one process of all those on this database run the job `name`
    /// now: `Some(lease)` to the one that may (it runs while it holds the
    /// lease), `None` to the others. The default lets every caller run
    /// (one process per database). Jobs are idempotent either way; this
    /// keeps N instances from doing the same work N times.
    fn job_lease(
        &self,
        name: &'static str,
    ) -> impl Future<Output = StoreResult<Option<JobLease>>> + Send {
        let _ = name;
        std::future::ready(Ok(Some(JobLease::new(()))))
    }

    /// The local directory that holds the database, if the backend keeps its
    /// data in local files; the development master key is kept beside it.
    fn data_dir(&self) -> Option<&Path>;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A backend with no file to copy and no log to fold.
    struct Remote;

    impl Operations for Remote {
        const BACKEND: &'static str = "Remote";

        async fn ready(&self) -> bool {
            true
        }

        fn pool_state(&self) -> PoolState {
            PoolState::default()
        }

        async fn active_users(&self, _now: UnixTime) -> StoreResult<u64> {
            Ok(0)
        }

        async fn checkpoint(&self, _mode: CheckpointMode) -> StoreResult<CheckpointReport> {
            Ok(CheckpointReport {
                complete: true,
                ..CheckpointReport::default()
            })
        }

        fn data_dir(&self) -> Option<&Path> {
            None
        }
    }

    #[tokio::test]
    async fn a_backend_without_backups_says_so_by_name() {
        let refused = Remote.backup_to(Path::new("copy.db")).await;
        let message = refused.as_ref().err().map(ToString::to_string);
        assert!(
            matches!(
                refused,
                Err(OperationError::Unsupported {
                    operation: "backup",
                    backend: "Remote"
                })
            ),
            "{message:?}"
        );
        assert_eq!(
            message.as_deref(),
            Some("the Remote store does not support backup")
        );
        assert!(!Path::new("copy.db").exists());
    }
}
