//! Clients' `jwks_uri` documents, parsed and kept for a while, so that a
//! `private_key_jwt` assertion (RFC 7523 §3) or a signed request object
//! (RFC 9101 §6.2) does not cost an outbound HTTP request each time.
//!
//! A client rotates its keys by publishing a new set at the same URI (OIDC
//! Core §10.1.1): a token whose `kid` is not in the cached set makes us fetch
//! the document again, but at most once per [`REFETCH_COOLDOWN`] per URI, so
//! that tokens with made-up `kid`s cannot make us fetch in a loop.

use crate::clock::UnixTime;
use crate::jwks::PublicKeySet;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// How long a fetched document is used before being fetched again (seconds).
pub const TTL: i64 = 300;
/// Least time between two fetches of one URI caused by an unknown `kid`
/// (seconds). A rotation is seen at once unless an unknown `kid` caused a
/// fetch of the same URI less than this long ago.
pub const REFETCH_COOLDOWN: i64 = 10;
/// Most documents kept; the oldest is dropped to make room.
pub const MAX_ENTRIES: usize = 256;

struct Entry {
    keys: Arc<PublicKeySet>,
    fetched_at: UnixTime,
    /// When an unknown `kid` last caused a fetch of this URI.
    refetched_at: Option<UnixTime>,
}

/// Parsed JWK Sets by `jwks_uri`. Shared by all tenants: the document at a
/// URI is the same whoever registered it. Two requests that miss at the same
/// moment may both fetch; the second result simply replaces the first.
#[derive(Default)]
pub struct JwksCache {
    entries: Mutex<HashMap<String, Entry>>,
}

impl JwksCache {
    /// The cached set for `uri` if fetched less than [`TTL`] ago.
    pub fn fresh(&self, uri: &str, now: UnixTime) -> Option<Arc<PublicKeySet>> {
        let entries = self.entries.lock().ok()?;
        let entry = entries.get(uri)?;
        (now - entry.fetched_at < TTL && entry.fetched_at <= now).then(|| Arc::clone(&entry.keys))
    }

    /// Whether an unknown `kid` may make us fetch `uri` again now, and if so,
    /// records that it did (so the next one within the cooldown may not).
    pub fn claim_refetch(&self, uri: &str, now: UnixTime) -> bool {
        let Ok(mut entries) = self.entries.lock() else {
            return false;
        };
        match entries.get_mut(uri) {
            // Nothing cached (dropped or never fetched): a fetch is due anyway.
            None => true,
            Some(entry) => {
                let allowed = entry
                    .refetched_at
                    .is_none_or(|t| now - t >= REFETCH_COOLDOWN || t > now);
                if allowed {
                    entry.refetched_at = Some(now);
                }
                allowed
            }
        }
    }

    /// Stores the set just fetched from `uri`, keeping the refetch mark.
    pub fn put(&self, uri: &str, keys: Arc<PublicKeySet>, now: UnixTime) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if let Some(entry) = entries.get_mut(uri) {
            entry.keys = keys;
            entry.fetched_at = now;
            return;
        }
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, e| now - e.fetched_at < TTL);
        }
        if entries.len() >= MAX_ENTRIES
            && let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, e)| e.fetched_at)
                .map(|(k, _)| k.clone())
        {
            entries.remove(&oldest);
        }
        entries.insert(
            uri.to_owned(),
            Entry {
                keys,
                fetched_at: now,
                refetched_at: None,
            },
        );
    }

    /// How many documents are cached.
    pub fn len(&self) -> usize {
        self.entries.lock().map_or(0, |e| e.len())
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set() -> Arc<PublicKeySet> {
        let jwks = br#"{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"k","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#;
        Arc::new(PublicKeySet::parse(jwks).expect("a valid set"))
    }

    #[test]
    fn entries_expire_after_the_ttl() {
        let cache = JwksCache::default();
        cache.put("https://rp/jwks", set(), 1000);
        assert!(cache.fresh("https://rp/jwks", 1000 + TTL - 1).is_some());
        assert!(cache.fresh("https://rp/jwks", 1000 + TTL).is_none());
        assert!(cache.fresh("https://other/jwks", 1000).is_none());
    }

    #[test]
    fn unknown_kid_refetches_at_most_once_per_cooldown() {
        let cache = JwksCache::default();
        cache.put("u", set(), 1000);
        assert!(cache.claim_refetch("u", 1001));
        assert!(!cache.claim_refetch("u", 1002));
        assert!(!cache.claim_refetch("u", 1001 + REFETCH_COOLDOWN - 1));
        assert!(cache.claim_refetch("u", 1001 + REFETCH_COOLDOWN));
        assert!(cache.claim_refetch("not cached", 1002));
    }

    #[test]
    fn bounded_by_dropping_the_oldest() {
        let cache = JwksCache::default();
        for i in 0..MAX_ENTRIES + 10 {
            cache.put(&format!("u{i}"), set(), 1000 + i as i64);
        }
        assert_eq!(cache.len(), MAX_ENTRIES);
        assert!(cache.fresh("u0", 1100).is_none());
        assert!(
            cache
                .fresh(&format!("u{}", MAX_ENTRIES + 9), 1300)
                .is_some()
        );
    }
}
