//! Application roles and their assignments: [`RoleStore`] reads, and the
//! role changes [`AuditStore::apply_audited`](idp_core::store::AuditStore::apply_audited)
//! makes, each in the tenant-scoped transaction it is given.
//!
//! An assignment references its user and its role (foreign keys that
//! cascade), so deleting either, or the tenant, deletes the assignments.

use crate::admin::limit_param;
use crate::audited::done_or_missing;
use crate::{PostgresStore, db_error};
use deadpool_postgres::Transaction;
use idp_core::clock::UnixTime;
use idp_core::ids::{TenantId, UserId};
use idp_core::store::{Applied, RoleRecord, RoleStore, StoreResult};
use tokio_postgres::Row;

const COLUMNS: &str = "name, description, created_at";

impl RoleStore for PostgresStore {
    async fn roles_page(
        &self,
        tenant: &TenantId,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<RoleRecord>> {
        let rows = self
            .tenant_query(
                tenant,
                &format!(
                    "SELECT {COLUMNS} FROM roles WHERE tenant_id = $1 AND name > $2
                     ORDER BY name LIMIT $3"
                ),
                &[&tenant.as_str(), &after.unwrap_or(""), &limit_param(limit)],
            )
            .await?;
        rows.iter().map(role_from_row).collect()
    }

    async fn role(&self, tenant: &TenantId, name: &str) -> StoreResult<Option<RoleRecord>> {
        let rows = self
            .tenant_query(
                tenant,
                &format!("SELECT {COLUMNS} FROM roles WHERE tenant_id = $1 AND name = $2"),
                &[&tenant.as_str(), &name],
            )
            .await?;
        rows.first().map(role_from_row).transpose()
    }

    async fn user_roles(&self, tenant: &TenantId, user: &UserId) -> StoreResult<Vec<String>> {
        let rows = self
            .tenant_query(
                tenant,
                "SELECT role FROM user_roles WHERE tenant_id = $1 AND user_id = $2 ORDER BY role",
                &[&tenant.as_str(), &user.as_str()],
            )
            .await?;
        rows.iter()
            .map(|r| r.try_get(0).map_err(db_error))
            .collect()
    }

    async fn role_holders(
        &self,
        tenant: &TenantId,
        name: &str,
        limit: usize,
    ) -> StoreResult<Vec<UserId>> {
        let rows = self
            .tenant_query(
                tenant,
                "SELECT user_id FROM user_roles WHERE tenant_id = $1 AND role = $2
                 ORDER BY user_id LIMIT $3",
                &[&tenant.as_str(), &name, &(limit as i64)],
            )
            .await?;
        rows.iter()
            .map(|r| r.try_get::<_, String>(0).map(UserId::new).map_err(db_error))
            .collect()
    }
}

/// A new role; a duplicate name is a conflict on `name`.
pub(crate) async fn create_role_in(
    tx: &Transaction<'_>,
    tenant: &TenantId,
    role: &RoleRecord,
) -> StoreResult<Applied> {
    tx.execute(
        "INSERT INTO roles (tenant_id, name, description, created_at) VALUES ($1, $2, $3, $4)",
        &[
            &tenant.as_str(),
            &role.name,
            &role.description,
            &role.created_at,
        ],
    )
    .await
    .map_err(db_error)?;
    Ok(Applied::Done(1))
}

/// Replaces the role's description.
pub(crate) async fn update_role_in(
    tx: &Transaction<'_>,
    tenant: &TenantId,
    role: &RoleRecord,
) -> StoreResult<Applied> {
    let n = tx
        .execute(
            "UPDATE roles SET description = $3 WHERE tenant_id = $1 AND name = $2",
            &[&tenant.as_str(), &role.name, &role.description],
        )
        .await
        .map_err(db_error)?;
    Ok(done_or_missing(n))
}

/// Deletes the role; its assignments cascade.
pub(crate) async fn delete_role_in(
    tx: &Transaction<'_>,
    tenant: &TenantId,
    role: &str,
) -> StoreResult<Applied> {
    let n = tx
        .execute(
            "DELETE FROM roles WHERE tenant_id = $1 AND name = $2",
            &[&tenant.as_str(), &role],
        )
        .await
        .map_err(db_error)?;
    Ok(done_or_missing(n))
}

/// Assigns the role to the user: `Done(1)` if new, `Done(0)` if it was
/// already, `Missing` if either is gone. The user's and the role's rows
/// are key-share locked first (what the foreign keys' checks take), so a
/// racing deletion of either waits for this transaction or, having
/// committed, makes it `Missing` instead of a foreign-key error.
pub(crate) async fn assign_role_in(
    tx: &Transaction<'_>,
    tenant: &TenantId,
    user: &UserId,
    role: &str,
    at: UnixTime,
) -> StoreResult<Applied> {
    let (tenant, user) = (tenant.as_str(), user.as_str());
    let both = tx
        .query_opt(
            "SELECT 1 FROM users u JOIN roles r ON r.tenant_id = u.tenant_id
             WHERE u.tenant_id = $1 AND u.id = $2 AND r.name = $3
             FOR KEY SHARE",
            &[&tenant, &user, &role],
        )
        .await
        .map_err(db_error)?;
    if both.is_none() {
        return Ok(Applied::Missing);
    }
    let n = tx
        .execute(
            "INSERT INTO user_roles (tenant_id, user_id, role, assigned_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (tenant_id, user_id, role) DO NOTHING",
            &[&tenant, &user, &role, &at],
        )
        .await
        .map_err(db_error)?;
    Ok(Applied::Done(n))
}

/// Takes the role from the user.
pub(crate) async fn unassign_role_in(
    tx: &Transaction<'_>,
    tenant: &TenantId,
    user: &UserId,
    role: &str,
) -> StoreResult<Applied> {
    let n = tx
        .execute(
            "DELETE FROM user_roles WHERE tenant_id = $1 AND user_id = $2 AND role = $3",
            &[&tenant.as_str(), &user.as_str(), &role],
        )
        .await
        .map_err(db_error)?;
    Ok(done_or_missing(n))
}

fn role_from_row(r: &Row) -> StoreResult<RoleRecord> {
    Ok(RoleRecord {
        name: r.try_get(0).map_err(db_error)?,
        description: r.try_get(1).map_err(db_error)?,
        created_at: r.try_get(2).map_err(db_error)?,
    })
}
