//! The dashboard (`GET /admin?tenant=SLUG&days=7|30|90`): counts and
//! charts of the sign-in analytics, for the whole platform (operators who
//! may read the platform's analytics, when no organisation is chosen) or
//! for one organisation (the one chosen in the form, otherwise the
//! operator's first).
//!
//! Read through the admin API: `GET /api/v1/analytics` (platform) or
//! `GET /api/v1/tenants/{slug}/analytics` with `from` and `to`, the
//! organisation's `…/usage`, and the organisation list for the counts by
//! state. An organisation admin asking for another organisation gets the
//! API's 404. Figures are as of the analytics' last roll-up.

use super::Console;
use super::api::{Refused, encode};
use super::chart::{self, BarChart, Point, Spec};
use super::page::{Layout, Section};
use super::tenants::{self, WALK_PAGE};
use crate::backend::Backend;
use askama::Template;
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use idp_core::analytics::{Day, FailureReason};
use idp_core::wire::Params;
use serde_json::Value;
use std::collections::BTreeMap;

/// The periods offered, in days.
const PERIODS: [i64; 3] = [7, 30, 90];
/// The default period.
const DEFAULT_DAYS: i64 = 30;
/// The most organisations the chooser lists (the chosen one is always there).
const CHOICES: usize = 200;

/// One figure at the top.
struct Card {
    label: &'static str,
    value: String,
    /// A second line (`of 100 allowed`), if any.
    hint: Option<String>,
}

/// An option of a `<select>`.
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

/// A line of the top clients' table.
struct TopClient {
    tenant: String,
    client_id: String,
    href: String,
    logins: u64,
}

#[derive(Template)]
#[template(path = "console/dashboard.html")]
struct DashboardPage {
    layout: Layout,
    /// What the page shows: "All organisations" or an organisation.
    scope: String,
    tenants: Vec<Choice>,
    periods: Vec<Choice>,
    from: String,
    to: String,
    cards: Vec<Card>,
    charts: Vec<BarChart>,
    top_clients: Vec<TopClient>,
    /// Platform-wide: the top clients' table has an organisation column.
    platform: bool,
}

/// `GET /admin`.
pub(crate) async fn serve<S: Backend>(c: &Console<'_, S>, req: &Request<Bytes>) -> Response<Bytes> {
    let query = Params::parse(req.uri().query().unwrap_or_default().as_bytes());
    let days = tenants::value(&query, "days")
        .parse::<i64>()
        .ok()
        .filter(|d| PERIODS.contains(d))
        .unwrap_or(DEFAULT_DAYS);
    let asked = tenants::value(&query, "tenant");
    let platform = asked.is_empty() && c.may_read_platform();
    let chosen = if asked.is_empty() {
        c.operator.roles.organisations().next().map(str::to_owned)
    } else {
        Some(asked.to_owned())
    };
    match (platform, chosen) {
        (true, _) => match platform_page(c, days).await {
            Ok(page) => c.render(StatusCode::OK, &page),
            Err(r) => c.refused(&r),
        },
        (false, Some(slug)) => match tenant_page(c, &slug, days).await {
            Ok(page) => c.render(StatusCode::OK, &page),
            Err(r) => c.refused(&r),
        },
        (false, None) => c.message(
            StatusCode::OK,
            "Dashboard",
            "You are not an administrator of any organisation yet. Ask an operator of this platform for a role.",
        ),
    }
}

/// `from` and `to` of the last `days` days, today included (UTC).
fn range<S: Backend>(c: &Console<'_, S>, days: i64) -> (String, String) {
    let today = Day::of(c.app.provider.admin().now());
    (today.plus(1 - days).to_string(), today.to_string())
}

async fn platform_page<S: Backend>(
    c: &Console<'_, S>,
    days: i64,
) -> Result<DashboardPage, Refused> {
    let (from, to) = range(c, days);
    let report = c
        .get(&format!("/api/v1/analytics?from={from}&to={to}"))
        .await?;
    let orgs = tenants::walk(c, None, |_| true, usize::MAX, WALK_PAGE).await?;
    let more = if orgs.next_cursor.is_some() { "+" } else { "" };
    let mut by_state: BTreeMap<&str, usize> = BTreeMap::new();
    for o in &orgs.items {
        *by_state.entry(o.state.as_str()).or_default() += 1;
    }
    let count = |state: &str| format!("{}{more}", by_state.get(state).copied().unwrap_or(0));
    let mut cards = vec![
        Card {
            label: "Organisations",
            value: format!("{}{more}", orgs.items.len()),
            hint: None,
        },
        Card {
            label: "Active",
            value: count("active"),
            hint: None,
        },
        Card {
            label: "Pending approval",
            value: count("pending"),
            hint: None,
        },
        Card {
            label: "Suspended",
            value: count("suspended"),
            hint: None,
        },
    ];
    cards.extend(activity(&report));
    let choices = orgs
        .items
        .iter()
        .take(CHOICES)
        .map(|o| (o.slug.clone(), o.name.clone()))
        .collect();
    Ok(DashboardPage {
        layout: c.layout("Dashboard", Section::Dashboard, None),
        scope: "All organisations".to_owned(),
        tenants: tenant_choices(true, choices, None),
        periods: periods(days),
        cards,
        charts: charts(&report),
        top_clients: top_clients(c, &report),
        platform: true,
        from,
        to,
    })
}

async fn tenant_page<S: Backend>(
    c: &Console<'_, S>,
    slug: &str,
    days: i64,
) -> Result<DashboardPage, Refused> {
    let (from, to) = range(c, days);
    let base = format!("/api/v1/tenants/{}", encode(slug));
    let tenant = c.get(&base).await?;
    let report = c
        .get(&format!("{base}/analytics?from={from}&to={to}"))
        .await?;
    let usage = c.usage(slug).await?;
    let name = tenant["name"].as_str().unwrap_or(slug).to_owned();
    let mut cards: Vec<Card> = [("Users", "users"), ("Clients", "clients")]
        .into_iter()
        .map(|(label, key)| Card {
            label,
            value: usage["usage"][key].as_u64().unwrap_or(0).to_string(),
            hint: Some(
                usage["limits"][key]
                    .as_u64()
                    .map_or_else(|| "no limit".to_owned(), |l| format!("of {l} allowed")),
            ),
        })
        .collect();
    cards.extend(activity(&report));
    let platform_reader = c.may_read_platform();
    let choices: Vec<(String, String)> = if platform_reader {
        tenants::walk(c, None, |_| true, CHOICES, WALK_PAGE)
            .await?
            .items
            .into_iter()
            .take(CHOICES)
            .map(|o| (o.slug, o.name))
            .collect()
    } else {
        c.operator
            .roles
            .organisations()
            .map(|s| (s.to_owned(), s.to_owned()))
            .collect()
    };
    Ok(DashboardPage {
        layout: c.layout(&format!("Dashboard: {name}"), Section::Dashboard, None),
        scope: name,
        tenants: tenant_choices(platform_reader, choices, Some(slug)),
        periods: periods(days),
        cards,
        charts: charts(&report),
        top_clients: top_clients(c, &report),
        platform: false,
        from,
        to,
    })
}

/// The organisation chooser: "All organisations" first for platform
/// readers, then `(slug, name)`s, the chosen one always among them.
fn tenant_choices(all: bool, mut orgs: Vec<(String, String)>, chosen: Option<&str>) -> Vec<Choice> {
    if let Some(slug) = chosen
        && !orgs.iter().any(|(s, _)| s == slug)
    {
        orgs.insert(0, (slug.to_owned(), slug.to_owned()));
    }
    let mut out = Vec::new();
    if all {
        out.push(Choice {
            value: String::new(),
            label: "All organisations".to_owned(),
            selected: chosen.is_none(),
        });
    }
    out.extend(orgs.into_iter().map(|(slug, name)| Choice {
        selected: chosen == Some(slug.as_str()),
        label: if name == slug {
            slug.clone()
        } else {
            format!("{name} ({slug})")
        },
        value: slug,
    }));
    out
}

fn periods(days: i64) -> Vec<Choice> {
    PERIODS
        .iter()
        .map(|d| Choice {
            value: d.to_string(),
            label: format!("Last {d} days"),
            selected: *d == days,
        })
        .collect()
}

/// The analytics' days.
fn days_of(report: &Value) -> &[Value] {
    report["days"].as_array().map_or(&[], Vec::as_slice)
}

/// Failures of a day, or of the whole range, by reason.
fn failures(days: &[Value]) -> BTreeMap<String, u64> {
    let mut by_reason = BTreeMap::new();
    for day in days {
        for (reason, n) in day["failures"].as_object().into_iter().flatten() {
            *by_reason.entry(reason.clone()).or_default() += n.as_u64().unwrap_or(0);
        }
    }
    by_reason
}

/// The period's cards: logins, new users, failed sign-ins, active users
/// this month.
fn activity(report: &Value) -> Vec<Card> {
    let days = days_of(report);
    let sum = |key: &str| {
        days.iter()
            .map(|d| d[key].as_u64().unwrap_or(0))
            .sum::<u64>()
    };
    let failed: u64 = failures(days).values().sum();
    let month = report["months"]
        .as_array()
        .and_then(|m| m.last())
        .map(|m| m["active_users"].as_u64().unwrap_or(0));
    let mut cards = vec![
        Card {
            label: "Logins",
            value: sum("logins").to_string(),
            hint: Some("in the period".to_owned()),
        },
        Card {
            label: "New users",
            value: sum("signups").to_string(),
            hint: Some("in the period".to_owned()),
        },
        Card {
            label: "Failed sign-ins",
            value: failed.to_string(),
            hint: Some("in the period".to_owned()),
        },
    ];
    if let Some(active) = month {
        cards.push(Card {
            label: "Active users",
            value: active.to_string(),
            hint: Some("this month".to_owned()),
        });
    }
    cards
}

/// The four charts: logins, new users and active users per day, failures
/// by reason.
fn charts(report: &Value) -> Vec<BarChart> {
    let days = days_of(report);
    let series = |key: &str| {
        days.iter()
            .map(|d| Point {
                label: d["date"].as_str().unwrap_or_default().to_owned(),
                value: d[key].as_u64().unwrap_or(0),
            })
            .collect::<Vec<_>>()
    };
    let spec = |id, title, value_heading, class| Spec {
        id,
        title,
        label_heading: "Date",
        value_heading,
        class,
        additive: true,
    };
    let reasons = failures(days)
        .into_iter()
        .map(|(reason, value)| Point {
            label: reason_label(&reason),
            value,
        })
        .collect();
    vec![
        chart::columns(
            spec("logins", "Logins per day", "Logins", "bar"),
            series("logins"),
            "logins",
        ),
        chart::columns(
            spec("signups", "New users per day", "New users", "bar alt"),
            series("signups"),
            "new users",
        ),
        chart::columns(
            Spec {
                additive: false,
                ..spec("active", "Active users per day", "Active users", "bar")
            },
            series("active_users"),
            "active users",
        ),
        chart::rows(
            Spec {
                label_heading: "Reason",
                ..spec("failures", "Failed sign-ins by reason", "Failures", "bad")
            },
            reasons,
            "failed sign-ins",
        ),
    ]
}

/// A failure reason in words (`wrong_password`: "Wrong password"); one
/// this console does not know yet is shown as the API names it.
fn reason_label(reason: &str) -> String {
    let known = FailureReason::ALL
        .into_iter()
        .find(|r| r.as_str() == reason);
    match known {
        Some(FailureReason::UnknownUser) => "Unknown email".to_owned(),
        Some(FailureReason::NoPassword) => "No password set".to_owned(),
        Some(FailureReason::WrongPassword) => "Wrong password".to_owned(),
        Some(FailureReason::Disabled) => "Account disabled".to_owned(),
        Some(FailureReason::RateLimited) => "Too many attempts".to_owned(),
        None => reason.to_owned(),
    }
}

fn top_clients<S: Backend>(c: &Console<'_, S>, report: &Value) -> Vec<TopClient> {
    report["top_clients"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            let tenant = t["tenant"].as_str().unwrap_or_default().to_owned();
            let client_id = t["client_id"].as_str().unwrap_or_default().to_owned();
            TopClient {
                href: super::path_of(
                    c.app,
                    &tenants::org_path(&tenant, &format!("/clients/{}", encode(&client_id))),
                ),
                logins: t["logins"].as_u64().unwrap_or(0),
                tenant,
                client_id,
            }
        })
        .collect()
}
