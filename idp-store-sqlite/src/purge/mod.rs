//! [`Maintenance`] for [`SqliteStore`]: bounded deletes of expired rows and
//! the compare-and-swap key rotation. The cutoffs come from the core.
//!
//! SQLite (as bundled) has no `DELETE … LIMIT`, so each batch deletes the
//! keys a `LIMIT`ed subquery picks. Each batch is one autocommit statement:
//! it holds the write lock only while it runs, and a batch another process
//! already deleted simply finds fewer rows.

use crate::{SqliteStore, tenants};
use idp_core::clock::UnixTime;
use idp_core::ids::TenantId;
use idp_core::store::{Expiring, Maintenance, SigningKeyRecord, StoreResult};
use rusqlite::{Connection, Result, TransactionBehavior, params};
use std::time::{Duration, Instant};

/// Longest pause between two full batches.
const MAX_PAUSE: Duration = Duration::from_millis(200);

/// The statement deleting one batch of `kind`: `?1` tenant, `?2` cutoff,
/// `?3` limit.
fn delete_sql(kind: Expiring) -> &'static str {
    match kind {
        Expiring::AuthorizationCodes => {
            "DELETE FROM codes WHERE rowid IN (
               SELECT rowid FROM codes WHERE tenant_id = ?1 AND expires_at < ?2 LIMIT ?3)"
        }
        Expiring::Interactions => {
            "DELETE FROM interactions WHERE rowid IN (
               SELECT rowid FROM interactions WHERE tenant_id = ?1 AND expires_at < ?2 LIMIT ?3)"
        }
        Expiring::DeviceCodes => {
            "DELETE FROM device_codes WHERE rowid IN (
               SELECT rowid FROM device_codes WHERE tenant_id = ?1 AND expires_at < ?2 LIMIT ?3)"
        }
        Expiring::Sessions => {
            "DELETE FROM sessions WHERE rowid IN (
               SELECT rowid FROM sessions
               WHERE tenant_id = ?1 AND revoked_at IS NULL AND expires_at < ?2 LIMIT ?3)"
        }
        Expiring::RevokedSessions => {
            "DELETE FROM sessions WHERE rowid IN (
               SELECT rowid FROM sessions WHERE tenant_id = ?1 AND revoked_at < ?2 LIMIT ?3)"
        }
        Expiring::RefreshTokens => {
            "DELETE FROM refresh_tokens WHERE rowid IN (
               SELECT rowid FROM refresh_tokens WHERE tenant_id = ?1 AND expires_at < ?2 LIMIT ?3)"
        }
        Expiring::RevokedAccessTokens => {
            "DELETE FROM revoked_access_tokens WHERE tenant_id = ?1 AND jti IN (
               SELECT jti FROM revoked_access_tokens
               WHERE tenant_id = ?1 AND keep_until < ?2 LIMIT ?3)"
        }
        Expiring::RevokedGrants => {
            "DELETE FROM revoked_grants WHERE tenant_id = ?1 AND grant_id IN (
               SELECT grant_id FROM revoked_grants
               WHERE tenant_id = ?1 AND keep_until < ?2 LIMIT ?3)"
        }
        Expiring::ClientAssertions => {
            "DELETE FROM client_assertions WHERE tenant_id = ?1 AND (client_id, jti) IN (
               SELECT client_id, jti FROM client_assertions
               WHERE tenant_id = ?1 AND expires_at < ?2 LIMIT ?3)"
        }
        Expiring::SessionClients => {
            "DELETE FROM session_clients WHERE tenant_id = ?1 AND (session_id, client_id) IN (
               SELECT session_id, client_id FROM session_clients
               WHERE tenant_id = ?1 AND created_at < ?2 LIMIT ?3)"
        }
    }
}

/// Deletes one batch; returns how many rows went.
pub(crate) fn purge_batch(
    conn: &Connection,
    tenant: &TenantId,
    kind: Expiring,
    before: UnixTime,
    limit: u32,
) -> Result<u64> {
    let n =
        conn.prepare_cached(delete_sql(kind))?
            .execute(params![tenant.as_str(), before, limit])?;
    Ok(n as u64)
}

/// Retires the current keys at `retire_at` and inserts `keys` if the
/// current kids (`retired_at` unset) are exactly `expected`; one `BEGIN
/// IMMEDIATE` transaction, so two racing callers serialise and the second
/// sees the first's keys.
pub(crate) fn replace_signing_keys(
    conn: &mut Connection,
    tenant: &TenantId,
    expected: &[String],
    keys: &[SigningKeyRecord],
    retire_at: UnixTime,
) -> Result<bool> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut active: Vec<String> = tx
        .prepare_cached("SELECT kid FROM signing_keys WHERE tenant_id = ?1 AND retired_at IS NULL")?
        .query_map([tenant.as_str()], |r| r.get(0))?
        .collect::<Result<_>>()?;
    let mut expected = expected.to_vec();
    active.sort_unstable();
    expected.sort_unstable();
    if active != expected {
        return Ok(false);
    }
    tenants::add_signing_keys_in(&tx, tenant, keys, retire_at)?;
    tx.commit()?;
    Ok(true)
}

/// Deletes keys retired before `before`.
pub(crate) fn delete_retired_keys(
    conn: &Connection,
    tenant: &TenantId,
    before: UnixTime,
) -> Result<u64> {
    let n = conn.execute(
        "DELETE FROM signing_keys
         WHERE tenant_id = ?1 AND retired_at IS NOT NULL AND retired_at < ?2",
        params![tenant.as_str(), before],
    )?;
    Ok(n as u64)
}

impl Maintenance for SqliteStore {
    async fn purge_expired(
        &self,
        tenant: &TenantId,
        kind: Expiring,
        before: UnixTime,
        limit: u32,
    ) -> StoreResult<u64> {
        let tenant = tenant.clone();
        self.run(move |c| {
            let started = Instant::now();
            let n = purge_batch(c, &tenant, kind, before, limit)?;
            if n >= u64::from(limit) {
                // More batches follow at once: leave the write lock free for
                // as long as this one held it, so that writers waiting in
                // SQLite's busy handler get their turn and a backlog purge
                // takes at most about half of the write time.
                std::thread::sleep(started.elapsed().min(MAX_PAUSE));
            }
            Ok(n)
        })
        .await
    }

    async fn replace_signing_keys(
        &self,
        tenant: &TenantId,
        expected_current: &[String],
        keys: &[SigningKeyRecord],
        retire_at: UnixTime,
    ) -> StoreResult<bool> {
        let (tenant, expected, keys) = (tenant.clone(), expected_current.to_vec(), keys.to_vec());
        self.run(move |c| replace_signing_keys(c, &tenant, &expected, &keys, retire_at))
            .await
    }

    async fn delete_retired_signing_keys(
        &self,
        tenant: &TenantId,
        retired_before: UnixTime,
    ) -> StoreResult<u64> {
        let tenant = tenant.clone();
        self.run(move |c| delete_retired_keys(c, &tenant, retired_before))
            .await
    }
}

#[cfg(test)]
mod tests;
