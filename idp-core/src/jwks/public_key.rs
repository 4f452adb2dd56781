//! Public keys a client registers (RFC 7517 JWK Set, inline or at its
//! `jwks_uri`), used to verify its `private_key_jwt` assertions and, later,
//! signed request objects.

use crate::jwks::SigningAlg;
use aws_lc_rs::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

/// Why a JWK Set could not be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JwkError {
    /// Not a JSON object with a `keys` array.
    #[error("not a JWK Set: {0}")]
    Malformed(String),
    /// No usable signature-verification key in the set.
    #[error("the JWK Set has no usable RSA, P-256 or Ed25519 signing key")]
    NoKeys,
}

#[derive(Deserialize)]
struct RawSet {
    keys: Vec<RawJwk>,
}

#[derive(Deserialize)]
struct RawJwk {
    kty: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default, rename = "use")]
    use_: Option<String>,
    #[serde(default)]
    alg: Option<String>,
    #[serde(default)]
    crv: Option<String>,
    #[serde(default)]
    n: Option<String>,
    #[serde(default)]
    e: Option<String>,
    #[serde(default)]
    x: Option<String>,
    #[serde(default)]
    y: Option<String>,
    #[serde(default)]
    d: Option<String>,
}

enum Material {
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    /// Uncompressed SEC1 point.
    P256(Vec<u8>),
    Ed25519(Vec<u8>),
}

/// One verification key.
struct PublicKey {
    kid: Option<String>,
    alg: SigningAlg,
    material: Material,
}

/// A parsed JWK Set of verification keys.
pub struct PublicKeySet {
    keys: Vec<PublicKey>,
}

impl std::fmt::Debug for PublicKeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKeySet({} keys)", self.keys.len())
    }
}

fn decode(s: &Option<String>) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(s.as_deref()?).ok()
}

impl PublicKeySet {
    /// Parses a JWK Set. Keys for encryption (`use: enc`), of unknown types
    /// or curves are skipped; a set holding a private key is refused, since a
    /// client must never hand its private key to the provider.
    pub fn parse(json: &[u8]) -> Result<Self, JwkError> {
        let raw: RawSet =
            serde_json::from_slice(json).map_err(|e| JwkError::Malformed(e.to_string()))?;
        let mut keys = Vec::new();
        for k in raw.keys {
            if k.d.is_some() {
                return Err(JwkError::Malformed(
                    "the set contains a private key (\"d\")".into(),
                ));
            }
            if k.use_.as_deref().is_some_and(|u| u != "sig") {
                continue;
            }
            let key = match (k.kty.as_str(), k.crv.as_deref()) {
                ("RSA", _) => match (decode(&k.n), decode(&k.e)) {
                    (Some(n), Some(e)) if n.len() >= 256 => {
                        Some((SigningAlg::Rs256, Material::Rsa { n, e }))
                    }
                    _ => None,
                },
                ("EC", Some("P-256")) => match (decode(&k.x), decode(&k.y)) {
                    (Some(x), Some(y)) if x.len() == 32 && y.len() == 32 => {
                        let mut point = Vec::with_capacity(65);
                        point.push(4);
                        point.extend_from_slice(&x);
                        point.extend_from_slice(&y);
                        Some((SigningAlg::Es256, Material::P256(point)))
                    }
                    _ => None,
                },
                ("OKP", Some("Ed25519")) => match decode(&k.x) {
                    Some(x) if x.len() == 32 => Some((SigningAlg::EdDsa, Material::Ed25519(x))),
                    _ => None,
                },
                _ => None,
            };
            let Some((alg, material)) = key else { continue };
            if k.alg.as_deref().is_some_and(|a| a != alg.as_str()) {
                continue;
            }
            keys.push(PublicKey {
                kid: k.kid,
                alg,
                material,
            });
        }
        if keys.is_empty() {
            return Err(JwkError::NoKeys);
        }
        Ok(Self { keys })
    }

    /// Whether the set holds a key of algorithm `alg` (with id `kid` when given).
    pub fn has_key(&self, alg: SigningAlg, kid: Option<&str>) -> bool {
        self.keys
            .iter()
            .any(|k| k.alg == alg && (kid.is_none() || k.kid.as_deref() == kid))
    }

    /// Verifies `signature` over `message` with a key of algorithm `alg`
    /// (and id `kid` when given). Without a `kid`, every key of the
    /// algorithm is tried.
    pub fn verify(&self, alg: SigningAlg, kid: Option<&str>, message: &[u8], sig: &[u8]) -> bool {
        self.keys
            .iter()
            .filter(|k| k.alg == alg)
            .filter(|k| kid.is_none() || k.kid.as_deref() == kid)
            .any(|k| match &k.material {
                Material::Rsa { n, e } => RsaPublicKeyComponents { n, e }
                    .verify(&signature::RSA_PKCS1_2048_8192_SHA256, message, sig)
                    .is_ok(),
                Material::P256(point) => {
                    UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                        .verify(message, sig)
                        .is_ok()
                }
                Material::Ed25519(x) => UnparsedPublicKey::new(&signature::ED25519, x)
                    .verify(message, sig)
                    .is_ok(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwks::SigningKey;

    #[test]
    fn verifies_with_the_public_half_of_each_algorithm() -> Result<(), Box<dyn std::error::Error>> {
        for alg in SigningAlg::ALL {
            let (key, _) = SigningKey::generate(alg)?;
            let set = serde_json::json!({ "keys": [key.public_jwk()] });
            let set = PublicKeySet::parse(serde_json::to_string(&set)?.as_bytes())?;
            let sig = key.sign(b"message")?;
            assert!(
                set.verify(alg, Some(key.kid()), b"message", &sig),
                "{alg:?}"
            );
            assert!(set.verify(alg, None, b"message", &sig));
            assert!(!set.verify(alg, Some("other"), b"message", &sig));
            assert!(!set.verify(alg, None, b"tampered", &sig));
        }
        Ok(())
    }

    #[test]
    fn refuses_private_keys_and_empty_sets() {
        assert!(matches!(
            PublicKeySet::parse(
                br#"{"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA","d":"AA"}]}"#
            ),
            Err(JwkError::Malformed(_))
        ));
        assert_eq!(
            PublicKeySet::parse(br#"{"keys":[]}"#).err(),
            Some(JwkError::NoKeys)
        );
        assert!(PublicKeySet::parse(b"[]").is_err());
    }
}
