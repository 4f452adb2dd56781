//! The signing keys of one organisation (`/admin/tenants/{slug}/keys…`):
//! each key's state (pending, active, retired) and times, and rotating
//! them after a page that says what rotation does. Both are the admin
//! API's (`GET /api/v1/tenants/{slug}/keys`, `POST .../keys/rotate`).

use super::api::segment;
use super::page::{Layout, Section, Tab};
use super::{Console, path_of};
use crate::backend::Backend;
use askama::Template;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use serde_json::Value;

/// Serves `/admin/tenants/{slug}/keys/{rest…}`.
pub(crate) async fn serve<S: Backend>(
    c: &Console<'_, S>,
    req: &Request<Bytes>,
    slug: &str,
    rest: &[&str],
) -> Response<Bytes> {
    let at = Keys::new(c, slug);
    match (req.method() == Method::POST, rest) {
        (false, []) => list(c, &at).await,
        (false, ["rotate"]) => confirm_rotate(c, &at).await,
        (true, ["rotate"]) => rotate(c, &at, req).await,
        _ => c.not_found(),
    }
}

/// Where one organisation's keys are, in the console and in the API.
struct Keys {
    slug: String,
    /// `/tenants/{slug}/keys`, for `c.done`.
    rest: String,
    /// The console path of the list.
    console: String,
    /// The API path of the list.
    api: String,
}

impl Keys {
    fn new<S: Backend>(c: &Console<'_, S>, slug: &str) -> Self {
        let rest = format!("/tenants/{}/keys", segment(slug));
        Self {
            slug: slug.to_owned(),
            console: path_of(c.app, &rest),
            api: format!("/api/v1{rest}"),
            rest,
        }
    }

    fn layout<S: Backend>(&self, c: &Console<'_, S>, title: &str) -> Layout {
        c.layout(title, Section::Organisations, Some((&self.slug, Tab::Keys)))
    }
}

/// One key as the table shows it.
struct Row {
    kid: String,
    alg: String,
    state: String,
    /// The badge's class for the state.
    badge: &'static str,
    created_at: String,
    activates_at: String,
    retired_at: String,
}

#[derive(Template)]
#[template(path = "console/keys.html")]
struct ListPage {
    layout: Layout,
    rotate_href: String,
    rows: Vec<Row>,
}

/// `GET .../keys`: every published key, newest first (a handful, so on
/// one page).
async fn list<S: Backend>(c: &Console<'_, S>, at: &Keys) -> Response<Bytes> {
    let page = match c.get(&at.api).await {
        Ok(page) => page,
        Err(r) => return c.refused(&r),
    };
    let rows = page["items"]
        .as_array()
        .map(|items| items.iter().map(row).collect())
        .unwrap_or_default();
    let page = ListPage {
        layout: at.layout(c, "Signing keys"),
        rotate_href: format!("{}/rotate", at.console),
        rows,
    };
    c.render(StatusCode::OK, &page)
}

fn row(k: &Value) -> Row {
    let text = |name: &str| k[name].as_str().unwrap_or_default().to_owned();
    let state = text("state");
    Row {
        badge: match state.as_str() {
            "active" => "active",
            "pending" => "pending",
            _ => "",
        },
        kid: text("kid"),
        alg: text("alg"),
        created_at: text("created_at"),
        activates_at: text("activates_at"),
        retired_at: text("retired_at"),
        state,
    }
}

#[derive(Template)]
#[template(path = "console/keys_rotate.html")]
struct RotatePage {
    layout: Layout,
    action: String,
    back: String,
}

/// `GET .../keys/rotate`: what rotating does, and the button.
async fn confirm_rotate<S: Backend>(c: &Console<'_, S>, at: &Keys) -> Response<Bytes> {
    if let Err(r) = c.get(&at.api).await {
        return c.refused(&r);
    }
    if !c.may_write(Some(&at.slug)) {
        return c.message(
            StatusCode::FORBIDDEN,
            "Not allowed",
            "Your role may read this organisation's keys but not rotate them.",
        );
    }
    let page = RotatePage {
        layout: at.layout(c, "Rotate signing keys"),
        action: format!("{}/rotate", at.console),
        back: at.console.clone(),
    };
    c.render(StatusCode::OK, &page)
}

/// `POST .../keys/rotate` (`immediately=true`: sign with the new keys at once).
async fn rotate<S: Backend>(
    c: &Console<'_, S>,
    at: &Keys,
    req: &Request<Bytes>,
) -> Response<Bytes> {
    let form = match c.form(req) {
        Ok(form) => form,
        Err(res) => return res,
    };
    let immediately = form
        .pairs()
        .iter()
        .any(|(k, v)| k == "immediately" && v == "true");
    let path = if immediately {
        format!("{}/rotate?immediately=true", at.api)
    } else {
        format!("{}/rotate", at.api)
    };
    match c.send(Method::POST, &path, None).await {
        Ok(rotated) => {
            let when = rotated["activates_at"].as_str().unwrap_or_default();
            let text = if immediately {
                "Keys rotated: the new keys sign from now.".to_owned()
            } else {
                format!("Keys rotated: the new keys are published and sign from {when}.")
            };
            c.done(&at.rest, &text)
        }
        Err(r) => c.refused(&r),
    }
}
