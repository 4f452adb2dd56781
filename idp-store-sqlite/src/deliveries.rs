//! Back-channel logout deliveries waiting for another attempt
//! ([`DeliveryStore`](idp_core::store::DeliveryStore)). A claim is one
//! `UPDATE … RETURNING`, so racing claims never share a row; finishing and
//! rescheduling match the attempt count the claim set.

use idp_core::clock::UnixTime;
use idp_core::ids::{ClientId, SessionId, TenantId, UserId};
use idp_core::store::PendingDelivery;
use rusqlite::{Connection, Result, Row, TransactionBehavior, params};

const COLUMNS: &str =
    "id, client_id, uri, session_id, user_id, attempts, created_at, next_attempt_at";

/// Inserts `d`, first deleting the tenant's oldest deliveries so that at
/// most `limit` remain with it; returns those deleted.
pub(crate) fn enqueue(
    conn: &mut Connection,
    tenant: &TenantId,
    d: &PendingDelivery,
    limit: u32,
) -> Result<Vec<PendingDelivery>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let waiting: i64 = tx
        .prepare_cached("SELECT count(*) FROM logout_deliveries WHERE tenant_id = ?1")?
        .query_row(params![tenant.as_str()], |r| r.get(0))?;
    let excess = waiting - i64::from(limit.max(1)) + 1;
    let evicted = if excess > 0 {
        tx.prepare_cached(&format!(
            "DELETE FROM logout_deliveries WHERE tenant_id = ?1 AND id IN (
               SELECT id FROM logout_deliveries WHERE tenant_id = ?1
               ORDER BY created_at, id LIMIT ?2)
             RETURNING {COLUMNS}"
        ))?
        .query_map(params![tenant.as_str(), excess], from_row)?
        .collect::<Result<Vec<_>>>()?
    } else {
        Vec::new()
    };
    tx.prepare_cached(&format!(
        "INSERT INTO logout_deliveries (tenant_id, {COLUMNS})
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
    ))?
    .execute(params![
        tenant.as_str(),
        d.id,
        d.client_id.as_str(),
        d.uri,
        d.session_id.as_str(),
        d.user_id.as_str(),
        d.attempts,
        d.created_at,
        d.next_attempt_at,
    ])?;
    tx.commit()?;
    Ok(evicted)
}

/// Claims up to `limit` due deliveries: one more attempt each, and the next
/// attempt moved to `lease_until`; returned as updated, oldest first.
pub(crate) fn claim(
    conn: &Connection,
    tenant: &TenantId,
    now: UnixTime,
    lease_until: UnixTime,
    limit: u32,
) -> Result<Vec<PendingDelivery>> {
    // A read first: the job asks every tenant every run, and an UPDATE
    // takes the write lock even when it matches nothing. The UPDATE alone
    // decides who gets what.
    let due: bool = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM logout_deliveries
                            WHERE tenant_id = ?1 AND next_attempt_at <= ?2)",
        )?
        .query_row(params![tenant.as_str(), now], |r| r.get(0))?;
    if !due {
        return Ok(Vec::new());
    }
    // RETURNING gives no order: oldest first, as the port promises.
    let mut claimed = conn
        .prepare_cached(&format!(
            "UPDATE logout_deliveries
             SET attempts = attempts + 1, next_attempt_at = ?3
             WHERE tenant_id = ?1 AND id IN (
               SELECT id FROM logout_deliveries
               WHERE tenant_id = ?1 AND next_attempt_at <= ?2
               ORDER BY next_attempt_at, id LIMIT ?4)
             RETURNING {COLUMNS}"
        ))?
        .query_map(params![tenant.as_str(), now, lease_until, limit], from_row)?
        .collect::<Result<Vec<_>>>()?;
    claimed.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    Ok(claimed)
}

/// Sets the next attempt of a delivery still at `attempts`.
pub(crate) fn reschedule(
    conn: &Connection,
    tenant: &TenantId,
    id: &str,
    attempts: u32,
    next_attempt_at: UnixTime,
) -> Result<bool> {
    let changed = conn
        .prepare_cached(
            "UPDATE logout_deliveries SET next_attempt_at = ?4
             WHERE tenant_id = ?1 AND id = ?2 AND attempts = ?3",
        )?
        .execute(params![tenant.as_str(), id, attempts, next_attempt_at])?;
    Ok(changed == 1)
}

/// Deletes a delivery still at `attempts`.
pub(crate) fn remove(
    conn: &Connection,
    tenant: &TenantId,
    id: &str,
    attempts: u32,
) -> Result<bool> {
    let changed = conn
        .prepare_cached(
            "DELETE FROM logout_deliveries WHERE tenant_id = ?1 AND id = ?2 AND attempts = ?3",
        )?
        .execute(params![tenant.as_str(), id, attempts])?;
    Ok(changed == 1)
}

fn from_row(r: &Row<'_>) -> Result<PendingDelivery> {
    Ok(PendingDelivery {
        id: r.get(0)?,
        client_id: ClientId::new(r.get::<_, String>(1)?),
        uri: r.get(2)?,
        session_id: SessionId::new(r.get::<_, String>(3)?),
        user_id: UserId::new(r.get::<_, String>(4)?),
        attempts: r.get(5)?,
        created_at: r.get(6)?,
        next_attempt_at: r.get(7)?,
    })
}
