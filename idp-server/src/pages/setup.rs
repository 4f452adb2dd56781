//! The platform owner's one-time set-up page,
//! `{BASE_URL}/t/platform/setup?token=…` (issue 17): a form that sets
//! their password through idp-core ([`idp_core::Admin::redeem_setup_link`]),
//! once, while the link works. A used, expired or unknown link gets a page
//! that says so (410), never a 500.

use super::{SetupPage, csrf, csrf_failed, message_for, render};
use crate::app::App;
use crate::backend::Backend;
use crate::forwarded::ClientAddr;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use idp_core::AdminError;
use idp_core::wire::Params;

const TITLE: &str = "Platform";

/// The path of the page under BASE_URL's path.
pub fn path(base_path: &str) -> String {
    format!("{base_path}/t/{}/setup", idp_core::platform::PLATFORM_SLUG)
}

fn gone() -> Response<Bytes> {
    message_for(
        TITLE,
        StatusCode::GONE,
        "This set-up link is no longer valid",
        "It has expired or was already used. Restart the server (with PLATFORM_OWNER_EMAIL) or run `idp-server owner create` for a new one.",
    )
}

fn failed(e: &AdminError) -> Response<Bytes> {
    match e {
        AdminError::NotFound { .. } => gone(),
        AdminError::Unavailable(_) => message_for(
            TITLE,
            StatusCode::SERVICE_UNAVAILABLE,
            "Please try again in a moment",
            "The service is briefly unavailable.",
        ),
        _ => {
            tracing::error!(error = %e, "set-up link");
            message_for(
                TITLE,
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "Please try again in a moment.",
            )
        }
    }
}

fn form(
    app_path: &str,
    token: &csrf::CsrfToken,
    link: &str,
    email: &str,
    error: Option<&str>,
) -> Response<Bytes> {
    let page = SetupPage {
        tenant_name: TITLE,
        action: app_path.to_owned(),
        csrf: &token.value,
        token: link,
        email,
        error,
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    csrf::attach(render(status, &page), token)
}

/// Serves GET (the form) and POST (the password).
pub async fn setup<S: Backend>(app: &App<S>, req: Request<Bytes>) -> Response<Bytes> {
    let action = path(&app.base_path);
    let admin = app.provider.admin();
    let cookie_path = format!("{}/t/{}/", app.base_path, idp_core::platform::PLATFORM_SLUG);
    let token = csrf::token(req.headers(), &cookie_path, app.secure_cookies);
    match *req.method() {
        Method::GET => {
            let query = Params::parse(req.uri().query().unwrap_or_default().as_bytes());
            let Ok(Some(link)) = query.single("token") else {
                return gone();
            };
            match admin.setup_link_user(link).await {
                Ok(user) => form(&action, &token, link, &user.email, None),
                Err(e) => failed(&e),
            }
        }
        Method::POST => {
            let params = Params::parse(req.body());
            if !csrf::verify(req.headers(), &params) {
                return csrf_failed();
            }
            let field = |name| params.single(name).ok().flatten().unwrap_or_default();
            let (link, password, again) =
                (field("token"), field("password"), field("password_confirm"));
            let user = match admin.setup_link_user(link).await {
                Ok(user) => user,
                Err(e) => return failed(&e),
            };
            let error = if password.is_empty() {
                Some("Choose a password.")
            } else if password != again {
                Some("The two passwords differ.")
            } else {
                None
            };
            if let Some(error) = error {
                return form(&action, &token, link, &user.email, Some(error));
            }
            let address = req
                .extensions()
                .get::<ClientAddr>()
                .map(|a| a.0.to_string());
            match admin
                .redeem_setup_link(address, link, password.to_owned())
                .await
            {
                Ok(user) => message_for(
                    TITLE,
                    StatusCode::OK,
                    "Your password is set",
                    &format!(
                        "{} can now sign in to the platform's applications.",
                        user.email
                    ),
                ),
                Err(AdminError::Invalid(errors)) => {
                    let reason = errors
                        .first()
                        .map_or("Invalid password.", |e| e.reason.as_str());
                    form(&action, &token, link, &user.email, Some(reason))
                }
                Err(e) => failed(&e),
            }
        }
        _ => message_for(
            TITLE,
            StatusCode::METHOD_NOT_ALLOWED,
            "Not here",
            "Open the set-up link you were given.",
        ),
    }
}
