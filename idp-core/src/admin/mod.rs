//! The administration service: everything an operator does to tenants,
//! clients, users, sessions and signing keys, beside the protocol
//! ([`Provider`](crate::Provider)) rather than on it. The CLI uses it today;
//! the admin REST API and the console are built on it.
//!
//! - One typed error, [`AdminError`], that the CLI maps to exit codes and
//!   the admin API to problem details, each in one place.
//! - Lists are pages ([`Page`], [`PageRequest`]): an opaque cursor and a
//!   limit (default 50, at most 200), read with a keyset query.
//! - An [`Admin`] shares the store, the [`TenantRegistry`] and the
//!   [`ClientDirectory`] with the provider it came from
//!   ([`Provider::admin`](crate::Provider::admin)), so each write is served
//!   at once by this process; other processes follow within their cache
//!   lifetimes (`Lifetimes::tenant_cache`, `Lifetimes::client_cache`).
//! - Deleting an object ends what depended on it: see each `delete`.
//! - Creates of users, clients, upstreams and tenant API keys are held
//!   to the tenant's tier ([`crate::tier`]).
//!
//! - Every change is made by someone: each writing method takes an
//!   [`AuditContext`](crate::audit::AuditContext), and the change and its
//!   audit event are stored in one transaction
//!   ([`AuditStore::apply_audited`](crate::store::AuditStore::apply_audited)).

mod api_keys;
mod audit_log;
mod clients;
mod error;
mod export;
mod first_party;
mod idempotency;
mod keys;
mod lifecycle;
mod owners;
mod page;
mod platform;
mod platform_settings;
pub mod policy;
mod roles;
mod sessions;
mod signup;
mod tenants;
mod tiers;
mod upstreams;
mod users;

pub use crate::key_rotation::{Activation, KeyState, RotatedKeys};
pub use api_keys::{IssuedApiKey, NewApiKey};
pub use clients::{ClientUpdate, DEFAULT_SECRET_GRACE, RotatedSecret};
pub use error::{AdminError, FieldError, ObjectKind};
pub use export::{EXPORT_PAGE, ExportFormat, UserExport};
pub use idempotency::{IDEMPOTENCY_LIFETIME, IdempotencyClaim, IdempotentRequest, IdempotentStart};
pub use keys::KeyInfo;
pub use owners::{CreatedOwner, SETUP_LINK_LIFETIME, SetupLink};
pub use page::{DEFAULT_LIMIT, MAX_LIMIT, Page, PageRequest};
pub use platform_settings::PlatformSettingsUpdate;
pub use roles::NewRole;
pub use signup::{SignUpError, SignUpRequest, SignedUp};
pub use tenants::{NewTenant, TenantUpdate};
pub use tiers::{NewTier, TenantUsage, TierUpdate};
pub use upstreams::{LinkedIdentity, NewUpstream, UpstreamInfo, UpstreamUpdate, parse_kind};
pub use users::UserUpdate;

use crate::client::directory::ClientDirectory;
use crate::clock::Clock;
use crate::provider::{Deliver, Fetch, Offload, ProviderConfig};
use crate::store::Store;
use crate::tenant::TenantContext;
use crate::tenant::registry::TenantRegistry;
use std::sync::Arc;

/// What an [`Admin`] is made of; [`Provider::admin`](crate::Provider::admin)
/// fills it from the provider.
pub(crate) struct Parts<S> {
    pub store: Arc<S>,
    pub config: ProviderConfig,
    pub clock: Arc<dyn Clock>,
    pub offload: Offload,
    pub deliver: Option<Deliver>,
    pub fetch: Option<Fetch>,
    pub tenants: Arc<TenantRegistry>,
    pub clients: Arc<ClientDirectory>,
}

/// The administration service; see the module documentation.
pub struct Admin<S: Store> {
    store: Arc<S>,
    config: ProviderConfig,
    clock: Arc<dyn Clock>,
    offload: Offload,
    deliver: Option<Deliver>,
    /// Fetches `sector_identifier_uri`s at registration.
    fetch: Option<Fetch>,
    tenants: Arc<TenantRegistry>,
    clients: Arc<ClientDirectory>,
    /// How long a rotated client secret keeps working, in seconds.
    secret_grace: i64,
}

impl<S: Store> Admin<S> {
    pub(crate) fn from_parts(p: Parts<S>) -> Self {
        Self {
            store: p.store,
            config: p.config,
            clock: p.clock,
            offload: p.offload,
            deliver: p.deliver,
            fetch: p.fetch,
            tenants: p.tenants,
            clients: p.clients,
            secret_grace: DEFAULT_SECRET_GRACE,
        }
    }

    /// Sets how long a client secret replaced by
    /// [`Admin::rotate_client_secret`] keeps working, in seconds (default
    /// [`DEFAULT_SECRET_GRACE`], 24 hours; 0 refuses it at once).
    pub fn with_secret_grace(mut self, seconds: i64) -> Self {
        self.secret_grace = seconds.max(0);
        self
    }

    /// The time now, by the provider's clock.
    pub fn now(&self) -> crate::clock::UnixTime {
        self.clock.now()
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The tenant `slug`, loaded (keys parsed) through the shared registry.
    async fn tenant(&self, slug: &str) -> Result<Arc<TenantContext>, AdminError> {
        self.tenants
            .get(&*self.store, &self.config, slug, self.clock.now())
            .await?
            .ok_or_else(|| AdminError::not_found(ObjectKind::Tenant, slug))
    }

    /// Runs blocking work (argon2id, RSA key generation) through the
    /// embedder's offload hook.
    async fn offload<R: Send + 'static>(
        &self,
        f: impl FnOnce() -> R + Send + 'static,
    ) -> Result<R, AdminError> {
        crate::provider::run_offloaded(&self.offload, f)
            .await
            .ok_or_else(|| AdminError::Internal("offloaded job did not complete".into()))
    }

    /// Until when a revocation must be remembered for every access token
    /// issued before `now` to have expired.
    fn keep_until(&self, now: crate::clock::UnixTime) -> crate::clock::UnixTime {
        now + self.config.lifetimes.access_token.max(0)
    }
}
