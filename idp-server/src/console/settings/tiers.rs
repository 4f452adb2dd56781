//! Tiers (`/admin/settings/tiers…`): create (`GET …/_new`, `POST
//! /admin/settings/tiers` → `POST /api/v1/tiers`), edit (`GET|POST
//! …/tiers/{name}` → `PATCH /api/v1/tiers/{name}`), delete with a
//! confirmation page (`GET|POST …/tiers/{name}/delete` → `DELETE`; the API
//! answers 409 while an organisation is on the tier).
//!
//! A limit left empty is unlimited (`null`); what is typed is sent as the
//! API's number or, when it is not one, as text, so the API's 422 names
//! the field and the page shows its reason beside it.

use super::super::tenants::{LIMITS, value};
use crate::backend::Backend;
use crate::console::Console;
use crate::console::api::{Refused, encode};
use crate::console::page::{Layout, Section};
use askama::Template;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use idp_core::wire::Params;
use serde_json::{Map, Value};

/// A tier's limits as shown: the number, or "Unlimited".
pub(super) fn limit_texts(tier: &Value) -> Vec<String> {
    LIMITS
        .iter()
        .map(|(key, _)| {
            tier[key]
                .as_u64()
                .map_or_else(|| "Unlimited".to_owned(), |n| n.to_string())
        })
        .collect()
}

/// One limit's input.
struct LimitField {
    /// The API's name: the input's id and name.
    id: &'static str,
    label: &'static str,
    /// As typed, or the stored number; empty for unlimited.
    value: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "console/tier.html")]
struct TierPage {
    layout: Layout,
    /// A new tier (its name is typed) or an existing one.
    creating: bool,
    writable: bool,
    name: String,
    name_error: Option<String>,
    fields: Vec<LimitField>,
    error: Option<String>,
    action: String,
    delete: String,
}

fn tier_page<S: Backend>(
    c: &Console<'_, S>,
    creating: bool,
    name: &str,
    values: &dyn Fn(&str) -> String,
) -> TierPage {
    let title = if creating {
        "New tier".to_owned()
    } else {
        format!("Tier {name}")
    };
    let tier = crate::console::path_of(c.app, &format!("/settings/tiers/{}", encode(name)));
    TierPage {
        layout: c.layout(&title, Section::Settings, None),
        creating,
        writable: c.may_write_platform(),
        name: name.to_owned(),
        name_error: None,
        fields: LIMITS
            .iter()
            .map(|(id, label)| LimitField {
                id,
                label,
                value: values(id),
                error: None,
            })
            .collect(),
        error: None,
        action: if creating {
            crate::console::path_of(c.app, "/settings/tiers")
        } else {
            tier.clone()
        },
        delete: format!("{tier}/delete"),
    }
}

/// The page again with the API's reasons beside their fields.
fn refused_page<S: Backend>(
    c: &Console<'_, S>,
    creating: bool,
    name: &str,
    form: &Params,
    r: &Refused,
) -> Response<Bytes> {
    let mut page = tier_page(c, creating, name, &|id| value(form, id).to_owned());
    page.name_error = r.field("name").map(str::to_owned);
    if creating && r.status == StatusCode::CONFLICT {
        page.name_error = Some(r.detail.clone());
    }
    for f in &mut page.fields {
        f.error = r.field(f.id).map(str::to_owned);
    }
    let mut shown = vec!["name"];
    shown.extend(LIMITS.iter().map(|(id, _)| *id));
    if page.name_error.is_none() || !r.fields.is_empty() {
        page.error = Some(r.summary(&shown));
    }
    c.render(r.status, &page)
}

fn not_allowed<S: Backend>(c: &Console<'_, S>) -> Response<Bytes> {
    c.message(
        StatusCode::FORBIDDEN,
        "Not allowed",
        "Your role may read the platform's tiers but not change them.",
    )
}

/// The limits typed: empty is `null` (unlimited), a whole number is a
/// number, anything else goes as text for the API to refuse by name.
fn limits_body(form: &Params) -> Map<String, Value> {
    LIMITS
        .iter()
        .map(|(id, _)| {
            let typed = value(form, id).trim();
            let v = if typed.is_empty() {
                Value::Null
            } else if let Ok(n) = typed.parse::<i64>() {
                Value::from(n)
            } else if let Ok(n) = typed.parse::<u64>() {
                Value::from(n)
            } else {
                Value::from(typed)
            };
            ((*id).to_owned(), v)
        })
        .collect()
}

/// `GET /admin/settings/tiers/_new`.
pub(super) fn new_form<S: Backend>(c: &Console<'_, S>) -> Response<Bytes> {
    if !c.may_write_platform() {
        return not_allowed(c);
    }
    c.render(StatusCode::OK, &tier_page(c, true, "", &|_| String::new()))
}

/// `POST /admin/settings/tiers` `name, users, clients, upstreams, api_keys`.
pub(super) async fn create<S: Backend>(
    c: &Console<'_, S>,
    req: &Request<Bytes>,
) -> Response<Bytes> {
    let form = match c.form(req) {
        Ok(form) => form,
        Err(res) => return res,
    };
    let name = value(&form, "name").trim().to_owned();
    let mut body = limits_body(&form);
    body.insert("name".to_owned(), Value::from(name.clone()));
    match c
        .send(Method::POST, "/api/v1/tiers", Some(Value::Object(body)))
        .await
    {
        Ok(_) => c.done("/settings", &format!("Tier {name} created.")),
        Err(r) if matches!(r.status.as_u16(), 409 | 422) => refused_page(c, true, &name, &form, &r),
        Err(r) => c.refused(&r),
    }
}

/// `GET /admin/settings/tiers/{name}`: the edit form (the values alone for
/// whoever may not change them).
pub(super) async fn edit_form<S: Backend>(c: &Console<'_, S>, name: &str) -> Response<Bytes> {
    let tier = match c.get(&format!("/api/v1/tiers/{}", encode(name))).await {
        Ok(t) => t,
        Err(r) => return c.refused(&r),
    };
    let page = tier_page(c, false, name, &|id| {
        tier[id].as_u64().map(|n| n.to_string()).unwrap_or_default()
    });
    c.render(StatusCode::OK, &page)
}

/// `POST /admin/settings/tiers/{name}`: sets every limit.
pub(super) async fn update<S: Backend>(
    c: &Console<'_, S>,
    req: &Request<Bytes>,
    name: &str,
) -> Response<Bytes> {
    let form = match c.form(req) {
        Ok(form) => form,
        Err(res) => return res,
    };
    let path = format!("/api/v1/tiers/{}", encode(name));
    let body = Value::Object(limits_body(&form));
    match c.send(Method::PATCH, &path, Some(body)).await {
        Ok(_) => c.done("/settings", &format!("Tier {name} saved.")),
        Err(r) if r.status == StatusCode::UNPROCESSABLE_ENTITY => {
            refused_page(c, false, name, &form, &r)
        }
        Err(r) => c.refused(&r),
    }
}

#[derive(Template)]
#[template(path = "console/tier_delete.html")]
struct DeletePage {
    layout: Layout,
    name: String,
    action: String,
    back: String,
}

/// `GET /admin/settings/tiers/{name}/delete`: the confirmation.
pub(super) async fn confirm_delete<S: Backend>(c: &Console<'_, S>, name: &str) -> Response<Bytes> {
    if let Err(r) = c.get(&format!("/api/v1/tiers/{}", encode(name))).await {
        return c.refused(&r);
    }
    if !c.may_write_platform() {
        return not_allowed(c);
    }
    let back = crate::console::path_of(c.app, &format!("/settings/tiers/{}", encode(name)));
    let page = DeletePage {
        layout: c.layout(&format!("Delete tier {name}?"), Section::Settings, None),
        name: name.to_owned(),
        action: format!("{back}/delete"),
        back,
    };
    c.render(StatusCode::OK, &page)
}

/// `POST /admin/settings/tiers/{name}/delete`.
pub(super) async fn delete<S: Backend>(
    c: &Console<'_, S>,
    req: &Request<Bytes>,
    name: &str,
) -> Response<Bytes> {
    if let Err(res) = c.form(req) {
        return res;
    }
    let path = format!("/api/v1/tiers/{}", encode(name));
    match c.send(Method::DELETE, &path, None).await {
        Ok(_) => c.done("/settings", &format!("Tier {name} deleted.")),
        Err(r) if r.status == StatusCode::CONFLICT => {
            c.failed(&format!("/settings/tiers/{}", encode(name)), &r.detail)
        }
        Err(r) => c.refused(&r),
    }
}
