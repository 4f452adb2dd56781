//! One-time set-up links (migration 4): [`SetupLinkStore`] reads, and the
//! changes [`AuditStore::apply_audited`](idp_core::store::AuditStore::apply_audited)
//! makes, each in the tenant-scoped transaction it is given.

use crate::{PostgresStore, db_error};
use deadpool_postgres::Transaction;
use idp_core::clock::UnixTime;
use idp_core::ids::{TenantId, UserId};
use idp_core::store::{SetupLinkRecord, SetupLinkStore, StoreResult};

impl SetupLinkStore for PostgresStore {
    async fn setup_link(
        &self,
        tenant: &TenantId,
        token_hash: &str,
    ) -> StoreResult<Option<SetupLinkRecord>> {
        let rows = self
            .tenant_query(
                tenant,
                "SELECT token_hash, user_id, created_at, expires_at, used_at FROM setup_links
                 WHERE tenant_id = $1 AND token_hash = $2",
                &[&tenant.as_str(), &token_hash],
            )
            .await?;
        rows.first()
            .map(|r| {
                Ok(SetupLinkRecord {
                    token_hash: r.try_get(0).map_err(db_error)?,
                    user_id: UserId::new(r.try_get::<_, String>(1).map_err(db_error)?),
                    created_at: r.try_get(2).map_err(db_error)?,
                    expires_at: r.try_get(3).map_err(db_error)?,
                    used_at: r.try_get(4).map_err(db_error)?,
                })
            })
            .transpose()
    }

    async fn has_live_setup_link(
        &self,
        tenant: &TenantId,
        user: &UserId,
        now: UnixTime,
    ) -> StoreResult<bool> {
        let rows = self
            .tenant_query(
                tenant,
                "SELECT 1 FROM setup_links
                 WHERE tenant_id = $1 AND user_id = $2 AND expires_at > $3 AND used_at IS NULL
                 LIMIT 1",
                &[&tenant.as_str(), &user.as_str(), &now],
            )
            .await?;
        Ok(!rows.is_empty())
    }
}

/// Inserts a link.
pub(crate) async fn create_in(
    tx: &Transaction<'_>,
    tenant: &TenantId,
    link: &SetupLinkRecord,
) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO setup_links (tenant_id, token_hash, user_id, created_at, expires_at, used_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &tenant.as_str(),
            &link.token_hash,
            &link.user_id.as_str(),
            &link.created_at,
            &link.expires_at,
            &link.used_at,
        ],
    )
    .await
    .map_err(db_error)?;
    Ok(())
}

/// Marks the user's link used at `at` if it is unused and unexpired;
/// whether it was.
pub(crate) async fn use_in(
    tx: &Transaction<'_>,
    tenant: &TenantId,
    token_hash: &str,
    user: &UserId,
    at: UnixTime,
) -> StoreResult<bool> {
    let n = tx
        .execute(
            "UPDATE setup_links SET used_at = $4
             WHERE tenant_id = $1 AND token_hash = $2 AND user_id = $3
               AND used_at IS NULL AND expires_at > $4",
            &[&tenant.as_str(), &token_hash, &user.as_str(), &at],
        )
        .await
        .map_err(db_error)?;
    Ok(n == 1)
}
