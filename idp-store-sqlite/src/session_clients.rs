//! Which clients took part in a login session (a code was issued to them in
//! it), for front- and back-channel logout.

use crate::clients;
use idp_core::clock::UnixTime;
use idp_core::ids::{ClientId, SessionId, TenantId};
use idp_core::store::ClientRecord;
use rusqlite::{Connection, Result, TransactionBehavior, params};

/// Records (session, client); recording it again changes nothing.
pub(crate) fn add(
    conn: &Connection,
    tenant: &TenantId,
    session: &SessionId,
    client: &ClientId,
    now: UnixTime,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO session_clients (tenant_id, session_id, client_id, created_at)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (tenant_id, session_id, client_id) DO NOTHING",
    )?
    .execute(params![
        tenant.as_str(),
        session.as_str(),
        client.as_str(),
        now
    ])?;
    Ok(())
}

/// The session's clients that still exist, first recorded first; every row
/// of the session is deleted in the same transaction.
pub(crate) fn take(
    conn: &mut Connection,
    tenant: &TenantId,
    session: &SessionId,
) -> Result<Vec<ClientRecord>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let taken = tx
        .prepare_cached(&format!(
            "SELECT {} FROM session_clients s
             JOIN clients c ON c.tenant_id = s.tenant_id AND c.id = s.client_id
             WHERE s.tenant_id = ?1 AND s.session_id = ?2
             ORDER BY s.created_at, s.client_id",
            clients::COLUMNS
        ))?
        .query_map(
            params![tenant.as_str(), session.as_str()],
            clients::from_row,
        )?
        .collect::<Result<Vec<_>>>()?;
    tx.execute(
        "DELETE FROM session_clients WHERE tenant_id = ?1 AND session_id = ?2",
        params![tenant.as_str(), session.as_str()],
    )?;
    tx.commit()?;
    Ok(taken)
}
