//! The clients a process serves: the store behind a short-lived cache
//! ([`ClientCache`], ADR 0018), shared by the [`Provider`](crate::Provider)
//! and the [`Admin`](crate::admin::Admin) service, so that a client changed
//! or deleted through either is forgotten at once in this process.
//!
//! It also keeps each tenant's web origins (the origins some client of the
//! tenant registered, [`crate::cors`]), which answer CORS preflights. They
//! are read from the store at the first preflight with an `Origin` and kept
//! for the same time as a client record ([`crate::Lifetimes::client_cache`]):
//! a client registered, changed or deleted through this process is seen at
//! once; one changed by another process (the CLI, another instance) within
//! that time. A request without an `Origin` never reads them.

use super::cache::{CachedClient, ClientCache};
use crate::clock::UnixTime;
use crate::cors::WebOrigins;
use crate::ids::{ClientId, TenantId};
use crate::store::{Store, StoreResult};
use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// The client directory; see the module documentation.
pub struct ClientDirectory {
    cache: ClientCache,
    origins: TenantOrigins,
}

impl ClientDirectory {
    /// A directory caching at most `capacity` clients (and the web origins
    /// of at most `capacity` tenants).
    pub fn new(capacity: usize) -> Self {
        Self {
            cache: ClientCache::new(capacity),
            origins: TenantOrigins::new(capacity),
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

    /// The web origins some client of `tenant` registered, from the cache
    /// if read less than `ttl` seconds before `now`, else from `store`.
    pub async fn tenant_origins<S: Store>(
        &self,
        store: &S,
        tenant: &TenantId,
        now: UnixTime,
        ttl: i64,
    ) -> StoreResult<WebOrigins> {
        if ttl > 0
            && let Some(hit) = self.origins.get(tenant, now, ttl)
        {
            return Ok(hit);
        }
        let generation = self.origins.generation.load(Ordering::Acquire);
        let sources = store.web_origin_sources(tenant).await?;
        let origins = WebOrigins::from_uris(sources.iter().map(String::as_str));
        if ttl > 0 {
            self.origins
                .insert(tenant, origins.clone(), now, ttl, generation);
        }
        Ok(origins)
    }

    /// Forgets a client after a write to it in this process (and its
    /// tenant's web origins, which it may have changed).
    pub fn forget(&self, tenant: &TenantId, id: &ClientId) {
        self.cache.remove(tenant, id.as_str());
        self.origins.remove(tenant);
    }

    /// Forgets a tenant's web origins after a client was added to it in
    /// this process.
    pub fn forget_origins(&self, tenant: &TenantId) {
        self.origins.remove(tenant);
    }

    /// Forgets every client and web origin of `tenant` (`None`: of every
    /// tenant): a change reported by the store (a deleted tenant, missed
    /// notifications).
    pub fn forget_all(&self, tenant: Option<&TenantId>) {
        self.cache.remove_all(tenant);
        match tenant {
            Some(t) => self.origins.remove(t),
            None => self.origins.clear(),
        }
    }

    /// How many clients are cached.
    pub fn cached(&self) -> usize {
        self.cache.len()
    }
}

/// Web origins per tenant, each with the time it was read; at most
/// `capacity` tenants (expired entries go first when full, then all).
struct TenantOrigins {
    entries: RwLock<HashMap<TenantId, (UnixTime, WebOrigins)>>,
    /// Bumped by every invalidation: a read that started before one must
    /// not put back what it read.
    generation: AtomicU64,
    capacity: usize,
}

impl TenantOrigins {
    fn new(capacity: usize) -> Self {
        Self {
            entries: RwLock::new(HashMap::new()),
            generation: AtomicU64::new(0),
            capacity,
        }
    }

    fn get(&self, tenant: &TenantId, now: UnixTime, ttl: i64) -> Option<WebOrigins> {
        let map = self.entries.read().ok()?;
        let (loaded, origins) = map.get(tenant)?;
        (now - *loaded < ttl).then(|| origins.clone())
    }

    fn insert(
        &self,
        tenant: &TenantId,
        origins: WebOrigins,
        now: UnixTime,
        ttl: i64,
        generation: u64,
    ) {
        if self.capacity == 0 {
            return;
        }
        let Ok(mut map) = self.entries.write() else {
            return;
        };
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        if map.len() >= self.capacity && !map.contains_key(tenant) {
            map.retain(|_, (loaded, _)| now - *loaded < ttl);
            if map.len() >= self.capacity {
                map.clear();
            }
        }
        map.insert(tenant.clone(), (now, origins));
    }

    fn remove(&self, tenant: &TenantId) {
        if let Ok(mut map) = self.entries.write() {
            self.generation.fetch_add(1, Ordering::AcqRel);
            map.remove(tenant);
        }
    }

    fn clear(&self) {
        if let Ok(mut map) = self.entries.write() {
            self.generation.fetch_add(1, Ordering::AcqRel);
            map.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_origins_expire_and_are_forgotten() {
        let cache = TenantOrigins::new(2);
        let (a, b, c) = (TenantId::new("a"), TenantId::new("b"), TenantId::new("c"));
        let set = WebOrigins::from_uris(["https://spa.example/cb"]);
        let g = cache.generation.load(Ordering::Acquire);
        cache.insert(&a, set.clone(), 100, 5, g);
        assert_eq!(cache.get(&a, 104, 5), Some(set.clone()));
        assert_eq!(cache.get(&a, 105, 5), None, "expired");
        assert_eq!(cache.get(&b, 100, 5), None, "per tenant");
        // A read that raced an invalidation does not put back what it read.
        let stale = cache.generation.load(Ordering::Acquire);
        cache.remove(&a);
        cache.insert(&a, set.clone(), 100, 5, stale);
        assert_eq!(cache.get(&a, 100, 5), None);
        // Bounded.
        let g = cache.generation.load(Ordering::Acquire);
        for t in [&a, &b, &c] {
            cache.insert(t, set.clone(), 100, 5, g);
        }
        assert!(cache.entries.read().map(|m| m.len()).unwrap_or(99) <= 2);
        assert_eq!(cache.get(&c, 100, 5), Some(set));
    }
}
