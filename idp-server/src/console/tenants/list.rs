//! `GET /admin/tenants`: the organisations, searched by ID or name prefix
//! (`?q=`), filtered by state (`?state=pending` is the approvals queue,
//! with its count on its tab), paginated with the API's cursor; pending
//! ones can be approved from the list. `GET /admin/tenants/_new` and
//! `POST /admin/tenants`: create one (`POST /api/v1/tenants`).

use super::{Org, PLATFORM, WALK_PAGE, Walk, org_path, value, walk};
use crate::backend::Backend;
use crate::console::Console;
use crate::console::api::{Refused, encode};
use crate::console::page::{Layout, Section};
use askama::Template;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use idp_core::admin::policy::ActionKind;
use idp_core::api_key::Operation;
use idp_core::wire::Params;
use serde_json::json;

/// Rows of an unfiltered page (the API's default page).
const PAGE: usize = 50;

/// The state filters, as tabs: `(value, label)`; `""` is every state.
const FILTERS: [(&str, &str); 5] = [
    ("", "All"),
    ("pending", "Pending approval"),
    ("active", "Active"),
    ("suspended", "Suspended"),
    ("rejected", "Rejected"),
];

/// A state filter's tab.
struct Filter {
    /// The tab's text (with the count of pending ones on theirs).
    label: String,
    href: String,
    current: bool,
}

/// One organisation of the list, with what may be done from it.
struct Row {
    org: Org,
    href: String,
    /// Pending and the operator may decide: approve (a form) and reject
    /// (a link to its confirmation page).
    decide: bool,
}

#[derive(Template)]
#[template(path = "console/tenants.html")]
struct ListPage {
    layout: Layout,
    q: String,
    state: String,
    filters: Vec<Filter>,
    /// Organisations waiting for approval (`"12"`, or `"2000+"` when the
    /// count stopped early), when some wait.
    pending: Option<String>,
    rows: Vec<Row>,
    next: Option<String>,
    first: Option<String>,
    can_create: bool,
}

/// `GET /admin/tenants?q&state&cursor`.
pub(super) async fn page<S: Backend>(c: &Console<'_, S>, req: &Request<Bytes>) -> Response<Bytes> {
    let query = Params::parse(req.uri().query().unwrap_or_default().as_bytes());
    let q = value(&query, "q").trim().to_lowercase();
    let state = value(&query, "state");
    let state = FILTERS
        .iter()
        .find(|(v, _)| *v == state)
        .map_or("", |(v, _)| *v);
    let cursor = Some(value(&query, "cursor"))
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    let keep = |o: &Org| {
        (state.is_empty() || o.state == state)
            && (q.is_empty() || o.slug.starts_with(&q) || o.name.to_lowercase().starts_with(&q))
    };
    let page_size = if q.is_empty() && state.is_empty() {
        PAGE
    } else {
        WALK_PAGE
    };
    let found = match walk(c, cursor.clone(), keep, PAGE, page_size).await {
        Ok(found) => found,
        Err(r) => return c.refused(&r),
    };
    let pending = match pending_count(c).await {
        Ok(p) => p,
        Err(r) => return c.refused(&r),
    };
    let base = crate::console::path_of(c.app, "/tenants");
    let link = |state: &str, cursor: Option<&str>| {
        let mut pairs = Vec::new();
        if !q.is_empty() {
            pairs.push(format!("q={}", encode(&q)));
        }
        if !state.is_empty() {
            pairs.push(format!("state={state}"));
        }
        if let Some(at) = cursor {
            pairs.push(format!("cursor={}", encode(at)));
        }
        if pairs.is_empty() {
            base.clone()
        } else {
            format!("{base}?{}", pairs.join("&"))
        }
    };
    let filters = FILTERS
        .iter()
        .map(|(v, label)| Filter {
            label: match (*v, &pending) {
                ("pending", Some(n)) => format!("{label} ({n})"),
                _ => (*label).to_owned(),
            },
            href: link(v, None),
            current: *v == state,
        })
        .collect();
    let decide = |o: &Org| {
        o.state == "pending"
            && o.slug != PLATFORM
            && c.allowed(Operation::Write, ActionKind::Lifecycle, Some(&o.slug))
    };
    let Walk { items, next_cursor } = found;
    let rows = items
        .into_iter()
        .map(|org| Row {
            href: crate::console::path_of(c.app, &org_path(&org.slug, "")),
            decide: decide(&org),
            org,
        })
        .collect();
    let page = ListPage {
        layout: c.layout("Organisations", Section::Organisations, None),
        filters,
        pending,
        rows,
        next: next_cursor.as_deref().map(|n| link(state, Some(n))),
        first: cursor.map(|_| link(state, None)),
        can_create: c.allowed(Operation::Write, ActionKind::CreateTenant, None),
        q,
        state: state.to_owned(),
    };
    c.render(StatusCode::OK, &page)
}

/// How many organisations wait for approval (`None`: none), counted over
/// at most the pages a walk reads.
async fn pending_count<S: Backend>(c: &Console<'_, S>) -> Result<Option<String>, Refused> {
    let pending = walk(c, None, |o| o.state == "pending", usize::MAX, WALK_PAGE).await?;
    let n = pending.items.len();
    Ok(match (n, pending.next_cursor) {
        (0, None) => None,
        (n, None) => Some(n.to_string()),
        (n, Some(_)) => Some(format!("{n}+")),
    })
}

#[derive(Template)]
#[template(path = "console/tenant_new.html")]
struct NewPage {
    layout: Layout,
    slug: String,
    name: String,
    slug_error: Option<String>,
    name_error: Option<String>,
    error: Option<String>,
    issuer_prefix: String,
}

fn new_page<S: Backend>(c: &Console<'_, S>, slug: &str, name: &str) -> NewPage {
    NewPage {
        layout: c.layout("New organisation", Section::Organisations, None),
        slug: slug.to_owned(),
        name: name.to_owned(),
        slug_error: None,
        name_error: None,
        error: None,
        issuer_prefix: format!("{}/t/", c.app.base_url),
    }
}

/// `GET /admin/tenants/_new`.
pub(super) fn new_form<S: Backend>(c: &Console<'_, S>) -> Response<Bytes> {
    if !c.allowed(Operation::Write, ActionKind::CreateTenant, None) {
        return not_allowed(c);
    }
    c.render(StatusCode::OK, &new_page(c, "", ""))
}

/// `POST /admin/tenants` `slug, name`.
pub(super) async fn create<S: Backend>(
    c: &Console<'_, S>,
    req: &Request<Bytes>,
) -> Response<Bytes> {
    let form = match c.form(req) {
        Ok(form) => form,
        Err(res) => return res,
    };
    let slug = value(&form, "slug").trim().to_owned();
    let name = value(&form, "name").trim().to_owned();
    let body = json!({"slug": slug, "name": name});
    match c.send(Method::POST, "/api/v1/tenants", Some(body)).await {
        Ok(_) => c.done(
            &org_path(&slug, ""),
            &format!("Organisation {slug} created."),
        ),
        Err(r) if matches!(r.status.as_u16(), 409 | 422) => {
            let mut page = new_page(c, &slug, &name);
            page.slug_error = r.field("slug").map(str::to_owned);
            page.name_error = r.field("name").map(str::to_owned);
            if r.status == StatusCode::CONFLICT {
                // Taken: the slug is what to change.
                page.slug_error = Some(r.detail.clone());
            } else {
                page.error = Some(r.summary(&["slug", "name"]));
            }
            c.render(r.status, &page)
        }
        Err(r) => c.refused(&r),
    }
}

/// 403 for a page whose only purpose is a change the operator may not make.
pub(super) fn not_allowed<S: Backend>(c: &Console<'_, S>) -> Response<Bytes> {
    c.message(
        StatusCode::FORBIDDEN,
        "Not allowed",
        "Your role does not allow this change.",
    )
}
