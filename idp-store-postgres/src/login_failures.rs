//! Failed password logins counted for every instance at once
//! ([`LoginFailureStore`], idp-core `abuse::shared`): one upsert per
//! failure, one read per login attempt. Stale counters of the tenant are
//! deleted a few at a time by the writes themselves, so the table holds
//! only counters still remembered.

use crate::{PostgresStore, db_error, tenant_transaction};
use idp_core::abuse::LimitFuture;
use idp_core::abuse::shared::{FailureCount, LoginFailureStore};
use idp_core::clock::UnixTime;
use idp_core::ids::TenantId;
use idp_core::store::StoreResult;

/// Stale counters deleted per failure recorded.
const STALE_PER_WRITE: i64 = 16;

impl LoginFailureStore for PostgresStore {
    fn record_failures<'a>(
        &'a self,
        tenant: &'a TenantId,
        keys: &'a [String],
        now: UnixTime,
        forget_before: UnixTime,
    ) -> LimitFuture<'a, StoreResult<()>> {
        Box::pin(async move {
            let mut client = self.client().await?;
            let tx = tenant_transaction(&mut client, tenant).await?;
            let upsert = tx
                .prepare_cached(
                    "INSERT INTO login_failures AS f (tenant_id, key, failures, last_failure_at)
                     VALUES ($1, $2, 1, $3)
                     ON CONFLICT (tenant_id, key) DO UPDATE SET
                       failures = CASE WHEN f.last_failure_at < $4 THEN 1 ELSE f.failures + 1 END,
                       last_failure_at = $3",
                )
                .await
                .map_err(db_error)?;
            for key in keys {
                tx.execute(&upsert, &[&tenant.as_str(), key, &now, &forget_before])
                    .await
                    .map_err(db_error)?;
            }
            tx.execute(
                "DELETE FROM login_failures WHERE ctid IN (
                   SELECT ctid FROM login_failures
                   WHERE tenant_id = $1 AND last_failure_at < $2 LIMIT $3)",
                &[&tenant.as_str(), &forget_before, &STALE_PER_WRITE],
            )
            .await
            .map_err(db_error)?;
            tx.commit().await.map_err(db_error)
        })
    }

    fn failures<'a>(
        &'a self,
        tenant: &'a TenantId,
        keys: &'a [String],
        forget_before: UnixTime,
    ) -> LimitFuture<'a, StoreResult<Vec<Option<FailureCount>>>> {
        Box::pin(async move {
            let rows = self
                .tenant_query(
                    tenant,
                    "SELECT key, failures, last_failure_at FROM login_failures
                     WHERE tenant_id = $1 AND key = ANY($2) AND last_failure_at >= $3",
                    &[&tenant.as_str(), &keys, &forget_before],
                )
                .await?;
            let mut counts = vec![None; keys.len()];
            for row in rows {
                let key: String = row.try_get(0).map_err(db_error)?;
                let failures: i64 = row.try_get(1).map_err(db_error)?;
                let last_failure_at: i64 = row.try_get(2).map_err(db_error)?;
                if let Some(i) = keys.iter().position(|k| *k == key) {
                    counts[i] = Some(FailureCount {
                        failures: u32::try_from(failures).unwrap_or(u32::MAX),
                        last_failure_at,
                    });
                }
            }
            Ok(counts)
        })
    }

    fn clear<'a>(&'a self, tenant: &'a TenantId, key: &'a str) -> LimitFuture<'a, StoreResult<()>> {
        Box::pin(async move {
            self.tenant_execute(
                tenant,
                "DELETE FROM login_failures WHERE tenant_id = $1 AND key = $2",
                &[&tenant.as_str(), &key],
            )
            .await
            .map(|_| ())
        })
    }
}
