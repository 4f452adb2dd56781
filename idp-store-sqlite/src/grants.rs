//! Authorization codes and refresh tokens, the race-sensitive part of the
//! store: consuming a code and rotating a refresh token each run in one
//! `BEGIN IMMEDIATE` transaction, so that of two concurrent uses exactly one
//! wins.

use crate::codec::Hash;
use idp_core::clock::UnixTime;
use idp_core::crypto::secret::SecretHash;
use idp_core::ids::{ClientId, GrantId, SessionId, TenantId, UserId};
use idp_core::store::{CodeRecord, RefreshTokenRecord, Rotation, TakenCode};
use rusqlite::{Connection, OptionalExtension, Result, Row, TransactionBehavior, params};

/// Stores an authorization code, not yet consumed, unless its session was
/// revoked meanwhile (the revocation raced the authorization request): then
/// nothing is stored and redeeming the code finds nothing. One statement,
/// so no revocation slips between the check and the insert.
pub(crate) fn create_code(conn: &Connection, tenant: &TenantId, c: &CodeRecord) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO codes
           (tenant_id, code_hash, grant_id, client_id, user_id, session_id, redirect_uri,
            scope, nonce, code_challenge, auth_time, expires_at, claims, resource, amr)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15
         WHERE NOT EXISTS (SELECT 1 FROM sessions
                           WHERE tenant_id = ?1 AND id = ?6 AND revoked_at IS NOT NULL)",
    )?
    .execute(params![
        tenant.as_str(),
        c.code_hash.as_bytes(),
        c.grant_id.as_str(),
        c.client_id.as_str(),
        c.user_id.as_str(),
        c.session_id.as_str(),
        c.redirect_uri,
        c.scope,
        c.nonce,
        c.code_challenge,
        c.auth_time,
        c.expires_at,
        c.claims,
        c.resource,
        c.amr,
    ])?;
    Ok(())
}

/// Marks a code consumed and returns it (`Fresh`), or returns it as
/// `AlreadyUsed`, or `Unknown`. Expiry is the core's check, not this one's.
pub(crate) fn take_code(
    conn: &mut Connection,
    tenant: &TenantId,
    hash: &SecretHash,
    now: UnixTime,
) -> Result<TakenCode> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found = tx
        .prepare_cached(
            "SELECT code_hash, grant_id, client_id, user_id, session_id, redirect_uri, scope,
                    nonce, code_challenge, auth_time, expires_at, consumed_at, claims, resource, amr
             FROM codes WHERE tenant_id = ?1 AND code_hash = ?2",
        )?
        .query_row(params![tenant.as_str(), hash.as_bytes()], |r| {
            Ok((code_from_row(r)?, r.get::<_, Option<UnixTime>>(11)?))
        })
        .optional()?;
    let taken = match found {
        None => TakenCode::Unknown,
        Some((code, Some(_consumed_at))) => TakenCode::AlreadyUsed(code),
        Some((code, None)) => {
            tx.prepare_cached(
                "UPDATE codes SET consumed_at = ?3
                 WHERE tenant_id = ?1 AND code_hash = ?2",
            )?
            .execute(params![tenant.as_str(), hash.as_bytes(), now])?;
            TakenCode::Fresh(code)
        }
    };
    tx.commit()?;
    Ok(taken)
}

fn code_from_row(r: &Row<'_>) -> Result<CodeRecord> {
    Ok(CodeRecord {
        code_hash: r.get::<_, Hash>(0)?.0,
        grant_id: GrantId::new(r.get::<_, String>(1)?),
        client_id: ClientId::new(r.get::<_, String>(2)?),
        user_id: UserId::new(r.get::<_, String>(3)?),
        session_id: SessionId::new(r.get::<_, String>(4)?),
        redirect_uri: r.get(5)?,
        scope: r.get(6)?,
        nonce: r.get(7)?,
        code_challenge: r.get(8)?,
        auth_time: r.get(9)?,
        expires_at: r.get(10)?,
        claims: r.get(12)?,
        resource: r.get(13)?,
        amr: r.get(14)?,
    })
}

/// Stores a refresh token as given (normally live: not consumed, not
/// revoked), but revoked if its grant or its session was revoked meanwhile
/// (the revocation raced the request that issued it). One statement, so no
/// revocation slips between the check and the insert.
pub(crate) fn create_refresh_token(
    conn: &Connection,
    tenant: &TenantId,
    t: &RefreshTokenRecord,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO refresh_tokens
           (tenant_id, token_hash, grant_id, client_id, user_id, session_id, scope,
            auth_time, issued_at, expires_at, consumed_at, revoked, claims, resource, amr)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,
                 ?12
                 OR EXISTS (SELECT 1 FROM revoked_grants WHERE tenant_id = ?1 AND grant_id = ?3)
                 OR EXISTS (SELECT 1 FROM sessions
                            WHERE tenant_id = ?1 AND id = ?6 AND revoked_at IS NOT NULL),
                 ?13, ?14, ?15)",
    )?
    .execute(params![
        tenant.as_str(),
        t.token_hash.as_bytes(),
        t.grant_id.as_str(),
        t.client_id.as_str(),
        t.user_id.as_str(),
        t.session_id.as_str(),
        t.scope,
        t.auth_time,
        t.issued_at,
        t.expires_at,
        t.consumed_at,
        t.revoked,
        t.claims,
        t.resource,
        t.amr,
    ])?;
    Ok(())
}

/// A refresh token by hash, consumed or not.
pub(crate) fn refresh_token(
    conn: &Connection,
    tenant: &TenantId,
    hash: &SecretHash,
) -> Result<Option<RefreshTokenRecord>> {
    conn.prepare_cached(
        "SELECT token_hash, grant_id, client_id, user_id, session_id, scope,
                auth_time, issued_at, expires_at, consumed_at, revoked, claims, resource, amr
         FROM refresh_tokens WHERE tenant_id = ?1 AND token_hash = ?2",
    )?
    .query_row(params![tenant.as_str(), hash.as_bytes()], |r| {
        Ok(RefreshTokenRecord {
            token_hash: r.get::<_, Hash>(0)?.0,
            grant_id: GrantId::new(r.get::<_, String>(1)?),
            client_id: ClientId::new(r.get::<_, String>(2)?),
            user_id: UserId::new(r.get::<_, String>(3)?),
            session_id: SessionId::new(r.get::<_, String>(4)?),
            scope: r.get(5)?,
            auth_time: r.get(6)?,
            issued_at: r.get(7)?,
            expires_at: r.get(8)?,
            consumed_at: r.get(9)?,
            revoked: r.get(10)?,
            claims: r.get(11)?,
            resource: r.get(12)?,
            amr: r.get(13)?,
        })
    })
    .optional()
}

/// If `old` is live (neither consumed nor revoked), consumes it at `now` and
/// stores `new`; otherwise (also when `old` does not exist) changes nothing.
pub(crate) fn rotate_refresh_token(
    conn: &mut Connection,
    tenant: &TenantId,
    old: &SecretHash,
    new: &RefreshTokenRecord,
    now: UnixTime,
) -> Result<Rotation> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let consumed = tx
        .prepare_cached(
            "UPDATE refresh_tokens SET consumed_at = ?3
             WHERE tenant_id = ?1 AND token_hash = ?2 AND consumed_at IS NULL AND revoked = 0",
        )?
        .execute(params![tenant.as_str(), old.as_bytes(), now])?;
    if consumed != 1 {
        // Dropping the transaction rolls it back; nothing was changed anyway.
        return Ok(Rotation::Reused);
    }
    create_refresh_token(&tx, tenant, new)?;
    tx.commit()?;
    Ok(Rotation::Rotated)
}

/// Revokes every refresh token of the grant, and records the grant as
/// revoked until `keep_until` for its access tokens.
pub(crate) fn revoke_grant(
    conn: &mut Connection,
    tenant: &TenantId,
    grant: &GrantId,
    keep_until: UnixTime,
) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute(
        "UPDATE refresh_tokens SET revoked = 1 WHERE tenant_id = ?1 AND grant_id = ?2",
        params![tenant.as_str(), grant.as_str()],
    )?;
    tx.execute(
        "INSERT INTO revoked_grants (tenant_id, grant_id, keep_until) VALUES (?1, ?2, ?3)
         ON CONFLICT (tenant_id, grant_id) DO UPDATE
         SET keep_until = max(keep_until, excluded.keep_until)",
        params![tenant.as_str(), grant.as_str(), keep_until],
    )?;
    tx.commit()
}

/// Records an access token's revocation.
pub(crate) fn revoke_access_token(
    conn: &Connection,
    tenant: &TenantId,
    jti: &str,
    keep_until: UnixTime,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO revoked_access_tokens (tenant_id, jti, keep_until)
         VALUES (?1, ?2, ?3)",
    )?
    .execute(params![tenant.as_str(), jti, keep_until])?;
    Ok(())
}

/// Whether the token, its grant or its session was revoked: one query.
pub(crate) fn access_token_revoked(
    conn: &Connection,
    tenant: &TenantId,
    jti: &str,
    grant: Option<&str>,
    session: Option<&str>,
) -> Result<bool> {
    conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM revoked_access_tokens WHERE tenant_id = ?1 AND jti = ?2)
             OR EXISTS (SELECT 1 FROM revoked_grants WHERE tenant_id = ?1 AND grant_id = ?3)
             OR EXISTS (SELECT 1 FROM sessions
                        WHERE tenant_id = ?1 AND id = ?4 AND revoked_at IS NOT NULL)",
    )?
    .query_row(params![tenant.as_str(), jti, grant, session], |r| r.get(0))
}

/// Records a client assertion's `jti`; `false` if it was there already.
pub(crate) fn use_client_assertion(
    conn: &Connection,
    tenant: &TenantId,
    client: &ClientId,
    jti: &str,
    expires_at: UnixTime,
) -> Result<bool> {
    let inserted = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO client_assertions (tenant_id, client_id, jti, expires_at)
             VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![tenant.as_str(), client.as_str(), jti, expires_at])?;
    Ok(inserted == 1)
}
