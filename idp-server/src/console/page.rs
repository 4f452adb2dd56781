//! What every console page shares: the layout (top bar, the navigation
//! that shows where you are, an organisation's tabs, the notice of the
//! last change), the page's headers (a Content-Security-Policy that allows
//! only this origin's stylesheet and script), and the pages shown to
//! someone not signed in (sign in, first run, signed out).

use super::{Console, assets, path_of};
use crate::app::App;
use crate::backend::Backend;
use askama::Template;
use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};

/// The console's policy: this origin's stylesheet and script, no inline
/// script or style (not even a `style` attribute), forms only to itself.
pub(crate) const CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The top-level sections of the navigation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Section {
    /// `/admin`: counts and charts.
    Dashboard,
    /// `/admin/tenants…`: organisations and everything in one.
    Organisations,
    /// `/admin/audit`.
    Audit,
    /// `/admin/settings`: sign-up mode and tiers.
    Settings,
}

/// The tabs of one organisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tab {
    /// `/admin/tenants/{slug}`.
    Overview,
    /// `/admin/tenants/{slug}/clients`.
    Clients,
    /// `/admin/tenants/{slug}/users`.
    Users,
    /// `/admin/tenants/{slug}/roles`.
    Roles,
    /// `/admin/tenants/{slug}/upstreams`.
    Upstreams,
    /// `/admin/tenants/{slug}/keys`.
    Keys,
}

/// One link of a navigation.
pub(crate) struct NavItem {
    pub(crate) label: &'static str,
    pub(crate) href: String,
    pub(crate) current: bool,
}

/// A notice at the top of the page: what the last change did.
pub(crate) struct Notice {
    /// `ok`, `bad` or `info` (a CSS class).
    pub(crate) kind: &'static str,
    pub(crate) text: String,
}

/// What the layout template (`console/layout.html`) shows around a page.
pub(crate) struct Layout {
    pub(crate) title: String,
    pub(crate) console_path: String,
    pub(crate) stylesheet: String,
    pub(crate) script: String,
    pub(crate) csrf: String,
    pub(crate) email: String,
    pub(crate) nav: Vec<NavItem>,
    /// The organisation being looked at, and its tabs.
    pub(crate) tenant: Option<String>,
    pub(crate) tabs: Vec<NavItem>,
    pub(crate) notice: Option<Notice>,
    /// Whether the operator may change anything here (an auditor may
    /// not: the page shows no forms that change things).
    pub(crate) writable: bool,
}

impl<S: Backend> Console<'_, S> {
    /// The layout of a page titled `title` in `section`, for the
    /// organisation `tenant` (its `tab`) when there is one.
    pub(crate) fn layout(
        &self,
        title: &str,
        section: Section,
        tenant: Option<(&str, Tab)>,
    ) -> Layout {
        let base = path_of(self.app, "");
        let mut nav = vec![
            NavItem {
                label: "Dashboard",
                href: base.clone(),
                current: section == Section::Dashboard,
            },
            NavItem {
                label: "Organisations",
                href: format!("{base}/tenants"),
                current: section == Section::Organisations,
            },
            NavItem {
                label: "Audit log",
                href: format!("{base}/audit"),
                current: section == Section::Audit,
            },
        ];
        if self.may_read_platform() {
            nav.push(NavItem {
                label: "Settings",
                href: format!("{base}/settings"),
                current: section == Section::Settings,
            });
        }
        let tabs = tenant.map_or_else(Vec::new, |(slug, tab)| {
            let t = format!("{base}/tenants/{}", super::api::encode(slug));
            [
                ("Overview", "", Tab::Overview),
                ("Clients", "/clients", Tab::Clients),
                ("Users", "/users", Tab::Users),
                ("Roles", "/roles", Tab::Roles),
                ("Upstreams", "/upstreams", Tab::Upstreams),
                ("Signing keys", "/keys", Tab::Keys),
            ]
            .into_iter()
            .map(|(label, rest, which)| NavItem {
                label,
                href: format!("{t}{rest}"),
                current: which == tab,
            })
            .collect()
        });
        Layout {
            title: title.to_owned(),
            stylesheet: assets::stylesheet(&base),
            script: assets::script(&base),
            console_path: base,
            csrf: self.csrf.value.clone(),
            email: self.operator.email.clone(),
            nav,
            tenant: tenant.map(|(slug, _)| slug.to_owned()),
            tabs,
            notice: self.notice.as_ref().map(|(kind, text)| Notice {
                kind,
                text: text.clone(),
            }),
            writable: self.may_write(tenant.map(|(slug, _)| slug)),
        }
    }

    /// A page: the template rendered with the console's headers (and the
    /// CSRF cookie when it is new, the notice cookie cleared once shown).
    pub(crate) fn render(&self, status: StatusCode, page: &impl Template) -> Response<Bytes> {
        let mut res = match page.render() {
            Ok(body) => html(status, body),
            Err(e) => {
                tracing::error!(error = %e, "a console page failed to render");
                html(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong".to_owned(),
                )
            }
        };
        res = crate::pages::csrf::attach(res, &self.csrf);
        if self.notice.is_some() {
            super::session::add_cookie(&mut res, &super::notice::clear(self.app));
        }
        res
    }

    /// A plain message page in the layout (not found, refused, …).
    pub(crate) fn message(&self, status: StatusCode, title: &str, text: &str) -> Response<Bytes> {
        let page = MessagePage {
            layout: self.layout(title, Section::Dashboard, None),
            text,
        };
        self.render(status, &page)
    }

    /// 404 in the layout.
    pub(crate) fn not_found(&self) -> Response<Bytes> {
        self.message(
            StatusCode::NOT_FOUND,
            "Not found",
            "There is no such page, or it is not yours to see.",
        )
    }

    /// The answer to a refused API call that has no form to show it on: the
    /// status the API gave (403, 404, 409, …) and its reason.
    pub(crate) fn refused(&self, refused: &super::api::Refused) -> Response<Bytes> {
        let title = match refused.status {
            StatusCode::FORBIDDEN => "Not allowed",
            StatusCode::NOT_FOUND => "Not found",
            StatusCode::CONFLICT => "Not possible now",
            StatusCode::TOO_MANY_REQUESTS => "Too many requests",
            s if s.is_server_error() => "Something went wrong",
            _ => "Not possible",
        };
        self.message(refused.status, title, &refused.detail)
    }
}

#[derive(Template)]
#[template(path = "console/message.html")]
struct MessagePage<'a> {
    layout: Layout,
    text: &'a str,
}

/// An HTML response with the console's headers.
pub(crate) fn html(status: StatusCode, body: String) -> Response<Bytes> {
    idp_core::wire::html(status, Bytes::from(body), HeaderValue::from_static(CSP))
}

/// The page of someone not signed in: a sign-in button, or on a platform
/// without an owner, how to make one.
#[derive(Template)]
#[template(path = "console/signed_out.html")]
struct SignedOutPage<'a> {
    stylesheet: String,
    login: String,
    message: Option<&'a str>,
    has_owner: bool,
    base_url: &'a str,
}

/// The sign-in page, returning to `back_to` after signing in.
pub(crate) async fn sign_in<S: Backend>(app: &App<S>, back_to: &str) -> Response<Bytes> {
    let login = format!(
        "{}?back_to={}",
        path_of(app, "/login"),
        super::api::encode(back_to)
    );
    signed_out_page(app, StatusCode::OK, None, login).await
}

/// The sign-in page with a message (signed out, a failed sign-in).
pub(crate) fn signed_out_with<S: Backend>(
    app: &App<S>,
    status: StatusCode,
    message: &str,
) -> Response<Bytes> {
    let page = SignedOutPage {
        stylesheet: assets::stylesheet(&path_of(app, "")),
        login: path_of(app, "/login"),
        message: Some(message),
        has_owner: true,
        base_url: &app.base_url,
    };
    render_plain(status, &page)
}

async fn signed_out_page<S: Backend>(
    app: &App<S>,
    status: StatusCode,
    message: Option<&str>,
    login: String,
) -> Response<Bytes> {
    let has_owner = match app.provider.admin().platform_has_owner().await {
        Ok(has) => has,
        Err(e) => {
            tracing::warn!(error = %e, "the platform's owner cannot be read");
            return unavailable();
        }
    };
    let page = SignedOutPage {
        stylesheet: assets::stylesheet(&path_of(app, "")),
        login,
        message,
        has_owner,
        base_url: &app.base_url,
    };
    render_plain(status, &page)
}

fn render_plain(status: StatusCode, page: &impl Template) -> Response<Bytes> {
    match page.render() {
        Ok(body) => html(status, body),
        Err(_) => unavailable(),
    }
}

/// 503 when the store cannot be read.
pub(crate) fn unavailable() -> Response<Bytes> {
    let mut res = html(
        StatusCode::SERVICE_UNAVAILABLE,
        "<!doctype html><html lang=\"en\"><title>Unavailable</title><h1>The console is unavailable</h1><p>The database cannot be reached. Try again in a moment.</p></html>".to_owned(),
    );
    res.headers_mut()
        .insert(http::header::RETRY_AFTER, HeaderValue::from_static("5"));
    res
}
