//! The upstream identity providers of one organisation
//! (`/admin/tenants/{slug}/upstreams…`): the list with a form to add one
//! (its client secret typed once, never shown), an upstream's page with its
//! callback URL to register and a form to change it (a secret left empty
//! stays), and deleting it after a page of confirmation. Every read and
//! change is the admin API's (`/api/v1/tenants/{slug}/upstreams…`).

use super::api::{Refused, segment};
use super::clients::Pager;
use super::page::{Layout, Section, Tab};
use super::{Console, path_of};
use crate::backend::Backend;
use askama::Template;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use idp_core::upstream::UpstreamKind;
use idp_core::wire::Params;
use serde_json::{Map, Value, json};

/// Serves `/admin/tenants/{slug}/upstreams/{rest…}`.
pub(crate) async fn serve<S: Backend>(
    c: &Console<'_, S>,
    req: &Request<Bytes>,
    slug: &str,
    rest: &[&str],
) -> Response<Bytes> {
    let at = Upstreams::new(c, slug);
    match (req.method() == Method::POST, rest) {
        (false, []) => {
            let form = UpstreamForm {
                kind: "github".into(),
                signup: true,
                ..UpstreamForm::default()
            };
            list(c, &at, Pager::cursor(req), form, StatusCode::OK).await
        }
        (true, []) => create(c, &at, req).await,
        (false, [id]) => show(c, &at, id, None).await,
        (true, [id]) => update(c, &at, req, id).await,
        (false, [id, "delete"]) => confirm_delete(c, &at, id).await,
        (true, [id, "delete"]) => delete(c, &at, req, id).await,
        _ => c.not_found(),
    }
}

/// Where one organisation's upstreams are, in the console and in the API.
struct Upstreams {
    slug: String,
    /// `/tenants/{slug}/upstreams`, for `c.done`.
    rest: String,
    /// The console path of the list.
    console: String,
    /// The API path of the list.
    api: String,
}

impl Upstreams {
    fn new<S: Backend>(c: &Console<'_, S>, slug: &str) -> Self {
        let rest = format!("/tenants/{}/upstreams", segment(slug));
        Self {
            slug: slug.to_owned(),
            console: path_of(c.app, &rest),
            api: format!("/api/v1{rest}"),
            rest,
        }
    }

    fn api_of(&self, id: &str) -> String {
        format!("{}/{}", self.api, segment(id))
    }

    fn console_of(&self, id: &str) -> String {
        format!("{}/{}", self.console, segment(id))
    }

    fn layout<S: Backend>(&self, c: &Console<'_, S>, title: &str) -> Layout {
        c.layout(
            title,
            Section::Organisations,
            Some((&self.slug, Tab::Upstreams)),
        )
    }
}

/// An upstream form as typed (never the secret), with the API's reasons
/// when it was refused.
#[derive(Default)]
struct UpstreamForm {
    kind: String,
    name: String,
    issuer: String,
    client_id: String,
    signup: bool,
    auto_link: bool,
    refused: Option<Refused>,
}

/// The fields a form shows reasons beside.
const FIELDS: [&str; 7] = [
    "kind",
    "name",
    "issuer",
    "client_id",
    "client_secret",
    "signup",
    "auto_link",
];

impl UpstreamForm {
    /// The form posted, and the secret typed (empty if none).
    fn posted(form: &Params) -> (Self, String) {
        let one = |name: &str| {
            form.pairs()
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.trim().to_owned())
                .unwrap_or_default()
        };
        let checked = |name: &str| form.pairs().iter().any(|(k, _)| k == name);
        let secret = one("client_secret");
        (
            Self {
                kind: one("kind"),
                name: one("name"),
                issuer: one("issuer"),
                client_id: one("client_id"),
                signup: checked("signup"),
                auto_link: checked("auto_link"),
                refused: None,
            },
            secret,
        )
    }

    fn from_json(u: &Value) -> Self {
        Self {
            kind: text(u, "kind"),
            name: text(u, "name"),
            issuer: text(u, "issuer"),
            client_id: text(u, "client_id"),
            signup: u["signup"].as_bool().unwrap_or(true),
            auto_link: u["auto_link"].as_bool().unwrap_or(false),
            refused: None,
        }
    }

    /// The reason given for `field`.
    fn error(&self, field: &str) -> Option<&str> {
        self.refused.as_ref()?.field(field)
    }

    /// What the refusal said that is shown beside no field.
    fn summary(&self) -> Option<String> {
        Some(self.refused.as_ref()?.summary(&FIELDS))
    }

    /// The kinds for the select, with the chosen one marked.
    fn kinds(&self) -> Vec<(&'static str, bool)> {
        UpstreamKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.as_str() == self.kind))
            .collect()
    }
}

/// Whether a refused change goes back to its form.
fn fixable(r: &Refused) -> bool {
    matches!(
        r.status,
        StatusCode::BAD_REQUEST | StatusCode::CONFLICT | StatusCode::UNPROCESSABLE_ENTITY
    )
}

struct Row {
    name: String,
    kind: String,
    callback_url: String,
    href: String,
}

#[derive(Template)]
#[template(path = "console/upstreams.html")]
struct ListPage {
    layout: Layout,
    action: String,
    rows: Vec<Row>,
    pager: Pager,
    form: UpstreamForm,
}

/// The list (the page `cursor`), with `form` in the create form.
async fn list<S: Backend>(
    c: &Console<'_, S>,
    at: &Upstreams,
    cursor: Option<String>,
    form: UpstreamForm,
    status: StatusCode,
) -> Response<Bytes> {
    let page = match c
        .get(&format!("{}{}", at.api, Pager::query(cursor.as_deref())))
        .await
    {
        Ok(page) => page,
        Err(r) => return c.refused(&r),
    };
    let rows = page["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|u| Row {
                    href: at.console_of(&text(u, "id")),
                    name: text(u, "name"),
                    kind: text(u, "kind"),
                    callback_url: text(u, "callback_url"),
                })
                .collect()
        })
        .unwrap_or_default();
    let page = ListPage {
        layout: at.layout(c, "Upstream sign-in"),
        action: at.console.clone(),
        rows,
        pager: Pager::of(&at.console, cursor.as_deref(), &page),
        form,
    };
    c.render(status, &page)
}

/// `POST .../upstreams`.
async fn create<S: Backend>(
    c: &Console<'_, S>,
    at: &Upstreams,
    req: &Request<Bytes>,
) -> Response<Bytes> {
    let (mut form, secret) = match c.form(req) {
        Ok(form) => UpstreamForm::posted(&form),
        Err(res) => return res,
    };
    let mut body = json!({
        "kind": form.kind,
        "name": form.name,
        "client_id": form.client_id,
        "client_secret": secret,
        "signup": form.signup,
        "auto_link": form.auto_link,
    });
    if !form.issuer.is_empty() {
        body["issuer"] = json!(form.issuer);
    }
    match c.send(Method::POST, &at.api, Some(body)).await {
        Ok(u) => c.done(
            &format!("{}/{}", at.rest, segment(&text(&u, "id"))),
            &format!(
                "Upstream {} added. Register its callback URL at the provider: {}",
                text(&u, "name"),
                text(&u, "callback_url")
            ),
        ),
        Err(r) if fixable(&r) => {
            let status = r.status;
            form.refused = Some(r);
            list(c, at, None, form, status).await
        }
        Err(r) => c.refused(&r),
    }
}

#[derive(Template)]
#[template(path = "console/upstream.html")]
struct UpstreamPage {
    layout: Layout,
    href: String,
    id: String,
    callback_url: String,
    created_at: String,
    updated_at: String,
    form: UpstreamForm,
}

/// An upstream's page; `form` is the refused edit, if any.
async fn show<S: Backend>(
    c: &Console<'_, S>,
    at: &Upstreams,
    id: &str,
    form: Option<UpstreamForm>,
) -> Response<Bytes> {
    let u = match c.get(&at.api_of(id)).await {
        Ok(u) => u,
        Err(r) => return c.refused(&r),
    };
    let status = form
        .as_ref()
        .and_then(|f| f.refused.as_ref())
        .map_or(StatusCode::OK, |r| r.status);
    let id = text(&u, "id");
    let mut form = form.unwrap_or_else(|| UpstreamForm::from_json(&u));
    // The kind never changes: the stored one, whatever was posted.
    form.kind = text(&u, "kind");
    let page = UpstreamPage {
        layout: at.layout(c, &text(&u, "name")),
        href: at.console_of(&id),
        callback_url: text(&u, "callback_url"),
        created_at: text(&u, "created_at"),
        updated_at: text(&u, "updated_at"),
        form,
        id,
    };
    c.render(status, &page)
}

/// `POST .../upstreams/{id}`: name, issuer, client id, secret (if typed), rules.
async fn update<S: Backend>(
    c: &Console<'_, S>,
    at: &Upstreams,
    req: &Request<Bytes>,
    id: &str,
) -> Response<Bytes> {
    let (form, secret) = match c.form(req) {
        Ok(form) => UpstreamForm::posted(&form),
        Err(res) => return res,
    };
    let mut body = Map::new();
    body.insert("name".into(), json!(form.name));
    body.insert("client_id".into(), json!(form.client_id));
    body.insert("signup".into(), json!(form.signup));
    body.insert("auto_link".into(), json!(form.auto_link));
    body.insert(
        "issuer".into(),
        if form.issuer.is_empty() {
            Value::Null
        } else {
            json!(form.issuer)
        },
    );
    if !secret.is_empty() {
        body.insert("client_secret".into(), json!(secret));
    }
    let mut form = form;
    match c
        .send(Method::PATCH, &at.api_of(id), Some(Value::Object(body)))
        .await
    {
        Ok(_) => c.done(&format!("{}/{}", at.rest, segment(id)), "Upstream saved."),
        Err(r) if fixable(&r) => {
            form.refused = Some(r);
            show(c, at, id, Some(form)).await
        }
        Err(r) => c.refused(&r),
    }
}

#[derive(Template)]
#[template(path = "console/upstream_delete.html")]
struct DeletePage {
    layout: Layout,
    action: String,
    back: String,
    name: String,
}

/// `GET .../upstreams/{id}/delete`.
async fn confirm_delete<S: Backend>(
    c: &Console<'_, S>,
    at: &Upstreams,
    id: &str,
) -> Response<Bytes> {
    let u = match c.get(&at.api_of(id)).await {
        Ok(u) => u,
        Err(r) => return c.refused(&r),
    };
    if !c.may_write(Some(&at.slug)) {
        return c.message(
            StatusCode::FORBIDDEN,
            "Not allowed",
            "Your role may read this organisation's upstreams but not change them.",
        );
    }
    let name = text(&u, "name");
    let page = DeletePage {
        layout: at.layout(c, &format!("Delete {name}")),
        action: format!("{}/delete", at.console_of(id)),
        back: at.console_of(id),
        name,
    };
    c.render(StatusCode::OK, &page)
}

/// `POST .../upstreams/{id}/delete`.
async fn delete<S: Backend>(
    c: &Console<'_, S>,
    at: &Upstreams,
    req: &Request<Bytes>,
    id: &str,
) -> Response<Bytes> {
    if let Err(res) = c.form(req) {
        return res;
    }
    match c.send(Method::DELETE, &at.api_of(id), None).await {
        Ok(_) => c.done(&at.rest, "Upstream deleted."),
        Err(r) => c.refused(&r),
    }
}

fn text(v: &Value, name: &str) -> String {
    v[name].as_str().unwrap_or_default().to_owned()
}
