//! [`Maintenance`] for [`PostgresStore`]: bounded deletes of expired rows.
//! The cutoffs come from the core.
//!
//! PostgreSQL has no `DELETE … LIMIT` and no rowid: each batch deletes the
//! physical rows (`ctid`) a `LIMIT`ed subquery picks. The subquery locks
//! them `FOR UPDATE SKIP LOCKED`, so a purge never waits on a row a request
//! is writing (it goes in a later run), and purges running at once in
//! several processes split the rows instead of queueing on them. Each
//! batch is one short transaction; under MVCC it blocks no reader and no
//! other writer, so no pause between batches is needed.

use crate::PostgresStore;
use idp_core::clock::UnixTime;
use idp_core::ids::TenantId;
use idp_core::store::{Expiring, Maintenance, StoreResult};

/// The statement deleting one batch of `kind`: `$1` tenant, `$2` cutoff,
/// `$3` limit.
fn delete_sql(kind: Expiring) -> &'static str {
    match kind {
        Expiring::AuthorizationCodes => {
            "DELETE FROM codes WHERE ctid = ANY (ARRAY (
               SELECT ctid FROM codes WHERE tenant_id = $1 AND expires_at < $2
               LIMIT $3 FOR UPDATE SKIP LOCKED))"
        }
        Expiring::Interactions => {
            "DELETE FROM interactions WHERE ctid = ANY (ARRAY (
               SELECT ctid FROM interactions WHERE tenant_id = $1 AND expires_at < $2
               LIMIT $3 FOR UPDATE SKIP LOCKED))"
        }
        Expiring::DeviceCodes => {
            "DELETE FROM device_codes WHERE ctid = ANY (ARRAY (
               SELECT ctid FROM device_codes WHERE tenant_id = $1 AND expires_at < $2
               LIMIT $3 FOR UPDATE SKIP LOCKED))"
        }
        Expiring::Sessions => {
            "DELETE FROM sessions WHERE ctid = ANY (ARRAY (
               SELECT ctid FROM sessions
               WHERE tenant_id = $1 AND revoked_at IS NULL AND expires_at < $2
               LIMIT $3 FOR UPDATE SKIP LOCKED))"
        }
        Expiring::RevokedSessions => {
            "DELETE FROM sessions WHERE ctid = ANY (ARRAY (
               SELECT ctid FROM sessions WHERE tenant_id = $1 AND revoked_at < $2
               LIMIT $3 FOR UPDATE SKIP LOCKED))"
        }
        Expiring::RefreshTokens => {
            "DELETE FROM refresh_tokens WHERE ctid = ANY (ARRAY (
               SELECT ctid FROM refresh_tokens WHERE tenant_id = $1 AND expires_at < $2
               LIMIT $3 FOR UPDATE SKIP LOCKED))"
        }
        Expiring::RevokedAccessTokens => {
            "DELETE FROM revoked_access_tokens WHERE ctid = ANY (ARRAY (
               SELECT ctid FROM revoked_access_tokens WHERE tenant_id = $1 AND keep_until < $2
               LIMIT $3 FOR UPDATE SKIP LOCKED))"
        }
        Expiring::RevokedGrants => {
            "DELETE FROM revoked_grants WHERE ctid = ANY (ARRAY (
               SELECT ctid FROM revoked_grants WHERE tenant_id = $1 AND keep_until < $2
               LIMIT $3 FOR UPDATE SKIP LOCKED))"
        }
        Expiring::ClientAssertions => {
            "DELETE FROM client_assertions WHERE ctid = ANY (ARRAY (
               SELECT ctid FROM client_assertions WHERE tenant_id = $1 AND expires_at < $2
               LIMIT $3 FOR UPDATE SKIP LOCKED))"
        }
        Expiring::SessionClients => {
            "DELETE FROM session_clients WHERE ctid = ANY (ARRAY (
               SELECT ctid FROM session_clients WHERE tenant_id = $1 AND created_at < $2
               LIMIT $3 FOR UPDATE SKIP LOCKED))"
        }
        Expiring::PushedRequests => {
            "DELETE FROM pushed_requests WHERE ctid = ANY (ARRAY (
               SELECT ctid FROM pushed_requests WHERE tenant_id = $1 AND expires_at < $2
               LIMIT $3 FOR UPDATE SKIP LOCKED))"
        }
    }
}

impl Maintenance for PostgresStore {
    async fn purge_expired(
        &self,
        tenant: &TenantId,
        kind: Expiring,
        before: UnixTime,
        limit: u32,
    ) -> StoreResult<u64> {
        self.tenant_execute(
            tenant,
            delete_sql(kind),
            &[&tenant.as_str(), &before, &i64::from(limit)],
        )
        .await
    }
}
