//! The audit log (`/admin/audit`): a GET form of filters (organisation,
//! actor, action, a time range), a table of events oldest first, and the
//! API's cursor pages with the filters kept in the Next link.
//!
//! It reads `GET /api/v1/audit-events` as the operator, so an
//! organisation admin sees only their organisations' events (the API
//! leaves out the others; a filter on an organisation they may not see is
//! a 404 of the API, shown next to the field).

use super::Console;
use super::api::{Refused, encode};
use super::page::{Layout, Section};
use crate::backend::Backend;
use askama::Template;
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use idp_core::wire::Params;
use serde_json::Value;

/// The filters, as typed (and as passed on to the API and the Next link).
#[derive(Default)]
struct Filters {
    tenant: String,
    actor: String,
    action: String,
    since: String,
    until: String,
    /// A page size other than the API's default, if asked for.
    limit: String,
}

impl Filters {
    const NAMES: [&'static str; 6] = ["tenant", "actor", "action", "since", "until", "limit"];

    fn parse(query: &Params) -> Self {
        let get = |name: &str| {
            query
                .pairs()
                .iter()
                .find(|(k, v)| k == name && !v.trim().is_empty())
                .map(|(_, v)| v.trim().to_owned())
                .unwrap_or_default()
        };
        Self {
            tenant: get("tenant"),
            actor: get("actor"),
            action: get("action"),
            since: get("since"),
            until: get("until"),
            limit: get("limit"),
        }
    }

    fn values(&self) -> [&str; 6] {
        [
            &self.tenant,
            &self.actor,
            &self.action,
            &self.since,
            &self.until,
            &self.limit,
        ]
    }

    /// The query string of the filters given (`a=1&b=2`, maybe empty);
    /// `api` turns the times typed into what the API reads.
    fn query(&self, api: bool) -> String {
        Self::NAMES
            .iter()
            .zip(self.values())
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| {
                let v = if api && (*k == "since" || *k == "until") {
                    api_time(v)
                } else {
                    v.to_owned()
                };
                format!("{k}={}", encode(&v))
            })
            .collect::<Vec<_>>()
            .join("&")
    }

    /// Whether any filter is given (the page size is none).
    fn any(&self) -> bool {
        self.values()[..5].iter().any(|v| !v.is_empty())
    }
}

/// A time as typed (a date, a `datetime-local` value, RFC 3339, Unix
/// seconds) as the API reads it: a date or a local date-time without a
/// zone is taken as UTC; anything else goes as it is (the API says if it
/// is not a time).
fn api_time(typed: &str) -> String {
    let typed = typed.replacen(' ', "T", 1);
    let shape: String = typed
        .chars()
        .map(|c| if c.is_ascii_digit() { '9' } else { c })
        .collect();
    match shape.as_str() {
        "9999-99-99" => format!("{typed}T00:00:00Z"),
        "9999-99-99T99:99" => format!("{typed}:00Z"),
        "9999-99-99T99:99:99" => format!("{typed}Z"),
        _ => typed,
    }
}

/// One event as a row.
struct Row {
    time: String,
    actor_kind: String,
    actor_name: String,
    /// The link that filters by this actor.
    actor_filter: String,
    action: String,
    tenant: String,
    target: String,
    address: String,
}

#[derive(Template)]
#[template(path = "console/audit.html")]
struct AuditPage {
    layout: Layout,
    base: String,
    filters: Filters,
    /// `(field, reason)` the API refused.
    errors: Vec<(String, String)>,
    /// Why the API refused, when no field says.
    summary: Option<String>,
    rows: Vec<Row>,
    next: Option<String>,
    later: bool,
    /// The first page with the same filters.
    first: String,
    filtered: bool,
}

impl AuditPage {
    fn error(&self, name: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == name)
            .map(|(_, r)| r.as_str())
    }
}

/// `GET /admin/audit[?tenant&actor&action&since&until&limit&cursor]`.
pub(crate) async fn serve<S: Backend>(c: &Console<'_, S>, req: &Request<Bytes>) -> Response<Bytes> {
    if req.method() != http::Method::GET {
        return c.not_found();
    }
    let query = Params::parse(req.uri().query().unwrap_or_default().as_bytes());
    let filters = Filters::parse(&query);
    let cursor = query
        .pairs()
        .iter()
        .find(|(k, v)| k == "cursor" && !v.is_empty())
        .map(|(_, v)| v.clone());
    let base = super::path_of(c.app, "/audit");
    let keep = filters.query(false);
    let first = if keep.is_empty() {
        base.clone()
    } else {
        format!("{base}?{keep}")
    };
    let mut api = format!("/api/v1/audit-events?{}", filters.query(true));
    if let Some(cursor) = &cursor {
        api.push_str(&format!("&cursor={}", encode(cursor)));
    }
    let mut page = AuditPage {
        layout: c.layout("Audit log", Section::Audit, None),
        filtered: filters.any(),
        filters,
        errors: Vec::new(),
        summary: None,
        rows: Vec::new(),
        next: None,
        later: cursor.is_some(),
        first: first.clone(),
        base: base.clone(),
    };
    match c.get(&api).await {
        Ok(v) => {
            page.rows = v["items"]
                .as_array()
                .map(|items| items.iter().map(|e| row(&base, e)).collect())
                .unwrap_or_default();
            page.next = v["next_cursor"].as_str().map(|next| {
                let sep = if keep.is_empty() { "?" } else { "&" };
                format!("{first}{sep}cursor={}", encode(next))
            });
            c.render(StatusCode::OK, &page)
        }
        Err(r) if r.status == StatusCode::UNPROCESSABLE_ENTITY => {
            refused_filters(&mut page, &r);
            c.render(r.status, &page)
        }
        // A tenant the operator may not see, as the API says it.
        Err(r) if r.status == StatusCode::NOT_FOUND && !page.filters.tenant.is_empty() => {
            page.errors.push((
                "tenant".to_owned(),
                "There is no such organisation you may see.".to_owned(),
            ));
            c.render(r.status, &page)
        }
        Err(r) => c.refused(&r),
    }
}

fn refused_filters(page: &mut AuditPage, r: &Refused) {
    page.errors.clone_from(&r.fields);
    page.summary = Some(r.summary(&Filters::NAMES));
}

fn row(base: &str, e: &Value) -> Row {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let actor = &e["actor"];
    Row {
        time: s(&e["time"]).replacen('T', " ", 1).replace('Z', " UTC"),
        actor_kind: s(&actor["kind"]),
        actor_name: match s(&actor["name"]) {
            name if name.is_empty() => s(&actor["id"]),
            name => name,
        },
        actor_filter: format!("{base}?actor={}", encode(&s(&actor["id"]))),
        action: s(&e["action"]),
        tenant: s(&e["tenant"]),
        target: format!("{} {}", s(&e["target"]["kind"]), s(&e["target"]["id"])),
        address: s(&e["address"]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_times_become_utc() {
        assert_eq!(api_time("2026-12-05"), "2026-12-05T00:00:00Z");
        assert_eq!(api_time("2026-12-05T13:08"), "2026-12-05T13:08:00Z");
        assert_eq!(api_time("2026-12-05 13:08"), "2026-12-05T13:08:00Z");
        assert_eq!(api_time("2026-12-05T13:08:16"), "2026-12-05T13:08:16Z");
        assert_eq!(
            api_time("2026-12-05T13:08:16+02:00"),
            "2026-12-05T13:08:16+02:00"
        );
        assert_eq!(api_time("1767225600"), "1767225600");
        assert_eq!(api_time("yesterday"), "yesterday");
    }

    #[test]
    fn the_next_link_keeps_the_filters() {
        let f = Filters::parse(&Params::parse(
            b"tenant=acme&action=user+create&since=2026-12-05&x=1",
        ));
        assert_eq!(
            f.query(false),
            "tenant=acme&action=user+create&since=2026-12-05"
        );
        assert_eq!(
            f.query(true),
            "tenant=acme&action=user+create&since=2026-12-05T00%3A00%3A00Z"
        );
    }
}
