//! Device authorizations (RFC 8628). A poll reads and updates its row in one
//! `BEGIN IMMEDIATE` transaction, so that of two concurrent polls of an
//! approved code exactly one redeems it.

use crate::codec::Hash;
use idp_core::clock::UnixTime;
use idp_core::crypto::secret::SecretHash;
use idp_core::ids::{ClientId, GrantId, SessionId, TenantId, UserId};
use idp_core::store::{DeviceCodeRecord, DeviceDecision, DeviceStatus};
use rusqlite::types::FromSqlError;
use rusqlite::{Connection, OptionalExtension, Result, Row, TransactionBehavior, params};

const COLUMNS: &str = "device_code_hash, user_code, grant_id, client_id, scope, status, user_id,
     session_id, auth_time, interval_secs, last_poll_at, consumed_at, created_at, expires_at";

/// Stores a new device authorization.
pub(crate) fn create(conn: &Connection, tenant: &TenantId, d: &DeviceCodeRecord) -> Result<()> {
    conn.execute(
        &format!(
            "INSERT INTO device_codes (tenant_id, {COLUMNS})
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
        ),
        params![
            tenant.as_str(),
            d.device_code_hash.as_bytes(),
            d.user_code,
            d.grant_id.as_str(),
            d.client_id.as_str(),
            d.scope,
            d.status.as_str(),
            d.user_id.as_ref().map(UserId::as_str),
            d.session_id.as_ref().map(SessionId::as_str),
            d.auth_time,
            d.interval,
            d.last_poll_at,
            d.consumed_at,
            d.created_at,
            d.expires_at,
        ],
    )?;
    Ok(())
}

/// A pending, unexpired authorization by user code.
pub(crate) fn by_user_code(
    conn: &Connection,
    tenant: &TenantId,
    user_code: &str,
    now: UnixTime,
) -> Result<Option<DeviceCodeRecord>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM device_codes
         WHERE tenant_id = ?1 AND user_code = ?2 AND status = 'pending' AND expires_at > ?3"
    ))?
    .query_row(params![tenant.as_str(), user_code, now], from_row)
    .optional()
}

/// Records a decision on a pending, unexpired authorization; an approval
/// only if its session was not revoked, and with the device's client
/// recorded in that session (`session_clients`), in one transaction.
pub(crate) fn decide(
    conn: &mut Connection,
    tenant: &TenantId,
    user_code: &str,
    decision: &DeviceDecision,
    now: UnixTime,
) -> Result<bool> {
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
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let changed = tx.execute(
        "UPDATE device_codes SET status = ?3, user_id = ?4, session_id = ?5, auth_time = ?6
         WHERE tenant_id = ?1 AND user_code = ?2 AND status = 'pending' AND expires_at > ?7
           AND NOT EXISTS (SELECT 1 FROM sessions
                           WHERE tenant_id = ?1 AND id = ?5 AND revoked_at IS NOT NULL)",
        params![
            tenant.as_str(),
            user_code,
            status.as_str(),
            user,
            session,
            auth_time,
            now
        ],
    )?;
    if changed == 1 && session.is_some() {
        tx.execute(
            "INSERT INTO session_clients (tenant_id, session_id, client_id, created_at)
             SELECT ?1, ?3, client_id, ?4 FROM device_codes
             WHERE tenant_id = ?1 AND user_code = ?2
             ON CONFLICT (tenant_id, session_id, client_id) DO NOTHING",
            params![tenant.as_str(), user_code, session, now],
        )?;
    }
    tx.commit()?;
    Ok(changed == 1)
}

/// Returns the record as it was and updates `last_poll_at` (and
/// `consumed_at` when it is redeemed by this poll).
pub(crate) fn poll(
    conn: &mut Connection,
    tenant: &TenantId,
    client: &ClientId,
    hash: &SecretHash,
    now: UnixTime,
) -> Result<Option<DeviceCodeRecord>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found = tx
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM device_codes
             WHERE tenant_id = ?1 AND device_code_hash = ?2 AND client_id = ?3"
        ))?
        .query_row(
            params![tenant.as_str(), hash.as_bytes(), client.as_str()],
            from_row,
        )
        .optional()?;
    if let Some(d) = &found {
        let redeem =
            d.status == DeviceStatus::Approved && d.consumed_at.is_none() && d.expires_at > now;
        tx.prepare_cached(
            "UPDATE device_codes
             SET last_poll_at = ?3, consumed_at = CASE WHEN ?4 THEN ?3 ELSE consumed_at END
             WHERE tenant_id = ?1 AND device_code_hash = ?2",
        )?
        .execute(params![tenant.as_str(), hash.as_bytes(), now, redeem])?;
    }
    tx.commit()?;
    Ok(found)
}

/// Sets the polling interval.
pub(crate) fn set_interval(
    conn: &Connection,
    tenant: &TenantId,
    hash: &SecretHash,
    interval: i64,
) -> Result<()> {
    conn.execute(
        "UPDATE device_codes SET interval_secs = ?3
         WHERE tenant_id = ?1 AND device_code_hash = ?2",
        params![tenant.as_str(), hash.as_bytes(), interval],
    )?;
    Ok(())
}

fn from_row(r: &Row<'_>) -> Result<DeviceCodeRecord> {
    let status: String = r.get(5)?;
    let status = DeviceStatus::parse(&status).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            5,
            rusqlite::types::Type::Text,
            Box::new(FromSqlError::Other(
                format!("unknown device status '{status}'").into(),
            )),
        )
    })?;
    Ok(DeviceCodeRecord {
        device_code_hash: r.get::<_, Hash>(0)?.0,
        user_code: r.get(1)?,
        grant_id: GrantId::new(r.get::<_, String>(2)?),
        client_id: ClientId::new(r.get::<_, String>(3)?),
        scope: r.get(4)?,
        status,
        user_id: r.get::<_, Option<String>>(6)?.map(UserId::new),
        session_id: r.get::<_, Option<String>>(7)?.map(SessionId::new),
        auth_time: r.get(8)?,
        interval: r.get(9)?,
        last_poll_at: r.get(10)?,
        consumed_at: r.get(11)?,
        created_at: r.get(12)?,
        expires_at: r.get(13)?,
    })
}
