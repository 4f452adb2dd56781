//! # device-cli
//!
//! Signs a user in to any OpenID Provider from a terminal with the OAuth 2.0
//! Device Authorization Grant (RFC 8628), using the standard
//! [`openidconnect`] client library, and returns the verified ID token's
//! claims.
//!
//! The steps, all in [`sign_in`]:
//! 1. discovery: `{issuer}/.well-known/openid-configuration` (and the JWKS it
//!    names), with `device_authorization_endpoint` read as extra metadata;
//! 2. device authorization request: the provider answers with a
//!    `device_code` for us and a `user_code` for the person, who opens
//!    `verification_uri(_complete)` on any device with a browser;
//! 3. polling the token endpoint with
//!    `grant_type=urn:ietf:params:oauth:grant-type:device_code`, every
//!    `interval` seconds; `authorization_pending` means keep waiting,
//!    `slow_down` adds 5 seconds to the interval for good (RFC 8628 §3.5),
//!    `access_denied` and `expired_token` end it ([`Error::AccessDenied`],
//!    [`Error::Expired`]);
//! 4. the ID token: signature against the issuer's JWKS, with one of the
//!    algorithms the issuer advertises, then `iss`, `aud` (and `azp`), `exp`
//!    and `at_hash`.
//!
//! The binary prints the prompt to standard error and the claims as JSON to
//! standard output, so `device-cli ... | jq .sub` works.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openidconnect::core::{
    CoreAuthDisplay, CoreClaimName, CoreClaimType, CoreClient, CoreClientAuthMethod,
    CoreDeviceAuthorizationResponse, CoreGrantType, CoreJsonWebKey,
    CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm, CoreResponseMode,
    CoreResponseType, CoreSubjectIdentifierType,
};
use openidconnect::{
    AccessTokenHash, AdditionalProviderMetadata, ClientId, ClientSecret, DeviceAuthorizationUrl,
    DeviceCodeErrorResponseType, IssuerUrl, Nonce, OAuth2TokenResponse, ProviderMetadata,
    RequestTokenError, Scope, TokenResponse, reqwest,
};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// What to sign in to, and as which client.
#[derive(Clone, Debug)]
pub struct Options {
    /// The issuer URL, e.g. `https://login.example.com/t/acme`.
    pub issuer: String,
    /// The client's `client_id`; the client must be allowed the device grant.
    pub client_id: String,
    /// The client's secret, for a confidential client (sent with HTTP Basic).
    pub client_secret: Option<String>,
    /// Space-separated scopes; `openid` is always requested.
    pub scope: String,
}

/// What the person must do, to be shown on the device.
#[derive(Clone, Debug)]
pub struct Prompt {
    /// Where to enter the code.
    pub verification_uri: String,
    /// The same with the code filled in, if the provider offers it.
    pub verification_uri_complete: Option<String>,
    /// The code to enter (or to compare, with the complete URI).
    pub user_code: String,
    /// How long the code is valid.
    pub expires_in: Duration,
}

impl std::fmt::Display for Prompt {
    /// `Open URL and enter the code CODE`, the URL carrying the code when
    /// the provider offers that (the code is still shown, so the person can
    /// check it against the page).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let url = self
            .verification_uri_complete
            .as_deref()
            .unwrap_or(&self.verification_uri);
        write!(
            f,
            "Open {url} and enter the code {} (valid for {} minutes)",
            self.user_code,
            self.expires_in.as_secs().div_ceil(60)
        )
    }
}

/// Why signing in failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The arguments are unusable.
    #[error("{0}")]
    Usage(String),
    /// The discovery document or the JWKS could not be read.
    #[error("cannot discover the issuer {issuer}: {detail}")]
    Discovery {
        /// The issuer.
        issuer: String,
        /// What failed.
        detail: String,
    },
    /// The issuer does not publish a device authorization endpoint.
    #[error(
        "the issuer does not offer the device flow: its discovery document has no device_authorization_endpoint"
    )]
    NoDeviceEndpoint,
    /// The device authorization request was refused.
    #[error("the device authorization request failed: {0}")]
    DeviceAuthorization(String),
    /// The person declined on the verification page.
    #[error("access denied: the request was declined on the verification page")]
    AccessDenied,
    /// Nobody approved the request before the code expired.
    #[error("the code expired before anyone approved it; run the command again")]
    Expired,
    /// The token endpoint answered with another error.
    #[error("the token request failed: {0}")]
    Token(String),
    /// The token response has no ID token.
    #[error("the token response has no ID token")]
    NoIdToken,
    /// The ID token did not verify.
    #[error("the ID token is not valid: {0}")]
    InvalidIdToken(String),
}

impl Error {
    /// The process exit status for this error: 3 access denied, 4 expired,
    /// 2 usage, 1 anything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::AccessDenied => 3,
            Error::Expired => 4,
            Error::Usage(_) => 2,
            _ => 1,
        }
    }
}

/// Discovery metadata plus `device_authorization_endpoint` (RFC 8414 §2 /
/// RFC 8628 §4), which OpenID Connect Discovery does not define.
#[derive(Clone, Debug, Deserialize, Serialize)]
struct DeviceMetadata {
    device_authorization_endpoint: Option<DeviceAuthorizationUrl>,
}
impl AdditionalProviderMetadata for DeviceMetadata {}

type DeviceProviderMetadata = ProviderMetadata<
    DeviceMetadata,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

/// The error and its causes on one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Runs the whole device flow: `show` is called once with what the person
/// must do; the result is the ID token's verified claims.
pub async fn sign_in(
    options: &Options,
    show: impl FnOnce(&Prompt),
) -> Result<serde_json::Value, Error> {
    let http = reqwest::Client::builder()
        // Following redirects would let a provider point us anywhere (SSRF).
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| Error::Usage(chain(&e)))?;
    let issuer = IssuerUrl::new(options.issuer.trim_end_matches('/').to_owned())
        .map_err(|e| Error::Usage(format!("--issuer: {e}")))?;

    // 1. Discovery (checks that the document's issuer is this one) and JWKS.
    let metadata = DeviceProviderMetadata::discover_async(issuer, &http)
        .await
        .map_err(|e| Error::Discovery {
            issuer: options.issuer.clone(),
            detail: chain(&e),
        })?;
    let device_endpoint = metadata
        .additional_metadata()
        .device_authorization_endpoint
        .clone()
        .ok_or(Error::NoDeviceEndpoint)?;
    let algorithms = metadata.id_token_signing_alg_values_supported().clone();
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(options.client_id.clone()),
        options.client_secret.clone().map(ClientSecret::new),
    )
    .set_device_authorization_url(device_endpoint);

    // 2. Device authorization request (`openid` is added by the library).
    let mut request = client.exchange_device_code();
    for scope in options.scope.split_whitespace().filter(|s| *s != "openid") {
        request = request.add_scope(Scope::new(scope.to_owned()));
    }
    let details: CoreDeviceAuthorizationResponse = request
        .request_async(&http)
        .await
        .map_err(|e| Error::DeviceAuthorization(request_error(&e)))?;
    show(&Prompt {
        verification_uri: details.verification_uri().to_string(),
        verification_uri_complete: details
            .verification_uri_complete()
            .map(|u| u.secret().clone()),
        user_code: details.user_code().secret().clone(),
        expires_in: details.expires_in(),
    });

    // 3. Polling: the library waits `interval`, keeps going on
    // `authorization_pending`, adds 5 s on `slow_down`, and gives up after
    // `expires_in` with `expired_token`.
    let tokens = client
        .exchange_device_access_token(&details)
        .map_err(|e| Error::Usage(chain(&e)))?
        .request_async(&http, tokio::time::sleep, None)
        .await
        .map_err(|e| match &e {
            RequestTokenError::ServerResponse(r) => match r.error() {
                DeviceCodeErrorResponseType::AccessDenied => Error::AccessDenied,
                DeviceCodeErrorResponseType::ExpiredToken => Error::Expired,
                _ => Error::Token(request_error(&e)),
            },
            _ => Error::Token(request_error(&e)),
        })?;

    // 4. The ID token. No nonce exists in the device flow.
    let id_token = tokens.id_token().ok_or(Error::NoIdToken)?;
    let verifier = client.id_token_verifier().set_allowed_algs(algorithms);
    let claims = id_token
        .claims(&verifier, |_: Option<&Nonce>| Ok(()))
        .map_err(|e| Error::InvalidIdToken(chain(&e)))?;
    if let Some(expected) = claims.access_token_hash() {
        let invalid = |e: &dyn std::error::Error| Error::InvalidIdToken(chain(e));
        let alg = id_token.signing_alg().map_err(|e| invalid(&e))?;
        let key = id_token.signing_key(&verifier).map_err(|e| invalid(&e))?;
        let actual = AccessTokenHash::from_token(tokens.access_token(), alg, key)
            .map_err(|e| invalid(&e))?;
        if &actual != expected {
            return Err(Error::InvalidIdToken(
                "at_hash does not match the access token".into(),
            ));
        }
    }
    verified_payload(&id_token.to_string())
}

/// Every claim of an ID token that has just been verified: its JWS payload
/// as JSON. (`IdTokenClaims` keeps only the claims it knows; this keeps
/// `sid` and any other claim the provider adds.)
fn verified_payload(compact: &str) -> Result<serde_json::Value, Error> {
    let invalid = |what: &str| Error::InvalidIdToken(what.to_owned());
    let payload = compact
        .split('.')
        .nth(1)
        .ok_or_else(|| invalid("not a compact JWS"))?;
    let bytes = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| invalid("payload is not base64url"))?;
    serde_json::from_slice(&bytes).map_err(|_| invalid("payload is not JSON"))
}

/// A token-endpoint error as `error: description`, or the transport failure.
fn request_error<RE: std::error::Error + 'static, T: openidconnect::ErrorResponse + 'static>(
    e: &RequestTokenError<RE, T>,
) -> String {
    match e {
        RequestTokenError::ServerResponse(r) => r.to_string(),
        other => chain(other),
    }
}
