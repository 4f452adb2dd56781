//! Upstream login's pages: the upstream's callback
//! (`GET {issuer}/upstream/{id}/callback`), and the failure page every
//! refused round trip shows (a status, one sentence, a way back). The
//! round trip is idp-core's ([`idp_core::upstream::sign_in`]); "Continue
//! with {name}" is the login page's ([`super::interaction`]), "Link
//! {name}" the account page's ([`super::account`]).

use super::{UpstreamFailurePage, html, page_error};
use crate::app::App;
use crate::backend::Backend;
use crate::forwarded::ClientAddr;
use askama::Template;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use idp_core::PageError;
use idp_core::upstream::sign_in::SignInFailure;

/// Serves the callback of the upstream `id` of the tenant `slug`.
pub async fn callback<S: Backend>(
    app: &App<S>,
    req: Request<Bytes>,
    slug: &str,
    id: &str,
) -> Response<Bytes> {
    if req.method() != Method::GET {
        return super::message(
            StatusCode::METHOD_NOT_ALLOWED,
            "Not allowed",
            "This page cannot be used that way.",
        );
    }
    let query = req.uri().query().unwrap_or_default().as_bytes();
    let from = req.extensions().get::<ClientAddr>().map(|c| c.0);
    match app
        .provider
        .finish_upstream(slug, id, query, req.headers(), from)
        .await
    {
        Ok(res) => res,
        Err(f) => failure_page(&f),
    }
}

/// The page of a refused round trip.
pub(crate) fn failure_page(f: &SignInFailure) -> Response<Bytes> {
    let page = UpstreamFailurePage {
        tenant_name: &f.tenant_name,
        title: f.refusal.title(),
        message: f.refusal.description(),
        back: f.back.as_ref().map(|b| (b.href.as_str(), b.label)),
    };
    match page.render() {
        Ok(body) => html(f.refusal.status(), body),
        Err(_) => page_error(PageError::Internal),
    }
}
