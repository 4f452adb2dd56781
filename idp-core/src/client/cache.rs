//! A short-lived, bounded cache of client records, so that the token,
//! introspection, revocation and userinfo endpoints do not pay a store
//! round trip per request for a record that almost never changes
//! (ADR 0018).
//!
//! - Keyed by (tenant id, client id), each entry kept at most
//!   [`crate::Lifetimes::client_cache`] seconds: a client deleted or changed
//!   by another process (the CLI) takes effect within that time.
//! - Writes in this process (RFC 7592, the admin service) invalidate at
//!   once, through [`super::directory::ClientDirectory`].
//! - "Not found" is never cached, so random `client_id`s cannot fill it,
//!   and a client created by another process works at once.
//! - At most `capacity` entries; when full, expired entries go first, then
//!   arbitrary ones (the map's order is keyed by a random hash seed).
//! - A hit is a read lock, one hash lookup and an `Arc` clone: no allocation.
//!   The map is keyed by a keyed 64-bit hash of the pair, so a lookup need
//!   not build an owned key; an entry is only used if its tenant and client
//!   id match, so a hash collision is a miss, never a wrong client.
//! - Nothing beyond the record and what is derived from it (its signed
//!   UserInfo algorithm, its web origins) is held: its secret is a hash
//!   already.

use crate::clock::UnixTime;
use crate::cors::WebOrigins;
use crate::ids::TenantId;
use crate::jwks::SigningAlg;
use crate::store::ClientRecord;
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// How many clients a process keeps at most. A few hundred bytes to a few
/// KiB each (redirect URIs, an inline JWK Set): at most a few MiB.
pub const DEFAULT_CAPACITY: usize = 4096;

/// A client record with what the hot paths derive from it, computed once
/// per load rather than per request.
#[derive(Clone, Debug)]
pub struct CachedClient {
    /// The record as stored.
    pub record: Arc<ClientRecord>,
    /// Its `userinfo_signed_response_alg` (OIDC Registration §2), read from
    /// the registration metadata; `None` answers UserInfo as plain JSON.
    pub userinfo_alg: Option<SigningAlg>,
    /// Its web origins (redirect URIs' and `allowed_origins`), for CORS
    /// ([`crate::cors`]): parsed here once, not per request.
    pub web_origins: WebOrigins,
}

impl CachedClient {
    /// Wraps a record read from the store.
    pub fn new(record: ClientRecord) -> Self {
        let userinfo_alg = serde_json::from_str::<serde_json::Value>(&record.metadata)
            .ok()
            .and_then(|m| {
                m["userinfo_signed_response_alg"]
                    .as_str()
                    .and_then(SigningAlg::parse)
            });
        let web_origins = WebOrigins::of_client(&record.redirect_uris, &record.allowed_origins);
        Self {
            record: Arc::new(record),
            userinfo_alg,
            web_origins,
        }
    }
}

/// The map's keys are already hashes: pass them through.
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used (the keys are u64); fold anything else.
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

struct Entry {
    tenant: TenantId,
    loaded: UnixTime,
    client: CachedClient,
}

/// The cache itself; see the module documentation.
pub struct ClientCache {
    entries: RwLock<HashMap<u64, Entry, BuildHasherDefault<Prehashed>>>,
    /// Random per process, so nobody can choose ids that collide.
    seed: RandomState,
    /// Bumped by every invalidation: a load that started before one must
    /// not put back what it read (it may be the record just deleted).
    generation: AtomicU64,
    capacity: usize,
}

impl ClientCache {
    /// An empty cache holding at most `capacity` clients (0: none).
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: RwLock::new(HashMap::default()),
            seed: RandomState::new(),
            generation: AtomicU64::new(0),
            capacity,
        }
    }

    fn key(&self, tenant: &TenantId, client_id: &str) -> u64 {
        self.seed.hash_one((tenant.as_str(), client_id))
    }

    /// The client, if cached less than `ttl` seconds before `now`.
    pub fn get(
        &self,
        tenant: &TenantId,
        client_id: &str,
        now: UnixTime,
        ttl: i64,
    ) -> Option<CachedClient> {
        let key = self.key(tenant, client_id);
        let map = self.entries.read().ok()?;
        let entry = map.get(&key)?;
        (entry.tenant == *tenant
            && entry.client.record.id.as_str() == client_id
            && now - entry.loaded < ttl)
            .then(|| entry.client.clone())
    }

    /// The current generation; pass it to [`ClientCache::insert`] after
    /// reading the store.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Caches `client`, read from the store at `now`, unless an invalidation
    /// happened since `generation` was taken. Makes room when full.
    pub fn insert(
        &self,
        tenant: &TenantId,
        client: CachedClient,
        now: UnixTime,
        ttl: i64,
        generation: u64,
    ) {
        if self.capacity == 0 || ttl <= 0 {
            return;
        }
        let key = self.key(tenant, client.record.id.as_str());
        let Ok(mut map) = self.entries.write() else {
            return;
        };
        // Under the write lock, so no invalidation can slip in between.
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        if map.len() >= self.capacity && !map.contains_key(&key) {
            map.retain(|_, e| now - e.loaded < ttl);
            if map.len() >= self.capacity {
                // Still full of live entries: drop an eighth, arbitrarily,
                // so the next misses do not each scan the map again.
                let excess = map.len() + 1 - self.capacity + self.capacity / 8;
                let victims: Vec<u64> = map.keys().take(excess).copied().collect();
                for k in victims {
                    map.remove(&k);
                }
            }
        }
        map.insert(
            key,
            Entry {
                tenant: tenant.clone(),
                loaded: now,
                client,
            },
        );
    }

    /// Forgets a client at once (it was deleted or changed in this process).
    pub fn remove(&self, tenant: &TenantId, client_id: &str) {
        let key = self.key(tenant, client_id);
        if let Ok(mut map) = self.entries.write() {
            self.generation.fetch_add(1, Ordering::AcqRel);
            map.remove(&key);
        }
    }

    /// Forgets every client of `tenant` (`None`: of every tenant).
    pub fn remove_all(&self, tenant: Option<&TenantId>) {
        if let Ok(mut map) = self.entries.write() {
            self.generation.fetch_add(1, Ordering::AcqRel);
            match tenant {
                Some(t) => map.retain(|_, e| e.tenant != *t),
                None => map.clear(),
            }
        }
    }

    /// How many clients are cached.
    pub fn len(&self) -> usize {
        self.entries.read().map_or(0, |m| m.len())
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests;
