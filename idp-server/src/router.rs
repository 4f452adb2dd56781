//! Routing: platform endpoints (health), the pages this server renders
//! (login, consent, device, logout), and everything else to the protocol engine.

use crate::app::App;
use crate::backend::Backend;
use crate::{health, pages};
use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode};

/// A page served by this server under a tenant.
enum PageRoute<'a> {
    /// `/t/{slug}/interaction/{id}[/{action}]`.
    Interaction(InteractionRoute<'a>),
    /// `/t/{slug}/device[/{step}]`.
    Device {
        slug: &'a str,
        step: Option<&'a str>,
    },
    /// `/t/{slug}/logout[/confirm]`.
    Logout { slug: &'a str, confirm: bool },
}

fn page_route<'a>(base_path: &str, path: &'a str) -> Option<PageRoute<'a>> {
    if let Some(r) = interaction_route(base_path, path) {
        return Some(PageRoute::Interaction(r));
    }
    let rest = path.strip_prefix(base_path)?.strip_prefix("/t/")?;
    let (slug, rest) = rest.split_once('/')?;
    match rest {
        "device" => Some(PageRoute::Device { slug, step: None }),
        "device/login" => Some(PageRoute::Device {
            slug,
            step: Some("login"),
        }),
        "device/decision" => Some(PageRoute::Device {
            slug,
            step: Some("decision"),
        }),
        "logout" => Some(PageRoute::Logout {
            slug,
            confirm: false,
        }),
        "logout/confirm" => Some(PageRoute::Logout {
            slug,
            confirm: true,
        }),
        _ => None,
    }
}

/// A page route under a tenant: `/t/{slug}/interaction/{id}[/{action}]`.
struct InteractionRoute<'a> {
    slug: &'a str,
    id: &'a str,
    action: Option<&'a str>,
}

fn interaction_route<'a>(base_path: &str, path: &'a str) -> Option<InteractionRoute<'a>> {
    let rest = path.strip_prefix(base_path)?.strip_prefix("/t/")?;
    let (slug, rest) = rest.split_once('/')?;
    let rest = rest.strip_prefix("interaction/")?;
    let (id, action) = match rest.split_once('/') {
        Some((id, action)) => (id, Some(action)),
        None => (rest, None),
    };
    (!id.is_empty()).then_some(InteractionRoute { slug, id, action })
}

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
        _ => match page_route(&app.base_path, path) {
            Some(PageRoute::Interaction(r)) => {
                let (slug, id, action) = (
                    r.slug.to_owned(),
                    r.id.to_owned(),
                    r.action.map(str::to_owned),
                );
                pages::interaction::interaction(app, req, &slug, &id, action.as_deref()).await
            }
            Some(PageRoute::Device { slug, step }) => {
                let (slug, step) = (slug.to_owned(), step.map(str::to_owned));
                pages::device::device(app, req, &slug, step.as_deref()).await
            }
            Some(PageRoute::Logout { slug, confirm }) => {
                let slug = slug.to_owned();
                pages::logout::logout(app, req, &slug, confirm).await
            }
            None => {
                let mut req = req;
                match app.limits.refuse_unauthenticated(&app.base_path, &mut req) {
                    Some(refused) => refused,
                    None => crate::rate_limit::protocol(app, req).await,
                }
            }
        },
    };
    let h = res.headers_mut();
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    security_defaults(h, hsts);
    res
}

/// For responses that set none of their own (JSON, the core's error page):
/// a CSP that allows nothing and no framing. With an https BASE_URL,
/// `Strict-Transport-Security` for a year (RFC 6797 §6.1), without
/// `includeSubDomains`: other hosts under the domain are not ours to commit.
fn security_defaults(h: &mut http::HeaderMap, hsts: bool) {
    if !h.contains_key("content-security-policy") {
        h.insert(
            "content-security-policy",
            HeaderValue::from_static("default-src 'none'; base-uri 'none'; frame-ancestors 'none'"),
        );
    }
    if !h.contains_key("x-frame-options") {
        h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    }
    if hsts {
        h.insert(
            http::header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
}

/// 413 for bodies over the limit.
pub fn payload_too_large() -> Response<Bytes> {
    let mut res = Response::new(Bytes::from_static(
        br#"{"error":"invalid_request","error_description":"request body too large"}"#,
    ));
    *res.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
    res.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    res
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
    fn parses_interaction_routes() {
        let r = interaction_route("", "/t/acme/interaction/abc/login");
        assert!(matches!(
            r,
            Some(InteractionRoute {
                slug: "acme",
                id: "abc",
                action: Some("login")
            })
        ));
        assert!(interaction_route("", "/t/acme/authorize").is_none());
        assert!(interaction_route("/idp", "/idp/t/a/interaction/x").is_some());
    }

    #[test]
    fn masks_interaction_ids() {
        assert_eq!(
            loggable_path("/t/a/interaction/SECRET/login"),
            "/t/a/interaction/…/login"
        );
        assert_eq!(loggable_path("/t/a/token"), "/t/a/token");
    }
}
