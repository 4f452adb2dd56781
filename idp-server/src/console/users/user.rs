//! One user's page: their profile (edited in place), state (disable with
//! a confirmation, enable), a new password, their roles and sessions
//! ([`super::access`] changes those), linked identities, deletion with a
//! confirmation.

use super::{Paths, UserView, confirm, field, is_about_the_form, raw, text, when};
use crate::backend::Backend;
use crate::console::Console;
use crate::console::api::{Refused, encode, segment};
use crate::console::page::{Layout, Section, Tab};
use askama::Template;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use serde_json::{Value, json};

/// At most this many pages of the organisation's roles fill the assign
/// form's list (200 each: the API's largest page).
const ROLE_PAGES: usize = 5;

/// A live session as the page shows it.
struct SessionView {
    id: String,
    created: String,
    authenticated: String,
    expires: String,
}

/// The profile form: what it shows, and why the API refused it.
#[derive(Default)]
struct Profile {
    email: String,
    name: String,
    email_error: Option<String>,
    name_error: Option<String>,
    summary: Option<String>,
}

#[derive(Template)]
#[template(path = "console/user.html")]
struct UserPage {
    layout: Layout,
    /// The organisation's users (the list).
    base: String,
    /// This user's page.
    here: String,
    user: UserView,
    profile: Profile,
    password_error: Option<String>,
    roles: Vec<String>,
    /// The organisation's roles the user does not hold.
    assignable: Vec<String>,
    role_error: Option<String>,
    sessions: Vec<SessionView>,
    identities: Vec<super::identities::IdentityView>,
}

/// A form of the page the API refused: shown again with its reasons.
pub(super) enum Failed {
    /// Nothing: the page as it is.
    Nothing,
    /// The profile, with what was typed.
    Profile {
        email: String,
        name: String,
        refused: Refused,
    },
    /// The new password (never shown again).
    Password(Refused),
    /// Assigning a role.
    Role(Refused),
}

/// `GET …/users/{id}`.
pub(super) async fn show<S: Backend>(c: &Console<'_, S>, at: &Paths, id: &str) -> Response<Bytes> {
    page(c, at, id, StatusCode::OK, Failed::Nothing).await
}

/// The user's page with `status`, a refused form shown again.
pub(super) async fn page<S: Backend>(
    c: &Console<'_, S>,
    at: &Paths,
    id: &str,
    status: StatusCode,
    failed: Failed,
) -> Response<Bytes> {
    let api = at.api_user(id);
    let user = match c.get(&api).await {
        Ok(v) => UserView::from_json(&v),
        Err(r) => return c.refused(&r),
    };
    let (roles, sessions, all_roles) = match read_access(c, at, &api).await {
        Ok(read) => read,
        Err(r) => return c.refused(&r),
    };
    let identities = match super::identities::read(c, &api).await {
        Ok(linked) => linked,
        Err(r) => return c.refused(&r),
    };
    let mut profile = Profile {
        email: user.email.clone(),
        name: user.name.clone(),
        ..Profile::default()
    };
    let (mut password_error, mut role_error) = (None, None);
    match failed {
        Failed::Nothing => {}
        Failed::Profile {
            email,
            name,
            refused,
        } => {
            profile = Profile {
                email,
                name,
                email_error: refused.field("email").map(str::to_owned),
                name_error: refused.field("name").map(str::to_owned),
                summary: Some(refused.summary(&["email", "name"])),
            };
        }
        Failed::Password(r) => {
            password_error = Some(r.field("password").unwrap_or(&r.detail).to_owned())
        }
        Failed::Role(r) => role_error = Some(r.field("role").unwrap_or(&r.detail).to_owned()),
    }
    let assignable = all_roles
        .into_iter()
        .filter(|r| !roles.contains(r))
        .collect();
    let title = user.label().to_owned();
    let page = UserPage {
        layout: c.layout(&title, Section::Organisations, Some((&at.slug, Tab::Users))),
        base: at.console.clone(),
        here: at.user(id),
        user,
        profile,
        password_error,
        roles,
        assignable,
        role_error,
        sessions,
        identities,
    };
    c.render(status, &page)
}

/// The user's roles, their live sessions and the organisation's roles.
async fn read_access<S: Backend>(
    c: &Console<'_, S>,
    at: &Paths,
    api: &str,
) -> Result<(Vec<String>, Vec<SessionView>, Vec<String>), Refused> {
    let held = c.get(&format!("{api}/roles")).await?;
    let roles = strings(&held["items"]);
    let live = c.get(&format!("{api}/sessions")).await?;
    let sessions = live["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|s| SessionView {
                    id: text(&s["id"]),
                    created: when(&text(&s["created_at"])),
                    authenticated: when(&text(&s["auth_time"])),
                    expires: when(&text(&s["expires_at"])),
                })
                .collect()
        })
        .unwrap_or_default();
    let mut all = Vec::new();
    let mut path = format!("/api/v1/tenants/{}/roles?limit=200", segment(&at.slug));
    for _ in 0..ROLE_PAGES {
        let page = c.get(&path).await?;
        if let Some(items) = page["items"].as_array() {
            all.extend(items.iter().map(|r| text(&r["name"])));
        }
        match page["next_cursor"].as_str() {
            Some(next) => {
                path = format!(
                    "/api/v1/tenants/{}/roles?limit=200&cursor={}",
                    segment(&at.slug),
                    encode(next)
                );
            }
            None => break,
        }
    }
    Ok((roles, sessions, all))
}

/// The strings of a JSON array.
fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// `POST …/users/{id}` `email, name`: the profile changed (an empty name
/// removes it).
pub(super) async fn update<S: Backend>(
    c: &Console<'_, S>,
    req: &Request<Bytes>,
    at: &Paths,
    id: &str,
) -> Response<Bytes> {
    let form = match c.form(req) {
        Ok(form) => form,
        Err(res) => return res,
    };
    let (email, name) = (field(&form, "email"), field(&form, "name"));
    let patch = json!({
        "email": email,
        "name": if name.is_empty() { Value::Null } else { json!(name) },
    });
    match c.send(Method::PATCH, &at.api_user(id), Some(patch)).await {
        Ok(_) => c.done(&at.user_rest(id), "Profile saved"),
        Err(refused) if is_about_the_form(&refused) => {
            let failed = Failed::Profile {
                email,
                name,
                refused: refused.clone(),
            };
            page(c, at, id, refused.status, failed).await
        }
        Err(r) => c.refused(&r),
    }
}

/// `POST …/users/{id}/password` `password`: a new password (the user's
/// sessions stay; sign them out to end those too).
pub(super) async fn set_password<S: Backend>(
    c: &Console<'_, S>,
    req: &Request<Bytes>,
    at: &Paths,
    id: &str,
) -> Response<Bytes> {
    let form = match c.form(req) {
        Ok(form) => form,
        Err(res) => return res,
    };
    let password = raw(&form, "password");
    if password.is_empty() {
        let refused = Refused::invalid("password", "Type the new password.");
        return page(c, at, id, refused.status, Failed::Password(refused)).await;
    }
    let patch = json!({"password": password});
    match c.send(Method::PATCH, &at.api_user(id), Some(patch)).await {
        Ok(_) => c.done(&at.user_rest(id), "Password set"),
        Err(r) if is_about_the_form(&r) => page(c, at, id, r.status, Failed::Password(r)).await,
        Err(r) => c.refused(&r),
    }
}

/// `GET …/users/{id}/disable`: what disabling does, and its button.
pub(super) async fn confirm_disable<S: Backend>(
    c: &Console<'_, S>,
    at: &Paths,
    id: &str,
) -> Response<Bytes> {
    confirm(
        c,
        at,
        id,
        "disable",
        "Disable user",
        |u| {
            format!(
                "{} will be signed out everywhere at once (every session and refresh token ends) and cannot sign in until enabled again.",
                u.email
            )
        },
        "Disable user",
    )
    .await
}

/// `POST …/users/{id}/disable` or `…/enable`.
pub(super) async fn set_disabled<S: Backend>(
    c: &Console<'_, S>,
    req: &Request<Bytes>,
    at: &Paths,
    id: &str,
    disabled: bool,
) -> Response<Bytes> {
    if let Err(res) = c.form(req) {
        return res;
    }
    let patch = json!({"disabled": disabled});
    match c.send(Method::PATCH, &at.api_user(id), Some(patch)).await {
        Ok(_) if disabled => c.done(&at.user_rest(id), "User disabled and signed out everywhere"),
        Ok(_) => c.done(&at.user_rest(id), "User enabled"),
        Err(r) if is_about_the_form(&r) => c.failed(&at.user_rest(id), &r.summary(&[])),
        Err(r) => c.refused(&r),
    }
}

/// `GET …/users/{id}/delete`: what deleting does, and its button.
pub(super) async fn confirm_delete<S: Backend>(
    c: &Console<'_, S>,
    at: &Paths,
    id: &str,
) -> Response<Bytes> {
    confirm(
        c,
        at,
        id,
        "delete",
        "Delete user",
        |u| {
            format!(
                "{} will be deleted with their sessions, refresh tokens, consents and role assignments. This cannot be undone.",
                u.email
            )
        },
        "Delete user",
    )
    .await
}

/// `POST …/users/{id}/delete`: back to the list.
pub(super) async fn delete<S: Backend>(
    c: &Console<'_, S>,
    req: &Request<Bytes>,
    at: &Paths,
    id: &str,
) -> Response<Bytes> {
    if let Err(res) = c.form(req) {
        return res;
    }
    match c.send(Method::DELETE, &at.api_user(id), None).await {
        Ok(_) => c.done(&at.rest, "User deleted"),
        Err(r) if is_about_the_form(&r) => c.failed(&at.user_rest(id), &r.summary(&[])),
        Err(r) => c.refused(&r),
    }
}
