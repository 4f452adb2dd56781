//! Pushed authorization requests (RFC 9126): taking one is a single
//! `DELETE … RETURNING`, so of two concurrent takes exactly one gets the row.

use crate::codec::Hash;
use idp_core::clock::UnixTime;
use idp_core::crypto::secret::SecretHash;
use idp_core::ids::{ClientId, TenantId};
use idp_core::store::PushedRequestRecord;
use rusqlite::{Connection, OptionalExtension, Result, params};

/// Stores a pushed request; a duplicate hash is a conflict.
pub(crate) fn create(conn: &Connection, tenant: &TenantId, r: &PushedRequestRecord) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO pushed_requests (tenant_id, request_uri_hash, client_id, params, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        tenant.as_str(),
        r.request_uri_hash.as_bytes(),
        r.client_id.as_str(),
        r.params,
        r.expires_at,
    ])?;
    Ok(())
}

/// Deletes and returns the unexpired pushed request with this hash; an
/// expired one stays for the purge.
pub(crate) fn take(
    conn: &Connection,
    tenant: &TenantId,
    hash: &SecretHash,
    now: UnixTime,
) -> Result<Option<PushedRequestRecord>> {
    conn.prepare_cached(
        "DELETE FROM pushed_requests
         WHERE tenant_id = ?1 AND request_uri_hash = ?2 AND expires_at > ?3
         RETURNING request_uri_hash, client_id, params, expires_at",
    )?
    .query_row(params![tenant.as_str(), hash.as_bytes(), now], |r| {
        Ok(PushedRequestRecord {
            request_uri_hash: r.get::<_, Hash>(0)?.0,
            client_id: ClientId::new(r.get::<_, String>(1)?),
            params: r.get(2)?,
            expires_at: r.get(3)?,
        })
    })
    .optional()
}
