//! The audit log, and [`AuditStore`] for [`SqliteStore`]: an audited
//! change and its event are one `BEGIN IMMEDIATE` transaction; events are
//! listed by id and purged oldest first. The table refuses UPDATE
//! (migration 15).

use crate::SqliteStore;
use crate::admin_change::OwnedChange;
use idp_core::clock::UnixTime;
use idp_core::ids::TenantId;
use idp_core::store::{AdminChange, Applied, AuditEvent, AuditFilter, AuditStore, StoreResult};
use rusqlite::types::Value;
use rusqlite::{Connection, Result, Row, TransactionBehavior, params, params_from_iter};

const COLUMNS: &str = "id, time, actor_kind, actor_id, actor_name, action, tenant, tenant_id,
    target_kind, target_id, address, request_id, changes";

/// Appends `event` (its `id` ignored) and returns the id assigned.
fn insert(conn: &Connection, e: &AuditEvent) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO audit_events (time, actor_kind, actor_id, actor_name, action, tenant,
             tenant_id, target_kind, target_id, address, request_id, changes)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        e.time,
        e.actor_kind,
        e.actor_id,
        e.actor_name,
        e.action,
        e.tenant,
        e.tenant_id.as_ref().map(TenantId::as_str),
        e.target_kind,
        e.target_id,
        e.address,
        e.request_id,
        e.changes,
    ])?;
    Ok(conn.last_insert_rowid())
}

fn from_row(r: &Row<'_>) -> Result<AuditEvent> {
    Ok(AuditEvent {
        id: r.get(0)?,
        time: r.get(1)?,
        actor_kind: r.get(2)?,
        actor_id: r.get(3)?,
        actor_name: r.get(4)?,
        action: r.get(5)?,
        tenant: r.get(6)?,
        tenant_id: r.get::<_, Option<String>>(7)?.map(TenantId::new),
        target_kind: r.get(8)?,
        target_id: r.get(9)?,
        address: r.get(10)?,
        request_id: r.get(11)?,
        changes: r.get(12)?,
    })
}

/// The events matching `filter` after `after`, by id: only the filters
/// given become conditions, so each combination gets a plan on its index.
fn list(
    conn: &Connection,
    filter: &AuditFilter,
    after: i64,
    limit: usize,
) -> Result<Vec<AuditEvent>> {
    let mut conditions = vec!["id > ?1".to_owned()];
    let mut values = vec![Value::Integer(after)];
    let mut condition = |sql: &str, value: Value| {
        values.push(value);
        conditions.push(sql.replace('?', &format!("?{}", values.len())));
    };
    if let Some(tenant) = &filter.tenant {
        condition("tenant = ?", Value::Text(tenant.clone()));
    }
    if let Some(actor) = &filter.actor {
        condition("actor_id = ?", Value::Text(actor.clone()));
    }
    if let Some(action) = &filter.action {
        // `client` matches `client` and `client.…`, not `clients.…`; no
        // LIKE, whose wildcards an action could hold.
        condition(
            "(action = ? OR substr(action, 1, length(?) + 1) = ? || '.')",
            Value::Text(action.clone()),
        );
    }
    if let Some(since) = filter.since {
        condition("time >= ?", Value::Integer(since));
    }
    if let Some(until) = filter.until {
        condition("time < ?", Value::Integer(until));
    }
    values.push(Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
    let sql = format!(
        "SELECT {COLUMNS} FROM audit_events WHERE {} ORDER BY id LIMIT ?{}",
        conditions.join(" AND "),
        values.len()
    );
    conn.prepare_cached(&sql)?
        .query_map(params_from_iter(values), from_row)?
        .collect()
}

impl AuditStore for SqliteStore {
    async fn apply_audited(
        &self,
        change: AdminChange<'_>,
        event: &AuditEvent,
    ) -> StoreResult<Applied> {
        let (change, event) = (OwnedChange::from(change), event.clone());
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let applied = change.apply(&tx)?;
            if let Applied::Done(_) = applied {
                insert(&tx, &event)?;
                tx.commit()?;
            }
            // Else the transaction rolls back as it drops: nothing written.
            Ok(applied)
        })
        .await
    }

    async fn append_audit_event(&self, event: &AuditEvent) -> StoreResult<i64> {
        let event = event.clone();
        self.run(move |c| insert(c, &event)).await
    }

    async fn audit_events(
        &self,
        filter: &AuditFilter,
        after: Option<i64>,
        limit: usize,
    ) -> StoreResult<Vec<AuditEvent>> {
        let filter = filter.clone();
        self.run(move |c| list(c, &filter, after.unwrap_or(0), limit))
            .await
    }

    async fn purge_audit_events(&self, before: UnixTime, limit: u32) -> StoreResult<u64> {
        self.run(move |c| {
            let n = c.execute(
                "DELETE FROM audit_events WHERE id IN (
                     SELECT id FROM audit_events WHERE time < ?1 ORDER BY time, id LIMIT ?2)",
                params![before, limit],
            )?;
            Ok(n as u64)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{TestResult, fresh_store};
    use idp_core::contract::audit::event;
    use idp_core::store::{AuditFilter, AuditStore};

    /// The table itself refuses to change an event, whoever writes to the
    /// file; deleting one (the retention purge) stays possible.
    #[tokio::test]
    async fn events_cannot_be_updated_in_the_file() -> TestResult {
        let (_dir, store) = fresh_store()?;
        let id = store
            .append_audit_event(&event("client.create", Some("a")))
            .await?;
        let conn = rusqlite::Connection::open(store.path())?;
        let refused = conn.execute("UPDATE audit_events SET actor_id = 'someone else'", []);
        let message = refused.err().ok_or("the update went through")?.to_string();
        assert!(message.contains("append-only"), "{message}");
        let listed = store
            .audit_events(&AuditFilter::default(), None, 10)
            .await?;
        assert_eq!(listed.first().map(|e| e.actor_id.as_str()), Some("key-1"));
        assert_eq!(
            conn.execute("DELETE FROM audit_events WHERE id = ?1", [id])?,
            1
        );
        Ok(())
    }
}
