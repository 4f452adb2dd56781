//! A user's linked identities on their page: the identities the user
//! signed in with through the organisation's upstreams, and unlinking one
//! after a page of confirmation (never the last way to sign in: the API
//! refuses it with a 409, shown as a notice).

use super::{Paths, confirm, text, when};
use crate::backend::Backend;
use crate::console::Console;
use crate::console::api::{Refused, segment};
use bytes::Bytes;
use http::{Method, Request, Response};
use serde_json::Value;

/// One linked identity as the page shows it.
pub(super) struct IdentityView {
    pub(super) upstream: String,
    pub(super) kind: String,
    pub(super) subject: String,
    pub(super) email: String,
    pub(super) linked: String,
    pub(super) last_used: String,
    /// `identities/{upstream}/{subject}/unlink`, under the user's page.
    pub(super) unlink: String,
}

impl IdentityView {
    fn from_json(i: &Value) -> Self {
        let upstream_id = text(&i["upstream_id"]);
        let subject = text(&i["subject"]);
        Self {
            unlink: format!(
                "identities/{}/{}/unlink",
                segment(&upstream_id),
                segment(&subject)
            ),
            upstream: text(&i["upstream_name"]),
            kind: text(&i["kind"]),
            email: text(&i["email"]),
            linked: when(&text(&i["created_at"])),
            last_used: when(&text(&i["last_used_at"])),
            subject,
        }
    }
}

/// The identities linked to the user whose API path is `api`.
pub(super) async fn read<S: Backend>(
    c: &Console<'_, S>,
    api: &str,
) -> Result<Vec<IdentityView>, Refused> {
    let linked = c.get(&format!("{api}/identities")).await?;
    Ok(linked["items"]
        .as_array()
        .map(|items| items.iter().map(IdentityView::from_json).collect())
        .unwrap_or_default())
}

/// `GET …/users/{id}/identities/{upstream}/{subject}/unlink` (`subject`
/// as its path segment, percent-encoded).
pub(super) async fn confirm_unlink<S: Backend>(
    c: &Console<'_, S>,
    at: &Paths,
    id: &str,
    upstream: &str,
    subject: &str,
) -> Response<Bytes> {
    let linked = match read(c, &at.api_user(id)).await {
        Ok(linked) => linked,
        Err(r) => return c.refused(&r),
    };
    let action = format!("identities/{}/{subject}/unlink", segment(upstream));
    let Some(identity) = linked.iter().find(|i| i.unlink == action) else {
        return c.not_found();
    };
    let what = format!(
        "The {} identity {}{} is unlinked: it no longer signs in as {{user}}. It can be linked again from their account page.",
        identity.upstream,
        identity.subject,
        if identity.email.is_empty() {
            String::new()
        } else {
            format!(" ({})", identity.email)
        },
    );
    confirm(
        c,
        at,
        id,
        &action,
        "Unlink identity",
        |u| what.replace("{user}", &u.email),
        "Unlink",
    )
    .await
}

/// `POST …/users/{id}/identities/{upstream}/{subject}/unlink`.
pub(super) async fn unlink<S: Backend>(
    c: &Console<'_, S>,
    req: &Request<Bytes>,
    at: &Paths,
    id: &str,
    upstream: &str,
    subject: &str,
) -> Response<Bytes> {
    if let Err(res) = c.form(req) {
        return res;
    }
    // `subject` is still percent-encoded: the API's path takes it so.
    let path = format!(
        "{}/identities/{}/{subject}",
        at.api_user(id),
        segment(upstream)
    );
    match c.send(Method::DELETE, &path, None).await {
        Ok(_) => c.done(&at.user_rest(id), "Identity unlinked."),
        Err(r) if r.status == http::StatusCode::CONFLICT => c.failed(&at.user_rest(id), &r.detail),
        Err(r) => c.refused(&r),
    }
}
