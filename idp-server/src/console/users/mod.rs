//! An organisation's users (`/admin/tenants/{slug}/users…`): the list with
//! search by email and the API's cursor pages, creating a user ([`list`]);
//! a user's page with their profile, state, password and deletion
//! ([`user`]); their roles and live sessions ([`access`]).
//!
//! Every read and change is a call to the admin API's
//! `/api/v1/tenants/{slug}/users…` as the signed-in operator, so what an
//! organisation admin, an auditor or an owner may see and do is the API's
//! decision (an organisation the operator may not see is a 404, a change
//! an auditor posts a 403). Disabling, signing out everywhere and
//! deleting are confirmed on a page of their own.

mod access;
mod identities;
mod list;
mod user;

use super::Console;
use super::api::{Refused, segment};
use super::page::{Layout, Section, Tab};
use crate::backend::Backend;
use askama::Template;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use idp_core::wire::Params;
use serde_json::Value;

/// Serves `/admin/tenants/{slug}/users/{rest…}`.
pub(crate) async fn serve<S: Backend>(
    c: &Console<'_, S>,
    req: &Request<Bytes>,
    slug: &str,
    rest: &[&str],
) -> Response<Bytes> {
    let at = Paths::new(c, slug);
    match (req.method().clone(), rest) {
        (Method::GET, []) => list::index(c, req, &at).await,
        (Method::POST, []) => list::create(c, req, &at).await,
        (Method::GET, ["new"]) => list::new_form(c, &at),
        (Method::GET, [id]) => user::show(c, &at, id).await,
        (Method::POST, [id]) => user::update(c, req, &at, id).await,
        (Method::POST, [id, "password"]) => user::set_password(c, req, &at, id).await,
        (Method::GET, [id, "disable"]) => user::confirm_disable(c, &at, id).await,
        (Method::POST, [id, "disable"]) => user::set_disabled(c, req, &at, id, true).await,
        (Method::POST, [id, "enable"]) => user::set_disabled(c, req, &at, id, false).await,
        (Method::GET, [id, "delete"]) => user::confirm_delete(c, &at, id).await,
        (Method::POST, [id, "delete"]) => user::delete(c, req, &at, id).await,
        (Method::POST, [id, "roles"]) => access::assign(c, req, &at, id).await,
        (Method::POST, [id, "roles", role, "remove"]) => {
            access::unassign(c, req, &at, id, role).await
        }
        (Method::GET, [id, "sessions", "revoke"]) => access::confirm_sign_out(c, &at, id).await,
        (Method::POST, [id, "sessions", "revoke"]) => {
            access::sign_out_everywhere(c, req, &at, id).await
        }
        (Method::POST, [id, "sessions", sid, "revoke"]) => {
            access::sign_out_one(c, req, &at, id, sid).await
        }
        (Method::GET, [id, "identities", upstream, subject, "unlink"]) => {
            identities::confirm_unlink(c, &at, id, upstream, subject).await
        }
        (Method::POST, [id, "identities", upstream, subject, "unlink"]) => {
            identities::unlink(c, req, &at, id, upstream, subject).await
        }
        _ => c.not_found(),
    }
}

/// Where things are for one organisation: its slug, the console's users
/// path (absolute, for links) and the admin API's.
pub(super) struct Paths {
    slug: String,
    /// `/admin/tenants/{slug}/users` under BASE_URL's path.
    console: String,
    /// `/admin/tenants/{slug}/users` without it (for [`Console::done`]).
    rest: String,
    /// `/api/v1/tenants/{slug}/users`.
    api: String,
}

impl Paths {
    fn new<S: Backend>(c: &Console<'_, S>, slug: &str) -> Self {
        let rest = format!("/tenants/{}/users", segment(slug));
        Self {
            slug: slug.to_owned(),
            console: super::path_of(c.app, &rest),
            api: format!("/api/v1/tenants/{}/users", segment(slug)),
            rest,
        }
    }

    /// The console path of the user `id` (absolute).
    fn user(&self, id: &str) -> String {
        format!("{}/{}", self.console, segment(id))
    }

    /// The same, for [`Console::done`].
    fn user_rest(&self, id: &str) -> String {
        format!("{}/{}", self.rest, segment(id))
    }

    /// The admin API path of the user `id`.
    fn api_user(&self, id: &str) -> String {
        format!("{}/{}", self.api, segment(id))
    }
}

/// A user as the pages show them (never a credential: the API returns
/// none, only whether a password is set).
pub(super) struct UserView {
    id: String,
    email: String,
    name: String,
    disabled: bool,
    email_verified: bool,
    has_password: bool,
    created: String,
}

impl UserView {
    fn from_json(v: &Value) -> Self {
        Self {
            id: text(&v["id"]),
            email: text(&v["email"]),
            name: text(&v["name"]),
            disabled: v["disabled"].as_bool().unwrap_or(false),
            email_verified: v["email_verified"].as_bool().unwrap_or(false),
            has_password: v["has_password"].as_bool().unwrap_or(false),
            created: when(&text(&v["created_at"])),
        }
    }

    /// The name shown for them: the name, else the email.
    fn label(&self) -> &str {
        if self.name.is_empty() {
            &self.email
        } else {
            &self.name
        }
    }
}

/// A JSON string's text (empty when it is not one: absent, `null`).
fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

/// An RFC 3339 UTC time as the pages show it: `2026-12-05 13:08 UTC`.
pub(super) fn when(rfc3339: &str) -> String {
    match (rfc3339.get(..10), rfc3339.get(11..16)) {
        (Some(day), Some(minute)) if rfc3339.ends_with('Z') => format!("{day} {minute} UTC"),
        _ => rfc3339.to_owned(),
    }
}

/// The first non-empty value of `name` in a form or query string, trimmed
/// (empty when there is none).
fn field(params: &Params, name: &str) -> String {
    raw(params, name).trim().to_owned()
}

/// The first non-empty value of `name` as sent (a password keeps its
/// spaces).
fn raw(params: &Params, name: &str) -> String {
    params
        .pairs()
        .iter()
        .find(|(k, v)| k == name && !v.is_empty())
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// Whether a refusal is about what was typed (shown again on the form) rather
/// than about who asked or what exists (shown as its own page).
fn is_about_the_form(r: &Refused) -> bool {
    matches!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY | StatusCode::CONFLICT
    )
}

/// A destructive action's own page: what will happen and the one button
/// that does it.
#[derive(Template)]
#[template(path = "console/user_confirm.html")]
struct ConfirmPage<'a> {
    layout: Layout,
    /// What will happen, in a sentence.
    text: &'a str,
    /// Where the form posts.
    action: String,
    /// The button's words.
    button: &'a str,
    /// Back to the user's page.
    back: String,
}

/// The confirmation page for `action` (a path under the user's) on the
/// user `id`: 404 when the API shows no such user, 403 when the operator
/// may not change this organisation.
async fn confirm<S: Backend>(
    c: &Console<'_, S>,
    at: &Paths,
    id: &str,
    action: &str,
    title: &str,
    explain: impl FnOnce(&UserView) -> String,
    button: &str,
) -> Response<Bytes> {
    let user = match c.get(&at.api_user(id)).await {
        Ok(v) => UserView::from_json(&v),
        Err(r) => return c.refused(&r),
    };
    if !c.may_write(Some(&at.slug)) {
        return c.message(
            StatusCode::FORBIDDEN,
            "Not allowed",
            "You may look at this organisation but not change it.",
        );
    }
    let text = explain(&user);
    let page = ConfirmPage {
        layout: c.layout(title, Section::Organisations, Some((&at.slug, Tab::Users))),
        text: &text,
        action: format!("{}/{action}", at.user(id)),
        button,
        back: at.user(id),
    };
    c.render(StatusCode::OK, &page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_utc_minutes() {
        assert_eq!(when("2026-12-05T13:08:16Z"), "2026-12-05 13:08 UTC");
        assert_eq!(when("soon"), "soon");
        assert_eq!(when(""), "");
    }

    #[test]
    fn fields_are_trimmed_and_never_empty_when_given_twice() {
        let p = Params::parse(b"email=&email=+a%40b.example+&name=x");
        assert_eq!(field(&p, "email"), "a@b.example");
        assert_eq!(field(&p, "missing"), "");
        let p = Params::parse(b"password=+two+words+");
        assert_eq!(raw(&p, "password"), " two words ");
    }
}
