//! The user's browser: cookies kept, redirects not followed, pages filled in.

use super::*;
use reqwest::cookie::{CookieStore, Jar};
use reqwest::{StatusCode, redirect::Policy};
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// The user's browser: cookies kept, redirects not followed.
#[derive(Clone)]
pub struct Browser {
    /// The HTTP client.
    pub http: reqwest::Client,
    /// Its cookie jar.
    pub jar: Arc<Jar>,
}

/// Where a walk through the pages ended: the client's redirect URI.
#[derive(Clone, Debug)]
pub struct Callback {
    /// The full URL.
    pub url: Url,
    /// `code`.
    pub code: Option<String>,
    /// `state`.
    pub state: Option<String>,
    /// `iss`.
    pub iss: Option<String>,
    /// `error`.
    pub error: Option<String>,
    /// `error_description`.
    pub error_description: Option<String>,
}

impl Callback {
    /// Parses a redirect to the client.
    pub fn parse(url: &Url) -> Self {
        let get = |name: &str| {
            let values: Vec<String> = url
                .query_pairs()
                .filter(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
                .collect();
            assert!(values.len() <= 1, "'{name}' repeated in {url}");
            values.into_iter().next()
        };
        Self {
            url: url.clone(),
            code: get("code"),
            state: get("state"),
            iss: get("iss"),
            error: get("error"),
            error_description: get("error_description"),
        }
    }

    /// The code, which must be there.
    pub fn code(&self) -> String {
        assert_eq!(
            self.error, None,
            "expected a code, got an error at {}",
            self.url
        );
        self.code
            .clone()
            .unwrap_or_else(|| panic!("no code in {}", self.url))
    }

    /// Asserts an error response with this code, the issuer and state.
    pub fn assert_error(&self, error: &str, issuer: &str, state: Option<&str>) {
        assert_eq!(
            self.error.as_deref(),
            Some(error),
            "expected error={error} at {}",
            self.url
        );
        assert_eq!(
            self.code, None,
            "an error response carried a code: {}",
            self.url
        );
        assert!(
            self.error_description
                .as_deref()
                .is_some_and(|d| !d.is_empty()),
            "error without error_description: {}",
            self.url
        );
        assert_eq!(self.iss.as_deref(), Some(issuer), "iss of {}", self.url);
        assert_eq!(self.state.as_deref(), state, "state of {}", self.url);
    }
}

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

impl Browser {
    /// A browser with an empty jar.
    pub fn new() -> Self {
        Self::with_jar(Arc::new(Jar::default()))
    }

    /// The same browser (same cookies) with new connections, e.g. after
    /// the server restarted.
    pub fn reconnect(&self) -> Self {
        Self::with_jar(Arc::clone(&self.jar))
    }

    fn with_jar(jar: Arc<Jar>) -> Self {
        let http = reqwest::Client::builder()
            .cookie_provider(Arc::clone(&jar))
            .redirect(Policy::none())
            .timeout(Duration::from_secs(60))
            .build()
            .expect("browser");
        Self { http, jar }
    }

    /// The `Cookie` header this browser sends to `url`.
    pub fn cookies_for(&self, url: &str) -> String {
        let url = Url::parse(url).expect("URL");
        self.jar
            .cookies(&url)
            .map(|v| v.to_str().expect("ASCII cookies").to_owned())
            .unwrap_or_default()
    }

    /// The value of cookie `name` this browser sends to `url`.
    pub fn cookie(&self, url: &str, name: &str) -> Option<String> {
        self.cookies_for(url)
            .split(';')
            .filter_map(|p| p.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_owned())
    }

    /// GET.
    pub async fn get(&self, url: &str) -> Resp {
        let url = Url::parse(url).unwrap_or_else(|e| panic!("bad URL {url}: {e}"));
        let res = self
            .http
            .get(url.clone())
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {url}: {e}"));
        Resp::read(url, res).await
    }

    /// Sends the browser to `url` (an authorization request) and expects
    /// the provider to answer at once, with a redirect to the client (no
    /// page shown): the response there.
    pub async fn answer_to_client(&self, url: &str) -> Callback {
        let res = self.get(url).await;
        assert_eq!(res.status, StatusCode::FOUND, "{}", res.body);
        let to = res.redirect();
        assert!(
            to.as_str().starts_with(REDIRECT_URI),
            "expected an immediate answer to the client, got a redirect to {to}"
        );
        Callback::parse(&to)
    }

    /// POST a form.
    pub async fn post_form(&self, url: &str, form: &[(&str, &str)]) -> Resp {
        let url = Url::parse(url).unwrap_or_else(|e| panic!("bad URL {url}: {e}"));
        let res = self
            .http
            .post(url.clone())
            .form(form)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {url}: {e}"));
        Resp::read(url, res).await
    }

    /// Submits the login form of `page` (which must show it).
    pub async fn submit_login(&self, page: &Resp, email: &str, password: &str) -> Resp {
        let form = page
            .form_with("name=\"password\"")
            .unwrap_or_else(|| panic!("no login form at {}: {}", page.url, page.body));
        self.submit(&form, &[("username", email), ("password", password)])
            .await
    }

    /// Submits the consent form of `page` with `decision` (allow or deny).
    pub async fn submit_consent(&self, page: &Resp, decision: &str) -> Resp {
        let form = page
            .form_with("name=\"decision\"")
            .unwrap_or_else(|| panic!("no consent form at {}: {}", page.url, page.body));
        self.submit(&form, &[("decision", decision)]).await
    }

    /// Submits `form`: its hidden fields, then `extra`.
    pub async fn submit(&self, form: &Form, extra: &[(&str, &str)]) -> Resp {
        let fields = form.filled(extra);
        let fields: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.post_form(form.action.as_str(), &fields).await
    }

    /// Follows the provider's redirects from `first` (an authorization
    /// response), logging in as `user` and allowing consent whenever asked,
    /// until the provider redirects to `redirect_uri`. Returns that redirect
    /// and the kinds of pages seen ("login", "consent").
    pub async fn finish(
        &self,
        first: Resp,
        redirect_uri: &str,
        user: &User,
    ) -> (Callback, Vec<&'static str>) {
        let mut res = first;
        let mut seen = Vec::new();
        for _ in 0..10 {
            if res.status.is_redirection() {
                let to = res.redirect();
                if to.as_str().starts_with(redirect_uri) {
                    return (Callback::parse(&to), seen);
                }
                res = self.get(to.as_str()).await;
            } else if res.status == StatusCode::OK && res.is_login_page() {
                seen.push("login");
                res = self.submit_login(&res, &user.email, &user.password).await;
            } else if res.status == StatusCode::OK && res.is_consent_page() {
                seen.push("consent");
                res = self.submit_consent(&res, "allow").await;
            } else {
                panic!(
                    "unexpected response from {}: {} {}",
                    res.url, res.status, res.body
                );
            }
        }
        panic!("too many steps before reaching {redirect_uri}");
    }

    /// GETs the authorization URL and walks through the pages (see [`Self::finish`]).
    pub async fn authorize(
        &self,
        auth_url: &str,
        redirect_uri: &str,
        user: &User,
    ) -> (Callback, Vec<&'static str>) {
        let first = self.get(auth_url).await;
        self.finish(first, redirect_uri, user).await
    }
}
