//! `/api/v1/tiers[/{tier}]` (platform operations: `api::answer` refuses
//! them to keys limited to tenants) and `/api/v1/tenants/{slug}/usage`.

use super::body::{self, BodyKind, Fields};
use super::problem::Problem;
use super::query::Query;
use super::{Call, Reply, etag, page_json, representation};
use crate::backend::Backend;
use idp_core::admin::{NewTier, TierUpdate};
use idp_core::tier::{Limit, Limits};

fn tier_name<'a, S: Backend>(c: &Call<'a, S>) -> &'a str {
    c.params.tier.unwrap_or_default()
}

/// Every limit present in the body: `Some(None)` for `null` (unlimited).
fn read_limits(f: &mut Fields) -> Vec<(Limit, Option<u64>)> {
    Limit::ALL
        .into_iter()
        .filter_map(|limit| f.nullable_count(limit.as_str()).map(|v| (limit, v)))
        .collect()
}

/// `GET /tiers`.
pub(super) async fn list<S: Backend>(c: &Call<'_, S>) -> Result<Reply, Problem> {
    let mut q = Query::parse(c.req.uri().query());
    let page = q.page();
    q.finish()?;
    let page = c.admin.list_tiers(&page).await?;
    Ok(Reply::list(page_json(page, representation::tier)))
}

/// `POST /tiers` `{name, users?, clients?, upstreams?, api_keys?}`: an
/// absent or `null` limit is unlimited.
pub(super) async fn create<S: Backend>(c: &Call<'_, S>) -> Result<Reply, Problem> {
    let mut f = body::object(c.req, BodyKind::Json)?;
    let name = f.string("name");
    if let Err(reason) = idp_core::tier::check_name(&name)
        && !name.is_empty()
    {
        // Reported with the body's other faults, in one round.
        f.invalid("name", reason);
    }
    let mut limits = Limits::default();
    for (limit, value) in read_limits(&mut f) {
        limits.set(limit, value);
    }
    f.finish()?;
    let t = c
        .admin
        .create_tier(&c.ctx, NewTier { name, limits })
        .await?;
    Ok(Reply::created(representation::tier(&t)))
}

/// `GET /tiers/{tier}`.
pub(super) async fn get<S: Backend>(c: &Call<'_, S>) -> Result<Reply, Problem> {
    let t = c.admin.get_tier(tier_name(c)).await?;
    Ok(Reply::ok(representation::tier(&t)))
}

/// `PATCH /tiers/{tier}` (merge patch): each limit given is set, `null`
/// making it unlimited.
pub(super) async fn update<S: Backend>(c: &Call<'_, S>) -> Result<Reply, Problem> {
    let mut f = body::object(c.req, BodyKind::MergePatch)?;
    let set = read_limits(&mut f);
    f.finish()?;
    let current = c.admin.get_tier(tier_name(c)).await?;
    etag::check_if_match(c.req, &etag::of(&representation::tier(&current)))?;
    let t = if set.is_empty() {
        current
    } else {
        c.admin
            .update_tier(&c.ctx, tier_name(c), TierUpdate { set })
            .await?
    };
    Ok(Reply::ok(representation::tier(&t)))
}

/// `DELETE /tiers/{tier}`: 409 while a tenant is assigned to it.
pub(super) async fn delete<S: Backend>(c: &Call<'_, S>) -> Result<Reply, Problem> {
    let current = c.admin.get_tier(tier_name(c)).await?;
    etag::check_if_match(c.req, &etag::of(&representation::tier(&current)))?;
    c.admin.delete_tier(&c.ctx, tier_name(c)).await?;
    Ok(Reply::NoContent)
}

/// `GET /tenants/{slug}/usage`: the tenant's tier, limits and usage (a
/// tenant's own read: an organisation's key may see its plan).
pub(super) async fn usage<S: Backend>(c: &Call<'_, S>) -> Result<Reply, Problem> {
    Query::parse(c.req.uri().query()).finish()?;
    let u = c.admin.tenant_usage(c.slug()).await?;
    Ok(Reply::list(representation::usage(c.slug(), &u)))
}
