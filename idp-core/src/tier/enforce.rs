//! The one way a create is checked against the tenant's tier: read the
//! tier now (not from a cache, so a new assignment holds at once on every
//! process), and when it limits what is created, make the create through
//! [`AdminChange::WithinLimit`] so the count and the insert are atomic.

use super::Limit;
use crate::admin::AdminError;
use crate::clock::UnixTime;
use crate::ids::TenantId;
use crate::store::{AdminChange, Applied, AuditEvent, Counted, Store};
use std::fmt::Display;

/// What a limit counts in the tenant `id` (slug `slug`); `None` for what
/// is not counted (none today).
fn counted<'a>(
    limit: Limit,
    id: &'a TenantId,
    slug: &'a str,
    now: UnixTime,
) -> Option<Counted<'a>> {
    match limit {
        Limit::Users => Some(Counted::Users(id)),
        Limit::Clients => Some(Counted::Clients(id)),
        Limit::ApiKeys => Some(Counted::ApiKeys { tenant: slug, now }),
        Limit::Upstreams => Some(Counted::Upstreams(id)),
    }
}

/// Makes `change`, a create of one `limit` object in the tenant (`id`,
/// `slug`), with its `event`, refused with [`AdminError::LimitExceeded`]
/// when the tenant's tier is at that limit. A uniqueness conflict is
/// [`AdminError::Conflict`] naming `what`.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn apply_within_limit<S: Store>(
    store: &S,
    (id, slug): (&TenantId, &str),
    limit: Limit,
    change: AdminChange<'_>,
    event: &AuditEvent,
    now: UnixTime,
    what: impl Display,
) -> Result<Applied, AdminError> {
    let tier = store.tenant_tier(id).await?;
    let allowed = tier.and_then(|t| t.limits.get(limit));
    let applied = match (allowed, counted(limit, id, slug, now)) {
        (Some(allowed), Some(counted)) => {
            let limited = AdminChange::WithinLimit {
                counted,
                limit: allowed,
                change: &change,
            };
            store.apply_audited(limited, event).await
        }
        _ => store.apply_audited(change, event).await,
    }
    .map_err(AdminError::conflict_as(what))?;
    match (applied, allowed) {
        (Applied::LimitReached(usage), Some(allowed)) => Err(AdminError::LimitExceeded {
            limit,
            allowed,
            usage,
        }),
        (Applied::LimitReached(_), None) => Err(AdminError::Internal(
            "a store reported a limit that was not asked for".into(),
        )),
        (applied, _) => Ok(applied),
    }
}
