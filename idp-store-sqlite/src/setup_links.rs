//! One-time set-up links (migration 17) and [`SetupLinkStore`] for
//! [`SqliteStore`]. The writes run inside `AuditStore::apply_audited`'s
//! transaction (`admin_change`).

use crate::SqliteStore;
use idp_core::clock::UnixTime;
use idp_core::ids::{TenantId, UserId};
use idp_core::store::{SetupLinkRecord, SetupLinkStore, StoreResult};
use rusqlite::{Connection, OptionalExtension, Result, params};

/// Inserts a link.
pub(crate) fn create(conn: &Connection, tenant: &TenantId, link: &SetupLinkRecord) -> Result<()> {
    conn.execute(
        "INSERT INTO setup_links (tenant_id, token_hash, user_id, created_at, expires_at, used_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            tenant.as_str(),
            link.token_hash,
            link.user_id.as_str(),
            link.created_at,
            link.expires_at,
            link.used_at
        ],
    )?;
    Ok(())
}

/// Marks the user's link used at `at` if it is unused and unexpired;
/// whether it was.
pub(crate) fn use_link(
    conn: &Connection,
    tenant: &TenantId,
    token_hash: &str,
    user: &UserId,
    at: UnixTime,
) -> Result<bool> {
    let n = conn.execute(
        "UPDATE setup_links SET used_at = ?4
         WHERE tenant_id = ?1 AND token_hash = ?2 AND user_id = ?3
           AND used_at IS NULL AND expires_at > ?4",
        params![tenant.as_str(), token_hash, user.as_str(), at],
    )?;
    Ok(n == 1)
}

impl SetupLinkStore for SqliteStore {
    async fn setup_link(
        &self,
        tenant: &TenantId,
        token_hash: &str,
    ) -> StoreResult<Option<SetupLinkRecord>> {
        let (tenant, hash) = (tenant.clone(), token_hash.to_owned());
        self.run(move |c| {
            c.prepare_cached(
                "SELECT token_hash, user_id, created_at, expires_at, used_at FROM setup_links
                 WHERE tenant_id = ?1 AND token_hash = ?2",
            )?
            .query_row(params![tenant.as_str(), hash], |r| {
                Ok(SetupLinkRecord {
                    token_hash: r.get(0)?,
                    user_id: UserId::new(r.get::<_, String>(1)?),
                    created_at: r.get(2)?,
                    expires_at: r.get(3)?,
                    used_at: r.get(4)?,
                })
            })
            .optional()
        })
        .await
    }

    async fn has_live_setup_link(
        &self,
        tenant: &TenantId,
        user: &UserId,
        now: UnixTime,
    ) -> StoreResult<bool> {
        let (tenant, user) = (tenant.clone(), user.clone());
        self.run(move |c| {
            c.prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM setup_links
                 WHERE tenant_id = ?1 AND user_id = ?2 AND expires_at > ?3 AND used_at IS NULL)",
            )?
            .query_row(params![tenant.as_str(), user.as_str(), now], |r| r.get(0))
        })
        .await
    }
}
