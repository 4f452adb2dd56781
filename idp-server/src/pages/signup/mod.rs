//! `/signup` (design.md "Multi-tenancy and URLs"): someone creates an
//! organisation (slug, name) and its first admin account (email, name,
//! password) when the platform's sign-up setting allows it. The decisions
//! are idp-core's ([`Admin::sign_up`](idp_core::Admin::sign_up): the mode,
//! the slug rules, the one audited transaction); this module renders the
//! form and its answers and applies the guards a form posted by strangers
//! needs, in order: the per-address rate (`RATE_LIMIT_SIGNUP`), CSRF, the
//! honeypot field, the proof of work ([`guard`]).
//!
//! The page works without JavaScript except for the proof of work, which
//! the served script ([`SCRIPT_PATH`], no inline script) solves; without
//! it the form says why it cannot be sent.

pub mod guard;

pub use guard::SignupGuard;

use super::{csrf, csrf_failed, message_for, page_error};
use crate::app::App;
use crate::backend::Backend;
use crate::forwarded::ClientAddr;
use askama::Template;
use bytes::Bytes;
use guard::Refusal;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use idp_core::admin::{SignUpError, SignUpRequest, SignedUp};
use idp_core::signup::SignupMode;
use idp_core::tenant::state::TenantState;
use idp_core::wire::Params;
use idp_core::{AuditContext, PageError};

/// The form's path under BASE_URL's path.
pub const PATH: &str = "/signup";
/// The proof-of-work script's path under BASE_URL's path.
pub const SCRIPT_PATH: &str = "/signup/pow.js";
/// The honeypot field: hidden from people, filled in by naive bots.
const HONEYPOT: &str = "website";
/// The script, served by the binary.
const SCRIPT: &str = include_str!("pow.js");
/// The sign-up page's policy: the pages' own, plus this origin's scripts
/// (only the proof-of-work script is served here).
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Which of the sign-up paths a request is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Page {
    /// The form.
    Form,
    /// The proof-of-work script.
    Script,
}

/// The sign-up page `path` (BASE_URL's path removed) names, if any.
pub fn page(base_path: &str, path: &str) -> Option<Page> {
    match path.strip_prefix(base_path)? {
        PATH => Some(Page::Form),
        SCRIPT_PATH => Some(Page::Script),
        _ => None,
    }
}

#[derive(Template)]
#[template(path = "signup.html")]
struct FormPage<'a> {
    tenant_name: &'a str,
    action: String,
    script: String,
    csrf: &'a str,
    challenge: &'a str,
    bits: u8,
    issuer_prefix: String,
    form: &'a Fields,
    error: Option<&'a str>,
    slug_error: Option<&'a str>,
    name_error: Option<&'a str>,
    email_error: Option<&'a str>,
    admin_name_error: Option<&'a str>,
    password_error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "signup_done.html")]
struct DonePage<'a> {
    tenant_name: &'a str,
    organisation: &'a str,
    pending: bool,
    issuer: String,
    email: &'a str,
}

/// What the person typed (never the password), to fill the form again.
#[derive(Debug, Default)]
struct Fields {
    slug: String,
    name: String,
    email: String,
    admin_name: String,
}

/// Errors to show: one for the form, and one per field.
#[derive(Debug, Default)]
struct Errors {
    form: Option<String>,
    fields: Vec<(String, String)>,
}

impl Errors {
    fn form(message: &str) -> Self {
        Self {
            form: Some(message.to_owned()),
            fields: Vec::new(),
        }
    }

    fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(f, _)| f == name)
            .map(|(_, r)| r.as_str())
    }
}

/// Serves `/signup` and its script.
pub async fn serve<S: Backend>(app: &App<S>, req: Request<Bytes>, page: Page) -> Response<Bytes> {
    if page == Page::Script {
        return match *req.method() {
            Method::GET | Method::HEAD => script(),
            _ => message_for(
                "Sign up",
                StatusCode::METHOD_NOT_ALLOWED,
                "Not allowed",
                "This page cannot be used that way.",
            ),
        };
    }
    let admin = app.provider.admin();
    let mode = match admin.platform_settings().await {
        Ok(settings) => settings.signup,
        Err(_) => return page_error(PageError::Internal),
    };
    if mode == SignupMode::Closed {
        return closed();
    }
    let path = format!("{}{PATH}", app.base_path);
    let token = csrf::token(req.headers(), &path, app.secure_cookies);
    match *req.method() {
        Method::GET | Method::HEAD => form(
            app,
            &token,
            &Fields::default(),
            &Errors::default(),
            StatusCode::OK,
        ),
        Method::POST => submit(app, &req, &token).await,
        _ => message_for(
            "Sign up",
            StatusCode::METHOD_NOT_ALLOWED,
            "Not allowed",
            "This page cannot be used that way.",
        ),
    }
}

/// Handles a posted form.
async fn submit<S: Backend>(
    app: &App<S>,
    req: &Request<Bytes>,
    token: &csrf::CsrfToken,
) -> Response<Bytes> {
    let ip = req.extensions().get::<ClientAddr>().map(|a| a.0);
    if let Err(wait) = app.limits.signup(ip) {
        let mut res = message_for(
            "Sign up",
            StatusCode::TOO_MANY_REQUESTS,
            "Too many sign-up attempts",
            "Too many sign-up attempts came from your network. Wait a minute, then try again.",
        );
        crate::rate_limit::set_retry_after(&mut res, wait);
        return res;
    }
    let params = Params::parse(req.body());
    if !csrf::verify(req.headers(), &params) {
        return csrf_failed();
    }
    let field = |name: &'static str| {
        params
            .single(name)
            .ok()
            .flatten()
            .unwrap_or_default()
            .to_owned()
    };
    let fields = Fields {
        slug: field("slug").trim().to_owned(),
        name: field("name").trim().to_owned(),
        email: field("email").trim().to_owned(),
        admin_name: field("admin_name").trim().to_owned(),
    };
    if !field(HONEYPOT).is_empty() {
        let errors = Errors::form(
            "This form could not be accepted. Leave the field marked \u{201c}leave this field empty\u{201d} empty.",
        );
        return form(
            app,
            token,
            &fields,
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let key = &app.provider.config().master_key;
    let now = app.provider.admin().now();
    let challenge = field("pow_challenge");
    let nonce = field("pow_nonce");
    if let Err(refusal) = app
        .signup
        .accept(key, &token.value, &challenge, &nonce, now)
    {
        let (status, message) = match refusal {
            Refusal::Busy => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Sign-up is busy right now. Try again in a few minutes.",
            ),
            Refusal::Reused => (
                StatusCode::BAD_REQUEST,
                "This form was already sent once. Check the details and send it again.",
            ),
            Refusal::Pow(_) => (
                StatusCode::BAD_REQUEST,
                "Your browser's anti-abuse check did not complete (it needs JavaScript). Send the form again.",
            ),
        };
        return form(app, token, &fields, &Errors::form(message), status);
    }
    let address = ip.map(|ip| ip.to_string());
    let ctx = AuditContext::signup(&fields.email, address, None);
    let request = SignUpRequest {
        slug: fields.slug.clone(),
        name: fields.name.clone(),
        email: fields.email.clone(),
        admin_name: Some(fields.admin_name.clone()),
        password: field("password"),
    };
    match app.provider.admin().sign_up(&ctx, request).await {
        Ok(done) => done_page(app, &done, &fields.email),
        Err(e) => refused(app, token, &fields, e),
    }
}

/// The form again, with what went wrong.
fn refused<S: Backend>(
    app: &App<S>,
    token: &csrf::CsrfToken,
    fields: &Fields,
    e: SignUpError,
) -> Response<Bytes> {
    use idp_core::AdminError;
    let (status, errors) = match e {
        SignUpError::Closed => return closed(),
        SignUpError::SlugTaken(slug) => (
            StatusCode::CONFLICT,
            Errors {
                form: None,
                fields: vec![(
                    "slug".into(),
                    format!("'{slug}' is taken; choose another name"),
                )],
            },
        ),
        SignUpError::Refused => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Errors::form(
                "This sign-up could not be completed with these details. If you already have an account, sign in instead.",
            ),
        ),
        SignUpError::Admin(AdminError::Invalid(list)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Errors {
                form: Some("Some details need fixing.".into()),
                fields: list.into_iter().map(|f| (f.field, f.reason)).collect(),
            },
        ),
        SignUpError::Admin(AdminError::Unavailable(_)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Errors::form("Sign-up is unavailable right now. Try again in a few minutes."),
        ),
        SignUpError::Admin(other) => {
            tracing::error!(error = %other, "sign-up failed");
            return page_error(PageError::Internal);
        }
    };
    form(app, token, fields, &errors, status)
}

/// Renders the form with a fresh challenge.
fn form<S: Backend>(
    app: &App<S>,
    token: &csrf::CsrfToken,
    fields: &Fields,
    errors: &Errors,
    status: StatusCode,
) -> Response<Bytes> {
    let key = &app.provider.config().master_key;
    let challenge = app
        .signup
        .challenge(key, &token.value, app.provider.admin().now());
    let page = FormPage {
        tenant_name: "Sign up",
        action: format!("{}{PATH}", app.base_path),
        script: format!("{}{SCRIPT_PATH}", app.base_path),
        csrf: &token.value,
        challenge: &challenge,
        bits: app.signup.pow.bits,
        issuer_prefix: format!("{}/t/", app.base_url),
        form: fields,
        error: errors.form.as_deref(),
        slug_error: errors.field("slug"),
        name_error: errors.field("name"),
        email_error: errors.field("email"),
        admin_name_error: errors.field("admin_name"),
        password_error: errors.field("password"),
    };
    match page.render() {
        Ok(body) => csrf::attach(
            idp_core::wire::html(status, Bytes::from(body), HeaderValue::from_static(CSP)),
            token,
        ),
        Err(_) => page_error(PageError::Internal),
    }
}

/// What happens next: approval, or the issuer to use.
fn done_page<S: Backend>(app: &App<S>, done: &SignedUp, email: &str) -> Response<Bytes> {
    let page = DonePage {
        tenant_name: "Sign up",
        organisation: &done.tenant.name,
        pending: done.tenant.state == TenantState::Pending,
        issuer: format!("{}/t/{}", app.base_url, done.tenant.slug),
        email,
    };
    super::render(StatusCode::OK, &page)
}

/// 404: the platform takes no sign-up.
fn closed() -> Response<Bytes> {
    message_for(
        "Sign up",
        StatusCode::NOT_FOUND,
        "Sign-up is closed",
        "This platform does not take new organisations on its own. Ask its operators for an account.",
    )
}

/// The proof-of-work script.
fn script() -> Response<Bytes> {
    let mut res = Response::new(Bytes::from_static(SCRIPT.as_bytes()));
    let h = res.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    h.insert(
        http::header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_its_paths_under_the_base_path() {
        assert_eq!(page("", "/signup"), Some(Page::Form));
        assert_eq!(page("/idp", "/idp/signup"), Some(Page::Form));
        assert_eq!(page("/idp", "/idp/signup/pow.js"), Some(Page::Script));
        assert_eq!(page("/idp", "/signup"), None);
        assert_eq!(page("", "/signup/other"), None);
    }
}
