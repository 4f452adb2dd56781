//! Admin API keys: the platform's sealed root key and one record per key
//! issued. Platform tables, of no tenant: every statement runs under
//! `idp.registry` (their policy admits nothing else).

use crate::admin::limit_param;
use crate::{PostgresStore, db_error, registry_transaction};
use deadpool_postgres::Transaction;
use idp_core::clock::UnixTime;
use idp_core::store::{ApiKeyRecord, ApiKeyStore, Applied, StoreError, StoreResult};
use tokio_postgres::Row;

const COLUMNS: &str =
    "id, name, tenant, read_only, expires_at, revocation_id, created_at, revoked_at";

impl ApiKeyStore for PostgresStore {
    /// Inserted unless a root exists (a racing insert waits for the first
    /// to commit, then inserts nothing); the second statement, with a
    /// snapshot of its own, reads the one stored.
    async fn api_key_root(&self, candidate: &[u8]) -> StoreResult<Vec<u8>> {
        let mut conn = self.client().await?;
        let tx = registry_transaction(&mut conn, None).await?;
        tx.execute(
            "INSERT INTO api_key_root (only_row, sealed) VALUES (true, $1)
             ON CONFLICT (only_row) DO NOTHING",
            &[&candidate],
        )
        .await
        .map_err(db_error)?;
        let row = tx
            .query_opt("SELECT sealed FROM api_key_root", &[])
            .await
            .map_err(db_error)?
            .ok_or_else(|| StoreError::Backend("the API key root vanished".into()))?;
        let sealed = row.try_get(0).map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        Ok(sealed)
    }

    async fn api_keys_page(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<ApiKeyRecord>> {
        let rows = self
            .registry_query(
                &format!("SELECT {COLUMNS} FROM api_keys WHERE id > $1 ORDER BY id LIMIT $2"),
                &[&after.unwrap_or(""), &limit_param(limit)],
            )
            .await?;
        rows.iter().map(key_from_row).collect()
    }

    async fn api_key(&self, id: &str) -> StoreResult<Option<ApiKeyRecord>> {
        let rows = self
            .registry_query(
                &format!("SELECT {COLUMNS} FROM api_keys WHERE id = $1"),
                &[&id],
            )
            .await?;
        rows.first().map(key_from_row).transpose()
    }

    /// One round trip, by the revocation ids' unique index.
    async fn any_revoked(&self, revocation_ids: &[String]) -> StoreResult<bool> {
        if revocation_ids.is_empty() {
            return Ok(false);
        }
        let rows = self
            .registry_query(
                "SELECT EXISTS (SELECT 1 FROM api_keys
                   WHERE revocation_id = ANY($1) AND revoked_at IS NOT NULL)",
                &[&revocation_ids],
            )
            .await?;
        match rows.first() {
            Some(row) => row.try_get(0).map_err(db_error),
            None => Ok(false),
        }
    }
}

/// Records a new key, in a registry transaction; a duplicate id or
/// revocation id is a conflict.
pub(crate) async fn create_api_key_in(
    tx: &Transaction<'_>,
    key: &ApiKeyRecord,
) -> StoreResult<Applied> {
    tx.execute(
        &format!("INSERT INTO api_keys ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"),
        &[
            &key.id,
            &key.name,
            &key.tenant,
            &key.read_only,
            &key.expires_at,
            &key.revocation_id,
            &key.created_at,
            &key.revoked_at,
        ],
    )
    .await
    .map_err(db_error)?;
    Ok(Applied::Done(1))
}

/// Marks the key revoked at `at`, in a registry transaction: `Done(1)`,
/// `Done(0)` if it already was (its first revocation time stays),
/// `Missing` if there is no such key. Keys are never deleted, so a key
/// the update skipped and the second statement finds was revoked before.
pub(crate) async fn revoke_api_key_in(
    tx: &Transaction<'_>,
    id: &str,
    at: UnixTime,
) -> StoreResult<Applied> {
    let n = tx
        .execute(
            "UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
            &[&id, &at],
        )
        .await
        .map_err(db_error)?;
    if n > 0 {
        return Ok(Applied::Done(n));
    }
    let exists = tx
        .query_opt("SELECT 1 FROM api_keys WHERE id = $1", &[&id])
        .await
        .map_err(db_error)?;
    Ok(match exists {
        Some(_) => Applied::Done(0),
        None => Applied::Missing,
    })
}

fn key_from_row(r: &Row) -> StoreResult<ApiKeyRecord> {
    Ok(ApiKeyRecord {
        id: r.try_get(0).map_err(db_error)?,
        name: r.try_get(1).map_err(db_error)?,
        tenant: r.try_get(2).map_err(db_error)?,
        read_only: r.try_get(3).map_err(db_error)?,
        expires_at: r.try_get(4).map_err(db_error)?,
        revocation_id: r.try_get(5).map_err(db_error)?,
        created_at: r.try_get(6).map_err(db_error)?,
        revoked_at: r.try_get(7).map_err(db_error)?,
    })
}
