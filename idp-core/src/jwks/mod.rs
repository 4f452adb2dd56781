//! A tenant's signing keys: the key ring used to sign and verify, and the JWKS
//! document (RFC 7517 §5) that publishes their public halves.
//!
//! Each tenant holds one active key per algorithm. Retired keys stay in the
//! ring (and in the JWKS) so that tokens they signed keep verifying until they
//! expire; `crate::key_rotation` rotates on a schedule and decides when a
//! retired key may leave.

mod public_key;
mod signing_key;

pub use public_key::{JwkError, PublicKeySet};
pub use signing_key::{KeyError, SigningAlg, SigningKey};

use bytes::Bytes;
use std::sync::Arc;

/// The parsed signing keys of one tenant.
#[derive(Debug)]
pub struct KeyRing {
    keys: Vec<Arc<SigningKey>>,
    jwks: Bytes,
}

impl KeyRing {
    /// Builds a ring from keys ordered newest first: the first key of each
    /// algorithm is the active one.
    pub fn new(keys: Vec<SigningKey>) -> Self {
        let keys: Vec<Arc<SigningKey>> = keys.into_iter().map(Arc::new).collect();
        let doc = serde_json::json!({
            "keys": keys.iter().map(|k| k.public_jwk()).collect::<Vec<_>>()
        });
        let jwks =
            Bytes::from(serde_json::to_vec(&doc).unwrap_or_else(|_| b"{\"keys\":[]}".to_vec()));
        Self { keys, jwks }
    }

    /// The key that signs new tokens with `alg`.
    pub fn active(&self, alg: SigningAlg) -> Option<&SigningKey> {
        self.keys
            .iter()
            .find(|k| k.alg() == alg)
            .map(|k| k.as_ref())
    }

    /// Any key of the ring, active or retired, by `kid`.
    pub fn by_kid(&self, kid: &str) -> Option<&SigningKey> {
        self.keys
            .iter()
            .find(|k| k.kid() == kid)
            .map(|k| k.as_ref())
    }

    /// The serialized JWKS document, ready to serve.
    pub fn jwks_json(&self) -> Bytes {
        self.jwks.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwks_publishes_public_parts_with_unique_kids() -> Result<(), KeyError> {
        let keys = SigningAlg::ALL
            .iter()
            .map(|&alg| SigningKey::generate(alg).map(|(k, _)| k))
            .collect::<Result<Vec<_>, _>>()?;
        let ring = KeyRing::new(keys);
        let doc: serde_json::Value =
            serde_json::from_slice(&ring.jwks_json()).map_err(|_| KeyError("json"))?;
        let keys = doc["keys"].as_array().cloned().unwrap_or_default();
        assert_eq!(keys.len(), 3);
        let mut kids: Vec<_> = keys
            .iter()
            .map(|k| k["kid"].as_str().unwrap_or(""))
            .collect();
        kids.sort();
        kids.dedup();
        assert_eq!(kids.len(), 3);
        for k in &keys {
            for private in ["d", "p", "q", "dp", "dq", "qi"] {
                assert!(
                    k.get(private).is_none(),
                    "private member {private} published"
                );
            }
        }
        Ok(())
    }

    #[test]
    fn pkcs8_round_trip_keeps_the_kid() -> Result<(), KeyError> {
        for alg in SigningAlg::ALL {
            let (key, pkcs8) = SigningKey::generate(alg)?;
            let again = SigningKey::from_pkcs8(alg, &pkcs8)?;
            assert_eq!(key.kid(), again.kid());
        }
        Ok(())
    }
}
