//! Revoked grants and access tokens, used client assertions.
//!
//! Revoking a grant must win over rotations of its refresh tokens running
//! at the same time (READ COMMITTED): a rotation locks the token it
//! consumes, and one `UPDATE` of the grant's tokens waits for it but does
//! not see the token it inserted. So the revocation repeats its `UPDATE`
//! (each statement sees what committed before it) until one finds no live
//! token; a rotation that starts later waits on the locks this transaction
//! holds and then finds its token revoked.

use crate::{PostgresStore, db_error, tenant_transaction};
use idp_core::clock::UnixTime;
use idp_core::ids::{ClientId, GrantId, TenantId};
use idp_core::store::{AccessTokenRef, RevocationStore, StoreResult};

/// The grant's ($1 tenant, $2 grant) advisory lock, exclusive: waits for
/// refresh tokens of the grant being written to commit, so the revocation
/// sees them (grants.rs takes it shared).
pub(crate) const REVOKING_GRANT: &str =
    "SELECT pg_advisory_xact_lock(hashtextextended($1 || ' ' || $2, 0))";

impl RevocationStore for PostgresStore {
    async fn revoke_grant(
        &self,
        tenant: &TenantId,
        grant: &GrantId,
        keep_until: UnixTime,
    ) -> StoreResult<()> {
        let mut client = self.client().await?;
        let tx = tenant_transaction(&mut client, tenant).await?;
        tx.execute(REVOKING_GRANT, &[&tenant.as_str(), &grant.as_str()])
            .await
            .map_err(db_error)?;
        // First, so that racing revocations of one grant queue on this row
        // instead of locking its tokens in different orders.
        let record = tx
            .prepare_cached(
                "INSERT INTO revoked_grants (tenant_id, grant_id, keep_until) VALUES ($1, $2, $3)
                 ON CONFLICT (tenant_id, grant_id) DO UPDATE
                 SET keep_until = GREATEST(revoked_grants.keep_until, EXCLUDED.keep_until)",
            )
            .await
            .map_err(db_error)?;
        tx.execute(&record, &[&tenant.as_str(), &grant.as_str(), &keep_until])
            .await
            .map_err(db_error)?;
        let revoke = tx
            .prepare_cached(
                "UPDATE refresh_tokens SET revoked = true
                 WHERE tenant_id = $1 AND grant_id = $2 AND NOT revoked",
            )
            .await
            .map_err(db_error)?;
        loop {
            let revoked = tx
                .execute(&revoke, &[&tenant.as_str(), &grant.as_str()])
                .await
                .map_err(db_error)?;
            if revoked == 0 {
                break;
            }
        }
        tx.commit().await.map_err(db_error)
    }

    /// The first revocation's `keep_until` stays (it is the token's expiry).
    async fn revoke_access_token(
        &self,
        tenant: &TenantId,
        jti: &str,
        keep_until: UnixTime,
    ) -> StoreResult<()> {
        self.tenant_execute(
            tenant,
            "INSERT INTO revoked_access_tokens (tenant_id, jti, keep_until) VALUES ($1, $2, $3)
             ON CONFLICT (tenant_id, jti) DO NOTHING",
            &[&tenant.as_str(), &jti, &keep_until],
        )
        .await?;
        Ok(())
    }

    async fn access_token_revoked(
        &self,
        tenant: &TenantId,
        token: AccessTokenRef<'_>,
    ) -> StoreResult<bool> {
        let grant = token.grant_id.map(GrantId::as_str);
        let session = token.session_id.map(|s| s.as_str());
        let rows = self
            .tenant_query(
                tenant,
                "SELECT EXISTS (SELECT 1 FROM revoked_access_tokens WHERE tenant_id = $1 AND jti = $2)
                     OR EXISTS (SELECT 1 FROM revoked_grants WHERE tenant_id = $1 AND grant_id = $3)
                     OR EXISTS (SELECT 1 FROM sessions
                                WHERE tenant_id = $1 AND id = $4 AND revoked_at IS NOT NULL)",
                &[&tenant.as_str(), &token.jti, &grant, &session],
            )
            .await?;
        match rows.first() {
            Some(r) => r.try_get(0).map_err(db_error),
            None => Ok(false),
        }
    }

    /// A racing insert of the same `jti` waits for the first and then
    /// inserts nothing: exactly one use is accepted.
    async fn use_client_assertion(
        &self,
        tenant: &TenantId,
        client: &ClientId,
        jti: &str,
        expires_at: UnixTime,
    ) -> StoreResult<bool> {
        let inserted = self
            .tenant_execute(
                tenant,
                "INSERT INTO client_assertions (tenant_id, client_id, jti, expires_at)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (tenant_id, client_id, jti) DO NOTHING",
                &[&tenant.as_str(), &client.as_str(), &jti, &expires_at],
            )
            .await?;
        Ok(inserted == 1)
    }
}
