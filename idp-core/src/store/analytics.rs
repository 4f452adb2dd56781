//! Sign-in analytics (`crate::analytics`): raw sign-in events, written
//! behind the login path in batches, and the daily and monthly roll-ups a
//! background job rebuilds from them.
//!
//! Everything here is one tenant's and goes with it: deleting a tenant
//! deletes its events and roll-ups. Raw events hold no email typed, no
//! address and no secret: the outcome, the client, the method and, when the
//! account was found, the user's id.
//!
//! What a roll-up counts is fixed here, so that every store counts alike
//! (the contract checks it), for a day `[start, end)`:
//! - `logins`: successful sign-ins;
//! - `active_users`: distinct users among them;
//! - `signups`: users of the tenant whose `created_at` falls in the day
//!   (every way a user is made counts, and one deleted since does not);
//! - failures, by reason, and successful sign-ins by client;
//! - the month's set of users who signed in (kept until purged with the raw
//!   events) and its size, the month's active users (kept).

use super::StoreResult;
use crate::analytics::calendar::{Day, Month};
use crate::clock::UnixTime;
use crate::ids::{ClientId, TenantId, UserId};
use std::collections::BTreeMap;
use std::future::Future;

/// One sign-in attempt, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignInEvent {
    /// When.
    pub time: UnixTime,
    /// `None` if it succeeded, else why it failed: a
    /// [`FailureReason`](crate::analytics::FailureReason)'s name.
    pub failure: Option<String>,
    /// The client the user was signing in to, if known.
    pub client_id: Option<ClientId>,
    /// How: a [`SignInMethod`](crate::analytics::SignInMethod)'s name.
    pub method: String,
    /// The account, if one was found (never for an unknown email).
    pub user_id: Option<UserId>,
}

/// One day's roll-up.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DayRollup {
    /// The day.
    pub day: i64,
    /// Successful sign-ins.
    pub logins: u64,
    /// Users created that day.
    pub signups: u64,
    /// Distinct users who signed in.
    pub active_users: u64,
    /// Failed sign-ins by reason (only reasons that occurred).
    pub failures: BTreeMap<String, u64>,
}

/// Analytics: part of [`Store`](super::Store).
pub trait AnalyticsStore: Send + Sync {
    /// Appends `events` of `tenant` in one transaction.
    fn append_sign_ins(
        &self,
        tenant: &TenantId,
        events: &[SignInEvent],
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// The time of the tenant's oldest raw event, if any.
    fn oldest_sign_in(
        &self,
        tenant: &TenantId,
    ) -> impl Future<Output = StoreResult<Option<UnixTime>>> + Send;

    /// Until when the tenant's roll-ups were last rebuilt (`None`: never).
    fn rolled_up_until(
        &self,
        tenant: &TenantId,
    ) -> impl Future<Output = StoreResult<Option<UnixTime>>> + Send;

    /// Rebuilds, in one transaction, every roll-up of `day` (replacing
    /// what was there) from the raw events and the users table, adds the
    /// day's users to the month's set and recounts the month; then records
    /// `until` as [`AnalyticsStore::rolled_up_until`].
    fn roll_up_day(
        &self,
        tenant: &TenantId,
        day: Day,
        until: UnixTime,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// The day roll-ups from `from` to `to` (inclusive) that exist, by day.
    fn day_rollups(
        &self,
        tenant: &TenantId,
        from: Day,
        to: Day,
    ) -> impl Future<Output = StoreResult<Vec<DayRollup>>> + Send;

    /// Monthly active users of the months from `from` to `to` (inclusive)
    /// that have a count, by month: `(month number, users)`.
    fn monthly_active_users(
        &self,
        tenant: &TenantId,
        from: Month,
        to: Month,
    ) -> impl Future<Output = StoreResult<Vec<(i64, u64)>>> + Send;

    /// Successful sign-ins per client from `from` to `to` (inclusive), the
    /// `limit` largest, largest first (ties by client id).
    fn client_logins(
        &self,
        tenant: &TenantId,
        from: Day,
        to: Day,
        limit: usize,
    ) -> impl Future<Output = StoreResult<Vec<(ClientId, u64)>>> + Send;

    /// Deletes at most `limit` raw events older than `before` and returns
    /// how many; the caller repeats until fewer come back.
    fn purge_sign_ins(
        &self,
        tenant: &TenantId,
        before: UnixTime,
        limit: u32,
    ) -> impl Future<Output = StoreResult<u64>> + Send;

    /// Deletes the monthly user sets of the months before `before` (their
    /// counts stay); returns how many members went.
    fn purge_monthly_user_sets(
        &self,
        tenant: &TenantId,
        before: Month,
    ) -> impl Future<Output = StoreResult<u64>> + Send;
}
