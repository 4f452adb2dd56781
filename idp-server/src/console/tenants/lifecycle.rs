//! An organisation's lifecycle from the console: approve and reactivate
//! are one POST (`/admin/tenants/{slug}/approve|reactivate`); reject,
//! suspend and delete are destructive, so `GET …/reject|suspend|delete`
//! shows what will happen on a page of its own (with the reason reject
//! and suspend require) and its form POSTs to the same path. Each calls
//! `POST /api/v1/tenants/{slug}/{move}` or `DELETE /api/v1/tenants/{slug}`:
//! the API decides (403 for a role that may not, 409 for a state that does
//! not allow it, 422 for a missing reason) and writes the audit event.

use super::list::not_allowed;
use super::{Org, PLATFORM, org_path, value};
use crate::backend::Backend;
use crate::console::Console;
use crate::console::api::encode;
use crate::console::page::{Layout, Section, Tab};
use askama::Template;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use idp_core::admin::policy::ActionKind;
use idp_core::api_key::Operation;
use serde_json::json;

/// What a destructive move does, in words, and what it needs.
struct Move {
    /// `reject`, `suspend` or `delete`.
    name: &'static str,
    /// The state it starts from (`None`: any).
    from: Option<&'static str>,
    /// What the organisation then is.
    past: &'static str,
    /// The button's text.
    button: &'static str,
    /// What will happen.
    consequence: &'static str,
    /// Whether a reason is required (kept with the organisation, shown to
    /// operators and in the audit log).
    needs_reason: bool,
}

const MOVES: [Move; 3] = [
    Move {
        name: "reject",
        past: "rejected",
        from: Some("pending"),
        button: "Reject organisation",
        consequence: "Its sign-up is declined for good: nobody can sign in to it, and it cannot be approved later. To let it try again, delete it and have it sign up again.",
        needs_reason: true,
    },
    Move {
        name: "suspend",
        past: "suspended",
        from: Some("active"),
        button: "Suspend organisation",
        consequence: "Its users can no longer sign in or get tokens until it is reactivated. Access tokens already issued stay valid until they expire.",
        needs_reason: true,
    },
    Move {
        name: "delete",
        past: "deleted",
        from: None,
        button: "Delete organisation",
        consequence: "The organisation and everything in it (its users, clients, roles, signing keys and sessions) are deleted. This cannot be undone; its ID becomes free again.",
        needs_reason: false,
    },
];

fn find(name: &str) -> Option<&'static Move> {
    MOVES.iter().find(|m| m.name == name)
}

#[derive(Template)]
#[template(path = "console/tenant_confirm.html")]
struct ConfirmPage {
    layout: Layout,
    org: Org,
    what: &'static Move,
    /// `users` and `clients` in use (what a delete takes with it).
    users: Option<u64>,
    clients: Option<u64>,
    reason: String,
    reason_error: Option<String>,
    action: String,
    back: String,
}

/// `POST /admin/tenants/{slug}/approve|reactivate`.
pub(super) async fn act<S: Backend>(
    c: &Console<'_, S>,
    req: &Request<Bytes>,
    slug: &str,
    action: &str,
) -> Response<Bytes> {
    if let Err(res) = c.form(req) {
        return res;
    }
    let path = format!("/api/v1/tenants/{}/{action}", encode(slug));
    match c.send(Method::POST, &path, None).await {
        Ok(_) if action == "approve" => c.done(
            &org_path(slug, ""),
            &format!("Approved: {slug} is active and its users can sign in."),
        ),
        Ok(_) => c.done(
            &org_path(slug, ""),
            &format!("Reactivated: {slug} is active again."),
        ),
        Err(r) if r.status == StatusCode::CONFLICT => c.failed(&org_path(slug, ""), &r.detail),
        Err(r) => c.refused(&r),
    }
}

/// `GET /admin/tenants/{slug}/reject|suspend|delete`: the confirmation.
pub(super) async fn confirm<S: Backend>(
    c: &Console<'_, S>,
    slug: &str,
    action: &str,
) -> Response<Bytes> {
    show(c, slug, action, StatusCode::OK, String::new(), None).await
}

async fn show<S: Backend>(
    c: &Console<'_, S>,
    slug: &str,
    action: &str,
    status: StatusCode,
    reason: String,
    reason_error: Option<String>,
) -> Response<Bytes> {
    let Some(what) = find(action) else {
        return c.not_found();
    };
    let org = match c.get(&format!("/api/v1/tenants/{}", encode(slug))).await {
        Ok(t) => Org::from_json(&t),
        Err(r) => return c.refused(&r),
    };
    let kind = if what.name == "delete" {
        ActionKind::DeleteTenant
    } else {
        ActionKind::Lifecycle
    };
    if !c.allowed(Operation::Write, kind, Some(slug)) {
        return not_allowed(c);
    }
    if slug == PLATFORM {
        return c.message(
            StatusCode::CONFLICT,
            "Not possible",
            "The platform's own organisation (its operators) is always active and cannot be deleted.",
        );
    }
    if what.from.is_some_and(|from| from != org.state) {
        return c.message(
            StatusCode::CONFLICT,
            "Not possible now",
            &format!(
                "{slug} is {}: only a {} organisation can be {}.",
                org.state,
                what.from.unwrap_or_default(),
                what.past
            ),
        );
    }
    let (users, clients) = if what.name == "delete" {
        match c
            .get(&format!("/api/v1/tenants/{}/usage", encode(slug)))
            .await
        {
            Ok(u) => (u["usage"]["users"].as_u64(), u["usage"]["clients"].as_u64()),
            Err(r) => return c.refused(&r),
        }
    } else {
        (None, None)
    };
    let title = format!("{} {}?", capitalised(what.name), org.name);
    let back = crate::console::path_of(c.app, &org_path(slug, ""));
    let page = ConfirmPage {
        layout: c.layout(&title, Section::Organisations, Some((slug, Tab::Overview))),
        action: format!("{back}/{}", what.name),
        back,
        org,
        what,
        users,
        clients,
        reason,
        reason_error,
    };
    c.render(status, &page)
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// `POST /admin/tenants/{slug}/reject|suspend|delete` (`reason` for the
/// first two).
pub(super) async fn confirmed<S: Backend>(
    c: &Console<'_, S>,
    req: &Request<Bytes>,
    slug: &str,
    action: &str,
) -> Response<Bytes> {
    let form = match c.form(req) {
        Ok(form) => form,
        Err(res) => return res,
    };
    let Some(what) = find(action) else {
        return c.not_found();
    };
    let reason = value(&form, "reason").trim().to_owned();
    let tenant = format!("/api/v1/tenants/{}", encode(slug));
    let result = if what.needs_reason {
        let path = format!("{tenant}/{}", what.name);
        c.send(Method::POST, &path, Some(json!({"reason": reason})))
            .await
    } else {
        c.send(Method::DELETE, &tenant, None).await
    };
    match result {
        Ok(_) if what.name == "delete" => {
            c.done("/tenants", &format!("Organisation {slug} deleted."))
        }
        Ok(_) if what.name == "reject" => {
            c.done(&org_path(slug, ""), &format!("{slug} was rejected."))
        }
        Ok(_) => c.done(
            &org_path(slug, ""),
            &format!("{slug} is suspended: its users cannot sign in."),
        ),
        Err(r) if r.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let error = r
                .field("reason")
                .map_or_else(|| r.summary(&[]), str::to_owned);
            show(c, slug, action, r.status, reason, Some(error)).await
        }
        Err(r) if r.status == StatusCode::CONFLICT => c.failed(&org_path(slug, ""), &r.detail),
        Err(r) => c.refused(&r),
    }
}
