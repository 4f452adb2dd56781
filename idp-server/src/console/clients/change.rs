//! Changing clients: the "new client" form and its POST (answered with
//! the client id and, for a confidential client, the secret, once), the
//! edit form's POST, rotating the secret (the new one shown once, the old
//! one working for the API's grace period) and deleting after a page of
//! confirmation.

use super::form::ClientForm;
use super::{Clients, client_page, text};
use crate::backend::Backend;
use crate::console::Console;
use crate::console::api::Refused;
use crate::console::page::Layout;
use askama::Template;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use serde_json::Value;

/// Whether a refused change goes back to its form (the person can fix it:
/// invalid fields, a duplicate, a tier's limit) rather than to a page
/// saying why not (forbidden, not found, unavailable).
fn fixable(r: &Refused) -> bool {
    matches!(
        r.status,
        StatusCode::BAD_REQUEST | StatusCode::CONFLICT | StatusCode::UNPROCESSABLE_ENTITY
    )
}

/// The page refusing a change form to someone who may only read.
fn read_only<S: Backend>(c: &Console<'_, S>) -> Response<Bytes> {
    c.message(
        StatusCode::FORBIDDEN,
        "Not allowed",
        "Your role may read this organisation's clients but not change them.",
    )
}

#[derive(Template)]
#[template(path = "console/client_new.html")]
struct NewPage {
    layout: Layout,
    action: String,
    form: ClientForm,
}

fn new_page<S: Backend>(
    c: &Console<'_, S>,
    at: &Clients,
    form: ClientForm,
    status: StatusCode,
) -> Response<Bytes> {
    let page = NewPage {
        layout: at.layout(c, "New client"),
        action: at.console.clone(),
        form,
    };
    c.render(status, &page)
}

/// `GET .../clients/new`: the empty form (404 where the organisation is
/// not the operator's to see, 403 to someone who may only read).
pub(super) async fn new<S: Backend>(c: &Console<'_, S>, at: &Clients) -> Response<Bytes> {
    if let Err(r) = c.get(&format!("{}?limit=1", at.api)).await {
        return c.refused(&r);
    }
    if !c.may_write(Some(&at.slug)) {
        return read_only(c);
    }
    new_page(c, at, ClientForm::new_client(), StatusCode::OK)
}

/// `POST .../clients`: registers the client and answers with its id and
/// secret, or the form again with the API's reasons.
pub(super) async fn create<S: Backend>(
    c: &Console<'_, S>,
    at: &Clients,
    req: &Request<Bytes>,
) -> Response<Bytes> {
    let form = match c.form(req) {
        Ok(form) => ClientForm::posted(&form),
        Err(res) => return res,
    };
    match c
        .send(Method::POST, &at.api, Some(form.create_body()))
        .await
    {
        Ok(created) => secret_page(c, at, &created, Shown::Created),
        Err(r) if fixable(&r) => new_page(c, at, form.refused(&r), r.status),
        Err(r) => c.refused(&r),
    }
}

/// `POST .../clients/{id}`: the edit form; back to the client page with a
/// notice, or the form again with the values typed and the API's reasons.
pub(super) async fn update<S: Backend>(
    c: &Console<'_, S>,
    at: &Clients,
    req: &Request<Bytes>,
    id: &str,
) -> Response<Bytes> {
    let form = match c.form(req) {
        Ok(form) => ClientForm::posted(&form),
        Err(res) => return res,
    };
    match c
        .send(Method::PATCH, &at.api_of(id), Some(form.patch_body()))
        .await
    {
        Ok(_) => c.done(&at.rest_of(Some(id)), "Client saved."),
        Err(r) if fixable(&r) => match c.get(&at.api_of(id)).await {
            Ok(cl) => client_page(c, at, &cl, form.refused(&r), r.status),
            Err(r) => c.refused(&r),
        },
        Err(r) => c.refused(&r),
    }
}

/// `POST .../clients/{id}/secret`: a new secret, shown once.
pub(super) async fn rotate<S: Backend>(
    c: &Console<'_, S>,
    at: &Clients,
    req: &Request<Bytes>,
    id: &str,
) -> Response<Bytes> {
    if let Err(res) = c.form(req) {
        return res;
    }
    let rotated = match c
        .send(Method::POST, &format!("{}/secret", at.api_of(id)), None)
        .await
    {
        Ok(rotated) => rotated,
        // A public client has no secret: back to its page, saying so.
        Err(r) if fixable(&r) => return c.failed(&at.rest_of(Some(id)), &r.summary(&[])),
        Err(r) => return c.refused(&r),
    };
    match c.get(&at.api_of(id)).await {
        Ok(mut cl) => {
            cl["client_secret"] = rotated["client_secret"].clone();
            cl["previous_secret_expires_at"] = rotated["previous_secret_expires_at"].clone();
            secret_page(c, at, &cl, Shown::Rotated)
        }
        // Deleted in between: the secret is of no use any more.
        Err(r) => c.refused(&r),
    }
}

#[derive(Template)]
#[template(path = "console/client_delete.html")]
struct DeletePage {
    layout: Layout,
    action: String,
    back: String,
    name: String,
    client_id: String,
}

/// `GET .../clients/{id}/delete`: what deleting does, and the button.
pub(super) async fn confirm_delete<S: Backend>(
    c: &Console<'_, S>,
    at: &Clients,
    id: &str,
) -> Response<Bytes> {
    let cl = match c.get(&at.api_of(id)).await {
        Ok(cl) => cl,
        Err(r) => return c.refused(&r),
    };
    if !c.may_write(Some(&at.slug)) {
        return read_only(c);
    }
    let name = text(&cl, "name");
    let page = DeletePage {
        layout: at.layout(c, &format!("Delete {name}")),
        action: format!("{}/delete", at.console_of(id)),
        back: at.console_of(id),
        name,
        client_id: text(&cl, "client_id"),
    };
    c.render(StatusCode::OK, &page)
}

/// `POST .../clients/{id}/delete`.
pub(super) async fn delete<S: Backend>(
    c: &Console<'_, S>,
    at: &Clients,
    req: &Request<Bytes>,
    id: &str,
) -> Response<Bytes> {
    if let Err(res) = c.form(req) {
        return res;
    }
    match c.send(Method::DELETE, &at.api_of(id), None).await {
        Ok(_) => c.done(&at.rest_of(None), &format!("Client {id} deleted.")),
        Err(r) => c.refused(&r),
    }
}

/// Which answer shows a secret.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shown {
    /// The client was just registered.
    Created,
    /// Its secret was just replaced.
    Rotated,
}

#[derive(Template)]
#[template(path = "console/client_secret.html")]
struct SecretPage {
    layout: Layout,
    rotated: bool,
    href: String,
    name: String,
    client_id: String,
    secret: Option<String>,
    previous_expires_at: Option<String>,
    issuer: String,
    discovery_url: String,
}

/// The answer to the POST that made a secret: the only page that ever
/// shows it (never cached: every console page is `no-store`).
fn secret_page<S: Backend>(
    c: &Console<'_, S>,
    at: &Clients,
    cl: &Value,
    shown: Shown,
) -> Response<Bytes> {
    let client_id = text(cl, "client_id");
    let title = match shown {
        Shown::Created => "Client created",
        Shown::Rotated => "New client secret",
    };
    let page = SecretPage {
        layout: at.layout(c, title),
        rotated: shown == Shown::Rotated,
        href: at.console_of(&client_id),
        name: text(cl, "name"),
        client_id,
        secret: cl["client_secret"].as_str().map(str::to_owned),
        previous_expires_at: cl["previous_secret_expires_at"].as_str().map(str::to_owned),
        issuer: text(cl, "issuer"),
        discovery_url: text(cl, "discovery_url"),
    };
    c.render(StatusCode::OK, &page)
}
