//! Tenants and their signing keys.

use crate::codec::{Alg, State};
use idp_core::ids::TenantId;
use idp_core::store::{SigningKeyRecord, TenantRecord};
use idp_core::tenant::state::TenantState;
use rusqlite::{Connection, OptionalExtension, Result, Row, TransactionBehavior, params};

const TENANT_COLUMNS: &str = "id, slug, name, wrapped_data_key, created_at, dynamic_registration, state, state_reason, state_changed_at, password_login";

/// Inserts the tenant and its keys in one transaction.
pub(crate) fn create(
    conn: &mut Connection,
    tenant: &TenantRecord,
    keys: &[SigningKeyRecord],
) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    create_in(&tx, tenant, keys)?;
    tx.commit()
}

/// Inserts the tenant and its keys, inside the caller's transaction.
pub(crate) fn create_in(
    conn: &Connection,
    tenant: &TenantRecord,
    keys: &[SigningKeyRecord],
) -> Result<()> {
    conn.execute(
        "INSERT INTO tenants (id, slug, name, wrapped_data_key, created_at, dynamic_registration,
                              state, state_reason, state_changed_at, password_login)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            tenant.id.as_str(),
            tenant.slug,
            tenant.name,
            tenant.wrapped_data_key,
            tenant.created_at,
            tenant.dynamic_registration,
            tenant.state.as_str(),
            tenant.state_reason,
            tenant.state_changed_at,
            tenant.password_login,
        ],
    )?;
    insert_keys(conn, &tenant.id, keys)
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

/// Tenants with a slug after `after` ("" for the first page), by slug:
/// a range on the UNIQUE slug index.
pub(crate) fn page(conn: &Connection, after: &str, limit: usize) -> Result<Vec<TenantRecord>> {
    conn.prepare_cached(&format!(
        "SELECT {TENANT_COLUMNS} FROM tenants WHERE slug > ?1 ORDER BY slug LIMIT ?2"
    ))?
    .query_map(params![after, limit as i64], tenant_from_row)?
    .collect()
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
    let replaced = replace_signing_keys_in(&tx, tenant, expected, keys, retire_at)?;
    if replaced {
        tx.commit()?;
    }
    Ok(replaced)
}

/// [`replace_signing_keys`] inside the caller's transaction; `false`
/// (nothing written) when the current kids are not `expected`.
pub(crate) fn replace_signing_keys_in(
    conn: &Connection,
    tenant: &TenantId,
    expected: &[String],
    keys: &[SigningKeyRecord],
    retire_at: i64,
) -> Result<bool> {
    let mut active: Vec<String> = conn
        .prepare_cached("SELECT kid FROM signing_keys WHERE tenant_id = ?1 AND retired_at IS NULL")?
        .query_map([tenant.as_str()], |r| r.get(0))?
        .collect::<Result<_>>()?;
    let mut expected = expected.to_vec();
    active.sort_unstable();
    expected.sort_unstable();
    if active != expected {
        return Ok(false);
    }
    conn.execute(
        "UPDATE signing_keys SET retired_at = ?2
         WHERE tenant_id = ?1 AND (retired_at IS NULL OR retired_at > ?2)",
        params![tenant.as_str(), retire_at],
    )?;
    insert_keys(conn, tenant, keys)?;
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
        state: r.get::<_, State>(6)?.0,
        state_reason: r.get(7)?,
        state_changed_at: r.get(8)?,
        password_login: r.get(9)?,
    })
}

/// The lifecycle compare-and-swap
/// ([`AdminChange::ChangeTenantState`](idp_core::store::AdminChange)):
/// whether the tenant was in `from` (and now is in `to`).
pub(crate) fn change_state(
    conn: &Connection,
    tenant: &TenantId,
    from: TenantState,
    to: TenantState,
    reason: Option<&str>,
    at: i64,
) -> Result<bool> {
    let n = conn.execute(
        "UPDATE tenants SET state = ?3, state_reason = ?4, state_changed_at = ?5
         WHERE id = ?1 AND state = ?2",
        params![tenant.as_str(), from.as_str(), to.as_str(), reason, at],
    )?;
    Ok(n == 1)
}
