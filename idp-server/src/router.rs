//! Routing: platform endpoints (health, `/signup`, the admin API, the
//! console at `/admin`, `/` redirecting to it), the
//! pages this server renders (login, consent, device, logout, the user's
//! account page), and everything else to the protocol engine.

use crate::app::App;
use crate::backend::Backend;
use crate::{health, pages};
use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode};
use idp_core::endpoint::{Endpoint, Located, Server};
use idp_core::tenant::state;

/// Routes one request.
pub async fn route<S: Backend>(app: &App<S>, req: Request<Bytes>) -> Response<Bytes> {
    let hsts = app.secure_cookies
        && req.extensions().get::<crate::forwarded::Transport>()
            != Some(&crate::forwarded::Transport::Http);
    let path = req.uri().path();
    let mut res = match path {
        "/health" => health::health(),
        "/health/live" => health::live(),
        "/health/ready" => health::ready(app).await,
        // With METRICS_ADDR set, /metrics is only there: 404 here, as for
        // any unknown path.
        "/metrics" if app.metrics.on_main_listener() => {
            crate::metrics::metrics(app, req.method(), req.headers()).await
        }
        _ if pages::signup::page(&app.base_path, path).is_some() => {
            let page =
                pages::signup::page(&app.base_path, path).unwrap_or(pages::signup::Page::Form);
            pages::signup::serve(app, req, page).await
        }
        _ if path == pages::setup::path(&app.base_path) => pages::setup::setup(app, req).await,
        // The root opens the console.
        _ if is_root(&app.base_path, path) => idp_core::wire::redirect(
            &format!("{}{}", app.base_path, crate::console::PREFIX),
            StatusCode::FOUND,
        ),
        _ if crate::console::is_console_path(&app.base_path, path) => {
            let path = path.to_owned();
            crate::console::serve(app, req, &path).await
        }
        _ if api_path(&app.base_path, path).is_some() => {
            let path = api_path(&app.base_path, path)
                .unwrap_or_default()
                .to_owned();
            crate::api::serve(app, req, &path).await
        }
        _ => match Located::parse(&app.base_path, path)
            .filter(|l| l.endpoint.server() == Server::Host)
        {
            Some(Located { slug, endpoint, id }) => {
                let (slug, id) = (slug.to_owned(), id.unwrap_or_default().to_owned());
                page(app, req, &slug, endpoint, &id).await
            }
            None => {
                let mut req = req;
                match app.limits.refuse_unauthenticated(&app.base_path, &mut req) {
                    Some(refused) => refused,
                    None => styled(crate::rate_limit::protocol(app, req).await),
                }
            }
        },
    };
    let h = res.headers_mut();
    idp_core::wire::security_headers(h);
    security_defaults(h, hsts);
    res
}

/// Whether `path` is BASE_URL's root (`/`, or its path with or without `/`).
fn is_root(base_path: &str, path: &str) -> bool {
    path.strip_prefix(base_path)
        .is_some_and(|rest| rest.is_empty() || rest == "/")
}

/// The admin API path (`/api/v1/...`) under BASE_URL's path, if `path` is one.
fn api_path<'a>(base_path: &str, path: &'a str) -> Option<&'a str> {
    path.strip_prefix(base_path)
        .filter(|rest| crate::api::is_api_path(rest))
}

/// Serves one of the host's pages of the endpoint table.
async fn page<S: Backend>(
    app: &App<S>,
    req: Request<Bytes>,
    slug: &str,
    endpoint: Endpoint,
    id: &str,
) -> Response<Bytes> {
    use pages::{device::device, interaction::interaction, logout::logout};
    // A tenant that is not active signs nobody in, even halfway through
    // (idp_core::tenant::state decides which pages stay).
    if let Ok(Some(tenant)) = app.provider.tenant(slug).await
        && !state::host_page_served(tenant.record.state, endpoint)
    {
        return unavailable(&state::Unavailable {
            state: tenant.record.state,
            tenant_name: tenant.record.name.clone(),
        });
    }
    match endpoint {
        Endpoint::Interaction => interaction(app, req, slug, id, None).await,
        Endpoint::InteractionLogin => interaction(app, req, slug, id, Some("login")).await,
        Endpoint::InteractionConsent => interaction(app, req, slug, id, Some("consent")).await,
        Endpoint::InteractionCancel => interaction(app, req, slug, id, Some("cancel")).await,
        Endpoint::InteractionUpstream => interaction(app, req, slug, id, Some("upstream")).await,
        Endpoint::UpstreamCallback => pages::upstream::callback(app, req, slug, id).await,
        Endpoint::Device => device(app, req, slug, None).await,
        Endpoint::DeviceLogin => device(app, req, slug, Some("login")).await,
        Endpoint::DeviceDecision => device(app, req, slug, Some("decision")).await,
        Endpoint::Logout => logout(app, req, slug, false).await,
        Endpoint::LogoutConfirm => logout(app, req, slug, true).await,
        Endpoint::Account
        | Endpoint::AccountCallback
        | Endpoint::AccountProfile
        | Endpoint::AccountPassword
        | Endpoint::AccountSignOutOthers
        | Endpoint::AccountSignOut
        | Endpoint::AccountLink
        | Endpoint::AccountUnlink => pages::account::serve(app, req, slug, endpoint).await,
        // The provider's own endpoints never reach here.
        _ => crate::rate_limit::protocol(app, req).await,
    }
}

/// The provider's answer, with this server's page in place of the core's
/// minimal one for a tenant that is not active.
fn styled(res: Response<Bytes>) -> Response<Bytes> {
    match res.extensions().get::<state::Unavailable>() {
        Some(u) => unavailable(u),
        None => res,
    }
}

/// The 403 page of a tenant that is not active, in the pages' style.
fn unavailable(u: &state::Unavailable) -> Response<Bytes> {
    let (title, text) = u.page_text();
    pages::message_for(&u.tenant_name, StatusCode::FORBIDDEN, title, text)
}

/// With an https BASE_URL, `Strict-Transport-Security` for a year (RFC 6797
/// §6.1), without `includeSubDomains`: other hosts under the domain are not
/// ours to commit.
fn security_defaults(h: &mut http::HeaderMap, hsts: bool) {
    if hsts {
        h.insert(
            http::header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
}

/// 413 for bodies over `limit` bytes: a problem for the admin API, the
/// OAuth error shape elsewhere.
pub fn payload_too_large(base_path: &str, path: &str, limit: usize) -> Response<Bytes> {
    if api_path(base_path, path).is_some() {
        return crate::api::payload_too_large(limit);
    }
    idp_core::wire::json(
        StatusCode::PAYLOAD_TOO_LARGE,
        Bytes::from_static(
            br#"{"error":"invalid_request","error_description":"request body too large"}"#,
        ),
    )
}

/// The path with secrets (interaction ids) masked, for logs.
pub fn loggable_path(path: &str) -> String {
    match path.find("/interaction/") {
        Some(i) => {
            let start = i + "/interaction/".len();
            let end = path[start..].find('/').map_or(path.len(), |j| start + j);
            format!("{}…{}", &path[..start], &path[end..])
        }
        None => path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_interaction_ids() {
        assert_eq!(
            loggable_path("/t/a/interaction/SECRET/login"),
            "/t/a/interaction/…/login"
        );
        assert_eq!(loggable_path("/t/a/token"), "/t/a/token");
    }
}
