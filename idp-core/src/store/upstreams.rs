//! Upstream identity providers of a tenant, the identities linked through
//! them, and round trips in flight. Writes of upstreams and identities go
//! through [`AuditStore::apply_audited`](super::AuditStore::apply_audited)
//! ([`AdminChange::CreateUpstream`](super::AdminChange::CreateUpstream) and
//! the rest); flights are unaudited, short-lived protocol state like
//! interactions.

use super::StoreResult;
use crate::clock::UnixTime;
use crate::crypto::secret::SecretHash;
use crate::ids::{TenantId, UpstreamId, UserId};
use crate::upstream::UpstreamKind;
use std::future::Future;

/// An upstream as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpstreamRecord {
    /// Its id, in the callback URL; never changes.
    pub id: UpstreamId,
    /// What kind.
    pub kind: UpstreamKind,
    /// The name the login page shows ("Continue with {name}").
    pub name: String,
    /// The issuer (`oidc`; `google` and `microsoft` when not the preset's),
    /// or GitHub Enterprise Server's base URL (`github`); `None`: the
    /// kind's default ([`UpstreamKind::default_issuer`]).
    pub issuer: Option<String>,
    /// The client id registered at the upstream.
    pub client_id: String,
    /// The client secret, sealed ([`crate::upstream::secret`]).
    pub sealed_client_secret: Vec<u8>,
    /// Whether a first sign-in creates a user (`--no-signup` turns it off).
    pub signup: bool,
    /// Whether a first sign-in with a verified email links to the existing
    /// user with that email (off unless enabled).
    pub auto_link: bool,
    /// Creation time.
    pub created_at: UnixTime,
    /// Last change.
    pub updated_at: UnixTime,
}

/// An upstream identity linked to a user: (upstream, subject) is unique in
/// the tenant, and finds the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkedIdentityRecord {
    /// The upstream.
    pub upstream_id: UpstreamId,
    /// The upstream's stable key for the person
    /// ([`crate::upstream::Asserted::subject`]).
    pub subject: String,
    /// The user it signs in as.
    pub user_id: UserId,
    /// The email the upstream reported at the last sign-in, for people to
    /// recognise the identity by (never used to find it).
    pub email: Option<String>,
    /// When it was linked.
    pub created_at: UnixTime,
    /// When it last signed in.
    pub last_used_at: UnixTime,
}

/// A round trip to an upstream in progress, found by the hash of its
/// `state` (the store never sees the state itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpstreamFlightRecord {
    /// Hash of the `state` sent to the upstream.
    pub state_hash: SecretHash,
    /// The upstream it went to.
    pub upstream_id: UpstreamId,
    /// What the core needs to finish it, serialized (and sealed) by the
    /// core: opaque to the store.
    pub data: Vec<u8>,
    /// Creation time.
    pub created_at: UnixTime,
    /// Expiry; an expired flight is never returned and is purged.
    pub expires_at: UnixTime,
}

/// Upstreams, linked identities and flights: part of [`Store`](super::Store).
pub trait UpstreamStore: Send + Sync {
    /// The tenant's upstreams with an id after `after`, by id, at most `limit`.
    fn upstreams_page(
        &self,
        tenant: &TenantId,
        after: Option<&UpstreamId>,
        limit: usize,
    ) -> impl Future<Output = StoreResult<Vec<UpstreamRecord>>> + Send;
    /// The upstream `id` of the tenant.
    fn upstream(
        &self,
        tenant: &TenantId,
        id: &UpstreamId,
    ) -> impl Future<Output = StoreResult<Option<UpstreamRecord>>> + Send;

    /// The identity `subject` of `upstream`, if linked.
    fn linked_identity(
        &self,
        tenant: &TenantId,
        upstream: &UpstreamId,
        subject: &str,
    ) -> impl Future<Output = StoreResult<Option<LinkedIdentityRecord>>> + Send;
    /// Every identity linked to the user, by upstream then subject.
    fn identities_of_user(
        &self,
        tenant: &TenantId,
        user: &UserId,
    ) -> impl Future<Output = StoreResult<Vec<LinkedIdentityRecord>>> + Send;
    /// Records a sign-in through the identity: its `email` as now reported
    /// and `last_used_at`; `false` if it is not linked.
    fn touch_identity(
        &self,
        tenant: &TenantId,
        upstream: &UpstreamId,
        subject: &str,
        email: Option<&str>,
        at: UnixTime,
    ) -> impl Future<Output = StoreResult<bool>> + Send;

    /// Stores a flight; `Conflict` if its state hash exists.
    fn put_flight(
        &self,
        tenant: &TenantId,
        flight: &UpstreamFlightRecord,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Removes and returns the flight with this state hash if it has not
    /// expired at `now`, atomically: of two concurrent takes one gets it.
    fn take_flight(
        &self,
        tenant: &TenantId,
        state_hash: &SecretHash,
        now: UnixTime,
    ) -> impl Future<Output = StoreResult<Option<UpstreamFlightRecord>>> + Send;
}
