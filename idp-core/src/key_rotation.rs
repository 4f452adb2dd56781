//! Signing-key rotation on a schedule, and removal of retired keys once
//! nothing they signed can still be verified.
//!
//! Each tenant has one active key per algorithm. When the oldest active key
//! is older than the rotation age, a new set replaces them; the old ones are
//! retired but stay in the JWKS (design.md: "JWKS keeps publishing retired
//! keys until every token they signed has expired"). A retired key is deleted
//! once it was retired longer ago than [`retired_key_retention`].
//!
//! Several processes may run this at the same instant: the replacement is a
//! compare-and-swap on the set of active kids in one store transaction
//! ([`KeyStore::replace_signing_keys`](crate::store::KeyStore::replace_signing_keys),
//! the same one `Admin::rotate_keys` uses), so exactly one new set is stored
//! per due tenant; the losers' freshly generated keys are dropped unused.

use crate::admin::AdminError;
use crate::channel_logout::LOGOUT_TOKEN_LIFETIME;
use crate::clock::UnixTime;
use crate::provider::{Lifetimes, Provider};
use crate::store::{SigningKeyRecord, Store, TenantRecord};

/// How long a retired key must stay published, in seconds: a process that
/// cached the tenant before the rotation keeps signing with the old key for
/// up to `tenant_cache` seconds, and what it signed then lives as long as
/// the longest-lived signed token (access token, ID token, logout token;
/// signed userinfo responses carry no expiry and are checked on receipt),
/// plus the clock-skew margin a verifier may allow.
pub fn retired_key_retention(lifetimes: &Lifetimes, clock_skew: i64) -> i64 {
    let longest = lifetimes
        .access_token
        .max(lifetimes.id_token)
        .max(LOGOUT_TOKEN_LIFETIME);
    lifetimes.tenant_cache.max(0) + longest.max(0) + clock_skew.max(0)
}

/// Whether a tenant whose keys are `keys` is due for rotation at `now` with
/// rotation age `rotate_after` seconds: its oldest active key is at least
/// that old (or it has no active key at all).
pub fn rotation_due(keys: &[SigningKeyRecord], now: UnixTime, rotate_after: i64) -> bool {
    keys.iter()
        .filter(|k| k.retired_at.is_none())
        .map(|k| k.created_at)
        .min()
        .is_none_or(|oldest| now - oldest >= rotate_after)
}

/// What one run of [`Provider::rotate_due_keys`] did.
#[derive(Clone, Debug, Default)]
pub struct KeyRotationReport {
    /// Tenants visited.
    pub tenants: usize,
    /// Slugs of the tenants whose keys this run replaced.
    pub rotated: Vec<String>,
    /// Tenants that were due but another process rotated them first.
    pub lost_race: usize,
    /// Retired keys deleted (no longer published).
    pub removed: u64,
    /// Tenants that failed, with why (the others were still handled).
    pub failed: Vec<(String, String)>,
}

impl<S: Store> Provider<S> {
    /// For every tenant: replaces its keys if `rotate_after` (seconds) is
    /// given and its oldest active key is that old, then deletes its keys
    /// retired longer ago than [`retired_key_retention`]. A tenant whose keys
    /// changed is dropped from this process's cache, so it signs with the new
    /// key at once; other processes follow within `Lifetimes::tenant_cache`.
    pub async fn rotate_due_keys(
        &self,
        rotate_after: Option<i64>,
        clock_skew: i64,
    ) -> Result<KeyRotationReport, AdminError> {
        let tenants = self.store.list_tenants().await?;
        let mut report = KeyRotationReport {
            tenants: tenants.len(),
            ..KeyRotationReport::default()
        };
        let retention = retired_key_retention(&self.config.lifetimes, clock_skew);
        for tenant in tenants {
            let slug = tenant.slug.clone();
            match self
                .maintain_tenant_keys(tenant, rotate_after, retention)
                .await
            {
                Ok((rotated, removed)) => {
                    match rotated {
                        Some(true) => report.rotated.push(slug.clone()),
                        Some(false) => report.lost_race += 1,
                        None => {}
                    }
                    report.removed += removed;
                    if rotated == Some(true) || removed > 0 {
                        self.forget_tenant(&slug);
                    }
                }
                Err(e) => report.failed.push((slug, e.to_string())),
            }
        }
        Ok(report)
    }

    /// One tenant: `(Some(won) if it was due, keys removed)`.
    async fn maintain_tenant_keys(
        &self,
        tenant: TenantRecord,
        rotate_after: Option<i64>,
        retention: i64,
    ) -> Result<(Option<bool>, u64), AdminError> {
        let now = self.clock.now();
        let keys = self.store.signing_keys(&tenant.id).await?;
        let mut rotated = None;
        if let Some(age) = rotate_after
            && rotation_due(&keys, now, age)
        {
            let active = crate::tenant::active_kids(&keys);
            let data_key = self
                .config
                .master_key
                .unwrap(&tenant.wrapped_data_key, tenant.id.as_str())
                .map_err(|e| AdminError::Internal(format!("tenant {}: {e}", tenant.slug)))?;
            // RSA key generation takes tens of milliseconds: off the executor.
            let id = tenant.id.clone();
            let fresh = self
                .offload(move || crate::tenant::new_signing_keys(&data_key, &id, now))
                .await
                .map_err(|e| AdminError::Internal(e.description.into_owned()))??;
            let won = self
                .store
                .replace_signing_keys(&tenant.id, &active, &fresh, now)
                .await?;
            rotated = Some(won);
        }
        let removed = self
            .store
            .delete_retired_signing_keys(&tenant.id, now - retention)
            .await?;
        Ok((rotated, removed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwks::SigningAlg;

    fn key(kid: &str, created_at: UnixTime, retired_at: Option<UnixTime>) -> SigningKeyRecord {
        SigningKeyRecord {
            kid: kid.to_owned(),
            alg: SigningAlg::Rs256,
            sealed_private_key: Vec::new(),
            created_at,
            retired_at,
        }
    }

    #[test]
    fn due_when_the_oldest_active_key_is_old_enough() {
        let keys = [
            key("a", 100, None),
            key("b", 150, None),
            key("c", 10, Some(100)),
        ];
        assert!(!rotation_due(&keys, 199, 100));
        assert!(rotation_due(&keys, 200, 100));
        // Retired keys do not count; no active key at all is due.
        assert!(rotation_due(&[key("c", 10, Some(100))], 20, 100));
        assert!(rotation_due(&[], 0, 100));
    }

    #[test]
    fn retention_covers_the_cache_and_the_longest_token() {
        let l = Lifetimes::default();
        // 60 s cache + 3600 s tokens + 60 s skew.
        assert_eq!(retired_key_retention(&l, 60), 3720);
        let short = Lifetimes {
            access_token: 5,
            id_token: 5,
            tenant_cache: 1,
            ..Lifetimes::default()
        };
        // Logout tokens (120 s) are then the longest-lived.
        assert_eq!(retired_key_retention(&short, 0), 1 + LOGOUT_TOKEN_LIFETIME);
    }
}
