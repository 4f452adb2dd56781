//! Upstreams, linked identities and flights (issue 19, migration 9):
//! [`UpstreamStore`] reads, and the upstream changes
//! [`AuditStore::apply_audited`](idp_core::store::AuditStore::apply_audited)
//! makes, each in the tenant-scoped transaction it is given.
//!
//! An identity references its upstream and its user, a flight its upstream
//! (foreign keys that cascade), so deleting either, or the tenant, deletes
//! them. Taking a flight is a single `DELETE … RETURNING`, so of two
//! concurrent takes exactly one gets the row (the second waits for the
//! first's delete, then finds nothing).

use crate::admin::limit_param;
use crate::audited::done_or_missing;
use crate::pushed::hash_at;
use crate::{PostgresStore, db_error};
use deadpool_postgres::Transaction;
use idp_core::clock::UnixTime;
use idp_core::crypto::secret::SecretHash;
use idp_core::ids::{TenantId, UpstreamId, UserId};
use idp_core::store::{
    Applied, LinkedIdentityRecord, StoreError, StoreResult, UpstreamFlightRecord, UpstreamRecord,
    UpstreamStore, UserRecord,
};
use idp_core::upstream::UpstreamKind;
use tokio_postgres::Row;

const UPSTREAM_COLUMNS: &str = "id, kind, name, issuer, client_id, sealed_client_secret, signup,
    auto_link, created_at, updated_at";

const IDENTITY_COLUMNS: &str = "upstream_id, subject, user_id, email, created_at, last_used_at";

impl UpstreamStore for PostgresStore {
    async fn upstreams_page(
        &self,
        tenant: &TenantId,
        after: Option<&UpstreamId>,
        limit: usize,
    ) -> StoreResult<Vec<UpstreamRecord>> {
        let rows = self
            .tenant_query(
                tenant,
                &format!(
                    "SELECT {UPSTREAM_COLUMNS} FROM upstreams WHERE tenant_id = $1 AND id > $2
                     ORDER BY id LIMIT $3"
                ),
                &[
                    &tenant.as_str(),
                    &after.map_or("", UpstreamId::as_str),
                    &limit_param(limit),
                ],
            )
            .await?;
        rows.iter().map(upstream_from_row).collect()
    }

    async fn upstream(
        &self,
        tenant: &TenantId,
        id: &UpstreamId,
    ) -> StoreResult<Option<UpstreamRecord>> {
        let rows = self
            .tenant_query(
                tenant,
                &format!(
                    "SELECT {UPSTREAM_COLUMNS} FROM upstreams WHERE tenant_id = $1 AND id = $2"
                ),
                &[&tenant.as_str(), &id.as_str()],
            )
            .await?;
        rows.first().map(upstream_from_row).transpose()
    }

    async fn linked_identity(
        &self,
        tenant: &TenantId,
        upstream: &UpstreamId,
        subject: &str,
    ) -> StoreResult<Option<LinkedIdentityRecord>> {
        let rows = self
            .tenant_query(
                tenant,
                &format!(
                    "SELECT {IDENTITY_COLUMNS} FROM linked_identities
                     WHERE tenant_id = $1 AND upstream_id = $2 AND subject = $3"
                ),
                &[&tenant.as_str(), &upstream.as_str(), &subject],
            )
            .await?;
        rows.first().map(identity_from_row).transpose()
    }

    async fn identities_of_user(
        &self,
        tenant: &TenantId,
        user: &UserId,
    ) -> StoreResult<Vec<LinkedIdentityRecord>> {
        let rows = self
            .tenant_query(
                tenant,
                &format!(
                    "SELECT {IDENTITY_COLUMNS} FROM linked_identities
                     WHERE tenant_id = $1 AND user_id = $2 ORDER BY upstream_id, subject"
                ),
                &[&tenant.as_str(), &user.as_str()],
            )
            .await?;
        rows.iter().map(identity_from_row).collect()
    }

    async fn touch_identity(
        &self,
        tenant: &TenantId,
        upstream: &UpstreamId,
        subject: &str,
        email: Option<&str>,
        at: UnixTime,
    ) -> StoreResult<bool> {
        let n = self
            .tenant_execute(
                tenant,
                "UPDATE linked_identities SET email = $4, last_used_at = $5
                 WHERE tenant_id = $1 AND upstream_id = $2 AND subject = $3",
                &[&tenant.as_str(), &upstream.as_str(), &subject, &email, &at],
            )
            .await?;
        Ok(n == 1)
    }

    async fn put_flight(
        &self,
        tenant: &TenantId,
        flight: &UpstreamFlightRecord,
    ) -> StoreResult<()> {
        let hash: &[u8] = flight.state_hash.as_bytes();
        self.tenant_execute(
            tenant,
            "INSERT INTO upstream_flights
               (tenant_id, state_hash, upstream_id, data, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &tenant.as_str(),
                &hash,
                &flight.upstream_id.as_str(),
                &flight.data,
                &flight.created_at,
                &flight.expires_at,
            ],
        )
        .await?;
        Ok(())
    }

    /// An expired flight stays for the purge.
    async fn take_flight(
        &self,
        tenant: &TenantId,
        state_hash: &SecretHash,
        now: UnixTime,
    ) -> StoreResult<Option<UpstreamFlightRecord>> {
        let hash: &[u8] = state_hash.as_bytes();
        let rows = self
            .tenant_query(
                tenant,
                "DELETE FROM upstream_flights
                 WHERE tenant_id = $1 AND state_hash = $2 AND expires_at > $3
                 RETURNING state_hash, upstream_id, data, created_at, expires_at",
                &[&tenant.as_str(), &hash, &now],
            )
            .await?;
        rows.first()
            .map(|r| {
                Ok(UpstreamFlightRecord {
                    state_hash: hash_at(r, 0)?,
                    upstream_id: UpstreamId::new(r.try_get::<_, String>(1).map_err(db_error)?),
                    data: r.try_get(2).map_err(db_error)?,
                    created_at: r.try_get(3).map_err(db_error)?,
                    expires_at: r.try_get(4).map_err(db_error)?,
                })
            })
            .transpose()
    }
}

/// A new upstream; a taken id is a conflict on `upstream id`.
pub(crate) async fn create_upstream_in(
    tx: &Transaction<'_>,
    tenant: &TenantId,
    u: &UpstreamRecord,
) -> StoreResult<Applied> {
    tx.execute(
        "INSERT INTO upstreams (tenant_id, id, kind, name, issuer, client_id,
                                sealed_client_secret, signup, auto_link, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        &[
            &tenant.as_str(),
            &u.id.as_str(),
            &u.kind.as_str(),
            &u.name,
            &u.issuer,
            &u.client_id,
            &u.sealed_client_secret,
            &u.signup,
            &u.auto_link,
            &u.created_at,
            &u.updated_at,
        ],
    )
    .await
    .map_err(db_error)?;
    Ok(Applied::Done(1))
}

/// Replaces every field of the upstream but its id, kind and creation time.
pub(crate) async fn update_upstream_in(
    tx: &Transaction<'_>,
    tenant: &TenantId,
    u: &UpstreamRecord,
) -> StoreResult<Applied> {
    let n = tx
        .execute(
            "UPDATE upstreams SET name = $3, issuer = $4, client_id = $5,
                sealed_client_secret = $6, signup = $7, auto_link = $8, updated_at = $9
             WHERE tenant_id = $1 AND id = $2",
            &[
                &tenant.as_str(),
                &u.id.as_str(),
                &u.name,
                &u.issuer,
                &u.client_id,
                &u.sealed_client_secret,
                &u.signup,
                &u.auto_link,
                &u.updated_at,
            ],
        )
        .await
        .map_err(db_error)?;
    Ok(done_or_missing(n))
}

/// Deletes the upstream; its identities and flights cascade.
pub(crate) async fn delete_upstream_in(
    tx: &Transaction<'_>,
    tenant: &TenantId,
    id: &UpstreamId,
) -> StoreResult<Applied> {
    let n = tx
        .execute(
            "DELETE FROM upstreams WHERE tenant_id = $1 AND id = $2",
            &[&tenant.as_str(), &id.as_str()],
        )
        .await
        .map_err(db_error)?;
    Ok(done_or_missing(n))
}

/// Whether the upstream exists, key-share locking it (what the foreign
/// key's check takes): a racing deletion waits for this transaction or,
/// having committed, makes the caller's change `Missing` instead of a
/// foreign-key error.
async fn lock_upstream(
    tx: &Transaction<'_>,
    tenant: &TenantId,
    upstream: &UpstreamId,
) -> StoreResult<bool> {
    let row = tx
        .query_opt(
            "SELECT 1 FROM upstreams WHERE tenant_id = $1 AND id = $2 FOR KEY SHARE",
            &[&tenant.as_str(), &upstream.as_str()],
        )
        .await
        .map_err(db_error)?;
    Ok(row.is_some())
}

/// Inserts the identity for `user`; a linked (upstream, subject) is a
/// conflict.
async fn insert_identity(
    tx: &Transaction<'_>,
    tenant: &TenantId,
    identity: &LinkedIdentityRecord,
    user: &UserId,
) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO linked_identities
           (tenant_id, upstream_id, subject, user_id, email, created_at, last_used_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            &tenant.as_str(),
            &identity.upstream_id.as_str(),
            &identity.subject,
            &user.as_str(),
            &identity.email,
            &identity.created_at,
            &identity.last_used_at,
        ],
    )
    .await
    .map_err(db_error)?;
    Ok(())
}

/// Links the identity to its existing user: `Missing` if the user or the
/// upstream is gone (both key-share locked first, as
/// [`lock_upstream`] says), a conflict if (upstream, subject) is linked.
pub(crate) async fn link_identity_in(
    tx: &Transaction<'_>,
    tenant: &TenantId,
    identity: &LinkedIdentityRecord,
) -> StoreResult<Applied> {
    let user = tx
        .query_opt(
            "SELECT 1 FROM users WHERE tenant_id = $1 AND id = $2 FOR KEY SHARE",
            &[&tenant.as_str(), &identity.user_id.as_str()],
        )
        .await
        .map_err(db_error)?;
    if user.is_none() || !lock_upstream(tx, tenant, &identity.upstream_id).await? {
        return Ok(Applied::Missing);
    }
    insert_identity(tx, tenant, identity, &identity.user_id).await?;
    Ok(Applied::Done(1))
}

/// Creates `user` and links the identity to it (whatever its `user_id`
/// says): `Missing`, nothing written, if the upstream is gone; a taken
/// email or a linked (upstream, subject) is a conflict, and the dropped
/// transaction takes the user back.
pub(crate) async fn create_user_with_identity_in(
    tx: &Transaction<'_>,
    tenant: &TenantId,
    user: &UserRecord,
    identity: &LinkedIdentityRecord,
) -> StoreResult<Applied> {
    if !lock_upstream(tx, tenant, &identity.upstream_id).await? {
        return Ok(Applied::Missing);
    }
    crate::users::create_user_in(tx, tenant, user).await?;
    insert_identity(tx, tenant, identity, &user.id).await?;
    Ok(Applied::Done(1))
}

/// Unlinks (upstream, subject) from `user`: `Missing` unless it was
/// linked to them.
pub(crate) async fn unlink_identity_in(
    tx: &Transaction<'_>,
    tenant: &TenantId,
    user: &UserId,
    upstream: &UpstreamId,
    subject: &str,
) -> StoreResult<Applied> {
    let n = tx
        .execute(
            "DELETE FROM linked_identities
             WHERE tenant_id = $1 AND upstream_id = $2 AND subject = $3 AND user_id = $4",
            &[
                &tenant.as_str(),
                &upstream.as_str(),
                &subject,
                &user.as_str(),
            ],
        )
        .await
        .map_err(db_error)?;
    Ok(done_or_missing(n))
}

fn upstream_from_row(r: &Row) -> StoreResult<UpstreamRecord> {
    let kind: &str = r.try_get(1).map_err(db_error)?;
    Ok(UpstreamRecord {
        id: UpstreamId::new(r.try_get::<_, String>(0).map_err(db_error)?),
        kind: UpstreamKind::parse(kind).ok_or_else(|| {
            StoreError::Backend(format!("unknown upstream kind {kind:?} in the database"))
        })?,
        name: r.try_get(2).map_err(db_error)?,
        issuer: r.try_get(3).map_err(db_error)?,
        client_id: r.try_get(4).map_err(db_error)?,
        sealed_client_secret: r.try_get(5).map_err(db_error)?,
        signup: r.try_get(6).map_err(db_error)?,
        auto_link: r.try_get(7).map_err(db_error)?,
        created_at: r.try_get(8).map_err(db_error)?,
        updated_at: r.try_get(9).map_err(db_error)?,
    })
}

fn identity_from_row(r: &Row) -> StoreResult<LinkedIdentityRecord> {
    Ok(LinkedIdentityRecord {
        upstream_id: UpstreamId::new(r.try_get::<_, String>(0).map_err(db_error)?),
        subject: r.try_get(1).map_err(db_error)?,
        user_id: UserId::new(r.try_get::<_, String>(2).map_err(db_error)?),
        email: r.try_get(3).map_err(db_error)?,
        created_at: r.try_get(4).map_err(db_error)?,
        last_used_at: r.try_get(5).map_err(db_error)?,
    })
}
