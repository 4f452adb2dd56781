//! The application roles of one organisation
//! (`/admin/tenants/{slug}/roles…`): the list with a form to create one,
//! a role's page to change its description, and deleting it after a page
//! of confirmation. Roles are assigned to users on the users screen. Every
//! read and change is the admin API's (`/api/v1/tenants/{slug}/roles…`).

use super::api::{Refused, segment};
use super::clients::Pager;
use super::page::{Layout, Section, Tab};
use super::{Console, path_of};
use crate::backend::Backend;
use askama::Template;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use idp_core::wire::Params;
use serde_json::{Value, json};

/// Serves `/admin/tenants/{slug}/roles/{rest…}`.
pub(crate) async fn serve<S: Backend>(
    c: &Console<'_, S>,
    req: &Request<Bytes>,
    slug: &str,
    rest: &[&str],
) -> Response<Bytes> {
    let at = Roles::new(c, slug);
    match (req.method() == Method::POST, rest) {
        (false, []) => {
            list(
                c,
                &at,
                Pager::cursor(req),
                RoleForm::default(),
                StatusCode::OK,
            )
            .await
        }
        (true, []) => create(c, &at, req).await,
        (false, [name]) => show(c, &at, name, None).await,
        (true, [name]) => update(c, &at, req, name).await,
        (false, [name, "delete"]) => confirm_delete(c, &at, name).await,
        (true, [name, "delete"]) => delete(c, &at, req, name).await,
        _ => c.not_found(),
    }
}

/// Where one organisation's roles are, in the console and in the API.
struct Roles {
    slug: String,
    /// `/tenants/{slug}/roles`, for `c.done`.
    rest: String,
    /// The console path of the list.
    console: String,
    /// The API path of the list.
    api: String,
}

impl Roles {
    fn new<S: Backend>(c: &Console<'_, S>, slug: &str) -> Self {
        let rest = format!("/tenants/{}/roles", segment(slug));
        Self {
            slug: slug.to_owned(),
            console: path_of(c.app, &rest),
            api: format!("/api/v1{rest}"),
            rest,
        }
    }

    fn api_of(&self, name: &str) -> String {
        format!("{}/{}", self.api, segment(name))
    }

    fn console_of(&self, name: &str) -> String {
        format!("{}/{}", self.console, segment(name))
    }

    fn layout<S: Backend>(&self, c: &Console<'_, S>, title: &str) -> Layout {
        c.layout(
            title,
            Section::Organisations,
            Some((&self.slug, Tab::Roles)),
        )
    }
}

/// A role form as typed, with the API's reasons when it was refused.
#[derive(Default)]
struct RoleForm {
    name: String,
    description: String,
    refused: Option<Refused>,
}

impl RoleForm {
    fn posted(form: &Params) -> Self {
        let one = |name: &str| {
            form.pairs()
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.trim().to_owned())
                .unwrap_or_default()
        };
        Self {
            name: one("name"),
            description: one("description"),
            refused: None,
        }
    }

    /// The reason given for `field`; a duplicate name (409) is the name's.
    fn error(&self, field: &str) -> Option<&str> {
        let r = self.refused.as_ref()?;
        match r.field(field) {
            Some(reason) => Some(reason),
            None if field == "name" && r.status == StatusCode::CONFLICT => Some(&r.detail),
            None => None,
        }
    }

    /// What the refusal said that is shown beside no field.
    fn summary(&self) -> Option<String> {
        let r = self.refused.as_ref()?;
        Some(if r.status == StatusCode::CONFLICT {
            "Some fields need attention.".to_owned()
        } else {
            r.summary(&["name", "description"])
        })
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
    description: String,
    href: String,
}

#[derive(Template)]
#[template(path = "console/roles.html")]
struct ListPage {
    layout: Layout,
    action: String,
    rows: Vec<Row>,
    pager: Pager,
    form: RoleForm,
}

/// The list (the page `cursor`), with `form` in the create form.
async fn list<S: Backend>(
    c: &Console<'_, S>,
    at: &Roles,
    cursor: Option<String>,
    form: RoleForm,
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
                .map(|r| {
                    let name = text(r, "name");
                    Row {
                        href: at.console_of(&name),
                        description: text(r, "description"),
                        name,
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let page = ListPage {
        layout: at.layout(c, "Roles"),
        action: at.console.clone(),
        rows,
        pager: Pager::of(&at.console, cursor.as_deref(), &page),
        form,
    };
    c.render(status, &page)
}

/// `POST .../roles`.
async fn create<S: Backend>(
    c: &Console<'_, S>,
    at: &Roles,
    req: &Request<Bytes>,
) -> Response<Bytes> {
    let mut form = match c.form(req) {
        Ok(form) => RoleForm::posted(&form),
        Err(res) => return res,
    };
    let body = json!({"name": form.name, "description": form.description});
    match c.send(Method::POST, &at.api, Some(body)).await {
        Ok(role) => c.done(&at.rest, &format!("Role {} created.", text(&role, "name"))),
        Err(r) if fixable(&r) => {
            let status = r.status;
            form.refused = Some(r);
            list(c, at, None, form, status).await
        }
        Err(r) => c.refused(&r),
    }
}

#[derive(Template)]
#[template(path = "console/role.html")]
struct RolePage {
    layout: Layout,
    href: String,
    name: String,
    created_at: String,
    form: RoleForm,
}

/// A role's page; `form` is the refused edit, if any.
async fn show<S: Backend>(
    c: &Console<'_, S>,
    at: &Roles,
    name: &str,
    form: Option<RoleForm>,
) -> Response<Bytes> {
    let role = match c.get(&at.api_of(name)).await {
        Ok(role) => role,
        Err(r) => return c.refused(&r),
    };
    let status = form
        .as_ref()
        .and_then(|f| f.refused.as_ref())
        .map_or(StatusCode::OK, |r| r.status);
    let name = text(&role, "name");
    let page = RolePage {
        layout: at.layout(c, &name),
        href: at.console_of(&name),
        created_at: text(&role, "created_at"),
        form: form.unwrap_or_else(|| RoleForm {
            description: text(&role, "description"),
            ..RoleForm::default()
        }),
        name,
    };
    c.render(status, &page)
}

/// `POST .../roles/{name}`: its description.
async fn update<S: Backend>(
    c: &Console<'_, S>,
    at: &Roles,
    req: &Request<Bytes>,
    name: &str,
) -> Response<Bytes> {
    let mut form = match c.form(req) {
        Ok(form) => RoleForm::posted(&form),
        Err(res) => return res,
    };
    let body = json!({"description": form.description});
    match c.send(Method::PATCH, &at.api_of(name), Some(body)).await {
        Ok(_) => c.done(
            &format!("{}/{}", at.rest, segment(name)),
            "Description saved.",
        ),
        Err(r) if fixable(&r) => {
            form.refused = Some(r);
            show(c, at, name, Some(form)).await
        }
        Err(r) => c.refused(&r),
    }
}

#[derive(Template)]
#[template(path = "console/role_delete.html")]
struct DeletePage {
    layout: Layout,
    action: String,
    back: String,
    name: String,
}

/// `GET .../roles/{name}/delete`.
async fn confirm_delete<S: Backend>(c: &Console<'_, S>, at: &Roles, name: &str) -> Response<Bytes> {
    let role = match c.get(&at.api_of(name)).await {
        Ok(role) => role,
        Err(r) => return c.refused(&r),
    };
    if !c.may_write(Some(&at.slug)) {
        return c.message(
            StatusCode::FORBIDDEN,
            "Not allowed",
            "Your role may read this organisation's roles but not change them.",
        );
    }
    let name = text(&role, "name");
    let page = DeletePage {
        layout: at.layout(c, &format!("Delete {name}")),
        action: format!("{}/delete", at.console_of(&name)),
        back: at.console_of(&name),
        name,
    };
    c.render(StatusCode::OK, &page)
}

/// `POST .../roles/{name}/delete`.
async fn delete<S: Backend>(
    c: &Console<'_, S>,
    at: &Roles,
    req: &Request<Bytes>,
    name: &str,
) -> Response<Bytes> {
    if let Err(res) = c.form(req) {
        return res;
    }
    match c.send(Method::DELETE, &at.api_of(name), None).await {
        Ok(_) => c.done(&at.rest, &format!("Role {name} deleted.")),
        Err(r) => c.refused(&r),
    }
}

fn text(v: &Value, name: &str) -> String {
    v[name].as_str().unwrap_or_default().to_owned()
}
