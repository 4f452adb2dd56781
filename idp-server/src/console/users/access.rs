//! A user's roles (assign one from the organisation's, remove one) and
//! live sessions (sign one out; sign out everywhere after a confirmation).
//! Signing out revokes the sessions' refresh tokens too (the admin API's
//! `DELETE …/sessions[/{sid}]`).

use super::user::{Failed, page};
use super::{Paths, confirm, field, is_about_the_form};
use crate::backend::Backend;
use crate::console::Console;
use crate::console::api::{Refused, segment};
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};

/// `POST …/users/{id}/roles` `role`: assigns it (`PUT …/roles/{role}`).
pub(super) async fn assign<S: Backend>(
    c: &Console<'_, S>,
    req: &Request<Bytes>,
    at: &Paths,
    id: &str,
) -> Response<Bytes> {
    let form = match c.form(req) {
        Ok(form) => form,
        Err(res) => return res,
    };
    let role = field(&form, "role");
    if role.is_empty() {
        let refused = Refused::invalid("role", "Choose a role.");
        return page(c, at, id, refused.status, Failed::Role(refused)).await;
    }
    let path = format!("{}/roles/{}", at.api_user(id), segment(&role));
    match c.send(Method::PUT, &path, None).await {
        Ok(_) => c.done(&at.user_rest(id), &format!("Role {role} assigned")),
        // An unknown role is a 404 of the role, not of the page: say so
        // beside the list when the user is there.
        Err(r) if is_about_the_form(&r) || r.status == StatusCode::NOT_FOUND => {
            page(c, at, id, r.status, Failed::Role(r)).await
        }
        Err(r) => c.refused(&r),
    }
}

/// `POST …/users/{id}/roles/{role}/remove`.
pub(super) async fn unassign<S: Backend>(
    c: &Console<'_, S>,
    req: &Request<Bytes>,
    at: &Paths,
    id: &str,
    role: &str,
) -> Response<Bytes> {
    if let Err(res) = c.form(req) {
        return res;
    }
    let path = format!("{}/roles/{}", at.api_user(id), segment(role));
    match c.send(Method::DELETE, &path, None).await {
        Ok(_) => c.done(&at.user_rest(id), &format!("Role {role} removed")),
        Err(r) if is_about_the_form(&r) => c.failed(&at.user_rest(id), &r.summary(&[])),
        Err(r) => c.refused(&r),
    }
}

/// `GET …/users/{id}/sessions/revoke`: what signing out everywhere does.
pub(super) async fn confirm_sign_out<S: Backend>(
    c: &Console<'_, S>,
    at: &Paths,
    id: &str,
) -> Response<Bytes> {
    confirm(
        c,
        at,
        id,
        "sessions/revoke",
        "Sign out everywhere",
        |u| {
            format!(
                "Every session of {} ends, with every refresh token issued to their applications (offline ones too): they sign in again everywhere.",
                u.email
            )
        },
        "Sign out everywhere",
    )
    .await
}

/// `POST …/users/{id}/sessions/revoke`: every session and grant revoked.
pub(super) async fn sign_out_everywhere<S: Backend>(
    c: &Console<'_, S>,
    req: &Request<Bytes>,
    at: &Paths,
    id: &str,
) -> Response<Bytes> {
    if let Err(res) = c.form(req) {
        return res;
    }
    let path = format!("{}/sessions", at.api_user(id));
    match c.send(Method::DELETE, &path, None).await {
        Ok(v) => {
            let n = v["revoked_sessions"].as_u64().unwrap_or(0);
            let text = match n {
                1 => "Signed out everywhere: 1 session ended".to_owned(),
                n => format!("Signed out everywhere: {n} sessions ended"),
            };
            c.done(&at.user_rest(id), &text)
        }
        Err(r) => c.refused(&r),
    }
}

/// `POST …/users/{id}/sessions/{sid}/revoke`: that session only.
pub(super) async fn sign_out_one<S: Backend>(
    c: &Console<'_, S>,
    req: &Request<Bytes>,
    at: &Paths,
    id: &str,
    sid: &str,
) -> Response<Bytes> {
    if let Err(res) = c.form(req) {
        return res;
    }
    let path = format!("{}/sessions/{}", at.api_user(id), segment(sid));
    match c.send(Method::DELETE, &path, None).await {
        Ok(_) => c.done(&at.user_rest(id), "Session signed out"),
        // Gone already (expired, signed out elsewhere): nothing left to do.
        Err(r) if r.status == StatusCode::NOT_FOUND && c.get(&at.api_user(id)).await.is_ok() => {
            c.failed(&at.user_rest(id), "That session had already ended")
        }
        Err(r) => c.refused(&r),
    }
}
