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

/// The table `kind` lives in and which of its rows are due (`$2` is the
/// cutoff).
fn due_rows(kind: Expiring) -> (&'static str, &'static str) {
    match kind {
        Expiring::AuthorizationCodes => ("codes", "expires_at < $2"),
        Expiring::Interactions => ("interactions", "expires_at < $2"),
        Expiring::DeviceCodes => ("device_codes", "expires_at < $2"),
        Expiring::Sessions => ("sessions", "revoked_at IS NULL AND expires_at < $2"),
        Expiring::RevokedSessions => ("sessions", "revoked_at < $2"),
        Expiring::RefreshTokens => ("refresh_tokens", "expires_at < $2"),
        Expiring::RevokedAccessTokens => ("revoked_access_tokens", "keep_until < $2"),
        Expiring::RevokedGrants => ("revoked_grants", "keep_until < $2"),
        Expiring::ClientAssertions => ("client_assertions", "expires_at < $2"),
        Expiring::SessionClients => ("session_clients", "created_at < $2"),
        Expiring::PushedRequests => ("pushed_requests", "expires_at < $2"),
        Expiring::UpstreamFlights => ("upstream_flights", "expires_at < $2"),
    }
}

/// The statement deleting one batch of `kind`: `$1` tenant, `$2` cutoff,
/// `$3` limit. (Prepared once per connection: the text is the cache key.)
fn delete_sql(kind: Expiring) -> String {
    let (table, due) = due_rows(kind);
    format!(
        "DELETE FROM {table} WHERE ctid = ANY (ARRAY (
           SELECT ctid FROM {table} WHERE tenant_id = $1 AND {due}
           LIMIT $3 FOR UPDATE SKIP LOCKED))"
    )
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
            &delete_sql(kind),
            &[&tenant.as_str(), &before, &i64::from(limit)],
        )
        .await
    }
}
