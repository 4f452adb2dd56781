//! Plain HTTP: responses read whole, forms parsed out of pages (with the
//! conformance runner's HTML reader).

use reqwest::header::HeaderMap;
use reqwest::{StatusCode, redirect::Policy};
use serde_json::Value;
use std::time::Duration;
use url::Url;

/// A client without cookies that never follows redirects (also the
/// `openidconnect` HTTP client, as its docs require).
pub fn plain_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .expect("HTTP client")
}

/// A response, read whole.
#[derive(Debug)]
pub struct Resp {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// The URL that was requested.
    pub url: Url,
    /// Body text.
    pub body: String,
}

impl Resp {
    pub(crate) async fn read(url: Url, res: reqwest::Response) -> Self {
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.text().await.expect("response body");
        Self {
            status,
            headers,
            url,
            body,
        }
    }

    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().expect("ASCII header").to_owned())
    }

    /// Every value of a header.
    pub fn header_all(&self, name: &str) -> Vec<String> {
        self.headers
            .get_all(name)
            .iter()
            .map(|v| v.to_str().expect("ASCII header").to_owned())
            .collect()
    }

    /// `Location`, resolved against the request URL.
    pub fn location(&self) -> Option<Url> {
        self.header("location").map(|l| {
            self.url
                .join(&l)
                .unwrap_or_else(|e| panic!("bad Location '{l}': {e}"))
        })
    }

    /// `Location`, which must be there, after a 302 or 303.
    pub fn redirect(&self) -> Url {
        assert!(
            self.status == StatusCode::FOUND || self.status == StatusCode::SEE_OTHER,
            "expected a redirect from {}, got {}: {}",
            self.url,
            self.status,
            self.body
        );
        self.location()
            .unwrap_or_else(|| panic!("redirect from {} without Location", self.url))
    }

    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("body of {} is not JSON ({e}): {}", self.url, self.body))
    }

    /// Whether the page shows the login form.
    pub fn is_login_page(&self) -> bool {
        self.form_with("name=\"password\"").is_some()
            && self.body.contains("id=\"username\"")
            && self.body.contains("id=\"password\"")
    }

    /// Whether the page shows the consent form.
    pub fn is_consent_page(&self) -> bool {
        self.form_with("name=\"decision\"").is_some()
    }

    /// The first form whose HTML contains `marker`.
    pub fn form_with(&self, marker: &str) -> Option<Form> {
        conformance::rp::html::forms(&self.body, &self.url)
            .into_iter()
            .find(|f| f.html.contains(marker))
    }

    /// Asserts an RFC 6749 §5.2 JSON error with this status and code.
    pub fn assert_oauth_error(&self, status: StatusCode, error: &str) -> Value {
        assert_eq!(
            (self.status, self.json()["error"].as_str()),
            (status, Some(error)),
            "expected {status} {error} from {}, got {}: {}",
            self.url,
            self.status,
            self.body
        );
        self.json()
    }
}

/// A form on a page, read by the conformance runner's HTML reader.
pub use conformance::rp::html::Form;

/// What the tests ask of a form of idp's pages.
pub trait PageForm {
    /// The hidden `csrf` value, which every form of idp's pages carries.
    fn csrf(&self) -> String;

    /// What submitting it sends: its hidden fields, then `extra`.
    fn filled(&self, extra: &[(&str, &str)]) -> Vec<(String, String)>;
}

impl PageForm for Form {
    fn csrf(&self) -> String {
        self.hidden_value("csrf")
            .unwrap_or_else(|| panic!("form without a csrf field: {}", self.html))
    }

    fn filled(&self, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut fields = self.hidden();
        fields.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        fields
    }
}
