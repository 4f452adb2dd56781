//! # idp-core
//!
//! The protocol engine of idp: a multi-tenant OpenID Connect provider that any
//! Rust service can embed. It owns every protocol rule (request validation,
//! PKCE, codes, tokens, sessions, consent, tenant scoping, keys, encryption of
//! secrets at rest) and talks to the outside world only through
//! [`http::Request`]/[`http::Response`] and the [`store::Store`] port.
//! It has no HTTP server and no SQL, and never reads the environment.

pub mod clock;
pub mod crypto;
pub mod ids;
pub mod jose;
pub mod jwks;
pub mod store;
