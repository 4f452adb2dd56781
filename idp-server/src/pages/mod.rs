//! The pages a person sees during sign-in: login and consent. They render an
//! interaction that idp-core suspended and hand the answers back to it; no
//! protocol decision is made here. Plain HTML forms, no JavaScript, stable
//! ids (`username`, `password`, `allow`, `deny`) for browser automation.

pub mod csrf;

use crate::app::App;
use askama::Template;
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use idp_core::wire::Params;
use idp_core::{InteractionView, LoginOutcome, PageError, Stage};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    tenant_name: &'a str,
    client_name: &'a str,
    action: String,
    cancel_action: String,
    csrf: &'a str,
    username: &'a str,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "consent.html")]
struct ConsentPage<'a> {
    tenant_name: &'a str,
    client_name: &'a str,
    user_email: &'a str,
    scopes: Vec<(&'a str, &'static str)>,
    action: String,
    csrf: &'a str,
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    tenant_name: &'a str,
    title: &'a str,
    message: &'a str,
}

/// What a scope lets the application do, in words.
fn describe(scope: &str) -> &'static str {
    match scope {
        "openid" => "Know who you are (your account id)",
        "profile" => "See your name and username",
        "email" => "See your email address",
        "offline_access" => "Keep access while you are not using it",
        _ => "Other access",
    }
}

/// Headers every page carries: no caching, no framing, no script at all.
fn html(status: StatusCode, body: String) -> Response<Bytes> {
    let mut res = Response::new(Bytes::from(body));
    *res.status_mut() = status;
    let h = res.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    );
    h.insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    res
}

fn message(status: StatusCode, title: &str, text: &str) -> Response<Bytes> {
    let page = MessagePage {
        tenant_name: "Sign in",
        title,
        message: text,
    };
    html(status, page.render().unwrap_or_else(|_| text.to_owned()))
}

fn page_error(e: PageError) -> Response<Bytes> {
    match e {
        PageError::UnknownTenant | PageError::UnknownInteraction => message(
            StatusCode::NOT_FOUND,
            "This sign-in link is no longer valid",
            "It has expired or was already used. Return to the application and sign in again.",
        ),
        PageError::WrongSession => message(
            StatusCode::FORBIDDEN,
            "This sign-in belongs to another session",
            "Return to the application and sign in again.",
        ),
        PageError::Internal => message(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            "Please try again in a moment.",
        ),
    }
}

fn render_view(
    view: &InteractionView,
    id: &str,
    csrf: &csrf::CsrfToken,
    username: &str,
    error: Option<&str>,
) -> Response<Bytes> {
    let base = format!("{}interaction/{id}", view.tenant_path);
    let body = match view.stage {
        Stage::Login => LoginPage {
            tenant_name: &view.tenant_name,
            client_name: &view.client_name,
            action: format!("{base}/login"),
            cancel_action: format!("{base}/cancel"),
            csrf: &csrf.value,
            username: if username.is_empty() {
                view.login_hint.as_deref().unwrap_or("")
            } else {
                username
            },
            error,
        }
        .render(),
        Stage::Consent => ConsentPage {
            tenant_name: &view.tenant_name,
            client_name: &view.client_name,
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
    let mut res = html(status, body);
    if let Some(c) = &csrf.set_cookie
        && let Ok(v) = HeaderValue::from_str(c)
    {
        res.headers_mut().append(http::header::SET_COOKIE, v);
    }
    res
}

/// Serves `{issuer}/interaction/{id}[/login|/consent|/cancel]`.
pub async fn interaction(
    app: &App,
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
                render_view(&view, id, &token, "", None)
            }
            Err(e) => page_error(e),
        },
        (Method::POST, Some(step @ ("login" | "consent" | "cancel"))) => {
            let form = Params::parse(req.body());
            if !csrf::verify(headers, &form) {
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
                    match provider.submit_login(slug, id, username, password).await {
                        Ok(LoginOutcome::Continue(res)) => Ok(res),
                        Ok(LoginOutcome::Rejected(view)) => {
                            let token = csrf::token(headers, &view.tenant_path, app.secure_cookies);
                            Ok(render_view(
                                &view,
                                id,
                                &token,
                                username,
                                Some("Wrong email or password."),
                            ))
                        }
                        Err(e) => Err(e),
                    }
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
