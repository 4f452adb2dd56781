//! Signing in to the account page: the page is the tenant's first-party
//! client `account` ([`idp_core::first_party`]), so a user without a
//! session is sent through the tenant's authorization endpoint (code flow,
//! PKCE S256, `state`, `nonce`) to its own login page, and comes back to
//! `{issuer}/account/callback`, where the code is redeemed at the tenant's
//! token endpoint in process.
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
use aws_lc_rs::digest;
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use idp_core::account::AccountError;
use idp_core::crypto::{random, secret::SecretHash};
use idp_core::endpoint::Endpoint;
use idp_core::first_party::FirstParty;
use idp_core::jose::{b64, b64_decode};
use idp_core::session::{cookie, set_cookie};
use idp_core::tenant::TenantContext;
use serde::{Deserialize, Serialize};

/// The sign-in in progress (sealed [`Pending`]).
const PENDING_COOKIE: &str = "idp_account_signin";
/// How long a sign-in may take from the redirect to the callback.
const PENDING_LIFETIME: i64 = 600;

/// What the cookie holds between the redirect and the callback.
#[derive(Serialize, Deserialize)]
struct Pending {
    state: String,
    nonce: String,
    verifier: String,
    /// Unix time after which the callback refuses it (the cookie's
    /// `Max-Age` is only the browser's promise).
    expires_at: i64,
}

/// `GET {issuer}/account` without a session: sends the browser to the
/// tenant's authorization endpoint, remembering the sign-in in a cookie.
pub(crate) async fn start<S: Backend>(app: &App<S>, tenant: &TenantContext) -> Response<Bytes> {
    let slug = &tenant.record.slug;
    if let Err(e) = app
        .provider
        .admin()
        .ensure_first_party_client(slug, FirstParty::Account)
        .await
    {
        tracing::error!(error = %e, tenant = %slug, "the account page's client cannot be made");
        return super::failure(app, Some(tenant), &AccountError::Unavailable);
    }
    let pending = Pending {
        state: random::token(24),
        nonce: random::token(24),
        verifier: random::token(32),
        expires_at: app.provider.admin().now() + PENDING_LIFETIME,
    };
    let challenge = b64(digest::digest(&digest::SHA256, pending.verifier.as_bytes()).as_ref());
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", FirstParty::Account.client_id())
        .append_pair("redirect_uri", &tenant.url(Endpoint::AccountCallback))
        .append_pair("scope", "openid")
        .append_pair("state", &pending.state)
        .append_pair("nonce", &pending.nonce)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        .finish();
    let Some(sealed) = seal(app, tenant, &pending) else {
        return super::failure(app, Some(tenant), &AccountError::Internal("seal".into()));
    };
    let location = format!("{}?{query}", tenant.url(Endpoint::Authorize));
    let mut res = idp_core::wire::redirect(&location, StatusCode::SEE_OTHER);
    add_cookie(
        &mut res,
        &set_cookie(
            PENDING_COOKIE,
            &sealed,
            &account_path(&tenant.path),
            PENDING_LIFETIME,
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
    let get = |name: &'static str| params.single(name).ok().flatten().unwrap_or_default();
    let refused = |text: &str| {
        plain_message(
            app,
            tenant,
            StatusCode::BAD_REQUEST,
            "Sign-in not completed",
            text,
        )
    };
    let now = app.provider.admin().now();
    let pending = cookie(req.headers(), PENDING_COOKIE)
        .and_then(|c| open(app, tenant, c))
        .filter(|p| p.expires_at >= now);
    let Some(pending) = pending else {
        return refused(
            "This sign-in has expired, or was not started in this browser. Sign in again.",
        );
    };
    if !get("error").is_empty() {
        return cancelled(app, tenant);
    }
    let (state, iss) = (get("state"), get("iss"));
    if state.is_empty()
        || !SecretHash::of(&pending.state).matches(state)
        || (!iss.is_empty() && iss != tenant.issuer)
    {
        return refused("This sign-in does not match the one this browser started. Sign in again.");
    }
    let Some(sid) = redeem(app, tenant, get("code"), &pending).await else {
        return refused("The sign-in could not be completed. Sign in again.");
    };
    match app
        .provider
        .account_session(&tenant.record.slug, req.headers())
        .await
    {
        Ok(Some(account)) if account.session_id() == sid => {
            idp_core::wire::redirect(&account_path(&tenant.path), StatusCode::SEE_OTHER)
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

/// Redeems `code` at the tenant's token endpoint (in process, so over no
/// network) and returns the ID token's `sid` if its `nonce` is ours.
async fn redeem<S: Backend>(
    app: &App<S>,
    tenant: &TenantContext,
    code: &str,
    pending: &Pending,
) -> Option<String> {
    let form: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "authorization_code")
        .append_pair("code", code)
        .append_pair("redirect_uri", &tenant.url(Endpoint::AccountCallback))
        .append_pair("client_id", FirstParty::Account.client_id())
        .append_pair("code_verifier", &pending.verifier)
        .finish();
    let req = Request::builder()
        .method(Method::POST)
        .uri(format!("{}token", tenant.path))
        .header(
            http::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(Bytes::from(form))
        .ok()?;
    let res = app.provider.handle(req).await;
    if res.status() != StatusCode::OK {
        tracing::info!(status = %res.status(), "the account page's code was refused");
        return None;
    }
    let body: serde_json::Value = serde_json::from_slice(res.body()).ok()?;
    let id_token = body["id_token"].as_str()?;
    let claims: serde_json::Value =
        serde_json::from_slice(&b64_decode(id_token.split('.').nth(1)?)?).ok()?;
    if claims["nonce"].as_str() != Some(pending.nonce.as_str()) {
        tracing::info!("the account page's ID token has another nonce");
        return None;
    }
    claims["sid"].as_str().map(str::to_owned)
}

/// Where the master key binds the sign-in cookie: this tenant's account
/// page only.
fn seal_location(tenant: &TenantContext) -> String {
    format!("account/sign-in/{}", tenant.record.id.as_str())
}

fn seal<S: Backend>(app: &App<S>, tenant: &TenantContext, pending: &Pending) -> Option<String> {
    let json = serde_json::to_vec(pending).ok()?;
    let sealed = app
        .provider
        .config()
        .master_key
        .seal_platform(&json, &seal_location(tenant))
        .ok()?;
    Some(b64(&sealed))
}

fn open<S: Backend>(app: &App<S>, tenant: &TenantContext, value: &str) -> Option<Pending> {
    let sealed = b64_decode(value)?;
    let json = app
        .provider
        .config()
        .master_key
        .open_platform(&sealed, &seal_location(tenant))
        .ok()?;
    serde_json::from_slice(&json).ok()
}

pub(crate) fn add_cookie(res: &mut Response<Bytes>, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        res.headers_mut().append(http::header::SET_COOKIE, v);
    }
}
