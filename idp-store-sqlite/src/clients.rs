//! Registered clients.

use crate::codec::{Alg, AuthMethod, GrantTypes, Hash, StringList, Subject, json_list};
use idp_core::ids::{ClientId, TenantId};
use idp_core::store::{ClientRecord, PreviousSecret};
use rusqlite::{Connection, OptionalExtension, Result, Row, params};

/// Inserts a client; a duplicate id in the tenant is a conflict on `client id`.
pub(crate) fn create(conn: &Connection, tenant: &TenantId, client: &ClientRecord) -> Result<()> {
    // Cached: a bulk import runs this statement once per row.
    conn.prepare_cached(
        "INSERT INTO clients
           (tenant_id, id, name, secret_hash, auth_method, redirect_uris, grant_types,
            require_pkce, id_token_alg, created_at, allowed_scopes, audiences, jwks, jwks_uri,
            post_logout_redirect_uris, registration_token_hash, metadata,
            frontchannel_logout_uri, frontchannel_logout_session_required,
            backchannel_logout_uri, backchannel_logout_session_required,
            previous_secret_hash, previous_secret_expires_at,
            require_pushed_authorization_requests, subject_type, sector_identifier_uri,
            allowed_origins)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                 ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27)",
    )?
    .execute(params![
        tenant.as_str(),
        client.id.as_str(),
        client.name,
        client.secret_hash.as_ref().map(|h| h.as_bytes()),
        client.auth_method.as_str(),
        json_list(client.redirect_uris.iter().map(String::as_str))?,
        json_list(client.grant_types.iter().map(|g| g.as_str()))?,
        client.require_pkce,
        client.id_token_alg.as_str(),
        client.created_at,
        json_list(client.allowed_scopes.iter().map(String::as_str))?,
        json_list(client.audiences.iter().map(String::as_str))?,
        client.jwks,
        client.jwks_uri,
        json_list(client.post_logout_redirect_uris.iter().map(String::as_str))?,
        client
            .registration_token_hash
            .as_ref()
            .map(|h| h.as_bytes()),
        client.metadata,
        client.frontchannel_logout_uri,
        client.frontchannel_logout_session_required,
        client.backchannel_logout_uri,
        client.backchannel_logout_session_required,
        client.previous_secret.as_ref().map(|p| p.hash.as_bytes()),
        client.previous_secret.as_ref().map(|p| p.expires_at),
        client.require_pushed_authorization_requests,
        client.subject_type.as_str(),
        client.sector_identifier_uri,
        json_list(client.allowed_origins.iter().map(String::as_str))?,
    ])?;
    Ok(())
}

/// The columns [`from_row`] reads, for a query over `clients c`.
pub(crate) const COLUMNS: &str = "c.id, c.name, c.secret_hash, c.auth_method, c.redirect_uris,
    c.grant_types, c.require_pkce, c.id_token_alg, c.created_at, c.allowed_scopes, c.audiences,
    c.jwks, c.jwks_uri, c.post_logout_redirect_uris, c.registration_token_hash, c.metadata,
    c.frontchannel_logout_uri, c.frontchannel_logout_session_required,
    c.backchannel_logout_uri, c.backchannel_logout_session_required,
    c.previous_secret_hash, c.previous_secret_expires_at,
    c.require_pushed_authorization_requests, c.subject_type, c.sector_identifier_uri,
    c.allowed_origins";

/// A client from a row of [`COLUMNS`].
pub(crate) fn from_row(r: &Row<'_>) -> Result<ClientRecord> {
    Ok(ClientRecord {
        id: ClientId::new(r.get::<_, String>(0)?),
        name: r.get(1)?,
        secret_hash: r.get::<_, Option<Hash>>(2)?.map(|h| h.0),
        auth_method: r.get::<_, AuthMethod>(3)?.0,
        redirect_uris: r.get::<_, StringList>(4)?.0,
        grant_types: r.get::<_, GrantTypes>(5)?.0,
        require_pkce: r.get(6)?,
        id_token_alg: r.get::<_, Alg>(7)?.0,
        created_at: r.get(8)?,
        allowed_scopes: r.get::<_, StringList>(9)?.0,
        audiences: r.get::<_, StringList>(10)?.0,
        jwks: r.get(11)?,
        jwks_uri: r.get(12)?,
        post_logout_redirect_uris: r.get::<_, StringList>(13)?.0,
        registration_token_hash: r.get::<_, Option<Hash>>(14)?.map(|h| h.0),
        metadata: r.get(15)?,
        frontchannel_logout_uri: r.get(16)?,
        frontchannel_logout_session_required: r.get(17)?,
        backchannel_logout_uri: r.get(18)?,
        backchannel_logout_session_required: r.get(19)?,
        previous_secret: match (r.get::<_, Option<Hash>>(20)?, r.get::<_, Option<i64>>(21)?) {
            (Some(hash), Some(expires_at)) => Some(PreviousSecret {
                hash: hash.0,
                expires_at,
            }),
            _ => None,
        },
        require_pushed_authorization_requests: r.get(22)?,
        subject_type: r.get::<_, Subject>(23)?.0,
        sector_identifier_uri: r.get(24)?,
        allowed_origins: r.get::<_, StringList>(25)?.0,
    })
}

/// A client by id, within the tenant.
pub(crate) fn get(
    conn: &Connection,
    tenant: &TenantId,
    id: &ClientId,
) -> Result<Option<ClientRecord>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM clients c WHERE c.tenant_id = ?1 AND c.id = ?2"
    ))?
    .query_row([tenant.as_str(), id.as_str()], from_row)
    .optional()
}

/// Every redirect URI and allowed origin of the tenant's clients.
pub(crate) fn web_origin_sources(conn: &Connection, tenant: &TenantId) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT redirect_uris, allowed_origins FROM clients WHERE tenant_id = ?1",
    )?;
    let rows = stmt.query_map([tenant.as_str()], |r| {
        Ok((r.get::<_, StringList>(0)?.0, r.get::<_, StringList>(1)?.0))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (redirect_uris, allowed_origins) = row?;
        out.extend(redirect_uris);
        out.extend(allowed_origins);
    }
    Ok(out)
}

/// Deletes a client, within the tenant; `false` if there was none.
pub(crate) fn delete(conn: &Connection, tenant: &TenantId, id: &ClientId) -> Result<bool> {
    let n = conn.execute(
        "DELETE FROM clients WHERE tenant_id = ?1 AND id = ?2",
        params![tenant.as_str(), id.as_str()],
    )?;
    Ok(n == 1)
}

#[cfg(test)]
mod tests {
    use crate::testing::{TestResult, client_record, two_tenants};
    use idp_core::ids::ClientId;
    use idp_core::store::{ClientStore, StoreError};

    #[tokio::test]
    async fn a_client_of_an_unknown_tenant_is_refused() -> TestResult {
        let (_dir, store, _a, _b) = two_tenants().await?;
        let result = store
            .create_client(&idp_core::ids::TenantId::new("ghost"), &client_record("c1"))
            .await;
        assert!(matches!(result, Err(StoreError::Backend(_))), "{result:?}");
        Ok(())
    }

    #[tokio::test]
    async fn a_corrupt_row_is_a_backend_error() -> TestResult {
        let (_dir, store, a, _b) = two_tenants().await?;
        store.create_client(&a, &client_record("c1")).await?;
        let conn = rusqlite::Connection::open(store.path())?;
        conn.execute("UPDATE clients SET auth_method = 'tls_client_auth'", [])?;
        drop(conn);
        let result = store.client(&a, &ClientId::new("c1")).await;
        match result {
            Err(StoreError::Backend(message)) => {
                assert!(message.contains("tls_client_auth"), "{message}");
            }
            other => return Err(format!("expected Backend, got {other:?}").into()),
        }
        Ok(())
    }
}
