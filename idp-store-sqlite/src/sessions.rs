//! Login sessions, pending interactions and consent.

use crate::codec::Hash;
use idp_core::clock::UnixTime;
use idp_core::crypto::secret::SecretHash;
use idp_core::ids::{ClientId, SessionId, TenantId, UserId};
use idp_core::store::{ConsentRecord, InteractionRecord, SessionRecord};
use rusqlite::{Connection, OptionalExtension, Result, Row, params};

const SESSION_COLUMNS: &str = "id, secret_hash, user_id, auth_time, created_at, expires_at, amr";

/// Stores a new session.
pub(crate) fn create_session(
    conn: &Connection,
    tenant: &TenantId,
    s: &SessionRecord,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO sessions
           (tenant_id, id, secret_hash, user_id, auth_time, created_at, expires_at, amr)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        tenant.as_str(),
        s.id.as_str(),
        s.secret_hash.as_bytes(),
        s.user_id.as_str(),
        s.auth_time,
        s.created_at,
        s.expires_at,
        s.amr,
    ])?;
    Ok(())
}

/// A session by the hash of its cookie, if it expires after `now`.
pub(crate) fn session_by_secret(
    conn: &Connection,
    tenant: &TenantId,
    secret: &SecretHash,
    now: UnixTime,
) -> Result<Option<SessionRecord>> {
    conn.prepare_cached(&format!(
        "SELECT {SESSION_COLUMNS} FROM sessions
         WHERE tenant_id = ?1 AND secret_hash = ?2 AND expires_at > ?3 AND ended_at IS NULL"
    ))?
    .query_row(
        params![tenant.as_str(), secret.as_bytes(), now],
        session_from_row,
    )
    .optional()
}

/// A session by its public id, if it expires after `now`.
pub(crate) fn session(
    conn: &Connection,
    tenant: &TenantId,
    id: &SessionId,
    now: UnixTime,
) -> Result<Option<SessionRecord>> {
    conn.prepare_cached(&format!(
        "SELECT {SESSION_COLUMNS} FROM sessions
         WHERE tenant_id = ?1 AND id = ?2 AND expires_at > ?3 AND ended_at IS NULL"
    ))?
    .query_row(params![tenant.as_str(), id.as_str(), now], session_from_row)
    .optional()
}

/// Sets a session's `auth_time`; a missing session is left alone.
pub(crate) fn touch_auth(
    conn: &Connection,
    tenant: &TenantId,
    id: &SessionId,
    auth_time: UnixTime,
) -> Result<()> {
    conn.prepare_cached("UPDATE sessions SET auth_time = ?3 WHERE tenant_id = ?1 AND id = ?2")?
        .execute(params![tenant.as_str(), id.as_str(), auth_time])?;
    Ok(())
}

/// A user's live sessions, newest first.
pub(crate) fn user_sessions(
    conn: &Connection,
    tenant: &TenantId,
    user: &UserId,
    now: UnixTime,
) -> Result<Vec<SessionRecord>> {
    conn.prepare_cached(&format!(
        "SELECT {SESSION_COLUMNS} FROM sessions
         WHERE tenant_id = ?1 AND user_id = ?2 AND expires_at > ?3 AND ended_at IS NULL
         ORDER BY created_at DESC, id"
    ))?
    .query_map(
        params![tenant.as_str(), user.as_str(), now],
        session_from_row,
    )?
    .collect()
}

/// Ends a session (logout); an ended session is left as it was.
pub(crate) fn end_session(
    conn: &Connection,
    tenant: &TenantId,
    id: &SessionId,
    now: UnixTime,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE sessions SET ended_at = ?3
         WHERE tenant_id = ?1 AND id = ?2 AND ended_at IS NULL",
    )?
    .execute(params![tenant.as_str(), id.as_str(), now])?;
    Ok(())
}

/// Revokes a live session, its refresh tokens, its unredeemed codes and its
/// approved, unredeemed device codes in one transaction.
pub(crate) fn revoke_session(
    conn: &mut Connection,
    tenant: &TenantId,
    id: &SessionId,
    now: UnixTime,
) -> Result<bool> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let revoked = revoke_session_in(&tx, tenant, id, now)?;
    tx.commit()?;
    Ok(revoked)
}

/// [`revoke_session`] inside the caller's transaction: whether a live
/// session was revoked (what it authorized is ended either way).
pub(crate) fn revoke_session_in(
    conn: &Connection,
    tenant: &TenantId,
    id: &SessionId,
    now: UnixTime,
) -> Result<bool> {
    let changed = conn.execute(
        "UPDATE sessions SET revoked_at = ?3, ended_at = coalesce(ended_at, ?3)
         WHERE tenant_id = ?1 AND id = ?2 AND revoked_at IS NULL AND expires_at > ?3",
        params![tenant.as_str(), id.as_str(), now],
    )?;
    conn.execute(
        "UPDATE refresh_tokens SET revoked = 1 WHERE tenant_id = ?1 AND session_id = ?2",
        params![tenant.as_str(), id.as_str()],
    )?;
    // What the session authorized but no client has redeemed yet goes too:
    // a code redeemed later would mint tokens outside the revocation record
    // once the purge drops it, and an approved device would get tokens.
    conn.execute(
        "DELETE FROM codes WHERE tenant_id = ?1 AND session_id = ?2 AND consumed_at IS NULL",
        params![tenant.as_str(), id.as_str()],
    )?;
    conn.execute(
        "UPDATE device_codes SET status = 'denied'
         WHERE tenant_id = ?1 AND session_id = ?2 AND status = 'approved' AND consumed_at IS NULL",
        params![tenant.as_str(), id.as_str()],
    )?;
    Ok(changed == 1)
}

fn session_from_row(r: &Row<'_>) -> Result<SessionRecord> {
    Ok(SessionRecord {
        id: SessionId::new(r.get::<_, String>(0)?),
        secret_hash: r.get::<_, Hash>(1)?.0,
        user_id: UserId::new(r.get::<_, String>(2)?),
        auth_time: r.get(3)?,
        created_at: r.get(4)?,
        expires_at: r.get(5)?,
        amr: r.get(6)?,
    })
}

/// Stores a pending interaction.
pub(crate) fn create_interaction(
    conn: &Connection,
    tenant: &TenantId,
    i: &InteractionRecord,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO interactions
           (tenant_id, id_hash, request_json, session_id, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        tenant.as_str(),
        i.id_hash.as_bytes(),
        i.request_json,
        i.session_id.as_ref().map(SessionId::as_str),
        i.created_at,
        i.expires_at,
    ])?;
    Ok(())
}

/// An interaction by the hash of its id, if it expires after `now`.
pub(crate) fn interaction(
    conn: &Connection,
    tenant: &TenantId,
    id: &SecretHash,
    now: UnixTime,
) -> Result<Option<InteractionRecord>> {
    conn.prepare_cached(
        "SELECT id_hash, request_json, session_id, created_at, expires_at
         FROM interactions
         WHERE tenant_id = ?1 AND id_hash = ?2 AND expires_at > ?3",
    )?
    .query_row(params![tenant.as_str(), id.as_bytes(), now], |r| {
        Ok(InteractionRecord {
            id_hash: r.get::<_, Hash>(0)?.0,
            request_json: r.get(1)?,
            session_id: r.get::<_, Option<String>>(2)?.map(SessionId::new),
            created_at: r.get(3)?,
            expires_at: r.get(4)?,
        })
    })
    .optional()
}

/// Binds a session to an interaction; a missing interaction is left alone.
pub(crate) fn set_interaction_session(
    conn: &Connection,
    tenant: &TenantId,
    id: &SecretHash,
    session: &SessionId,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE interactions SET session_id = ?3 WHERE tenant_id = ?1 AND id_hash = ?2",
    )?
    .execute(params![tenant.as_str(), id.as_bytes(), session.as_str()])?;
    Ok(())
}

/// Moves an interaction's expiry; a missing interaction is left alone.
pub(crate) fn extend_interaction(
    conn: &Connection,
    tenant: &TenantId,
    id: &SecretHash,
    expires_at: UnixTime,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE interactions SET expires_at = ?3 WHERE tenant_id = ?1 AND id_hash = ?2",
    )?
    .execute(params![tenant.as_str(), id.as_bytes(), expires_at])?;
    Ok(())
}

/// Deletes an interaction (idempotent).
pub(crate) fn delete_interaction(
    conn: &Connection,
    tenant: &TenantId,
    id: &SecretHash,
) -> Result<()> {
    conn.prepare_cached("DELETE FROM interactions WHERE tenant_id = ?1 AND id_hash = ?2")?
        .execute(params![tenant.as_str(), id.as_bytes()])?;
    Ok(())
}

/// The consent a user gave a client.
pub(crate) fn consent(
    conn: &Connection,
    tenant: &TenantId,
    user: &UserId,
    client: &ClientId,
) -> Result<Option<ConsentRecord>> {
    conn.prepare_cached(
        "SELECT user_id, client_id, scope, updated_at FROM consents
         WHERE tenant_id = ?1 AND user_id = ?2 AND client_id = ?3",
    )?
    .query_row([tenant.as_str(), user.as_str(), client.as_str()], |r| {
        Ok(ConsentRecord {
            user_id: UserId::new(r.get::<_, String>(0)?),
            client_id: ClientId::new(r.get::<_, String>(1)?),
            scope: r.get(2)?,
            updated_at: r.get(3)?,
        })
    })
    .optional()
}

/// Creates or replaces the consent of (tenant, user, client).
pub(crate) fn save_consent(conn: &Connection, tenant: &TenantId, c: &ConsentRecord) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO consents (tenant_id, user_id, client_id, scope, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (tenant_id, user_id, client_id)
         DO UPDATE SET scope = excluded.scope, updated_at = excluded.updated_at",
    )?
    .execute(params![
        tenant.as_str(),
        c.user_id.as_str(),
        c.client_id.as_str(),
        c.scope,
        c.updated_at,
    ])?;
    Ok(())
}
