//! Back-channel logout deliveries that failed and wait for another attempt
//! (Back-Channel Logout 1.0 §2.8; the retry rules are
//! [`crate::logout_retry`]'s). What is stored is what is needed to sign a
//! fresh Logout Token at each attempt (the session id and the user), never
//! a token: a stored token would expire before its retry.

use crate::clock::UnixTime;
use crate::ids::{ClientId, SessionId, TenantId, UserId};
use crate::store::StoreResult;
use std::future::Future;

/// One Logout Token still owed to a relying party.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingDelivery {
    /// Random id, unique in the tenant.
    pub id: String,
    /// The relying party to tell.
    pub client_id: ClientId,
    /// Its `backchannel_logout_uri` when the delivery first failed.
    pub uri: String,
    /// The session that ended (the token's `sid`).
    pub session_id: SessionId,
    /// The session's user (the token's `sub`).
    pub user_id: UserId,
    /// Attempts made or under way, the first delivery included.
    pub attempts: u32,
    /// When the first delivery failed (the queue drops the oldest first).
    pub created_at: UnixTime,
    /// When it may be attempted next (while claimed: when the claim lapses).
    pub next_attempt_at: UnixTime,
}

/// The queue of failed back-channel deliveries: part of [`Store`](super::Store).
///
/// Several processes may retry from one database: a delivery is *claimed*
/// (one atomic write) before it is attempted, and finished or rescheduled
/// only by its claimer, recognised by the attempt count its claim set.
pub trait DeliveryStore: Send + Sync {
    /// Stores `delivery`. If `tenant` already has `limit` or more waiting,
    /// the oldest (by `created_at`, then `id`) are deleted first, so that
    /// `limit` remain with the new one, and returned; atomically, so that
    /// racing failures never leave more than `limit`. `limit` is at least 1.
    fn enqueue_delivery(
        &self,
        tenant: &TenantId,
        delivery: &PendingDelivery,
        limit: u32,
    ) -> impl Future<Output = StoreResult<Vec<PendingDelivery>>> + Send;
    /// Atomically claims at most `limit` deliveries of `tenant` due at `now`
    /// (`next_attempt_at <= now`), the earliest due first: each gets one
    /// more attempt and `next_attempt_at = lease_until`, so that no other
    /// claim takes it before then, and comes back as updated (oldest
    /// first). Of racing claims, each delivery goes to one.
    fn claim_deliveries(
        &self,
        tenant: &TenantId,
        now: UnixTime,
        lease_until: UnixTime,
        limit: u32,
    ) -> impl Future<Output = StoreResult<Vec<PendingDelivery>>> + Send;
    /// Sets the next attempt of a delivery still as its claim left it
    /// (`attempts` unchanged); `false` if it is gone or claimed again since.
    fn reschedule_delivery(
        &self,
        tenant: &TenantId,
        id: &str,
        attempts: u32,
        next_attempt_at: UnixTime,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Deletes a delivery (delivered, or given up) still as its claim left
    /// it; `false` if it is gone or claimed again since.
    fn remove_delivery(
        &self,
        tenant: &TenantId,
        id: &str,
        attempts: u32,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
}
