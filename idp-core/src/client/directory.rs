//! The clients a process serves: the store behind a short-lived cache
//! ([`ClientCache`], ADR 0018), shared by the [`Provider`](crate::Provider)
//! and the [`Admin`](crate::admin::Admin) service, so that a client changed
//! or deleted through either is forgotten at once in this process.

use super::cache::{CachedClient, ClientCache};
use crate::clock::UnixTime;
use crate::ids::{ClientId, TenantId};
use crate::store::{Store, StoreResult};

/// The client directory; see the module documentation.
pub struct ClientDirectory {
    cache: ClientCache,
}

impl ClientDirectory {
    /// A directory caching at most `capacity` clients.
    pub fn new(capacity: usize) -> Self {
        Self {
            cache: ClientCache::new(capacity),
        }
    }

    /// The client `id` of `tenant`, from the cache if it was read less than
    /// `ttl` seconds before `now`, else from `store`. `None` (never cached)
    /// if there is no such client.
    pub async fn get<S: Store>(
        &self,
        store: &S,
        tenant: &TenantId,
        id: &str,
        now: UnixTime,
        ttl: i64,
    ) -> StoreResult<Option<CachedClient>> {
        if ttl > 0
            && let Some(hit) = self.cache.get(tenant, id, now, ttl)
        {
            return Ok(Some(hit));
        }
        let generation = self.cache.generation();
        let Some(record) = store.client(tenant, &ClientId::new(id)).await? else {
            return Ok(None);
        };
        let client = CachedClient::new(record);
        self.cache
            .insert(tenant, client.clone(), now, ttl, generation);
        Ok(Some(client))
    }

    /// Forgets a client after a write to it in this process.
    pub fn forget(&self, tenant: &TenantId, id: &ClientId) {
        self.cache.remove(tenant, id.as_str());
    }

    /// How many clients are cached.
    pub fn cached(&self) -> usize {
        self.cache.len()
    }
}
