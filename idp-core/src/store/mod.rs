//! The storage port. The core decides; a store only persists.
//!
//! The port is split by concern, one trait per file: [`TenantStore`],
//! [`KeyStore`], [`ClientStore`], [`UserStore`], [`SessionStore`],
//! [`GrantStore`], [`PushedRequestStore`], [`RevocationStore`],
//! [`DeviceStore`], [`DeliveryStore`] (back-channel logout retries),
//! [`Maintenance`] and [`AdminStore`] (what only the admin service needs: pages, updates,
//! deletions that end what depended on the deleted row), [`AuditStore`]
//! (audited changes and the audit log), [`RoleStore`], [`ApiKeyStore`] and
//! [`IdempotencyStore`] (the admin API's), [`PlatformSettingsStore`] (the
//! platform's own settings: who may sign up), [`AnalyticsStore`] (sign-in
//! events and their roll-ups), [`TierStore`] (tiers and what their limits
//! count), [`UpstreamStore`] (upstream login: upstreams, linked identities,
//! flights).
//! [`Store`] is all of them together, and what the [`Provider`] needs; a
//! type that implements every part is a `Store` without further code.
//!
//! Every method that touches tenant data takes the tenant's id first, and a
//! store must never return another tenant's rows. Race-sensitive rules are
//! single atomic methods ([`GrantStore::take_code`],
//! [`GrantStore::rotate_refresh_token`], [`DeviceStore::poll_device_code`],
//! [`KeyStore::replace_signing_keys`], …) so that two concurrent requests
//! cannot both win. The contract suite (`idp_core::contract`, feature
//! `contract`) checks every promise made here; a store is done when it passes.
//!
//! [`Provider`]: crate::Provider

mod admin;
mod analytics;
mod api_keys;
mod audit;
mod changes;
mod clients;
mod deliveries;
mod devices;
mod grants;
mod idempotency;
mod keys;
mod maintenance;
mod operations;
mod platform_settings;
mod pushed;
mod records;
mod revocations;
mod roles;
mod sessions;
mod setup_links;
mod tenants;
mod tiers;
mod upstreams;
mod users;

pub use admin::AdminStore;
pub use analytics::{AnalyticsStore, DayRollup, SignInEvent};
pub use api_keys::{ApiKeyRecord, ApiKeyStore};
pub use audit::{AdminChange, Applied, AuditEvent, AuditFilter, AuditStore};
pub use changes::{ChangeListener, ChangeWatch, Held, JobLease, StoreChange};
pub use clients::ClientStore;
pub use deliveries::{DeliveryStore, PendingDelivery};
pub use devices::DeviceStore;
pub use grants::GrantStore;
pub use idempotency::{IdempotencyRecord, IdempotencyStore};
pub use keys::KeyStore;
pub use maintenance::{Expiring, Maintenance};
pub use operations::{CheckpointMode, CheckpointReport, OperationError, Operations, PoolState};
pub use platform_settings::{PlatformSettings, PlatformSettingsStore};
pub use pushed::PushedRequestStore;
pub use records::*;
pub use revocations::RevocationStore;
pub use roles::{RoleRecord, RoleStore};
pub use sessions::SessionStore;
pub use setup_links::{SetupLinkRecord, SetupLinkStore};
pub use tenants::TenantStore;
pub use tiers::{Counted, TierRecord, TierStore};
pub use upstreams::{LinkedIdentityRecord, UpstreamFlightRecord, UpstreamRecord, UpstreamStore};
pub use users::UserStore;

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule was violated (slug, email, client id).
    #[error("already exists: {0}")]
    Conflict(String),
    /// The backend failed (I/O, corruption).
    #[error("storage failure: {0}")]
    Backend(String),
    /// The backend cannot be reached for now (its file is gone, no
    /// connection came free in time): the request may succeed if retried.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
}

impl StoreError {
    /// The conflict of a uniqueness rule over `columns` (table, column),
    /// named as callers show it: `slug`, `email`, `client id`… A table's
    /// `tenant_id` says nothing (every rule is per tenant) and is left out;
    /// `id` becomes the table's singular and "id"; the canonical email's
    /// index (`email_key`) is the email's rule. Both stores name their
    /// conflicts through this, so the same rule reads the same on either.
    pub fn conflict_on<'a>(columns: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let fields: Vec<String> = columns
            .into_iter()
            .filter_map(|(table, column)| match column {
                "tenant_id" if table != "tenants" => None,
                "id" => {
                    let singular = table.strip_suffix('s').unwrap_or(table);
                    Some(format!("{singular} id").trim_start().to_owned())
                }
                "email_key" => Some("email".to_owned()),
                other => Some(other.to_owned()),
            })
            .collect();
        Self::Conflict(if fields.is_empty() {
            "record".to_owned()
        } else {
            fields.join(", ")
        })
    }
}

/// Result of a store call.
pub type StoreResult<T> = Result<T, StoreError>;

/// Persistence for everything the provider keeps: every part of the port.
///
/// Implemented for every type that implements the parts; write those, not
/// this. Code that needs only one part may bound on that part alone.
pub trait Store:
    TenantStore
    + KeyStore
    + ClientStore
    + UserStore
    + SessionStore
    + GrantStore
    + PushedRequestStore
    + RevocationStore
    + DeviceStore
    + DeliveryStore
    + Maintenance
    + AdminStore
    + AuditStore
    + RoleStore
    + ApiKeyStore
    + IdempotencyStore
    + PlatformSettingsStore
    + AnalyticsStore
    + SetupLinkStore
    + TierStore
    + UpstreamStore
    + 'static
{
}

impl<T> Store for T where
    T: TenantStore
        + KeyStore
        + ClientStore
        + UserStore
        + SessionStore
        + GrantStore
        + PushedRequestStore
        + RevocationStore
        + DeviceStore
        + DeliveryStore
        + Maintenance
        + AdminStore
        + AuditStore
        + RoleStore
        + ApiKeyStore
        + IdempotencyStore
        + PlatformSettingsStore
        + AnalyticsStore
        + SetupLinkStore
        + TierStore
        + UpstreamStore
        + 'static
{
}
