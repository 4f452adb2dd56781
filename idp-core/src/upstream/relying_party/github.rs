//! GitHub (and GitHub Enterprise Server): OAuth 2 (RFC 6749 §4.1) with
//! PKCE S256, then its REST API for who signed in. Not OpenID Connect, so
//! there is no ID token: the subject is the numeric user id (a login can be
//! renamed and reused), and the email is the one GitHub marks primary and
//! verified, or none at all ([`UpstreamFailure::NoVerifiedEmail`]).
//!
//! Endpoints, from the base URL (`https://github.com` unless the upstream
//! names a GitHub Enterprise Server): `{base}/login/oauth/authorize`,
//! `{base}/login/oauth/access_token`, and the API at
//! `https://api.github.com` (github.com) or `{base}/api/v3` (GHES).

use super::transport::Transport;
use super::{Configured, Outgoing};
use crate::upstream::{Asserted, UpstreamFailure, UpstreamKind};
use openidconnect::{PkceCodeChallenge, PkceCodeVerifier};

/// The scopes asked for: the profile and the email addresses.
pub(crate) const SCOPES: &str = "read:user user:email";

/// GitHub's API wants a User-Agent on every request.
const USER_AGENT: &str = "idp-server (upstream login)";

/// github.com's base URL.
const GITHUB_COM: &str = "https://github.com";

/// Where a GitHub upstream's endpoints are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Endpoints {
    /// `{base}/login/oauth/authorize`.
    pub authorize: String,
    /// `{base}/login/oauth/access_token`.
    pub token: String,
    /// The REST API's root.
    pub api: String,
}

impl Endpoints {
    /// The endpoints of the base URL `base` (`None`: github.com).
    pub(crate) fn of(base: Option<&str>) -> Result<Self, UpstreamFailure> {
        let base = base
            .or(UpstreamKind::Github.default_issuer())
            .unwrap_or(GITHUB_COM)
            .trim_end_matches('/');
        let parsed = url::Url::parse(base)
            .map_err(|_| UpstreamFailure::Misconfigured("the base URL is not a URL".into()))?;
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(UpstreamFailure::Misconfigured(
                "the base URL has a query or fragment".into(),
            ));
        }
        let api = if base == GITHUB_COM {
            "https://api.github.com".to_owned()
        } else {
            format!("{base}/api/v3")
        };
        Ok(Self {
            authorize: format!("{base}/login/oauth/authorize"),
            token: format!("{base}/login/oauth/access_token"),
            api,
        })
    }
}

/// The token endpoint's answer. GitHub answers errors with status 200 and
/// an `error` member.
#[derive(serde::Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    error: Option<String>,
}

/// `GET /user`.
#[derive(serde::Deserialize)]
struct User {
    id: u64,
    login: Option<String>,
    name: Option<String>,
}

/// One of `GET /user/emails`.
#[derive(serde::Deserialize)]
struct Email {
    email: String,
    #[serde(default)]
    primary: bool,
    #[serde(default)]
    verified: bool,
}

/// The S256 challenge of the PKCE verifier (RFC 7636 §4.2).
fn challenge(verifier: &str) -> Result<(PkceCodeVerifier, PkceCodeChallenge), UpstreamFailure> {
    super::openid::pkce(verifier)
}

/// The authorization request's URL.
pub(crate) fn authorization_url(
    upstream: Configured<'_>,
    out: Outgoing<'_>,
) -> Result<String, UpstreamFailure> {
    let endpoints = Endpoints::of(upstream.record.issuer.as_deref())?;
    let (_, challenge) = challenge(out.pkce_verifier)?;
    let mut url = url::Url::parse(&endpoints.authorize)
        .map_err(|_| UpstreamFailure::Misconfigured("the base URL is not a URL".into()))?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &upstream.record.client_id)
        .append_pair("redirect_uri", out.redirect_uri)
        .append_pair("scope", SCOPES)
        .append_pair("state", out.state)
        .append_pair("code_challenge", challenge.as_str())
        .append_pair("code_challenge_method", "S256");
    Ok(url.into())
}

/// A GET of the API with the access token.
fn api_get(url: &str, token: &str) -> Result<http::Request<Vec<u8>>, UpstreamFailure> {
    http::Request::get(url)
        .header(http::header::ACCEPT, "application/vnd.github+json")
        .header(http::header::USER_AGENT, USER_AGENT)
        .header("X-GitHub-Api-Version", "2022-11-28")
        .header(http::header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Vec::new())
        .map_err(|_| UpstreamFailure::Misconfigured("the API URL is not a URL".into()))
}

/// A 200 answer's JSON, or why not.
async fn ok_json<T: serde::de::DeserializeOwned>(
    http: &Transport,
    what: &str,
    request: http::Request<Vec<u8>>,
) -> Result<T, UpstreamFailure> {
    let (status, parsed) = http.json::<T>(request).await?;
    if status != http::StatusCode::OK {
        return Err(UpstreamFailure::Unreachable(format!(
            "{what} answered status {}",
            status.as_u16()
        )));
    }
    parsed.map_err(UpstreamFailure::Unreachable)
}

/// Redeems `code`, then reads the user and their emails.
pub(crate) async fn redeem(
    http: &Transport,
    upstream: Configured<'_>,
    code: &str,
    out: Outgoing<'_>,
) -> Result<Asserted, UpstreamFailure> {
    let endpoints = Endpoints::of(upstream.record.issuer.as_deref())?;
    let (verifier, _) = challenge(out.pkce_verifier)?;
    let form = form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "authorization_code")
        .append_pair("client_id", &upstream.record.client_id)
        .append_pair("client_secret", upstream.client_secret)
        .append_pair("code", code)
        .append_pair("redirect_uri", out.redirect_uri)
        .append_pair("code_verifier", verifier.secret())
        .finish();
    let request = http::Request::post(&endpoints.token)
        .header(http::header::ACCEPT, "application/json")
        .header(
            http::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .header(http::header::USER_AGENT, USER_AGENT)
        .body(form.into_bytes())
        .map_err(|_| UpstreamFailure::Misconfigured("the base URL is not a URL".into()))?;
    let (status, answer) = http.json::<TokenAnswer>(request).await?;
    let answer = answer.map_err(UpstreamFailure::Unreachable)?;
    let token = match (answer.error, answer.access_token) {
        (Some(error), _) => return Err(UpstreamFailure::UpstreamError(short_code(&error))),
        (None, Some(token)) if status == http::StatusCode::OK => token,
        _ => {
            return Err(UpstreamFailure::Unreachable(format!(
                "the token endpoint answered status {} without an access token",
                status.as_u16()
            )));
        }
    };

    let user: User = ok_json(
        http,
        "GitHub's /user",
        api_get(&format!("{}/user", endpoints.api), &token)?,
    )
    .await?;
    let emails: Vec<Email> = ok_json(
        http,
        "GitHub's /user/emails",
        api_get(&format!("{}/user/emails", endpoints.api), &token)?,
    )
    .await?;
    let email = emails
        .into_iter()
        .find(|e| e.primary && e.verified)
        .ok_or(UpstreamFailure::NoVerifiedEmail)?;
    Ok(Asserted {
        subject: user.id.to_string(),
        email: Some(email.email),
        email_verified: true,
        name: user.name.filter(|n| !n.trim().is_empty()).or(user.login),
    })
}

/// An error code as logged: the RFC 6749 §5.2 character set, bounded.
fn short_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_graphic())
        .take(64)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_com_uses_the_api_host_and_ghes_its_api_path() {
        let com = Endpoints::of(None).expect("github.com");
        assert_eq!(com.authorize, "https://github.com/login/oauth/authorize");
        assert_eq!(com.token, "https://github.com/login/oauth/access_token");
        assert_eq!(com.api, "https://api.github.com");
        let ghes = Endpoints::of(Some("https://git.corp.example/")).expect("GHES");
        assert_eq!(
            ghes.authorize,
            "https://git.corp.example/login/oauth/authorize"
        );
        assert_eq!(ghes.api, "https://git.corp.example/api/v3");
        assert!(Endpoints::of(Some("not a url")).is_err());
    }
}
