//! The one table of a tenant's endpoints: their paths under the issuer,
//! the methods they take, and who answers them. [`Provider::handle`]
//! dispatches on it, discovery publishes from it, and a host (idp-server,
//! an embedding application) routes its pages, labels its metrics and
//! places its rate limits by it, so that a path is spelled once.
//!
//! Some endpoints are the host's: the pages a person sees (login and
//! consent of an interaction, the device verification page, RP-Initiated
//! Logout, the user's account page) are rendered by the embedding
//! application, on top of [`Provider::interaction`],
//! [`Provider::device_lookup`], [`Provider::logout_request`],
//! [`Provider::account_session`] and their siblings. The host says which of
//! them it serves ([`ProviderConfig::host_endpoints`]); discovery names only
//! those, so that no published URL answers 404.
//!
//! [`Provider::handle`]: crate::Provider::handle
//! [`Provider::interaction`]: crate::Provider::interaction
//! [`Provider::device_lookup`]: crate::Provider::device_lookup
//! [`Provider::logout_request`]: crate::Provider::end_session
//! [`Provider::account_session`]: crate::Provider::account_session
//! [`ProviderConfig::host_endpoints`]: crate::ProviderConfig::host_endpoints

use http::Method;

/// One endpoint of a tenant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// OIDC Discovery 1.0 §4: `{issuer}/.well-known/openid-configuration`.
    Discovery,
    /// RFC 8414 §3.1: the same document at
    /// `{base}/.well-known/oauth-authorization-server/t/{slug}` (the
    /// well-known segment inserted before the issuer's path).
    AuthorizationServerMetadata,
    /// The tenant's JWK Set.
    Jwks,
    /// RFC 6749 §3.1.
    Authorize,
    /// RFC 6749 §3.2.
    Token,
    /// OIDC Core §5.3.
    Userinfo,
    /// RFC 7009.
    Revoke,
    /// RFC 7662.
    Introspect,
    /// RFC 8628 §3.1.
    DeviceAuthorization,
    /// RFC 7591 (tenants with dynamic registration).
    Register,
    /// RFC 7592: `{issuer}/register/{client_id}`.
    RegistrationManagement,
    /// RFC 9126 §2: pushed authorization requests, `{issuer}/par`.
    PushedAuthorizationRequest,
    /// The login or consent page of an interaction: `{issuer}/interaction/{id}`.
    Interaction,
    /// The login form's POST.
    InteractionLogin,
    /// The consent form's POST.
    InteractionConsent,
    /// Cancelling an interaction.
    InteractionCancel,
    /// The device verification page (RFC 8628 §3.3).
    Device,
    /// Its sign-in form.
    DeviceLogin,
    /// Its approve/deny form.
    DeviceDecision,
    /// RP-Initiated Logout 1.0 §2 (`end_session_endpoint`).
    Logout,
    /// Its confirmation form.
    LogoutConfirm,
    /// The user's own account page (`{issuer}/account`): profile,
    /// password, sessions. It signs the user in as the tenant's
    /// first-party client `account` ([`crate::first_party`]) when they
    /// have no session, and works on [`crate::account`].
    Account,
    /// Where that sign-in returns (`{issuer}/account/callback`, the
    /// client's redirect URI).
    AccountCallback,
    /// The profile form (the name).
    AccountProfile,
    /// The change-password form.
    AccountPassword,
    /// Signing out every other session of the user: a confirmation page
    /// (GET) and its form (POST).
    AccountSignOutOthers,
    /// Signing out of this session.
    AccountSignOut,
    /// "Continue with {name}" on the login page: starts a round trip
    /// through one of the tenant's upstreams ([`crate::upstream::sign_in`]).
    InteractionUpstream,
    /// Where an upstream sends the browser back:
    /// `{issuer}/upstream/{id}/callback`, `{id}` the upstream's.
    UpstreamCallback,
    /// Linking another upstream identity from the account page.
    AccountLink,
    /// Unlinking one.
    AccountUnlink,
}

/// Who answers an endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Server {
    /// [`Provider::handle`](crate::Provider::handle).
    Provider,
    /// The embedding application (a page a person sees).
    Host,
}

/// One row of the table.
struct Row {
    /// The path after the issuer; `{id}` / `{client_id}` stand for a segment.
    path: &'static str,
    /// The `route` label of metrics and logs (never carries request data).
    template: &'static str,
    methods: &'static [Method],
    server: Server,
}

const GET: &[Method] = &[Method::GET];
const POST: &[Method] = &[Method::POST];
const GET_POST: &[Method] = &[Method::GET, Method::POST];
const GET_PUT_DELETE: &[Method] = &[Method::GET, Method::PUT, Method::DELETE];

impl Endpoint {
    /// Every endpoint, in table order.
    pub const ALL: [Endpoint; 31] = [
        Self::Discovery,
        Self::AuthorizationServerMetadata,
        Self::Jwks,
        Self::Authorize,
        Self::Token,
        Self::Userinfo,
        Self::Revoke,
        Self::Introspect,
        Self::DeviceAuthorization,
        Self::Register,
        Self::RegistrationManagement,
        Self::PushedAuthorizationRequest,
        Self::Interaction,
        Self::InteractionLogin,
        Self::InteractionConsent,
        Self::InteractionCancel,
        Self::Device,
        Self::DeviceLogin,
        Self::DeviceDecision,
        Self::Logout,
        Self::LogoutConfirm,
        Self::Account,
        Self::AccountCallback,
        Self::AccountProfile,
        Self::AccountPassword,
        Self::AccountSignOutOthers,
        Self::AccountSignOut,
        Self::InteractionUpstream,
        Self::UpstreamCallback,
        Self::AccountLink,
        Self::AccountUnlink,
    ];

    /// The table.
    const fn row(self) -> Row {
        use Server::{Host, Provider};
        let (path, template, methods, server) = match self {
            Self::Discovery => (
                "/.well-known/openid-configuration",
                "/t/{tenant}/.well-known/openid-configuration",
                GET,
                Provider,
            ),
            Self::AuthorizationServerMetadata => (
                "",
                "/.well-known/oauth-authorization-server/t/{tenant}",
                GET,
                Provider,
            ),
            Self::Jwks => ("/jwks", "/t/{tenant}/jwks", GET, Provider),
            Self::Authorize => ("/authorize", "/t/{tenant}/authorize", GET_POST, Provider),
            Self::Token => ("/token", "/t/{tenant}/token", POST, Provider),
            Self::Userinfo => ("/userinfo", "/t/{tenant}/userinfo", GET_POST, Provider),
            Self::Revoke => ("/revoke", "/t/{tenant}/revoke", POST, Provider),
            Self::Introspect => ("/introspect", "/t/{tenant}/introspect", POST, Provider),
            Self::DeviceAuthorization => (
                "/device_authorization",
                "/t/{tenant}/device_authorization",
                POST,
                Provider,
            ),
            Self::Register => ("/register", "/t/{tenant}/register", POST, Provider),
            Self::RegistrationManagement => (
                "/register/{client_id}",
                "/t/{tenant}/register/{client_id}",
                GET_PUT_DELETE,
                Provider,
            ),
            Self::PushedAuthorizationRequest => ("/par", "/t/{tenant}/par", POST, Provider),
            Self::Interaction => (
                "/interaction/{id}",
                "/t/{tenant}/interaction/{id}",
                GET,
                Host,
            ),
            Self::InteractionLogin => (
                "/interaction/{id}/login",
                "/t/{tenant}/interaction/{id}/login",
                POST,
                Host,
            ),
            Self::InteractionConsent => (
                "/interaction/{id}/consent",
                "/t/{tenant}/interaction/{id}/consent",
                POST,
                Host,
            ),
            Self::InteractionCancel => (
                "/interaction/{id}/cancel",
                "/t/{tenant}/interaction/{id}/cancel",
                POST,
                Host,
            ),
            Self::Device => ("/device", "/t/{tenant}/device", GET_POST, Host),
            Self::DeviceLogin => ("/device/login", "/t/{tenant}/device/login", POST, Host),
            Self::DeviceDecision => (
                "/device/decision",
                "/t/{tenant}/device/decision",
                POST,
                Host,
            ),
            Self::Logout => ("/logout", "/t/{tenant}/logout", GET_POST, Host),
            Self::LogoutConfirm => ("/logout/confirm", "/t/{tenant}/logout/confirm", POST, Host),
            Self::Account => ("/account", "/t/{tenant}/account", GET, Host),
            Self::AccountCallback => (
                "/account/callback",
                "/t/{tenant}/account/callback",
                GET,
                Host,
            ),
            Self::AccountProfile => (
                "/account/profile",
                "/t/{tenant}/account/profile",
                POST,
                Host,
            ),
            Self::AccountPassword => (
                "/account/password",
                "/t/{tenant}/account/password",
                POST,
                Host,
            ),
            Self::AccountSignOutOthers => (
                "/account/sign-out-others",
                "/t/{tenant}/account/sign-out-others",
                GET_POST,
                Host,
            ),
            Self::AccountSignOut => (
                "/account/sign-out",
                "/t/{tenant}/account/sign-out",
                POST,
                Host,
            ),
            Self::InteractionUpstream => (
                "/interaction/{id}/upstream",
                "/t/{tenant}/interaction/{id}/upstream",
                POST,
                Host,
            ),
            Self::UpstreamCallback => (
                "/upstream/{id}/callback",
                "/t/{tenant}/upstream/{id}/callback",
                GET,
                Host,
            ),
            Self::AccountLink => ("/account/link", "/t/{tenant}/account/link", POST, Host),
            Self::AccountUnlink => ("/account/unlink", "/t/{tenant}/account/unlink", POST, Host),
        };
        Row {
            path,
            template,
            methods,
            server,
        }
    }

    /// The path after the issuer, `/token`; a segment the request supplies
    /// is shown as `{id}` or `{client_id}` (see [`Endpoint::path_with`]).
    /// Empty for [`Endpoint::AuthorizationServerMetadata`], which is not
    /// under the issuer (see [`metadata_url`]).
    pub const fn path(self) -> &'static str {
        self.row().path
    }

    /// The path after the issuer with its `{id}` or `{client_id}` segment
    /// filled in.
    pub fn path_with(self, id: &str) -> String {
        let path = self.path();
        match path.find('{') {
            Some(i) => {
                let end = path[i..].find('}').map_or(path.len(), |j| i + j + 1);
                format!("{}{id}{}", &path[..i], &path[end..])
            }
            None => path.to_owned(),
        }
    }

    /// The route template, `/t/{tenant}/token`: a bounded label for
    /// metrics and logs.
    pub const fn template(self) -> &'static str {
        self.row().template
    }

    /// The methods the endpoint takes.
    pub fn methods(self) -> &'static [Method] {
        self.row().methods
    }

    /// Whether it takes `method`.
    pub fn accepts(self, method: &Method) -> bool {
        self.methods().contains(method)
    }

    /// Who answers it.
    pub const fn server(self) -> Server {
        self.row().server
    }

    /// The endpoint a path after the issuer names (`/token`,
    /// `/interaction/abc/login`), with the segment it carries (an
    /// interaction id, which is never empty, or a client id); `None` for
    /// anything else.
    pub fn parse(after_issuer: &str) -> Option<(Endpoint, Option<&str>)> {
        if let Some(id) = after_issuer.strip_prefix("/register/") {
            return Some((Self::RegistrationManagement, Some(id)));
        }
        if let Some(rest) = after_issuer.strip_prefix("/interaction/") {
            let (id, action) = match rest.split_once('/') {
                Some((id, action)) => (id, Some(action)),
                None => (rest, None),
            };
            let endpoint = match action {
                None => Self::Interaction,
                Some("login") => Self::InteractionLogin,
                Some("consent") => Self::InteractionConsent,
                Some("cancel") => Self::InteractionCancel,
                Some("upstream") => Self::InteractionUpstream,
                Some(_) => return None,
            };
            return (!id.is_empty()).then_some((endpoint, Some(id)));
        }
        if let Some(rest) = after_issuer.strip_prefix("/upstream/") {
            let id = rest.strip_suffix("/callback")?;
            return (!id.is_empty() && !id.contains('/'))
                .then_some((Self::UpstreamCallback, Some(id)));
        }
        Self::ALL
            .into_iter()
            .find(|e| !e.path().is_empty() && !e.path().contains('{') && e.path() == after_issuer)
            .map(|e| (e, None))
    }

    /// `1 << index`, for [`EndpointSet`].
    const fn bit(self) -> u32 {
        1 << self as u32
    }
}

/// A request path resolved against the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Located<'a> {
    /// The tenant's slug as the path spells it (not yet looked up).
    pub slug: &'a str,
    /// Which endpoint.
    pub endpoint: Endpoint,
    /// The interaction id or client id the path carries.
    pub id: Option<&'a str>,
}

impl<'a> Located<'a> {
    /// Resolves `path` under the base URL's path `base_path` ("" at the
    /// root): `{base}/t/{slug}{endpoint path}`, or RFC 8414's
    /// `{base}/.well-known/oauth-authorization-server/t/{slug}`.
    pub fn parse(base_path: &str, path: &'a str) -> Option<Self> {
        let rest = path.strip_prefix(base_path)?;
        if let Some(slug) = rest.strip_prefix("/.well-known/oauth-authorization-server/t/") {
            return Some(Self {
                slug,
                endpoint: Endpoint::AuthorizationServerMetadata,
                id: None,
            });
        }
        let tail = rest.strip_prefix("/t/")?;
        let i = tail.find('/')?;
        let (endpoint, id) = Endpoint::parse(&tail[i..])?;
        Some(Self {
            slug: &tail[..i],
            endpoint,
            id,
        })
    }
}

/// RFC 8414 §3.1: the metadata URL of tenant `slug` under `base_url`.
pub fn metadata_url(base_url: &str, slug: &str) -> String {
    format!("{base_url}/.well-known/oauth-authorization-server/t/{slug}")
}

/// A set of endpoints: the host's pages it serves
/// ([`ProviderConfig::host_endpoints`](crate::ProviderConfig::host_endpoints)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EndpointSet(u32);

impl EndpointSet {
    /// No endpoint.
    pub const EMPTY: Self = Self(0);

    /// The login and consent pages, which every host must serve: without
    /// them no authorization request can reach a person.
    pub const INTERACTION: Self = Self::EMPTY
        .with(Endpoint::Interaction)
        .with(Endpoint::InteractionLogin)
        .with(Endpoint::InteractionConsent)
        .with(Endpoint::InteractionCancel);

    /// The device verification page and its forms (RFC 8628 §3.3).
    pub const DEVICE: Self = Self::EMPTY
        .with(Endpoint::Device)
        .with(Endpoint::DeviceLogin)
        .with(Endpoint::DeviceDecision);

    /// RP-Initiated Logout and its confirmation.
    pub const LOGOUT: Self = Self::EMPTY
        .with(Endpoint::Logout)
        .with(Endpoint::LogoutConfirm);

    /// The account page and its forms.
    pub const ACCOUNT: Self = Self::EMPTY
        .with(Endpoint::Account)
        .with(Endpoint::AccountCallback)
        .with(Endpoint::AccountProfile)
        .with(Endpoint::AccountPassword)
        .with(Endpoint::AccountSignOutOthers)
        .with(Endpoint::AccountSignOut)
        .with(Endpoint::AccountLink)
        .with(Endpoint::AccountUnlink);

    /// Upstream login: "Continue with {name}" and the upstream's callback.
    pub const UPSTREAM: Self = Self::EMPTY
        .with(Endpoint::InteractionUpstream)
        .with(Endpoint::UpstreamCallback);

    /// Every page of the table (idp-server serves them all).
    pub const ALL_PAGES: Self = Self::INTERACTION
        .union(Self::DEVICE)
        .union(Self::LOGOUT)
        .union(Self::ACCOUNT)
        .union(Self::UPSTREAM);

    /// This set and `e`.
    pub const fn with(self, e: Endpoint) -> Self {
        Self(self.0 | e.bit())
    }

    /// Both sets.
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// Whether `e` is in the set.
    pub const fn contains(self, e: Endpoint) -> bool {
        self.0 & e.bit() != 0
    }
}

impl Default for EndpointSet {
    /// [`EndpointSet::INTERACTION`].
    fn default() -> Self {
        Self::INTERACTION
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fixed_path_parses_back_to_its_endpoint() {
        for e in Endpoint::ALL {
            let path = e.path();
            if path.is_empty() {
                continue;
            }
            let filled = e.path_with("x1");
            let expected_id = path.contains('{').then_some("x1");
            assert_eq!(Endpoint::parse(&filled), Some((e, expected_id)), "{path}");
            assert_eq!(e.template(), format!("/t/{{tenant}}{path}"));
        }
    }

    #[test]
    fn locates_paths_under_the_base() {
        assert_eq!(
            Located::parse("/idp", "/idp/t/acme/interaction/abc/login"),
            Some(Located {
                slug: "acme",
                endpoint: Endpoint::InteractionLogin,
                id: Some("abc"),
            })
        );
        assert_eq!(
            Located::parse("", "/.well-known/oauth-authorization-server/t/acme")
                .map(|l| (l.slug, l.endpoint)),
            Some(("acme", Endpoint::AuthorizationServerMetadata))
        );
        for path in [
            "/t/acme",
            "/t/acme/nope",
            "/t/acme/token/x",
            "/t/acme/interaction/",
            "/t/acme/interaction/x/evil",
            "/t/acme/account/",
            "/t/acme/account/nope",
            "/t/acme/upstream/x",
            "/t/acme/upstream//callback",
            "/t/acme/upstream/a/b/callback",
            "/idp/t/acme/token",
        ] {
            assert_eq!(Located::parse("", path), None, "{path}");
        }
        assert_eq!(Located::parse("/idp", "/t/acme/token"), None);
    }

    #[test]
    fn pages_are_the_hosts() {
        for e in Endpoint::ALL {
            assert_eq!(
                EndpointSet::ALL_PAGES.contains(e),
                e.server() == Server::Host,
                "{e:?}"
            );
        }
        assert!(!EndpointSet::default().contains(Endpoint::Logout));
        assert!(EndpointSet::default().contains(Endpoint::InteractionLogin));
    }
}
