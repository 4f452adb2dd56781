//! `GET /api/v1/audit-events?tenant&actor&action&since&until&limit&cursor`: the
//! audit log, oldest first. Append-only: no route changes or deletes an
//! event.

use super::problem::Problem;
use super::query::Query;
use super::{Call, Reply, page_json, representation};
use crate::backend::Backend;
use idp_core::admin::Page;
use idp_core::clock::parse_rfc3339;
use idp_core::ids::TenantId;
use idp_core::store::AuditFilter;
use std::collections::HashMap;

/// Lists events; a key limited to some tenants sees only their events.
pub(super) async fn list<S: Backend>(c: &Call<'_, S>) -> Result<Reply, Problem> {
    let mut q = Query::parse(c.req.uri().query());
    let since = time(&mut q, "since");
    let until = time(&mut q, "until");
    let filter = AuditFilter {
        tenant: q.take("tenant"),
        actor: q.take("actor"),
        action: q.take("action"),
        since,
        until,
    };
    let page = q.page();
    q.finish()?;
    if let Some(tenant) = &filter.tenant
        && !c.may_read(tenant)
    {
        return Err(Problem::not_found("no such tenant"));
    }
    let page = c.admin.audit_events(&filter, &page).await?;
    let platform = c.may_read_platform();
    // A key limited to tenants reads the events of the tenants it may
    // read now: an event of a deleted tenant whose slug was taken again
    // belongs to another organisation (events name the slug and the id).
    let mut live: HashMap<String, Option<TenantId>> = HashMap::new();
    let mut items = Vec::with_capacity(page.items.len());
    for e in page.items {
        let visible = match (&e.tenant, platform) {
            (_, true) => true,
            (None, false) => false,
            (Some(slug), false) => {
                if !live.contains_key(slug) {
                    let id = c.admin.get_tenant(slug).await.ok().map(|t| t.id);
                    live.insert(slug.clone(), id);
                }
                c.may_read(slug)
                    && matches!(live.get(slug), Some(Some(id)) if Some(id) == e.tenant_id.as_ref())
            }
        };
        if visible {
            items.push(e);
        }
    }
    let visible = Page {
        items,
        next_cursor: page.next_cursor,
    };
    Ok(Reply::list(page_json(visible, representation::audit_event)))
}

/// The time parameter `name` (RFC 3339 or Unix seconds), if given; an
/// invalid one is recorded in `q`.
fn time(q: &mut Query, name: &str) -> Option<i64> {
    let text = q.take(name)?;
    let parsed = parse_rfc3339(&text).or_else(|| text.parse::<i64>().ok());
    if parsed.is_none() {
        q.invalid(name, "must be an RFC 3339 date-time or Unix seconds");
    }
    parsed
}
