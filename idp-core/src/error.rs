//! Errors on the wire: one value per RFC error code, mapped to its HTTP status
//! in one place. Internal failures are logged and answered as `server_error`
//! without detail.

use crate::store::StoreError;
use http::StatusCode;
use std::borrow::Cow;

/// An error code from RFC 6749 §4.1.2.1 and §5.2, OIDC Core §3.1.2.6,
/// RFC 6750 §3.1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// Malformed or missing parameter.
    InvalidRequest,
    /// Client authentication failed (401).
    InvalidClient,
    /// Code or refresh token invalid, expired, revoked or of another client.
    InvalidGrant,
    /// The client may not use this grant or response type.
    UnauthorizedClient,
    /// Grant type not supported.
    UnsupportedGrantType,
    /// Response type not supported.
    UnsupportedResponseType,
    /// Scope invalid or wider than granted.
    InvalidScope,
    /// The user or server denied the request.
    AccessDenied,
    /// `prompt=none` but the user must log in.
    LoginRequired,
    /// `prompt=none` but the user must consent.
    ConsentRequired,
    /// `request` parameter not supported.
    RequestNotSupported,
    /// `request_uri` parameter not supported.
    RequestUriNotSupported,
    /// `registration` parameter not supported.
    RegistrationNotSupported,
    /// Bearer token invalid (RFC 6750 §3.1, 401).
    InvalidToken,
    /// Bearer token lacks a scope (RFC 6750 §3.1, 403).
    InsufficientScope,
    /// RFC 8628 §3.5: the user has not answered yet; keep polling.
    AuthorizationPending,
    /// RFC 8628 §3.5: polling too fast; add 5 seconds to the interval.
    SlowDown,
    /// RFC 8628 §3.5: the device code expired.
    ExpiredToken,
    /// RFC 8707 §2: the requested resource (audience) is not allowed.
    InvalidTarget,
    /// OIDC Core §3.1.2.6: the request object is invalid.
    InvalidRequestObject,
    /// OIDC Core §3.1.2.6: the request_uri is invalid or cannot be fetched.
    InvalidRequestUri,
    /// RFC 7591 §3.2.2: a redirect URI is unacceptable.
    InvalidRedirectUri,
    /// RFC 7591 §3.2.2: some client metadata is unacceptable.
    InvalidClientMetadata,
    /// OpenID Connect Core Unmet Authentication Requirements 1.0 §2: the
    /// authentication the request requires (an essential `acr`) cannot be met.
    UnmetAuthenticationRequirements,
    /// Internal failure (500).
    ServerError,
    /// RFC 6749 §4.1.2.1: the server cannot serve the request for now (503);
    /// used for direct responses too, with `Retry-After`-free semantics.
    TemporarilyUnavailable,
}

impl ErrorCode {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::InvalidScope => "invalid_scope",
            Self::AccessDenied => "access_denied",
            Self::LoginRequired => "login_required",
            Self::ConsentRequired => "consent_required",
            Self::RequestNotSupported => "request_not_supported",
            Self::RequestUriNotSupported => "request_uri_not_supported",
            Self::RegistrationNotSupported => "registration_not_supported",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
            Self::AuthorizationPending => "authorization_pending",
            Self::SlowDown => "slow_down",
            Self::ExpiredToken => "expired_token",
            Self::InvalidTarget => "invalid_target",
            Self::InvalidRequestObject => "invalid_request_object",
            Self::InvalidRequestUri => "invalid_request_uri",
            Self::InvalidRedirectUri => "invalid_redirect_uri",
            Self::InvalidClientMetadata => "invalid_client_metadata",
            Self::UnmetAuthenticationRequirements => "unmet_authentication_requirements",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
        }
    }

    /// Whether the fault is the server's (5xx), not the request's: such an
    /// error must reach the client as it is, never be turned into a
    /// protocol answer such as an inactive token.
    pub fn is_server_side(self) -> bool {
        matches!(self, Self::ServerError | Self::TemporarilyUnavailable)
    }

    /// The status of a direct (non-redirect) error response.
    pub fn status(self) -> StatusCode {
        match self {
            Self::InvalidClient | Self::InvalidToken => StatusCode::UNAUTHORIZED,
            Self::InsufficientScope => StatusCode::FORBIDDEN,
            Self::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
            Self::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

/// A protocol error with a precise, stable description.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthError {
    /// The RFC error code.
    pub code: ErrorCode,
    /// `error_description`: says exactly what was wrong, never a secret.
    pub description: Cow<'static, str>,
    /// Seconds to wait: the answer is 429 Too Many Requests with
    /// `Retry-After` (RFC 6585 §4), whatever the code.
    pub retry_after: Option<u64>,
}

impl OAuthError {
    /// An error with a fixed description.
    pub const fn new(code: ErrorCode, description: &'static str) -> Self {
        Self {
            code,
            description: Cow::Borrowed(description),
            retry_after: None,
        }
    }

    /// An error with a computed description. Characters RFC 6749 §5.2 does
    /// not allow in `error_description` (outside %x20-21 / %x23-5B / %x5D-7E,
    /// i.e. controls, `"`, `\` and non-ASCII) become `?`, since a computed
    /// description may quote request input.
    pub fn with(code: ErrorCode, description: String) -> Self {
        let clean = description
            .chars()
            .map(|c| match c {
                ' '..='~' if c != '"' && c != '\\' => c,
                _ => '?',
            })
            .collect();
        Self {
            code,
            description: Cow::Owned(clean),
            retry_after: None,
        }
    }

    /// `invalid_request` with a description.
    pub const fn invalid_request(description: &'static str) -> Self {
        Self::new(ErrorCode::InvalidRequest, description)
    }

    /// `invalid_grant` with a description.
    pub const fn invalid_grant(description: &'static str) -> Self {
        Self::new(ErrorCode::InvalidGrant, description)
    }

    /// A refused attempt (a lockout, [`crate::abuse`]): 429 with
    /// `Retry-After` in whole seconds, rounded up, at least 1 (RFC 9110
    /// §10.2.3). RFC 6749 has no code for "too many requests";
    /// `temporarily_unavailable` is the registered one meaning "retry
    /// later", where `invalid_client` would tell the client to change its
    /// credentials and `slow_down` has a device-polling meaning (RFC 8628 §3.5).
    pub fn too_many_attempts(wait: std::time::Duration) -> Self {
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        Self {
            retry_after: Some(secs.max(1)),
            ..Self::new(
                ErrorCode::TemporarilyUnavailable,
                "too many requests; retry after the time in Retry-After",
            )
        }
    }

    /// The status of a direct error response.
    pub fn status(&self) -> StatusCode {
        match self.retry_after {
            Some(_) => StatusCode::TOO_MANY_REQUESTS,
            None => self.code.status(),
        }
    }

    /// `server_error`; the cause is logged, not sent.
    pub fn server(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(ErrorCode::ServerError, "internal error")
    }
}

impl From<StoreError> for OAuthError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(cause) => {
                tracing::warn!(error = %cause, "storage unavailable");
                Self::new(
                    ErrorCode::TemporarilyUnavailable,
                    "the service is unavailable, try again later",
                )
            }
            other => Self::server(other),
        }
    }
}

impl std::fmt::Display for OAuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.description)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn computed_descriptions_keep_to_the_rfc_6749_charset() {
        let e = OAuthError::with(ErrorCode::InvalidRequest, "bad \"x\\y\"\n é".into());
        assert_eq!(e.description, "bad ?x?y?? ?");
    }
}
