//! Device authorizations (RFC 8628). A poll locks its row (`FOR UPDATE`)
//! before it reads and updates it, so of two concurrent polls of an
//! approved code exactly one redeems it; a decision is one conditional
//! `UPDATE`, so exactly one of racing decisions is recorded.

use crate::pushed::hash_at;
use crate::{PostgresStore, db_error, tenant_transaction};
use idp_core::clock::UnixTime;
use idp_core::crypto::secret::SecretHash;
use idp_core::ids::{ClientId, GrantId, SessionId, TenantId, UserId};
use idp_core::store::{
    DeviceCodeRecord, DeviceDecision, DeviceStatus, DeviceStore, StoreError, StoreResult,
};
use tokio_postgres::Row;

const COLUMNS: &str = "device_code_hash, user_code, grant_id, client_id, scope, status, user_id,
     session_id, auth_time, interval_secs, last_poll_at, consumed_at, created_at, expires_at";

impl DeviceStore for PostgresStore {
    async fn create_device_code(&self, tenant: &TenantId, d: &DeviceCodeRecord) -> StoreResult<()> {
        let hash: &[u8] = d.device_code_hash.as_bytes();
        self.tenant_execute(
            tenant,
            &format!(
                "INSERT INTO device_codes (tenant_id, {COLUMNS})
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
            ),
            &[
                &tenant.as_str(),
                &hash,
                &d.user_code,
                &d.grant_id.as_str(),
                &d.client_id.as_str(),
                &d.scope,
                &d.status.as_str(),
                &d.user_id.as_ref().map(UserId::as_str),
                &d.session_id.as_ref().map(SessionId::as_str),
                &d.auth_time,
                &d.interval,
                &d.last_poll_at,
                &d.consumed_at,
                &d.created_at,
                &d.expires_at,
            ],
        )
        .await?;
        Ok(())
    }

    async fn device_code_by_user_code(
        &self,
        tenant: &TenantId,
        user_code: &str,
        now: UnixTime,
    ) -> StoreResult<Option<DeviceCodeRecord>> {
        let rows = self
            .tenant_query(
                tenant,
                &format!(
                    "SELECT {COLUMNS} FROM device_codes
                     WHERE tenant_id = $1 AND user_code = $2 AND status = 'pending'
                       AND expires_at > $3"
                ),
                &[&tenant.as_str(), &user_code, &now],
            )
            .await?;
        rows.first().map(from_row).transpose()
    }

    /// An approval first takes a share lock on its session's row: a
    /// revocation under way finishes first (and the approval is refused),
    /// and one that comes later waits for this write, so it sees the
    /// device's client among the session's.
    async fn decide_device_code(
        &self,
        tenant: &TenantId,
        user_code: &str,
        decision: &DeviceDecision,
        now: UnixTime,
    ) -> StoreResult<bool> {
        let (status, user, session, auth_time) = match decision {
            DeviceDecision::Approve {
                user_id,
                session_id,
                auth_time,
            } => (
                DeviceStatus::Approved,
                Some(user_id.as_str()),
                Some(session_id.as_str()),
                Some(*auth_time),
            ),
            DeviceDecision::Deny => (DeviceStatus::Denied, None, None, None),
        };
        let mut client = self.client().await?;
        let tx = tenant_transaction(&mut client, tenant).await?;
        if let Some(session) = session {
            let lock = tx
                .prepare_cached(
                    "SELECT revoked_at IS NOT NULL FROM sessions
                     WHERE tenant_id = $1 AND id = $2 FOR SHARE",
                )
                .await
                .map_err(db_error)?;
            let revoked = tx
                .query_opt(&lock, &[&tenant.as_str(), &session])
                .await
                .map_err(db_error)?;
            if let Some(row) = revoked
                && row.try_get::<_, bool>(0).map_err(db_error)?
            {
                return Ok(false);
            }
        }
        let decide = tx
            .prepare_cached(
                "UPDATE device_codes SET status = $3, user_id = $4, session_id = $5, auth_time = $6
                 WHERE tenant_id = $1 AND user_code = $2 AND status = 'pending' AND expires_at > $7
                 RETURNING client_id",
            )
            .await
            .map_err(db_error)?;
        let decided = tx
            .query_opt(
                &decide,
                &[
                    &tenant.as_str(),
                    &user_code,
                    &status.as_str(),
                    &user,
                    &session,
                    &auth_time,
                    &now,
                ],
            )
            .await
            .map_err(db_error)?;
        let Some(decided) = decided else {
            return Ok(false);
        };
        if let Some(session) = session {
            let device_client: String = decided.try_get(0).map_err(db_error)?;
            let record = tx
                .prepare_cached(
                    "INSERT INTO session_clients (tenant_id, session_id, client_id, created_at)
                     VALUES ($1, $2, $3, $4)
                     ON CONFLICT (tenant_id, session_id, client_id) DO NOTHING",
                )
                .await
                .map_err(db_error)?;
            tx.execute(&record, &[&tenant.as_str(), &session, &device_client, &now])
                .await
                .map_err(db_error)?;
        }
        tx.commit().await.map_err(db_error)?;
        Ok(true)
    }

    /// Returns the record as it was and updates `last_poll_at` (and
    /// `consumed_at` when this poll redeems it), under the row's lock.
    async fn poll_device_code(
        &self,
        tenant: &TenantId,
        client_id: &ClientId,
        device_code: &SecretHash,
        now: UnixTime,
    ) -> StoreResult<Option<DeviceCodeRecord>> {
        let hash: &[u8] = device_code.as_bytes();
        let mut client = self.client().await?;
        let tx = tenant_transaction(&mut client, tenant).await?;
        let select = tx
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM device_codes
                 WHERE tenant_id = $1 AND device_code_hash = $2 AND client_id = $3
                 FOR UPDATE"
            ))
            .await
            .map_err(db_error)?;
        let found = tx
            .query_opt(&select, &[&tenant.as_str(), &hash, &client_id.as_str()])
            .await
            .map_err(db_error)?;
        let Some(found) = found else {
            return Ok(None);
        };
        let d = from_row(&found)?;
        let redeem =
            d.status == DeviceStatus::Approved && d.consumed_at.is_none() && d.expires_at > now;
        let update = tx
            .prepare_cached(
                "UPDATE device_codes
                 SET last_poll_at = $3, consumed_at = CASE WHEN $4 THEN $3 ELSE consumed_at END
                 WHERE tenant_id = $1 AND device_code_hash = $2",
            )
            .await
            .map_err(db_error)?;
        tx.execute(&update, &[&tenant.as_str(), &hash, &now, &redeem])
            .await
            .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        Ok(Some(d))
    }

    async fn set_device_interval(
        &self,
        tenant: &TenantId,
        device_code: &SecretHash,
        interval: i64,
    ) -> StoreResult<()> {
        let hash: &[u8] = device_code.as_bytes();
        self.tenant_execute(
            tenant,
            "UPDATE device_codes SET interval_secs = $3
             WHERE tenant_id = $1 AND device_code_hash = $2",
            &[&tenant.as_str(), &hash, &interval],
        )
        .await?;
        Ok(())
    }
}

/// A device authorization from a row of [`COLUMNS`].
fn from_row(r: &Row) -> StoreResult<DeviceCodeRecord> {
    let status: String = r.try_get(5).map_err(db_error)?;
    let status = DeviceStatus::parse(&status)
        .ok_or_else(|| StoreError::Backend(format!("unknown device status '{status}'")))?;
    Ok(DeviceCodeRecord {
        device_code_hash: hash_at(r, 0)?,
        user_code: r.try_get(1).map_err(db_error)?,
        grant_id: GrantId::new(r.try_get::<_, String>(2).map_err(db_error)?),
        client_id: ClientId::new(r.try_get::<_, String>(3).map_err(db_error)?),
        scope: r.try_get(4).map_err(db_error)?,
        status,
        user_id: r
            .try_get::<_, Option<String>>(6)
            .map_err(db_error)?
            .map(UserId::new),
        session_id: r
            .try_get::<_, Option<String>>(7)
            .map_err(db_error)?
            .map(SessionId::new),
        auth_time: r.try_get(8).map_err(db_error)?,
        interval: r.try_get(9).map_err(db_error)?,
        last_poll_at: r.try_get(10).map_err(db_error)?,
        consumed_at: r.try_get(11).map_err(db_error)?,
        created_at: r.try_get(12).map_err(db_error)?,
        expires_at: r.try_get(13).map_err(db_error)?,
    })
}
