//! The pages a person sees: login and consent ([`interaction`]), device code
//! entry ([`device`]), logout confirmation and the signed-out page with its
//! front-channel iframes ([`logout`]), organisation sign-up ([`signup`]),
//! the user's own account page ([`account`]).
//! They render what idp-core hands them and hand the answers back; no
//! protocol decision is made here. Plain HTML forms, no JavaScript (but for
//! the sign-up form's proof of work, a script the binary serves), stable ids
//! (`username`, `password`, `user_code`, `allow`, `deny`) for browser
//! automation.

pub mod account;
pub mod csrf;
pub mod device;
pub mod interaction;
pub mod logout;
pub mod setup;
pub mod signup;
pub mod upstream;

use askama::Template;
use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};
use idp_core::PageError;

#[derive(Template)]
#[template(path = "login.html")]
pub(crate) struct LoginPage<'a> {
    pub(crate) tenant_name: &'a str,
    pub(crate) client_name: &'a str,
    pub(crate) action: String,
    pub(crate) cancel_action: Option<String>,
    pub(crate) hidden: Vec<(&'a str, &'a str)>,
    pub(crate) csrf: &'a str,
    pub(crate) username: &'a str,
    pub(crate) error: Option<&'a str>,
    /// A notice above the forms (the "sign in first to link" one).
    pub(crate) notice: Option<&'a str>,
    /// Where "Continue with {name}" posts; `None` where upstreams are not
    /// offered (the device page).
    pub(crate) upstream_action: Option<String>,
    /// The tenant's upstreams: (id, name).
    pub(crate) upstreams: Vec<(&'a str, &'a str)>,
    /// Whether the password form is shown: off on an upstream-only tenant
    /// ([`idp_core::upstream::password_login`]).
    pub(crate) password_login: bool,
    /// What the page says instead of the password form, when it is off.
    pub(crate) no_password: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "upstream_failure.html")]
pub(crate) struct UpstreamFailurePage<'a> {
    pub(crate) tenant_name: &'a str,
    pub(crate) title: &'a str,
    pub(crate) message: &'a str,
    /// Where to go back to: (href, text).
    pub(crate) back: Option<(&'a str, &'a str)>,
}

#[derive(Template)]
#[template(path = "consent.html")]
pub(crate) struct ConsentPage<'a> {
    pub(crate) tenant_name: &'a str,
    pub(crate) client_name: &'a str,
    /// Where the browser returns to (`InteractionView::redirect_host`).
    pub(crate) redirect_host: &'a str,
    pub(crate) user_email: &'a str,
    pub(crate) scopes: Vec<(&'a str, &'static str)>,
    pub(crate) action: String,
    pub(crate) csrf: &'a str,
}

#[derive(Template)]
#[template(path = "message.html")]
pub(crate) struct MessagePage<'a> {
    pub(crate) tenant_name: &'a str,
    pub(crate) title: &'a str,
    pub(crate) message: &'a str,
}

#[derive(Template)]
#[template(path = "setup.html")]
pub(crate) struct SetupPage<'a> {
    pub(crate) tenant_name: &'a str,
    pub(crate) action: String,
    pub(crate) csrf: &'a str,
    pub(crate) token: &'a str,
    pub(crate) email: &'a str,
    pub(crate) error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "device_entry.html")]
pub(crate) struct DeviceEntryPage<'a> {
    pub(crate) tenant_name: &'a str,
    pub(crate) action: String,
    pub(crate) csrf: &'a str,
    pub(crate) user_code: &'a str,
    pub(crate) error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "device_confirm.html")]
pub(crate) struct DeviceConfirmPage<'a> {
    pub(crate) tenant_name: &'a str,
    pub(crate) client_name: &'a str,
    pub(crate) user_email: &'a str,
    pub(crate) user_code: &'a str,
    pub(crate) scopes: Vec<(&'a str, &'static str)>,
    pub(crate) action: String,
    pub(crate) csrf: &'a str,
}

#[derive(Template)]
#[template(path = "logout_confirm.html")]
pub(crate) struct LogoutConfirmPage<'a> {
    pub(crate) tenant_name: &'a str,
    pub(crate) client_name: Option<&'a str>,
    pub(crate) user_email: Option<&'a str>,
    pub(crate) hidden: Vec<(&'a str, &'a str)>,
    pub(crate) action: String,
    pub(crate) csrf: &'a str,
}

#[derive(Template)]
#[template(path = "logout_done.html")]
pub(crate) struct LogoutDonePage<'a> {
    pub(crate) tenant_name: &'a str,
    pub(crate) frontchannel: &'a [String],
    pub(crate) redirect: Option<&'a str>,
    pub(crate) delay: u32,
}

/// What a scope lets the application do, in words.
pub(crate) fn describe(scope: &str) -> &'static str {
    match scope {
        "openid" => "Know who you are (your account id)",
        "profile" => "See your name and username",
        "email" => "See your email address",
        "offline_access" => "Keep access while you are not using it",
        idp_core::roles_claim::SCOPE => idp_core::roles_claim::CONSENT_TEXT,
        _ => "Other access",
    }
}

/// The Content-Security-Policy of every page: nothing but inline style.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'";

/// Headers every page carries: no caching, no framing, no script at all.
pub(crate) fn html(status: StatusCode, body: String) -> Response<Bytes> {
    html_with_csp(status, body, HeaderValue::from_static(CSP))
}

/// [`html`] for a page that frames `frame_origins` (and still runs no script).
pub(crate) fn html_framing(
    status: StatusCode,
    body: String,
    frame_origins: &[String],
) -> Response<Bytes> {
    let csp = format!("{CSP}; frame-src {}", frame_origins.join(" "));
    match HeaderValue::from_str(&csp) {
        Ok(v) => html_with_csp(status, body, v),
        Err(_) => page_error(PageError::Internal),
    }
}

fn html_with_csp(status: StatusCode, body: String, csp: HeaderValue) -> Response<Bytes> {
    idp_core::wire::html(status, Bytes::from(body), csp)
}

pub(crate) fn message(status: StatusCode, title: &str, text: &str) -> Response<Bytes> {
    message_for("Sign in", status, title, text)
}

/// A message page under the tenant's name.
pub(crate) fn message_for(
    tenant_name: &str,
    status: StatusCode,
    title: &str,
    text: &str,
) -> Response<Bytes> {
    let page = MessagePage {
        tenant_name,
        title,
        message: text,
    };
    html(status, page.render().unwrap_or_else(|_| text.to_owned()))
}

pub(crate) fn page_error(e: PageError) -> Response<Bytes> {
    match e {
        PageError::UnknownTenant | PageError::UnknownInteraction => message(
            StatusCode::NOT_FOUND,
            "This sign-in link is no longer valid",
            "It has expired or was already used. Return to the application and sign in again.",
        ),
        PageError::WrongSession => message(
            StatusCode::FORBIDDEN,
            "This sign-in belongs to another session",
            "Return to the application and sign in again.",
        ),
        PageError::Internal => message(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            "Please try again in a moment.",
        ),
    }
}

/// The answer to a form whose CSRF check failed.
pub(crate) fn csrf_failed() -> Response<Bytes> {
    message(
        StatusCode::FORBIDDEN,
        "This form has expired",
        "Go back, reload the page and try again.",
    )
}

/// Renders a template, or the internal-error page if rendering fails.
pub(crate) fn render(status: StatusCode, page: &impl Template) -> Response<Bytes> {
    match page.render() {
        Ok(body) => html(status, body),
        Err(_) => page_error(PageError::Internal),
    }
}
