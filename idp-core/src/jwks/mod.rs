//! A tenant's signing keys: the key ring used to sign and verify, and the JWKS
//! document (RFC 7517 §5) that publishes their public halves.
//!
//! Each key has an activation time. At any instant the key that signs with an
//! algorithm is the newest one of that algorithm whose activation time has
//! passed; the ring decides that per signature, not when it was loaded, so
//! every process holding the same ring switches at the same instant (ADR
//! 0024). Every key of the ring is published: keys not yet active (so that
//! verifiers learn them before they sign), the active ones, and retired keys
//! (so that tokens they signed keep verifying until they expire);
//! `crate::key_rotation` rotates on a schedule and decides when a retired
//! key may leave.

mod public_key;
mod signing_key;

pub use public_key::{JwkError, PublicKeySet};
pub use signing_key::{KeyError, SigningAlg, SigningKey};

use crate::clock::UnixTime;
use bytes::Bytes;

/// A key of the ring with the instant from which it may sign.
#[derive(Debug)]
struct Scheduled {
    key: SigningKey,
    activates_at: UnixTime,
}

/// The parsed signing keys of one tenant.
#[derive(Debug)]
pub struct KeyRing {
    /// Newest first.
    keys: Vec<Scheduled>,
    jwks: Bytes,
}

impl KeyRing {
    /// Builds a ring of keys that are all active already, ordered newest
    /// first: the first key of each algorithm signs.
    pub fn new(keys: Vec<SigningKey>) -> Self {
        Self::scheduled(keys.into_iter().map(|k| (k, UnixTime::MIN)).collect())
    }

    /// Builds a ring from keys with their activation times, ordered newest
    /// first (by creation: a key created later supersedes an earlier one
    /// even if it activates sooner, as an immediate rotation does).
    pub fn scheduled(keys: Vec<(SigningKey, UnixTime)>) -> Self {
        let keys: Vec<Scheduled> = keys
            .into_iter()
            .map(|(key, activates_at)| Scheduled { key, activates_at })
            .collect();
        let doc = serde_json::json!({ "keys": published_order(&keys) });
        let jwks =
            Bytes::from(serde_json::to_vec(&doc).unwrap_or_else(|_| b"{\"keys\":[]}".to_vec()));
        Self { keys, jwks }
    }

    /// The key that signs with `alg` at `now`: the newest key of that
    /// algorithm whose activation time has passed. If none has (a clock
    /// behind the one of the process that created the tenant), the one that
    /// activates first, so that a tenant never lacks a key.
    pub fn signing(&self, alg: SigningAlg, now: UnixTime) -> Option<&SigningKey> {
        let of_alg = self.keys.iter().filter(|k| k.key.alg() == alg);
        of_alg
            .clone()
            .find(|k| k.activates_at <= now)
            .or_else(|| of_alg.min_by_key(|k| k.activates_at))
            .map(|k| &k.key)
    }

    /// Any key of the ring, pending, active or retired, by `kid`.
    pub fn by_kid(&self, kid: &str) -> Option<&SigningKey> {
        self.keys
            .iter()
            .find(|k| k.key.kid() == kid)
            .map(|k| &k.key)
    }

    /// The keys of `alg`, newest first (to verify a JWS that names no `kid`).
    pub fn of_alg(&self, alg: SigningAlg) -> impl Iterator<Item = &SigningKey> {
        self.keys
            .iter()
            .filter(move |k| k.key.alg() == alg)
            .map(|k| &k.key)
    }

    /// The serialized JWKS document, ready to serve.
    pub fn jwks_json(&self) -> Bytes {
        self.jwks.clone()
    }
}

/// The public keys in the order the JWKS lists them: RSA, then EC, then
/// OKP, each newest first. Older JOSE libraries (pyoidc, some Java ones)
/// stop at or reject a whole set on a key type they do not know, and
/// Ed25519 (`OKP`, RFC 8037) is the youngest; RFC 7517 §5 gives the order
/// no meaning, so putting it last costs nothing.
fn published_order(keys: &[Scheduled]) -> Vec<&serde_json::Value> {
    let rank = |alg: SigningAlg| match alg {
        SigningAlg::Rs256 => 0,
        SigningAlg::Es256 => 1,
        SigningAlg::EdDsa => 2,
    };
    let mut ordered: Vec<&Scheduled> = keys.iter().collect();
    // Stable: newest first within a key type.
    ordered.sort_by_key(|k| rank(k.key.alg()));
    ordered.into_iter().map(|k| k.key.public_jwk()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwks_lists_rsa_then_ec_then_okp_newest_first() -> Result<(), KeyError> {
        // Newest first, OKP newest of all, as after a rotation of EdDSA.
        let mut keys = Vec::new();
        for alg in [
            SigningAlg::EdDsa,
            SigningAlg::Es256,
            SigningAlg::Rs256,
            SigningAlg::EdDsa,
            SigningAlg::Es256,
        ] {
            keys.push(SigningKey::generate(alg)?.0);
        }
        let kids: Vec<String> = keys.iter().map(|k| k.kid().to_owned()).collect();
        let ring = KeyRing::new(keys);
        let doc: serde_json::Value =
            serde_json::from_slice(&ring.jwks_json()).map_err(|_| KeyError("json"))?;
        let listed: Vec<(&str, &str)> = doc["keys"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|k| {
                        (
                            k["kty"].as_str().unwrap_or(""),
                            k["kid"].as_str().unwrap_or(""),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(
            listed,
            vec![
                ("RSA", kids[2].as_str()),
                ("EC", kids[1].as_str()),
                ("EC", kids[4].as_str()),
                ("OKP", kids[0].as_str()),
                ("OKP", kids[3].as_str()),
            ]
        );
        Ok(())
    }

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
    fn the_newest_key_whose_activation_has_passed_signs() -> Result<(), KeyError> {
        let fresh = || SigningKey::generate(SigningAlg::Es256).map(|(k, _)| k);
        let (pending, active, retired) = (fresh()?, fresh()?, fresh()?);
        let kids = [pending.kid(), active.kid(), retired.kid()].map(str::to_owned);
        let ring = KeyRing::scheduled(vec![(pending, 200), (active, 100), (retired, 10)]);
        let signer = |now| {
            ring.signing(SigningAlg::Es256, now)
                .map(|k| k.kid().to_owned())
        };
        assert_eq!(signer(99).as_deref(), Some(kids[2].as_str()));
        assert_eq!(signer(100).as_deref(), Some(kids[1].as_str()));
        assert_eq!(signer(199).as_deref(), Some(kids[1].as_str()));
        assert_eq!(signer(200).as_deref(), Some(kids[0].as_str()));
        // Before any activation: the first to activate, never nothing.
        assert_eq!(signer(0).as_deref(), Some(kids[2].as_str()));
        assert!(ring.signing(SigningAlg::Rs256, 500).is_none());
        // All three are published, the pending one included.
        let doc: serde_json::Value =
            serde_json::from_slice(&ring.jwks_json()).map_err(|_| KeyError("json"))?;
        assert_eq!(doc["keys"].as_array().map(Vec::len), Some(3));
        Ok(())
    }

    #[test]
    fn a_newer_key_activated_at_once_supersedes_a_pending_one() -> Result<(), KeyError> {
        let fresh = || SigningKey::generate(SigningAlg::EdDsa).map(|(k, _)| k);
        let (immediate, pending, old) = (fresh()?, fresh()?, fresh()?);
        let kid = immediate.kid().to_owned();
        // An emergency rotation at 150 while a key waited for 200.
        let ring = KeyRing::scheduled(vec![(immediate, 150), (pending, 200), (old, 10)]);
        for now in [150, 200, 10_000] {
            let signer = ring.signing(SigningAlg::EdDsa, now).map(SigningKey::kid);
            assert_eq!(signer, Some(kid.as_str()), "at {now}");
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
