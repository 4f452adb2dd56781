//! Access-token validation as RFC 9068 §4 describes it, with nothing but
//! the issuer and this API's own audience configured: the JWKS location
//! comes from the issuer's discovery document, the keys from the JWKS, and
//! the checks from a standard JWT library (`jsonwebtoken`).

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};
use tokio::sync::RwLock;

/// The claims this API reads from an access token (RFC 9068 §2.2).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AccessClaims {
    /// Issuer, checked against the configured one.
    pub iss: String,
    /// The user, or the client itself for client credentials.
    pub sub: String,
    /// Audience, checked to contain this API's (a string or an array).
    pub aud: serde_json::Value,
    /// The client the token was issued to.
    pub client_id: String,
    /// Granted scopes, space-separated (absent when none).
    #[serde(default)]
    pub scope: String,
    /// Expiry, checked.
    pub exp: i64,
    /// Issue time.
    pub iat: i64,
    /// Unique id.
    pub jti: String,
}

impl AccessClaims {
    /// Whether `scope` was granted.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scope.split(' ').any(|s| s == scope)
    }
}

/// Why a token was not accepted (RFC 6750 §3.1 `invalid_token`).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InvalidToken(pub String);

/// Why the validator could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// Discovery or the JWKS could not be fetched or read.
    #[error("{what}: {reason}")]
    Fetch {
        /// What was being fetched.
        what: String,
        /// Why it failed.
        reason: String,
    },
    /// The discovery document names another issuer (OIDC Discovery §4.3).
    #[error("discovery names issuer {found}, expected {expected}")]
    IssuerMismatch {
        /// The configured issuer.
        expected: String,
        /// What the document says.
        found: String,
    },
}

/// The signing algorithms accepted: asymmetric only, so that a public key
/// is never used as an HMAC secret.
const ALGORITHMS: [Algorithm; 3] = [Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA];

/// How soon the JWKS may be fetched again for an unknown `kid` (a key
/// rotation), so that tokens with made-up `kid`s cannot make the API hammer
/// the provider.
const REFRESH_AFTER: Duration = Duration::from_secs(30);

/// Validates access tokens of one issuer for one audience.
pub struct Validator {
    issuer: String,
    audience: String,
    jwks_uri: String,
    http: reqwest::Client,
    keys: RwLock<(JwkSet, Instant)>,
}

async fn fetch_json<T: serde::de::DeserializeOwned>(
    http: &reqwest::Client,
    url: &str,
) -> Result<T, SetupError> {
    let fail = |reason: String| SetupError::Fetch {
        what: url.to_owned(),
        reason,
    };
    let res = http
        .get(url)
        .send()
        .await
        .map_err(|e| fail(e.to_string()))?;
    if !res.status().is_success() {
        return Err(fail(format!("HTTP {}", res.status())));
    }
    res.json().await.map_err(|e| fail(e.to_string()))
}

impl Validator {
    /// Reads `{issuer}/.well-known/openid-configuration` and the JWKS it
    /// names.
    pub async fn discover(issuer: &str, audience: &str) -> Result<Self, SetupError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| SetupError::Fetch {
                what: "HTTP client".to_owned(),
                reason: e.to_string(),
            })?;
        let issuer = issuer.trim_end_matches('/').to_owned();
        let doc: serde_json::Value =
            fetch_json(&http, &format!("{issuer}/.well-known/openid-configuration")).await?;
        let found = doc["issuer"].as_str().unwrap_or_default();
        if found != issuer {
            return Err(SetupError::IssuerMismatch {
                expected: issuer,
                found: found.to_owned(),
            });
        }
        let jwks_uri = doc["jwks_uri"]
            .as_str()
            .ok_or_else(|| SetupError::Fetch {
                what: "discovery".to_owned(),
                reason: "no jwks_uri".to_owned(),
            })?
            .to_owned();
        let keys: JwkSet = fetch_json(&http, &jwks_uri).await?;
        Ok(Self {
            issuer,
            audience: audience.to_owned(),
            jwks_uri,
            http,
            keys: RwLock::new((keys, Instant::now())),
        })
    }

    /// The key named `kid`, fetching the JWKS again (at most every
    /// [`REFRESH_AFTER`]) when it is not known yet.
    async fn key(&self, kid: &str) -> Result<DecodingKey, InvalidToken> {
        let find = |set: &JwkSet| set.find(kid).map(DecodingKey::from_jwk);
        {
            let keys = self.keys.read().await;
            if let Some(key) = find(&keys.0) {
                return key.map_err(|_| InvalidToken("unusable signing key".into()));
            }
            if keys.1.elapsed() < REFRESH_AFTER {
                return Err(InvalidToken("unknown signing key".into()));
            }
        }
        let mut keys = self.keys.write().await;
        if keys.1.elapsed() >= REFRESH_AFTER {
            if let Ok(fresh) = fetch_json::<JwkSet>(&self.http, &self.jwks_uri).await {
                keys.0 = fresh;
            }
            keys.1 = Instant::now();
        }
        match find(&keys.0) {
            Some(key) => key.map_err(|_| InvalidToken("unusable signing key".into())),
            None => Err(InvalidToken("unknown signing key".into())),
        }
    }

    /// RFC 9068 §4: `typ` at+jwt, an asymmetric signature by a key of the
    /// issuer's JWKS, `iss`, `aud` containing this API, `exp`; `sub` present.
    pub async fn validate(&self, token: &str) -> Result<AccessClaims, InvalidToken> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| InvalidToken("malformed token".into()))?;
        let typ = header.typ.as_deref().unwrap_or_default();
        if !typ.eq_ignore_ascii_case("at+jwt") && !typ.eq_ignore_ascii_case("application/at+jwt") {
            return Err(InvalidToken(
                "not an access token (typ is not at+jwt)".into(),
            ));
        }
        if !ALGORITHMS.contains(&header.alg) {
            return Err(InvalidToken("signing algorithm not accepted".into()));
        }
        let kid = header
            .kid
            .as_deref()
            .ok_or_else(|| InvalidToken("no kid".into()))?;
        let key = self.key(kid).await?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 30;
        jsonwebtoken::decode::<AccessClaims>(token, &key, &validation)
            .map(|data| data.claims)
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind;
                InvalidToken(
                    match e.kind() {
                        ErrorKind::ExpiredSignature => "the token has expired",
                        ErrorKind::InvalidAudience => "the token is for another audience",
                        ErrorKind::InvalidIssuer => "the token is from another issuer",
                        ErrorKind::InvalidSignature => "bad signature",
                        _ => "invalid token",
                    }
                    .into(),
                )
            })
    }
}
