//! Organisations (`/admin/tenants…`): the list with search and pending
//! approvals ([`list`]), creating one ([`list`]), an organisation's
//! overview with its rename and tier forms ([`overview`]), and its
//! lifecycle: approve, reject, suspend, reactivate, delete ([`lifecycle`]).
//!
//! Everything is read and changed through `/api/v1/tenants…`, so an
//! organisation admin sees only their organisations (the API filters the
//! list and answers 404 for the others) and the API's policy, validation
//! and audit log apply. The pages only hide what the policy would refuse
//! ([`Console::allowed`]) and what the state does not allow (approve only a
//! pending organisation); the platform tenant has no lifecycle and cannot
//! be deleted (the API answers 409), so neither is offered for it.

mod lifecycle;
mod list;
mod overview;

use super::Console;
use super::api::{Refused, encode};
use crate::backend::Backend;
use bytes::Bytes;
use http::{Method, Request, Response};
use idp_core::wire::Params;
use serde_json::Value;

/// The limits a tier sets, in the order shown: `(API name, label)`.
pub(crate) const LIMITS: [(&str, &str); 4] = [
    ("users", "Users"),
    ("clients", "Clients"),
    ("upstreams", "Upstream providers"),
    ("api_keys", "API keys"),
];

/// The platform's own tenant: listed, never suspended or deleted.
pub(crate) const PLATFORM: &str = "platform";

/// API pages of this many organisations are read when the console filters
/// or counts (the API's largest page).
pub(crate) const WALK_PAGE: usize = 200;
/// At most this many API pages are read for one console page.
const WALK_PAGES: usize = 10;

/// Serves `/admin/tenants{/rest}` (not a tenant's clients, users, roles or
/// keys, which have screens of their own).
pub(crate) async fn serve<S: Backend>(
    c: &Console<'_, S>,
    req: &Request<Bytes>,
    rest: &[&str],
) -> Response<Bytes> {
    let post = req.method() == Method::POST;
    match (post, rest) {
        (false, []) => list::page(c, req).await,
        (true, []) => list::create(c, req).await,
        // `_new`: no slug holds `_`, so an organisation named `new` keeps
        // its own page.
        (false, ["_new"]) => list::new_form(c),
        (false, [slug]) => overview::page(c, slug).await,
        (true, [slug]) => overview::rename(c, req, slug).await,
        (true, [slug, "tier"]) => overview::set_tier(c, req, slug).await,
        (true, [slug, action @ ("approve" | "reactivate")]) => {
            lifecycle::act(c, req, slug, action).await
        }
        (false, [slug, action @ ("reject" | "suspend" | "delete")]) => {
            lifecycle::confirm(c, slug, action).await
        }
        (true, [slug, action @ ("reject" | "suspend" | "delete")]) => {
            lifecycle::confirmed(c, req, slug, action).await
        }
        _ => c.not_found(),
    }
}

/// An organisation as the API shows it.
pub(crate) struct Org {
    pub(crate) slug: String,
    pub(crate) name: String,
    /// `active`, `pending`, `suspended` or `rejected` (also a CSS class).
    pub(crate) state: String,
    /// Why it was rejected or suspended.
    pub(crate) state_reason: Option<String>,
    pub(crate) state_changed_at: Option<String>,
    pub(crate) created_at: String,
    pub(crate) issuer: String,
}

impl Org {
    pub(crate) fn from_json(v: &Value) -> Self {
        let text = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
        Self {
            slug: text("slug"),
            name: text("name"),
            state: text("state"),
            state_reason: v["state_reason"].as_str().map(str::to_owned),
            state_changed_at: v["state_changed_at"].as_str().map(when),
            created_at: when(&text("created_at")),
            issuer: text("issuer"),
        }
    }

    /// The state in words.
    pub(crate) fn state_label(&self) -> &'static str {
        match self.state.as_str() {
            "active" => "Active",
            "pending" => "Pending approval",
            "suspended" => "Suspended",
            "rejected" => "Rejected",
            _ => "Unknown",
        }
    }
}

/// An RFC 3339 time as the pages show it: `2025-05-01 12:00 UTC`.
pub(crate) fn when(rfc3339: &str) -> String {
    match rfc3339.get(..16) {
        Some(minutes) if rfc3339.ends_with('Z') => format!("{} UTC", minutes.replace('T', " ")),
        _ => rfc3339.to_owned(),
    }
}

/// Organisations read from the API's list, and where it stopped.
pub(crate) struct Walk {
    pub(crate) items: Vec<Org>,
    /// The API's cursor after the last page read (`None`: the list ended).
    pub(crate) next_cursor: Option<String>,
}

/// Reads the API's organisation list from `cursor` in pages of
/// `page_size`, keeping those `keep` accepts, until `want` are kept, the
/// list ends or [`WALK_PAGES`] pages were read. The API has no search or state filter, so the console
/// filters while it walks the API's own cursor: the next page continues
/// exactly where this one stopped, and nothing is skipped (every item of a
/// page read is looked at). Organisation admins get only theirs (the API
/// filters the list).
pub(crate) async fn walk<S: Backend>(
    c: &Console<'_, S>,
    mut cursor: Option<String>,
    keep: impl Fn(&Org) -> bool,
    want: usize,
    page_size: usize,
) -> Result<Walk, Refused> {
    let mut items = Vec::new();
    for _ in 0..WALK_PAGES {
        let mut path = format!("/api/v1/tenants?limit={page_size}");
        if let Some(at) = &cursor {
            path.push_str("&cursor=");
            path.push_str(&encode(at));
        }
        let page = c.get(&path).await?;
        items.extend(
            page["items"]
                .as_array()
                .into_iter()
                .flatten()
                .map(Org::from_json)
                .filter(|o| keep(o)),
        );
        cursor = page["next_cursor"].as_str().map(str::to_owned);
        if cursor.is_none() || items.len() >= want {
            break;
        }
    }
    Ok(Walk {
        items,
        next_cursor: cursor,
    })
}

/// The first value of `name` in a form or query ("" when absent).
pub(crate) fn value<'a>(params: &'a Params, name: &str) -> &'a str {
    params
        .pairs()
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// The console path of an organisation's page (`/tenants/{slug}{rest}`).
pub(crate) fn org_path(slug: &str, rest: &str) -> String {
    format!("/tenants/{}{rest}", encode(slug))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_minutes_in_utc() {
        assert_eq!(when("2025-05-01T12:34:56Z"), "2025-05-01 12:34 UTC");
        assert_eq!(when("yesterday"), "yesterday");
    }
}
