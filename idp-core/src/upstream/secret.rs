//! An upstream's client secret at rest: sealed with the tenant's data key
//! (XChaCha20-Poly1305, design.md "Secrets"), bound to the tenant and the
//! upstream so that a sealed value copied to another row does not open.

use crate::crypto::envelope::DataKey;
use crate::ids::{TenantId, UpstreamId};

/// Where an upstream's secret lives: the AAD its sealing is bound to.
fn location(tenant: &TenantId, id: &UpstreamId) -> String {
    format!("tenant/{tenant}/upstreams/{id}/client_secret")
}

/// Seals `secret` for the upstream `id` of `tenant`.
pub fn seal(
    key: &DataKey,
    tenant: &TenantId,
    id: &UpstreamId,
    secret: &str,
) -> Result<Vec<u8>, crate::crypto::envelope::EnvelopeError> {
    key.seal(secret.as_bytes(), &location(tenant, id))
}

/// Opens what [`seal`] sealed for the same tenant and upstream.
pub fn open(
    key: &DataKey,
    tenant: &TenantId,
    id: &UpstreamId,
    sealed: &[u8],
) -> Result<String, crate::crypto::envelope::EnvelopeError> {
    let bytes = key.open(sealed, &location(tenant, id))?;
    String::from_utf8(bytes).map_err(|_| crate::crypto::envelope::EnvelopeError::Open)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_opens_only_where_it_was_sealed() -> Result<(), Box<dyn std::error::Error>> {
        let key = DataKey::generate();
        let (t, a, b) = (
            TenantId::new("t"),
            UpstreamId::new("a"),
            UpstreamId::new("b"),
        );
        let sealed = seal(&key, &t, &a, "s3cret")?;
        assert_eq!(open(&key, &t, &a, &sealed)?, "s3cret");
        assert!(open(&key, &t, &b, &sealed).is_err());
        assert!(open(&key, &TenantId::new("u"), &a, &sealed).is_err());
        assert!(!sealed.windows(6).any(|w| w == b"s3cret"));
        Ok(())
    }
}
