//! Plain HTTP: responses read whole, forms parsed out of pages.

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
        forms(&self.body, &self.url)
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

/// A form on a page.
#[derive(Clone, Debug)]
pub struct Form {
    /// `action`, resolved against the page URL.
    pub action: Url,
    /// Hidden inputs.
    pub hidden: Vec<(String, String)>,
    /// The form's HTML.
    pub html: String,
}

impl Form {
    /// The hidden `csrf` value.
    pub fn csrf(&self) -> String {
        self.hidden
            .iter()
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("form without a csrf field: {}", self.html))
    }
}

/// Decodes the few HTML entities a template engine emits in attributes.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let Some(end) = tail.find(';') else {
            out.push_str(tail);
            return out;
        };
        let entity = &tail[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e if e.starts_with("#x") || e.starts_with("#X") => u32::from_str_radix(&e[2..], 16)
                .ok()
                .and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &tail[end + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The value of attribute `name` in the tag `tag` (`<input ... >`).
fn attr(tag: &str, name: &str) -> Option<String> {
    let bytes = tag.as_bytes();
    let pattern = format!("{name}=");
    let mut from = 0;
    while let Some(pos) = tag[from..].find(&pattern) {
        let start = from + pos;
        let preceded_by_space = start > 0 && bytes[start - 1].is_ascii_whitespace();
        let after = start + pattern.len();
        if preceded_by_space {
            let rest = &tag[after..];
            let value = if let Some(r) = rest.strip_prefix('"') {
                r.split('"').next()
            } else if let Some(r) = rest.strip_prefix('\'') {
                r.split('\'').next()
            } else {
                rest.split(|c: char| c.is_ascii_whitespace() || c == '>')
                    .next()
            };
            return value.map(unescape);
        }
        from = after;
    }
    None
}

/// Every `<form>` of a page.
fn forms(html: &str, page: &Url) -> Vec<Form> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<form") {
        let tail = &rest[start..];
        let end = tail
            .find("</form>")
            .map_or(tail.len(), |e| e + "</form>".len());
        let form_html = &tail[..end];
        let open_end = form_html.find('>').unwrap_or(form_html.len());
        let open = &form_html[..open_end];
        let action = attr(open, "action").unwrap_or_default();
        let action = page
            .join(&action)
            .unwrap_or_else(|e| panic!("bad form action '{action}': {e}"));
        let mut hidden = Vec::new();
        let mut inputs = form_html;
        while let Some(i) = inputs.find("<input") {
            let t = &inputs[i..];
            let close = t.find('>').unwrap_or(t.len());
            let tag = &t[..close];
            if attr(tag, "type").as_deref() == Some("hidden")
                && let Some(name) = attr(tag, "name")
            {
                hidden.push((name, attr(tag, "value").unwrap_or_default()));
            }
            inputs = &t[close..];
        }
        out.push(Form {
            action,
            hidden,
            html: form_html.to_owned(),
        });
        rest = &tail[end..];
    }
    out
}
