//! Back-channel logout deliveries waiting for another attempt
//! ([`DeliveryStore`]). A claim is one `UPDATE` of the rows a
//! `FOR UPDATE SKIP LOCKED` subquery picks, so racing claims never share a
//! row (nor wait for each other); finishing and rescheduling match the
//! attempt count the claim set.

use crate::{PostgresStore, db_error, tenant_transaction};
use idp_core::clock::UnixTime;
use idp_core::ids::{ClientId, SessionId, TenantId, UserId};
use idp_core::store::{DeliveryStore, PendingDelivery, StoreError, StoreResult};
use tokio_postgres::Row;

const COLUMNS: &str =
    "id, client_id, uri, session_id, user_id, attempts, created_at, next_attempt_at";

impl DeliveryStore for PostgresStore {
    /// The tenant's row is locked first, so that racing enqueues count and
    /// evict one after the other and never leave more than `limit`.
    async fn enqueue_delivery(
        &self,
        tenant: &TenantId,
        d: &PendingDelivery,
        limit: u32,
    ) -> StoreResult<Vec<PendingDelivery>> {
        let mut client = self.client().await?;
        let tx = tenant_transaction(&mut client, tenant).await?;
        let lock = tx
            .prepare_cached("SELECT 1 FROM tenants WHERE id = $1 FOR NO KEY UPDATE")
            .await
            .map_err(db_error)?;
        tx.query_opt(&lock, &[&tenant.as_str()])
            .await
            .map_err(db_error)?;
        let count = tx
            .prepare_cached("SELECT count(*) FROM logout_deliveries WHERE tenant_id = $1")
            .await
            .map_err(db_error)?;
        let waiting: i64 = tx
            .query_one(&count, &[&tenant.as_str()])
            .await
            .map_err(db_error)?
            .try_get(0)
            .map_err(db_error)?;
        let excess = waiting - i64::from(limit.max(1)) + 1;
        let mut evicted = Vec::new();
        if excess > 0 {
            let evict = tx
                .prepare_cached(&format!(
                    "DELETE FROM logout_deliveries WHERE tenant_id = $1 AND id IN (
                       SELECT id FROM logout_deliveries WHERE tenant_id = $1
                       ORDER BY created_at, id LIMIT $2)
                     RETURNING {COLUMNS}"
                ))
                .await
                .map_err(db_error)?;
            for row in tx
                .query(&evict, &[&tenant.as_str(), &excess])
                .await
                .map_err(db_error)?
            {
                evicted.push(from_row(&row)?);
            }
            evicted.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        }
        let insert = tx
            .prepare_cached(&format!(
                "INSERT INTO logout_deliveries (tenant_id, {COLUMNS})
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
            ))
            .await
            .map_err(db_error)?;
        tx.execute(
            &insert,
            &[
                &tenant.as_str(),
                &d.id,
                &d.client_id.as_str(),
                &d.uri,
                &d.session_id.as_str(),
                &d.user_id.as_str(),
                &i64::from(d.attempts),
                &d.created_at,
                &d.next_attempt_at,
            ],
        )
        .await
        .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        Ok(evicted)
    }

    /// Rows another claim holds are skipped, not waited for: they are
    /// that claim's.
    async fn claim_deliveries(
        &self,
        tenant: &TenantId,
        now: UnixTime,
        lease_until: UnixTime,
        limit: u32,
    ) -> StoreResult<Vec<PendingDelivery>> {
        let rows = self
            .tenant_query(
                tenant,
                &format!(
                    "UPDATE logout_deliveries
                     SET attempts = attempts + 1, next_attempt_at = $3
                     WHERE tenant_id = $1 AND id IN (
                       SELECT id FROM logout_deliveries
                       WHERE tenant_id = $1 AND next_attempt_at <= $2
                       ORDER BY next_attempt_at, id LIMIT $4
                       FOR UPDATE SKIP LOCKED)
                     RETURNING {COLUMNS}"
                ),
                &[&tenant.as_str(), &now, &lease_until, &i64::from(limit)],
            )
            .await?;
        let mut claimed = rows.iter().map(from_row).collect::<StoreResult<Vec<_>>>()?;
        // RETURNING gives no order: oldest first, as the port promises.
        claimed.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(claimed)
    }

    async fn reschedule_delivery(
        &self,
        tenant: &TenantId,
        id: &str,
        attempts: u32,
        next_attempt_at: UnixTime,
    ) -> StoreResult<bool> {
        let changed = self
            .tenant_execute(
                tenant,
                "UPDATE logout_deliveries SET next_attempt_at = $4
                 WHERE tenant_id = $1 AND id = $2 AND attempts = $3",
                &[
                    &tenant.as_str(),
                    &id,
                    &i64::from(attempts),
                    &next_attempt_at,
                ],
            )
            .await?;
        Ok(changed == 1)
    }

    async fn remove_delivery(
        &self,
        tenant: &TenantId,
        id: &str,
        attempts: u32,
    ) -> StoreResult<bool> {
        let changed = self
            .tenant_execute(
                tenant,
                "DELETE FROM logout_deliveries WHERE tenant_id = $1 AND id = $2 AND attempts = $3",
                &[&tenant.as_str(), &id, &i64::from(attempts)],
            )
            .await?;
        Ok(changed == 1)
    }
}

/// A delivery from a row of [`COLUMNS`].
fn from_row(r: &Row) -> StoreResult<PendingDelivery> {
    let attempts: i64 = r.try_get(5).map_err(db_error)?;
    Ok(PendingDelivery {
        id: r.try_get(0).map_err(db_error)?,
        client_id: ClientId::new(r.try_get::<_, String>(1).map_err(db_error)?),
        uri: r.try_get(2).map_err(db_error)?,
        session_id: SessionId::new(r.try_get::<_, String>(3).map_err(db_error)?),
        user_id: UserId::new(r.try_get::<_, String>(4).map_err(db_error)?),
        attempts: u32::try_from(attempts)
            .map_err(|_| StoreError::Backend(format!("a delivery has {attempts} attempts")))?,
        created_at: r.try_get(6).map_err(db_error)?,
        next_attempt_at: r.try_get(7).map_err(db_error)?,
    })
}
