//! Platform settings (`/admin/settings…`), for operators who may read the
//! platform's own settings (owners, admins, auditors; everyone else gets
//! 404, as for a page that does not exist): who may sign up at `/signup`
//! (`POST /admin/settings/signup`, `PATCH /api/v1/platform/settings`) and
//! the tiers with their limits ([`tiers`]: create, edit, delete).
//!
//! An auditor sees the same values without any form; the API refuses
//! their forged POST (403).

mod tiers;

use super::Console;
use super::api::{Refused, encode};
use super::page::{Layout, Section};
use super::tenants::value;
use crate::backend::Backend;
use askama::Template;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use idp_core::wire::Params;
use serde_json::{Value, json};

/// The sign-up modes: `(value, label, what it means)`.
const MODES: [(&str, &str, &str); 3] = [
    (
        "closed",
        "Closed",
        "Only operators create organisations; /signup is not found.",
    ),
    (
        "approval",
        "Approval",
        "Anyone may sign up; the organisation waits for an operator's approval.",
    ),
    (
        "open",
        "Open",
        "Anyone may sign up; the organisation is active at once.",
    ),
];

/// Tiers per page.
const PAGE: usize = 50;

/// One radio of the sign-up fieldset.
struct Mode {
    value: &'static str,
    label: &'static str,
    hint: &'static str,
    checked: bool,
}

/// A tier's line: its name and its limits in the order of
/// [`super::tenants::LIMITS`].
pub(crate) struct TierRow {
    name: String,
    href: String,
    limits: Vec<String>,
}

#[derive(Template)]
#[template(path = "console/settings.html")]
struct SettingsPage {
    layout: Layout,
    writable: bool,
    modes: Vec<Mode>,
    /// The mode's label (shown to whoever may not change it).
    current: &'static str,
    signup_error: Option<String>,
    headings: Vec<&'static str>,
    tiers: Vec<TierRow>,
    next: Option<String>,
    first: Option<String>,
}

/// Serves `/admin/settings{/rest}`.
pub(crate) async fn serve<S: Backend>(
    c: &Console<'_, S>,
    req: &Request<Bytes>,
    rest: &[&str],
) -> Response<Bytes> {
    if !c.may_read_platform() {
        return c.not_found();
    }
    let post = req.method() == Method::POST;
    match (post, rest) {
        (false, []) => page(c, req, StatusCode::OK, None).await,
        (true, ["signup"]) => signup(c, req).await,
        // No tier name starts with `_`: a tier named `new` keeps its page.
        (false, ["tiers", "_new"]) => tiers::new_form(c),
        (true, ["tiers"]) => tiers::create(c, req).await,
        (false, ["tiers", name]) => tiers::edit_form(c, name).await,
        (true, ["tiers", name]) => tiers::update(c, req, name).await,
        (false, ["tiers", name, "delete"]) => tiers::confirm_delete(c, name).await,
        (true, ["tiers", name, "delete"]) => tiers::delete(c, req, name).await,
        _ => c.not_found(),
    }
}

/// `GET /admin/settings?cursor=` (the tiers' page), or the same page again
/// with the sign-up form's error.
async fn page<S: Backend>(
    c: &Console<'_, S>,
    req: &Request<Bytes>,
    status: StatusCode,
    signup_error: Option<String>,
) -> Response<Bytes> {
    let cursor = if req.method() == Method::GET {
        let query = Params::parse(req.uri().query().unwrap_or_default().as_bytes());
        Some(value(&query, "cursor").to_owned()).filter(|s| !s.is_empty())
    } else {
        None
    };
    match read(c, cursor.as_deref()).await {
        Ok((settings, tiers)) => {
            let page = settings_page(c, &settings, &tiers, cursor.is_some(), signup_error);
            c.render(status, &page)
        }
        Err(r) => c.refused(&r),
    }
}

async fn read<S: Backend>(
    c: &Console<'_, S>,
    cursor: Option<&str>,
) -> Result<(Value, Value), Refused> {
    let settings = c.get("/api/v1/platform/settings").await?;
    let mut path = format!("/api/v1/tiers?limit={PAGE}");
    if let Some(at) = cursor {
        path.push_str("&cursor=");
        path.push_str(&encode(at));
    }
    Ok((settings, c.get(&path).await?))
}

fn settings_page<S: Backend>(
    c: &Console<'_, S>,
    settings: &Value,
    tiers: &Value,
    paged: bool,
    signup_error: Option<String>,
) -> SettingsPage {
    let mode = settings["signup"].as_str().unwrap_or_default();
    let base = super::path_of(c.app, "/settings");
    SettingsPage {
        layout: c.layout("Platform settings", Section::Settings, None),
        writable: c.may_write_platform(),
        modes: MODES
            .iter()
            .map(|(value, label, hint)| Mode {
                value,
                label,
                hint,
                checked: *value == mode,
            })
            .collect(),
        current: MODES
            .iter()
            .find(|(v, _, _)| *v == mode)
            .map_or("Unknown", |(_, label, _)| *label),
        signup_error,
        headings: super::tenants::LIMITS.iter().map(|(_, l)| *l).collect(),
        tiers: tiers["items"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|t| tier_row(&base, t))
            .collect(),
        next: tiers["next_cursor"]
            .as_str()
            .map(|n| format!("{base}?cursor={}", encode(n))),
        first: paged.then(|| base.clone()),
    }
}

fn tier_row(base: &str, t: &Value) -> TierRow {
    let name = t["name"].as_str().unwrap_or_default().to_owned();
    TierRow {
        href: format!("{base}/tiers/{}", encode(&name)),
        limits: tiers::limit_texts(t),
        name,
    }
}

/// `POST /admin/settings/signup` `signup`.
async fn signup<S: Backend>(c: &Console<'_, S>, req: &Request<Bytes>) -> Response<Bytes> {
    let form = match c.form(req) {
        Ok(form) => form,
        Err(res) => return res,
    };
    let mode = value(&form, "signup");
    let body = json!({"signup": mode});
    match c
        .send(Method::PATCH, "/api/v1/platform/settings", Some(body))
        .await
    {
        Ok(_) => {
            let label = MODES
                .iter()
                .find(|(v, _, _)| *v == mode)
                .map_or(mode, |(_, label, _)| label);
            c.done("/settings", &format!("Sign-up is now: {label}."))
        }
        Err(r) if r.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let error = r
                .field("signup")
                .map_or_else(|| r.summary(&[]), str::to_owned);
            page(c, req, r.status, Some(error)).await
        }
        Err(r) => c.refused(&r),
    }
}
