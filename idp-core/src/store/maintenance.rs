//! The narrow port the purge job needs: deleting rows that have outlived
//! their use.
//!
//! The core decides every cutoff (see `crate::purge`); a store only deletes
//! what the cutoff names, in
//! small batches, so a purge never holds SQLite's single write lock for long.
//! Every method is idempotent and safe to run from several processes at once.

use super::StoreResult;
use crate::clock::UnixTime;
use crate::ids::TenantId;
use std::future::Future;

/// A kind of row that expires, and what `before` means for it in
/// [`Maintenance::purge_expired`]. Each variant deletes rows whose named time
/// is strictly earlier than `before`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Expiring {
    /// Authorization codes, consumed or not, by `expires_at`.
    AuthorizationCodes,
    /// Pending login/consent interactions, by `expires_at`.
    Interactions,
    /// Device authorizations (RFC 8628), by `expires_at`.
    DeviceCodes,
    /// Sessions never revoked, by `expires_at` (ended ones too: an ended but
    /// unexpired session can still be revoked, so it stays until it expires).
    Sessions,
    /// Revoked sessions, by `revoked_at` (the record makes the session's
    /// access tokens count as revoked, ADR 0011).
    RevokedSessions,
    /// Refresh tokens, consumed or not, by `expires_at`.
    RefreshTokens,
    /// Revocations of single access tokens, by `keep_until`.
    RevokedAccessTokens,
    /// Revocations of grants, by `keep_until`.
    RevokedGrants,
    /// `jti`s of private_key_jwt client assertions (RFC 7523 §3), by `expires_at`.
    ClientAssertions,
    /// The relying parties recorded for a session (front- and back-channel
    /// logout), by when they were recorded (`created_at`).
    SessionClients,
    /// Pushed authorization requests (RFC 9126) never used, by `expires_at`.
    PushedRequests,
    /// Round trips to an upstream nobody came back from (issue 19), by
    /// `expires_at`.
    UpstreamFlights,
}

impl Expiring {
    /// Every kind, in the order a purge runs them: sessions before the rows
    /// that hang off sessions.
    pub const ALL: [Self; 12] = [
        Self::AuthorizationCodes,
        Self::Interactions,
        Self::DeviceCodes,
        Self::Sessions,
        Self::RevokedSessions,
        Self::SessionClients,
        Self::RefreshTokens,
        Self::RevokedAccessTokens,
        Self::RevokedGrants,
        Self::ClientAssertions,
        Self::PushedRequests,
        Self::UpstreamFlights,
    ];

    /// A stable name for logs and reports.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::AuthorizationCodes => "authorization_codes",
            Self::Interactions => "interactions",
            Self::DeviceCodes => "device_codes",
            Self::Sessions => "sessions",
            Self::RevokedSessions => "revoked_sessions",
            Self::RefreshTokens => "refresh_tokens",
            Self::RevokedAccessTokens => "revoked_access_tokens",
            Self::RevokedGrants => "revoked_grants",
            Self::ClientAssertions => "client_assertions",
            Self::SessionClients => "session_clients",
            Self::PushedRequests => "pushed_requests",
            Self::UpstreamFlights => "upstream_flights",
        }
    }
}

/// Deleting expired rows: part of [`Store`](super::Store).
pub trait Maintenance: Send + Sync {
    /// Deletes at most `limit` rows of `kind` in `tenant` whose time is before
    /// `before` (see [`Expiring`]), in one short write, and returns how many
    /// it deleted. The caller repeats until fewer than `limit` come back.
    fn purge_expired(
        &self,
        tenant: &TenantId,
        kind: Expiring,
        before: UnixTime,
        limit: u32,
    ) -> impl Future<Output = StoreResult<u64>> + Send;
}
