//! The end-session endpoint's pages (RP-Initiated Logout 1.0): idp-core
//! validates the request and decides whether to ask; this renders the
//! question and the "signed out" page, or redirects to the RP.
//!
//! When relying parties of the session registered a front-channel logout
//! URI (Front-Channel Logout 1.0 §3), the "signed out" page loads each in an
//! iframe (`frame-src` limited to their origins, still no script) and, if
//! the RP gave a `post_logout_redirect_uri`, continues there after a short
//! `<meta http-equiv="refresh">` delay, `state` included, with a link for
//! browsers that do not refresh.

use super::{
    LogoutConfirmPage, LogoutDonePage, csrf, csrf_failed, html_framing, message_for, page_error,
    render,
};
use crate::app::App;
use crate::backend::Backend;
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use idp_core::LogoutOutcome;
use idp_core::logout::LogoutError;
use idp_core::wire::{self, Params};

fn outcome<S: Backend>(
    app: &App<S>,
    req: &Request<Bytes>,
    result: Result<LogoutOutcome, LogoutError>,
) -> Response<Bytes> {
    match result {
        Ok(LogoutOutcome::Done {
            redirect,
            frontchannel,
            clear_cookie,
            tenant_name,
        }) => {
            let mut res = if !frontchannel.is_empty() {
                frontchannel_page(&tenant_name, &frontchannel, redirect.as_deref())
            } else if let Some(uri) = redirect {
                wire::redirect(&uri, StatusCode::SEE_OTHER)
            } else {
                message_for(
                    &tenant_name,
                    StatusCode::OK,
                    "You are signed out",
                    "You can close this page.",
                )
            };
            if let Ok(v) = HeaderValue::from_str(&clear_cookie) {
                res.headers_mut().append(http::header::SET_COOKIE, v);
            }
            res
        }
        Ok(LogoutOutcome::Confirm {
            request,
            client_name,
            user_email,
            tenant_name,
            tenant_path,
        }) => {
            let token = csrf::token(req.headers(), &tenant_path, app.secure_cookies);
            let mut hidden = Vec::new();
            if let Some(v) = &request.id_token_hint {
                hidden.push(("id_token_hint", v.as_str()));
            }
            if let Some(v) = &request.client_id {
                hidden.push(("client_id", v.as_str()));
            }
            if let Some(v) = &request.post_logout_redirect_uri {
                hidden.push(("post_logout_redirect_uri", v.as_str()));
            }
            if let Some(v) = &request.state {
                hidden.push(("state", v.as_str()));
            }
            let page = LogoutConfirmPage {
                tenant_name: &tenant_name,
                client_name: client_name.as_deref(),
                user_email: user_email.as_deref(),
                hidden,
                action: format!("{tenant_path}logout/confirm"),
                csrf: &token.value,
            };
            csrf::attach(render(StatusCode::OK, &page), &token)
        }
        Err(LogoutError::UnknownTenant) => message_for(
            "Sign out",
            StatusCode::NOT_FOUND,
            "Not found",
            "There is no such sign-out page.",
        ),
        Err(LogoutError::Invalid(why)) => message_for(
            "Sign out",
            StatusCode::BAD_REQUEST,
            "This sign-out request is not valid",
            &why,
        ),
        Err(LogoutError::Internal) => message_for(
            "Sign out",
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            "Please try again in a moment.",
        ),
    }
}

/// Seconds the front-channel page waits before continuing to the RP: time
/// for the iframes to load.
const FRONTCHANNEL_DELAY: u32 = 2;

/// The "signed out" page that loads the RPs' front-channel logout URIs.
fn frontchannel_page(
    tenant_name: &str,
    frontchannel: &[String],
    redirect: Option<&str>,
) -> Response<Bytes> {
    let mut origins: Vec<String> = frontchannel
        .iter()
        .filter_map(|u| url::Url::parse(u).ok())
        .map(|u| u.origin().ascii_serialization())
        .collect();
    origins.sort();
    origins.dedup();
    let page = LogoutDonePage {
        tenant_name,
        frontchannel,
        redirect,
        delay: FRONTCHANNEL_DELAY,
    };
    match askama::Template::render(&page) {
        Ok(body) => html_framing(StatusCode::OK, body, &origins),
        Err(_) => page_error(idp_core::PageError::Internal),
    }
}

/// Serves `{issuer}/logout` (GET or POST) and `{issuer}/logout/confirm` (POST).
pub async fn logout<S: Backend>(
    app: &App<S>,
    req: Request<Bytes>,
    slug: &str,
    confirm: bool,
) -> Response<Bytes> {
    let provider = &app.provider;
    match (req.method().clone(), confirm) {
        (Method::GET, false) => {
            let params = Params::parse(req.uri().query().unwrap_or("").as_bytes());
            let result = provider.logout_request(slug, &params, req.headers()).await;
            outcome(app, &req, result)
        }
        (Method::POST, false) => {
            let params = Params::parse(req.body());
            let result = provider.logout_request(slug, &params, req.headers()).await;
            outcome(app, &req, result)
        }
        (Method::POST, true) => {
            let form = Params::parse(req.body());
            if !csrf::verify(req.headers(), &form) {
                return csrf_failed();
            }
            if form.single("decision").ok().flatten() != Some("logout") {
                return message_for(
                    "Sign out",
                    StatusCode::OK,
                    "You are still signed in",
                    "You can close this page.",
                );
            }
            let result = provider.confirm_logout(slug, &form, req.headers()).await;
            outcome(app, &req, result)
        }
        _ => message_for(
            "Sign out",
            StatusCode::METHOD_NOT_ALLOWED,
            "Not allowed",
            "This page cannot be used that way.",
        ),
    }
}
