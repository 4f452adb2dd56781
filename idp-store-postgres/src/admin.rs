//! [`AdminStore`]: keyset pages, updates, and the deletions that end what
//! depended on the deleted row, each in one transaction. Each change is
//! a function over a transaction (`…_in`), called by its port method and
//! by its audited form (`audited`).

use crate::clients::{COLUMNS as CLIENT_COLUMNS, ClientParams, client_from_row};
use crate::tenants::{TENANT_COLUMNS, delete_tenant_in, tenant_from_row, update_tenant_in};
use crate::users::{COLUMNS as USER_COLUMNS, user_from_row};
use crate::{PostgresStore, db_error, registry_transaction, tenant_transaction};
use deadpool_postgres::Transaction;
use idp_core::clock::UnixTime;
use idp_core::ids::{ClientId, TenantId, UserId};
use idp_core::store::{AdminStore, ClientRecord, StoreResult, TenantRecord, UserRecord};
use tokio_postgres::types::ToSql;

/// Sets every field of a client but its id and creation time: the
/// [`ClientParams::mutable`] columns from `$3` on.
const UPDATE_CLIENT: &str = "UPDATE clients SET name = $3, secret_hash = $4, auth_method = $5,
    redirect_uris = $6, grant_types = $7, require_pkce = $8, id_token_alg = $9,
    allowed_scopes = $10, audiences = $11, jwks = $12, jwks_uri = $13,
    post_logout_redirect_uris = $14, registration_token_hash = $15, metadata = $16,
    frontchannel_logout_uri = $17, frontchannel_logout_session_required = $18,
    backchannel_logout_uri = $19, backchannel_logout_session_required = $20,
    previous_secret_hash = $21, previous_secret_expires_at = $22,
    require_pushed_authorization_requests = $23, subject_type = $24,
    sector_identifier_uri = $25, allowed_origins = $26
    WHERE tenant_id = $1 AND id = $2";

/// Records every grant of the rows matching `filter` (`user_id = $2` or
/// `client_id = $2`) in refresh_tokens, codes and device_codes as revoked
/// until `keep_until`, then revokes their refresh tokens and drops what
/// was authorized but not yet redeemed.
async fn end_grants(
    tx: &Transaction<'_>,
    tenant: &TenantId,
    filter: &str,
    who: &str,
    keep_until: UnixTime,
) -> StoreResult<()> {
    let tenant = tenant.as_str();
    let statements = [
        format!(
            "INSERT INTO revoked_grants (tenant_id, grant_id, keep_until)
             SELECT $1::text, grant_id, $3::bigint FROM (
                 SELECT grant_id FROM refresh_tokens WHERE tenant_id = $1 AND {filter}
                 UNION SELECT grant_id FROM codes WHERE tenant_id = $1 AND {filter}
                 UNION SELECT grant_id FROM device_codes WHERE tenant_id = $1 AND {filter}
             ) g
             ON CONFLICT (tenant_id, grant_id) DO UPDATE
             SET keep_until = greatest(revoked_grants.keep_until, excluded.keep_until)"
        ),
        format!("UPDATE refresh_tokens SET revoked = true WHERE tenant_id = $1 AND {filter}"),
        format!("DELETE FROM codes WHERE tenant_id = $1 AND {filter} AND consumed_at IS NULL"),
        format!(
            "UPDATE device_codes SET status = 'denied'
             WHERE tenant_id = $1 AND {filter} AND status <> 'denied' AND consumed_at IS NULL"
        ),
    ];
    for (i, sql) in statements.iter().enumerate() {
        let params: &[&(dyn ToSql + Sync)] = if i == 0 {
            &[&tenant, &who, &keep_until]
        } else {
            &[&tenant, &who]
        };
        let statement = tx.prepare_cached(sql).await.map_err(db_error)?;
        tx.execute(&statement, params).await.map_err(db_error)?;
    }
    Ok(())
}

/// Revokes the user's live sessions and ends their grants, in `tx`
/// (scoped to `tenant`); how many sessions.
pub(crate) async fn revoke_user_in(
    tx: &Transaction<'_>,
    tenant: &TenantId,
    user: &UserId,
    now: UnixTime,
    keep_until: UnixTime,
) -> StoreResult<u64> {
    let sessions = tx
        .execute(
            "UPDATE sessions SET revoked_at = $3, ended_at = coalesce(ended_at, $3)
             WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > $3",
            &[&tenant.as_str(), &user.as_str(), &now],
        )
        .await
        .map_err(db_error)?;
    end_grants(tx, tenant, "user_id = $2", user.as_str(), keep_until).await?;
    Ok(sessions)
}

/// The parameters of [`UPDATE_CLIENT`].
fn update_client_params<'a>(
    values: &'a ClientParams<'a>,
    tenant: &'a &str,
    id: &'a &str,
) -> Vec<&'a (dyn ToSql + Sync)> {
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![tenant, id];
    params.extend(values.mutable());
    params
}

/// [`AdminStore::update_client`] in `tx` (scoped to `tenant`); `false` if
/// there is no such client.
pub(crate) async fn update_client_in(
    tx: &Transaction<'_>,
    tenant: &TenantId,
    client: &ClientRecord,
) -> StoreResult<bool> {
    let values = ClientParams::new(client);
    let (tenant_id, id) = (tenant.as_str(), client.id.as_str());
    let statement = tx.prepare_cached(UPDATE_CLIENT).await.map_err(db_error)?;
    let n = tx
        .execute(&statement, &update_client_params(&values, &tenant_id, &id))
        .await
        .map_err(db_error)?;
    Ok(n == 1)
}

/// Deletes the client and ends its grants, in `tx` (scoped to `tenant`);
/// `false` if there was no such client. Sessions stay: they belong to
/// users.
pub(crate) async fn remove_client_in(
    tx: &Transaction<'_>,
    tenant: &TenantId,
    id: &ClientId,
    keep_until: UnixTime,
) -> StoreResult<bool> {
    // Locks the client first, so racing removals serialise on it.
    let n = tx
        .execute(
            "DELETE FROM clients WHERE tenant_id = $1 AND id = $2",
            &[&tenant.as_str(), &id.as_str()],
        )
        .await
        .map_err(db_error)?;
    end_grants(tx, tenant, "client_id = $2", id.as_str(), keep_until).await?;
    for table in [
        "refresh_tokens",
        "codes",
        "device_codes",
        "consents",
        "session_clients",
        "client_assertions",
        "pushed_requests",
    ] {
        let statement = tx
            .prepare_cached(&format!(
                "DELETE FROM {table} WHERE tenant_id = $1 AND client_id = $2"
            ))
            .await
            .map_err(db_error)?;
        tx.execute(&statement, &[&tenant.as_str(), &id.as_str()])
            .await
            .map_err(db_error)?;
    }
    Ok(n == 1)
}

/// Sets every field of a user but its id and creation time; the email is
/// re-indexed with it, and another user's email is a conflict on `email`.
const UPDATE_USER: &str = "UPDATE users SET email = $3, email_key = $3, email_verified = $4,
    name = $5, password_hash = $6, disabled = $7, updated_at = $8
    WHERE tenant_id = $1 AND id = $2";

/// The parameters of [`UPDATE_USER`].
fn update_user_params<'a>(
    tenant: &'a &str,
    id: &'a &str,
    user: &'a UserRecord,
) -> [&'a (dyn ToSql + Sync); 8] {
    [
        tenant,
        id,
        &user.email,
        &user.email_verified,
        &user.name,
        &user.password_hash,
        &user.disabled,
        &user.updated_at,
    ]
}

/// [`AdminStore::update_user`] in `tx` (scoped to `tenant`); `false` if
/// there is no such user.
pub(crate) async fn update_user_in(
    tx: &Transaction<'_>,
    tenant: &TenantId,
    user: &UserRecord,
) -> StoreResult<bool> {
    let (tenant_id, id) = (tenant.as_str(), user.id.as_str());
    let statement = tx.prepare_cached(UPDATE_USER).await.map_err(db_error)?;
    let n = tx
        .execute(&statement, &update_user_params(&tenant_id, &id, user))
        .await
        .map_err(db_error)?;
    Ok(n == 1)
}

/// Deletes the user, revokes their sessions and ends their grants, in `tx`
/// (scoped to `tenant`); their role assignments cascade. The user's row is
/// deleted first (which locks it); `false` if there was none, and then
/// nothing else was written.
pub(crate) async fn delete_user_in(
    tx: &Transaction<'_>,
    tenant: &TenantId,
    user: &UserId,
    now: UnixTime,
    keep_until: UnixTime,
) -> StoreResult<bool> {
    let n = tx
        .execute(
            "DELETE FROM users WHERE tenant_id = $1 AND id = $2",
            &[&tenant.as_str(), &user.as_str()],
        )
        .await
        .map_err(db_error)?;
    if n == 0 {
        return Ok(false);
    }
    revoke_user_in(tx, tenant, user, now, keep_until).await?;
    for table in ["refresh_tokens", "codes", "device_codes", "consents"] {
        let statement = tx
            .prepare_cached(&format!(
                "DELETE FROM {table} WHERE tenant_id = $1 AND user_id = $2"
            ))
            .await
            .map_err(db_error)?;
        tx.execute(&statement, &[&tenant.as_str(), &user.as_str()])
            .await
            .map_err(db_error)?;
    }
    Ok(true)
}

impl AdminStore for PostgresStore {
    async fn tenants_page(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<TenantRecord>> {
        let mut conn = self.client().await?;
        let tx = registry_transaction(&mut conn, None).await?;
        let rows = tx
            .query(
                &format!(
                    "SELECT {TENANT_COLUMNS} FROM tenants WHERE slug > $1 ORDER BY slug LIMIT $2"
                ),
                &[&after.unwrap_or(""), &limit_param(limit)],
            )
            .await
            .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        rows.iter().map(tenant_from_row).collect()
    }

    async fn update_tenant(&self, tenant: &TenantRecord) -> StoreResult<bool> {
        let mut conn = self.client().await?;
        let tx = registry_transaction(&mut conn, Some(&tenant.id)).await?;
        let updated = update_tenant_in(&tx, tenant).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(updated)
    }

    async fn delete_tenant(&self, tenant: &TenantId) -> StoreResult<bool> {
        let mut conn = self.client().await?;
        let tx = registry_transaction(&mut conn, Some(tenant)).await?;
        let deleted = delete_tenant_in(&tx, tenant).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(deleted)
    }

    async fn clients_page(
        &self,
        tenant: &TenantId,
        after: Option<&ClientId>,
        limit: usize,
    ) -> StoreResult<Vec<ClientRecord>> {
        let rows = self
            .tenant_query(
                tenant,
                &format!(
                    "SELECT {CLIENT_COLUMNS} FROM clients WHERE tenant_id = $1 AND id > $2
                     ORDER BY id LIMIT $3"
                ),
                &[
                    &tenant.as_str(),
                    &after.map_or("", |a| a.as_str()),
                    &limit_param(limit),
                ],
            )
            .await?;
        rows.iter().map(client_from_row).collect()
    }

    async fn update_client(&self, tenant: &TenantId, client: &ClientRecord) -> StoreResult<bool> {
        let values = ClientParams::new(client);
        let (tenant_id, id) = (tenant.as_str(), client.id.as_str());
        let params = update_client_params(&values, &tenant_id, &id);
        let n = self.tenant_execute(tenant, UPDATE_CLIENT, &params).await?;
        Ok(n == 1)
    }

    async fn remove_client(
        &self,
        tenant: &TenantId,
        id: &ClientId,
        keep_until: UnixTime,
    ) -> StoreResult<bool> {
        let mut conn = self.client().await?;
        let tx = tenant_transaction(&mut conn, tenant).await?;
        let removed = remove_client_in(&tx, tenant, id, keep_until).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(removed)
    }

    async fn users_page(
        &self,
        tenant: &TenantId,
        after: Option<&UserId>,
        limit: usize,
    ) -> StoreResult<Vec<UserRecord>> {
        let rows = self
            .tenant_query(
                tenant,
                &format!(
                    "SELECT {USER_COLUMNS} FROM users WHERE tenant_id = $1 AND id > $2
                     ORDER BY id LIMIT $3"
                ),
                &[
                    &tenant.as_str(),
                    &after.map_or("", |a| a.as_str()),
                    &limit_param(limit),
                ],
            )
            .await?;
        rows.iter().map(user_from_row).collect()
    }

    async fn update_user(&self, tenant: &TenantId, user: &UserRecord) -> StoreResult<bool> {
        let (tenant_id, id) = (tenant.as_str(), user.id.as_str());
        let n = self
            .tenant_execute(
                tenant,
                UPDATE_USER,
                &update_user_params(&tenant_id, &id, user),
            )
            .await?;
        Ok(n == 1)
    }

    async fn revoke_user(
        &self,
        tenant: &TenantId,
        user: &UserId,
        now: UnixTime,
        keep_until: UnixTime,
    ) -> StoreResult<u64> {
        let mut conn = self.client().await?;
        let tx = tenant_transaction(&mut conn, tenant).await?;
        let n = revoke_user_in(&tx, tenant, user, now, keep_until).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(n)
    }

    async fn delete_user(
        &self,
        tenant: &TenantId,
        user: &UserId,
        now: UnixTime,
        keep_until: UnixTime,
    ) -> StoreResult<bool> {
        let mut conn = self.client().await?;
        let tx = tenant_transaction(&mut conn, tenant).await?;
        if !delete_user_in(&tx, tenant, user, now, keep_until).await? {
            return Ok(false);
        }
        tx.commit().await.map_err(db_error)?;
        Ok(true)
    }
}

/// A page size as a LIMIT (`usize` beyond `i64` means no limit).
pub(crate) fn limit_param(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}
