//! `Idempotency-Key` records of the admin API: [`IdempotencyStore`] for
//! [`SqliteStore`]. A claim is one `BEGIN IMMEDIATE` transaction, so racing
//! duplicates serialise and exactly one inserts.

use crate::SqliteStore;
use idp_core::clock::UnixTime;
use idp_core::store::{IdempotencyRecord, IdempotencyStore, StoreResult};
use rusqlite::{OptionalExtension, Result, Row, TransactionBehavior, params};

const COLUMNS: &str = "scope, fingerprint, status, body, created_at, expires_at";

fn from_row(r: &Row<'_>) -> Result<IdempotencyRecord> {
    Ok(IdempotencyRecord {
        scope: r.get(0)?,
        fingerprint: r.get(1)?,
        status: r.get(2)?,
        body: r.get(3)?,
        created_at: r.get(4)?,
        expires_at: r.get(5)?,
    })
}

impl IdempotencyStore for SqliteStore {
    async fn claim_idempotency_key(
        &self,
        record: &IdempotencyRecord,
        now: UnixTime,
    ) -> StoreResult<Option<IdempotencyRecord>> {
        let record = record.clone();
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let live = tx
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM idempotency_keys WHERE scope = ?1 AND expires_at > ?2"
                ))?
                .query_row(params![record.scope, now], from_row)
                .optional()?;
            if live.is_some() {
                return Ok(live);
            }
            // No record, or an expired one: this claim takes its place.
            tx.prepare_cached(&format!(
                "INSERT INTO idempotency_keys ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (scope) DO UPDATE SET fingerprint = excluded.fingerprint,
                     status = excluded.status, body = excluded.body,
                     created_at = excluded.created_at, expires_at = excluded.expires_at"
            ))?
            .execute(params![
                record.scope,
                record.fingerprint,
                record.status,
                record.body,
                record.created_at,
                record.expires_at,
            ])?;
            tx.commit()?;
            Ok(None)
        })
        .await
    }

    async fn complete_idempotency_key(
        &self,
        scope: &str,
        status: u16,
        body: &[u8],
    ) -> StoreResult<bool> {
        let (scope, body) = (scope.to_owned(), body.to_vec());
        self.run(move |c| {
            let n = c.execute(
                "UPDATE idempotency_keys SET status = ?2, body = ?3
                 WHERE scope = ?1 AND status IS NULL",
                params![scope, status, body],
            )?;
            Ok(n == 1)
        })
        .await
    }

    async fn release_idempotency_key(&self, scope: &str) -> StoreResult<()> {
        let scope = scope.to_owned();
        self.run(move |c| {
            c.execute(
                "DELETE FROM idempotency_keys WHERE scope = ?1 AND status IS NULL",
                [scope],
            )?;
            Ok(())
        })
        .await
    }

    async fn purge_idempotency_keys(&self, before: UnixTime, limit: u32) -> StoreResult<u64> {
        self.run(move |c| {
            let n = c.execute(
                "DELETE FROM idempotency_keys WHERE rowid IN (
                     SELECT rowid FROM idempotency_keys WHERE expires_at < ?1
                     ORDER BY expires_at LIMIT ?2)",
                params![before, limit],
            )?;
            Ok(n as u64)
        })
        .await
    }
}
