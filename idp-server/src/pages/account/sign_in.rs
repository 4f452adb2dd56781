//! Signing in to the account page: the page is the tenant's first-party
//! client `account` ([`idp_core::first_party`]), so a user without a
//! session is sent through the tenant's authorization endpoint (code flow,
//! PKCE S256, `state`, `nonce`) to its own login page, and comes back to
//! `{issuer}/account/callback`, where the code is redeemed at the tenant's
//! token endpoint in process (both halves are idp-core's first-party
//! sign-in, shared with the console: `Provider::begin_first_party_sign_in`
//! and `Provider::finish_first_party_sign_in`).
//!
//! What the sign-in proves is kept by the tenant's login session, whose
//! cookie the login page set: the callback checks that the ID token's
//! `sid` is the session this browser now holds, and the account page reads
//! that session on every request. The tokens themselves are not kept.
//!
//! Between the redirect and the callback, `state`, `nonce` and the PKCE
//! verifier wait in a cookie sealed with the master key (bound to the
//! tenant, carrying its own expiry), path `{issuer path}/account`: only
//! this tenant's account pages receive it, and the callback uses it once.

use super::{Link, MessagePage, account_path, plain_message, render, stylesheet};
use crate::app::App;
use crate::backend::Backend;
use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode};
use idp_core::account::AccountError;
use idp_core::first_party::{FirstParty, SIGN_IN_LIFETIME, SignInError};
use idp_core::session::{cookie, set_cookie};
use idp_core::tenant::TenantContext;

/// The sign-in in progress (sealed [`Pending`]).
const PENDING_COOKIE: &str = "idp_account_signin";

/// `GET {issuer}/account` without a session: sends the browser to the
/// tenant's authorization endpoint (idp-core's first-party sign-in),
/// remembering the sign-in in a cookie.
pub(crate) async fn start<S: Backend>(app: &App<S>, tenant: &TenantContext) -> Response<Bytes> {
    let back_to = account_path(&tenant.path);
    let started = match app
        .provider
        .begin_first_party_sign_in(tenant, FirstParty::Account, &back_to)
        .await
    {
        Ok(started) => started,
        Err(_) => return super::failure(app, Some(tenant), &AccountError::Unavailable),
    };
    let mut res = idp_core::wire::redirect(&started.location, StatusCode::SEE_OTHER);
    add_cookie(
        &mut res,
        &set_cookie(
            PENDING_COOKIE,
            &started.sealed,
            &account_path(&tenant.path),
            SIGN_IN_LIFETIME,
            app.secure_cookies,
        ),
    );
    res
}

/// `GET {issuer}/account/callback`: checks `state` (and `iss`, RFC 9207),
/// redeems the code with the PKCE verifier, checks the ID token's `nonce`
/// and that its session is the one this browser holds, then opens the
/// account page. Anything else is a page saying so (400), never an error
/// of the server; the sign-in cookie is spent either way.
pub(crate) async fn callback<S: Backend>(
    app: &App<S>,
    req: &Request<Bytes>,
    tenant: &TenantContext,
) -> Response<Bytes> {
    let mut res = finish(app, req, tenant).await;
    add_cookie(
        &mut res,
        &set_cookie(
            PENDING_COOKIE,
            "",
            &account_path(&tenant.path),
            0,
            app.secure_cookies,
        ),
    );
    res
}

async fn finish<S: Backend>(
    app: &App<S>,
    req: &Request<Bytes>,
    tenant: &TenantContext,
) -> Response<Bytes> {
    let params = idp_core::wire::Params::parse(req.uri().query().unwrap_or_default().as_bytes());
    let refused = |text: &str| {
        plain_message(
            app,
            tenant,
            StatusCode::BAD_REQUEST,
            "Sign-in not completed",
            text,
        )
    };
    let sealed = cookie(req.headers(), PENDING_COOKIE);
    let signed_in = match app
        .provider
        .finish_first_party_sign_in(tenant, FirstParty::Account, sealed, &params)
        .await
    {
        Ok(signed_in) => signed_in,
        Err(SignInError::Expired) => {
            return refused(
                "This sign-in has expired, or was not started in this browser. Sign in again.",
            );
        }
        Err(SignInError::Cancelled) => return cancelled(app, tenant),
        Err(SignInError::Mismatch) => {
            return refused(
                "This sign-in does not match the one this browser started. Sign in again.",
            );
        }
        Err(SignInError::Refused) => {
            return refused("The sign-in could not be completed. Sign in again.");
        }
        Err(SignInError::Unavailable) => {
            return super::failure(app, Some(tenant), &AccountError::Unavailable);
        }
    };
    match app
        .provider
        .account_session(&tenant.record.slug, req.headers())
        .await
    {
        Ok(Some(account)) if account.session_id() == signed_in.sid => {
            idp_core::wire::redirect(&signed_in.back_to, StatusCode::SEE_OTHER)
        }
        Ok(_) => refused(
            "Your browser did not keep the sign-in. Allow cookies for this site and sign in again.",
        ),
        Err(e) => super::failure(app, Some(tenant), &e),
    }
}

/// The user cancelled on the login page.
fn cancelled<S: Backend>(app: &App<S>, tenant: &TenantContext) -> Response<Bytes> {
    let page = MessagePage {
        layout: super::Layout {
            title: "Sign-in cancelled".to_owned(),
            tenant_name: tenant.record.name.clone(),
            stylesheet: stylesheet(app),
            account_path: account_path(&tenant.path),
            csrf: String::new(),
            email: None,
            notice: None,
        },
        text: "You did not sign in. Sign in when you are ready to see your account.",
        link: Some(Link {
            id: "sign-in",
            href: account_path(&tenant.path),
            label: "Sign in",
        }),
    };
    render(StatusCode::OK, &page)
}

pub(crate) fn add_cookie(res: &mut Response<Bytes>, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        res.headers_mut().append(http::header::SET_COOKIE, v);
    }
}
