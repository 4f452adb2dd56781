//! `GET /admin/tenants/{slug}`: an organisation's overview (state, name,
//! tier, usage against its limits, the issuer and discovery URL ready to
//! copy) with the forms the operator may use: rename (`POST
//! /admin/tenants/{slug}`, `PATCH /api/v1/tenants/{slug}` `{name}`), tier
//! (`POST /admin/tenants/{slug}/tier`, `PATCH … {tier}`, a platform
//! operation), and the lifecycle actions its state allows.

use super::{LIMITS, Org, PLATFORM, org_path, value};
use crate::backend::Backend;
use crate::console::Console;
use crate::console::api::encode;
use crate::console::page::{Layout, Section, Tab};
use askama::Template;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use idp_core::admin::policy::ActionKind;
use idp_core::api_key::Operation;
use serde_json::{Value, json};

/// One line of the usage table.
struct Use {
    label: &'static str,
    used: u64,
    /// The limit, or "Unlimited".
    limit: String,
    /// At or over its limit.
    full: bool,
}

/// One choice of the tier `<select>`.
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

/// What the operator may do here, each shown only when allowed (renaming:
/// `layout.writable`, an ordinary write in the organisation).
struct Actions {
    set_tier: bool,
    approve: bool,
    reject: bool,
    suspend: bool,
    reactivate: bool,
    delete: bool,
}

#[derive(Template)]
#[template(path = "console/tenant.html")]
struct OverviewPage {
    layout: Layout,
    org: Org,
    discovery: String,
    tier: Option<String>,
    usage: Vec<Use>,
    tiers: Vec<Choice>,
    can: Actions,
    /// The name typed (the current one, or what a refused rename typed).
    name: String,
    name_error: Option<String>,
    tier_error: Option<String>,
    action: String,
}

/// A refused form to show on the page again.
#[derive(Default)]
struct Typed {
    name: Option<String>,
    name_error: Option<String>,
    tier_error: Option<String>,
}

/// `GET /admin/tenants/{slug}`.
pub(super) async fn page<S: Backend>(c: &Console<'_, S>, slug: &str) -> Response<Bytes> {
    show(c, slug, StatusCode::OK, Typed::default()).await
}

async fn show<S: Backend>(
    c: &Console<'_, S>,
    slug: &str,
    status: StatusCode,
    typed: Typed,
) -> Response<Bytes> {
    let tenant = match c.get(&format!("/api/v1/tenants/{}", encode(slug))).await {
        Ok(t) => Org::from_json(&t),
        Err(r) => return c.refused(&r),
    };
    let usage = match c.usage(slug).await {
        Ok(u) => u,
        Err(r) => return c.refused(&r),
    };
    let tier = usage["tier"].as_str().map(str::to_owned);
    let can = actions(c, &tenant);
    let tiers = if can.set_tier {
        match c.get("/api/v1/tiers?limit=200").await {
            Ok(list) => choices(&list, tier.as_deref()),
            Err(r) => return c.refused(&r),
        }
    } else {
        Vec::new()
    };
    let page = OverviewPage {
        layout: c.layout(
            &tenant.name,
            Section::Organisations,
            Some((slug, Tab::Overview)),
        ),
        discovery: format!("{}/.well-known/openid-configuration", tenant.issuer),
        usage: uses(&usage),
        tier,
        tiers,
        can,
        name: typed.name.unwrap_or_else(|| tenant.name.clone()),
        name_error: typed.name_error,
        tier_error: typed.tier_error,
        action: crate::console::path_of(c.app, &org_path(slug, "")),
        org: tenant,
    };
    c.render(status, &page)
}

/// The actions the policy and the organisation's state allow.
fn actions<S: Backend>(c: &Console<'_, S>, org: &Org) -> Actions {
    let slug = Some(org.slug.as_str());
    let lifecycle =
        org.slug != PLATFORM && c.allowed(Operation::Write, ActionKind::Lifecycle, slug);
    let state = org.state.as_str();
    Actions {
        set_tier: c.may_write_platform(),
        approve: lifecycle && state == "pending",
        reject: lifecycle && state == "pending",
        suspend: lifecycle && state == "active",
        reactivate: lifecycle && state == "suspended",
        delete: org.slug != PLATFORM && c.allowed(Operation::Write, ActionKind::DeleteTenant, slug),
    }
}

fn uses(usage: &Value) -> Vec<Use> {
    LIMITS
        .iter()
        .map(|(key, label)| {
            let used = usage["usage"][key].as_u64().unwrap_or(0);
            let limit = usage["limits"][key].as_u64();
            Use {
                label,
                used,
                limit: limit.map_or_else(|| "Unlimited".to_owned(), |l| l.to_string()),
                full: limit.is_some_and(|l| used >= l),
            }
        })
        .collect()
}

fn choices(list: &Value, current: Option<&str>) -> Vec<Choice> {
    let mut out = vec![Choice {
        value: String::new(),
        label: "No tier (unlimited)".to_owned(),
        selected: current.is_none(),
    }];
    for t in list["items"].as_array().into_iter().flatten() {
        let name = t["name"].as_str().unwrap_or_default();
        out.push(Choice {
            value: name.to_owned(),
            label: name.to_owned(),
            selected: current == Some(name),
        });
    }
    out
}

/// `POST /admin/tenants/{slug}` `name`: renames it.
pub(super) async fn rename<S: Backend>(
    c: &Console<'_, S>,
    req: &Request<Bytes>,
    slug: &str,
) -> Response<Bytes> {
    let form = match c.form(req) {
        Ok(form) => form,
        Err(res) => return res,
    };
    let name = value(&form, "name").trim().to_owned();
    let path = format!("/api/v1/tenants/{}", encode(slug));
    match c
        .send(Method::PATCH, &path, Some(json!({"name": name})))
        .await
    {
        Ok(_) => c.done(&org_path(slug, ""), "Name saved."),
        Err(r) if r.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let typed = Typed {
                name_error: Some(
                    r.field("name")
                        .map_or_else(|| r.summary(&[]), str::to_owned),
                ),
                name: Some(name),
                tier_error: None,
            };
            show(c, slug, r.status, typed).await
        }
        Err(r) => c.refused(&r),
    }
}

/// `POST /admin/tenants/{slug}/tier` `tier` (empty: none, unlimited).
pub(super) async fn set_tier<S: Backend>(
    c: &Console<'_, S>,
    req: &Request<Bytes>,
    slug: &str,
) -> Response<Bytes> {
    let form = match c.form(req) {
        Ok(form) => form,
        Err(res) => return res,
    };
    let tier = value(&form, "tier");
    let body = if tier.is_empty() {
        json!({"tier": null})
    } else {
        json!({"tier": tier})
    };
    let path = format!("/api/v1/tenants/{}", encode(slug));
    match c.send(Method::PATCH, &path, Some(body)).await {
        Ok(_) if tier.is_empty() => c.done(&org_path(slug, ""), "Tier removed: no limits."),
        Ok(_) => c.done(&org_path(slug, ""), &format!("Tier set to {tier}.")),
        // 404 with a tier named: that tier is gone (the tenant's own 404
        // shows again when the page is read).
        Err(r)
            if r.status == StatusCode::UNPROCESSABLE_ENTITY
                || (r.status == StatusCode::NOT_FOUND && !tier.is_empty()) =>
        {
            let typed = Typed {
                tier_error: Some(
                    r.field("tier")
                        .map_or_else(|| r.summary(&[]), str::to_owned),
                ),
                ..Typed::default()
            };
            show(c, slug, r.status, typed).await
        }
        Err(r) => c.refused(&r),
    }
}
