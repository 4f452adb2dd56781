//! The one HTTP client for requests the server makes itself: clients'
//! `jwks_uri` and `request_uri` documents, back-channel Logout Tokens, and
//! whatever later needs to call out (upstream login, webhooks). It enforces
//! the core's [`OutboundPolicy`] (ADR 0019):
//!
//! - the URL is checked before anything is sent: https (http only with
//!   `OUTBOUND_ALLOW_HTTP`), no user name or password, and a host written
//!   as an address must be permitted (such a host never reaches a resolver);
//! - a host name is resolved here, by [`GuardedResolver`], and refused if
//!   any of its addresses is forbidden and not in `OUTBOUND_ALLOW`; the
//!   connection goes to the addresses that were checked, never to a second
//!   resolution, so DNS rebinding cannot switch the destination;
//! - no proxy from the environment, no redirects, a 5-second timeout, and
//!   documents of at most 64 KiB.
//!
//! Errors carry the cause for the log and never the URL's query or
//! credentials; callers show users one description whatever the cause.

use crate::config::ConfigError;
use bytes::Bytes;
use idp_core::ip_block::IpBlocks;
use idp_core::outbound::{OutboundPolicy, OutboundRefusal};
use idp_core::upstream::UpstreamHttp;
use idp_core::{Deliver, Fetch};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// How long one request may take in all (Back-Channel Logout §2.5 asks for
/// a bound; a logout waits at most this long for its relying parties).
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// Largest document read (a JWK Set, a request object).
pub const MAX_DOCUMENT_BYTES: usize = 64 * 1024;

/// Why an outbound request did not give its answer.
#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    /// The URL itself is refused.
    #[error("refused before sending: the URL {0}")]
    Refused(#[from] OutboundRefusal),
    /// Connecting, resolving (including a refused address), TLS, timeout.
    #[error("{0}")]
    Transport(String),
    /// Not 200.
    #[error("answered status {0}")]
    Status(u16),
    /// Larger than [`MAX_DOCUMENT_BYTES`].
    #[error("the document is larger than {MAX_DOCUMENT_BYTES} bytes")]
    TooLarge,
}

/// A host name resolved to an address the policy refuses.
#[derive(Debug, thiserror::Error)]
#[error("{name} resolves to {ip}, a loopback, private, link-local or reserved address")]
struct ForbiddenAddress {
    name: String,
    ip: IpAddr,
}

/// Resolves names with the system resolver and refuses the lot if any
/// address is forbidden: reqwest then connects to exactly these addresses.
struct GuardedResolver {
    policy: Arc<OutboundPolicy>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = Arc::clone(&self.policy);
        let name = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            if let Some(bad) = addrs.iter().find(|a| !policy.permits_address(a.ip())) {
                return Err(Box::new(ForbiddenAddress { name, ip: bad.ip() }) as _);
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// The policy from `OUTBOUND_ALLOW` (address blocks, comma-separated;
/// `none` or unset: none) and `OUTBOUND_ALLOW_HTTP` (`on`/`off`, default off).
pub fn policy_from_settings(
    allow: Option<String>,
    allow_http: Option<String>,
) -> Result<OutboundPolicy, ConfigError> {
    let allow = match allow {
        None => Default::default(),
        Some(v) => IpBlocks::parse(&v).map_err(|m| ConfigError::new("OUTBOUND_ALLOW", m))?,
    };
    let allow_http = crate::config::on_off("OUTBOUND_ALLOW_HTTP", allow_http)?;
    Ok(OutboundPolicy { allow, allow_http })
}

/// `OUTBOUND_ALLOW` for development and tests, where relying parties run
/// on the same machine: the loopback addresses.
pub const LOOPBACK_ALLOW: &str = "127.0.0.1/32,::1/128";

/// The policy of development and tests (`OUTBOUND_ALLOW=`[`LOOPBACK_ALLOW`],
/// `OUTBOUND_ALLOW_HTTP=on`): requests may go to this machine over plain
/// http. Never a default: servers get it only where it is set explicitly.
pub fn loopback_policy() -> OutboundPolicy {
    OutboundPolicy {
        // A constant that parses; the wider loopback blocks otherwise.
        allow: IpBlocks::parse(LOOPBACK_ALLOW).unwrap_or_else(|_| IpBlocks::loopback()),
        allow_http: true,
    }
}

/// `scheme://host:port/path` of `url`: what may be logged.
pub fn loggable(url: &url::Url) -> String {
    format!(
        "{}://{}{}",
        url.scheme(),
        url.host_str().unwrap_or(""),
        url.port().map_or(String::new(), |p| format!(":{p}"))
    ) + url.path()
}

/// An error and its causes, without the URL (reqwest's `Display` has it).
fn causes(e: reqwest::Error) -> OutboundError {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    OutboundError::Transport(text)
}

/// The guarded client. Cheap to clone.
#[derive(Clone)]
pub struct OutboundClient {
    http: reqwest::Client,
    policy: Arc<OutboundPolicy>,
}

impl OutboundClient {
    /// A client enforcing `policy`.
    pub fn new(policy: OutboundPolicy) -> Result<Self, reqwest::Error> {
        let policy = Arc::new(policy);
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .https_only(!policy.allow_http)
            .dns_resolver(Arc::new(GuardedResolver {
                policy: Arc::clone(&policy),
            }))
            .build()?;
        Ok(Self { http, policy })
    }

    /// Parses and checks `url` before anything is sent.
    fn checked(&self, url: &str) -> Result<url::Url, OutboundError> {
        Ok(self.policy.check_str(url)?)
    }

    /// GETs the document at `url`: its body if the answer is 200 and at
    /// most [`MAX_DOCUMENT_BYTES`].
    pub async fn get(&self, url: &str) -> Result<Bytes, OutboundError> {
        let url = self.checked(url)?;
        let mut res = self.http.get(url).send().await.map_err(causes)?;
        if res.status() != reqwest::StatusCode::OK {
            return Err(OutboundError::Status(res.status().as_u16()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = res.chunk().await.map_err(causes)? {
            if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
                return Err(OutboundError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Bytes::from(body))
    }

    /// POSTs `form` to `url`; the answer's status.
    pub async fn post_form(
        &self,
        url: &str,
        form: &[(String, String)],
    ) -> Result<u16, OutboundError> {
        let url = self.checked(url)?;
        let res = self
            .http
            .post(url)
            .form(form)
            .send()
            .await
            .map_err(causes)?;
        Ok(res.status().as_u16())
    }

    /// Sends `request` as it is (method, headers, body) and returns the
    /// answer whatever its status: the same URL check, timeout, no
    /// redirects (a 3xx comes back as it is) and size cap as [`Self::get`].
    pub async fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, OutboundError> {
        let (parts, body) = request.into_parts();
        let url = self.checked(&parts.uri.to_string())?;
        let mut res = self
            .http
            .request(parts.method, url)
            .headers(parts.headers)
            .body(body)
            .send()
            .await
            .map_err(causes)?;
        let mut answer = http::Response::builder().status(res.status());
        if let Some(headers) = answer.headers_mut() {
            headers.extend(res.headers().iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        let mut body = Vec::new();
        while let Some(chunk) = res.chunk().await.map_err(causes)? {
            if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
                return Err(OutboundError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        answer
            .body(body)
            .map_err(|e| OutboundError::Transport(e.to_string()))
    }

    /// The core's [`UpstreamHttp`] hook (upstream login: discovery, key
    /// sets, token requests, userinfo, GitHub's API). Its error names the
    /// method, the URL without query, and the cause; never a header or the
    /// body, which carry the client's secret, codes and tokens.
    pub fn upstream_hook(&self) -> UpstreamHttp {
        let client = self.clone();
        Arc::new(move |request: http::Request<Vec<u8>>| {
            let client = client.clone();
            Box::pin(async move {
                let (method, url) = (request.method().to_string(), request.uri().to_string());
                client
                    .send(request)
                    .await
                    .map_err(|e| describe(&method, &url, &e))
            })
        })
    }

    /// The core's [`Fetch`] hook (jwks_uri, request_uri). Its error names
    /// the URL without query and the cause.
    pub fn fetch_hook(&self) -> Fetch {
        let client = self.clone();
        Arc::new(move |url: String| {
            let client = client.clone();
            Box::pin(async move {
                client
                    .get(&url)
                    .await
                    .map_err(|e| describe("GET", &url, &e))
            })
        })
    }

    /// The core's [`Deliver`] hook (back-channel logout). Each request runs
    /// as its own task, so it finishes even if the browser that asked for
    /// the logout goes away; the provider waits for all of a logout's
    /// deliveries together.
    pub fn deliver_hook(&self) -> Deliver {
        let client = self.clone();
        Arc::new(move |url: String, form: Vec<(String, String)>| {
            let client = client.clone();
            let task = tokio::spawn(async move {
                client
                    .post_form(&url, &form)
                    .await
                    .map_err(|e| describe("POST", &url, &e))
            });
            Box::pin(async move { task.await.map_err(|e| e.to_string())? })
        })
    }
}

/// "METHOD scheme://host/path: cause", for the log.
fn describe(method: &str, url: &str, e: &OutboundError) -> String {
    let target = url::Url::parse(url).map_or_else(|_| "(unparsable URL)".into(), |u| loggable(&u));
    format!("{method} {target}: {e}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logged_urls_lose_query_fragment_and_credentials() -> Result<(), url::ParseError> {
        let url = url::Url::parse("https://u:p@rp.example:8443/r.jwt?token=secret#v1")?;
        assert_eq!(loggable(&url), "https://rp.example:8443/r.jwt");
        Ok(())
    }

    #[tokio::test]
    async fn names_resolving_to_loopback_are_refused() -> Result<(), reqwest::Error> {
        let client = OutboundClient::new(OutboundPolicy {
            allow_http: true,
            ..Default::default()
        })?;
        let err = client.get("http://localhost:9/x").await.err();
        let text = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(text.contains("resolves to"), "{text}");
        Ok(())
    }
}
