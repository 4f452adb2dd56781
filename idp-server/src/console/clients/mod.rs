//! The clients of one organisation (`/admin/tenants/{slug}/clients…`):
//! the list, a client's page (how to connect to it, its settings, the
//! edit form), and the changes ([`change`]: create, edit, rotate the
//! secret, delete). Every read and change is the admin API's
//! (`/api/v1/tenants/{slug}/clients…`), so its policy, validation, tier
//! limits and audit log apply; a secret is shown once, on the answer to
//! the POST that made it, and never on any other page.

mod change;
mod form;

use super::api::{encode, segment};
use super::page::{Layout, Section, Tab};
use super::{Console, path_of};
use crate::backend::Backend;
use askama::Template;
use bytes::Bytes;
use form::ClientForm;
use http::{Method, Request, Response, StatusCode};
use idp_core::wire::Params;
use serde_json::Value;

/// Serves `/admin/tenants/{slug}/clients/{rest…}`.
pub(crate) async fn serve<S: Backend>(
    c: &Console<'_, S>,
    req: &Request<Bytes>,
    slug: &str,
    rest: &[&str],
) -> Response<Bytes> {
    let at = Clients::new(c, slug);
    match (req.method() == Method::POST, rest) {
        (false, []) => list(c, &at, req).await,
        (true, []) => change::create(c, &at, req).await,
        (false, ["new"]) => change::new(c, &at).await,
        (false, [id]) => show(c, &at, id).await,
        (true, [id]) => change::update(c, &at, req, id).await,
        (true, [id, "secret"]) => change::rotate(c, &at, req, id).await,
        (false, [id, "delete"]) => change::confirm_delete(c, &at, id).await,
        (true, [id, "delete"]) => change::delete(c, &at, req, id).await,
        _ => c.not_found(),
    }
}

/// Where one organisation's clients are, in the console and in the API.
pub(crate) struct Clients {
    slug: String,
    /// The console path of the list (`/admin/tenants/{slug}/clients`).
    console: String,
    /// The API path of the list (`/api/v1/tenants/{slug}/clients`).
    api: String,
}

impl Clients {
    fn new<S: Backend>(c: &Console<'_, S>, slug: &str) -> Self {
        let rest = format!("/tenants/{}/clients", segment(slug));
        Self {
            slug: slug.to_owned(),
            console: path_of(c.app, &rest),
            api: format!("/api/v1{rest}"),
        }
    }

    /// The console path of the client `id`.
    fn console_of(&self, id: &str) -> String {
        format!("{}/{}", self.console, segment(id))
    }

    /// The API path of the client `id`.
    fn api_of(&self, id: &str) -> String {
        format!("{}/{}", self.api, segment(id))
    }

    /// `rest` under the console path of the organisation, for `c.done`.
    fn rest_of(&self, id: Option<&str>) -> String {
        let list = format!("/tenants/{}/clients", segment(&self.slug));
        match id {
            Some(id) => format!("{list}/{}", segment(id)),
            None => list,
        }
    }

    fn layout<S: Backend>(&self, c: &Console<'_, S>, title: &str) -> Layout {
        c.layout(
            title,
            Section::Organisations,
            Some((&self.slug, Tab::Clients)),
        )
    }
}

/// A list page's links to the next and the first page, from the API's
/// `next_cursor` and the `cursor` the page was asked with.
pub(crate) struct Pager {
    pub(crate) next: Option<String>,
    pub(crate) first: Option<String>,
}

impl Pager {
    /// The cursor a list page was asked for (`?cursor=`), if any.
    pub(crate) fn cursor(req: &Request<Bytes>) -> Option<String> {
        Params::parse(req.uri().query().unwrap_or_default().as_bytes())
            .pairs()
            .iter()
            .find(|(k, v)| k == "cursor" && !v.is_empty())
            .map(|(_, v)| v.clone())
    }

    /// The API query for `cursor`: `""` or `?cursor=…`.
    pub(crate) fn query(cursor: Option<&str>) -> String {
        cursor.map_or_else(String::new, |c| format!("?cursor={}", encode(c)))
    }

    /// The links of the page at `list` (a console path) asked with
    /// `cursor` whose API answer was `page`.
    pub(crate) fn of(list: &str, cursor: Option<&str>, page: &Value) -> Self {
        Self {
            next: page["next_cursor"]
                .as_str()
                .map(|n| format!("{list}?cursor={}", encode(n))),
            first: cursor.map(|_| list.to_owned()),
        }
    }
}

/// One row of the list.
struct Row {
    name: String,
    client_id: String,
    href: String,
    kind: &'static str,
    grant_types: String,
}

#[derive(Template)]
#[template(path = "console/clients.html")]
struct ListPage {
    layout: Layout,
    new_href: String,
    rows: Vec<Row>,
    pager: Pager,
}

async fn list<S: Backend>(
    c: &Console<'_, S>,
    at: &Clients,
    req: &Request<Bytes>,
) -> Response<Bytes> {
    let cursor = Pager::cursor(req);
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
                .map(|cl| {
                    let id = text(cl, "client_id");
                    Row {
                        name: text(cl, "name"),
                        href: at.console_of(&id),
                        client_id: id,
                        kind: kind(cl),
                        grant_types: strings(cl, "grant_types").join(", "),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let page = ListPage {
        layout: at.layout(c, "Clients"),
        new_href: format!("{}/new", at.console),
        rows,
        pager: Pager::of(&at.console, cursor.as_deref(), &page),
    };
    c.render(StatusCode::OK, &page)
}

/// A client's settings as its page shows them.
struct Settings {
    client_id: String,
    name: String,
    kind: &'static str,
    public: bool,
    auth_method: String,
    grant_types: Vec<String>,
    redirect_uris: Vec<String>,
    post_logout_redirect_uris: Vec<String>,
    frontchannel_logout_uri: String,
    backchannel_logout_uri: String,
    allowed_origins: Vec<String>,
    allowed_scopes: Vec<String>,
    audiences: Vec<String>,
    require_pkce: bool,
    created_at: String,
    issuer: String,
    discovery_url: String,
}

impl Settings {
    fn of(cl: &Value) -> Self {
        Self {
            client_id: text(cl, "client_id"),
            name: text(cl, "name"),
            kind: kind(cl),
            public: cl["public"].as_bool().unwrap_or(false),
            auth_method: text(cl, "token_endpoint_auth_method"),
            grant_types: strings(cl, "grant_types"),
            redirect_uris: strings(cl, "redirect_uris"),
            post_logout_redirect_uris: strings(cl, "post_logout_redirect_uris"),
            frontchannel_logout_uri: text(cl, "frontchannel_logout_uri"),
            backchannel_logout_uri: text(cl, "backchannel_logout_uri"),
            allowed_origins: strings(cl, "allowed_origins"),
            allowed_scopes: strings(cl, "allowed_scopes"),
            audiences: strings(cl, "audiences"),
            require_pkce: cl["require_pkce"].as_bool().unwrap_or(true),
            created_at: text(cl, "created_at"),
            issuer: text(cl, "issuer"),
            discovery_url: text(cl, "discovery_url"),
        }
    }
}

#[derive(Template)]
#[template(path = "console/client.html")]
struct ClientPage {
    layout: Layout,
    href: String,
    client: Settings,
    form: ClientForm,
}

async fn show<S: Backend>(c: &Console<'_, S>, at: &Clients, id: &str) -> Response<Bytes> {
    match c.get(&at.api_of(id)).await {
        Ok(cl) => client_page(c, at, &cl, ClientForm::of_client(&cl), StatusCode::OK),
        Err(r) => c.refused(&r),
    }
}

/// The client page of `cl` with `form` in its edit form.
fn client_page<S: Backend>(
    c: &Console<'_, S>,
    at: &Clients,
    cl: &Value,
    form: ClientForm,
    status: StatusCode,
) -> Response<Bytes> {
    let client = Settings::of(cl);
    let page = ClientPage {
        layout: at.layout(c, &client.name),
        href: at.console_of(&client.client_id),
        client,
        form,
    };
    c.render(status, &page)
}

/// `public` or `confidential`.
fn kind(cl: &Value) -> &'static str {
    if cl["public"].as_bool().unwrap_or(false) {
        "public"
    } else {
        "confidential"
    }
}

/// A string member of `v`, `""` when absent.
fn text(v: &Value, name: &str) -> String {
    v[name].as_str().unwrap_or_default().to_owned()
}

/// A member of `v` that is a list of strings.
fn strings(v: &Value, name: &str) -> Vec<String> {
    v[name]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}
