//! Authorization codes and refresh tokens, the race-sensitive part of the
//! store. Taking a code and rotating a token are each one conditional
//! statement (`… WHERE consumed_at IS NULL`): of racing uses, the first
//! locks the row, the others wait and then find it consumed. Writes for a
//! session share-lock it first (lock order in `sessions`), so they and a
//! revocation of the session never miss each other.

use crate::scoped::locked_write;
use crate::sessions::{SHARE_SESSION, hash_at};
use crate::{PostgresStore, db_error};
use idp_core::clock::UnixTime;
use idp_core::crypto::secret::SecretHash;
use idp_core::ids::{ClientId, GrantId, SessionId, TenantId, UserId};
use idp_core::store::{
    CodeRecord, GrantStore, RefreshTokenRecord, Rotation, StoreResult, TakenCode,
};
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

const CODE_COLUMNS: &str = "code_hash, grant_id, client_id, user_id, session_id, redirect_uri,
    scope, nonce, code_challenge, auth_time, expires_at, claims, resource, amr";

const TOKEN_COLUMNS: &str = "token_hash, grant_id, client_id, user_id, session_id, scope,
    auth_time, issued_at, expires_at, consumed_at, revoked, claims, resource, amr";

/// Stores a refresh token ($1 tenant, $2 … $15 as [`TokenParams::list`]) from
/// the rows of `source`; revoked if its grant or its session was revoked.
fn insert_token(source: &str) -> String {
    format!(
        "INSERT INTO refresh_tokens
           (tenant_id, token_hash, grant_id, client_id, user_id, session_id, scope,
            auth_time, issued_at, expires_at, consumed_at, revoked, claims, resource, amr)
         SELECT $1::text, $2::bytea, $3::text, $4::text, $5::text, $6::text, $7::text,
                $8::bigint, $9::bigint, $10::bigint, $11::bigint,
                $12::boolean
                OR EXISTS (SELECT 1 FROM revoked_grants WHERE tenant_id = $1 AND grant_id = $3)
                OR EXISTS (SELECT 1 FROM sessions
                           WHERE tenant_id = $1 AND id = $6 AND revoked_at IS NOT NULL),
                $13::text, $14::text, $15::text
         {source}"
    )
}

/// Share-locks the session ($1 tenant, $2 session), then takes the grant's
/// ($3) advisory lock in shared mode: a refresh token is written while no
/// revocation of its grant is under way, and a revocation that starts
/// later waits for the write and then sees the token
/// ([`REVOKING_GRANT`](crate::revocations::REVOKING_GRANT)). Without it a
/// token written while a reused code revokes its grant could be stored
/// live: neither transaction would see the other's uncommitted row.
const SHARE_SESSION_AND_GRANT: &str =
    "WITH session AS (SELECT 1 FROM sessions WHERE tenant_id = $1 AND id = $2 FOR SHARE)
     SELECT (SELECT count(*) FROM session),
            pg_advisory_xact_lock_shared(hashtextextended($1 || ' ' || $3, 0))";

impl GrantStore for PostgresStore {
    /// The session is share-locked, then the code stored (unless the
    /// session was revoked) and its client recorded in one statement: a
    /// code that cannot be stored records no client.
    async fn create_code(
        &self,
        tenant: &TenantId,
        c: &CodeRecord,
        now: UnixTime,
    ) -> StoreResult<()> {
        locked_write(
            self,
            tenant,
            SHARE_SESSION,
            &[&tenant.as_str(), &c.session_id.as_str()],
            "WITH code AS (
                   INSERT INTO codes
                     (tenant_id, code_hash, grant_id, client_id, user_id, session_id, redirect_uri,
                      scope, nonce, code_challenge, auth_time, expires_at, claims, resource,
                      amr)
                   SELECT $1::text, $2::bytea, $3::text, $4::text, $5::text, $6::text, $7::text,
                          $8::text, $9::text, $10::text, $11::bigint, $12::bigint, $13::text,
                          $14::text, $16::text
                   WHERE NOT EXISTS (SELECT 1 FROM sessions
                                     WHERE tenant_id = $1 AND id = $6 AND revoked_at IS NOT NULL)
                 )
                 INSERT INTO session_clients (tenant_id, session_id, client_id, created_at)
                 VALUES ($1, $6, $4, $15)
                 ON CONFLICT (tenant_id, session_id, client_id) DO NOTHING",
            &[
                &tenant.as_str(),
                &&c.code_hash.as_bytes()[..],
                &c.grant_id.as_str(),
                &c.client_id.as_str(),
                &c.user_id.as_str(),
                &c.session_id.as_str(),
                &c.redirect_uri,
                &c.scope,
                &c.nonce,
                &c.code_challenge,
                &c.auth_time,
                &c.expires_at,
                &c.claims,
                &c.resource,
                &now,
                &c.amr,
            ],
        )
        .await
        .map(drop)
    }

    /// Consumes the code if it is not yet (`Fresh`); otherwise reads it
    /// (`AlreadyUsed`, or `Unknown`). Expiry is the core's check.
    async fn take_code(
        &self,
        tenant: &TenantId,
        code: &SecretHash,
        now: UnixTime,
    ) -> StoreResult<TakenCode> {
        let key: [&(dyn ToSql + Sync); 2] = [&tenant.as_str(), &&code.as_bytes()[..]];
        let taken = self
            .tenant_query(
                tenant,
                &format!(
                    "UPDATE codes SET consumed_at = $3
                     WHERE tenant_id = $1 AND code_hash = $2 AND consumed_at IS NULL
                     RETURNING {CODE_COLUMNS}"
                ),
                &[key[0], key[1], &now],
            )
            .await?;
        if let Some(row) = taken.first() {
            return Ok(TakenCode::Fresh(code_from_row(row)?));
        }
        let found = self
            .tenant_query(
                tenant,
                &format!(
                    "SELECT {CODE_COLUMNS} FROM codes
                     WHERE tenant_id = $1 AND code_hash = $2 AND consumed_at IS NOT NULL"
                ),
                &key,
            )
            .await?;
        match found.first() {
            Some(row) => Ok(TakenCode::AlreadyUsed(code_from_row(row)?)),
            None => Ok(TakenCode::Unknown),
        }
    }

    /// Share-locks the session first, so a revocation under way either
    /// finishes before (and the token is stored revoked) or after (and
    /// revokes it).
    async fn create_refresh_token(
        &self,
        tenant: &TenantId,
        t: &RefreshTokenRecord,
    ) -> StoreResult<()> {
        let params = TokenParams::new(tenant, t);
        locked_write(
            self,
            tenant,
            SHARE_SESSION_AND_GRANT,
            &params.grant_key(),
            &insert_token(""),
            &params.list(),
        )
        .await
        .map(drop)
    }

    async fn refresh_token(
        &self,
        tenant: &TenantId,
        token: &SecretHash,
    ) -> StoreResult<Option<RefreshTokenRecord>> {
        let rows = self
            .tenant_query(
                tenant,
                &format!(
                    "SELECT {TOKEN_COLUMNS} FROM refresh_tokens
                     WHERE tenant_id = $1 AND token_hash = $2"
                ),
                &[&tenant.as_str(), &&token.as_bytes()[..]],
            )
            .await?;
        rows.first().map(token_from_row).transpose()
    }

    /// The session is share-locked, then one statement consumes `old` if
    /// live and stores `new` from the consumed row: nothing consumed,
    /// nothing stored; `new` refused (its hash is taken), `old` stays live.
    async fn rotate_refresh_token(
        &self,
        tenant: &TenantId,
        old: &SecretHash,
        new: &RefreshTokenRecord,
        now: UnixTime,
    ) -> StoreResult<Rotation> {
        let new = TokenParams::new(tenant, new);
        let old = &old.as_bytes()[..];
        let mut params = new.list().to_vec();
        params.extend_from_slice(&[&old, &now]);
        let rows = locked_write(
            self,
            tenant,
            SHARE_SESSION_AND_GRANT,
            &new.grant_key(),
            &format!(
                "WITH consumed AS (
                   UPDATE refresh_tokens SET consumed_at = $17
                   WHERE tenant_id = $1 AND token_hash = $16 AND consumed_at IS NULL
                     AND NOT revoked
                   RETURNING 1
                 )
                 {}
                 RETURNING 1",
                insert_token("FROM consumed")
            ),
            &params,
        )
        .await?;
        Ok(if rows.is_empty() {
            Rotation::Reused
        } else {
            Rotation::Rotated
        })
    }
}

/// The parameters of [`insert_token`], borrowed from a record.
struct TokenParams<'a> {
    tenant: &'a str,
    hash: &'a [u8],
    grant: &'a str,
    client: &'a str,
    user: &'a str,
    session: &'a str,
    token: &'a RefreshTokenRecord,
}

impl<'a> TokenParams<'a> {
    fn new(tenant: &'a TenantId, token: &'a RefreshTokenRecord) -> Self {
        Self {
            tenant: tenant.as_str(),
            hash: &token.token_hash.as_bytes()[..],
            grant: token.grant_id.as_str(),
            client: token.client_id.as_str(),
            user: token.user_id.as_str(),
            session: token.session_id.as_str(),
            token,
        }
    }

    /// $1 … $15, in [`insert_token`]'s order.
    fn list(&self) -> [&(dyn ToSql + Sync); 15] {
        let t = self.token;
        [
            &self.tenant,
            &self.hash,
            &self.grant,
            &self.client,
            &self.user,
            &self.session,
            &t.scope,
            &t.auth_time,
            &t.issued_at,
            &t.expires_at,
            &t.consumed_at,
            &t.revoked,
            &t.claims,
            &t.resource,
            &t.amr,
        ]
    }

    /// The parameters of [`SHARE_SESSION_AND_GRANT`].
    fn grant_key(&self) -> [&(dyn ToSql + Sync); 3] {
        [&self.tenant, &self.session, &self.grant]
    }
}

fn code_from_row(r: &Row) -> StoreResult<CodeRecord> {
    Ok(CodeRecord {
        code_hash: hash_at(r, 0)?,
        grant_id: GrantId::new(r.try_get::<_, String>(1).map_err(db_error)?),
        client_id: ClientId::new(r.try_get::<_, String>(2).map_err(db_error)?),
        user_id: UserId::new(r.try_get::<_, String>(3).map_err(db_error)?),
        session_id: SessionId::new(r.try_get::<_, String>(4).map_err(db_error)?),
        redirect_uri: r.try_get(5).map_err(db_error)?,
        scope: r.try_get(6).map_err(db_error)?,
        nonce: r.try_get(7).map_err(db_error)?,
        code_challenge: r.try_get(8).map_err(db_error)?,
        auth_time: r.try_get(9).map_err(db_error)?,
        expires_at: r.try_get(10).map_err(db_error)?,
        claims: r.try_get(11).map_err(db_error)?,
        resource: r.try_get(12).map_err(db_error)?,
        amr: r.try_get(13).map_err(db_error)?,
    })
}

fn token_from_row(r: &Row) -> StoreResult<RefreshTokenRecord> {
    Ok(RefreshTokenRecord {
        token_hash: hash_at(r, 0)?,
        grant_id: GrantId::new(r.try_get::<_, String>(1).map_err(db_error)?),
        client_id: ClientId::new(r.try_get::<_, String>(2).map_err(db_error)?),
        user_id: UserId::new(r.try_get::<_, String>(3).map_err(db_error)?),
        session_id: SessionId::new(r.try_get::<_, String>(4).map_err(db_error)?),
        scope: r.try_get(5).map_err(db_error)?,
        auth_time: r.try_get(6).map_err(db_error)?,
        issued_at: r.try_get(7).map_err(db_error)?,
        expires_at: r.try_get(8).map_err(db_error)?,
        consumed_at: r.try_get(9).map_err(db_error)?,
        revoked: r.try_get(10).map_err(db_error)?,
        claims: r.try_get(11).map_err(db_error)?,
        resource: r.try_get(12).map_err(db_error)?,
        amr: r.try_get(13).map_err(db_error)?,
    })
}
