//! The tenants a process serves, by slug, with their keys parsed: shared by
//! the [`Provider`](crate::Provider) (which reads it on every request) and
//! the [`Admin`](crate::admin::Admin) service (which drops an entry when it
//! changes or deletes the tenant, so this process serves the change at once).
//!
//! An entry is kept [`Lifetimes::tenant_cache`](crate::Lifetimes) seconds,
//! after which it is read again: how soon a change made by another process
//! (the CLI, a key rotation elsewhere) is seen. "Not found" is not cached.

use super::TenantContext;
use crate::admin::AdminError;
use crate::clock::UnixTime;
use crate::provider::ProviderConfig;
use crate::store::Store;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// Tenants by slug, with when they were loaded.
#[derive(Default)]
pub struct TenantRegistry {
    loaded: RwLock<HashMap<String, (UnixTime, Arc<TenantContext>)>>,
    /// Bumped by every invalidation: a load that started before one must
    /// not put back what it read (it may be the state just replaced).
    generation: AtomicU64,
}

impl TenantRegistry {
    /// The tenant `slug`, from the cache if loaded less than
    /// `config.lifetimes.tenant_cache` seconds before `now`, else from `store`.
    pub async fn get<S: Store>(
        &self,
        store: &S,
        config: &ProviderConfig,
        slug: &str,
        now: UnixTime,
    ) -> Result<Option<Arc<TenantContext>>, AdminError> {
        let ttl = config.lifetimes.tenant_cache;
        if let Some((loaded, ctx)) = self.loaded.read().ok().and_then(|m| m.get(slug).cloned())
            && now - loaded < ttl
        {
            return Ok(Some(ctx));
        }
        let generation = self.generation.load(Ordering::Acquire);
        let Some(record) = store.tenant_by_slug(slug).await? else {
            return Ok(None);
        };
        let keys = store.signing_keys(&record.id).await?;
        let ctx = Arc::new(TenantContext::load(config, record, &keys)?);
        if let Ok(mut map) = self.loaded.write()
            && self.generation.load(Ordering::Acquire) == generation
        {
            map.insert(slug.to_owned(), (now, Arc::clone(&ctx)));
        }
        Ok(Some(ctx))
    }

    /// Forgets `slug`, so the next request reloads it (or finds it gone).
    pub fn forget(&self, slug: &str) {
        if let Ok(mut map) = self.loaded.write() {
            self.generation.fetch_add(1, Ordering::AcqRel);
            map.remove(slug);
        }
    }

    /// Forgets the tenant with id `id` (a change reported by the store,
    /// which knows ids, not slugs).
    pub fn forget_id(&self, id: &crate::ids::TenantId) {
        if let Ok(mut map) = self.loaded.write() {
            self.generation.fetch_add(1, Ordering::AcqRel);
            map.retain(|_, (_, ctx)| ctx.record.id != *id);
        }
    }

    /// Forgets every tenant.
    pub fn forget_all(&self) {
        if let Ok(mut map) = self.loaded.write() {
            self.generation.fetch_add(1, Ordering::AcqRel);
            map.clear();
        }
    }
}
