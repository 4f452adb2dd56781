//! `Idempotency-Key` records of the admin API, a platform table (of no
//! tenant: every statement runs under `idp.registry`).
//!
//! A claim is race-safe across instances: its `INSERT … ON CONFLICT DO
//! UPDATE … WHERE` either inserts (or replaces an expired record) or
//! locks the live record another request holds, and the second statement
//! of the same transaction reads that record, which the lock keeps from
//! being released or replaced meanwhile.

use crate::{PostgresStore, db_error, registry_transaction};
use idp_core::clock::UnixTime;
use idp_core::store::{IdempotencyRecord, IdempotencyStore, StoreError, StoreResult};
use tokio_postgres::Row;

impl IdempotencyStore for PostgresStore {
    async fn claim_idempotency_key(
        &self,
        record: &IdempotencyRecord,
        now: UnixTime,
    ) -> StoreResult<Option<IdempotencyRecord>> {
        let status = record.status.map(i32::from);
        let mut conn = self.client().await?;
        let tx = registry_transaction(&mut conn, None).await?;
        let claimed = tx
            .query_opt(
                "INSERT INTO idempotency_keys
                   (scope, fingerprint, status, body, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (scope) DO UPDATE SET
                   fingerprint = excluded.fingerprint, status = excluded.status,
                   body = excluded.body, created_at = excluded.created_at,
                   expires_at = excluded.expires_at
                 WHERE idempotency_keys.expires_at <= $7
                 RETURNING 1",
                &[
                    &record.scope,
                    &record.fingerprint,
                    &status,
                    &record.body,
                    &record.created_at,
                    &record.expires_at,
                    &now,
                ],
            )
            .await
            .map_err(db_error)?;
        if claimed.is_some() {
            tx.commit().await.map_err(db_error)?;
            return Ok(None);
        }
        let existing = tx
            .query_opt(
                "SELECT scope, fingerprint, status, body, created_at, expires_at
                 FROM idempotency_keys WHERE scope = $1",
                &[&record.scope],
            )
            .await
            .map_err(db_error)?
            .ok_or_else(|| StoreError::Backend("a locked idempotency record vanished".into()))?;
        let existing = record_from_row(&existing)?;
        tx.commit().await.map_err(db_error)?;
        Ok(Some(existing))
    }

    async fn complete_idempotency_key(
        &self,
        scope: &str,
        status: u16,
        body: &[u8],
    ) -> StoreResult<bool> {
        let n = self
            .registry_execute(
                "UPDATE idempotency_keys SET status = $2, body = $3
                 WHERE scope = $1 AND status IS NULL",
                &[&scope, &i32::from(status), &body],
            )
            .await?;
        Ok(n == 1)
    }

    async fn release_idempotency_key(&self, scope: &str) -> StoreResult<()> {
        self.registry_execute(
            "DELETE FROM idempotency_keys WHERE scope = $1 AND status IS NULL",
            &[&scope],
        )
        .await
        .map(drop)
    }

    /// The oldest first, by the expiry index.
    async fn purge_idempotency_keys(&self, before: UnixTime, limit: u32) -> StoreResult<u64> {
        self.registry_execute(
            "DELETE FROM idempotency_keys WHERE scope IN (
               SELECT scope FROM idempotency_keys WHERE expires_at < $1
               ORDER BY expires_at LIMIT $2)",
            &[&before, &i64::from(limit)],
        )
        .await
    }
}

fn record_from_row(r: &Row) -> StoreResult<IdempotencyRecord> {
    let status: Option<i32> = r.try_get(2).map_err(db_error)?;
    let status = status
        .map(|s| {
            u16::try_from(s).map_err(|_| {
                StoreError::Backend(format!(
                    "idempotency record with status {s} in the database"
                ))
            })
        })
        .transpose()?;
    Ok(IdempotencyRecord {
        scope: r.try_get(0).map_err(db_error)?,
        fingerprint: r.try_get(1).map_err(db_error)?,
        status,
        body: r.try_get(3).map_err(db_error)?,
        created_at: r.try_get(4).map_err(db_error)?,
        expires_at: r.try_get(5).map_err(db_error)?,
    })
}
