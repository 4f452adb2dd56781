//! The audit log: [`AuditStore`]. Events are appended with the change
//! they record (`audited`), or alone; listed platform-wide by keyset; and
//! deleted only by the retention purge (the application role has no
//! UPDATE on the table).
//!
//! Every statement here runs under `idp.registry`: the log is the
//! platform's (an event may name no tenant, and lists filter by the
//! tenant's slug, across tenants).

use crate::scoped::enter_registry;
use crate::{PostgresStore, audited, db_error, registry_transaction};
use deadpool_postgres::Transaction;
use idp_core::clock::UnixTime;
use idp_core::ids::TenantId;
use idp_core::store::{AdminChange, Applied, AuditEvent, AuditFilter, AuditStore, StoreResult};
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

/// The transaction-scoped advisory lock every append holds until its
/// commit ("idp-audt" in ASCII). Appends commit one at a time, in id
/// order, so a reader paging by id never passes an id whose event is yet
/// to commit (identity values alone are handed out before commit, in any
/// order). Taken last, after every row lock of the change, and held for
/// one statement and the commit: it cannot deadlock with them.
const APPEND_LOCK: i64 = 0x6964_702d_6175_6474;

const COLUMNS: &str = "id, time, actor_kind, actor_id, actor_name, action, tenant, tenant_id,
    target_kind, target_id, address, request_id, changes";

/// Appends `event` in `tx` (which need not be the registry's yet) and
/// returns its id; `tx` is left under `idp.registry`.
pub(crate) async fn append_in(tx: &Transaction<'_>, event: &AuditEvent) -> StoreResult<i64> {
    enter_registry(tx).await?;
    let tenant_id = event.tenant_id.as_ref().map(TenantId::as_str);
    let lock = tx
        .prepare_cached("SELECT pg_advisory_xact_lock($1)")
        .await
        .map_err(db_error)?;
    let insert = tx
        .prepare_cached(
            "INSERT INTO audit_events (time, actor_kind, actor_id, actor_name, action, tenant,
               tenant_id, target_kind, target_id, address, request_id, changes)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
             RETURNING id",
        )
        .await
        .map_err(db_error)?;
    let params: [&(dyn ToSql + Sync); 12] = [
        &event.time,
        &event.actor_kind,
        &event.actor_id,
        &event.actor_name,
        &event.action,
        &event.tenant,
        &tenant_id,
        &event.target_kind,
        &event.target_id,
        &event.address,
        &event.request_id,
        &event.changes,
    ];
    // Pipelined: the lock is held for as short a time as may be.
    let (locked, inserted) = tokio::join!(
        tx.query(&lock, &[&APPEND_LOCK]),
        tx.query_one(&insert, &params)
    );
    locked.map_err(db_error)?;
    inserted.map_err(db_error)?.try_get(0).map_err(db_error)
}

impl AuditStore for PostgresStore {
    async fn apply_audited(
        &self,
        change: AdminChange<'_>,
        event: &AuditEvent,
    ) -> StoreResult<Applied> {
        audited::apply(self, change, event).await
    }

    async fn append_audit_event(&self, event: &AuditEvent) -> StoreResult<i64> {
        let mut conn = self.client().await?;
        let tx = registry_transaction(&mut conn, None).await?;
        let id = append_in(&tx, event).await?;
        tx.commit().await.map_err(db_error)?;
        Ok(id)
    }

    /// One statement, its conditions those of the filter's set fields (so
    /// that the tenant and actor indexes serve them).
    async fn audit_events(
        &self,
        filter: &AuditFilter,
        after: Option<i64>,
        limit: usize,
    ) -> StoreResult<Vec<AuditEvent>> {
        let after = after.unwrap_or(0);
        let limit = crate::admin::limit_param(limit);
        let prefix = filter.action.as_deref().map(action_prefix_pattern);
        let mut conditions = vec!["id > $1".to_owned()];
        let mut params: Vec<&(dyn ToSql + Sync)> = vec![&after];
        if let Some(tenant) = &filter.tenant {
            params.push(tenant);
            conditions.push(format!("tenant = ${}", params.len()));
        }
        if let Some(actor) = &filter.actor {
            params.push(actor);
            conditions.push(format!("actor_id = ${}", params.len()));
        }
        if let (Some(action), Some(prefix)) = (&filter.action, &prefix) {
            params.push(action);
            params.push(prefix);
            let n = params.len();
            conditions.push(format!(
                "(action = ${} OR action LIKE ${n} ESCAPE '\\')",
                n - 1
            ));
        }
        if let Some(since) = &filter.since {
            params.push(since);
            conditions.push(format!("time >= ${}", params.len()));
        }
        if let Some(until) = &filter.until {
            params.push(until);
            conditions.push(format!("time < ${}", params.len()));
        }
        params.push(&limit);
        let sql = format!(
            "SELECT {COLUMNS} FROM audit_events WHERE {} ORDER BY id LIMIT ${}",
            conditions.join(" AND "),
            params.len()
        );
        let rows = self.registry_query(&sql, &params).await?;
        rows.iter().map(event_from_row).collect()
    }

    /// The oldest first, by the time index.
    async fn purge_audit_events(&self, before: UnixTime, limit: u32) -> StoreResult<u64> {
        self.registry_execute(
            "DELETE FROM audit_events WHERE id IN (
               SELECT id FROM audit_events WHERE time < $1 ORDER BY time, id LIMIT $2)",
            &[&before, &i64::from(limit)],
        )
        .await
    }
}

/// The LIKE pattern of the actions under `prefix` (`client` matches
/// `client.secret.rotate`): its metacharacters escaped, then `.%`.
fn action_prefix_pattern(prefix: &str) -> String {
    let mut pattern = String::with_capacity(prefix.len() + 2);
    for c in prefix.chars() {
        if matches!(c, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push_str(".%");
    pattern
}

fn event_from_row(r: &Row) -> StoreResult<AuditEvent> {
    let tenant_id: Option<String> = r.try_get(7).map_err(db_error)?;
    Ok(AuditEvent {
        id: r.try_get(0).map_err(db_error)?,
        time: r.try_get(1).map_err(db_error)?,
        actor_kind: r.try_get(2).map_err(db_error)?,
        actor_id: r.try_get(3).map_err(db_error)?,
        actor_name: r.try_get(4).map_err(db_error)?,
        action: r.try_get(5).map_err(db_error)?,
        tenant: r.try_get(6).map_err(db_error)?,
        tenant_id: tenant_id.map(TenantId::new),
        target_kind: r.try_get(8).map_err(db_error)?,
        target_id: r.try_get(9).map_err(db_error)?,
        address: r.try_get(10).map_err(db_error)?,
        request_id: r.try_get(11).map_err(db_error)?,
        changes: r.try_get(12).map_err(db_error)?,
    })
}

#[cfg(test)]
mod tests {
    use super::action_prefix_pattern;

    #[test]
    fn action_prefixes_match_only_literally() {
        assert_eq!(action_prefix_pattern("client"), "client.%");
        assert_eq!(action_prefix_pattern("a_b%c\\"), "a\\_b\\%c\\\\.%");
    }
}
