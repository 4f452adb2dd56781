//! [`Operations`] for PostgreSQL: readiness, the pool's state, active
//! users. No checkpoint (PostgreSQL manages its own WAL) and no file
//! backup: `pg_dump` and `pg_basebackup` are the tools, and `backup_to`
//! says so.

use crate::{PostgresStore, db_error};
use idp_core::abuse::shared::LoginFailureStore;
use idp_core::clock::UnixTime;
use idp_core::store::JobLease;
use idp_core::store::{
    ChangeListener, ChangeWatch, CheckpointMode, CheckpointReport, Operations, PoolState,
    StoreResult,
};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// How long readiness waits for the database.
const READY_WAIT: Duration = Duration::from_secs(2);

impl Operations for PostgresStore {
    const BACKEND: &'static str = "PostgreSQL";

    async fn ready(&self) -> bool {
        let probe = async {
            let client = self.client().await?;
            client.simple_query("SELECT 1").await.map_err(db_error)?;
            Ok::<_, idp_core::store::StoreError>(())
        };
        match tokio::time::timeout(READY_WAIT, probe).await {
            Ok(Ok(())) => true,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "PostgreSQL is not ready");
                false
            }
            Err(_) => {
                tracing::warn!("PostgreSQL did not answer within 2 s");
                false
            }
        }
    }

    fn pool_state(&self) -> PoolState {
        let status = self.pool().status();
        let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        PoolState {
            connections: clamp(status.size),
            idle: clamp(status.available),
            max: clamp(status.max_size),
        }
    }

    async fn active_users(&self, now: UnixTime) -> StoreResult<u64> {
        let client = self.client().await?;
        let row = client
            .query_one("SELECT idp_active_users($1)", &[&now])
            .await
            .map_err(db_error)?;
        let count: i64 = row.get(0);
        Ok(u64::try_from(count).unwrap_or(0))
    }

    async fn checkpoint(&self, _mode: CheckpointMode) -> StoreResult<CheckpointReport> {
        Ok(CheckpointReport {
            complete: true,
            ..CheckpointReport::default()
        })
    }

    fn login_failures(&self) -> Option<Arc<dyn LoginFailureStore>> {
        Some(Arc::new(self.clone()))
    }

    async fn job_lease(&self, name: &'static str) -> StoreResult<Option<JobLease>> {
        self.lease(name).await
    }

    fn watch_changes(&self, on_change: ChangeListener) -> Option<ChangeWatch> {
        Some(ChangeWatch::new(self.listen(on_change)))
    }

    fn data_dir(&self) -> Option<&Path> {
        None
    }
}
