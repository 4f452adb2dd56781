//! OpenID upstreams (`oidc`, `google`, `microsoft`) through the
//! `openidconnect` crate: discovery (OIDC Discovery 1.0 §4) and the key
//! set, cached per issuer; the authorization request (OIDC Core §3.1.2.1)
//! with PKCE S256 (RFC 7636 §4.2), `state` and `nonce`; the token request
//! (§3.1.3.1) authenticated with `client_secret_basic`, or
//! `client_secret_post` when that is all the upstream supports; the ID
//! token's validation (§3.1.3.7: signature with the upstream's keys, `iss`,
//! `aud`, `exp`, `nonce`); then userinfo (§5.3), whose `sub` must be the ID
//! token's (§5.3.2).

use super::issuer::{IssuerRule, microsoft_subject};
use super::transport::Transport;
use super::{Configured, Outgoing};
use crate::upstream::{Asserted, UpstreamFailure, UpstreamKind};
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreClientAuthMethod,
    CoreErrorResponseType, CoreGenderClaim, CoreJsonWebKey, CoreJsonWebKeySet,
    CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm, CoreProviderMetadata,
    CoreRevocableToken, CoreRevocationErrorResponse, CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, AuthType, AuthorizationCode, ClaimsVerificationError, Client, ClientId,
    ClientSecret, CsrfToken, EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet, EndpointSet,
    IdTokenFields, JsonWebKeySet, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, RequestTokenError, Scope, SignatureVerificationError, StandardErrorResponse,
    StandardTokenResponse, TokenResponse, UserInfoError,
};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a discovery document and its key set are used before they are
/// fetched again (an unknown `kid` refreshes the key set sooner).
pub(crate) const DISCOVERY_TTL: Duration = Duration::from_secs(5 * 60);

/// The claims beyond the standard ones this side reads: Microsoft's tenant
/// (`tid`) and object id (`oid`).
#[derive(Clone, Debug, Default, serde::Deserialize, serde::Serialize)]
pub(crate) struct UpstreamClaims {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    oid: Option<String>,
}

impl AdditionalClaims for UpstreamClaims {}

type IdFields = IdTokenFields<
    UpstreamClaims,
    EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
type Tokens = StandardTokenResponse<IdFields, CoreTokenType>;

/// `openidconnect`'s client with [`UpstreamClaims`], built from discovery.
type RpClient = Client<
    UpstreamClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    Tokens,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// An issuer's discovery document with its key set, and what `iss` its
/// tokens must carry.
#[derive(Clone)]
pub(crate) struct Discovered {
    metadata: CoreProviderMetadata,
    rule: IssuerRule,
    fetched: Instant,
}

/// Discovery documents by configured issuer.
#[derive(Default)]
pub(crate) struct DiscoveryCache {
    entries: Mutex<HashMap<String, Arc<Discovered>>>,
}

impl DiscoveryCache {
    fn get(&self, issuer: &str) -> Option<Arc<Discovered>> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(issuer)
            .filter(|d| d.fetched.elapsed() < DISCOVERY_TTL)
            .cloned()
    }

    fn put(&self, issuer: &str, discovered: Arc<Discovered>) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|_, d| d.fetched.elapsed() < DISCOVERY_TTL);
            entries.insert(issuer.to_owned(), discovered);
        }
    }
}

/// The issuer an OpenID upstream is configured with.
fn issuer_of(upstream: Configured<'_>) -> Result<String, UpstreamFailure> {
    let issuer = upstream
        .record
        .issuer
        .as_deref()
        .or(upstream.record.kind.default_issuer())
        .ok_or_else(|| UpstreamFailure::Misconfigured("no issuer".into()))?;
    url::Url::parse(issuer)
        .map_err(|_| UpstreamFailure::Misconfigured("the issuer is not a URL".into()))?;
    Ok(issuer.trim_end_matches('/').to_owned())
}

/// Fetches and checks `{issuer}/.well-known/openid-configuration` and its
/// key set. The document is parsed here rather than by
/// `ProviderMetadata::discover_async`, which insists on `issuer` being the
/// configured one: Microsoft's multi-tenant documents name a template
/// ([`IssuerRule`]).
async fn discover(
    http: &Transport,
    kind: UpstreamKind,
    issuer: &str,
) -> Result<Discovered, UpstreamFailure> {
    let request = http::Request::get(format!("{issuer}/.well-known/openid-configuration"))
        .header(http::header::ACCEPT, "application/json")
        .body(Vec::new())
        .map_err(|_| UpstreamFailure::Misconfigured("the issuer is not a URL".into()))?;
    let (status, metadata) = http.json::<CoreProviderMetadata>(request).await?;
    if status != http::StatusCode::OK {
        return Err(UpstreamFailure::Unreachable(format!(
            "discovery of {issuer} answered status {}",
            status.as_u16()
        )));
    }
    let metadata = metadata.map_err(UpstreamFailure::Unreachable)?;
    let rule = IssuerRule::for_discovery(kind, issuer, metadata.issuer().as_str())
        .map_err(|e| UpstreamFailure::Unreachable(format!("discovery of {issuer}: {e}")))?;
    let jwks = fetch_jwks(http, &metadata).await?;
    Ok(Discovered {
        metadata: metadata.set_jwks(jwks),
        rule,
        fetched: Instant::now(),
    })
}

async fn fetch_jwks(
    http: &Transport,
    metadata: &CoreProviderMetadata,
) -> Result<CoreJsonWebKeySet, UpstreamFailure> {
    JsonWebKeySet::fetch_async(metadata.jwks_uri(), http)
        .await
        .map_err(|e| {
            let cause = match e {
                openidconnect::DiscoveryError::Request(t) => t.0,
                openidconnect::DiscoveryError::Response(status, _, _) => {
                    format!("answered status {}", status.as_u16())
                }
                _ => "not a JWK Set".into(),
            };
            UpstreamFailure::Unreachable(format!("key set of the upstream: {cause}"))
        })
}

/// The PKCE verifier as `openidconnect` takes it; its S256 challenge.
pub(crate) fn pkce(
    verifier: &str,
) -> Result<(PkceCodeVerifier, PkceCodeChallenge), UpstreamFailure> {
    // RFC 7636 §4.1: 43 to 128 unreserved characters (and the crate
    // asserts the length).
    let ok = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    if !ok {
        return Err(UpstreamFailure::Misconfigured(
            "the PKCE verifier is not 43 to 128 unreserved characters".into(),
        ));
    }
    let verifier = PkceCodeVerifier::new(verifier.to_owned());
    let challenge = PkceCodeChallenge::from_code_verifier_sha256(&verifier);
    Ok((verifier, challenge))
}

/// The OpenID side of the relying party.
#[derive(Default)]
pub(crate) struct OpenId {
    cache: DiscoveryCache,
}

impl OpenId {
    /// The issuer's discovery document, cached.
    async fn discovered(
        &self,
        http: &Transport,
        upstream: Configured<'_>,
    ) -> Result<Arc<Discovered>, UpstreamFailure> {
        let issuer = issuer_of(upstream)?;
        if let Some(d) = self.cache.get(&issuer) {
            return Ok(d);
        }
        let d = Arc::new(discover(http, upstream.record.kind, &issuer).await?);
        self.cache.put(&issuer, Arc::clone(&d));
        Ok(d)
    }

    /// The same document with its key set fetched again (an ID token named
    /// a key the cached set lacks: the upstream may have rotated).
    async fn refreshed_keys(
        &self,
        http: &Transport,
        upstream: Configured<'_>,
        stale: &Discovered,
    ) -> Result<Arc<Discovered>, UpstreamFailure> {
        let issuer = issuer_of(upstream)?;
        let jwks = fetch_jwks(http, &stale.metadata).await?;
        let d = Arc::new(Discovered {
            metadata: stale.metadata.clone().set_jwks(jwks),
            rule: stale.rule.clone(),
            fetched: Instant::now(),
        });
        self.cache.put(&issuer, Arc::clone(&d));
        Ok(d)
    }

    /// The authorization request's URL.
    pub(crate) async fn authorization_url(
        &self,
        http: &Transport,
        upstream: Configured<'_>,
        out: Outgoing<'_>,
    ) -> Result<String, UpstreamFailure> {
        let d = self.discovered(http, upstream).await?;
        let client = build_client(&d, upstream, out)?;
        let (_, challenge) = pkce(out.pkce_verifier)?;
        let (state, nonce) = (out.state.to_owned(), out.nonce.to_owned());
        let (url, _, _) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                move || CsrfToken::new(state),
                move || Nonce::new(nonce),
            )
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge)
            .url();
        Ok(url.into())
    }

    /// Redeems `code`: the token request, the ID token's validation, then
    /// userinfo.
    pub(crate) async fn redeem(
        &self,
        http: &Transport,
        upstream: Configured<'_>,
        code: &str,
        out: Outgoing<'_>,
    ) -> Result<Asserted, UpstreamFailure> {
        let mut d = self.discovered(http, upstream).await?;
        let client = build_client(&d, upstream, out)?;
        let (verifier, _) = pkce(out.pkce_verifier)?;
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|_| {
                UpstreamFailure::Misconfigured("the upstream has no token endpoint".into())
            })?
            .set_pkce_verifier(verifier)
            .request_async(http)
            .await
            .map_err(token_failure)?;
        let id_token = tokens.id_token().ok_or_else(|| {
            UpstreamFailure::BadIdToken("no ID token in the token response".into())
        })?;
        let nonce = Nonce::new(out.nonce.to_owned());
        let verify = |d: &Discovered| -> Result<_, ClaimsVerificationError> {
            let client = build_client(d, upstream, out)
                .map_err(|e| ClaimsVerificationError::Other(e.to_string()))?;
            // `iss` is checked below by the issuer rule (Microsoft's template).
            let verifier = client.id_token_verifier().require_issuer_match(false);
            id_token.claims(&verifier, &nonce).cloned()
        };
        let claims = match verify(&d) {
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => {
                d = self.refreshed_keys(http, upstream, &d).await?;
                verify(&d)
            }
            other => other,
        }
        .map_err(id_token_failure)?;
        let extra = claims.additional_claims();
        d.rule
            .check(claims.issuer().as_str(), extra.tid.as_deref())
            .map_err(|e| UpstreamFailure::BadIdToken(e.into()))?;
        let subject = match upstream.record.kind {
            UpstreamKind::Microsoft => {
                microsoft_subject(extra.tid.as_deref(), extra.oid.as_deref())
                    .map_err(|e| UpstreamFailure::BadIdToken(e.into()))?
            }
            _ => claims.subject().as_str().to_owned(),
        };
        let mut asserted = Asserted {
            subject,
            email: claims.email().map(|e| e.as_str().to_owned()),
            email_verified: claims.email().is_some() && claims.email_verified() == Some(true),
            name: claims
                .name()
                .and_then(|n| n.get(None))
                .map(|n| n.as_str().to_owned()),
        };
        if client.user_info_url().is_some() {
            let info = client
                .user_info(
                    tokens.access_token().clone(),
                    Some(claims.subject().clone()),
                )
                .map_err(|_| UpstreamFailure::Misconfigured("no userinfo endpoint".into()))?
                .request_async::<UpstreamClaims, _, CoreGenderClaim>(http)
                .await
                .map_err(userinfo_failure)?;
            if asserted.email.is_none() {
                asserted.email = info.email().map(|e| e.as_str().to_owned());
                asserted.email_verified =
                    asserted.email.is_some() && info.email_verified() == Some(true);
            }
            if asserted.name.is_none() {
                asserted.name = info
                    .name()
                    .and_then(|n| n.get(None))
                    .map(|n| n.as_str().to_owned());
            }
        }
        Ok(asserted)
    }
}

/// The `openidconnect` client for `upstream` from its discovery document.
fn build_client(
    d: &Discovered,
    upstream: Configured<'_>,
    out: Outgoing<'_>,
) -> Result<RpClient, UpstreamFailure> {
    let redirect = RedirectUrl::new(out.redirect_uri.to_owned())
        .map_err(|_| UpstreamFailure::Misconfigured("the callback URL is not a URL".into()))?;
    let methods = d.metadata.token_endpoint_auth_methods_supported();
    let post_only = methods.is_some_and(|m| {
        !m.contains(&CoreClientAuthMethod::ClientSecretBasic)
            && m.contains(&CoreClientAuthMethod::ClientSecretPost)
    });
    Ok(RpClient::from_provider_metadata(
        d.metadata.clone(),
        ClientId::new(upstream.record.client_id.clone()),
        Some(ClientSecret::new(upstream.client_secret.to_owned())),
    )
    .set_redirect_uri(redirect)
    .set_auth_type(if post_only {
        AuthType::RequestBody
    } else {
        AuthType::BasicAuth
    }))
}

/// A failed token request, without the response body (it may hold a token).
fn token_failure(
    e: RequestTokenError<
        super::transport::TransportError,
        StandardErrorResponse<CoreErrorResponseType>,
    >,
) -> UpstreamFailure {
    match e {
        RequestTokenError::ServerResponse(r) => {
            UpstreamFailure::UpstreamError(r.error().as_ref().to_owned())
        }
        RequestTokenError::Request(t) => UpstreamFailure::Unreachable(t.0),
        RequestTokenError::Parse(..) => {
            UpstreamFailure::Unreachable("the token response is not a usable JSON document".into())
        }
        RequestTokenError::Other(_) => {
            UpstreamFailure::Unreachable("the token endpoint answered something unusable".into())
        }
    }
}

/// Which check of the ID token failed (never the token or the nonce).
fn id_token_failure(e: ClaimsVerificationError) -> UpstreamFailure {
    let check = match e {
        ClaimsVerificationError::Expired(_) => "expired",
        ClaimsVerificationError::InvalidAudience(_) => "wrong aud",
        ClaimsVerificationError::InvalidIssuer(_) => "wrong iss",
        ClaimsVerificationError::InvalidNonce(_) => "wrong nonce",
        ClaimsVerificationError::InvalidSubject(_) => "wrong sub",
        ClaimsVerificationError::SignatureVerification(
            SignatureVerificationError::NoMatchingKey,
        ) => "signature: no key of the upstream matches",
        ClaimsVerificationError::SignatureVerification(
            SignatureVerificationError::DisallowedAlg(_),
        ) => "signature: algorithm not allowed",
        ClaimsVerificationError::SignatureVerification(_) => "bad signature",
        ClaimsVerificationError::Unsupported(_) => "unsupported",
        _ => "invalid",
    };
    UpstreamFailure::BadIdToken(check.into())
}

/// A failed userinfo request.
fn userinfo_failure(e: UserInfoError<super::transport::TransportError>) -> UpstreamFailure {
    match e {
        UserInfoError::ClaimsVerification(ClaimsVerificationError::InvalidSubject(_)) => {
            UpstreamFailure::BadIdToken("userinfo sub differs from the ID token's".into())
        }
        UserInfoError::ClaimsVerification(_) => {
            UpstreamFailure::BadIdToken("userinfo response refused".into())
        }
        UserInfoError::Request(t) => UpstreamFailure::Unreachable(t.0),
        UserInfoError::Response(status, _, _) => {
            UpstreamFailure::Unreachable(format!("userinfo answered status {}", status.as_u16()))
        }
        _ => UpstreamFailure::Unreachable("userinfo answered something unusable".into()),
    }
}
