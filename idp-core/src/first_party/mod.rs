//! Clients the provider runs itself (first-party clients): the admin
//! console, a client of the platform tenant (`console`, redirect
//! `{BASE_URL}/admin/callback`), and every tenant's account page
//! (`account`, redirect `{issuer}/account/callback`). Both sign people in
//! through the authorization code flow with PKCE like any relying party
//! (design.md "Platform"), so the login page, the abuse limits, sessions
//! and analytics are the provider's own.
//!
//! What sets them apart: they are public clients with reserved ids (a
//! generated client id is random and never collides), their redirect URI
//! follows BASE_URL (checked and mended each time they are ensured), and
//! the user is not asked for consent (they are the provider: OIDC Core
//! §3.1.2.4 leaves the consent decision to the provider). They show up in
//! the tenant's client list like any other, so what they are is never
//! hidden; deleting one is harmless, it is made again when next needed.

mod sign_in;

pub use sign_in::{SIGN_IN_LIFETIME, SignInError, SignInStarted, SignedIn};

use crate::ids::ClientId;
use crate::jwks::SigningAlg;
use crate::platform::is_platform;
use crate::store::{ClientRecord, GrantType, SubjectType, TokenEndpointAuthMethod};

/// The console's client id in the platform tenant.
pub const CONSOLE: &str = "console";
/// The account page's client id in every tenant.
pub const ACCOUNT: &str = "account";

/// Every first-party client id. A tier's client limit does not count
/// them: they are the provider's, not the customer's (the stores' counts
/// leave these ids out).
pub const IDS: [&str; 2] = [CONSOLE, ACCOUNT];

/// Which first-party client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FirstParty {
    /// The admin console (`/admin`), of the platform tenant.
    Console,
    /// The account page (`{issuer}/account`), of any tenant.
    Account,
}

impl FirstParty {
    /// The client id.
    pub fn client_id(self) -> &'static str {
        match self {
            Self::Console => CONSOLE,
            Self::Account => ACCOUNT,
        }
    }

    /// The name shown in client lists and on the login page.
    pub fn name(self) -> &'static str {
        match self {
            Self::Console => "Admin console",
            Self::Account => "Account",
        }
    }

    /// The redirect URI under `base_url` (no trailing slash) for the
    /// tenant `slug`.
    pub fn redirect_uri(self, base_url: &str, slug: &str) -> String {
        match self {
            Self::Console => format!("{base_url}/admin/callback"),
            Self::Account => format!("{base_url}/t/{slug}/account/callback"),
        }
    }

    /// Which first-party client `client_id` is in the tenant `slug`, if any.
    pub fn of(slug: &str, client_id: &str) -> Option<Self> {
        match client_id {
            CONSOLE if is_platform(slug) => Some(Self::Console),
            ACCOUNT => Some(Self::Account),
            _ => None,
        }
    }
}

/// The record a first-party client has (ensured by
/// [`Admin::ensure_first_party_client`](crate::Admin::ensure_first_party_client)): public, PKCE, code flow only.
pub(crate) fn record(
    which: FirstParty,
    redirect_uri: String,
    now: crate::clock::UnixTime,
) -> ClientRecord {
    ClientRecord {
        id: ClientId::new(which.client_id()),
        name: which.name().to_owned(),
        secret_hash: None,
        auth_method: TokenEndpointAuthMethod::None,
        redirect_uris: vec![redirect_uri],
        grant_types: vec![GrantType::AuthorizationCode],
        require_pkce: true,
        id_token_alg: SigningAlg::Rs256,
        allowed_scopes: Vec::new(),
        audiences: Vec::new(),
        jwks: None,
        jwks_uri: None,
        post_logout_redirect_uris: Vec::new(),
        frontchannel_logout_uri: None,
        frontchannel_logout_session_required: false,
        backchannel_logout_uri: None,
        backchannel_logout_session_required: false,
        registration_token_hash: None,
        metadata: "{}".to_owned(),
        previous_secret: None,
        created_at: now,
        require_pushed_authorization_requests: false,
        subject_type: SubjectType::Public,
        sector_identifier_uri: None,
        allowed_origins: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_console_belongs_to_the_platform_only() {
        assert_eq!(
            FirstParty::of("platform", "console"),
            Some(FirstParty::Console)
        );
        assert_eq!(FirstParty::of("acme", "console"), None);
        assert_eq!(FirstParty::of("acme", "account"), Some(FirstParty::Account));
        assert_eq!(FirstParty::of("acme", "k3j4h5"), None);
    }

    #[test]
    fn redirect_uris_follow_the_base_url() {
        assert_eq!(
            FirstParty::Console.redirect_uri("https://id.example.com", "platform"),
            "https://id.example.com/admin/callback"
        );
        assert_eq!(
            FirstParty::Account.redirect_uri("https://id.example.com/idp", "acme"),
            "https://id.example.com/idp/t/acme/account/callback"
        );
    }
}
