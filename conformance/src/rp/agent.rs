//! The user agent: a browser without JavaScript that follows the OP's
//! redirects, signs the test user in on the OP's login page, approves its
//! consent page, and stops when the OP sends it back to the redirect URI.
//!
//! Pages are recognised by their forms, as the suite's `browser` scripts do:
//! a form with a password field is a login form (the first text or email
//! field gets the username); a form with a submit button named `allow`,
//! `approve`, `accept` or `consent` (or valued so) is a consent form; a POST
//! form whose action is the redirect URI is a `form_post` response.

use super::html::{self, Form};
use super::target::TestUser;
use reqwest::cookie::Jar;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// Where a navigation ended.
#[derive(Clone, Debug)]
pub enum Arrival {
    /// The OP sent the browser to the redirect URI.
    Callback(Callback),
    /// The OP stopped on a page of its own (an error page, or one the agent
    /// cannot use).
    Page {
        /// HTTP status.
        status: u16,
        /// The page's URL.
        url: Url,
        /// Its HTML.
        body: String,
        /// The pages the agent filled in on the way.
        seen: Vec<&'static str>,
    },
    /// The OP could not be reached or redirected somewhere else.
    Failed(String),
}

/// The authorization response at the redirect URI.
#[derive(Clone, Debug)]
pub struct Callback {
    /// The full URL the browser was sent to.
    pub url: Url,
    /// `GET` (query) or `POST` (form_post).
    pub method: &'static str,
    /// `Content-Type` of a form_post submission.
    pub content_type: Option<String>,
    /// Parameters: the query for `GET`, the form for `POST`.
    pub params: Vec<(String, String)>,
    /// The pages the agent filled in on the way: "login", "consent".
    pub seen: Vec<&'static str>,
}

impl Callback {
    /// The first value of parameter `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A browser with its own cookie jar.
pub struct Agent {
    http: reqwest::Client,
    redirect_uri: Url,
    user: Option<TestUser>,
}

fn is_redirect_target(url: &Url, redirect_uri: &Url) -> bool {
    url.scheme() == redirect_uri.scheme()
        && url.host_str() == redirect_uri.host_str()
        && url.port_or_known_default() == redirect_uri.port_or_known_default()
        && url.path() == redirect_uri.path()
}

fn is_consent(form: &Form) -> bool {
    const WORDS: [&str; 4] = ["allow", "approve", "accept", "consent"];
    form.fields.iter().any(|f| {
        f.kind == "submit"
            && [&f.name, &f.value, &f.id]
                .iter()
                .filter_map(|v| v.as_deref())
                .any(|v| WORDS.contains(&v.to_ascii_lowercase().as_str()))
    })
}

impl Agent {
    /// A fresh browser (no cookies) for `redirect_uri`, signing in as
    /// `user`, trusting `root` (a test CA) besides the system roots.
    pub fn new(
        redirect_uri: &str,
        user: Option<TestUser>,
        root: Option<&reqwest::Certificate>,
    ) -> Result<Self, String> {
        let mut builder = reqwest::Client::builder()
            .cookie_provider(Arc::new(Jar::default()))
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30));
        if let Some(root) = root {
            builder = builder.add_root_certificate(root.clone());
        }
        Ok(Self {
            http: builder.build().map_err(|e| e.to_string())?,
            redirect_uri: Url::parse(redirect_uri).map_err(|e| format!("redirect URI: {e}"))?,
            user,
        })
    }

    /// GET `url` and follow the OP until it answers the client.
    pub async fn navigate(&self, url: &str) -> Arrival {
        let req = self.http.get(url);
        self.follow(req, &self.redirect_uri, false).await
    }

    /// POST `params` to `url` (an authorization request by POST) and follow.
    pub async fn navigate_post(&self, url: &str, params: &[(String, String)]) -> Arrival {
        let req = self.http.post(url).form(params);
        self.follow(req, &self.redirect_uri, false).await
    }

    /// GET `url` (an end-session request) and follow the OP until it sends
    /// the browser to `post_logout_redirect_uri` or stops on a page; a logout
    /// confirmation (a submit button valued `logout`) is confirmed when
    /// `confirm` is set, as the suite's browser script would.
    pub async fn logout(
        &self,
        url: &str,
        post_logout_redirect_uri: &str,
        confirm: bool,
    ) -> Arrival {
        let Ok(target) = Url::parse(post_logout_redirect_uri) else {
            return Arrival::Failed("post_logout_redirect_uri is not a URL".into());
        };
        self.follow(self.http.get(url), &target, confirm).await
    }

    async fn follow(
        &self,
        first: reqwest::RequestBuilder,
        stop_at: &Url,
        confirm_logout: bool,
    ) -> Arrival {
        let mut seen: Vec<&'static str> = Vec::new();
        let mut next = Some(first);
        for _ in 0..16 {
            let Some(req) = next.take() else { break };
            let res = match req.send().await {
                Ok(r) => r,
                Err(e) => return Arrival::Failed(e.to_string()),
            };
            let status = res.status();
            let url = res.url().clone();
            if status.is_redirection() {
                let Some(location) = res
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|l| url.join(l).ok())
                else {
                    return Arrival::Failed(format!("{status} without a Location"));
                };
                if is_redirect_target(&location, stop_at) {
                    let params = location
                        .query_pairs()
                        .map(|(k, v)| (k.into_owned(), v.into_owned()))
                        .collect();
                    return Arrival::Callback(Callback {
                        url: location,
                        method: "GET",
                        content_type: None,
                        params,
                        seen,
                    });
                }
                next = Some(self.http.get(location));
                continue;
            }
            let body = res.text().await.unwrap_or_default();
            let forms = html::forms(&body, &url);
            // form_post: an auto-submitting form to the redirect URI.
            if let Some(f) = forms
                .iter()
                .find(|f| f.method == "POST" && is_redirect_target(&f.action, stop_at))
            {
                return Arrival::Callback(Callback {
                    url: f.action.clone(),
                    method: "POST",
                    content_type: Some("application/x-www-form-urlencoded".into()),
                    params: f.hidden(),
                    seen,
                });
            }
            if let Some(login) = forms.iter().find(|f| f.has_password()) {
                let Some(user) = &self.user else {
                    return Arrival::Page {
                        status: status.as_u16(),
                        url,
                        body,
                        seen,
                    };
                };
                if seen.iter().filter(|p| **p == "login").count() >= 2 {
                    // The OP refused the credentials twice: stop there.
                    return Arrival::Page {
                        status: status.as_u16(),
                        url,
                        body,
                        seen,
                    };
                }
                let mut fields = login.hidden();
                let name_field = login.fields.iter().find(|f| {
                    f.tag == "input"
                        && matches!(f.kind.as_str(), "text" | "email")
                        && f.name.is_some()
                });
                let password_field = login.fields.iter().find(|f| f.kind == "password");
                if let (Some(n), Some(p)) = (
                    name_field.and_then(|f| f.name.clone()),
                    password_field.and_then(|f| f.name.clone()),
                ) {
                    fields.push((n, user.username.clone()));
                    fields.push((p, user.password.clone()));
                }
                seen.push("login");
                next = Some(self.http.post(login.action.clone()).form(&fields));
                continue;
            }
            if let Some(consent) = forms.iter().find(|f| is_consent(f)) {
                let mut fields = consent.hidden();
                if let Some(button) = consent.fields.iter().find(|f| {
                    f.kind == "submit"
                        && [&f.name, &f.value, &f.id]
                            .iter()
                            .filter_map(|v| v.as_deref())
                            .any(|v| {
                                ["allow", "approve", "accept", "consent"]
                                    .contains(&v.to_ascii_lowercase().as_str())
                            })
                }) && let (Some(n), Some(v)) = (&button.name, &button.value)
                {
                    fields.push((n.clone(), v.clone()));
                }
                seen.push("consent");
                next = Some(self.http.post(consent.action.clone()).form(&fields));
                continue;
            }
            let logout_button = |f: &&Form| {
                f.fields
                    .iter()
                    .any(|b| b.kind == "submit" && b.value.as_deref() == Some("logout"))
            };
            if confirm_logout
                && !seen.contains(&"logout")
                && let Some(form) = forms.iter().find(logout_button)
            {
                let mut fields = form.hidden();
                if let Some(name) = form
                    .fields
                    .iter()
                    .find(|b| b.kind == "submit" && b.value.as_deref() == Some("logout"))
                    .and_then(|b| b.name.clone())
                {
                    fields.push((name, "logout".into()));
                }
                seen.push("logout");
                next = Some(self.http.post(form.action.clone()).form(&fields));
                continue;
            }
            return Arrival::Page {
                status: status.as_u16(),
                url,
                body,
                seen,
            };
        }
        Arrival::Failed("too many redirects or pages".into())
    }
}
