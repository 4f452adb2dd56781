//! The admin console at `/admin` (design.md "Multi-tenancy and URLs"):
//! server-rendered pages for operators and organisation admins, working
//! without JavaScript.
//!
//! - Signing in ([`session`]): the console is the platform tenant's
//!   first-party client; operators sign in through the code flow with PKCE
//!   on the platform's login page, and the console session is that
//!   platform session, checked in the store on every request.
//! - Deciding nothing itself ([`api`]): every screen reads and changes
//!   through the admin API, called in process as the signed-in operator,
//!   so the role policy, validation, tier limits and the audit log are the
//!   API's. The layout only hides what the policy would refuse
//!   ([`Console::may_write`]).
//! - Forms: CSRF on every POST (the pages' double-submit cookie, path
//!   `/admin`), post/redirect/get with a notice ([`notice`]), errors next to
//!   their field (the API's 422 names them), destructive actions confirmed
//!   on a page of their own.
//!
//! Screens, one module each: [`dashboard`], [`tenants`] (organisations,
//! approvals, lifecycle, tier), [`clients`], [`users`], [`roles`], [`upstreams`],
//! [`keys`], [`audit`], [`settings`] (sign-up mode, tiers).

pub(crate) mod api;
pub(crate) mod assets;
pub(crate) mod audit;
pub(crate) mod chart;
pub(crate) mod clients;
pub(crate) mod dashboard;
pub(crate) mod keys;
pub(crate) mod notice;
pub(crate) mod page;
pub(crate) mod roles;
pub(crate) mod session;
pub(crate) mod settings;
pub(crate) mod tenants;
pub(crate) mod upstreams;
pub(crate) mod usage;
pub(crate) mod users;

use crate::app::App;
use crate::backend::Backend;
use crate::forwarded::ClientAddr;
use crate::pages::csrf::{self, CsrfToken};
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use idp_core::admin::policy::{self, Action, ActionKind, Principal};
use idp_core::api_key::Operation;
use idp_core::platform::Operator;
use idp_core::wire::Params;

/// The console's path under BASE_URL's path.
pub const PREFIX: &str = "/admin";

/// Whether `path` (the full request path) is the console's.
pub fn is_console_path(base_path: &str, path: &str) -> bool {
    path.strip_prefix(base_path)
        .and_then(|p| p.strip_prefix(PREFIX))
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The console path `rest` (`""`, `"/tenants"`, …) under BASE_URL's path.
pub(crate) fn path_of<S: Backend>(app: &App<S>, rest: &str) -> String {
    format!("{}{PREFIX}{rest}", app.base_path)
}

/// One signed-in request: who, and what every page needs.
pub(crate) struct Console<'a, S: Backend> {
    pub(crate) app: &'a App<S>,
    pub(crate) operator: Operator,
    pub(crate) csrf: CsrfToken,
    pub(crate) address: Option<ClientAddr>,
    /// The notice the last change left (shown once).
    pub(crate) notice: Option<(&'static str, String)>,
}

impl<S: Backend> Console<'_, S> {
    /// Whether the operator may change things in `tenant` (or, without
    /// one, across the platform): what the admin API's policy would
    /// decide for an ordinary write.
    pub(crate) fn may_write(&self, tenant: Option<&str>) -> bool {
        self.allowed(Operation::Write, ActionKind::Ordinary, tenant)
    }

    /// Whether the operator may see the organisation `tenant` at all (an
    /// organisation admin or viewer: only theirs).
    pub(crate) fn may_read(&self, tenant: &str) -> bool {
        let now = self.app.provider.admin().now();
        policy::may_read(
            Principal::Operator(&self.operator.roles),
            Some(tenant),
            PREFIX,
            now,
        )
    }

    /// Whether the operator may read the platform's own settings and tiers
    /// (owners, admins, auditors; not organisation admins).
    pub(crate) fn may_read_platform(&self) -> bool {
        self.allowed(Operation::Read, ActionKind::Platform, None)
    }

    /// Whether the operator may change the platform's own settings, tiers
    /// and tenants' lifecycle.
    pub(crate) fn may_write_platform(&self) -> bool {
        self.allowed(Operation::Write, ActionKind::Platform, None)
    }

    /// The policy's answer for an action of `kind`.
    pub(crate) fn allowed(
        &self,
        operation: Operation,
        kind: ActionKind,
        tenant: Option<&str>,
    ) -> bool {
        let action = Action {
            operation,
            tenant,
            kind,
            path: PREFIX,
            now: self.app.provider.admin().now(),
        };
        policy::decide(Principal::Operator(&self.operator.roles), &action).is_ok()
    }

    /// The POSTed form, if its CSRF token matches; otherwise the 403 page
    /// to answer with.
    // The refusal is the page itself; boxing it would only move the
    // allocation for a path that answers at once.
    #[allow(clippy::result_large_err)]
    pub(crate) fn form(&self, req: &Request<Bytes>) -> Result<Params, Response<Bytes>> {
        let form = Params::parse(req.body());
        if csrf::verify(req.headers(), &form) {
            Ok(form)
        } else {
            Err(self.message(
                StatusCode::FORBIDDEN,
                "This form has expired",
                "Go back, reload the page and try again.",
            ))
        }
    }

    /// A 303 to the console page `rest` with a notice.
    pub(crate) fn done(&self, rest: &str, text: &str) -> Response<Bytes> {
        notice::redirect(self.app, &path_of(self.app, rest), true, text)
    }

    /// A 303 to the console page `rest` with a notice that something failed.
    pub(crate) fn failed(&self, rest: &str, text: &str) -> Response<Bytes> {
        notice::redirect(self.app, &path_of(self.app, rest), false, text)
    }
}

/// Serves one console request (`path` is the full request path).
pub async fn serve<S: Backend>(app: &App<S>, req: Request<Bytes>, path: &str) -> Response<Bytes> {
    let rest = path
        .strip_prefix(app.base_path.as_str())
        .and_then(|p| p.strip_prefix(PREFIX))
        .unwrap_or_default()
        .to_owned();
    let method = req.method().clone();
    match (&method, rest.as_str()) {
        (&Method::GET, r) if r.starts_with("/assets/") => {
            let name = r.trim_start_matches("/assets/");
            return assets::serve(name)
                .unwrap_or_else(|| page::html(StatusCode::NOT_FOUND, "Not found".to_owned()));
        }
        (&Method::GET, "/login") => return session::start(app, &req).await,
        (&Method::GET, "/callback") => return session::callback(app, &req).await,
        (&Method::POST, "/logout") => {
            if !csrf::verify(req.headers(), &Params::parse(req.body())) {
                return page::signed_out_with(
                    app,
                    StatusCode::FORBIDDEN,
                    "This form has expired. Reload the page and try again.",
                );
            }
            return session::sign_out(app, &req).await;
        }
        _ => {}
    }
    let operator = match session::operator(app, req.headers()).await {
        Ok(operator) => operator,
        Err(true) => return page::unavailable(),
        Err(false) if method == Method::GET => {
            let back_to = match req.uri().query() {
                Some(q) => format!("{path}?{q}"),
                None => path.to_owned(),
            };
            return page::sign_in(app, &back_to).await;
        }
        Err(false) => {
            return page::signed_out_with(
                app,
                StatusCode::UNAUTHORIZED,
                "Your session has ended. Sign in again; nothing was changed.",
            );
        }
    };
    let console = Console {
        app,
        operator,
        csrf: csrf::token(req.headers(), &path_of(app, ""), app.secure_cookies),
        address: req.extensions().get::<ClientAddr>().copied(),
        notice: notice::read(req.headers()),
    };
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    screen(&console, &req, &segments).await
}

/// Dispatches a signed-in request to its screen.
async fn screen<S: Backend>(
    c: &Console<'_, S>,
    req: &Request<Bytes>,
    path: &[&str],
) -> Response<Bytes> {
    // An organisation the operator may not see does not exist for them,
    // whatever the page (the API answers 404 alike); one they may see but
    // not change refuses every form before anything is read from it. The
    // organisation's own decisions (rename, tier, lifecycle) are left to
    // the API's policy.
    if let ["tenants", slug, rest @ ..] = path
        && *slug != "_new"
    {
        if !c.may_read(slug) {
            return c.not_found();
        }
        let own_decision = matches!(
            rest,
            [] | ["tier" | "approve" | "reactivate" | "reject" | "suspend" | "delete"]
        );
        if *req.method() == Method::POST && !own_decision && !c.may_write(Some(slug)) {
            return c.message(
                StatusCode::FORBIDDEN,
                "Not allowed",
                "Your role lets you see this organisation, not change it.",
            );
        }
    }
    match path {
        [] => dashboard::serve(c, req).await,
        ["tenants", slug, "clients", rest @ ..] => clients::serve(c, req, slug, rest).await,
        ["tenants", slug, "users", rest @ ..] => users::serve(c, req, slug, rest).await,
        ["tenants", slug, "roles", rest @ ..] => roles::serve(c, req, slug, rest).await,
        ["tenants", slug, "upstreams", rest @ ..] => upstreams::serve(c, req, slug, rest).await,
        ["tenants", slug, "keys", rest @ ..] => keys::serve(c, req, slug, rest).await,
        ["tenants", rest @ ..] => tenants::serve(c, req, rest).await,
        ["audit"] => audit::serve(c, req).await,
        ["settings", rest @ ..] => settings::serve(c, req, rest).await,
        _ => c.not_found(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_paths() {
        assert!(is_console_path("", "/admin"));
        assert!(is_console_path("", "/admin/tenants"));
        assert!(is_console_path("/idp", "/idp/admin/"));
        assert!(!is_console_path("", "/administrator"));
        assert!(!is_console_path("/idp", "/admin"));
    }
}
