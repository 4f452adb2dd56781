//! Registered clients: one row each, lists as `text[]`, hashes as `bytea`.

use crate::{PostgresStore, db_error, tenant_transaction};
use deadpool_postgres::Transaction;
use idp_core::crypto::secret::SecretHash;
use idp_core::ids::{ClientId, TenantId};
use idp_core::jwks::SigningAlg;
use idp_core::store::{
    ClientRecord, ClientStore, GrantType, PreviousSecret, StoreError, StoreResult, SubjectType,
    TokenEndpointAuthMethod,
};
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

/// The columns [`client_from_row`] reads.
pub(crate) const COLUMNS: &str = "id, name, secret_hash, auth_method, redirect_uris,
    grant_types, require_pkce, id_token_alg, created_at, allowed_scopes, audiences,
    jwks, jwks_uri, post_logout_redirect_uris, registration_token_hash, metadata,
    frontchannel_logout_uri, frontchannel_logout_session_required,
    backchannel_logout_uri, backchannel_logout_session_required,
    previous_secret_hash, previous_secret_expires_at,
    require_pushed_authorization_requests, subject_type, sector_identifier_uri,
    allowed_origins";

/// Inserts a client: the tenant, the id, the [`ClientParams::mutable`]
/// columns, then `created_at`.
const INSERT: &str = "INSERT INTO clients (tenant_id, id, name, secret_hash, auth_method,
    redirect_uris, grant_types, require_pkce, id_token_alg, allowed_scopes, audiences,
    jwks, jwks_uri, post_logout_redirect_uris, registration_token_hash, metadata,
    frontchannel_logout_uri, frontchannel_logout_session_required,
    backchannel_logout_uri, backchannel_logout_session_required,
    previous_secret_hash, previous_secret_expires_at,
    require_pushed_authorization_requests, subject_type, sector_identifier_uri,
    allowed_origins, created_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
            $19, $20, $21, $22, $23, $24, $25, $26, $27)";

/// A client's fields as column values (enums by name, hashes as bytes),
/// held so that they can be lent as parameters.
pub(crate) struct ClientParams<'a> {
    client: &'a ClientRecord,
    secret_hash: Option<&'a [u8]>,
    auth_method: &'static str,
    grant_types: Vec<&'static str>,
    id_token_alg: &'static str,
    registration_token_hash: Option<&'a [u8]>,
    previous_secret_hash: Option<&'a [u8]>,
    previous_secret_expires_at: Option<i64>,
    subject_type: &'static str,
}

impl<'a> ClientParams<'a> {
    pub(crate) fn new(client: &'a ClientRecord) -> Self {
        Self {
            client,
            secret_hash: client.secret_hash.as_ref().map(|h| h.as_bytes().as_slice()),
            auth_method: client.auth_method.as_str(),
            grant_types: client.grant_types.iter().map(|g| g.as_str()).collect(),
            id_token_alg: client.id_token_alg.as_str(),
            registration_token_hash: client
                .registration_token_hash
                .as_ref()
                .map(|h| h.as_bytes().as_slice()),
            previous_secret_hash: client
                .previous_secret
                .as_ref()
                .map(|p| p.hash.as_bytes().as_slice()),
            previous_secret_expires_at: client.previous_secret.as_ref().map(|p| p.expires_at),
            subject_type: client.subject_type.as_str(),
        }
    }

    /// Every column but `tenant_id`, `id` and `created_at`, in [`COLUMNS`]
    /// order (what an update sets).
    pub(crate) fn mutable(&self) -> [&(dyn ToSql + Sync); 24] {
        let c = self.client;
        [
            &c.name,
            &self.secret_hash,
            &self.auth_method,
            &c.redirect_uris,
            &self.grant_types,
            &c.require_pkce,
            &self.id_token_alg,
            &c.allowed_scopes,
            &c.audiences,
            &c.jwks,
            &c.jwks_uri,
            &c.post_logout_redirect_uris,
            &self.registration_token_hash,
            &c.metadata,
            &c.frontchannel_logout_uri,
            &c.frontchannel_logout_session_required,
            &c.backchannel_logout_uri,
            &c.backchannel_logout_session_required,
            &self.previous_secret_hash,
            &self.previous_secret_expires_at,
            &c.require_pushed_authorization_requests,
            &self.subject_type,
            &c.sector_identifier_uri,
            &c.allowed_origins,
        ]
    }

    /// The parameters of [`INSERT`].
    fn insert<'p>(&'p self, tenant: &'p &str, id: &'p &str) -> Vec<&'p (dyn ToSql + Sync)> {
        let mut params: Vec<&(dyn ToSql + Sync)> = vec![tenant, id];
        params.extend(self.mutable());
        params.push(&self.client.created_at);
        params
    }
}

/// Inserts `client` in `tx` (scoped to `tenant`): the audited form of
/// [`ClientStore::create_client`].
pub(crate) async fn create_client_in(
    tx: &Transaction<'_>,
    tenant: &TenantId,
    client: &ClientRecord,
) -> StoreResult<u64> {
    let values = ClientParams::new(client);
    let (tenant, id) = (tenant.as_str(), client.id.as_str());
    let statement = tx.prepare_cached(INSERT).await.map_err(db_error)?;
    tx.execute(&statement, &values.insert(&tenant, &id))
        .await
        .map_err(db_error)
}

/// Inserts `clients` in one transaction: all or none.
async fn insert(
    store: &PostgresStore,
    tenant: &TenantId,
    clients: &[ClientRecord],
) -> StoreResult<()> {
    let mut conn = store.client().await?;
    let tx = tenant_transaction(&mut conn, tenant).await?;
    let statement = tx.prepare_cached(INSERT).await.map_err(db_error)?;
    for client in clients {
        let values = ClientParams::new(client);
        let (tenant, id) = (tenant.as_str(), client.id.as_str());
        tx.execute(&statement, &values.insert(&tenant, &id))
            .await
            .map_err(db_error)?;
    }
    tx.commit().await.map_err(db_error)
}

impl ClientStore for PostgresStore {
    /// One round trip ([`PostgresStore::tenant_execute`]).
    async fn create_client(&self, tenant: &TenantId, client: &ClientRecord) -> StoreResult<()> {
        let values = ClientParams::new(client);
        let (tenant_id, id) = (tenant.as_str(), client.id.as_str());
        self.tenant_execute(tenant, INSERT, &values.insert(&tenant_id, &id))
            .await?;
        Ok(())
    }

    async fn create_clients(&self, tenant: &TenantId, clients: &[ClientRecord]) -> StoreResult<()> {
        insert(self, tenant, clients).await
    }

    async fn client(&self, tenant: &TenantId, id: &ClientId) -> StoreResult<Option<ClientRecord>> {
        let rows = self
            .tenant_query(
                tenant,
                &format!("SELECT {COLUMNS} FROM clients WHERE tenant_id = $1 AND id = $2"),
                &[&tenant.as_str(), &id.as_str()],
            )
            .await?;
        rows.first().map(client_from_row).transpose()
    }

    async fn web_origin_sources(&self, tenant: &TenantId) -> StoreResult<Vec<String>> {
        let rows = self
            .tenant_query(
                tenant,
                "SELECT redirect_uris, allowed_origins FROM clients WHERE tenant_id = $1",
                &[&tenant.as_str()],
            )
            .await?;
        let mut out = Vec::new();
        for row in &rows {
            out.extend(row.try_get::<_, Vec<String>>(0).map_err(db_error)?);
            out.extend(row.try_get::<_, Vec<String>>(1).map_err(db_error)?);
        }
        Ok(out)
    }

    async fn delete_client(&self, tenant: &TenantId, id: &ClientId) -> StoreResult<bool> {
        let n = self
            .tenant_execute(
                tenant,
                "DELETE FROM clients WHERE tenant_id = $1 AND id = $2",
                &[&tenant.as_str(), &id.as_str()],
            )
            .await?;
        Ok(n == 1)
    }
}

/// A client from a row of [`COLUMNS`]; an unknown enum name or a hash of
/// the wrong length is a backend error naming it.
pub(crate) fn client_from_row(r: &Row) -> StoreResult<ClientRecord> {
    let auth_method: String = r.try_get(3).map_err(db_error)?;
    let grant_types: Vec<String> = r.try_get(5).map_err(db_error)?;
    let id_token_alg: String = r.try_get(7).map_err(db_error)?;
    let subject_type: String = r.try_get(23).map_err(db_error)?;
    let previous_hash = hash(r, 20)?;
    let previous_expires: Option<i64> = r.try_get(21).map_err(db_error)?;
    Ok(ClientRecord {
        id: ClientId::new(r.try_get::<_, String>(0).map_err(db_error)?),
        name: r.try_get(1).map_err(db_error)?,
        secret_hash: hash(r, 2)?,
        auth_method: TokenEndpointAuthMethod::parse(&auth_method)
            .ok_or_else(|| unknown("token endpoint auth method", &auth_method))?,
        redirect_uris: r.try_get(4).map_err(db_error)?,
        grant_types: grant_types
            .iter()
            .map(|g| GrantType::parse(g).ok_or_else(|| unknown("grant type", g)))
            .collect::<StoreResult<_>>()?,
        require_pkce: r.try_get(6).map_err(db_error)?,
        id_token_alg: SigningAlg::parse(&id_token_alg)
            .ok_or_else(|| unknown("signing algorithm", &id_token_alg))?,
        created_at: r.try_get(8).map_err(db_error)?,
        allowed_scopes: r.try_get(9).map_err(db_error)?,
        audiences: r.try_get(10).map_err(db_error)?,
        jwks: r.try_get(11).map_err(db_error)?,
        jwks_uri: r.try_get(12).map_err(db_error)?,
        post_logout_redirect_uris: r.try_get(13).map_err(db_error)?,
        registration_token_hash: hash(r, 14)?,
        metadata: r.try_get(15).map_err(db_error)?,
        frontchannel_logout_uri: r.try_get(16).map_err(db_error)?,
        frontchannel_logout_session_required: r.try_get(17).map_err(db_error)?,
        backchannel_logout_uri: r.try_get(18).map_err(db_error)?,
        backchannel_logout_session_required: r.try_get(19).map_err(db_error)?,
        previous_secret: match (previous_hash, previous_expires) {
            (Some(hash), Some(expires_at)) => Some(PreviousSecret { hash, expires_at }),
            _ => None,
        },
        require_pushed_authorization_requests: r.try_get(22).map_err(db_error)?,
        subject_type: SubjectType::parse(&subject_type)
            .ok_or_else(|| unknown("subject type", &subject_type))?,
        sector_identifier_uri: r.try_get(24).map_err(db_error)?,
        allowed_origins: r.try_get(25).map_err(db_error)?,
    })
}

/// An optional 32-byte hash column.
fn hash(r: &Row, index: usize) -> StoreResult<Option<SecretHash>> {
    let bytes: Option<Vec<u8>> = r.try_get(index).map_err(db_error)?;
    bytes
        .map(|b| {
            SecretHash::from_slice(&b).ok_or_else(|| {
                StoreError::Backend(format!("a hash of {} bytes in the database", b.len()))
            })
        })
        .transpose()
}

fn unknown(what: &str, name: &str) -> StoreError {
    StoreError::Backend(format!("unknown {what} {name:?} in the database"))
}
