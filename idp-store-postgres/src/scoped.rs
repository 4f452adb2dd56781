//! How every statement sees one tenant and no other (ADR 0027): a
//! transaction that starts with `set_config('idp.tenant', …, true)`, which
//! the row-level security policies read. Three shapes:
//! [`PostgresStore::tenant_query`]/[`PostgresStore::tenant_execute`] (one
//! statement, pipelined in one round trip), [`locked_write`] (a lock, then
//! a write that sees what the lock waited for, one round trip) and
//! [`tenant_transaction`] (several statements with logic between them).
//! [`registry_transaction`] (and the one-statement
//! [`PostgresStore::registry_query`]/[`PostgresStore::registry_execute`])
//! is for the tenants table and the platform's tables, under
//! `idp.registry`.

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

/// What a pipelined transaction may see: one tenant's rows, or the
/// registry and platform tables.
#[derive(Clone, Copy)]
enum Scope<'a> {
    Tenant(&'a TenantId),
    Registry,
}

/// What a pipelined statement returns.
enum Outcome {
    Rows(Vec<Row>),
    Changed(u64),
}

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
        match self
            .pipelined(Scope::Tenant(tenant), sql, params, true)
            .await?
        {
            Outcome::Rows(rows) => Ok(rows),
            Outcome::Changed(_) => Ok(Vec::new()),
        }
    }

    /// [`Self::tenant_query`] for a statement without rows: how many rows
    /// it changed.
    pub(crate) async fn tenant_execute(
        &self,
        tenant: &TenantId,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> StoreResult<u64> {
        match self
            .pipelined(Scope::Tenant(tenant), sql, params, false)
            .await?
        {
            Outcome::Changed(n) => Ok(n),
            Outcome::Rows(rows) => Ok(rows.len() as u64),
        }
    }

    /// [`Self::tenant_query`] under `idp.registry` instead of a tenant: the
    /// platform's tables (API keys, idempotency keys, the whole audit log).
    pub(crate) async fn registry_query(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> StoreResult<Vec<Row>> {
        match self.pipelined(Scope::Registry, sql, params, true).await? {
            Outcome::Rows(rows) => Ok(rows),
            Outcome::Changed(_) => Ok(Vec::new()),
        }
    }

    /// [`Self::registry_query`] for a statement without rows: how many
    /// rows it changed.
    pub(crate) async fn registry_execute(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> StoreResult<u64> {
        match self.pipelined(Scope::Registry, sql, params, false).await? {
            Outcome::Changed(n) => Ok(n),
            Outcome::Rows(rows) => Ok(rows.len() as u64),
        }
    }

    /// BEGIN, the scope's setting, `sql` and COMMIT, pipelined in one
    /// round trip; its rows if `rows`, else how many it changed.
    async fn pipelined(
        &self,
        scope: Scope<'_>,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
        rows: bool,
    ) -> StoreResult<Outcome> {
        let client = self.client().await?;
        let (setting, tenant) = match scope {
            Scope::Tenant(tenant) => (SET_TENANT, Some(tenant.as_str())),
            Scope::Registry => (SET_REGISTRY, None),
        };
        let set = client.prepare_cached(setting).await.map_err(db_error)?;
        let statement = client.prepare_cached(sql).await.map_err(db_error)?;
        let tenant_param: [&(dyn ToSql + Sync); 1] = [&tenant];
        let set_params: &[&(dyn ToSql + Sync)] = if tenant.is_some() { &tenant_param } else { &[] };
        let run = async {
            if rows {
                client.query(&statement, params).await.map(Outcome::Rows)
            } else {
                client
                    .execute(&statement, params)
                    .await
                    .map(Outcome::Changed)
            }
        };
        // `join!`, not `try_join!`: every part is awaited, so the connection
        // goes back to the pool after its COMMIT (or the rollback a failed
        // statement turns it into), never inside an aborted transaction.
        let (begin, set, outcome, commit) = tokio::join!(
            client.batch_execute("BEGIN"),
            client.query(&set, set_params),
            run,
            client.batch_execute("COMMIT"),
        );
        begin.map_err(db_error)?;
        set.map_err(db_error)?;
        let outcome = outcome.map_err(db_error)?;
        commit.map_err(db_error)?;
        Ok(outcome)
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

/// Moves a transaction to `tenant`'s rows from here on (a registry
/// change that also touches another tenant's rows: deleting an
/// organisation deletes the platform tenant's roles named after it).
pub(crate) async fn enter_tenant(
    tx: &deadpool_postgres::Transaction<'_>,
    tenant: &TenantId,
) -> StoreResult<()> {
    let set = tx.prepare_cached(SET_TENANT).await.map_err(db_error)?;
    tx.query(&set, &[&tenant.as_str()])
        .await
        .map_err(db_error)?;
    Ok(())
}

/// Widens a transaction begun by [`tenant_transaction`] to the registry
/// and platform tables from here on (the audit log's append, after the
/// change it records was made under the tenant alone).
pub(crate) async fn enter_registry(tx: &deadpool_postgres::Transaction<'_>) -> StoreResult<()> {
    let set = tx.prepare_cached(SET_REGISTRY).await.map_err(db_error)?;
    tx.query(&set, &[]).await.map_err(db_error)?;
    Ok(())
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
