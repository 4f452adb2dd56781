//! Changes another process made to what this process caches (tenants with
//! their keys, clients), as a backend that can tell reports them
//! ([`Operations::watch_changes`](super::Operations::watch_changes)). The
//! provider forgets the cached entry, so the next request reads the store
//! (see [`Provider::apply_change`](crate::Provider::apply_change)).

use crate::ids::{ClientId, TenantId};
use std::any::Any;

/// One change to cached data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreChange {
    /// The tenant, or one of its signing keys, was changed or deleted.
    Tenant(TenantId),
    /// The client was changed or deleted.
    Client {
        /// Its tenant.
        tenant: TenantId,
        /// The client.
        client: ClientId,
    },
    /// Changes may have been missed (the feed was reconnected): forget
    /// everything cached.
    Unknown,
}

/// What receives changes: called on the backend's task, so it must be quick.
pub type ChangeListener = Box<dyn Fn(StoreChange) + Send + Sync>;

/// Something that lasts as long as this value: a watch of changes
/// ([`ChangeWatch`]), a job's lease ([`JobLease`]). Dropping it ends it.
pub struct Held(#[allow(dead_code)] Box<dyn Any + Send + Sync>);

impl Held {
    /// Holds `guard` (whose drop ends what it holds).
    pub fn new(guard: impl Any + Send + Sync) -> Self {
        Self(Box::new(guard))
    }
}

/// Keeps a watch running; dropping it stops the watch.
pub type ChangeWatch = Held;

/// A job's exclusive right to run across every process on one database
/// ([`Operations::job_lease`](super::Operations::job_lease)): released when
/// dropped.
pub type JobLease = Held;
