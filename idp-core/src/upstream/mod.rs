//! Upstream login ("bring your own OAuth"): a tenant's users sign in through
//! an identity provider the tenant connected (GitHub, Google, Microsoft or
//! any OpenID Provider by issuer), and link such identities to their account.
//!
//! The provider is the relying party here. The parts:
//! - [`UpstreamKind`]: what kind of upstream, and its presets;
//! - [`relying_party`]: the round trip itself (OIDC discovery, code flow
//!   with PKCE, `state`, `nonce`, ID-token validation, userinfo, through the
//!   `openidconnect` crate; GitHub's OAuth 2 and REST API), which yields
//!   what the upstream vouches for ([`Asserted`]) or an [`UpstreamFailure`];
//! - [`flight`]: one round trip in progress, kept server-side under the hash
//!   of its `state`, single-use and bound to the browser that began it;
//! - [`linking`]: who an asserted identity is here (an existing link, a new
//!   user, an automatic link by verified email, or "sign in first");
//! - [`sign_in`]: the login page's "Continue with {name}", the callback, and
//!   linking from the account page;
//! - [`password_login`]: upstream-only tenants, whose login page has no
//!   password form;
//! - [`secret`]: the upstream's client secret, sealed with the tenant's data
//!   key.
//!
//! Administration (create, list, update, delete; a user's linked identities)
//! is [`crate::admin`]'s, like every other administrative object.

pub mod flight;
pub mod linking;
pub mod password_login;
pub mod relying_party;
pub mod secret;
pub mod sign_in;

use crate::provider::Provider;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// Sends one request to an upstream and returns its answer (any status).
/// The embedding application supplies it (the core has no HTTP client): it
/// must enforce [`crate::provider::ProviderConfig::outbound`] on every
/// address it connects to, follow no redirect, bound the time and the size
/// of the answer (idp-server's `OutboundClient` does), and its error text
/// is only logged, so it may name the cause but never a credential.
pub type UpstreamHttp = Arc<
    dyn Fn(
            http::Request<Vec<u8>>,
        ) -> Pin<Box<dyn Future<Output = Result<http::Response<Vec<u8>>, String>> + Send>>
        + Send
        + Sync,
>;

/// What kind of upstream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UpstreamKind {
    /// Any OpenID Provider, by its issuer URL (OIDC Discovery 1.0).
    Oidc,
    /// GitHub (or GitHub Enterprise Server by its base URL): OAuth 2 and
    /// its REST API, not OpenID Connect.
    Github,
    /// Google: an OpenID Provider at `https://accounts.google.com`.
    Google,
    /// Microsoft identity platform (v2.0 endpoints), by default the
    /// multi-tenant `common` issuer.
    Microsoft,
}

impl UpstreamKind {
    /// Every kind, in the order pages list them.
    pub const ALL: [Self; 4] = [Self::Oidc, Self::Github, Self::Google, Self::Microsoft];

    /// As stored, in the API and on the command line.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Oidc => "oidc",
            Self::Github => "github",
            Self::Google => "google",
            Self::Microsoft => "microsoft",
        }
    }

    /// Parses [`UpstreamKind::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The issuer (or, for GitHub, the base URL) used when none is given;
    /// `None` for `oidc`, which needs one.
    pub const fn default_issuer(self) -> Option<&'static str> {
        match self {
            Self::Oidc => None,
            Self::Github => Some("https://github.com"),
            Self::Google => Some("https://accounts.google.com"),
            Self::Microsoft => Some("https://login.microsoftonline.com/common/v2.0"),
        }
    }

    /// Whether the upstream speaks OpenID Connect.
    pub const fn is_openid(self) -> bool {
        !matches!(self, Self::Github)
    }
}

/// What an upstream vouched for at the end of a successful round trip.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Asserted {
    /// The upstream's stable key for the person, never an email: the ID
    /// token's `sub` (OIDC Core §2: unique per issuer), for Microsoft
    /// `{tid}:{oid}`, for GitHub the numeric user id.
    pub subject: String,
    /// The email the upstream reports, if any.
    pub email: Option<String>,
    /// Whether the upstream says it verified that email (GitHub: the
    /// primary address is marked verified).
    pub email_verified: bool,
    /// The person's name, if given.
    pub name: Option<String>,
}

/// Why a round trip through an upstream did not sign anyone in. The
/// `Display` text is for the log (it never holds a secret or a token); the
/// page shows [`UpstreamFailure::description`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UpstreamFailure {
    /// The upstream could not be reached, was too slow, or answered
    /// something unusable (discovery, token or user endpoints).
    #[error("upstream unreachable or unusable: {0}")]
    Unreachable(String),
    /// The user cancelled at the upstream (`error=access_denied`).
    #[error("the user cancelled at the upstream")]
    Cancelled,
    /// The upstream answered another error on the callback.
    #[error("the upstream answered error {0}")]
    UpstreamError(String),
    /// The callback's `state` is missing, unknown, expired or already used.
    #[error("state missing, unknown, expired or already used")]
    BadState,
    /// The browser that brought the callback is not the one that began it.
    #[error("the callback came to a browser that did not begin the sign-in")]
    OtherBrowser,
    /// The ID token failed validation (signature, `iss`, `aud`, `nonce`,
    /// expiry, Microsoft's tenant rule).
    #[error("ID token refused: {0}")]
    BadIdToken(String),
    /// GitHub reported no verified primary email.
    #[error("the upstream reported no verified email")]
    NoVerifiedEmail,
    /// The upstream was deleted (or is not this tenant's).
    #[error("no such upstream")]
    UnknownUpstream,
    /// The upstream's stored configuration cannot be used (its secret does
    /// not open, its issuer is not a URL).
    #[error("upstream misconfigured: {0}")]
    Misconfigured(String),
}

impl UpstreamFailure {
    /// What the page tells the person, in one sentence.
    pub fn description(&self) -> &'static str {
        match self {
            Self::Unreachable(_) => {
                "The sign-in service could not be reached. Please try again in a moment."
            }
            Self::Cancelled => "You cancelled the sign-in.",
            Self::UpstreamError(_) => "The sign-in service refused the sign-in.",
            Self::BadState | Self::OtherBrowser => {
                "This sign-in link has expired or was already used. Please start again."
            }
            Self::BadIdToken(_) => "The sign-in service's answer could not be verified.",
            Self::NoVerifiedEmail => {
                "Your account there has no verified email address. Verify one and try again."
            }
            Self::UnknownUpstream => "This sign-in option is no longer available.",
            Self::Misconfigured(_) => "This sign-in option is not set up correctly.",
        }
    }

    /// A short stable word for logs and metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Unreachable(_) => "unreachable",
            Self::Cancelled => "cancelled",
            Self::UpstreamError(_) => "upstream_error",
            Self::BadState => "bad_state",
            Self::OtherBrowser => "other_browser",
            Self::BadIdToken(_) => "bad_id_token",
            Self::NoVerifiedEmail => "no_verified_email",
            Self::UnknownUpstream => "unknown_upstream",
            Self::Misconfigured(_) => "misconfigured",
        }
    }
}

impl<S: crate::store::Store> Provider<S> {
    /// The callback URL of an upstream, to register at the upstream:
    /// `{issuer}/upstream/{id}/callback`.
    pub fn upstream_callback_url(&self, slug: &str, id: &crate::ids::UpstreamId) -> String {
        format!("{}/t/{slug}/upstream/{id}/callback", self.config.base_url)
    }
}
