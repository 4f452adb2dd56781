//! The account page's forms (each CSRF-checked by the dispatcher, each
//! decided by idp-core): the profile, the password, signing out of the
//! other sessions (confirmed on a page of its own) and of this one. A
//! change ends in a 303 back to the account page with a notice; a refused
//! form shows the page again with each error next to its field.

use super::overview::{self, Typed};
use super::{Link, MessagePage, Page};
use crate::backend::Backend;
use askama::Template;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use idp_core::account::AccountError;
use idp_core::admin::FieldError;
use idp_core::wire::Params;

/// `POST {issuer}/account/profile` `name`.
pub(crate) async fn profile<S: Backend>(
    page: &Page<'_, S>,
    req: &Request<Bytes>,
) -> Response<Bytes> {
    let form = Params::parse(req.body());
    let name = field(&form, "name");
    match page
        .app
        .provider
        .update_profile(page.account, name, page.from)
        .await
    {
        Ok(()) => page.done("profile"),
        Err(AccountError::Invalid(errors)) => {
            let typed = Typed {
                name: Some(name.to_owned()),
                errors,
            };
            overview::render(page, StatusCode::UNPROCESSABLE_ENTITY, &typed, None).await
        }
        Err(e) => super::failure(page.app, Some(page.tenant), &e),
    }
}

/// `POST {issuer}/account/password` `current_password`, `new_password`,
/// `new_password_confirm`. The two new ones must match before anything
/// is checked (no attempt at the current password is spent on a typo).
pub(crate) async fn password<S: Backend>(
    page: &Page<'_, S>,
    req: &Request<Bytes>,
) -> Response<Bytes> {
    let form = Params::parse(req.body());
    let (current, new) = (
        field(&form, "current_password"),
        field(&form, "new_password"),
    );
    if new != field(&form, "new_password_confirm") {
        let typed = Typed {
            name: None,
            errors: vec![FieldError {
                field: "new_password_confirm".to_owned(),
                reason: "the two new passwords differ".to_owned(),
            }],
        };
        return overview::render(page, StatusCode::UNPROCESSABLE_ENTITY, &typed, None).await;
    }
    let result = page
        .app
        .provider
        .change_password(page.account, current, new, page.from)
        .await;
    match result {
        Ok(()) => page.done("password"),
        Err(AccountError::Invalid(errors)) => {
            let typed = Typed { name: None, errors };
            overview::render(page, StatusCode::UNPROCESSABLE_ENTITY, &typed, None).await
        }
        Err(AccountError::Locked { retry_after }) => {
            let typed = Typed {
                name: None,
                errors: vec![FieldError {
                    field: "current_password".to_owned(),
                    reason: crate::rate_limit::lockout_message(retry_after),
                }],
            };
            let shown = overview::render(page, StatusCode::OK, &typed, None).await;
            crate::rate_limit::refused(shown, retry_after)
        }
        Err(e) => super::failure(page.app, Some(page.tenant), &e),
    }
}

#[derive(Template)]
#[template(path = "account/sign_out_others.html")]
struct ConfirmPage {
    layout: super::Layout,
    others: usize,
}

/// `GET {issuer}/account/sign-out-others` asks; `POST` signs out every
/// other session of the user (their refresh tokens revoked with them).
pub(crate) async fn sign_out_others<S: Backend>(
    page: &Page<'_, S>,
    req: &Request<Bytes>,
) -> Response<Bytes> {
    let provider = &page.app.provider;
    if req.method() == Method::POST {
        return match provider.sign_out_others(page.account, page.from).await {
            Ok(_) => page.done("others"),
            Err(e) => super::failure(page.app, Some(page.tenant), &e),
        };
    }
    match provider.account_sessions(page.account).await {
        Ok(sessions) => {
            let others = sessions.iter().filter(|s| !s.current).count();
            let body = ConfirmPage {
                layout: page.layout("Sign out other sessions", None),
                others,
            };
            page.render(StatusCode::OK, &body)
        }
        Err(e) => super::failure(page.app, Some(page.tenant), &e),
    }
}

/// `POST {issuer}/account/sign-out`: ends this session and says so.
pub(crate) async fn sign_out<S: Backend>(
    page: &Page<'_, S>,
    _req: &Request<Bytes>,
) -> Response<Bytes> {
    let clear = match page.app.provider.sign_out(page.account, page.from).await {
        Ok(clear) => clear,
        Err(e) => return super::failure(page.app, Some(page.tenant), &e),
    };
    let mut layout = page.layout("You are signed out", None);
    layout.email = None;
    let body = MessagePage {
        layout,
        text: "You are signed out in this browser. Applications you signed in to through it lose their access and will ask you to sign in again.",
        link: Some(Link {
            id: "sign-in",
            href: page.path(),
            label: "Sign in again",
        }),
    };
    let mut res = super::render(StatusCode::OK, &body);
    super::sign_in::add_cookie(&mut res, &clear);
    res
}

#[derive(Template)]
#[template(path = "account/continue.html")]
struct ContinuePage {
    layout: super::Layout,
    href: String,
}

/// `POST {issuer}/account/link` `upstream`: begins a round trip through
/// that upstream whose identity the callback links to this user. The
/// answer is a page that goes on to the upstream (a redirect would be
/// blocked by the account pages' `form-action 'self'`), with the binding
/// cookie.
pub(crate) async fn link<S: Backend>(page: &Page<'_, S>, req: &Request<Bytes>) -> Response<Bytes> {
    let form = Params::parse(req.body());
    let upstream = field(&form, "upstream");
    let started = page
        .app
        .provider
        .begin_upstream_link(page.account, upstream, req.headers())
        .await;
    let redirect = match started {
        Ok(res) => res,
        Err(f) => return crate::pages::upstream::failure_page(&f),
    };
    let href = redirect
        .headers()
        .get(http::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = ContinuePage {
        layout: page.layout("Link an account", None),
        href,
    };
    let mut res = page.render(StatusCode::OK, &body);
    for c in redirect.headers().get_all(http::header::SET_COOKIE) {
        res.headers_mut()
            .append(http::header::SET_COOKIE, c.clone());
    }
    res
}

/// `POST {issuer}/account/unlink` `upstream`, `subject`: unlinks that
/// identity, never the last way to sign in.
pub(crate) async fn unlink<S: Backend>(
    page: &Page<'_, S>,
    req: &Request<Bytes>,
) -> Response<Bytes> {
    let form = Params::parse(req.body());
    let (upstream, subject) = (field(&form, "upstream"), field(&form, "subject"));
    match page
        .app
        .provider
        .unlink_identity(page.account, upstream, subject, page.from)
        .await
    {
        Ok(()) => page.done("unlinked"),
        Err(AccountError::Invalid(errors)) => {
            let typed = Typed { name: None, errors };
            overview::render(page, StatusCode::CONFLICT, &typed, None).await
        }
        Err(e) => super::failure(page.app, Some(page.tenant), &e),
    }
}

/// A form field's value, empty when missing or repeated.
fn field<'a>(form: &'a Params, name: &'static str) -> &'a str {
    form.single(name).ok().flatten().unwrap_or_default()
}
