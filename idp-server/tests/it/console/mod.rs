//! The admin console (`/admin`, issue 18) through real HTTP: operators
//! sign in through the platform's login page (code flow with PKCE), and a
//! cookie-keeping [`Browser`] reads pages and posts forms with their CSRF
//! token. One file per screen; the browser tests in headless Chromium are
//! in `browser`.

mod access;
mod audit;
mod browser;
mod clients;
mod dashboard;
mod keys;
mod roles;
mod settings;
mod sign_in;
mod tenants;
mod upstreams;
mod users;

use crate::api::operators::operator;
use crate::api::{Api, api_server};
use crate::support::*;
use reqwest::StatusCode;

/// A signed-in console: the browser holding the session, the operator.
pub struct Console {
    /// The browser (its cookie jar holds the console session).
    pub browser: Browser,
    /// BASE_URL.
    pub base_url: String,
    /// The operator signed in.
    pub user: User,
}

/// A server for console tests (the admin API's per-key limit off, as for
/// the API tests) and a full API key to set things up with.
pub async fn console_server() -> (TestServer, Api) {
    let server = api_server().await;
    let api = Api::new(&server);
    (server, api)
}

impl Console {
    /// A new operator with `roles` (see `api::operators::operator`), signed
    /// in to the console through the platform's login page.
    pub async fn sign_in(server: &TestServer, api: &Api, roles: &[&str]) -> Self {
        let user = operator(server, api, roles).await;
        Self::sign_in_as(server, user).await
    }

    /// `user` (of the platform tenant) signed in to the console.
    pub async fn sign_in_as(server: &TestServer, user: User) -> Self {
        let browser = Browser::new();
        let base_url = server.base_url.clone();
        let page = browser.get(&format!("{base_url}/admin")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let mut res = browser.get(&format!("{base_url}/admin/login")).await;
        for _ in 0..10 {
            if res.status.is_redirection() {
                let to = res.redirect();
                res = browser.get(to.as_str()).await;
            } else if res.status == StatusCode::OK && res.is_login_page() {
                res = browser
                    .submit_login(&res, &user.email, &user.password)
                    .await;
            } else {
                break;
            }
        }
        assert_eq!(res.status, StatusCode::OK, "{}: {}", res.url, res.body);
        assert!(
            res.body.contains(&user.email),
            "not signed in to the console at {}: {}",
            res.url,
            res.body
        );
        Self {
            browser,
            base_url,
            user,
        }
    }

    /// The URL of the console path `path` (`/admin/…`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// GET a console path.
    pub async fn get(&self, path: &str) -> Resp {
        self.browser.get(&self.url(path)).await
    }

    /// The CSRF token the browser holds for the console.
    pub fn csrf(&self) -> String {
        self.browser
            .cookie(&self.url("/admin"), "idp_csrf")
            .expect("a CSRF cookie: GET a console page first")
    }

    /// POST `form` to a console path with the browser's CSRF token.
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Resp {
        let csrf = self.csrf();
        let mut fields = vec![("csrf", csrf.as_str())];
        fields.extend_from_slice(form);
        self.browser.post_form(&self.url(path), &fields).await
    }

    /// POST, then follow the post/redirect/get: the page it lands on.
    pub async fn post_and_follow(&self, path: &str, form: &[(&str, &str)]) -> Resp {
        let res = self.post(path, form).await;
        assert_eq!(
            res.status,
            StatusCode::SEE_OTHER,
            "{}: {}",
            res.url,
            res.body
        );
        self.browser.get(res.redirect().as_str()).await
    }
}

/// The `href` of the first link whose tag holds `marker` (an
/// `id="…"` or `rel="…"`), HTML entities of URLs decoded.
pub fn link(page: &Resp, marker: &str) -> Option<String> {
    let at = page.body.find(marker)?;
    let start = page.body[..at].rfind("<a ")?;
    let tag = &page.body[start..at];
    let href = tag.split("href=\"").nth(1)?.split('"').next()?;
    let mut href = href.to_owned();
    for (entity, c) in [
        ("&#38;", "&"),
        ("&#x26;", "&"),
        ("&#47;", "/"),
        ("&#x2f;", "/"),
        ("&#61;", "="),
        ("&amp;", "&"),
    ] {
        href = href.replace(entity, c);
    }
    Some(href)
}
