//! How every statement sees one tenant and no other (ADR 0027): a
//! transaction that starts with `set_config('idp.tenant', …, true)`, which
//! the row-level security policies read. Three shapes:
//! [`PostgresStore::tenant_query`]/[`PostgresStore::tenant_execute`] (one
//! statement, pipelined in one round trip), [`locked_write`] (a lock, then
//! a write that sees what the lock waited for, one round trip) and
//! [`tenant_transaction`] (several statements with logic between them).
//! [`registry_transaction`] is the tenants table's own.

use crate::{PostgresStore, db_error};
use idp_core::ids::TenantId;
use idp_core::store::StoreResult;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

/// Sets the tenant a transaction may see (ADR 0027).
const SET_TENANT: &str = "SELECT set_config('idp.tenant', $1, true)";

/// Lets a transaction read and write the tenants table by slug (registry
/// calls only; tenant data stays behind `idp.tenant`).
const SET_REGISTRY: &str = "SELECT set_config('idp.registry', 'on', true)";

impl PostgresStore {
    /// Runs one statement for `tenant` in a transaction of its own, sent
    /// in one round trip (BEGIN, the tenant setting, the statement, COMMIT
    /// pipelined), and returns its rows.
    pub(crate) async fn tenant_query(
        &self,
        tenant: &TenantId,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> StoreResult<Vec<Row>> {
        let client = self.client().await?;
        let set = client.prepare_cached(SET_TENANT).await.map_err(db_error)?;
        let statement = client.prepare_cached(sql).await.map_err(db_error)?;
        let tenant = tenant.as_str();
        let tenant_param: [&(dyn ToSql + Sync); 1] = [&tenant];
        // `join!`, not `try_join!`: every part is awaited, so the connection
        // goes back to the pool after its COMMIT (or the rollback a failed
        // statement turns it into), never inside an aborted transaction.
        let (begin, set, rows, commit) = tokio::join!(
            client.batch_execute("BEGIN"),
            client.query(&set, &tenant_param),
            client.query(&statement, params),
            client.batch_execute("COMMIT"),
        );
        begin.map_err(db_error)?;
        set.map_err(db_error)?;
        let rows = rows.map_err(db_error)?;
        commit.map_err(db_error)?;
        Ok(rows)
    }

    /// [`Self::tenant_query`] for a statement without rows: how many rows
    /// it changed.
    pub(crate) async fn tenant_execute(
        &self,
        tenant: &TenantId,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> StoreResult<u64> {
        let client = self.client().await?;
        let set = client.prepare_cached(SET_TENANT).await.map_err(db_error)?;
        let statement = client.prepare_cached(sql).await.map_err(db_error)?;
        let tenant = tenant.as_str();
        let tenant_param: [&(dyn ToSql + Sync); 1] = [&tenant];
        let (begin, set, changed, commit) = tokio::join!(
            client.batch_execute("BEGIN"),
            client.query(&set, &tenant_param),
            client.execute(&statement, params),
            client.batch_execute("COMMIT"),
        );
        begin.map_err(db_error)?;
        set.map_err(db_error)?;
        let changed = changed.map_err(db_error)?;
        commit.map_err(db_error)?;
        Ok(changed)
    }
}

/// Begins a transaction on `client` that sees `tenant`'s rows and no
/// other's. Dropped without `commit`, it rolls back.
pub(crate) async fn tenant_transaction<'a>(
    client: &'a mut deadpool_postgres::Object,
    tenant: &TenantId,
) -> StoreResult<deadpool_postgres::Transaction<'a>> {
    let tx = client.transaction().await.map_err(db_error)?;
    let set = tx.prepare_cached(SET_TENANT).await.map_err(db_error)?;
    tx.query(&set, &[&tenant.as_str()])
        .await
        .map_err(db_error)?;
    Ok(tx)
}

/// Begins a transaction on `client` that may read and write the tenants
/// table itself (the registry: by slug, lists, creation, deletion), and
/// the rows of `tenant` if one is given.
pub(crate) async fn registry_transaction<'a>(
    client: &'a mut deadpool_postgres::Object,
    tenant: Option<&TenantId>,
) -> StoreResult<deadpool_postgres::Transaction<'a>> {
    let tx = client.transaction().await.map_err(db_error)?;
    let set = tx.prepare_cached(SET_REGISTRY).await.map_err(db_error)?;
    tx.query(&set, &[]).await.map_err(db_error)?;
    if let Some(tenant) = tenant {
        let set = tx.prepare_cached(SET_TENANT).await.map_err(db_error)?;
        tx.query(&set, &[&tenant.as_str()])
            .await
            .map_err(db_error)?;
    }
    Ok(tx)
}

/// Runs `lock` then `write` for `tenant` in one transaction, pipelined in
/// one round trip as [`PostgresStore::tenant_query`] is, and returns the
/// rows of `write`. `lock` takes the row locks that order this write
/// against a racing one; `write`, a statement of its own, gets a snapshot
/// taken once they are held, so it sees what the other committed.
pub(crate) async fn locked_write(
    store: &PostgresStore,
    tenant: &TenantId,
    lock: &str,
    lock_params: &[&(dyn ToSql + Sync)],
    write: &str,
    write_params: &[&(dyn ToSql + Sync)],
) -> StoreResult<Vec<Row>> {
    let client = store.client().await?;
    let set = client.prepare_cached(SET_TENANT).await.map_err(db_error)?;
    let lock = client.prepare_cached(lock).await.map_err(db_error)?;
    let write = client.prepare_cached(write).await.map_err(db_error)?;
    let tenant = tenant.as_str();
    let tenant_param: [&(dyn ToSql + Sync); 1] = [&tenant];
    // `join!`, not `try_join!`: every part is awaited, so the connection
    // goes back to the pool after its COMMIT (or the rollback a failed
    // statement turns it into), never inside an aborted transaction.
    let (begin, set, lock, rows, commit) = tokio::join!(
        client.batch_execute("BEGIN"),
        client.query(&set, &tenant_param),
        client.query(&lock, lock_params),
        client.query(&write, write_params),
        client.batch_execute("COMMIT"),
    );
    begin.map_err(db_error)?;
    set.map_err(db_error)?;
    lock.map_err(db_error)?;
    let rows = rows.map_err(db_error)?;
    commit.map_err(db_error)?;
    Ok(rows)
}
