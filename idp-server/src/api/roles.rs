//! `/api/v1/tenants/{slug}/roles[/{role}]` and
//! `/api/v1/tenants/{slug}/users/{id}/roles[/{role}]`.

use super::body::{self, BodyKind};
use super::problem::Problem;
use super::query::Query;
use super::{Call, Reply, etag, page_json, representation};
use crate::backend::Backend;
use idp_core::admin::NewRole;
use serde_json::json;

fn role_name<'a, S: Backend>(c: &Call<'a, S>) -> &'a str {
    c.params.role.unwrap_or_default()
}

/// `GET .../roles`.
pub(super) async fn list<S: Backend>(c: &Call<'_, S>) -> Result<Reply, Problem> {
    let mut q = Query::parse(c.req.uri().query());
    let page = q.page();
    q.finish()?;
    let page = c.admin.list_roles(c.slug(), &page).await?;
    Ok(Reply::list(page_json(page, representation::role)))
}

/// `POST .../roles` `{name, description?}`.
pub(super) async fn create<S: Backend>(c: &Call<'_, S>) -> Result<Reply, Problem> {
    let mut f = body::object(c.req, BodyKind::Json)?;
    let new = NewRole {
        name: f.string("name"),
        description: f.opt_string("description").unwrap_or_default(),
    };
    f.finish()?;
    let role = c.admin.create_role(&c.ctx, c.slug(), new).await?;
    Ok(Reply::created(representation::role(&role)))
}

/// `GET .../roles/{role}`.
pub(super) async fn get<S: Backend>(c: &Call<'_, S>) -> Result<Reply, Problem> {
    let role = c.admin.get_role(c.slug(), role_name(c)).await?;
    Ok(Reply::ok(representation::role(&role)))
}

/// `PATCH .../roles/{role}` `{description}` (merge patch; `null` empties it).
pub(super) async fn update<S: Backend>(c: &Call<'_, S>) -> Result<Reply, Problem> {
    let mut f = body::object(c.req, BodyKind::MergePatch)?;
    let description = f.nullable_string("description");
    f.finish()?;
    let current = c.admin.get_role(c.slug(), role_name(c)).await?;
    etag::check_if_match(c.req, &etag::of(&representation::role(&current)))?;
    let role = match description {
        Some(d) => {
            c.admin
                .update_role(&c.ctx, c.slug(), role_name(c), d.unwrap_or_default())
                .await?
        }
        None => current,
    };
    Ok(Reply::ok(representation::role(&role)))
}

/// `DELETE .../roles/{role}`: the role and every assignment of it.
pub(super) async fn delete<S: Backend>(c: &Call<'_, S>) -> Result<Reply, Problem> {
    let current = c.admin.get_role(c.slug(), role_name(c)).await?;
    etag::check_if_match(c.req, &etag::of(&representation::role(&current)))?;
    c.admin.delete_role(&c.ctx, c.slug(), role_name(c)).await?;
    Ok(Reply::NoContent)
}

fn user_id<'a, S: Backend>(c: &Call<'a, S>) -> &'a str {
    c.params.user.unwrap_or_default()
}

/// `GET .../users/{id}/roles`: the names of the user's roles.
pub(super) async fn of_user<S: Backend>(c: &Call<'_, S>) -> Result<Reply, Problem> {
    let names = c.admin.user_roles(c.slug(), user_id(c)).await?;
    Ok(Reply::list(json!({"items": names, "next_cursor": null})))
}

/// `PUT .../users/{id}/roles/{role}`: assigns it (idempotent): 201 if it
/// was not assigned, 200 if it already was.
pub(super) async fn assign<S: Backend>(c: &Call<'_, S>) -> Result<Reply, Problem> {
    body::empty(c.req)?;
    let new = c
        .admin
        .assign_role(&c.ctx, c.slug(), user_id(c), role_name(c))
        .await?;
    let body = json!({"user_id": user_id(c), "role": role_name(c)});
    Ok(if new {
        Reply::created(body)
    } else {
        Reply::ok(body)
    })
}

/// `DELETE .../users/{id}/roles/{role}`.
pub(super) async fn unassign<S: Backend>(c: &Call<'_, S>) -> Result<Reply, Problem> {
    c.admin
        .unassign_role(&c.ctx, c.slug(), user_id(c), role_name(c))
        .await?;
    Ok(Reply::NoContent)
}
