//! The device verification pages (RFC 8628 §3.3): enter the user code, sign
//! in if needed, approve or deny. Every step re-checks the code through
//! idp-core, which counts wrong codes per address and browser.

use super::{
    DeviceConfirmPage, DeviceEntryPage, LoginPage, csrf, csrf_failed, describe, message_for, render,
};
use crate::app::App;
use crate::backend::Backend;
use crate::forwarded::ClientAddr;
use crate::rate_limit;
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use idp_core::telemetry::LoginFailure;
use idp_core::wire::Params;
use idp_core::{Attempter, DeviceError, DeviceSignIn, DeviceView};

fn attempter(req: &Request<Bytes>) -> Attempter {
    Attempter {
        ip: req
            .extensions()
            .get::<ClientAddr>()
            .map(|a| a.0.to_string()),
        browser: idp_core::session::cookie(req.headers(), csrf::CSRF_COOKIE).map(str::to_owned),
    }
}

fn entry_page(
    tenant_name: &str,
    tenant_path: &str,
    token: &csrf::CsrfToken,
    user_code: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response<Bytes> {
    let page = DeviceEntryPage {
        tenant_name,
        action: format!("{tenant_path}device"),
        csrf: &token.value,
        user_code,
        error,
    };
    csrf::attach(render(status, &page), token)
}

fn confirm_page(view: &DeviceView, token: &csrf::CsrfToken) -> Response<Bytes> {
    let page = DeviceConfirmPage {
        tenant_name: &view.tenant_name,
        client_name: &view.client_name,
        user_email: view.user_email.as_deref().unwrap_or(""),
        user_code: &view.user_code,
        scopes: view
            .scopes
            .iter()
            .map(|s| (s.as_str(), describe(s)))
            .collect(),
        action: format!("{}device/decision", view.tenant_path),
        csrf: &token.value,
    };
    csrf::attach(render(StatusCode::OK, &page), token)
}

/// The device page of an upstream-only tenant, in place of the password
/// form: it offers no upstream sign-in of its own.
const NO_PASSWORD: &str = "This organisation does not use passwords. Sign in on one of its applications in this browser first, then enter the code again.";

fn login_page(
    view: &DeviceView,
    token: &csrf::CsrfToken,
    username: &str,
    error: Option<&str>,
) -> Response<Bytes> {
    let page = LoginPage {
        tenant_name: &view.tenant_name,
        client_name: &view.client_name,
        action: format!("{}device/login", view.tenant_path),
        cancel_action: None,
        hidden: vec![("user_code", view.user_code.as_str())],
        csrf: &token.value,
        username,
        error,
        notice: None,
        upstream_action: None,
        upstreams: Vec::new(),
        password_login: view.password_login,
        no_password: Some(NO_PASSWORD),
    };
    let status = if error.is_some() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    csrf::attach(render(status, &page), token)
}

/// Serves `{issuer}/device[/login|/decision]`.
pub async fn device<S: Backend>(
    app: &App<S>,
    req: Request<Bytes>,
    slug: &str,
    step: Option<&str>,
) -> Response<Bytes> {
    let provider = &app.provider;
    let (tenant_name, tenant_path) = match provider.device_entry(slug).await {
        Ok(t) => t,
        Err(e) => return device_error(e, "Sign in", "/", &req, app),
    };
    let headers = req.headers();
    let token = csrf::token(headers, &tenant_path, app.secure_cookies);
    if req.method() == Method::GET && step.is_none() {
        let query = Params::parse(req.uri().query().unwrap_or("").as_bytes());
        let prefill = query.single("user_code").ok().flatten().unwrap_or("");
        return entry_page(
            &tenant_name,
            &tenant_path,
            &token,
            prefill,
            None,
            StatusCode::OK,
        );
    }
    if req.method() != Method::POST {
        return message_for(
            &tenant_name,
            StatusCode::METHOD_NOT_ALLOWED,
            "Not allowed",
            "This page cannot be used that way.",
        );
    }
    let form = Params::parse(req.body());
    if !csrf::verify(headers, &form) {
        if step == Some("login") {
            LoginFailure::Csrf.record();
        }
        return csrf_failed();
    }
    let who = attempter(&req);
    let typed = form.single("user_code").ok().flatten().unwrap_or("");
    let result = match step {
        None => provider
            .device_lookup(slug, typed, headers, &who)
            .await
            .map(|view| match view.user_email {
                Some(_) => confirm_page(&view, &token),
                None => login_page(&view, &token, "", None),
            }),
        Some("login") => {
            let username = form.single("username").ok().flatten().unwrap_or("");
            let password = form.single("password").ok().flatten().unwrap_or("");
            provider
                .device_sign_in(slug, typed, username, password, &who)
                .await
                .map(|outcome| match outcome {
                    DeviceSignIn::Rejected(view) => {
                        let text = if view.password_login {
                            "Wrong email or password."
                        } else {
                            "This organisation does not use passwords."
                        };
                        login_page(&view, &token, username, Some(text))
                    }
                    DeviceSignIn::Locked { view, retry_after } => {
                        let text = rate_limit::lockout_message(retry_after);
                        let page = login_page(&view, &token, username, Some(&text));
                        rate_limit::refused(page, retry_after)
                    }
                    DeviceSignIn::SignedIn { view, set_cookie } => {
                        let mut res = confirm_page(&view, &token);
                        if let Ok(v) = HeaderValue::from_str(&set_cookie) {
                            res.headers_mut().append(http::header::SET_COOKIE, v);
                        }
                        res
                    }
                })
        }
        Some("decision") => {
            let approve = form.single("decision").ok().flatten() == Some("allow");
            provider
                .device_decide(slug, typed, headers, &who, approve)
                .await
                .map(|view| {
                    if approve {
                        message_for(
                            &view.tenant_name,
                            StatusCode::OK,
                            "Device connected",
                            "You can return to your device; it is now signed in.",
                        )
                    } else {
                        message_for(
                            &view.tenant_name,
                            StatusCode::OK,
                            "Request denied",
                            "The device was not given access. You can close this page.",
                        )
                    }
                })
        }
        Some(_) => {
            return message_for(
                &tenant_name,
                StatusCode::NOT_FOUND,
                "Not found",
                "There is no such page.",
            );
        }
    };
    result.unwrap_or_else(|e| device_error(e, &tenant_name, &tenant_path, &req, app))
}

fn device_error<S: Backend>(
    e: DeviceError,
    tenant_name: &str,
    tenant_path: &str,
    req: &Request<Bytes>,
    app: &App<S>,
) -> Response<Bytes> {
    match e {
        DeviceError::UnknownTenant => message_for(
            tenant_name,
            StatusCode::NOT_FOUND,
            "Not found",
            "There is no such sign-in page.",
        ),
        DeviceError::InvalidCode => {
            let token = csrf::token(req.headers(), tenant_path, app.secure_cookies);
            entry_page(
                tenant_name,
                tenant_path,
                &token,
                "",
                Some("That code is not valid. Check the code on your device and try again."),
                StatusCode::BAD_REQUEST,
            )
        }
        DeviceError::TooManyAttempts(wait) => {
            let mut res = message_for(
                tenant_name,
                StatusCode::TOO_MANY_REQUESTS,
                "Too many wrong codes",
                "Wait a few minutes before you try again.",
            );
            if let Ok(v) = HeaderValue::from_str(&wait.max(1).to_string()) {
                res.headers_mut().insert(http::header::RETRY_AFTER, v);
            }
            res
        }
        DeviceError::NotSignedIn => message_for(
            tenant_name,
            StatusCode::FORBIDDEN,
            "Your session has ended",
            "Enter the code from your device again.",
        ),
        DeviceError::Internal => message_for(
            tenant_name,
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            "Please try again in a moment.",
        ),
    }
}
