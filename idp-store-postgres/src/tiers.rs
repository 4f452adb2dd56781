//! Tiers, a tenant's tier, the counts their limits read: [`TierStore`]
//! reads, and the tier changes [`AuditStore::apply_audited`](idp_core::store::AuditStore::apply_audited)
//! makes in the transaction it is given. Tiers are a platform table (the
//! registry scope); users and clients are counted under their tenant's
//! scope, API keys under the registry's.

use crate::admin::limit_param;
use crate::audited::done_or_missing;
use crate::{PostgresStore, db_error};
use deadpool_postgres::Transaction;
use idp_core::ids::TenantId;
use idp_core::store::{Applied, Counted, StoreError, StoreResult, TierRecord, TierStore};
use idp_core::tier::Limits;
use tokio_postgres::Row;
use tokio_postgres::error::SqlState;

const COLUMNS: &str =
    "name, max_users, max_clients, max_upstreams, max_api_keys, created_at, updated_at";

fn limit(v: Option<u64>) -> Option<i64> {
    // The core refuses limits past i64::MAX.
    v.map(|v| i64::try_from(v).unwrap_or(i64::MAX))
}

fn from_row(r: &Row) -> StoreResult<TierRecord> {
    let read = |i| -> StoreResult<Option<u64>> {
        Ok(r.try_get::<_, Option<i64>>(i)
            .map_err(db_error)?
            .map(|v| u64::try_from(v).unwrap_or(0)))
    };
    Ok(TierRecord {
        name: r.try_get(0).map_err(db_error)?,
        limits: Limits {
            users: read(1)?,
            clients: read(2)?,
            upstreams: read(3)?,
            api_keys: read(4)?,
        },
        created_at: r.try_get(5).map_err(db_error)?,
        updated_at: r.try_get(6).map_err(db_error)?,
    })
}

/// A new tier; a duplicate name is a conflict.
pub(crate) async fn create_tier_in(tx: &Transaction<'_>, t: &TierRecord) -> StoreResult<Applied> {
    let l = &t.limits;
    tx.execute(
        &format!("INSERT INTO tiers ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"),
        &[
            &t.name,
            &limit(l.users),
            &limit(l.clients),
            &limit(l.upstreams),
            &limit(l.api_keys),
            &t.created_at,
            &t.updated_at,
        ],
    )
    .await
    .map_err(db_error)?;
    Ok(Applied::Done(1))
}

/// New limits for a tier; `Missing` if there is none.
pub(crate) async fn update_tier_in(tx: &Transaction<'_>, t: &TierRecord) -> StoreResult<Applied> {
    let l = &t.limits;
    let n = tx
        .execute(
            "UPDATE tiers SET max_users = $2, max_clients = $3, max_upstreams = $4,
                 max_api_keys = $5, updated_at = $6 WHERE name = $1",
            &[
                &t.name,
                &limit(l.users),
                &limit(l.clients),
                &limit(l.upstreams),
                &limit(l.api_keys),
                &t.updated_at,
            ],
        )
        .await
        .map_err(db_error)?;
    Ok(done_or_missing(n))
}

/// Deletes a tier; `Missing` if none; a conflict (by the foreign key,
/// which also holds against a racing assignment) while a tenant names it.
pub(crate) async fn delete_tier_in(tx: &Transaction<'_>, name: &str) -> StoreResult<Applied> {
    match tx
        .execute("DELETE FROM tiers WHERE name = $1", &[&name])
        .await
    {
        Ok(n) => Ok(done_or_missing(n)),
        Err(e) if e.code() == Some(&SqlState::FOREIGN_KEY_VIOLATION) => {
            Err(StoreError::Conflict("tier".to_owned()))
        }
        Err(e) => Err(db_error(e)),
    }
}

/// Sets the tenant's tier; `Missing` if there is no such tenant or tier.
pub(crate) async fn assign_tier_in(
    tx: &Transaction<'_>,
    tenant: &TenantId,
    tier: Option<&str>,
) -> StoreResult<Applied> {
    if let Some(name) = tier {
        let row = tx
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM tiers WHERE name = $1)",
                &[&name],
            )
            .await
            .map_err(db_error)?;
        if !row.try_get::<_, bool>(0).map_err(db_error)? {
            return Ok(Applied::Missing);
        }
    }
    let n = tx
        .execute(
            "UPDATE tenants SET tier = $2 WHERE id = $1",
            &[&tenant.as_str(), &tier],
        )
        .await
        .map_err(db_error)?;
    Ok(done_or_missing(n))
}

/// The advisory lock key that serializes limited creates of `counted`'s
/// tenant: every `WithinLimit` on it takes it for its transaction.
fn lock_key(counted: &Counted<'_>) -> String {
    match counted {
        Counted::Users(t) | Counted::Clients(t) | Counted::Upstreams(t) => {
            format!("idp.limit:{}", t.as_str())
        }
        Counted::ApiKeys { tenant, .. } => format!("idp.limit.api_keys:{tenant}"),
    }
}

/// Takes the per-tenant limit lock (held until the transaction ends), then
/// counts: a racing create waits here and, READ COMMITTED taking a new
/// snapshot per statement, counts the winner's row once it committed.
pub(crate) async fn lock_and_count_in(
    tx: &Transaction<'_>,
    counted: Counted<'_>,
) -> StoreResult<u64> {
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        &[&lock_key(&counted)],
    )
    .await
    .map_err(db_error)?;
    let row = match counted {
        Counted::Users(t) => {
            tx.query_one(
                "SELECT count(*) FROM users WHERE tenant_id = $1",
                &[&t.as_str()],
            )
            .await
        }
        // The provider's own clients are not the tenant's to count.
        Counted::Clients(t) => {
            let [a, b] = idp_core::first_party::IDS;
            tx.query_one(
                "SELECT count(*) FROM clients WHERE tenant_id = $1 AND id NOT IN ($2, $3)",
                &[&t.as_str(), &a, &b],
            )
            .await
        }
        Counted::Upstreams(t) => {
            tx.query_one(
                "SELECT count(*) FROM upstreams WHERE tenant_id = $1",
                &[&t.as_str()],
            )
            .await
        }
        Counted::ApiKeys { tenant, now } => {
            tx.query_one(
                "SELECT count(*) FROM api_keys WHERE tenant = $1 AND revoked_at IS NULL
                     AND (expires_at IS NULL OR expires_at > $2)",
                &[&tenant, &now],
            )
            .await
        }
    }
    .map_err(db_error)?;
    let n: i64 = row.try_get(0).map_err(db_error)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

impl TierStore for PostgresStore {
    async fn tiers_page(&self, after: Option<&str>, limit: usize) -> StoreResult<Vec<TierRecord>> {
        let rows = self
            .registry_query(
                &format!("SELECT {COLUMNS} FROM tiers WHERE name > $1 ORDER BY name LIMIT $2"),
                &[&after.unwrap_or(""), &limit_param(limit)],
            )
            .await?;
        rows.iter().map(from_row).collect()
    }

    async fn tier(&self, name: &str) -> StoreResult<Option<TierRecord>> {
        let rows = self
            .registry_query(
                &format!("SELECT {COLUMNS} FROM tiers WHERE name = $1"),
                &[&name],
            )
            .await?;
        rows.first().map(from_row).transpose()
    }

    async fn tenant_tier(&self, tenant: &TenantId) -> StoreResult<Option<TierRecord>> {
        let rows = self
            .registry_query(
                &format!(
                    "SELECT {COLUMNS} FROM tiers
                     WHERE name = (SELECT tier FROM tenants WHERE id = $1)"
                ),
                &[&tenant.as_str()],
            )
            .await?;
        rows.first().map(from_row).transpose()
    }

    async fn count(&self, counted: Counted<'_>) -> StoreResult<u64> {
        let rows = match counted {
            Counted::Users(t) => {
                self.tenant_query(
                    t,
                    "SELECT count(*) FROM users WHERE tenant_id = $1",
                    &[&t.as_str()],
                )
                .await?
            }
            Counted::Clients(t) => {
                let [a, b] = idp_core::first_party::IDS;
                self.tenant_query(
                    t,
                    "SELECT count(*) FROM clients WHERE tenant_id = $1 AND id NOT IN ($2, $3)",
                    &[&t.as_str(), &a, &b],
                )
                .await?
            }
            Counted::Upstreams(t) => {
                self.tenant_query(
                    t,
                    "SELECT count(*) FROM upstreams WHERE tenant_id = $1",
                    &[&t.as_str()],
                )
                .await?
            }
            Counted::ApiKeys { tenant, now } => {
                self.registry_query(
                    "SELECT count(*) FROM api_keys WHERE tenant = $1 AND revoked_at IS NULL
                         AND (expires_at IS NULL OR expires_at > $2)",
                    &[&tenant, &now],
                )
                .await?
            }
        };
        let n: i64 = rows
            .first()
            .ok_or_else(|| StoreError::Backend("count returned no row".into()))?
            .try_get(0)
            .map_err(db_error)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}
