//! Application roles and their assignments to users, and
//! [`RoleStore`] for [`SqliteStore`]. The writes run inside
//! `AuditStore::apply_audited`'s transaction (`admin_change`); deleting a
//! tenant, a user or a role deletes the assignments by the foreign keys'
//! cascades (migration 15).

use crate::SqliteStore;
use idp_core::clock::UnixTime;
use idp_core::ids::{TenantId, UserId};
use idp_core::store::{RoleRecord, RoleStore, StoreResult};
use rusqlite::{Connection, OptionalExtension, Result, Row, params};

const COLUMNS: &str = "name, description, created_at";

/// Inserts a role; a taken name is a PRIMARY KEY violation (a conflict).
pub(crate) fn create(conn: &Connection, tenant: &TenantId, role: &RoleRecord) -> Result<()> {
    conn.execute(
        "INSERT INTO roles (tenant_id, name, description, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![
            tenant.as_str(),
            role.name,
            role.description,
            role.created_at
        ],
    )?;
    Ok(())
}

/// Replaces a role's description; whether the role exists.
pub(crate) fn update(conn: &Connection, tenant: &TenantId, role: &RoleRecord) -> Result<bool> {
    let n = conn.execute(
        "UPDATE roles SET description = ?3 WHERE tenant_id = ?1 AND name = ?2",
        params![tenant.as_str(), role.name, role.description],
    )?;
    Ok(n == 1)
}

/// Deletes a role and (by the cascade) its assignments; whether it existed.
pub(crate) fn delete(conn: &Connection, tenant: &TenantId, name: &str) -> Result<bool> {
    let n = conn.execute(
        "DELETE FROM roles WHERE tenant_id = ?1 AND name = ?2",
        params![tenant.as_str(), name],
    )?;
    Ok(n == 1)
}

/// Assigns `role` to `user`: `Some(1)` if newly assigned, `Some(0)` if it
/// already was, `None` if the user or the role does not exist.
pub(crate) fn assign(
    conn: &Connection,
    tenant: &TenantId,
    user: &UserId,
    role: &str,
    at: UnixTime,
) -> Result<Option<u64>> {
    let both_exist: bool = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM users WHERE tenant_id = ?1 AND id = ?2)
                AND EXISTS (SELECT 1 FROM roles WHERE tenant_id = ?1 AND name = ?3)",
        )?
        .query_row(params![tenant.as_str(), user.as_str(), role], |r| r.get(0))?;
    if !both_exist {
        return Ok(None);
    }
    let n = conn.execute(
        "INSERT INTO user_roles (tenant_id, user_id, role, assigned_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (tenant_id, user_id, role) DO NOTHING",
        params![tenant.as_str(), user.as_str(), role, at],
    )?;
    Ok(Some(n as u64))
}

/// Takes `role` from `user`; whether it was assigned.
pub(crate) fn unassign(
    conn: &Connection,
    tenant: &TenantId,
    user: &UserId,
    role: &str,
) -> Result<bool> {
    let n = conn.execute(
        "DELETE FROM user_roles WHERE tenant_id = ?1 AND user_id = ?2 AND role = ?3",
        params![tenant.as_str(), user.as_str(), role],
    )?;
    Ok(n == 1)
}

fn from_row(r: &Row<'_>) -> Result<RoleRecord> {
    Ok(RoleRecord {
        name: r.get(0)?,
        description: r.get(1)?,
        created_at: r.get(2)?,
    })
}

impl RoleStore for SqliteStore {
    async fn roles_page(
        &self,
        tenant: &TenantId,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<RoleRecord>> {
        let (tenant, after) = (tenant.clone(), after.unwrap_or("").to_owned());
        self.run(move |c| {
            c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM roles WHERE tenant_id = ?1 AND name > ?2
                 ORDER BY name LIMIT ?3"
            ))?
            .query_map(params![tenant.as_str(), after, limit as i64], from_row)?
            .collect()
        })
        .await
    }

    async fn role(&self, tenant: &TenantId, name: &str) -> StoreResult<Option<RoleRecord>> {
        let (tenant, name) = (tenant.clone(), name.to_owned());
        self.run(move |c| {
            c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM roles WHERE tenant_id = ?1 AND name = ?2"
            ))?
            .query_row(params![tenant.as_str(), name], from_row)
            .optional()
        })
        .await
    }

    async fn user_roles(&self, tenant: &TenantId, user: &UserId) -> StoreResult<Vec<String>> {
        let (tenant, user) = (tenant.clone(), user.clone());
        self.run(move |c| {
            c.prepare_cached(
                "SELECT role FROM user_roles WHERE tenant_id = ?1 AND user_id = ?2 ORDER BY role",
            )?
            .query_map(params![tenant.as_str(), user.as_str()], |r| r.get(0))?
            .collect()
        })
        .await
    }

    async fn role_holders(
        &self,
        tenant: &TenantId,
        name: &str,
        limit: usize,
    ) -> StoreResult<Vec<UserId>> {
        let (tenant, name) = (tenant.clone(), name.to_owned());
        self.run(move |c| {
            c.prepare_cached(
                "SELECT user_id FROM user_roles WHERE tenant_id = ?1 AND role = ?2
                 ORDER BY user_id LIMIT ?3",
            )?
            .query_map(params![tenant.as_str(), name, limit as i64], |r| {
                r.get::<_, String>(0).map(UserId::new)
            })?
            .collect()
        })
        .await
    }
}
