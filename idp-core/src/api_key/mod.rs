//! Admin API keys as Biscuit tokens (design.md "Admin API"; ADR to come
//! with the HTTP layer).
//!
//! A key is a Biscuit token signed by the platform's root key pair
//! ([`root`]): its first (authority) block holds the fact `key("{id}")`
//! naming its [`ApiKeyRecord`](crate::store::ApiKeyRecord), and the checks
//! it was created with (one tenant, read-only, an expiry). Its holder can
//! append blocks of further checks offline ([`attenuate`], or the `biscuit`
//! command-line tool) without the root key: a block can only narrow what a
//! key may do, never widen it.
//!
//! Each request is checked by a Datalog authorizer ([`verify`]) given the
//! facts `time(now)`, `operation("read"|"write")`, `tenant("{slug}")` when
//! the request concerns one tenant and `path("{path}")`, and the one policy
//! `allow if key($k)`, which sees only the authority block's facts (so a
//! block that claims `key("other")` gains nothing). Every check of every
//! block must hold. The authorizer's run is bounded ([`verify::LIMITS`]).
//!
//! Revocation is by the authority block's revocation id, which every
//! attenuation of the key carries: revoking the record ends them all.
//! The key string itself is never stored nor logged.

pub mod attenuate;
pub mod mint;
pub mod root;
pub mod verify;

pub use attenuate::{Restriction, attenuate};
pub use verify::{ApiKeyVerifier, VerifiedKey};

use crate::clock::UnixTime;

/// What a request does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// Reads (GET): the fact `operation("read")`.
    Read,
    /// Changes something: the fact `operation("write")`.
    Write,
}

impl Operation {
    /// As in the `operation` fact.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
        }
    }
}

/// What a request asks to do: the authorizer's facts.
#[derive(Clone, Copy, Debug)]
pub struct AccessRequest<'a> {
    /// Read or write.
    pub operation: Operation,
    /// The slug of the tenant the request concerns, if it concerns one.
    pub tenant: Option<&'a str>,
    /// The request path (`/api/v1/tenants/acme/users`).
    pub path: &'a str,
    /// Now.
    pub now: UnixTime,
}

/// Why a key may not make a request, as the admin API answers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// 401: not a key of this platform (malformed, bad signature, another
    /// root), unknown, revoked or expired. The reason is short and never
    /// contains the key.
    #[error("API key refused: {0}")]
    Unauthenticated(&'static str),
    /// 403: a valid key that may not do this (a read-only key writing).
    #[error("API key not allowed to do this")]
    Forbidden,
    /// 404: the request concerns a tenant the key cannot even read, which
    /// is answered as if the tenant did not exist, so that tenants cannot
    /// be enumerated with a scoped key.
    #[error("not found")]
    Hidden,
}

/// Why a key could not be minted, parsed or attenuated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiKeyError {
    /// The text is not a Biscuit token (or not one of this platform).
    #[error("not a valid API key")]
    Malformed,
    /// The restriction asks for nothing, or for something invalid.
    #[error("{0}")]
    Invalid(String),
    /// Building or signing a token failed (never expected).
    #[error("API key could not be built: {0}")]
    Build(String),
}

/// Lowercase hexadecimal, as revocation ids are shown and stored.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// A Unix time as a Datalog date term (times before 1970 are 1970).
pub(crate) fn date(t: UnixTime) -> biscuit_auth::builder::Term {
    biscuit_auth::builder::Term::Date(u64::try_from(t).unwrap_or(0))
}

#[cfg(test)]
mod tests;
