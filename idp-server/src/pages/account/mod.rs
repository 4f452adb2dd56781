//! The user's account page at `{issuer}/account`, for every user of every
//! tenant: their profile, password and sessions ([`overview`]), the forms
//! that change them ([`changes`]), and signing in ([`sign_in`]).
//!
//! Who is signed in is the tenant's own login session
//! ([`Provider::account_session`](idp_core::Provider::account_session)):
//! its cookie's path is the issuer's, so this page receives it and no
//! other tenant's. Without one, the page signs the user in as the tenant's
//! first-party client `account` (code flow with PKCE on the tenant's own
//! login page) and comes back here. idp-core decides every change; this
//! module renders and routes.
//!
//! Pages: the console's stylesheet (same origin, hashed name) under the
//! tenant's name, a Content-Security-Policy without any script or inline
//! style, CSRF on every POST (the pages' double-submit cookie, path
//! `{issuer path}/account`), errors next to their field, post/redirect/get
//! with a notice chosen from a fixed list (`?done=`).

pub(crate) mod changes;
pub(crate) mod overview;
pub(crate) mod sign_in;

use crate::app::App;
use crate::backend::Backend;
use crate::pages::csrf::{self, CsrfToken};
use askama::Template;
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use idp_core::account::{Account, AccountError};
use idp_core::endpoint::Endpoint;
use idp_core::tenant::TenantContext;

/// The account pages' policy: this origin's stylesheet, no script at all,
/// no inline style, forms only to this origin.
pub(crate) const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Serves one of the account endpoints of the tenant `slug`.
pub async fn serve<S: Backend>(
    app: &App<S>,
    req: Request<Bytes>,
    slug: &str,
    endpoint: Endpoint,
) -> Response<Bytes> {
    let tenant = match app.provider.tenant(slug).await {
        Ok(Some(tenant)) => tenant,
        Ok(None) => {
            return crate::pages::message(
                StatusCode::NOT_FOUND,
                "Not found",
                "There is no such organisation.",
            );
        }
        Err(e) => return failure(app, None, &e.into()),
    };
    let tenant = &*tenant;
    if !endpoint.accepts(req.method()) {
        return plain_message(
            app,
            tenant,
            StatusCode::METHOD_NOT_ALLOWED,
            "Not allowed",
            "This page cannot be used that way.",
        );
    }
    if endpoint == Endpoint::AccountCallback {
        return sign_in::callback(app, &req, tenant).await;
    }
    // Every form is checked before anything is looked up.
    if req.method() == Method::POST
        && !csrf::verify(req.headers(), &idp_core::wire::Params::parse(req.body()))
    {
        return plain_message(
            app,
            tenant,
            StatusCode::FORBIDDEN,
            "This form has expired",
            "Go back, reload the page and try again. Nothing was changed.",
        );
    }
    let account = match app.provider.account_session(slug, req.headers()).await {
        Ok(Some(account)) => account,
        Ok(None) if req.method() == Method::GET => return sign_in::start(app, tenant).await,
        Ok(None) => {
            return plain_message(
                app,
                tenant,
                StatusCode::UNAUTHORIZED,
                "Your session has ended",
                "Sign in again. Nothing was changed.",
            );
        }
        Err(e) => return failure(app, Some(tenant), &e),
    };
    let page = Page::new(app, &req, tenant, &account);
    match endpoint {
        Endpoint::Account => overview::show(&page, &req).await,
        Endpoint::AccountProfile => changes::profile(&page, &req).await,
        Endpoint::AccountPassword => changes::password(&page, &req).await,
        Endpoint::AccountSignOutOthers => changes::sign_out_others(&page, &req).await,
        Endpoint::AccountSignOut => changes::sign_out(&page, &req).await,
        Endpoint::AccountLink => changes::link(&page, &req).await,
        Endpoint::AccountUnlink => changes::unlink(&page, &req).await,
        _ => plain_message(
            app,
            tenant,
            StatusCode::NOT_FOUND,
            "Not found",
            "There is no such page.",
        ),
    }
}

/// One request of a signed-in user: what every account page needs.
pub(crate) struct Page<'a, S: Backend> {
    pub(crate) app: &'a App<S>,
    pub(crate) tenant: &'a TenantContext,
    pub(crate) account: &'a Account,
    pub(crate) csrf: CsrfToken,
    /// The client's address (abuse limits, the audit log).
    pub(crate) from: Option<std::net::IpAddr>,
}

impl<'a, S: Backend> Page<'a, S> {
    fn new(
        app: &'a App<S>,
        req: &Request<Bytes>,
        tenant: &'a TenantContext,
        account: &'a Account,
    ) -> Self {
        Self {
            app,
            tenant,
            account,
            csrf: csrf::token(
                req.headers(),
                &account_path(account.tenant_path()),
                app.secure_cookies,
            ),
            from: req
                .extensions()
                .get::<crate::forwarded::ClientAddr>()
                .map(|a| a.0),
        }
    }

    /// `{issuer path}/account`.
    pub(crate) fn path(&self) -> String {
        account_path(self.account.tenant_path())
    }

    /// The layout of a page titled `title`, with a notice if any.
    pub(crate) fn layout(&self, title: &str, notice: Option<Notice>) -> Layout {
        Layout {
            title: title.to_owned(),
            tenant_name: self.account.tenant_name().to_owned(),
            stylesheet: stylesheet(self.app),
            account_path: self.path(),
            csrf: self.csrf.value.clone(),
            email: Some(self.account.email().to_owned()),
            notice,
        }
    }

    /// A page with the account pages' headers and the CSRF cookie when it
    /// is new.
    pub(crate) fn render(&self, status: StatusCode, page: &impl Template) -> Response<Bytes> {
        csrf::attach(render(status, page), &self.csrf)
    }

    /// A 303 back to the account page with the notice `done` (one of
    /// [`overview::notice`]'s).
    pub(crate) fn done(&self, done: &str) -> Response<Bytes> {
        idp_core::wire::redirect(
            &format!("{}?done={done}", self.path()),
            StatusCode::SEE_OTHER,
        )
    }
}

/// What the layout (`account/layout.html`) shows around a page.
pub(crate) struct Layout {
    pub(crate) title: String,
    pub(crate) tenant_name: String,
    pub(crate) stylesheet: String,
    pub(crate) account_path: String,
    pub(crate) csrf: String,
    /// Who is signed in (with a sign-out button), if anyone.
    pub(crate) email: Option<String>,
    pub(crate) notice: Option<Notice>,
}

/// A notice at the top of the page.
pub(crate) struct Notice {
    /// `ok`, `bad` or `info` (a CSS class).
    pub(crate) kind: &'static str,
    pub(crate) text: &'static str,
}

/// A link under a message (sign in again, back to the account).
pub(crate) struct Link {
    pub(crate) id: &'static str,
    pub(crate) href: String,
    pub(crate) label: &'static str,
}

#[derive(Template)]
#[template(path = "account/message.html")]
pub(crate) struct MessagePage<'a> {
    pub(crate) layout: Layout,
    pub(crate) text: &'a str,
    pub(crate) link: Option<Link>,
}

/// `{issuer path}/account` from the issuer's path (which ends in `/`).
pub(crate) fn account_path(tenant_path: &str) -> String {
    format!("{tenant_path}account")
}

/// The console's stylesheet, which is the account pages' too.
fn stylesheet<S: Backend>(app: &App<S>) -> String {
    crate::console::assets::stylesheet(&format!("{}{}", app.base_path, crate::console::PREFIX))
}

/// A message page for someone not signed in (or whose session is not
/// known), under the tenant's name, with a link to the account page (which
/// signs them in again).
pub(crate) fn plain_message<S: Backend>(
    app: &App<S>,
    tenant: &TenantContext,
    status: StatusCode,
    title: &str,
    text: &str,
) -> Response<Bytes> {
    let page = MessagePage {
        layout: Layout {
            title: title.to_owned(),
            tenant_name: tenant.record.name.clone(),
            stylesheet: stylesheet(app),
            account_path: account_path(&tenant.path),
            csrf: String::new(),
            email: None,
            notice: None,
        },
        text,
        link: Some(Link {
            id: "sign-in",
            href: account_path(&tenant.path),
            label: "Sign in",
        }),
    };
    render(status, &page)
}

/// The page for a failure that no form shows: 503 when the store cannot
/// be read, 500 otherwise (logged), 401 when the session ended meanwhile.
pub(crate) fn failure<S: Backend>(
    app: &App<S>,
    tenant: Option<&TenantContext>,
    e: &AccountError,
) -> Response<Bytes> {
    let (status, title, text) = match e {
        AccountError::Unavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            "Unavailable",
            "Your account cannot be reached right now. Try again in a moment.",
        ),
        AccountError::SignedOut => (
            StatusCode::UNAUTHORIZED,
            "Your session has ended",
            "Sign in again.",
        ),
        _ => {
            tracing::error!(error = %e, "an account page failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "Try again in a moment.",
            )
        }
    };
    let mut res = match tenant {
        Some(tenant) => plain_message(app, tenant, status, title, text),
        None => crate::pages::message(status, title, text),
    };
    if status == StatusCode::SERVICE_UNAVAILABLE {
        res.headers_mut()
            .insert(http::header::RETRY_AFTER, HeaderValue::from_static("5"));
    }
    res
}

/// Renders a template with the account pages' headers.
pub(crate) fn render(status: StatusCode, page: &impl Template) -> Response<Bytes> {
    match page.render() {
        Ok(body) => html(status, body),
        Err(e) => {
            tracing::error!(error = %e, "an account page failed to render");
            html(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong".to_owned(),
            )
        }
    }
}

fn html(status: StatusCode, body: String) -> Response<Bytes> {
    idp_core::wire::html(status, Bytes::from(body), HeaderValue::from_static(CSP))
}
