//! Tenants: each is its own OpenID Provider with issuer `{base_url}/t/{slug}`,
//! its own keys, clients, users and sessions.

use crate::clock::UnixTime;
use crate::crypto::envelope::{DataKey, MasterKey};
use crate::error::AdminError;
use crate::ids::TenantId;
use crate::jwks::{KeyRing, SigningAlg, SigningKey};
use crate::key_rotation::{Activation, KeyState, RotatedKeys, current_kids};
use crate::provider::{Provider, ProviderConfig};
use crate::store::{SigningKeyRecord, Store, TenantRecord};
use crate::wire;
use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};

/// Where a signing key's sealed private half lives (the AAD of its ciphertext).
fn key_location(tenant: &TenantId, kid: &str) -> String {
    format!("tenants/{tenant}/signing_keys/{kid}/private_key")
}

/// Validates a tenant slug: 1–63 characters of lowercase letters, digits and
/// dashes, starting with a letter or digit and not ending with a dash, so it is
/// safe as a URL path segment and a DNS label alike.
pub fn validate_slug(slug: &str) -> Result<(), AdminError> {
    let ok_chars = slug
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if slug.is_empty()
        || slug.len() > 63
        || !ok_chars
        || slug.starts_with('-')
        || slug.ends_with('-')
    {
        return Err(AdminError::Invalid(format!(
            "invalid tenant slug '{slug}': use 1-63 lowercase letters, digits and dashes, not starting or ending with a dash"
        )));
    }
    Ok(())
}

/// A tenant ready to serve: its record, issuer, parsed keys and the
/// documents that do not change between requests.
#[derive(Debug)]
pub struct TenantContext {
    /// The stored tenant.
    pub record: TenantRecord,
    /// `{base_url}/t/{slug}`.
    pub issuer: String,
    /// Path of the issuer, the session cookie's `Path`.
    pub path: String,
    /// Parsed signing keys with their activation times: pending, active
    /// and retired keys alike (which one signs is decided per signature).
    pub keys: KeyRing,
    discovery: Bytes,
}

impl TenantContext {
    /// Unseals and parses the tenant's keys.
    pub fn load(
        config: &ProviderConfig,
        record: TenantRecord,
        keys: &[SigningKeyRecord],
    ) -> Result<Self, AdminError> {
        let data_key = config
            .master_key
            .unwrap(&record.wrapped_data_key, record.id.as_str())
            .map_err(|e| AdminError::Internal(format!("tenant {}: {e}", record.slug)))?;
        let mut parsed = Vec::with_capacity(keys.len());
        for k in keys {
            let pkcs8 = zeroize::Zeroizing::new(
                data_key
                    .open(&k.sealed_private_key, &key_location(&record.id, &k.kid))
                    .map_err(|e| AdminError::Internal(format!("key {}: {e}", k.kid)))?,
            );
            parsed.push((
                SigningKey::from_pkcs8(k.alg, &pkcs8)
                    .map_err(|e| AdminError::Internal(e.to_string()))?,
                k.activates_at,
            ));
        }
        let issuer = format!("{}/t/{}", config.base_url, record.slug);
        let path = format!("{}/t/{}/", config.base_path(), record.slug);
        let discovery = crate::discovery::document(&issuer, record.dynamic_registration);
        Ok(Self {
            record,
            issuer,
            path,
            keys: KeyRing::scheduled(parsed),
            discovery,
        })
    }

    /// `{issuer}{suffix}`.
    pub fn endpoint(&self, suffix: &str) -> String {
        format!("{}{suffix}", self.issuer)
    }

    pub(crate) fn discovery_response(&self) -> Response<Bytes> {
        let mut res = wire::json(StatusCode::OK, self.discovery.clone());
        res.headers_mut().insert(
            http::header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=300"),
        );
        res
    }

    pub(crate) fn jwks_response(&self) -> Response<Bytes> {
        let mut res = wire::json(StatusCode::OK, self.keys.jwks_json());
        res.headers_mut().insert(
            http::header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=300"),
        );
        res
    }
}

impl<S: Store> Provider<S> {
    /// Creates a tenant with a fresh data key and one signing key per algorithm.
    pub async fn create_tenant(&self, slug: &str, name: &str) -> Result<TenantRecord, AdminError> {
        self.create_tenant_with(slug, name, false).await
    }

    /// Creates a tenant; `dynamic_registration` opens `{issuer}/register`
    /// (RFC 7591) to anyone.
    pub async fn create_tenant_with(
        &self,
        slug: &str,
        name: &str,
        dynamic_registration: bool,
    ) -> Result<TenantRecord, AdminError> {
        validate_slug(slug)?;
        // Shown on every page of the tenant: the same rule as client names.
        crate::client::display_name::check("tenant name", name).map_err(AdminError::Invalid)?;
        let now = self.clock.now();
        let id = TenantId::generate();
        let data_key = DataKey::generate();
        let wrapped = wrap(&self.config.master_key, &data_key, &id)?;
        // A new tenant's first keys sign at once: nobody can have cached
        // its JWKS yet.
        let keys = new_signing_keys(&data_key, &id, now, now)?;
        let record = TenantRecord {
            id,
            slug: slug.to_owned(),
            name: if name.is_empty() {
                slug.to_owned()
            } else {
                name.to_owned()
            },
            wrapped_data_key: wrapped,
            dynamic_registration,
            created_at: now,
        };
        self.store
            .create_tenant(&record, &keys)
            .await
            .map_err(|e| match AdminError::from(e) {
                AdminError::Conflict(_) => AdminError::Conflict(format!("tenant '{slug}'")),
                other => other,
            })?;
        Ok(record)
    }

    /// Every tenant, by slug.
    pub async fn list_tenants(&self) -> Result<Vec<TenantRecord>, AdminError> {
        Ok(self.store.list_tenants().await?)
    }
}

/// One fresh signing key per algorithm, created at `now` and signing from
/// `activates_at`, private halves sealed under the tenant's data key.
pub(crate) fn new_signing_keys(
    data_key: &DataKey,
    tenant: &TenantId,
    now: UnixTime,
    activates_at: UnixTime,
) -> Result<Vec<SigningKeyRecord>, AdminError> {
    let mut keys = Vec::new();
    for alg in SigningAlg::ALL {
        let (key, pkcs8) =
            SigningKey::generate(alg).map_err(|e| AdminError::Internal(e.to_string()))?;
        let sealed = data_key
            .seal(&pkcs8, &key_location(tenant, key.kid()))
            .map_err(|e| AdminError::Internal(e.to_string()))?;
        keys.push(SigningKeyRecord {
            kid: key.kid().to_owned(),
            alg,
            sealed_private_key: sealed,
            created_at: now,
            activates_at,
            retired_at: None,
        });
    }
    Ok(keys)
}

/// A signing key as an administrator sees it: no key material.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SigningKeyInfo {
    /// Key id, as in the JWKS and JWS headers.
    pub kid: String,
    /// Algorithm.
    pub alg: SigningAlg,
    /// State at the time of the listing.
    pub state: KeyState,
    /// Creation time.
    pub created_at: UnixTime,
    /// When it starts (or started) signing.
    pub activates_at: UnixTime,
    /// When it stops (or stopped) signing, if superseded.
    pub retired_at: Option<UnixTime>,
}

/// How many times [`Provider::rotate_signing_keys`] tries its
/// compare-and-swap before it reports that others keep rotating first.
pub const ROTATION_ATTEMPTS: usize = 3;

impl<S: Store> Provider<S> {
    /// Rotates the tenant's signing keys: one new key per algorithm,
    /// published at once and signing from the time `activation` gives (after
    /// [`crate::Lifetimes::key_publication`] by default); the keys it
    /// supersedes sign until then and stay published afterwards so tokens
    /// they signed keep verifying (removing them once those tokens have
    /// expired is `crate::key_rotation`'s). A running server publishes the
    /// new keys within `Lifetimes::tenant_cache` seconds.
    ///
    /// The replacement is the same compare-and-swap the scheduled job uses
    /// ([`KeyStore::replace_signing_keys`](crate::store::KeyStore::replace_signing_keys)):
    /// if another process rotates between this one's read and its write, it
    /// reads again and retries, [`ROTATION_ATTEMPTS`] times in all, then
    /// reports `Conflict`.
    pub async fn rotate_signing_keys(
        &self,
        slug: &str,
        activation: Activation,
    ) -> Result<RotatedKeys, AdminError> {
        let record = self
            .store
            .tenant_by_slug(slug)
            .await?
            .ok_or_else(|| AdminError::UnknownTenant(slug.to_owned()))?;
        for _ in 0..ROTATION_ATTEMPTS {
            let keys = self.store.signing_keys(&record.id).await?;
            let expected = current_kids(&keys);
            if let Some(rotated) = self
                .replace_tenant_keys(&record, &expected, activation)
                .await?
            {
                self.forget_tenant(slug);
                return Ok(rotated);
            }
        }
        // Others rotated meanwhile: this process's cached keys are stale.
        self.forget_tenant(slug);
        Err(AdminError::Conflict(format!(
            "a rotation of tenant '{slug}' by another process"
        )))
    }
}

impl<S: Store> Provider<S> {
    /// The tenant's signing keys, newest first, each with its state now.
    pub async fn signing_keys(&self, slug: &str) -> Result<Vec<SigningKeyInfo>, AdminError> {
        let record = self
            .store
            .tenant_by_slug(slug)
            .await?
            .ok_or_else(|| AdminError::UnknownTenant(slug.to_owned()))?;
        let now = self.clock.now();
        let keys = self.store.signing_keys(&record.id).await?;
        Ok(keys
            .into_iter()
            .map(|k| SigningKeyInfo {
                state: k.state(now),
                kid: k.kid,
                alg: k.alg,
                created_at: k.created_at,
                activates_at: k.activates_at,
                retired_at: k.retired_at,
            })
            .collect())
    }
}

fn wrap(master: &MasterKey, key: &DataKey, tenant: &TenantId) -> Result<Vec<u8>, AdminError> {
    master
        .wrap(key, tenant.as_str())
        .map_err(|e| AdminError::Internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lowercase_digits_and_dashes() {
        for ok in ["acme", "a", "acme-2", "0day"] {
            assert!(validate_slug(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "Acme",
            "acme_2",
            "-acme",
            "acme-",
            "a/b",
            "a.b",
            &"a".repeat(64),
        ] {
            assert!(validate_slug(bad).is_err(), "{bad}");
        }
    }
}
