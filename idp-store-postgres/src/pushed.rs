//! Pushed authorization requests (RFC 9126): taking one is a single
//! `DELETE … RETURNING`, so of two concurrent takes exactly one gets the
//! row (the second waits for the first's delete, then finds nothing).

use crate::{PostgresStore, db_error};
use idp_core::clock::UnixTime;
use idp_core::crypto::secret::SecretHash;
use idp_core::ids::{ClientId, TenantId};
use idp_core::store::{PushedRequestRecord, PushedRequestStore, StoreError, StoreResult};
use tokio_postgres::Row;

impl PushedRequestStore for PostgresStore {
    async fn create_pushed_request(
        &self,
        tenant: &TenantId,
        request: &PushedRequestRecord,
    ) -> StoreResult<()> {
        let hash: &[u8] = request.request_uri_hash.as_bytes();
        self.tenant_execute(
            tenant,
            "INSERT INTO pushed_requests (tenant_id, request_uri_hash, client_id, params, expires_at)
             VALUES ($1, $2, $3, $4, $5)",
            &[
                &tenant.as_str(),
                &hash,
                &request.client_id.as_str(),
                &request.params,
                &request.expires_at,
            ],
        )
        .await?;
        Ok(())
    }

    /// An expired request stays for the purge.
    async fn take_pushed_request(
        &self,
        tenant: &TenantId,
        hash: &SecretHash,
        now: UnixTime,
    ) -> StoreResult<Option<PushedRequestRecord>> {
        let hash: &[u8] = hash.as_bytes();
        let rows = self
            .tenant_query(
                tenant,
                "DELETE FROM pushed_requests
                 WHERE tenant_id = $1 AND request_uri_hash = $2 AND expires_at > $3
                 RETURNING request_uri_hash, client_id, params, expires_at",
                &[&tenant.as_str(), &hash, &now],
            )
            .await?;
        rows.first()
            .map(|r| {
                Ok(PushedRequestRecord {
                    request_uri_hash: hash_at(r, 0)?,
                    client_id: ClientId::new(r.try_get::<_, String>(1).map_err(db_error)?),
                    params: r.try_get(2).map_err(db_error)?,
                    expires_at: r.try_get(3).map_err(db_error)?,
                })
            })
            .transpose()
    }
}

/// The 32-byte hash in column `i` of `r`.
pub(crate) fn hash_at(r: &Row, i: usize) -> StoreResult<SecretHash> {
    let bytes: &[u8] = r.try_get(i).map_err(db_error)?;
    SecretHash::from_slice(bytes)
        .ok_or_else(|| StoreError::Backend(format!("a stored hash has {} bytes", bytes.len())))
}
