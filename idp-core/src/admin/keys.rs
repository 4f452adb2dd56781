//! A tenant's signing keys: list them with their state, rotate them.

use super::Admin;
use super::error::AdminError;
use crate::clock::UnixTime;
use crate::jwks::SigningAlg;
use crate::store::{SigningKeyRecord, Store};
use crate::tenant::{ROTATION_ATTEMPTS, active_kids, new_signing_keys};

/// Where a signing key stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyState {
    /// Signs new tokens (the newest key of its algorithm).
    Active,
    /// No longer signs, still published in the JWKS until what it signed
    /// has expired (`crate::key_rotation::retired_key_retention`).
    Retired,
}

impl KeyState {
    /// `"active"` or `"retired"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Retired => "retired",
        }
    }
}

/// A signing key as an operator sees it (never its private half).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyInfo {
    /// `kid`, the RFC 7638 thumbprint.
    pub kid: String,
    /// Algorithm.
    pub alg: SigningAlg,
    /// Where it stands.
    pub state: KeyState,
    /// Creation time.
    pub created_at: UnixTime,
    /// When it stopped signing.
    pub retired_at: Option<UnixTime>,
}

impl From<&SigningKeyRecord> for KeyInfo {
    fn from(k: &SigningKeyRecord) -> Self {
        Self {
            kid: k.kid.clone(),
            alg: k.alg,
            state: if k.retired_at.is_some() {
                KeyState::Retired
            } else {
                KeyState::Active
            },
            created_at: k.created_at,
            retired_at: k.retired_at,
        }
    }
}

impl<S: Store> Admin<S> {
    /// The tenant's signing keys, newest first (a handful: one per
    /// algorithm and rotation still published, so not paginated).
    pub async fn list_keys(&self, slug: &str) -> Result<Vec<KeyInfo>, AdminError> {
        let tenant = self.get_tenant(slug).await?;
        let keys = self.store.signing_keys(&tenant.id).await?;
        Ok(keys.iter().map(KeyInfo::from).collect())
    }
}

impl<S: Store> Admin<S> {
    /// Rotates the tenant's signing keys: a new key per algorithm signs
    /// from now on; the old ones are retired but stay in the JWKS, so
    /// tokens they signed keep verifying. The swap is the compare-and-swap
    /// the scheduled rotation uses
    /// ([`KeyStore::replace_signing_keys`](crate::store::KeyStore::replace_signing_keys)):
    /// if another process rotates between this one's read and its write,
    /// it reads again and retries, [`ROTATION_ATTEMPTS`] times in all, then
    /// reports `Conflict`. This process signs with the new keys at once;
    /// others within `Lifetimes::tenant_cache`. Returns the new keys.
    pub async fn rotate_keys(&self, slug: &str) -> Result<Vec<KeyInfo>, AdminError> {
        let tenant = self.get_tenant(slug).await?;
        let data_key = self
            .config
            .master_key
            .unwrap(&tenant.wrapped_data_key, tenant.id.as_str())
            .map_err(|e| AdminError::Internal(format!("tenant {slug}: {e}")))?;
        let now = self.clock.now();
        let id = tenant.id.clone();
        // RSA key generation takes tens of milliseconds: off the executor.
        let fresh = self
            .offload(move || new_signing_keys(&data_key, &id, now))
            .await??;
        for _ in 0..ROTATION_ATTEMPTS {
            let active = active_kids(&self.store.signing_keys(&tenant.id).await?);
            if self
                .store
                .replace_signing_keys(&tenant.id, &active, &fresh, now)
                .await?
            {
                self.tenants.forget(slug);
                return Ok(fresh.iter().map(KeyInfo::from).collect());
            }
        }
        // Others rotated meanwhile: this process's cached keys are stale.
        self.tenants.forget(slug);
        Err(AdminError::conflict(format!(
            "a rotation of tenant '{slug}' by another process"
        )))
    }
}
