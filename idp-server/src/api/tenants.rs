//! `/api/v1/tenants` and `/api/v1/tenants/{slug}`.

use super::body::{self, BodyKind};
use super::problem::Problem;
use super::query::Query;
use super::routes::Op;
use super::{Call, Reply, etag, page_json, representation};
use crate::backend::Backend;
use idp_core::admin::{NewTenant, Page, TenantUpdate};

/// `GET /tenants`: the tenants the key may read, by slug.
pub(super) async fn list<S: Backend>(c: &Call<'_, S>) -> Result<Reply, Problem> {
    let mut q = Query::parse(c.req.uri().query());
    let page = q.page();
    q.finish()?;
    let page = c.admin.list_tenants(&page).await?;
    // A key limited to some tenants sees only those (the cursor still
    // walks the whole list, so a page may hold fewer items than `limit`).
    let visible = Page {
        items: page
            .items
            .into_iter()
            .filter(|t| c.may_read(&t.slug))
            .collect(),
        next_cursor: page.next_cursor,
    };
    Ok(Reply::list(page_json(visible, |t| {
        representation::tenant(t, c.base_url)
    })))
}

/// `POST /tenants` `{slug, name?, dynamic_registration?, password_login?}`
/// (`password_login: false` is refused: a new tenant has no upstream yet).
pub(super) async fn create<S: Backend>(c: &Call<'_, S>) -> Result<Reply, Problem> {
    let mut f = body::object(c.req, BodyKind::Json)?;
    let new = NewTenant {
        slug: f.string("slug"),
        name: f.opt_string("name").unwrap_or_default(),
        dynamic_registration: f.opt_bool("dynamic_registration").unwrap_or(false),
        pending: false,
        upstream_only: f.opt_bool("password_login") == Some(false),
    };
    f.finish()?;
    let t = c.admin.create_tenant(&c.ctx, new).await?;
    Ok(Reply::created(representation::tenant(&t, c.base_url)))
}

/// `GET /tenants/{slug}`.
pub(super) async fn get<S: Backend>(c: &Call<'_, S>) -> Result<Reply, Problem> {
    let t = c.admin.get_tenant(c.slug()).await?;
    Ok(Reply::ok(representation::tenant(&t, c.base_url)))
}

/// `PATCH /tenants/{slug}` `{name?, dynamic_registration?, password_login?,
/// tier?}` (merge patch; `password_login: false` needs an upstream). `tier` (a tier's name, or `null` for none) is a platform
/// operation: refused (403) to a key limited to tenants, even its own.
pub(super) async fn update<S: Backend>(c: &Call<'_, S>) -> Result<Reply, Problem> {
    let mut f = body::object(c.req, BodyKind::MergePatch)?;
    let update = TenantUpdate {
        name: f.nullable_string("name").map(Option::unwrap_or_default),
        dynamic_registration: f.opt_bool("dynamic_registration"),
        password_login: f.opt_bool("password_login"),
    };
    let tier = f.nullable_string("tier");
    f.finish()?;
    if tier.is_some() && !c.may_act_on_platform() {
        return Err(Problem::forbidden(super::PLATFORM_ONLY));
    }
    let current = c.admin.get_tenant(c.slug()).await?;
    etag::check_if_match(
        c.req,
        &etag::of(&representation::tenant(&current, c.base_url)),
    )?;
    let t = c.admin.update_tenant(&c.ctx, c.slug(), update).await?;
    if let Some(tier) = tier {
        c.admin
            .set_tenant_tier(&c.ctx, c.slug(), tier.as_deref())
            .await?;
    }
    Ok(Reply::ok(representation::tenant(&t, c.base_url)))
}

/// `POST /tenants/{slug}/approve|reject|suspend|reactivate`: reject and
/// suspend take `{"reason"}` (required), the others no body. A tenant not
/// in the move's starting state is a 409.
pub(super) async fn transition<S: Backend>(c: &Call<'_, S>, op: Op) -> Result<Reply, Problem> {
    let Some(transition) = op.transition() else {
        return Err(Problem::not_found("no such resource in the admin API"));
    };
    let reason = if transition.needs_reason() {
        let mut f = body::object(c.req, BodyKind::Json)?;
        let reason = f.string("reason");
        f.finish()?;
        Some(reason)
    } else {
        body::empty(c.req)?;
        None
    };
    let t = c
        .admin
        .transition_tenant(&c.ctx, c.slug(), transition, reason.as_deref())
        .await?;
    Ok(Reply::ok(representation::tenant(&t, c.base_url)))
}

/// `DELETE /tenants/{slug}`: the tenant and everything in it.
pub(super) async fn delete<S: Backend>(c: &Call<'_, S>) -> Result<Reply, Problem> {
    let current = c.admin.get_tenant(c.slug()).await?;
    etag::check_if_match(
        c.req,
        &etag::of(&representation::tenant(&current, c.base_url)),
    )?;
    c.admin.delete_tenant(&c.ctx, c.slug()).await?;
    Ok(Reply::NoContent)
}
