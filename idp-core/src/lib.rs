//! # idp-core
//!
//! The protocol engine of idp: a multi-tenant OpenID Connect provider that any
//! Rust service can embed. It owns every protocol rule (request validation,
//! PKCE, codes, tokens, sessions, consent, tenant scoping, keys, encryption of
//! secrets at rest) and talks to the outside world only through
//! [`http::Request`]/[`http::Response`] and the [`store::Store`] port.
//! It has no HTTP server and no SQL, and never reads the environment.
//!
//! ## Embedding
//! Build a [`Provider`] over a [`store::Store`] (for example
//! `idp_store_sqlite::SqliteStore`) and a [`ProviderConfig`], whose base URL
//! may carry a path prefix (`https://app.example/idp` gives issuers
//! `https://app.example/idp/t/{tenant}`). Route the login and consent pages,
//! `{issuer}/interaction/{id}`, to your own handlers built on
//! [`Provider::interaction`], [`Provider::submit_login`] and
//! [`Provider::submit_consent`], and every other request under the prefix to
//! [`Provider::handle`]. Say which other pages you render in
//! [`ProviderConfig::host_endpoints`] (discovery names only those: see
//! [`endpoint`]), put the client's address in each request's extensions as
//! [`abuse::ClientAddr`], and give a timer with [`Provider::with_sleep`]:
//! the lockouts on guessed passwords and client secrets are the provider's
//! own ([`abuse`]). The workspace's `examples/embedded` crate is a
//! complete, tested hyper application doing exactly that: one binary that is
//! both a web app and its own identity provider.
//!
//! ## Map
//! - [`endpoint`]: the one table of a tenant's endpoints (paths, methods,
//!   who serves them).
//! - [`abuse`]: lockouts and slowdowns on guessed credentials, behind a port.
//! - [`provider::Provider`]: the entry point; [`Provider::handle`](provider::Provider::handle)
//!   serves discovery, JWKS, authorize, token and userinfo for every tenant.
//! - [`authorize`]: the authorization request as a pipeline of checks
//!   (`request`, `pkce`, `prompt`), and [`authorize::interaction`] for the
//!   login and consent pages an application renders.
//! - `token`: the token endpoint, one file per grant.
//! - [`id_token`], [`access_token`] (RFC 9068 JWT), [`userinfo`], [`discovery`], [`jwks`].
//! - [`admin`]: the administration service ([`Admin`], from
//!   [`Provider::admin`]): tenants, clients, users, sessions, keys.
//! - [`platform`]: the reserved tenant `platform` and its operators' roles.
//! - [`account`]: what a user may do on their own account page (profile,
//!   password, sessions), which the host renders.
//! - [`tenant`], [`client`], [`user`], [`session`]: registries; [`email`]: the
//!   canonical form of the email addresses users sign in with.
//! - [`logout`] (RP-Initiated Logout) and [`channel_logout`] (telling the
//!   session's relying parties through the front and back channels), with
//!   [`logout_retry`] (failed back-channel deliveries, queued and retried).
//! - [`outbound`]: which URLs the provider may request itself (SSRF guard).
//! - [`crypto`]: randomness, secret hashes, argon2id, envelope encryption.
//! - [`store`]: the storage port a backend implements.
//! - [`purge`] and [`key_rotation`]: what the background jobs decide (which
//!   expired rows go, when keys rotate and when retired ones leave the JWKS).
//! - [`telemetry`]: counters for operators, through the `metrics` facade.

pub mod abuse;
pub mod access_token;
pub mod account;
pub mod acr;
pub mod admin;
pub mod analytics;
pub mod api_key;
pub mod audit;
pub mod authorize;
pub mod channel_logout;
pub mod claims;
pub mod client;
pub mod clock;
#[cfg(feature = "contract")]
pub mod contract;
pub mod cors;
pub mod crypto;
pub mod device;
pub mod discovery;
pub mod email;
pub mod email_index;
pub mod endpoint;
pub mod error;
pub mod first_party;
#[doc(hidden)]
pub mod fuzzing;
pub mod id_token;
pub mod id_token_hint;
pub mod ids;
pub mod introspection;
pub mod ip_block;
pub mod jose;
pub mod jwks;
pub mod key_rotation;
pub mod logout;
pub mod logout_retry;
pub mod outbound;
pub mod platform;
pub mod provider;
pub mod purge;
pub mod registration;
pub mod resource;
pub mod revocation;
pub mod roles_claim;
pub mod scope;
pub mod session;
pub mod signup;
pub mod store;
pub mod subject;
pub mod telemetry;
pub mod tenant;
pub mod tier;
mod token;
pub mod upstream;
pub mod user;
pub mod userinfo;
pub mod wire;

pub use admin::{Admin, AdminError};
pub use audit::{AuditAction, AuditContext};
pub use authorize::interaction::{InteractionView, LoginOutcome, PageError, Stage};
pub use client::{CreatedClient, NewClient};
pub use device::verification::{Attempter, DeviceError, DeviceSignIn, DeviceView};
pub use email::{EmailAddress, EmailError};
pub use error::{ErrorCode, OAuthError};
pub use logout::{LogoutOutcome, LogoutRequest};
pub use outbound::OutboundPolicy;
pub use provider::{
    DEFAULT_KEY_PUBLICATION, Deliver, Fetch, Lifetimes, Offload, Provider, ProviderConfig,
};
pub use session::SessionInfo;
pub use user::NewUser;
