//! Admin API key records and the sealed root key, and [`ApiKeyStore`]
//! for [`SqliteStore`]. Records are written inside
//! `AuditStore::apply_audited`'s transaction (`admin_change`).

use crate::SqliteStore;
use idp_core::clock::UnixTime;
use idp_core::store::{ApiKeyRecord, ApiKeyStore, StoreResult};
use rusqlite::{Connection, OptionalExtension, Result, Row, params};

const COLUMNS: &str =
    "id, name, tenant, read_only, expires_at, revocation_id, created_at, revoked_at";

/// Inserts a key's record; a taken id or revocation id is a conflict.
pub(crate) fn create(conn: &Connection, key: &ApiKeyRecord) -> Result<()> {
    conn.execute(
        &format!("INSERT INTO api_keys ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"),
        params![
            key.id,
            key.name,
            key.tenant,
            key.read_only,
            key.expires_at,
            key.revocation_id,
            key.created_at,
            key.revoked_at,
        ],
    )?;
    Ok(())
}

/// Marks the key revoked at `at`: `Some(1)`, `Some(0)` if it already was
/// (its first revocation time stays), `None` if there is no such key.
pub(crate) fn revoke(conn: &Connection, id: &str, at: UnixTime) -> Result<Option<u64>> {
    let n = conn.execute(
        "UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
        params![id, at],
    )?;
    if n == 1 {
        return Ok(Some(1));
    }
    let exists: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM api_keys WHERE id = ?1)",
        [id],
        |r| r.get(0),
    )?;
    Ok(exists.then_some(0))
}

fn from_row(r: &Row<'_>) -> Result<ApiKeyRecord> {
    Ok(ApiKeyRecord {
        id: r.get(0)?,
        name: r.get(1)?,
        tenant: r.get(2)?,
        read_only: r.get(3)?,
        expires_at: r.get(4)?,
        revocation_id: r.get(5)?,
        created_at: r.get(6)?,
        revoked_at: r.get(7)?,
    })
}

impl ApiKeyStore for SqliteStore {
    async fn api_key_root(&self, candidate: &[u8]) -> StoreResult<Vec<u8>> {
        let candidate = candidate.to_vec();
        // One autocommit INSERT: racing processes serialise on the write
        // lock, the first row stays and every caller reads it back.
        self.run(move |c| {
            c.execute(
                "INSERT INTO api_key_root (id, sealed) VALUES (1, ?1) ON CONFLICT (id) DO NOTHING",
                [&candidate],
            )?;
            c.query_row("SELECT sealed FROM api_key_root WHERE id = 1", [], |r| {
                r.get(0)
            })
        })
        .await
    }

    async fn api_keys_page(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<ApiKeyRecord>> {
        let after = after.unwrap_or("").to_owned();
        self.run(move |c| {
            c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM api_keys WHERE id > ?1 ORDER BY id LIMIT ?2"
            ))?
            .query_map(params![after, limit as i64], from_row)?
            .collect()
        })
        .await
    }

    async fn api_key(&self, id: &str) -> StoreResult<Option<ApiKeyRecord>> {
        let id = id.to_owned();
        self.run(move |c| {
            c.prepare_cached(&format!("SELECT {COLUMNS} FROM api_keys WHERE id = ?1"))?
                .query_row([id], from_row)
                .optional()
        })
        .await
    }

    async fn any_revoked(&self, revocation_ids: &[String]) -> StoreResult<bool> {
        let ids = revocation_ids.to_vec();
        // A key carries a few blocks: one lookup in the UNIQUE index each.
        self.run(move |c| {
            let mut revoked = c.prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM api_keys
                                WHERE revocation_id = ?1 AND revoked_at IS NOT NULL)",
            )?;
            for id in &ids {
                if revoked.query_row([id], |r| r.get::<_, bool>(0))? {
                    return Ok(true);
                }
            }
            Ok(false)
        })
        .await
    }
}
