//! [`Maintenance`] for [`SqliteStore`]: bounded deletes of expired rows.
//! The cutoffs come from the core.
//!
//! SQLite (as bundled) has no `DELETE … LIMIT`, so each batch deletes the
//! keys a `LIMIT`ed subquery picks. Each batch is one autocommit statement:
//! it holds the write lock only while it runs, and a batch another process
//! already deleted simply finds fewer rows.

use crate::SqliteStore;
use idp_core::clock::UnixTime;
use idp_core::ids::TenantId;
use idp_core::store::{Expiring, Maintenance, StoreResult};
use rusqlite::{Connection, Result, params};
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
        Expiring::PushedRequests => {
            "DELETE FROM pushed_requests WHERE tenant_id = ?1 AND request_uri_hash IN (
               SELECT request_uri_hash FROM pushed_requests
               WHERE tenant_id = ?1 AND expires_at < ?2 LIMIT ?3)"
        }
        Expiring::UpstreamFlights => {
            "DELETE FROM upstream_flights WHERE tenant_id = ?1 AND state_hash IN (
               SELECT state_hash FROM upstream_flights
               WHERE tenant_id = ?1 AND expires_at < ?2 LIMIT ?3)"
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
}

#[cfg(test)]
mod tests;
