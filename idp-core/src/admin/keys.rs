//! A tenant's signing keys: list them with their state, rotate them
//! (`crate::key_rotation` has the life of a key, ADR 0024).

use super::Admin;
use super::error::AdminError;
use crate::audit::AuditContext;
use crate::clock::UnixTime;
use crate::jwks::SigningAlg;
use crate::key_rotation::{
    Activation, KeyState, RotatedKeys, Rotation, current_kids, replace_keys,
};
use crate::store::{SigningKeyRecord, Store};
use crate::tenant::ROTATION_ATTEMPTS;

/// A signing key as an operator sees it (never its private half).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyInfo {
    /// `kid`, the RFC 7638 thumbprint.
    pub kid: String,
    /// Algorithm.
    pub alg: SigningAlg,
    /// Where it stands at the time of the listing.
    pub state: KeyState,
    /// Creation time.
    pub created_at: UnixTime,
    /// When it starts (or started) signing.
    pub activates_at: UnixTime,
    /// When it stops (or stopped) signing, if a rotation superseded it.
    pub retired_at: Option<UnixTime>,
}

impl KeyInfo {
    fn at(k: &SigningKeyRecord, now: UnixTime) -> Self {
        Self {
            kid: k.kid.clone(),
            alg: k.alg,
            state: k.state(now),
            created_at: k.created_at,
            activates_at: k.activates_at,
            retired_at: k.retired_at,
        }
    }
}

impl<S: Store> Admin<S> {
    /// The tenant's signing keys, newest first, each with its state now (a
    /// handful: one per algorithm and rotation still published, so not
    /// paginated).
    pub async fn list_keys(&self, slug: &str) -> Result<Vec<KeyInfo>, AdminError> {
        let tenant = self.get_tenant(slug).await?;
        let keys = self.store.signing_keys(&tenant.id).await?;
        let now = self.clock.now();
        Ok(keys.iter().map(|k| KeyInfo::at(k, now)).collect())
    }

    /// Rotates the tenant's signing keys: one new key per algorithm,
    /// published at once and signing from the time `activation` gives
    /// (after `Lifetimes::key_publication` unless
    /// [`Activation::Immediately`]); the keys it supersedes sign until then
    /// and stay in the JWKS afterwards, so tokens they signed keep
    /// verifying. The swap is the compare-and-swap the scheduled rotation
    /// uses
    /// ([`KeyStore::replace_signing_keys`](crate::store::KeyStore::replace_signing_keys)):
    /// if another process rotates between this one's read and its write,
    /// it reads again and retries, [`ROTATION_ATTEMPTS`] times in all, then
    /// reports `Conflict`. This process publishes the new keys at once;
    /// others within `Lifetimes::tenant_cache`.
    pub async fn rotate_keys(
        &self,
        ctx: &AuditContext,
        slug: &str,
        activation: Activation,
    ) -> Result<RotatedKeys, AdminError> {
        let tenant = self.get_tenant(slug).await?;
        for _ in 0..ROTATION_ATTEMPTS {
            let expected = current_kids(&self.store.signing_keys(&tenant.id).await?);
            let rotation = Rotation {
                config: &self.config,
                offload: &self.offload,
                now: self.clock.now(),
            };
            let rotated =
                replace_keys(&*self.store, ctx, rotation, &tenant, &expected, activation).await?;
            if let Some(rotated) = rotated {
                self.tenants.forget(slug);
                return Ok(rotated);
            }
        }
        // Others rotated meanwhile: this process's cached keys are stale.
        self.tenants.forget(slug);
        Err(AdminError::conflict(format!(
            "a rotation of tenant '{slug}' by another process"
        )))
    }
}
