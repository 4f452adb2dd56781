//! The provider's login and consent pages, rendered by the application.
//!
//! When the user must log in or consent, `Provider::handle` suspends the
//! authorization request and redirects the browser to
//! `{issuer}/interaction/{id}`. Those URLs are the embedding application's:
//! it shows what [`Provider::interaction`](idp_core::Provider::interaction)
//! describes and hands the answers to `submit_login` / `submit_consent`,
//! which return the response to send (a redirect with a cookie). No protocol
//! decision is made here; only the HTML and the CSRF check are ours.

use crate::App;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use idp_core::abuse::ClientAddr;
use idp_core::crypto::{random, secret::SecretHash};
use idp_core::endpoint::{Endpoint, EndpointSet, Located};
use idp_core::session::{cookie, set_cookie};
use idp_core::wire::{Params, html_escape};
use idp_core::{InteractionView, LoginOutcome, PageError, Stage};

/// An interaction page of the endpoint table
/// ([`idp_core::endpoint`]): `/t/{slug}/interaction/{id}[/{action}]`,
/// below the provider's prefix.
pub(crate) struct Route {
    slug: String,
    id: String,
    action: Option<&'static str>,
}

/// The pages this application renders; every other endpoint of the table
/// is the provider's, or not offered (discovery leaves it out).
pub(crate) const SERVED: EndpointSet = EndpointSet::INTERACTION;

impl Route {
    /// Parses the path after the prefix; `None` for anything else.
    pub(crate) fn parse(path: &str) -> Option<Self> {
        let l = Located::parse("", path).filter(|l| SERVED.contains(l.endpoint))?;
        let action = match l.endpoint {
            Endpoint::InteractionLogin => Some("login"),
            Endpoint::InteractionConsent => Some("consent"),
            Endpoint::InteractionCancel => Some("cancel"),
            _ => None,
        };
        Some(Self {
            slug: l.slug.to_owned(),
            id: l.id?.to_owned(),
            action,
        })
    }
}

/// Serves an interaction page or form.
pub(crate) async fn serve(app: &App, req: &Request<Bytes>, route: &Route) -> Response<Bytes> {
    let provider = &app.provider;
    let (slug, id) = (route.slug.as_str(), route.id.as_str());
    let headers = req.headers();
    match (req.method(), route.action) {
        (&Method::GET, None) => match provider.interaction(slug, id, headers).await {
            Ok(view) => {
                let csrf = Csrf::for_page(headers, &view.tenant_path, app.secure_cookies);
                render(&view, id, &csrf, "", None)
            }
            Err(e) => page_error(e),
        },
        (&Method::POST, Some(action)) => {
            let form = Params::parse(req.body());
            if !Csrf::verify(headers, &form) {
                return message(
                    StatusCode::FORBIDDEN,
                    "This form has expired",
                    "Go back, reload the page and try again.",
                );
            }
            let field = |name| form.single(name).ok().flatten().unwrap_or("");
            let result = if action == "login" {
                let username = field("username");
                // The address the provider's lockouts count failures from.
                let from = req.extensions().get::<ClientAddr>().map(|a| a.0);
                match provider
                    .submit_login(slug, id, username, field("password"), from)
                    .await
                {
                    // A redirect to consent or back to the app, with the
                    // provider's session cookie.
                    Ok(LoginOutcome::Continue(res)) => Ok(res),
                    Ok(LoginOutcome::Rejected(view)) => {
                        let csrf = Csrf::for_page(headers, &view.tenant_path, app.secure_cookies);
                        let error = Some("Wrong email or password.");
                        Ok(render(&view, id, &csrf, username, error))
                    }
                    // Too many wrong passwords: the provider's lockout
                    // (RFC 6585 §4), decided by idp-core, shown by us.
                    Ok(LoginOutcome::Locked { view, retry_after }) => {
                        let csrf = Csrf::for_page(headers, &view.tenant_path, app.secure_cookies);
                        let error = Some("Too many failed sign-in attempts. Wait and try again.");
                        let mut res = render(&view, id, &csrf, username, error);
                        *res.status_mut() = StatusCode::TOO_MANY_REQUESTS;
                        let secs = retry_after.as_secs().max(1);
                        res.headers_mut()
                            .insert(http::header::RETRY_AFTER, HeaderValue::from(secs));
                        Ok(res)
                    }
                    Err(e) => Err(e),
                }
            } else if action == "cancel" {
                // The client's redirect with `access_denied`.
                provider.cancel_interaction(slug, id).await
            } else {
                let approve = field("decision") == "allow";
                // The client's redirect: a code, or `access_denied`.
                provider.submit_consent(slug, id, headers, approve).await
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

/// The login or consent form for `view`.
fn render(
    view: &InteractionView,
    id: &str,
    csrf: &Csrf,
    username: &str,
    error: Option<&str>,
) -> Response<Bytes> {
    let e = html_escape;
    let action = format!("{}interaction/{id}", view.tenant_path);
    let hidden_csrf = format!(
        r#"<input type="hidden" name="csrf" value="{}">"#,
        e(&csrf.value)
    );
    let error = error.map_or(String::new(), |m| {
        format!(r#"<p id="error" role="alert">{}</p>"#, e(m))
    });
    let (title, body) = match view.stage {
        Stage::Login => {
            let username = if username.is_empty() {
                view.login_hint.as_deref().unwrap_or("")
            } else {
                username
            };
            let body = format!(
                r#"<h1>Sign in to {tenant}</h1>
<p>to continue to <strong><bdi id="client-name" dir="auto">{client}</bdi></strong></p>
{error}
<form method="post" action="{action}/login" id="login-form">
{hidden_csrf}
<label for="username">Email</label>
<input id="username" name="username" type="email" autocomplete="username" value="{username}" required autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit" id="submit">Sign in</button>
</form>"#,
                tenant = e(&view.tenant_name),
                client = e(&view.client_name),
                action = e(&action),
                username = e(username),
            );
            ("Sign in", body)
        }
        Stage::Consent => {
            let scopes: String = view
                .scopes
                .iter()
                .map(|s| format!("<li>{}</li>", e(s)))
                .collect();
            let body = format!(
                r#"<h1><bdi id="client-name" dir="auto">{client}</bdi> wants to access your {tenant} account</h1>
<p>You will return to <strong><bdi id="redirect-host" dir="ltr">{host}</bdi></strong> after you choose.</p>
<p>Signed in as <strong id="user-email">{email}</strong></p>
<p>It asks for:</p>
<ul id="scopes">{scopes}</ul>
<form method="post" action="{action}/consent" id="consent-form">
{hidden_csrf}
<button type="submit" name="decision" value="allow" id="allow">Allow</button>
<button type="submit" name="decision" value="deny" id="deny">Deny</button>
</form>"#,
                tenant = e(&view.tenant_name),
                client = e(&view.client_name),
                host = e(&view.redirect_host),
                email = e(view.user_email.as_deref().unwrap_or("")),
                action = e(&action),
            );
            ("Allow access", body)
        }
    };
    let status = if error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNAUTHORIZED
    };
    csrf.attach(html(status, title, &body))
}

/// A double-submit CSRF token, as idp-server does it: the page sets a random
/// `idp_csrf` cookie (HttpOnly, SameSite=Lax, tenant path) and puts the same
/// value in a hidden field; a POST must carry both, equal. Another site can
/// neither read the cookie nor make the browser send it on a cross-site POST.
struct Csrf {
    value: String,
    set_cookie: Option<String>,
}

impl Csrf {
    const COOKIE: &'static str = "idp_csrf";

    /// Reuses the browser's token, or makes a new one to set.
    fn for_page(headers: &HeaderMap, path: &str, secure: bool) -> Self {
        match cookie(headers, Self::COOKIE).filter(|v| v.len() >= 32) {
            Some(v) => Self {
                value: v.to_owned(),
                set_cookie: None,
            },
            None => {
                let value = random::secret();
                let set_cookie = Some(set_cookie(Self::COOKIE, &value, path, 24 * 3600, secure));
                Self { value, set_cookie }
            }
        }
    }

    /// Adds the cookie to the page when the token is new.
    fn attach(&self, mut res: Response<Bytes>) -> Response<Bytes> {
        if let Some(c) = &self.set_cookie
            && let Ok(v) = HeaderValue::from_str(c)
        {
            res.headers_mut().append(http::header::SET_COOKIE, v);
        }
        res
    }

    /// Whether the form's `csrf` field equals the cookie (constant-time).
    fn verify(headers: &HeaderMap, form: &Params) -> bool {
        match (
            cookie(headers, Self::COOKIE),
            form.single("csrf").ok().flatten(),
        ) {
            (Some(c), Some(f)) if c.len() >= 32 => SecretHash::of(c).matches(f),
            _ => false,
        }
    }
}

fn page_error(e: PageError) -> Response<Bytes> {
    match e {
        PageError::UnknownTenant | PageError::UnknownInteraction => message(
            StatusCode::NOT_FOUND,
            "This sign-in link is no longer valid",
            "It has expired or was already used. Go back to the application and sign in again.",
        ),
        PageError::WrongSession => message(
            StatusCode::FORBIDDEN,
            "This sign-in belongs to another session",
            "Go back to the application and sign in again.",
        ),
        PageError::Internal => message(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            "Please try again in a moment.",
        ),
    }
}

/// A page with a title and a sentence (both plain text).
pub(crate) fn message(status: StatusCode, title: &str, text: &str) -> Response<Bytes> {
    let body = format!(
        "<h1>{}</h1>\n<p>{}</p>",
        html_escape(title),
        html_escape(text)
    );
    html(status, title, &body)
}

/// An HTML page around `body` (already escaped), with the headers every
/// page carries: no caching, no framing, no script.
pub(crate) fn html(status: StatusCode, title: &str, body: &str) -> Response<Bytes> {
    let page = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>body{{font-family:system-ui,sans-serif;max-width:26rem;margin:8vh auto;padding:0 1rem}}\
         label,input,button{{display:block;margin:.4rem 0}}input{{width:100%;padding:.4rem}}</style>\
         </head><body><main>\n{body}\n</main></body></html>\n",
        html_escape(title)
    );
    idp_core::wire::html(
        status,
        Bytes::from(page),
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'",
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_interaction_routes() {
        let r = Route::parse("/t/demo/interaction/abc/login");
        assert!(r.is_some_and(|r| r.slug == "demo" && r.id == "abc" && r.action == Some("login")));
        assert!(Route::parse("/t/demo/interaction/abc").is_some_and(|r| r.action.is_none()));
        assert!(Route::parse("/t/demo/interaction/").is_none());
        assert!(Route::parse("/t/demo/authorize").is_none());
    }

    #[test]
    fn the_form_must_echo_the_cookie() -> Result<(), http::header::InvalidHeaderValue> {
        let v = "a".repeat(43);
        let mut h = HeaderMap::new();
        h.insert(http::header::COOKIE, format!("idp_csrf={v}").parse()?);
        assert!(Csrf::verify(
            &h,
            &Params::parse(format!("csrf={v}").as_bytes())
        ));
        assert!(!Csrf::verify(&h, &Params::parse(b"csrf=bbbb")));
        assert!(!Csrf::verify(
            &HeaderMap::new(),
            &Params::parse(format!("csrf={v}").as_bytes())
        ));
        Ok(())
    }
}
