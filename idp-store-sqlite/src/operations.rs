//! [`Operations`] for SQLite: readiness is the file check of `health`,
//! checkpoints are WAL checkpoints, a backup is SQLite's online backup
//! (`backup`), the data directory is the database file's.

use crate::SqliteStore;
use idp_core::clock::UnixTime;
use idp_core::store::{
    CheckpointMode, CheckpointReport, OperationError, Operations, PoolState, StoreResult,
};
use std::path::Path;

impl Operations for SqliteStore {
    const BACKEND: &'static str = "SQLite";

    async fn ready(&self) -> bool {
        self.health_check().await
    }

    fn pool_state(&self) -> PoolState {
        SqliteStore::pool_state(self)
    }

    async fn active_users(&self, now: UnixTime) -> StoreResult<u64> {
        SqliteStore::active_users(self, now).await
    }

    async fn checkpoint(&self, mode: CheckpointMode) -> StoreResult<CheckpointReport> {
        match mode {
            CheckpointMode::Periodic => {
                let (frames, copied) = self.checkpoint_passive().await?;
                let (pending, written) = (count(frames), count(copied));
                Ok(CheckpointReport {
                    complete: pending == written,
                    pending,
                    written,
                })
            }
            CheckpointMode::Final => Ok(CheckpointReport {
                complete: SqliteStore::checkpoint(self).await?,
                ..CheckpointReport::default()
            }),
        }
    }

    async fn backup_to(&self, dest: &Path) -> Result<(), OperationError> {
        SqliteStore::backup_to(self, dest)
            .await
            .map_err(|e| OperationError::Failed(e.to_string()))
    }

    fn data_dir(&self) -> Option<&Path> {
        Some(self.path().parent().unwrap_or(Path::new("")))
    }
}

/// SQLite reports -1 frames when the database is not in WAL mode.
fn count(frames: i64) -> u64 {
    u64::try_from(frames).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use crate::testing::{TestResult, fresh_store, tenant_record};
    use idp_core::store::{CheckpointMode, OperationError, Operations, TenantStore};

    #[tokio::test]
    async fn operations_answer_through_the_port() -> TestResult {
        let (dir, store) = fresh_store()?;
        assert!(Operations::ready(&store).await);
        assert_eq!(store.data_dir(), Some(dir.path()));
        store.create_tenant(&tenant_record("acme"), &[]).await?;
        let periodic = Operations::checkpoint(&store, CheckpointMode::Periodic).await?;
        assert!(periodic.written <= periodic.pending, "{periodic:?}");
        let last = Operations::checkpoint(&store, CheckpointMode::Final).await?;
        assert!(last.complete, "{last:?}");
        let dest = dir.path().join("copy.db");
        Operations::backup_to(&store, &dest).await?;
        assert!(dest.exists());
        let refused = Operations::backup_to(&store, store.path()).await;
        assert!(
            matches!(refused, Err(OperationError::Failed(_))),
            "{refused:?}"
        );
        Ok(())
    }
}
