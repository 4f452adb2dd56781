//! Tenants and their signing keys.

use crate::codec::Alg;
use idp_core::ids::TenantId;
use idp_core::store::{SigningKeyRecord, TenantRecord};
use rusqlite::{Connection, OptionalExtension, Result, Row, TransactionBehavior, params};

const TENANT_COLUMNS: &str = "id, slug, name, wrapped_data_key, created_at, dynamic_registration";

/// Inserts the tenant and its keys in one transaction.
pub(crate) fn create(
    conn: &mut Connection,
    tenant: &TenantRecord,
    keys: &[SigningKeyRecord],
) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute(
        "INSERT INTO tenants (id, slug, name, wrapped_data_key, created_at, dynamic_registration)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            tenant.id.as_str(),
            tenant.slug,
            tenant.name,
            tenant.wrapped_data_key,
            tenant.created_at,
            tenant.dynamic_registration,
        ],
    )?;
    insert_keys(&tx, &tenant.id, keys)?;
    tx.commit()
}

fn insert_keys(conn: &Connection, tenant: &TenantId, keys: &[SigningKeyRecord]) -> Result<()> {
    let mut insert = conn.prepare(
        "INSERT INTO signing_keys
           (tenant_id, kid, alg, sealed_private_key, created_at, activates_at, retired_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for key in keys {
        insert.execute(params![
            tenant.as_str(),
            key.kid,
            key.alg.as_str(),
            key.sealed_private_key,
            key.created_at,
            key.activates_at,
            key.retired_at,
        ])?;
    }
    Ok(())
}

/// A tenant by slug.
pub(crate) fn by_slug(conn: &Connection, slug: &str) -> Result<Option<TenantRecord>> {
    conn.prepare_cached(&format!(
        "SELECT {TENANT_COLUMNS} FROM tenants WHERE slug = ?1"
    ))?
    .query_row([slug], tenant_from_row)
    .optional()
}

/// Every tenant, ordered by slug.
pub(crate) fn list(conn: &Connection) -> Result<Vec<TenantRecord>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {TENANT_COLUMNS} FROM tenants ORDER BY slug"
    ))?;
    let rows = stmt.query_map([], tenant_from_row)?;
    rows.collect()
}

/// If the current kids (`retired_at` unset) are exactly `expected`: retires
/// at `retire_at` every key not retired by then (unset, or retiring later: a
/// key still waiting to supersede its predecessor) and inserts `keys`. One
/// `BEGIN IMMEDIATE` transaction, so two racing callers serialise and the
/// second sees the first's keys.
pub(crate) fn replace_signing_keys(
    conn: &mut Connection,
    tenant: &TenantId,
    expected: &[String],
    keys: &[SigningKeyRecord],
    retire_at: i64,
) -> Result<bool> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut active: Vec<String> = tx
        .prepare_cached("SELECT kid FROM signing_keys WHERE tenant_id = ?1 AND retired_at IS NULL")?
        .query_map([tenant.as_str()], |r| r.get(0))?
        .collect::<Result<_>>()?;
    let mut expected = expected.to_vec();
    active.sort_unstable();
    expected.sort_unstable();
    if active != expected {
        return Ok(false);
    }
    tx.execute(
        "UPDATE signing_keys SET retired_at = ?2
         WHERE tenant_id = ?1 AND (retired_at IS NULL OR retired_at > ?2)",
        params![tenant.as_str(), retire_at],
    )?;
    insert_keys(&tx, tenant, keys)?;
    tx.commit()?;
    Ok(true)
}

/// Deletes keys retired before `before`.
pub(crate) fn delete_retired_keys(
    conn: &Connection,
    tenant: &TenantId,
    before: i64,
) -> Result<u64> {
    let n = conn.execute(
        "DELETE FROM signing_keys
         WHERE tenant_id = ?1 AND retired_at IS NOT NULL AND retired_at < ?2",
        params![tenant.as_str(), before],
    )?;
    Ok(n as u64)
}

/// A tenant's signing keys, newest first.
pub(crate) fn signing_keys(conn: &Connection, tenant: &TenantId) -> Result<Vec<SigningKeyRecord>> {
    let mut stmt = conn.prepare_cached(
        "SELECT kid, alg, sealed_private_key, created_at, activates_at, retired_at
         FROM signing_keys WHERE tenant_id = ?1
         ORDER BY created_at DESC, rowid DESC",
    )?;
    let rows = stmt.query_map([tenant.as_str()], |r| {
        Ok(SigningKeyRecord {
            kid: r.get(0)?,
            alg: r.get::<_, Alg>(1)?.0,
            sealed_private_key: r.get(2)?,
            created_at: r.get(3)?,
            activates_at: r.get(4)?,
            retired_at: r.get(5)?,
        })
    })?;
    rows.collect()
}

fn tenant_from_row(r: &Row<'_>) -> Result<TenantRecord> {
    Ok(TenantRecord {
        id: TenantId::new(r.get::<_, String>(0)?),
        slug: r.get(1)?,
        name: r.get(2)?,
        wrapped_data_key: r.get(3)?,
        created_at: r.get(4)?,
        dynamic_registration: r.get(5)?,
    })
}

#[cfg(test)]
mod tests {
    use crate::testing::{TestResult, fresh_store, signing_key, tenant_record};
    use idp_core::jwks::SigningAlg;
    use idp_core::store::{KeyStore, StoreError, TenantStore};

    #[tokio::test]
    async fn tenant_and_keys_round_trip() -> TestResult {
        let (_dir, store) = fresh_store()?;
        let tenant = tenant_record("acme");
        let mut retired = signing_key("old", SigningAlg::Rs256, 100);
        retired.retired_at = Some(500);
        let keys = [
            retired,
            signing_key("ec", SigningAlg::Es256, 200),
            signing_key("ed", SigningAlg::EdDsa, 200),
        ];
        store.create_tenant(&tenant, &keys).await?;

        let got = store
            .tenant_by_slug("acme")
            .await?
            .ok_or("tenant missing")?;
        assert_eq!(got.id, tenant.id);
        assert_eq!(got.slug, "acme");
        assert_eq!(got.name, tenant.name);
        assert_eq!(got.wrapped_data_key, tenant.wrapped_data_key);
        assert_eq!(got.created_at, tenant.created_at);
        assert!(store.tenant_by_slug("other").await?.is_none());

        let got = store.signing_keys(&tenant.id).await?;
        let order: Vec<_> = got.iter().map(|k| k.kid.as_str()).collect();
        // Newest first; equal times in reverse insertion order.
        assert_eq!(order, ["ed", "ec", "old"]);
        assert_eq!(got[0].alg, SigningAlg::EdDsa);
        assert_eq!(got[1].alg, SigningAlg::Es256);
        assert_eq!(got[2].alg, SigningAlg::Rs256);
        assert_eq!(got[2].sealed_private_key, keys[0].sealed_private_key);
        assert_eq!(got[2].created_at, 100);
        assert_eq!(got[2].retired_at, Some(500));
        assert_eq!(got[0].retired_at, None);
        Ok(())
    }

    #[tokio::test]
    async fn rotation_retires_the_active_keys_and_adds_new_ones() -> TestResult {
        let (_dir, store) = fresh_store()?;
        let t = tenant_record("rot");
        store
            .create_tenant(&t, &[signing_key("old", SigningAlg::Rs256, 100)])
            .await?;
        let new = [signing_key("new", SigningAlg::Rs256, 200)];
        assert!(
            store
                .replace_signing_keys(&t.id, &["old".to_owned()], &new, 200)
                .await?
        );
        let keys = store.signing_keys(&t.id).await?;
        let kids: Vec<&str> = keys.iter().map(|k| k.kid.as_str()).collect();
        assert_eq!(kids, vec!["new", "old"], "newest first");
        assert_eq!(keys[0].retired_at, None);
        assert_eq!(keys[1].retired_at, Some(200));
        Ok(())
    }

    #[tokio::test]
    async fn tenants_are_listed_by_slug_and_slugs_are_unique() -> TestResult {
        let (_dir, store) = fresh_store()?;
        for slug in ["zeta", "alpha", "mid"] {
            store.create_tenant(&tenant_record(slug), &[]).await?;
        }
        let slugs: Vec<_> = store
            .list_tenants()
            .await?
            .into_iter()
            .map(|t| t.slug)
            .collect();
        assert_eq!(slugs, ["alpha", "mid", "zeta"]);

        let again = store.create_tenant(&tenant_record("alpha"), &[]).await;
        assert!(
            matches!(again, Err(StoreError::Conflict(ref f)) if f == "slug"),
            "{again:?}"
        );
        Ok(())
    }

    #[tokio::test]
    async fn create_tenant_is_atomic() -> TestResult {
        let (_dir, store) = fresh_store()?;
        let tenant = tenant_record("acme");
        let keys = [
            signing_key("same", SigningAlg::Rs256, 1),
            signing_key("same", SigningAlg::Es256, 2),
        ];
        let result = store.create_tenant(&tenant, &keys).await;
        assert!(
            matches!(result, Err(StoreError::Conflict(ref f)) if f == "kid"),
            "{result:?}"
        );
        assert!(store.tenant_by_slug("acme").await?.is_none());
        assert!(store.signing_keys(&tenant.id).await?.is_empty());
        Ok(())
    }

    #[tokio::test]
    async fn keys_are_scoped_by_tenant() -> TestResult {
        let (_dir, store) = fresh_store()?;
        let a = tenant_record("a");
        let b = tenant_record("b");
        store
            .create_tenant(&a, &[signing_key("k", SigningAlg::Rs256, 1)])
            .await?;
        // The same kid under another tenant is no conflict.
        store
            .create_tenant(&b, &[signing_key("k", SigningAlg::Es256, 1)])
            .await?;
        let a_keys = store.signing_keys(&a.id).await?;
        assert_eq!(a_keys.len(), 1);
        assert_eq!(a_keys[0].alg, SigningAlg::Rs256);
        Ok(())
    }
}
