//! The login and consent pages of an authorization request suspended by
//! idp-core (an interaction).

use super::{ConsentPage, LoginPage, csrf, describe, html, message, page_error};
use crate::app::App;
use crate::backend::Backend;
use crate::forwarded::ClientAddr;
use crate::rate_limit;
use askama::Template;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use idp_core::telemetry::LoginFailure;
use idp_core::wire::Params;
use idp_core::{InteractionView, LoginOutcome, PageError, Stage};

fn render_view(
    view: &InteractionView,
    id: &str,
    csrf: &csrf::CsrfToken,
    username: &str,
    error: Option<&str>,
    notice: Option<&str>,
) -> Response<Bytes> {
    let base = format!("{}interaction/{id}", view.tenant_path);
    let body = match view.stage {
        Stage::Login => LoginPage {
            tenant_name: &view.tenant_name,
            client_name: &view.client_name,
            action: format!("{base}/login"),
            cancel_action: Some(format!("{base}/cancel")),
            hidden: Vec::new(),
            csrf: &csrf.value,
            username: if username.is_empty() {
                view.login_hint.as_deref().unwrap_or("")
            } else {
                username
            },
            error,
            notice,
            upstream_action: Some(format!("{base}/upstream")),
            upstreams: view
                .upstreams
                .iter()
                .map(|u| (u.id.as_str(), u.name.as_str()))
                .collect(),
            password_login: view.password_login,
            no_password: view.upstreams.is_empty().then_some(NO_WAY_IN),
        }
        .render(),
        Stage::Consent => ConsentPage {
            tenant_name: &view.tenant_name,
            client_name: &view.client_name,
            redirect_host: &view.redirect_host,
            user_email: view.user_email.as_deref().unwrap_or(""),
            scopes: view
                .scopes
                .iter()
                .map(|s| (s.as_str(), describe(s)))
                .collect(),
            action: format!("{base}/consent"),
            csrf: &csrf.value,
        }
        .render(),
    };
    let Ok(body) = body else {
        return page_error(PageError::Internal);
    };
    let status = if error.is_some() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    csrf::attach(html(status, body), csrf)
}

/// An upstream-only tenant's login page with no upstream to continue with
/// (its last one was deleted): nobody can sign in until an administrator
/// adds one or turns password login back on.
const NO_WAY_IN: &str =
    "This organisation has no way to sign in set up yet. Ask its administrator.";

/// The notice after an upstream identity whose email belongs to an
/// existing account could not be linked automatically.
const SIGN_IN_FIRST: &str = "An account with this email already exists here. Sign in with your password to link the account you just used to it.";

/// [`SIGN_IN_FIRST`] where passwords are off (an upstream-only tenant): the
/// person links from their account page once signed in the usual way.
const SIGN_IN_FIRST_UPSTREAM_ONLY: &str = "An account with this email already exists here. Sign in the way you did before, then link the account you just used from your account page.";

/// Serves `{issuer}/interaction/{id}[/login|/consent|/cancel|/upstream]`.
pub async fn interaction<S: Backend>(
    app: &App<S>,
    req: Request<Bytes>,
    slug: &str,
    id: &str,
    action: Option<&str>,
) -> Response<Bytes> {
    let provider = &app.provider;
    let headers = req.headers();
    match (req.method().clone(), action) {
        (Method::GET, None) => match provider.interaction(slug, id, headers).await {
            Ok(view) => {
                let token = csrf::token(headers, &view.tenant_path, app.secure_cookies);
                let query = Params::parse(req.uri().query().unwrap_or_default().as_bytes());
                let notice = (query.single("notice").ok().flatten()
                    == Some(idp_core::upstream::sign_in::NOTICE_SIGN_IN_FIRST))
                .then_some(if view.password_login {
                    SIGN_IN_FIRST
                } else {
                    SIGN_IN_FIRST_UPSTREAM_ONLY
                });
                render_view(&view, id, &token, "", None, notice)
            }
            Err(e) => page_error(e),
        },
        (Method::POST, Some(step @ ("login" | "consent" | "cancel" | "upstream"))) => {
            let form = Params::parse(req.body());
            if !csrf::verify(headers, &form) {
                if step == "login" {
                    LoginFailure::Csrf.record();
                }
                return message(
                    StatusCode::FORBIDDEN,
                    "This form has expired",
                    "Go back, reload the page and try again.",
                );
            }
            let result = match step {
                "login" => {
                    let username = form.single("username").ok().flatten().unwrap_or("");
                    let password = form.single("password").ok().flatten().unwrap_or("");
                    let ip = req.extensions().get::<ClientAddr>().map(|c| c.0);
                    match provider
                        .submit_login_from(slug, id, username, password, ip, headers)
                        .await
                    {
                        Ok(LoginOutcome::Continue(res)) => Ok(res),
                        Ok(LoginOutcome::Locked { view, retry_after }) => {
                            let token = csrf::token(headers, &view.tenant_path, app.secure_cookies);
                            let text = rate_limit::lockout_message(retry_after);
                            let page = render_view(&view, id, &token, username, Some(&text), None);
                            Ok(rate_limit::refused(page, retry_after))
                        }
                        Ok(LoginOutcome::Rejected(view)) => {
                            let token = csrf::token(headers, &view.tenant_path, app.secure_cookies);
                            Ok(render_view(
                                &view,
                                id,
                                &token,
                                username,
                                Some(if view.password_login {
                                    "Wrong email or password."
                                } else {
                                    idp_core::upstream::password_login::REFUSED
                                }),
                                None,
                            ))
                        }
                        Err(e) => Err(e),
                    }
                }
                "upstream" => {
                    let upstream = form.single("upstream").ok().flatten().unwrap_or("");
                    return match provider
                        .begin_upstream_sign_in(slug, id, upstream, headers)
                        .await
                    {
                        Ok(res) => res,
                        Err(f) => super::upstream::failure_page(&f),
                    };
                }
                "consent" => {
                    let approve = form.single("decision").ok().flatten() == Some("allow");
                    provider.submit_consent(slug, id, headers, approve).await
                }
                _ => provider.cancel_interaction(slug, id).await,
            };
            result.unwrap_or_else(page_error)
        }
        _ => message(
            StatusCode::METHOD_NOT_ALLOWED,
            "Not allowed",
            "This page cannot be used that way.",
        ),
    }
}
