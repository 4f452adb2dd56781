//! Signing-key rotation, on a schedule or on demand, and removal of retired
//! keys once nothing they signed can still be verified.
//!
//! A key goes through three states ([`KeyState`]): *pending* (published in
//! the JWKS, not signing yet), *active* (the newest key of its algorithm
//! whose activation time has passed: it signs) and *retired* (superseded,
//! still published until every token it signed has expired). A rotation
//! stores one new key per algorithm that activates
//! [`Lifetimes::key_publication`] seconds later, and retires the keys it
//! supersedes at that same instant, so the old keys sign until the new ones
//! take over and verifiers (other processes, relying parties caching the
//! JWKS) have learnt the new `kid`s by then (design.md: "a new key is
//! published before it signs, and JWKS keeps publishing retired keys until
//! every token they signed has expired"; ADR 0024). A tenant's first keys,
//! and an emergency rotation ([`Activation::Immediately`]), activate at once.
//!
//! Several processes may rotate at the same instant: the replacement is a
//! compare-and-swap on the set of current kids in one store transaction
//! ([`KeyStore::replace_signing_keys`](crate::store::KeyStore::replace_signing_keys),
//! the same one `Admin::rotate_keys` uses), so exactly one new set is stored
//! per due tenant; the losers' freshly generated keys are dropped unused.

use crate::admin::AdminError;
use crate::audit::{AuditAction, AuditContext, Changes, Target};
use crate::channel_logout::LOGOUT_TOKEN_LIFETIME;
use crate::clock::UnixTime;
use crate::provider::{Lifetimes, Offload, Provider, ProviderConfig};
use crate::store::{AdminChange, Applied, SigningKeyRecord, Store, TenantRecord};

/// How long a retired key must stay published, in seconds, counted from
/// its retirement: a process that had not yet loaded its successor (when
/// the publication period is shorter than `tenant_cache`) keeps signing with
/// it for up to `tenant_cache` seconds, and what it signed then lives as
/// long as the longest-lived signed token (access token, ID token, logout
/// token; signed userinfo responses carry no expiry and are checked on
/// receipt), plus the clock-skew margin a verifier may allow.
pub fn retired_key_retention(lifetimes: &Lifetimes, clock_skew: i64) -> i64 {
    let longest = lifetimes
        .access_token
        .max(lifetimes.id_token)
        .max(LOGOUT_TOKEN_LIFETIME);
    lifetimes.tenant_cache.max(0) + longest.max(0) + clock_skew.max(0)
}

/// Where a signing key is in its life at a given instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyState {
    /// Published, not signing yet: it activates later.
    Pending,
    /// Signing (the newest active key of its algorithm), or about to be
    /// superseded by a pending key.
    Active,
    /// Superseded; published until the tokens it signed have expired.
    Retired,
}

impl KeyState {
    /// A stable name for the CLI, logs and JSON.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Active => "active",
            Self::Retired => "retired",
        }
    }
}

impl SigningKeyRecord {
    /// The key's state at `now`. A key superseded before it activated (an
    /// immediate rotation during a publication period) is retired.
    pub fn state(&self, now: UnixTime) -> KeyState {
        match self.retired_at {
            Some(retired) if retired <= now => KeyState::Retired,
            _ if self.activates_at > now => KeyState::Pending,
            _ => KeyState::Active,
        }
    }
}

/// When a rotation's new keys start signing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    /// After [`Lifetimes::key_publication`]: published first, so no verifier
    /// that caches the JWKS for that long meets an unknown `kid`.
    AfterPublication,
    /// At once, for a compromised key: verifiers that cached the JWKS
    /// reject the new keys' tokens until they fetch it again, and other
    /// processes keep signing with the old key until they reload the
    /// tenant (`tenant_cache`).
    Immediately,
}

impl Activation {
    /// The activation time of keys rotated at `now`.
    pub fn time(self, lifetimes: &Lifetimes, now: UnixTime) -> UnixTime {
        match self {
            Self::AfterPublication => now + lifetimes.key_publication.max(0),
            Self::Immediately => now,
        }
    }
}

/// The kids no rotation has superseded yet (pending or active): what a
/// compare-and-swap rotation expects to find.
pub fn current_kids(keys: &[SigningKeyRecord]) -> Vec<String> {
    keys.iter()
        .filter(|k| k.retired_at.is_none())
        .map(|k| k.kid.clone())
        .collect()
}

/// Whether a tenant whose keys are `keys` is due for rotation at `now` with
/// rotation age `rotate_after` seconds: its current keys have been active
/// for at least that long (or it has none at all). Keys still pending are
/// never due, so a rotation age shorter than the publication period cannot
/// keep replacing keys before they ever sign.
pub fn rotation_due(keys: &[SigningKeyRecord], now: UnixTime, rotate_after: i64) -> bool {
    keys.iter()
        .filter(|k| k.retired_at.is_none())
        .map(|k| k.activates_at)
        .min()
        .is_none_or(|oldest| now - oldest >= rotate_after)
}

/// New keys stored by a rotation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RotatedKeys {
    /// Their key ids, one per algorithm.
    pub kids: Vec<String>,
    /// When they start signing (and the keys they supersede stop).
    pub activates_at: UnixTime,
}

/// What one run of [`Provider::rotate_due_keys`] did.
#[derive(Clone, Debug, Default)]
pub struct KeyRotationReport {
    /// Tenants visited.
    pub tenants: usize,
    /// The tenants whose keys this run replaced: slug and new keys.
    pub rotated: Vec<(String, RotatedKeys)>,
    /// Tenants that were due but another process rotated them first.
    pub lost_race: usize,
    /// Retired keys deleted (no longer published).
    pub removed: u64,
    /// Tenants that failed, with why (the others were still handled).
    pub failed: Vec<(String, String)>,
}

impl<S: Store> Provider<S> {
    /// For every tenant: stores new keys if `rotate_after` (seconds) is
    /// given and its current keys have been active that long, then deletes
    /// its keys retired longer ago than [`retired_key_retention`]. New keys
    /// activate after [`Lifetimes::key_publication`]. A tenant whose keys
    /// changed is dropped from this process's cache, so it publishes the new
    /// keys at once; other processes follow within `Lifetimes::tenant_cache`.
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
                .maintain_tenant_keys(&tenant, rotate_after, retention)
                .await
            {
                Ok((rotated, removed)) => {
                    let changed = matches!(rotated, Some(Some(_))) || removed > 0;
                    match rotated {
                        Some(Some(keys)) => report.rotated.push((slug.clone(), keys)),
                        Some(None) => report.lost_race += 1,
                        None => {}
                    }
                    report.removed += removed;
                    if changed {
                        self.forget_tenant(&slug);
                    }
                }
                Err(e) => report.failed.push((slug, e.to_string())),
            }
        }
        Ok(report)
    }

    /// One tenant: `(Some(the new keys, or None if another process rotated
    /// first) if it was due, keys removed)`.
    async fn maintain_tenant_keys(
        &self,
        tenant: &TenantRecord,
        rotate_after: Option<i64>,
        retention: i64,
    ) -> Result<(Option<Option<RotatedKeys>>, u64), AdminError> {
        let now = self.clock.now();
        let keys = self.store.signing_keys(&tenant.id).await?;
        let mut rotated = None;
        if let Some(age) = rotate_after
            && rotation_due(&keys, now, age)
        {
            let expected = current_kids(&keys);
            rotated = Some(
                self.replace_tenant_keys(tenant, &expected, Activation::AfterPublication)
                    .await?,
            );
        }
        let removed = self
            .store
            .delete_retired_signing_keys(&tenant.id, now - retention)
            .await?;
        Ok((rotated, removed))
    }

    /// [`replace_keys`] with this provider's store, settings and clock.
    pub(crate) async fn replace_tenant_keys(
        &self,
        tenant: &TenantRecord,
        expected: &[String],
        activation: Activation,
    ) -> Result<Option<RotatedKeys>, AdminError> {
        let rotation = Rotation {
            config: &self.config,
            offload: &self.offload,
            now: self.clock.now(),
        };
        let ctx = AuditContext::system("key_rotation");
        replace_keys(&*self.store, &ctx, rotation, tenant, expected, activation).await
    }
}

/// What a rotation needs besides the store: the provider's settings, its
/// offload hook (RSA key generation takes tens of milliseconds) and the
/// time.
#[derive(Clone, Copy)]
pub(crate) struct Rotation<'a> {
    pub config: &'a ProviderConfig,
    pub offload: &'a Offload,
    pub now: UnixTime,
}

/// Generates one key per algorithm for `tenant`, activating as `activation`
/// says, and stores them if the tenant's current kids are still `expected`
/// (the compare-and-swap): `None` if another process rotated first. The
/// keys they supersede retire when they activate. Used by the scheduled job
/// and by `Admin::rotate_keys`.
pub(crate) async fn replace_keys<S: Store>(
    store: &S,
    ctx: &AuditContext,
    rotation: Rotation<'_>,
    tenant: &TenantRecord,
    expected: &[String],
    activation: Activation,
) -> Result<Option<RotatedKeys>, AdminError> {
    let Rotation {
        config,
        offload,
        now,
    } = rotation;
    let activates_at = activation.time(&config.lifetimes, now);
    let data_key = config
        .master_key
        .unwrap(&tenant.wrapped_data_key, tenant.id.as_str())
        .map_err(|e| AdminError::Internal(format!("tenant {}: {e}", tenant.slug)))?;
    let id = tenant.id.clone();
    let fresh = crate::provider::run_offloaded(offload, move || {
        crate::tenant::new_signing_keys(&data_key, &id, now, activates_at)
    })
    .await
    .ok_or_else(|| AdminError::Internal("offloaded job did not complete".into()))??;
    let kids: Vec<&str> = fresh.iter().map(|k| k.kid.as_str()).collect();
    let event = ctx.event_in(
        AuditAction::KeyRotate,
        Some((&tenant.slug, &tenant.id)),
        Target::new("tenant", &tenant.slug),
        Changes::none()
            .set("kids", &kids)
            .time("activates_at", Some(activates_at)),
        now,
    );
    let change = AdminChange::ReplaceSigningKeys {
        tenant: &tenant.id,
        expected_current: expected,
        keys: &fresh,
        retire_at: activates_at,
    };
    let won = store.apply_audited(change, &event).await? != Applied::Missing;
    Ok(won.then(|| RotatedKeys {
        kids: fresh.into_iter().map(|k| k.kid).collect(),
        activates_at,
    }))
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
            activates_at: created_at,
            retired_at,
        }
    }

    #[test]
    fn a_key_is_pending_then_active_then_retired() {
        let mut k = key("k", 100, None);
        k.activates_at = 200;
        assert_eq!(k.state(150), KeyState::Pending);
        assert_eq!(k.state(200), KeyState::Active);
        // Superseded by keys activating at 300: active until then.
        k.retired_at = Some(300);
        assert_eq!(k.state(299), KeyState::Active);
        assert_eq!(k.state(300), KeyState::Retired);
        // Superseded at 150, before it ever activated.
        k.retired_at = Some(150);
        assert_eq!(k.state(120), KeyState::Pending);
        assert_eq!(k.state(150), KeyState::Retired);
        assert_eq!(k.state(250), KeyState::Retired);
    }

    #[test]
    fn scheduled_keys_activate_after_the_publication_period() {
        let l = Lifetimes {
            key_publication: 600,
            ..Lifetimes::default()
        };
        assert_eq!(Activation::AfterPublication.time(&l, 1000), 1600);
        assert_eq!(Activation::Immediately.time(&l, 1000), 1000);
        assert_eq!(
            Activation::AfterPublication.time(&Lifetimes::default(), 0),
            crate::DEFAULT_KEY_PUBLICATION
        );
    }

    #[test]
    fn pending_keys_are_never_due() {
        let mut pending = key("p", 100, None);
        pending.activates_at = 1000;
        let old = key("o", 10, Some(1000));
        // Created long ago by the clock, but it has not signed yet.
        assert!(!rotation_due(&[pending.clone(), old.clone()], 900, 50));
        assert!(!rotation_due(&[pending.clone(), old.clone()], 1049, 50));
        assert!(rotation_due(&[pending, old], 1050, 50));
        assert_eq!(
            current_kids(&[key("a", 1, None), key("b", 1, Some(5))]),
            ["a"]
        );
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
