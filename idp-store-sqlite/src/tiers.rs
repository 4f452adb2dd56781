//! Tiers, a tenant's tier, the counts their limits read, and [`TierStore`]
//! for [`SqliteStore`]. The writes run inside `AuditStore::apply_audited`'s
//! `BEGIN IMMEDIATE` transaction (`admin_change`): SQLite has one writer at
//! a time, so a `WithinLimit` count and its insert are atomic as they are.

use crate::SqliteStore;
use idp_core::ids::TenantId;
use idp_core::store::{Counted, StoreResult, TierRecord, TierStore};
use idp_core::tier::Limits;
use rusqlite::{Connection, OptionalExtension, Result, Row, params};

const COLUMNS: &str =
    "name, max_users, max_clients, max_upstreams, max_api_keys, created_at, updated_at";

fn limit(v: Option<u64>) -> Option<i64> {
    // The core refuses limits past i64::MAX.
    v.map(|v| i64::try_from(v).unwrap_or(i64::MAX))
}

fn from_row(r: &Row<'_>) -> Result<TierRecord> {
    let read = |i| -> Result<Option<u64>> {
        Ok(r.get::<_, Option<i64>>(i)?
            .map(|v| u64::try_from(v).unwrap_or(0)))
    };
    Ok(TierRecord {
        name: r.get(0)?,
        limits: Limits {
            users: read(1)?,
            clients: read(2)?,
            upstreams: read(3)?,
            api_keys: read(4)?,
        },
        created_at: r.get(5)?,
        updated_at: r.get(6)?,
    })
}

/// Inserts a tier; a taken name is a PRIMARY KEY violation (a conflict).
pub(crate) fn create(conn: &Connection, t: &TierRecord) -> Result<()> {
    let l = &t.limits;
    conn.execute(
        &format!("INSERT INTO tiers ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
        params![
            t.name,
            limit(l.users),
            limit(l.clients),
            limit(l.upstreams),
            limit(l.api_keys),
            t.created_at,
            t.updated_at
        ],
    )?;
    Ok(())
}

/// Replaces a tier's limits; whether it exists.
pub(crate) fn update(conn: &Connection, t: &TierRecord) -> Result<bool> {
    let l = &t.limits;
    let n = conn.execute(
        "UPDATE tiers SET max_users = ?2, max_clients = ?3, max_upstreams = ?4,
             max_api_keys = ?5, updated_at = ?6 WHERE name = ?1",
        params![
            t.name,
            limit(l.users),
            limit(l.clients),
            limit(l.upstreams),
            limit(l.api_keys),
            t.updated_at
        ],
    )?;
    Ok(n == 1)
}

/// The message of the refusal to delete a tier a tenant names, which
/// `db_error` turns into a conflict.
pub(crate) const IN_USE: &str = "tier in use";

/// Deletes a tier; whether it existed. One a tenant names is refused: a
/// conflict (migration 18 has no foreign key; the caller's transaction is
/// the only writer, so no assignment races this check).
pub(crate) fn delete(conn: &Connection, name: &str) -> Result<bool> {
    let in_use: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM tenants WHERE tier = ?1)",
        [name],
        |r| r.get(0),
    )?;
    if in_use {
        return Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY),
            Some(IN_USE.to_owned()),
        ));
    }
    Ok(conn.execute("DELETE FROM tiers WHERE name = ?1", [name])? == 1)
}

/// Sets the tenant's tier; whether both the tenant and the tier exist.
pub(crate) fn assign(conn: &Connection, tenant: &TenantId, tier: Option<&str>) -> Result<bool> {
    if let Some(name) = tier {
        let exists: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM tiers WHERE name = ?1)",
            [name],
            |r| r.get(0),
        )?;
        if !exists {
            return Ok(false);
        }
    }
    let n = conn.execute(
        "UPDATE tenants SET tier = ?2 WHERE id = ?1",
        params![tenant.as_str(), tier],
    )?;
    Ok(n == 1)
}

/// How many of `counted` there are.
pub(crate) fn count(conn: &Connection, counted: &OwnedCounted) -> Result<u64> {
    let n: i64 = match counted {
        OwnedCounted::Users(t) => conn
            .prepare_cached("SELECT count(*) FROM users WHERE tenant_id = ?1")?
            .query_row([t.as_str()], |r| r.get(0))?,
        // The provider's own clients are not the tenant's to count.
        OwnedCounted::Clients(t) => {
            let [a, b] = idp_core::first_party::IDS;
            conn.prepare_cached(
                "SELECT count(*) FROM clients WHERE tenant_id = ?1 AND id NOT IN (?2, ?3)",
            )?
            .query_row(params![t.as_str(), a, b], |r| r.get(0))?
        }
        OwnedCounted::Upstreams(t) => conn
            .prepare_cached("SELECT count(*) FROM upstreams WHERE tenant_id = ?1")?
            .query_row([t.as_str()], |r| r.get(0))?,
        OwnedCounted::ApiKeys(slug, now) => conn
            .prepare_cached(
                "SELECT count(*) FROM api_keys WHERE tenant = ?1 AND revoked_at IS NULL
                     AND (expires_at IS NULL OR expires_at > ?2)",
            )?
            .query_row(params![slug, now], |r| r.get(0))?,
    };
    Ok(u64::try_from(n).unwrap_or(0))
}

/// [`Counted`] with its borrowed parts copied (it moves to a blocking thread).
#[derive(Clone, Debug)]
pub(crate) enum OwnedCounted {
    Users(TenantId),
    Clients(TenantId),
    Upstreams(TenantId),
    /// Tenant slug, now.
    ApiKeys(String, i64),
}

impl From<Counted<'_>> for OwnedCounted {
    fn from(c: Counted<'_>) -> Self {
        match c {
            Counted::Users(t) => Self::Users(t.clone()),
            Counted::Clients(t) => Self::Clients(t.clone()),
            Counted::Upstreams(t) => Self::Upstreams(t.clone()),
            Counted::ApiKeys { tenant, now } => Self::ApiKeys(tenant.to_owned(), now),
        }
    }
}

impl TierStore for SqliteStore {
    async fn tiers_page(&self, after: Option<&str>, limit: usize) -> StoreResult<Vec<TierRecord>> {
        let after = after.unwrap_or("").to_owned();
        self.run(move |c| {
            c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM tiers WHERE name > ?1 ORDER BY name LIMIT ?2"
            ))?
            .query_map(params![after, limit as i64], from_row)?
            .collect()
        })
        .await
    }

    async fn tier(&self, name: &str) -> StoreResult<Option<TierRecord>> {
        let name = name.to_owned();
        self.run(move |c| {
            c.prepare_cached(&format!("SELECT {COLUMNS} FROM tiers WHERE name = ?1"))?
                .query_row([name], from_row)
                .optional()
        })
        .await
    }

    async fn tenant_tier(&self, tenant: &TenantId) -> StoreResult<Option<TierRecord>> {
        let tenant = tenant.clone();
        self.run(move |c| {
            c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM tiers WHERE name = (SELECT tier FROM tenants WHERE id = ?1)"
            ))?
            .query_row([tenant.as_str()], from_row)
            .optional()
        })
        .await
    }

    async fn count(&self, counted: Counted<'_>) -> StoreResult<u64> {
        let counted = OwnedCounted::from(counted);
        self.run(move |c| count(c, &counted)).await
    }
}
