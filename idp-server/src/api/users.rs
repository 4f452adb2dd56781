//! `/api/v1/tenants/{slug}/users[/{id}[/sessions[/{sid}]]]`.

use super::body::{self, BodyKind};
use super::problem::Problem;
use super::query::Query;
use super::{Call, Reply, etag, page_json, representation};
use crate::backend::Backend;
use idp_core::admin::{Page, UserUpdate};
use idp_core::{AdminError, NewUser};
use serde_json::json;

fn user_id<'a, S: Backend>(c: &Call<'a, S>) -> &'a str {
    c.params.user.unwrap_or_default()
}

/// `GET .../users[?email=]`: by id; with `email`, the one user whose
/// canonical email it is (or none).
pub(super) async fn list<S: Backend>(c: &Call<'_, S>) -> Result<Reply, Problem> {
    let mut q = Query::parse(c.req.uri().query());
    let email = q.take("email");
    let page = q.page();
    q.finish()?;
    let page = match email {
        Some(email) => match c.admin.find_user_by_email(c.slug(), &email).await {
            Ok(u) => Page {
                items: vec![u],
                next_cursor: None,
            },
            Err(AdminError::NotFound {
                kind: idp_core::admin::ObjectKind::User,
                ..
            }) => Page {
                items: Vec::new(),
                next_cursor: None,
            },
            Err(e) => return Err(e.into()),
        },
        None => c.admin.list_users(c.slug(), &page).await?,
    };
    Ok(Reply::list(page_json(page, representation::user)))
}

/// `POST .../users` `{email, name?, email_verified?, password?}`.
pub(super) async fn create<S: Backend>(c: &Call<'_, S>) -> Result<Reply, Problem> {
    let mut f = body::object(c.req, BodyKind::Json)?;
    let new = NewUser {
        email: f.string("email"),
        name: f.opt_string("name"),
        password: f.opt_string("password"),
        email_verified: f.opt_bool("email_verified").unwrap_or(false),
    };
    f.finish()?;
    let u = c.admin.create_user(&c.ctx, c.slug(), new).await?;
    Ok(Reply::created(representation::user(&u)))
}

/// `GET .../users/{id}`.
pub(super) async fn get<S: Backend>(c: &Call<'_, S>) -> Result<Reply, Problem> {
    let u = c.admin.get_user(c.slug(), user_id(c)).await?;
    Ok(Reply::ok(representation::user(&u)))
}

/// `PATCH .../users/{id}` `{name?, email?, email_verified?, disabled?,
/// password?}` (merge patch). Disabling revokes every session and grant;
/// the password is never returned.
pub(super) async fn update<S: Backend>(c: &Call<'_, S>) -> Result<Reply, Problem> {
    let mut f = body::object(c.req, BodyKind::MergePatch)?;
    let profile = UserUpdate {
        name: f.nullable_string("name"),
        email: f.opt_string("email"),
        email_verified: f.opt_bool("email_verified"),
    };
    let disabled = f.opt_bool("disabled");
    let password = f.opt_string("password");
    if password.as_deref() == Some("") {
        // Refused here, before the profile is saved: a PATCH applies
        // all of its fields or none.
        f.invalid("password", "must not be empty");
    }
    f.finish()?;
    let (slug, id) = (c.slug(), user_id(c));
    let current = c.admin.get_user(slug, id).await?;
    etag::check_if_match(c.req, &etag::of(&representation::user(&current)))?;
    if profile.name.is_some() || profile.email.is_some() || profile.email_verified.is_some() {
        c.admin.update_user(&c.ctx, slug, id, profile).await?;
    }
    if let Some(password) = password {
        c.admin.set_password(&c.ctx, slug, id, password).await?;
    }
    match disabled {
        Some(true) => {
            c.admin.disable_user(&c.ctx, slug, id).await?;
        }
        Some(false) => {
            c.admin.enable_user(&c.ctx, slug, id).await?;
        }
        None => {}
    }
    let u = c.admin.get_user(slug, id).await?;
    Ok(Reply::ok(representation::user(&u)))
}

/// `DELETE .../users/{id}`: the user, their sessions, grants and consents.
pub(super) async fn delete<S: Backend>(c: &Call<'_, S>) -> Result<Reply, Problem> {
    let current = c.admin.get_user(c.slug(), user_id(c)).await?;
    etag::check_if_match(c.req, &etag::of(&representation::user(&current)))?;
    c.admin.delete_user(&c.ctx, c.slug(), user_id(c)).await?;
    Ok(Reply::NoContent)
}

/// `GET .../users/{id}/sessions`: the user's live sessions, newest first.
pub(super) async fn sessions<S: Backend>(c: &Call<'_, S>) -> Result<Reply, Problem> {
    let sessions = c.admin.list_sessions(c.slug(), user_id(c)).await?;
    let items: Vec<_> = sessions.iter().map(representation::session).collect();
    Ok(Reply::list(json!({"items": items, "next_cursor": null})))
}

/// `DELETE .../users/{id}/sessions`: revokes every session and grant of the
/// user (`offline_access` refresh tokens included); says how many sessions
/// were live.
pub(super) async fn revoke_sessions<S: Backend>(c: &Call<'_, S>) -> Result<Reply, Problem> {
    let revoked = c
        .admin
        .revoke_user_sessions(&c.ctx, c.slug(), user_id(c))
        .await?;
    Ok(Reply::Json {
        status: http::StatusCode::OK,
        body: json!({"revoked_sessions": revoked}),
        etag: false,
    })
}

/// `DELETE .../users/{id}/sessions/{sid}`: revokes one session of the user
/// (its refresh tokens, `offline_access` ones included, with it); 404 if
/// `sid` is not a live session of this user, so a session of another user
/// cannot be ended through this one's path.
pub(super) async fn revoke_session<S: Backend>(c: &Call<'_, S>) -> Result<Reply, Problem> {
    let sid = c.params.session.unwrap_or_default();
    let live = c.admin.list_sessions(c.slug(), user_id(c)).await?;
    if !live.iter().any(|s| s.id == sid) {
        return Err(Problem::not_found("no such session of this user"));
    }
    c.admin.revoke_session(&c.ctx, c.slug(), sid).await?;
    Ok(Reply::NoContent)
}
