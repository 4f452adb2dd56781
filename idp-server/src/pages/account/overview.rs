//! The account page itself (`GET {issuer}/account`): the profile form (the
//! name; the email shown, read-only), the change-password form, the
//! sessions (this browser first) with signing out of the others or of this
//! one, and linked identities (each with Unlink unless it is the last way
//! to sign in; "Link {name}" for each upstream not linked yet). A form
//! that failed shows the same page again with what was typed (never a
//! password) and each error next to its field.

use super::{Layout, Notice, Page};
use crate::backend::Backend;
use askama::Template;
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use idp_core::admin::FieldError;
use idp_core::clock::{UnixTime, format_rfc3339};
use idp_core::crypto::password::MIN_CHARS;
use idp_core::wire::Params;

/// What a failed form leaves for the page shown again.
#[derive(Default)]
pub(crate) struct Typed {
    /// The name as typed in the profile form, if that form failed.
    pub(crate) name: Option<String>,
    /// The fields found wrong, by their form names.
    pub(crate) errors: Vec<FieldError>,
}

impl Typed {
    fn error(&self, field: &str) -> Option<String> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| sentence(&e.reason))
    }
}

/// A time as the page shows it, with its machine-readable form.
pub(crate) struct Time {
    pub(crate) iso: String,
    pub(crate) shown: String,
}

impl Time {
    fn of(t: UnixTime) -> Self {
        let iso = format_rfc3339(t);
        // `2026-03-01T09:30:12Z` → `2026-03-01 09:30 UTC`.
        let shown = format!("{} {} UTC", &iso[..10], &iso[11..16]);
        Self { iso, shown }
    }
}

/// One linked identity.
pub(crate) struct IdentityRow {
    pub(crate) upstream_id: String,
    pub(crate) upstream_name: String,
    pub(crate) subject: String,
    pub(crate) email: String,
    pub(crate) linked: Time,
    pub(crate) may_unlink: bool,
}

/// One row of the sessions table.
pub(crate) struct SessionRow {
    pub(crate) current: bool,
    pub(crate) created: Time,
    pub(crate) signed_in: Time,
    pub(crate) expires: Time,
}

#[derive(Template)]
#[template(path = "account/overview.html")]
struct OverviewPage {
    layout: Layout,
    name: String,
    email: String,
    has_password: bool,
    /// Whether the tenant allows password login (off: upstream-only, no
    /// password form, [`idp_core::upstream::password_login`]).
    password_login: bool,
    /// What the page says instead of the form when it is off.
    no_password_login: &'static str,
    min_password: usize,
    sessions: Vec<SessionRow>,
    others: usize,
    identities: Vec<IdentityRow>,
    /// Upstreams not linked yet: (id, name).
    linkable: Vec<(String, String)>,
    identity_error: Option<String>,
    name_error: Option<String>,
    current_password_error: Option<String>,
    new_password_error: Option<String>,
    new_password_confirm_error: Option<String>,
}

/// The notice a finished change left (`?done=`): only these texts can
/// appear, whatever the query says.
pub(crate) fn notice(done: &str) -> Option<Notice> {
    let text = match done {
        "profile" => "Your profile is saved.",
        "password" => "Your password is changed.",
        "others" => "Your other sessions are signed out.",
        "linked" => "The account is linked: you can sign in with it.",
        "unlinked" => "The account is unlinked.",
        _ => return None,
    };
    Some(Notice { kind: "ok", text })
}

/// `GET {issuer}/account`.
pub(crate) async fn show<S: Backend>(page: &Page<'_, S>, req: &Request<Bytes>) -> Response<Bytes> {
    let query = Params::parse(req.uri().query().unwrap_or_default().as_bytes());
    let done = query.single("done").ok().flatten().and_then(notice);
    render(page, StatusCode::OK, &Typed::default(), done).await
}

/// The account page with `typed`'s values and errors, answered with `status`.
pub(crate) async fn render<S: Backend>(
    page: &Page<'_, S>,
    status: StatusCode,
    typed: &Typed,
    notice: Option<Notice>,
) -> Response<Bytes> {
    let account = page.account;
    let sessions = match page.app.provider.account_sessions(account).await {
        Ok(sessions) => sessions,
        Err(e) => return super::failure(page.app, Some(page.tenant), &e),
    };
    let others = sessions.iter().filter(|s| !s.current).count();
    let provider = &page.app.provider;
    let identities = match provider.account_identities(account).await {
        Ok(identities) => identities,
        Err(e) => {
            // The rest of the page works without them.
            tracing::warn!(error = %e, "linked identities could not be listed");
            Vec::new()
        }
    };
    let linkable = provider
        .upstreams_of(account)
        .await
        .into_iter()
        .filter(|u| !identities.iter().any(|i| i.upstream_id == u.id))
        .map(|u| (u.id, u.name))
        .collect();
    let body = OverviewPage {
        layout: page.layout("Your account", notice),
        name: typed
            .name
            .clone()
            .unwrap_or_else(|| account.name().unwrap_or_default().to_owned()),
        email: account.email().to_owned(),
        has_password: account.has_password(),
        password_login: account.password_login(),
        no_password_login: idp_core::upstream::password_login::CHANGE_REFUSED,
        min_password: MIN_CHARS,
        sessions: sessions
            .into_iter()
            .map(|s| SessionRow {
                current: s.current,
                created: Time::of(s.info.created_at),
                signed_in: Time::of(s.info.auth_time),
                expires: Time::of(s.info.expires_at),
            })
            .collect(),
        others,
        identities: identities
            .into_iter()
            .map(|i| IdentityRow {
                upstream_id: i.upstream_id,
                upstream_name: i.upstream_name,
                subject: i.subject,
                email: i.email.unwrap_or_default(),
                linked: Time::of(i.created_at),
                may_unlink: i.may_unlink,
            })
            .collect(),
        linkable,
        identity_error: typed.error("identity"),
        name_error: typed.error("name"),
        current_password_error: typed.error("current_password"),
        new_password_error: typed.error("new_password"),
        new_password_confirm_error: typed.error("new_password_confirm"),
    };
    page.render(status, &body)
}

/// A reason as a sentence: capital first letter, final full stop.
fn sentence(reason: &str) -> String {
    let mut chars = reason.chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    };
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_read_as_sentences() {
        assert_eq!(
            sentence("enter your current password"),
            "Enter your current password."
        );
        assert_eq!(sentence("Done."), "Done.");
    }

    #[test]
    fn times_are_shown_in_utc_to_the_minute() {
        let t = Time::of(1_772_357_412);
        assert_eq!(t.iso, "2026-03-01T09:30:12Z");
        assert_eq!(t.shown, "2026-03-01 09:30 UTC");
    }

    #[test]
    fn only_known_notices_are_shown() {
        assert!(notice("profile").is_some());
        assert!(notice("<script>").is_none());
    }
}
