//! Login sessions, pending interactions, consent, and the clients a
//! session took part in (front- and back-channel logout).
//!
//! Lock order: a session's row before its refresh tokens and codes. A
//! revocation locks the session exclusively, then revokes what it
//! authorized in a fresh snapshot; whatever writes a token or a code for a
//! session (`grants`) share-locks the session first. So a write under way
//! is either seen by the revocation or sees it, and they never deadlock.

use crate::scoped::locked_write;
use crate::{PostgresStore, db_error};
use deadpool_postgres::Transaction;
use idp_core::clock::UnixTime;
use idp_core::crypto::secret::SecretHash;
use idp_core::ids::{ClientId, SessionId, TenantId, UserId};
use idp_core::store::{
    ClientRecord, ClientStore, ConsentRecord, InteractionRecord, SessionRecord, SessionStore,
    StoreError, StoreResult,
};
use tokio_postgres::Row;

const SESSION_COLUMNS: &str = "id, secret_hash, user_id, auth_time, created_at, expires_at, amr";

/// Locks a session against revocation while a token or code is written
/// for it (see the module's lock order); no row if there is no session.
pub(crate) const SHARE_SESSION: &str =
    "SELECT 1 FROM sessions WHERE tenant_id = $1 AND id = $2 FOR SHARE";

/// Locks a session for its revocation (see the module's lock order).
const LOCK_SESSION: &str = "SELECT 1 FROM sessions WHERE tenant_id = $1 AND id = $2 FOR UPDATE";

/// Revokes a live session (`$3` is now) and what it authorized; one row,
/// how many sessions it revoked. What the session authorized but no client
/// redeemed yet goes too: a code redeemed later would mint tokens outside
/// the revocation record once the purge drops it, and an approved device
/// would get tokens.
const REVOKE_SESSION: &str = "WITH revoked AS (
       UPDATE sessions SET revoked_at = $3, ended_at = coalesce(ended_at, $3)
       WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL AND expires_at > $3
       RETURNING 1
     ), tokens AS (
       UPDATE refresh_tokens SET revoked = true WHERE tenant_id = $1 AND session_id = $2
     ), codes AS (
       DELETE FROM codes WHERE tenant_id = $1 AND session_id = $2 AND consumed_at IS NULL
     ), devices AS (
       UPDATE device_codes SET status = 'denied'
       WHERE tenant_id = $1 AND session_id = $2 AND status = 'approved'
         AND consumed_at IS NULL
     )
     SELECT count(*) FROM revoked";

/// Whether [`REVOKE_SESSION`]'s rows say it revoked the session.
fn revoked(rows: &[Row]) -> StoreResult<bool> {
    let revoked: i64 = match rows.first() {
        Some(row) => row.try_get(0).map_err(db_error)?,
        None => 0,
    };
    Ok(revoked == 1)
}

/// [`SessionStore::revoke_session`] in `tx` (scoped to `tenant`): its
/// audited form, the lock and the write as two statements.
pub(crate) async fn revoke_session_in(
    tx: &Transaction<'_>,
    tenant: &TenantId,
    id: &SessionId,
    now: UnixTime,
) -> StoreResult<bool> {
    let (tenant, id) = (tenant.as_str(), id.as_str());
    let lock = tx.prepare_cached(LOCK_SESSION).await.map_err(db_error)?;
    tx.query(&lock, &[&tenant, &id]).await.map_err(db_error)?;
    let write = tx.prepare_cached(REVOKE_SESSION).await.map_err(db_error)?;
    let rows = tx
        .query(&write, &[&tenant, &id, &now])
        .await
        .map_err(db_error)?;
    revoked(&rows)
}

impl SessionStore for PostgresStore {
    async fn create_session(&self, tenant: &TenantId, s: &SessionRecord) -> StoreResult<()> {
        self.tenant_execute(
            tenant,
            "INSERT INTO sessions
               (tenant_id, id, secret_hash, user_id, auth_time, created_at, expires_at, amr)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                &tenant.as_str(),
                &s.id.as_str(),
                &&s.secret_hash.as_bytes()[..],
                &s.user_id.as_str(),
                &s.auth_time,
                &s.created_at,
                &s.expires_at,
                &s.amr,
            ],
        )
        .await
        .map(drop)
    }

    async fn session_by_secret(
        &self,
        tenant: &TenantId,
        secret: &SecretHash,
        now: UnixTime,
    ) -> StoreResult<Option<SessionRecord>> {
        let rows = self
            .tenant_query(
                tenant,
                &format!(
                    "SELECT {SESSION_COLUMNS} FROM sessions
                     WHERE tenant_id = $1 AND secret_hash = $2 AND expires_at > $3
                       AND ended_at IS NULL"
                ),
                &[&tenant.as_str(), &&secret.as_bytes()[..], &now],
            )
            .await?;
        rows.first().map(session_from_row).transpose()
    }

    async fn session(
        &self,
        tenant: &TenantId,
        id: &SessionId,
        now: UnixTime,
    ) -> StoreResult<Option<SessionRecord>> {
        let rows = self
            .tenant_query(
                tenant,
                &format!(
                    "SELECT {SESSION_COLUMNS} FROM sessions
                     WHERE tenant_id = $1 AND id = $2 AND expires_at > $3 AND ended_at IS NULL"
                ),
                &[&tenant.as_str(), &id.as_str(), &now],
            )
            .await?;
        rows.first().map(session_from_row).transpose()
    }

    async fn touch_session_auth(
        &self,
        tenant: &TenantId,
        id: &SessionId,
        auth_time: UnixTime,
    ) -> StoreResult<()> {
        self.tenant_execute(
            tenant,
            "UPDATE sessions SET auth_time = $3 WHERE tenant_id = $1 AND id = $2",
            &[&tenant.as_str(), &id.as_str(), &auth_time],
        )
        .await
        .map(drop)
    }

    async fn user_sessions(
        &self,
        tenant: &TenantId,
        user: &UserId,
        now: UnixTime,
    ) -> StoreResult<Vec<SessionRecord>> {
        let rows = self
            .tenant_query(
                tenant,
                &format!(
                    "SELECT {SESSION_COLUMNS} FROM sessions
                     WHERE tenant_id = $1 AND user_id = $2 AND expires_at > $3
                       AND ended_at IS NULL
                     ORDER BY created_at DESC, id"
                ),
                &[&tenant.as_str(), &user.as_str(), &now],
            )
            .await?;
        rows.iter().map(session_from_row).collect()
    }

    /// An ended session is left as it was.
    async fn end_session(
        &self,
        tenant: &TenantId,
        id: &SessionId,
        now: UnixTime,
    ) -> StoreResult<()> {
        self.tenant_execute(
            tenant,
            "UPDATE sessions SET ended_at = $3
             WHERE tenant_id = $1 AND id = $2 AND ended_at IS NULL",
            &[&tenant.as_str(), &id.as_str(), &now],
        )
        .await
        .map(drop)
    }

    /// The session's row is locked first; the second statement's snapshot
    /// then holds every token and code written under a share lock on it.
    async fn revoke_session(
        &self,
        tenant: &TenantId,
        id: &SessionId,
        now: UnixTime,
    ) -> StoreResult<bool> {
        let (tenant_id, id) = (tenant.as_str(), id.as_str());
        let rows = locked_write(
            self,
            tenant,
            LOCK_SESSION,
            &[&tenant_id, &id],
            REVOKE_SESSION,
            &[&tenant_id, &id, &now],
        )
        .await?;
        revoked(&rows)
    }

    async fn create_interaction(
        &self,
        tenant: &TenantId,
        i: &InteractionRecord,
    ) -> StoreResult<()> {
        self.tenant_execute(
            tenant,
            "INSERT INTO interactions
               (tenant_id, id_hash, request_json, session_id, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &tenant.as_str(),
                &&i.id_hash.as_bytes()[..],
                &i.request_json,
                &i.session_id.as_ref().map(SessionId::as_str),
                &i.created_at,
                &i.expires_at,
            ],
        )
        .await
        .map(drop)
    }

    async fn interaction(
        &self,
        tenant: &TenantId,
        id: &SecretHash,
        now: UnixTime,
    ) -> StoreResult<Option<InteractionRecord>> {
        let rows = self
            .tenant_query(
                tenant,
                "SELECT id_hash, request_json, session_id, created_at, expires_at
                 FROM interactions
                 WHERE tenant_id = $1 AND id_hash = $2 AND expires_at > $3",
                &[&tenant.as_str(), &&id.as_bytes()[..], &now],
            )
            .await?;
        let Some(r) = rows.first() else {
            return Ok(None);
        };
        Ok(Some(InteractionRecord {
            id_hash: hash_at(r, 0)?,
            request_json: r.try_get(1).map_err(db_error)?,
            session_id: r
                .try_get::<_, Option<String>>(2)
                .map_err(db_error)?
                .map(SessionId::new),
            created_at: r.try_get(3).map_err(db_error)?,
            expires_at: r.try_get(4).map_err(db_error)?,
        }))
    }

    /// A missing interaction is left alone.
    async fn set_interaction_session(
        &self,
        tenant: &TenantId,
        id: &SecretHash,
        session: &SessionId,
    ) -> StoreResult<()> {
        self.tenant_execute(
            tenant,
            "UPDATE interactions SET session_id = $3 WHERE tenant_id = $1 AND id_hash = $2",
            &[&tenant.as_str(), &&id.as_bytes()[..], &session.as_str()],
        )
        .await
        .map(drop)
    }

    async fn extend_interaction(
        &self,
        tenant: &TenantId,
        id: &SecretHash,
        expires_at: UnixTime,
    ) -> StoreResult<()> {
        self.tenant_execute(
            tenant,
            "UPDATE interactions SET expires_at = $3 WHERE tenant_id = $1 AND id_hash = $2",
            &[&tenant.as_str(), &&id.as_bytes()[..], &expires_at],
        )
        .await
        .map(drop)
    }

    async fn delete_interaction(&self, tenant: &TenantId, id: &SecretHash) -> StoreResult<()> {
        self.tenant_execute(
            tenant,
            "DELETE FROM interactions WHERE tenant_id = $1 AND id_hash = $2",
            &[&tenant.as_str(), &&id.as_bytes()[..]],
        )
        .await
        .map(drop)
    }

    async fn consent(
        &self,
        tenant: &TenantId,
        user: &UserId,
        client: &ClientId,
    ) -> StoreResult<Option<ConsentRecord>> {
        let rows = self
            .tenant_query(
                tenant,
                "SELECT user_id, client_id, scope, updated_at FROM consents
                 WHERE tenant_id = $1 AND user_id = $2 AND client_id = $3",
                &[&tenant.as_str(), &user.as_str(), &client.as_str()],
            )
            .await?;
        let Some(r) = rows.first() else {
            return Ok(None);
        };
        Ok(Some(ConsentRecord {
            user_id: UserId::new(r.try_get::<_, String>(0).map_err(db_error)?),
            client_id: ClientId::new(r.try_get::<_, String>(1).map_err(db_error)?),
            scope: r.try_get(2).map_err(db_error)?,
            updated_at: r.try_get(3).map_err(db_error)?,
        }))
    }

    async fn save_consent(&self, tenant: &TenantId, c: &ConsentRecord) -> StoreResult<()> {
        self.tenant_execute(
            tenant,
            "INSERT INTO consents (tenant_id, user_id, client_id, scope, updated_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (tenant_id, user_id, client_id)
             DO UPDATE SET scope = excluded.scope, updated_at = excluded.updated_at",
            &[
                &tenant.as_str(),
                &c.user_id.as_str(),
                &c.client_id.as_str(),
                &c.scope,
                &c.updated_at,
            ],
        )
        .await
        .map(drop)
    }

    async fn add_session_client(
        &self,
        tenant: &TenantId,
        session: &SessionId,
        client: &ClientId,
        now: UnixTime,
    ) -> StoreResult<()> {
        self.tenant_execute(
            tenant,
            ADD_SESSION_CLIENT,
            &[&tenant.as_str(), &session.as_str(), &client.as_str(), &now],
        )
        .await
        .map(drop)
    }

    /// One `DELETE … RETURNING`: of racing takes, the first deletes the
    /// rows and the others, waiting on their locks, find them gone. The
    /// clients are then read one by one (those deleted since are skipped).
    async fn take_session_clients(
        &self,
        tenant: &TenantId,
        session: &SessionId,
    ) -> StoreResult<Vec<ClientRecord>> {
        let rows = self
            .tenant_query(
                tenant,
                "DELETE FROM session_clients WHERE tenant_id = $1 AND session_id = $2
                 RETURNING created_at, client_id",
                &[&tenant.as_str(), &session.as_str()],
            )
            .await?;
        let mut taken = rows
            .iter()
            .map(|r| {
                let at: UnixTime = r.try_get(0).map_err(db_error)?;
                let id: String = r.try_get(1).map_err(db_error)?;
                Ok((at, id))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        taken.sort_unstable();
        let mut clients = Vec::with_capacity(taken.len());
        for (_, id) in taken {
            if let Some(client) = ClientStore::client(self, tenant, &ClientId::new(id)).await? {
                clients.push(client);
            }
        }
        Ok(clients)
    }
}

/// Records (tenant $1, session $2, client $3) at $4; again changes nothing.
pub(crate) const ADD_SESSION_CLIENT: &str =
    "INSERT INTO session_clients (tenant_id, session_id, client_id, created_at)
     VALUES ($1, $2, $3, $4)
     ON CONFLICT (tenant_id, session_id, client_id) DO NOTHING";

/// A 32-byte hash column.
pub(crate) fn hash_at(r: &Row, i: usize) -> StoreResult<SecretHash> {
    let bytes: &[u8] = r.try_get(i).map_err(db_error)?;
    SecretHash::from_slice(bytes)
        .ok_or_else(|| StoreError::Backend(format!("a hash of {} bytes, not 32", bytes.len())))
}

fn session_from_row(r: &Row) -> StoreResult<SessionRecord> {
    Ok(SessionRecord {
        id: SessionId::new(r.try_get::<_, String>(0).map_err(db_error)?),
        secret_hash: hash_at(r, 1)?,
        user_id: UserId::new(r.try_get::<_, String>(2).map_err(db_error)?),
        auth_time: r.try_get(3).map_err(db_error)?,
        created_at: r.try_get(4).map_err(db_error)?,
        expires_at: r.try_get(5).map_err(db_error)?,
        amr: r.try_get(6).map_err(db_error)?,
    })
}
