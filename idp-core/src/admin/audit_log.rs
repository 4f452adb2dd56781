//! Reading the audit log, and its retention. Events are written only with
//! the change they record (`AuditStore::apply_audited`); nothing here
//! changes one.

use super::Admin;
use super::error::AdminError;
use super::page::{List, Page, PageRequest};
use crate::clock::UnixTime;
use crate::store::{AuditEvent, AuditFilter, Store};

/// How many events one purge statement deletes at most.
const PURGE_BATCH: u32 = 500;

impl<S: Store> Admin<S> {
    /// A page of the events matching `filter`, oldest first (ids increase).
    pub async fn audit_events(
        &self,
        filter: &AuditFilter,
        page: &PageRequest,
    ) -> Result<Page<AuditEvent>, AdminError> {
        let (limit, after) = page.resolve(List::AuditEvents)?;
        let after = match after {
            None => None,
            Some(key) => Some(key.parse::<i64>().map_err(|_| {
                AdminError::invalid("cursor", "cursor is not one this list returned")
            })?),
        };
        let mut items = self.store.audit_events(filter, after, limit + 1).await?;
        let next_cursor = if items.len() > limit {
            items.truncate(limit);
            items
                .last()
                .map(|e| List::AuditEvents.cursor(&e.id.to_string()))
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    /// Deletes the events older than `retention` seconds before now, in
    /// batches; returns how many.
    pub async fn purge_audit_events(&self, retention: i64) -> Result<u64, AdminError> {
        let before: UnixTime = self.clock.now() - retention.max(0);
        let mut total = 0;
        loop {
            let n = self.store.purge_audit_events(before, PURGE_BATCH).await?;
            total += n;
            if n < u64::from(PURGE_BATCH) {
                return Ok(total);
            }
        }
    }
}
