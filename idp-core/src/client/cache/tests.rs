use super::*;
use crate::ids::ClientId;
use crate::store::{GrantType, TokenEndpointAuthMethod};

fn record(id: &str, metadata: &str) -> ClientRecord {
    ClientRecord {
        auth_method: TokenEndpointAuthMethod::ClientSecretBasic,
        grant_types: vec![GrantType::ClientCredentials],
        metadata: metadata.to_owned(),
        ..ClientRecord::new(ClientId::new(id), id, 0)
    }
}

fn put(cache: &ClientCache, tenant: &TenantId, id: &str, now: UnixTime) {
    let generation = cache.generation();
    cache.insert(
        tenant,
        CachedClient::new(record(id, "{}")),
        now,
        5,
        generation,
    );
}

#[test]
fn hits_within_the_ttl_only_and_per_tenant() {
    let cache = ClientCache::new(16);
    let (a, b) = (TenantId::new("a"), TenantId::new("b"));
    put(&cache, &a, "c1", 100);
    assert!(cache.get(&a, "c1", 100, 5).is_some());
    assert!(cache.get(&a, "c1", 104, 5).is_some());
    assert!(cache.get(&a, "c1", 105, 5).is_none(), "expired at the TTL");
    assert!(cache.get(&b, "c1", 100, 5).is_none(), "another tenant's id");
    assert!(cache.get(&a, "c2", 100, 5).is_none());
    assert!(cache.get(&a, "c1", 100, 0).is_none(), "TTL 0 is no cache");
}

#[test]
fn is_bounded() {
    let cache = ClientCache::new(64);
    let t = TenantId::new("t");
    for i in 0..10_000 {
        put(&cache, &t, &format!("client-{i}"), 100);
        assert!(cache.len() <= 64, "{} entries after {i}", cache.len());
    }
    // The newest is always kept.
    assert!(cache.get(&t, "client-9999", 100, 5).is_some());
    assert!(cache.len() > 32, "eviction drops only what it must");
}

#[test]
fn full_of_expired_entries_drops_those_first() {
    let cache = ClientCache::new(4);
    let t = TenantId::new("t");
    for i in 0..3 {
        put(&cache, &t, &format!("old-{i}"), 100);
    }
    put(&cache, &t, "fresh", 200);
    put(&cache, &t, "fresher", 200);
    assert_eq!(cache.len(), 2, "the three expired entries went");
    assert!(cache.get(&t, "fresh", 200, 5).is_some());
    assert!(cache.get(&t, "fresher", 200, 5).is_some());
}

#[test]
fn capacity_zero_caches_nothing() {
    let cache = ClientCache::new(0);
    put(&cache, &TenantId::new("t"), "c", 100);
    assert!(cache.is_empty());
}

#[test]
fn removal_wins_over_a_load_that_started_before_it() {
    let cache = ClientCache::new(16);
    let t = TenantId::new("t");
    put(&cache, &t, "c", 100);
    // A request reads the store, then the client is deleted in-process,
    // then the request tries to cache what it read: it must not.
    let generation = cache.generation();
    cache.remove(&t, "c");
    cache.insert(&t, CachedClient::new(record("c", "{}")), 100, 5, generation);
    assert!(cache.get(&t, "c", 100, 5).is_none());
    // A load after the removal is cached again.
    put(&cache, &t, "c", 101);
    assert!(cache.get(&t, "c", 101, 5).is_some());
}

#[test]
fn reads_the_userinfo_alg_once() {
    let signed = CachedClient::new(record("c", r#"{"userinfo_signed_response_alg":"ES256"}"#));
    assert_eq!(signed.userinfo_alg, Some(SigningAlg::Es256));
    assert_eq!(CachedClient::new(record("c", "{}")).userinfo_alg, None);
    assert_eq!(
        CachedClient::new(record("c", "not json")).userinfo_alg,
        None
    );
}
