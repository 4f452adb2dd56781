//! Upstreams, linked identities and flights (issue 19, migration 22), and
//! [`UpstreamStore`] for [`SqliteStore`]. The writes of upstreams and
//! identities run inside `AuditStore::apply_audited`'s transaction
//! (`admin_change`); deleting an upstream, a user or a tenant deletes the
//! identities (and flights) that name it by the foreign keys' cascades.
//! Taking a flight is a single `DELETE … RETURNING`, so of two concurrent
//! takes exactly one gets the row.

use crate::SqliteStore;
use crate::codec::{Hash, Kind};
use idp_core::clock::UnixTime;
use idp_core::crypto::secret::SecretHash;
use idp_core::ids::{TenantId, UpstreamId, UserId};
use idp_core::store::{
    LinkedIdentityRecord, StoreResult, UpstreamFlightRecord, UpstreamRecord, UpstreamStore,
    UserRecord,
};
use rusqlite::{Connection, OptionalExtension, Result, Row, params};

const UPSTREAM_COLUMNS: &str = "id, kind, name, issuer, client_id, sealed_client_secret, signup,
    auto_link, created_at, updated_at";

const IDENTITY_COLUMNS: &str = "upstream_id, subject, user_id, email, created_at, last_used_at";

/// Inserts an upstream; a taken id is a PRIMARY KEY violation (a conflict
/// on `upstream id`).
pub(crate) fn create(conn: &Connection, tenant: &TenantId, u: &UpstreamRecord) -> Result<()> {
    conn.execute(
        "INSERT INTO upstreams (tenant_id, id, kind, name, issuer, client_id,
                                sealed_client_secret, signup, auto_link, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            tenant.as_str(),
            u.id.as_str(),
            u.kind.as_str(),
            u.name,
            u.issuer,
            u.client_id,
            u.sealed_client_secret,
            u.signup,
            u.auto_link,
            u.created_at,
            u.updated_at,
        ],
    )?;
    Ok(())
}

/// Replaces every field of the upstream but its id, kind and creation
/// time; whether it exists.
pub(crate) fn update(conn: &Connection, tenant: &TenantId, u: &UpstreamRecord) -> Result<bool> {
    let n = conn.execute(
        "UPDATE upstreams SET name = ?3, issuer = ?4, client_id = ?5, sealed_client_secret = ?6,
            signup = ?7, auto_link = ?8, updated_at = ?9
         WHERE tenant_id = ?1 AND id = ?2",
        params![
            tenant.as_str(),
            u.id.as_str(),
            u.name,
            u.issuer,
            u.client_id,
            u.sealed_client_secret,
            u.signup,
            u.auto_link,
            u.updated_at,
        ],
    )?;
    Ok(n == 1)
}

/// Deletes the upstream and (by the cascades) its identities and flights;
/// whether it existed.
pub(crate) fn delete(conn: &Connection, tenant: &TenantId, id: &UpstreamId) -> Result<bool> {
    let n = conn.execute(
        "DELETE FROM upstreams WHERE tenant_id = ?1 AND id = ?2",
        params![tenant.as_str(), id.as_str()],
    )?;
    Ok(n == 1)
}

/// Whether the tenant has the upstream.
fn upstream_exists(conn: &Connection, tenant: &TenantId, id: &UpstreamId) -> Result<bool> {
    conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM upstreams WHERE tenant_id = ?1 AND id = ?2)")?
        .query_row(params![tenant.as_str(), id.as_str()], |r| r.get(0))
}

/// Inserts the identity for `user`; a linked (upstream, subject) is a
/// PRIMARY KEY violation (a conflict).
fn insert_identity(
    conn: &Connection,
    tenant: &TenantId,
    identity: &LinkedIdentityRecord,
    user: &UserId,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO linked_identities
           (tenant_id, upstream_id, subject, user_id, email, created_at, last_used_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        tenant.as_str(),
        identity.upstream_id.as_str(),
        identity.subject,
        user.as_str(),
        identity.email,
        identity.created_at,
        identity.last_used_at,
    ])?;
    Ok(())
}

/// Links the identity to its (existing) user: `false` if the user or the
/// upstream does not exist; a linked (upstream, subject) is a conflict.
pub(crate) fn link(
    conn: &Connection,
    tenant: &TenantId,
    identity: &LinkedIdentityRecord,
) -> Result<bool> {
    let user_exists = crate::users::by_id(conn, tenant, &identity.user_id)?.is_some();
    if !user_exists || !upstream_exists(conn, tenant, &identity.upstream_id)? {
        return Ok(false);
    }
    insert_identity(conn, tenant, identity, &identity.user_id)?;
    Ok(true)
}

/// Creates `user` and links the identity to it (whatever its `user_id`
/// says): `false`, nothing written, if the upstream does not exist; a
/// taken email or a linked (upstream, subject) is a conflict, and the
/// caller's transaction rolls the user back.
pub(crate) fn create_user_with_identity(
    conn: &Connection,
    tenant: &TenantId,
    user: &UserRecord,
    identity: &LinkedIdentityRecord,
) -> Result<bool> {
    if !upstream_exists(conn, tenant, &identity.upstream_id)? {
        return Ok(false);
    }
    crate::users::create(conn, tenant, user)?;
    insert_identity(conn, tenant, identity, &user.id)?;
    Ok(true)
}

/// Unlinks (upstream, subject) from `user`; whether it was linked to them.
pub(crate) fn unlink(
    conn: &Connection,
    tenant: &TenantId,
    user: &UserId,
    upstream: &UpstreamId,
    subject: &str,
) -> Result<bool> {
    let n = conn.execute(
        "DELETE FROM linked_identities
         WHERE tenant_id = ?1 AND upstream_id = ?2 AND subject = ?3 AND user_id = ?4",
        params![tenant.as_str(), upstream.as_str(), subject, user.as_str()],
    )?;
    Ok(n == 1)
}

fn upstream_from_row(r: &Row<'_>) -> Result<UpstreamRecord> {
    Ok(UpstreamRecord {
        id: UpstreamId::new(r.get::<_, String>(0)?),
        kind: r.get::<_, Kind>(1)?.0,
        name: r.get(2)?,
        issuer: r.get(3)?,
        client_id: r.get(4)?,
        sealed_client_secret: r.get(5)?,
        signup: r.get(6)?,
        auto_link: r.get(7)?,
        created_at: r.get(8)?,
        updated_at: r.get(9)?,
    })
}

fn identity_from_row(r: &Row<'_>) -> Result<LinkedIdentityRecord> {
    Ok(LinkedIdentityRecord {
        upstream_id: UpstreamId::new(r.get::<_, String>(0)?),
        subject: r.get(1)?,
        user_id: UserId::new(r.get::<_, String>(2)?),
        email: r.get(3)?,
        created_at: r.get(4)?,
        last_used_at: r.get(5)?,
    })
}

impl UpstreamStore for SqliteStore {
    async fn upstreams_page(
        &self,
        tenant: &TenantId,
        after: Option<&UpstreamId>,
        limit: usize,
    ) -> StoreResult<Vec<UpstreamRecord>> {
        let (tenant, after) = (
            tenant.clone(),
            after.map_or(String::new(), |a| a.as_str().to_owned()),
        );
        self.run(move |c| {
            c.prepare_cached(&format!(
                "SELECT {UPSTREAM_COLUMNS} FROM upstreams WHERE tenant_id = ?1 AND id > ?2
                 ORDER BY id LIMIT ?3"
            ))?
            .query_map(
                params![tenant.as_str(), after, limit as i64],
                upstream_from_row,
            )?
            .collect()
        })
        .await
    }

    async fn upstream(
        &self,
        tenant: &TenantId,
        id: &UpstreamId,
    ) -> StoreResult<Option<UpstreamRecord>> {
        let (tenant, id) = (tenant.clone(), id.clone());
        self.run(move |c| {
            c.prepare_cached(&format!(
                "SELECT {UPSTREAM_COLUMNS} FROM upstreams WHERE tenant_id = ?1 AND id = ?2"
            ))?
            .query_row(params![tenant.as_str(), id.as_str()], upstream_from_row)
            .optional()
        })
        .await
    }

    async fn linked_identity(
        &self,
        tenant: &TenantId,
        upstream: &UpstreamId,
        subject: &str,
    ) -> StoreResult<Option<LinkedIdentityRecord>> {
        let (tenant, upstream, subject) = (tenant.clone(), upstream.clone(), subject.to_owned());
        self.run(move |c| {
            c.prepare_cached(&format!(
                "SELECT {IDENTITY_COLUMNS} FROM linked_identities
                 WHERE tenant_id = ?1 AND upstream_id = ?2 AND subject = ?3"
            ))?
            .query_row(
                params![tenant.as_str(), upstream.as_str(), subject],
                identity_from_row,
            )
            .optional()
        })
        .await
    }

    async fn identities_of_user(
        &self,
        tenant: &TenantId,
        user: &UserId,
    ) -> StoreResult<Vec<LinkedIdentityRecord>> {
        let (tenant, user) = (tenant.clone(), user.clone());
        self.run(move |c| {
            c.prepare_cached(&format!(
                "SELECT {IDENTITY_COLUMNS} FROM linked_identities
                 WHERE tenant_id = ?1 AND user_id = ?2 ORDER BY upstream_id, subject"
            ))?
            .query_map(params![tenant.as_str(), user.as_str()], identity_from_row)?
            .collect()
        })
        .await
    }

    async fn touch_identity(
        &self,
        tenant: &TenantId,
        upstream: &UpstreamId,
        subject: &str,
        email: Option<&str>,
        at: UnixTime,
    ) -> StoreResult<bool> {
        let (tenant, upstream, subject, email) = (
            tenant.clone(),
            upstream.clone(),
            subject.to_owned(),
            email.map(str::to_owned),
        );
        self.run(move |c| {
            let n = c
                .prepare_cached(
                    "UPDATE linked_identities SET email = ?4, last_used_at = ?5
                     WHERE tenant_id = ?1 AND upstream_id = ?2 AND subject = ?3",
                )?
                .execute(params![
                    tenant.as_str(),
                    upstream.as_str(),
                    subject,
                    email,
                    at
                ])?;
            Ok(n == 1)
        })
        .await
    }

    async fn put_flight(
        &self,
        tenant: &TenantId,
        flight: &UpstreamFlightRecord,
    ) -> StoreResult<()> {
        let (tenant, f) = (tenant.clone(), flight.clone());
        self.run(move |c| {
            c.prepare_cached(
                "INSERT INTO upstream_flights
                   (tenant_id, state_hash, upstream_id, data, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                tenant.as_str(),
                f.state_hash.as_bytes(),
                f.upstream_id.as_str(),
                f.data,
                f.created_at,
                f.expires_at,
            ])?;
            Ok(())
        })
        .await
    }

    /// An expired flight stays for the purge.
    async fn take_flight(
        &self,
        tenant: &TenantId,
        state_hash: &SecretHash,
        now: UnixTime,
    ) -> StoreResult<Option<UpstreamFlightRecord>> {
        let (tenant, hash) = (tenant.clone(), *state_hash);
        self.run(move |c| {
            c.prepare_cached(
                "DELETE FROM upstream_flights
                 WHERE tenant_id = ?1 AND state_hash = ?2 AND expires_at > ?3
                 RETURNING state_hash, upstream_id, data, created_at, expires_at",
            )?
            .query_row(params![tenant.as_str(), hash.as_bytes(), now], |r| {
                Ok(UpstreamFlightRecord {
                    state_hash: r.get::<_, Hash>(0)?.0,
                    upstream_id: UpstreamId::new(r.get::<_, String>(1)?),
                    data: r.get(2)?,
                    created_at: r.get(3)?,
                    expires_at: r.get(4)?,
                })
            })
            .optional()
        })
        .await
    }
}
