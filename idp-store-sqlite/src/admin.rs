//! [`AdminStore`] for [`SqliteStore`]: keyset pages, updates, and the
//! deletions that end what depended on the deleted row, each one
//! `BEGIN IMMEDIATE` transaction.

use crate::{SqliteStore, clients, users};
use idp_core::clock::UnixTime;
use idp_core::ids::{ClientId, TenantId, UserId};
use idp_core::store::{AdminStore, ClientRecord, StoreResult, TenantRecord, UserRecord};
use rusqlite::{Connection, Result, TransactionBehavior, params};

/// Records every grant of the rows matching `filter` (`user_id = ?2` or
/// `client_id = ?2`) in refresh_tokens, codes and device_codes as revoked
/// until `?3`, then revokes their refresh tokens and drops what was
/// authorized but not yet redeemed.
fn end_grants(
    conn: &Connection,
    tenant: &TenantId,
    filter: &str,
    who: &str,
    keep_until: UnixTime,
) -> Result<()> {
    conn.execute(
        &format!(
            "INSERT INTO revoked_grants (tenant_id, grant_id, keep_until)
             SELECT ?1, grant_id, ?3 FROM (
                 SELECT grant_id FROM refresh_tokens WHERE tenant_id = ?1 AND {filter}
                 UNION SELECT grant_id FROM codes WHERE tenant_id = ?1 AND {filter}
                 UNION SELECT grant_id FROM device_codes WHERE tenant_id = ?1 AND {filter}
             ) WHERE true
             ON CONFLICT (tenant_id, grant_id) DO UPDATE
             SET keep_until = max(keep_until, excluded.keep_until)"
        ),
        params![tenant.as_str(), who, keep_until],
    )?;
    conn.execute(
        &format!("UPDATE refresh_tokens SET revoked = 1 WHERE tenant_id = ?1 AND {filter}"),
        params![tenant.as_str(), who],
    )?;
    conn.execute(
        &format!("DELETE FROM codes WHERE tenant_id = ?1 AND {filter} AND consumed_at IS NULL"),
        params![tenant.as_str(), who],
    )?;
    conn.execute(
        &format!(
            "UPDATE device_codes SET status = 'denied'
             WHERE tenant_id = ?1 AND {filter} AND status != 'denied' AND consumed_at IS NULL"
        ),
        params![tenant.as_str(), who],
    )?;
    Ok(())
}

/// Revokes the user's live sessions and ends their grants; how many sessions.
pub(crate) fn revoke_user_in(
    conn: &Connection,
    tenant: &TenantId,
    user: &UserId,
    now: UnixTime,
    keep_until: UnixTime,
) -> Result<u64> {
    let sessions = conn.execute(
        "UPDATE sessions SET revoked_at = ?3, ended_at = coalesce(ended_at, ?3)
         WHERE tenant_id = ?1 AND user_id = ?2 AND revoked_at IS NULL AND expires_at > ?3",
        params![tenant.as_str(), user.as_str(), now],
    )?;
    end_grants(conn, tenant, "user_id = ?2", user.as_str(), keep_until)?;
    Ok(sessions as u64)
}

fn delete_user(
    conn: &mut Connection,
    tenant: &TenantId,
    user: &UserId,
    now: UnixTime,
    keep_until: UnixTime,
) -> Result<bool> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let deleted = delete_user_in(&tx, tenant, user, now, keep_until)?;
    if deleted {
        tx.commit()?;
    }
    // Else nothing to delete: the rollback leaves everything as it was.
    Ok(deleted)
}

/// Ends the user's sessions and grants and deletes them (their role
/// assignments go by the foreign key's cascade), inside the caller's
/// transaction; `false` if there is no such user, and then the caller
/// rolls back what this wrote.
pub(crate) fn delete_user_in(
    conn: &Connection,
    tenant: &TenantId,
    user: &UserId,
    now: UnixTime,
    keep_until: UnixTime,
) -> Result<bool> {
    revoke_user_in(conn, tenant, user, now, keep_until)?;
    for table in ["refresh_tokens", "codes", "device_codes", "consents"] {
        conn.execute(
            &format!("DELETE FROM {table} WHERE tenant_id = ?1 AND user_id = ?2"),
            params![tenant.as_str(), user.as_str()],
        )?;
    }
    let n = conn.execute(
        "DELETE FROM users WHERE tenant_id = ?1 AND id = ?2",
        params![tenant.as_str(), user.as_str()],
    )?;
    Ok(n == 1)
}

fn remove_client(
    conn: &mut Connection,
    tenant: &TenantId,
    id: &ClientId,
    keep_until: UnixTime,
) -> Result<bool> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let removed = remove_client_in(&tx, tenant, id, keep_until)?;
    tx.commit()?;
    Ok(removed)
}

/// Ends the client's grants and deletes it with what names it, inside the
/// caller's transaction; whether there was such a client.
pub(crate) fn remove_client_in(
    conn: &Connection,
    tenant: &TenantId,
    id: &ClientId,
    keep_until: UnixTime,
) -> Result<bool> {
    end_grants(conn, tenant, "client_id = ?2", id.as_str(), keep_until)?;
    for table in [
        "refresh_tokens",
        "codes",
        "device_codes",
        "consents",
        "session_clients",
        "client_assertions",
        "pushed_requests",
    ] {
        conn.execute(
            &format!("DELETE FROM {table} WHERE tenant_id = ?1 AND client_id = ?2"),
            params![tenant.as_str(), id.as_str()],
        )?;
    }
    let n = conn.execute(
        "DELETE FROM clients WHERE tenant_id = ?1 AND id = ?2",
        params![tenant.as_str(), id.as_str()],
    )?;
    Ok(n == 1)
}

/// Replaces the tenant's name and its switches (dynamic registration,
/// password login); whether it exists.
pub(crate) fn update_tenant(conn: &Connection, t: &TenantRecord) -> Result<bool> {
    let n = conn.execute(
        "UPDATE tenants SET name = ?2, dynamic_registration = ?3, password_login = ?4
         WHERE id = ?1",
        params![
            t.id.as_str(),
            t.name,
            t.dynamic_registration,
            t.password_login
        ],
    )?;
    Ok(n == 1)
}

/// Deletes the tenant; every table of tenant data cascades from tenants
/// (migration 1; roles and role assignments, migration 15), the audit log
/// does not. Whether it existed.
pub(crate) fn delete_tenant(conn: &Connection, tenant: &TenantId) -> Result<bool> {
    let n = conn.execute("DELETE FROM tenants WHERE id = ?1", [tenant.as_str()])?;
    Ok(n == 1)
}

pub(crate) fn update_client(
    conn: &Connection,
    tenant: &TenantId,
    c: &ClientRecord,
) -> Result<bool> {
    let n = conn.execute(
        "UPDATE clients SET name = ?3, secret_hash = ?4, auth_method = ?5, redirect_uris = ?6,
            grant_types = ?7, require_pkce = ?8, id_token_alg = ?9, allowed_scopes = ?10,
            audiences = ?11, jwks = ?12, jwks_uri = ?13, post_logout_redirect_uris = ?14,
            registration_token_hash = ?15, metadata = ?16, frontchannel_logout_uri = ?17,
            frontchannel_logout_session_required = ?18, backchannel_logout_uri = ?19,
            backchannel_logout_session_required = ?20, previous_secret_hash = ?21,
            previous_secret_expires_at = ?22, require_pushed_authorization_requests = ?23,
            subject_type = ?24, sector_identifier_uri = ?25, allowed_origins = ?26
         WHERE tenant_id = ?1 AND id = ?2",
        params![
            tenant.as_str(),
            c.id.as_str(),
            c.name,
            c.secret_hash.as_ref().map(|h| h.as_bytes()),
            c.auth_method.as_str(),
            crate::codec::json_list(c.redirect_uris.iter().map(String::as_str))?,
            crate::codec::json_list(c.grant_types.iter().map(|g| g.as_str()))?,
            c.require_pkce,
            c.id_token_alg.as_str(),
            crate::codec::json_list(c.allowed_scopes.iter().map(String::as_str))?,
            crate::codec::json_list(c.audiences.iter().map(String::as_str))?,
            c.jwks,
            c.jwks_uri,
            crate::codec::json_list(c.post_logout_redirect_uris.iter().map(String::as_str))?,
            c.registration_token_hash.as_ref().map(|h| h.as_bytes()),
            c.metadata,
            c.frontchannel_logout_uri,
            c.frontchannel_logout_session_required,
            c.backchannel_logout_uri,
            c.backchannel_logout_session_required,
            c.previous_secret.as_ref().map(|p| p.hash.as_bytes()),
            c.previous_secret.as_ref().map(|p| p.expires_at),
            c.require_pushed_authorization_requests,
            c.subject_type.as_str(),
            c.sector_identifier_uri,
            crate::codec::json_list(c.allowed_origins.iter().map(String::as_str))?,
        ],
    )?;
    Ok(n == 1)
}

pub(crate) fn update_user(conn: &Connection, tenant: &TenantId, u: &UserRecord) -> Result<bool> {
    let n = conn.execute(
        "UPDATE users SET email = ?3, email_key = ?3, email_verified = ?4, name = ?5,
            password_hash = ?6, disabled = ?7, updated_at = ?8
         WHERE tenant_id = ?1 AND id = ?2",
        params![
            tenant.as_str(),
            u.id.as_str(),
            u.email,
            u.email_verified,
            u.name,
            u.password_hash,
            u.disabled,
            u.updated_at,
        ],
    )?;
    Ok(n == 1)
}

impl AdminStore for SqliteStore {
    async fn tenants_page(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<TenantRecord>> {
        let after = after.unwrap_or("").to_owned();
        self.run(move |c| crate::tenants::page(c, &after, limit))
            .await
    }

    async fn update_tenant(&self, tenant: &TenantRecord) -> StoreResult<bool> {
        let t = tenant.clone();
        self.run(move |c| update_tenant(c, &t)).await
    }

    async fn delete_tenant(&self, tenant: &TenantId) -> StoreResult<bool> {
        let tenant = tenant.clone();
        self.run(move |c| delete_tenant(c, &tenant)).await
    }

    async fn clients_page(
        &self,
        tenant: &TenantId,
        after: Option<&ClientId>,
        limit: usize,
    ) -> StoreResult<Vec<ClientRecord>> {
        let (tenant, after) = (
            tenant.clone(),
            after.map_or(String::new(), |a| a.as_str().to_owned()),
        );
        self.run(move |c| {
            c.prepare_cached(&format!(
                "SELECT {} FROM clients c WHERE c.tenant_id = ?1 AND c.id > ?2
                 ORDER BY c.id LIMIT ?3",
                clients::COLUMNS
            ))?
            .query_map(
                params![tenant.as_str(), after, limit as i64],
                clients::from_row,
            )?
            .collect()
        })
        .await
    }

    async fn update_client(&self, tenant: &TenantId, client: &ClientRecord) -> StoreResult<bool> {
        let (tenant, client) = (tenant.clone(), client.clone());
        self.run(move |c| update_client(c, &tenant, &client)).await
    }

    async fn remove_client(
        &self,
        tenant: &TenantId,
        id: &ClientId,
        keep_until: UnixTime,
    ) -> StoreResult<bool> {
        let (tenant, id) = (tenant.clone(), id.clone());
        self.run(move |c| remove_client(c, &tenant, &id, keep_until))
            .await
    }

    async fn users_page(
        &self,
        tenant: &TenantId,
        after: Option<&UserId>,
        limit: usize,
    ) -> StoreResult<Vec<UserRecord>> {
        let (tenant, after) = (
            tenant.clone(),
            after.map_or(String::new(), |a| a.as_str().to_owned()),
        );
        self.run(move |c| {
            c.prepare_cached(&format!(
                "SELECT {} FROM users WHERE tenant_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
                users::COLUMNS
            ))?
            .query_map(
                params![tenant.as_str(), after, limit as i64],
                users::user_from_row,
            )?
            .collect()
        })
        .await
    }

    async fn update_user(&self, tenant: &TenantId, user: &UserRecord) -> StoreResult<bool> {
        let (tenant, user) = (tenant.clone(), user.clone());
        self.run(move |c| update_user(c, &tenant, &user)).await
    }

    async fn revoke_user(
        &self,
        tenant: &TenantId,
        user: &UserId,
        now: UnixTime,
        keep_until: UnixTime,
    ) -> StoreResult<u64> {
        let (tenant, user) = (tenant.clone(), user.clone());
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let n = revoke_user_in(&tx, &tenant, &user, now, keep_until)?;
            tx.commit()?;
            Ok(n)
        })
        .await
    }

    async fn delete_user(
        &self,
        tenant: &TenantId,
        user: &UserId,
        now: UnixTime,
        keep_until: UnixTime,
    ) -> StoreResult<bool> {
        let (tenant, user) = (tenant.clone(), user.clone());
        self.run(move |c| delete_user(c, &tenant, &user, now, keep_until))
            .await
    }
}

#[cfg(test)]
mod tests;
