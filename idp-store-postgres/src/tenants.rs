//! Tenants and their signing keys: the registry (tenants by slug, read
//! before any tenant is known) and the compare-and-swap key rotation.
//! Each change is a function over a transaction (`…_in`), called by its
//! port method and by its audited form (`audited`).

use crate::{PostgresStore, db_error, registry_transaction, tenant_transaction};
use deadpool_postgres::Transaction;
use idp_core::clock::UnixTime;
use idp_core::ids::TenantId;
use idp_core::jwks::SigningAlg;
use idp_core::store::{
    KeyStore, SigningKeyRecord, StoreError, StoreResult, TenantRecord, TenantStore,
};
use idp_core::tenant::state::TenantState;
use tokio_postgres::Row;

/// The columns [`tenant_from_row`] reads, in order.
pub(crate) const TENANT_COLUMNS: &str = "id, slug, name, wrapped_data_key, created_at, dynamic_registration, state, state_reason, state_changed_at, password_login";

impl TenantStore for PostgresStore {
    async fn create_tenant(
        &self,
        tenant: &TenantRecord,
        keys: &[SigningKeyRecord],
    ) -> StoreResult<()> {
        let mut client = self.client().await?;
        let tx = registry_transaction(&mut client, Some(&tenant.id)).await?;
        create_tenant_in(&tx, tenant, keys).await?;
        tx.commit().await.map_err(db_error)
    }

    async fn tenant_by_slug(&self, slug: &str) -> StoreResult<Option<TenantRecord>> {
        let mut client = self.client().await?;
        let tx = registry_transaction(&mut client, None).await?;
        let row = tx
            .query_opt(
                &format!("SELECT {TENANT_COLUMNS} FROM tenants WHERE slug = $1"),
                &[&slug],
            )
            .await
            .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        row.as_ref().map(tenant_from_row).transpose()
    }

    async fn list_tenants(&self) -> StoreResult<Vec<TenantRecord>> {
        let mut client = self.client().await?;
        let tx = registry_transaction(&mut client, None).await?;
        let rows = tx
            .query(
                &format!("SELECT {TENANT_COLUMNS} FROM tenants ORDER BY slug"),
                &[],
            )
            .await
            .map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        rows.iter().map(tenant_from_row).collect()
    }
}

impl KeyStore for PostgresStore {
    async fn signing_keys(&self, tenant: &TenantId) -> StoreResult<Vec<SigningKeyRecord>> {
        let rows = self
            .tenant_query(
                tenant,
                "SELECT kid, alg, sealed_private_key, created_at, activates_at, retired_at
                 FROM signing_keys WHERE tenant_id = $1
                 ORDER BY created_at DESC, seq DESC",
                &[&tenant.as_str()],
            )
            .await?;
        rows.iter().map(key_from_row).collect()
    }

    async fn replace_signing_keys(
        &self,
        tenant: &TenantId,
        expected_current: &[String],
        keys: &[SigningKeyRecord],
        retire_at: UnixTime,
    ) -> StoreResult<bool> {
        let mut client = self.client().await?;
        let tx = tenant_transaction(&mut client, tenant).await?;
        if !replace_signing_keys_in(&tx, tenant, expected_current, keys, retire_at).await? {
            return Ok(false);
        }
        tx.commit().await.map_err(db_error)?;
        Ok(true)
    }

    async fn delete_retired_signing_keys(
        &self,
        tenant: &TenantId,
        retired_before: UnixTime,
    ) -> StoreResult<u64> {
        self.tenant_execute(
            tenant,
            "DELETE FROM signing_keys
             WHERE tenant_id = $1 AND retired_at IS NOT NULL AND retired_at < $2",
            &[&tenant.as_str(), &retired_before],
        )
        .await
    }
}

/// Inserts the tenant and its first keys, in a registry transaction that
/// sees the tenant ([`TenantStore::create_tenant`] and its audited form).
pub(crate) async fn create_tenant_in(
    tx: &Transaction<'_>,
    tenant: &TenantRecord,
    keys: &[SigningKeyRecord],
) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO tenants (id, slug, name, wrapped_data_key, created_at, dynamic_registration,
                              state, state_reason, state_changed_at, password_login)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        &[
            &tenant.id.as_str(),
            &tenant.slug,
            &tenant.name,
            &tenant.wrapped_data_key,
            &tenant.created_at,
            &tenant.dynamic_registration,
            &tenant.state.as_str(),
            &tenant.state_reason,
            &tenant.state_changed_at,
            &tenant.password_login,
        ],
    )
    .await
    .map_err(db_error)?;
    insert_keys(tx, &tenant.id, keys).await
}

/// The key compare-and-swap in `tx` (scoped to `tenant`); `false`, having
/// written nothing, when the current keys are not `expected_current`.
///
/// The tenant's row is locked first, so two racing rotations serialise
/// and the second sees the first's keys (then finds its expectation
/// stale and changes nothing).
pub(crate) async fn replace_signing_keys_in(
    tx: &Transaction<'_>,
    tenant: &TenantId,
    expected_current: &[String],
    keys: &[SigningKeyRecord],
    retire_at: UnixTime,
) -> StoreResult<bool> {
    let locked = tx
        .query_opt(
            "SELECT 1 FROM tenants WHERE id = $1 FOR NO KEY UPDATE",
            &[&tenant.as_str()],
        )
        .await
        .map_err(db_error)?;
    if locked.is_none() {
        return Ok(false);
    }
    let mut current: Vec<String> = tx
        .query(
            "SELECT kid FROM signing_keys WHERE tenant_id = $1 AND retired_at IS NULL",
            &[&tenant.as_str()],
        )
        .await
        .map_err(db_error)?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()
        .map_err(db_error)?;
    let mut expected = expected_current.to_vec();
    current.sort_unstable();
    expected.sort_unstable();
    if current != expected {
        return Ok(false);
    }
    tx.execute(
        "UPDATE signing_keys SET retired_at = $2
         WHERE tenant_id = $1 AND (retired_at IS NULL OR retired_at > $2)",
        &[&tenant.as_str(), &retire_at],
    )
    .await
    .map_err(db_error)?;
    insert_keys(tx, tenant, keys).await?;
    Ok(true)
}

/// Changes the tenant's name and settings, in a registry transaction that
/// sees it; `false` if there is no such tenant.
pub(crate) async fn update_tenant_in(
    tx: &Transaction<'_>,
    tenant: &TenantRecord,
) -> StoreResult<bool> {
    let n = tx
        .execute(
            "UPDATE tenants SET name = $2, dynamic_registration = $3, password_login = $4
             WHERE id = $1",
            &[
                &tenant.id.as_str(),
                &tenant.name,
                &tenant.dynamic_registration,
                &tenant.password_login,
            ],
        )
        .await
        .map_err(db_error)?;
    Ok(n == 1)
}

/// The lifecycle compare-and-swap, in a registry transaction that sees the
/// tenant: `false` (nothing written) unless it is in `from`. The update
/// fires `tenants_changed`, which tells every instance on commit.
pub(crate) async fn change_state_in(
    tx: &Transaction<'_>,
    tenant: &TenantId,
    from: TenantState,
    to: TenantState,
    reason: Option<&str>,
    at: UnixTime,
) -> StoreResult<bool> {
    let n = tx
        .execute(
            "UPDATE tenants SET state = $3, state_reason = $4, state_changed_at = $5
             WHERE id = $1 AND state = $2",
            &[&tenant.as_str(), &from.as_str(), &to.as_str(), &reason, &at],
        )
        .await
        .map_err(db_error)?;
    Ok(n == 1)
}

/// Deletes the tenant, in a registry transaction that sees it: every table
/// of tenant data (roles and their assignments included) cascades from
/// tenants; its audit events stay. `false` if there is no such tenant.
pub(crate) async fn delete_tenant_in(tx: &Transaction<'_>, tenant: &TenantId) -> StoreResult<bool> {
    let n = tx
        .execute("DELETE FROM tenants WHERE id = $1", &[&tenant.as_str()])
        .await
        .map_err(db_error)?;
    Ok(n == 1)
}

/// Inserts `keys` in order (so `seq` follows it).
async fn insert_keys(
    tx: &Transaction<'_>,
    tenant: &TenantId,
    keys: &[SigningKeyRecord],
) -> StoreResult<()> {
    let insert = tx
        .prepare_cached(
            "INSERT INTO signing_keys
               (tenant_id, kid, alg, sealed_private_key, created_at, activates_at, retired_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .await
        .map_err(db_error)?;
    for key in keys {
        tx.execute(
            &insert,
            &[
                &tenant.as_str(),
                &key.kid,
                &key.alg.as_str(),
                &key.sealed_private_key,
                &key.created_at,
                &key.activates_at,
                &key.retired_at,
            ],
        )
        .await
        .map_err(db_error)?;
    }
    Ok(())
}

/// A tenant from a row of [`TENANT_COLUMNS`].
pub(crate) fn tenant_from_row(r: &Row) -> StoreResult<TenantRecord> {
    Ok(TenantRecord {
        id: TenantId::new(r.try_get::<_, String>(0).map_err(db_error)?),
        slug: r.try_get(1).map_err(db_error)?,
        name: r.try_get(2).map_err(db_error)?,
        wrapped_data_key: r.try_get(3).map_err(db_error)?,
        created_at: r.try_get(4).map_err(db_error)?,
        dynamic_registration: r.try_get(5).map_err(db_error)?,
        state: {
            let name: &str = r.try_get(6).map_err(db_error)?;
            TenantState::parse(name)
                .ok_or_else(|| StoreError::Backend(format!("unknown tenant state '{name}'")))?
        },
        state_reason: r.try_get(7).map_err(db_error)?,
        state_changed_at: r.try_get(8).map_err(db_error)?,
        password_login: r.try_get(9).map_err(db_error)?,
    })
}

fn key_from_row(r: &Row) -> StoreResult<SigningKeyRecord> {
    let alg: String = r.try_get(1).map_err(db_error)?;
    Ok(SigningKeyRecord {
        kid: r.try_get(0).map_err(db_error)?,
        alg: SigningAlg::parse(&alg)
            .ok_or_else(|| StoreError::Backend(format!("unknown signing algorithm '{alg}'")))?,
        sealed_private_key: r.try_get(2).map_err(db_error)?,
        created_at: r.try_get(3).map_err(db_error)?,
        activates_at: r.try_get(4).map_err(db_error)?,
        retired_at: r.try_get(5).map_err(db_error)?,
    })
}
