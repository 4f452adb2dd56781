//! Tenants: each is its own OpenID Provider with issuer `{base_url}/t/{slug}`,
//! its own keys, clients, users and sessions.

pub mod registry;
pub mod state;

use crate::admin::AdminError;
use crate::clock::UnixTime;
use crate::crypto::envelope::DataKey;
use crate::ids::TenantId;
use crate::jwks::{KeyRing, SigningAlg, SigningKey};
use crate::provider::ProviderConfig;
use crate::store::{SigningKeyRecord, TenantRecord};
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
        return Err(AdminError::invalid(
            "slug",
            format!(
                "invalid tenant slug '{slug}': use 1-63 lowercase letters, digits and dashes, not starting or ending with a dash"
            ),
        ));
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
    /// Keys for pairwise subjects and sealed user ids ([`crate::subject`]).
    pub subjects: crate::subject::SubjectKeys,
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
        let subjects = crate::subject::SubjectKeys::derive(&data_key, &record.id);
        let issuer = format!("{}/t/{}", config.base_url, record.slug);
        let path = format!("{}/t/{}/", config.base_path(), record.slug);
        let discovery =
            crate::discovery::document(&issuer, record.dynamic_registration, config.host_endpoints);
        Ok(Self {
            record,
            issuer,
            path,
            keys: KeyRing::scheduled(parsed),
            subjects,
            discovery,
        })
    }

    /// `{issuer}{suffix}`.
    pub fn endpoint(&self, suffix: &str) -> String {
        format!("{}{suffix}", self.issuer)
    }

    /// The URL of `e` (one without a path segment of its own).
    pub fn url(&self, e: crate::endpoint::Endpoint) -> String {
        self.endpoint(e.path())
    }

    /// The URL of `e` with its `{id}` segment filled in.
    pub fn url_with(&self, e: crate::endpoint::Endpoint, id: &str) -> String {
        self.endpoint(&e.path_with(id))
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

/// How many times a key rotation ([`crate::admin::Admin::rotate_keys`])
/// tries its compare-and-swap before it reports that others keep rotating
/// first.
pub const ROTATION_ATTEMPTS: usize = 3;

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
