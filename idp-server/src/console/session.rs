//! Signing in to the console: the console is the platform tenant's
//! first-party client `console` ([`idp_core::first_party`]), so an operator
//! signs in through the authorization code flow with PKCE (S256) on the
//! platform's own login page, and the code is redeemed at the platform's
//! token endpoint, in process.
//!
//! The console session is the platform session the sign-in started: the
//! browser holds a cookie sealed with the master key that names it (its
//! `sid`) and the user; every request checks that session in the store
//! ([`Provider::operator_in_session`](idp_core::Provider::operator_in_session)),
//! so signing out, revoking the operator's sessions or disabling the
//! operator ends console access at once, on every instance.

use super::{PREFIX, path_of};
use crate::app::App;
use crate::backend::Backend;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode};
use idp_core::first_party::{FirstParty, SIGN_IN_LIFETIME, SignInError};
use idp_core::jose::{b64, b64_decode};
use idp_core::platform::{Operator, PLATFORM_SLUG};
use idp_core::session::{cookie, set_cookie};
use serde::{Deserialize, Serialize};

/// The console session cookie (sealed [`Signed`]).
pub(crate) const SESSION_COOKIE: &str = "idp_console";
/// The sign-in in progress (sealed [`Pending`]), for the callback only.
const PENDING_COOKIE: &str = "idp_console_signin";
/// Where the master key binds each sealed cookie.
const SESSION_SEAL: &str = "console/session";

/// What the session cookie holds.
#[derive(Serialize, Deserialize)]
struct Signed {
    /// The platform session's public id (the ID token's `sid`).
    sid: String,
    /// The operator's user id (the ID token's `sub`).
    sub: String,
}

/// The session a request's cookie names, as `(sid, user id)`, if the
/// cookie was sealed by this platform (its master key).
pub(crate) fn session_of<S: Backend>(
    app: &App<S>,
    headers: &HeaderMap,
) -> Option<(String, String)> {
    let signed: Signed = open(app, cookie(headers, SESSION_COOKIE)?, SESSION_SEAL)?;
    Some((signed.sid, signed.sub))
}

/// The operator signed in to the console by this request's cookie, or
/// `Err(true)` when the store could not be read (a 503, not a sign-in
/// page), `Err(false)` when nobody is signed in.
pub(crate) async fn operator<S: Backend>(
    app: &App<S>,
    headers: &HeaderMap,
) -> Result<Operator, bool> {
    let (sid, sub) = session_of(app, headers).ok_or(false)?;
    match app.provider.operator_in_session(&sid, &sub).await {
        Ok(operator) => Ok(operator),
        Err(idp_core::api_key::Denied::Unavailable) => Err(true),
        Err(_) => Err(false),
    }
}

/// `GET /admin/login`: starts a sign-in at the platform's authorization
/// endpoint (idp-core's first-party sign-in), the sign-in kept in a sealed
/// cookie that only the callback receives.
pub(crate) async fn start<S: Backend>(app: &App<S>, req: &Request<Bytes>) -> Response<Bytes> {
    let Some(platform) = platform(app).await else {
        return super::page::unavailable();
    };
    let back_to = idp_core::wire::Params::parse(req.uri().query().unwrap_or_default().as_bytes())
        .single("back_to")
        .ok()
        .flatten()
        .filter(|p| is_console_page(&app.base_path, p))
        .map_or_else(|| path_of(app, ""), str::to_owned);
    let started = match app
        .provider
        .begin_first_party_sign_in(&platform, FirstParty::Console, &back_to)
        .await
    {
        Ok(started) => started,
        Err(_) => return super::page::unavailable(),
    };
    let mut res = idp_core::wire::redirect(&started.location, StatusCode::SEE_OTHER);
    add_cookie(
        &mut res,
        &set_cookie(
            PENDING_COOKIE,
            &started.sealed,
            &callback_path(app),
            SIGN_IN_LIFETIME,
            app.secure_cookies,
        ),
    );
    res
}

/// `GET /admin/callback`: finishes the sign-in (state, the code with its
/// PKCE verifier, the ID token's nonce) and starts the console session on
/// the platform session it opened. The sign-in cookie is spent either way.
pub(crate) async fn callback<S: Backend>(app: &App<S>, req: &Request<Bytes>) -> Response<Bytes> {
    let mut res = finish(app, req).await;
    add_cookie(&mut res, &clear(PENDING_COOKIE, &callback_path(app), app));
    res
}

async fn finish<S: Backend>(app: &App<S>, req: &Request<Bytes>) -> Response<Bytes> {
    let Some(platform) = platform(app).await else {
        return super::page::unavailable();
    };
    let params = idp_core::wire::Params::parse(req.uri().query().unwrap_or_default().as_bytes());
    let sealed = cookie(req.headers(), PENDING_COOKIE);
    let signed_in = match app
        .provider
        .finish_first_party_sign_in(&platform, FirstParty::Console, sealed, &params)
        .await
    {
        Ok(signed_in) => signed_in,
        Err(e) => {
            let (status, text) = match e {
                SignInError::Expired => (
                    StatusCode::BAD_REQUEST,
                    "This sign-in has expired. Sign in again.",
                ),
                SignInError::Cancelled => (
                    StatusCode::OK,
                    "Sign-in was cancelled. Sign in again when you are ready.",
                ),
                SignInError::Mismatch => (
                    StatusCode::BAD_REQUEST,
                    "This sign-in does not match the one this browser started. Sign in again.",
                ),
                SignInError::Refused => (
                    StatusCode::BAD_REQUEST,
                    "The sign-in could not be completed. Sign in again.",
                ),
                SignInError::Unavailable => return super::page::unavailable(),
            };
            return super::page::signed_out_with(app, status, text);
        }
    };
    let signed = Signed {
        sid: signed_in.sid,
        sub: signed_in.sub,
    };
    let Some(sealed) = seal(app, &signed, SESSION_SEAL) else {
        return super::page::unavailable();
    };
    let lifetime = app.provider.config().lifetimes.session;
    let mut res = idp_core::wire::redirect(&signed_in.back_to, StatusCode::SEE_OTHER);
    add_cookie(
        &mut res,
        &set_cookie(
            SESSION_COOKIE,
            &sealed,
            &path_of(app, ""),
            lifetime,
            app.secure_cookies,
        ),
    );
    res
}

/// The platform tenant (made at every start).
async fn platform<S: Backend>(
    app: &App<S>,
) -> Option<std::sync::Arc<idp_core::tenant::TenantContext>> {
    match app.provider.tenant(PLATFORM_SLUG).await {
        Ok(Some(platform)) => Some(platform),
        Ok(None) => None,
        Err(e) => {
            tracing::warn!(error = %e, "the platform tenant cannot be read");
            None
        }
    }
}

/// `POST /admin/logout` (CSRF checked by the caller): ends the platform
/// session the console session is (its refresh tokens with it) and clears
/// the cookie.
pub(crate) async fn sign_out<S: Backend>(app: &App<S>, req: &Request<Bytes>) -> Response<Bytes> {
    if let Some((sid, sub)) = session_of(app, req.headers()) {
        let email = match operator(app, req.headers()).await {
            Ok(o) => o.email,
            Err(_) => String::new(),
        };
        let ctx = idp_core::AuditContext::operator(
            &sub,
            &email,
            req.extensions()
                .get::<crate::forwarded::ClientAddr>()
                .map(|a| a.0.to_string()),
            None,
        );
        if let Err(e) = app
            .provider
            .admin()
            .revoke_session(&ctx, PLATFORM_SLUG, &sid)
            .await
        {
            tracing::debug!(error = %e, "the console session had already ended");
        }
    }
    let mut res = super::page::signed_out_with(app, StatusCode::OK, "You are signed out.");
    add_cookie(&mut res, &clear(SESSION_COOKIE, &path_of(app, ""), app));
    res
}

/// Whether `path` is a console page to come back to after signing in (not
/// another site, not the sign-in paths themselves).
fn is_console_page(base_path: &str, path: &str) -> bool {
    let console = format!("{base_path}{PREFIX}");
    (path == console || path.starts_with(&format!("{console}/")))
        && !path.contains("//")
        && !path.contains('\\')
        && !path.ends_with("/login")
        && !path.ends_with("/callback")
}

fn callback_path<S: Backend>(app: &App<S>) -> String {
    path_of(app, "/callback")
}

fn seal<S: Backend, T: Serialize>(app: &App<S>, value: &T, at: &str) -> Option<String> {
    let json = serde_json::to_vec(value).ok()?;
    let sealed = app
        .provider
        .config()
        .master_key
        .seal_platform(&json, at)
        .ok()?;
    Some(b64(&sealed))
}

fn open<S: Backend, T: for<'de> Deserialize<'de>>(
    app: &App<S>,
    value: &str,
    at: &str,
) -> Option<T> {
    let sealed = b64_decode(value)?;
    let json = app
        .provider
        .config()
        .master_key
        .open_platform(&sealed, at)
        .ok()?;
    serde_json::from_slice(&json).ok()
}

fn clear<S: Backend>(name: &str, path: &str, app: &App<S>) -> String {
    set_cookie(name, "", path, 0, app.secure_cookies)
}

pub(crate) fn add_cookie(res: &mut Response<Bytes>, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        res.headers_mut().append(http::header::SET_COOKIE, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_only_to_console_pages() {
        assert!(is_console_page("", "/admin"));
        assert!(is_console_page("", "/admin/tenants/acme"));
        assert!(is_console_page("/idp", "/idp/admin/audit"));
        assert!(!is_console_page("", "/admin/login"));
        assert!(!is_console_page("", "//evil.example/admin"));
        assert!(!is_console_page("", "/administrator"));
        assert!(!is_console_page("", "https://evil.example/admin"));
        assert!(!is_console_page("/idp", "/admin"));
    }
}
