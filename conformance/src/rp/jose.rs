//! Verifying the OP's JWS with its published JWK Set, independently of the
//! OP's own code: RS256, PS256, ES256 and EdDSA.

use aws_lc_rs::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

/// A compact JWS taken apart.
#[derive(Clone, Debug)]
pub struct Jws {
    /// Protected header.
    pub header: Value,
    /// Payload (claims).
    pub claims: Value,
    signing_input: String,
    signature: Vec<u8>,
}

/// base64url without padding.
pub fn b64d(s: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(s).ok()
}

/// base64url without padding.
pub fn b64e(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

impl Jws {
    /// Splits and decodes a compact JWS; `None` if it is not one.
    pub fn parse(token: &str) -> Option<Self> {
        let mut parts = token.split('.');
        let (h, p, s) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        Some(Self {
            header: serde_json::from_slice(&b64d(h)?).ok()?,
            claims: serde_json::from_slice(&b64d(p)?).ok()?,
            signing_input: format!("{h}.{p}"),
            signature: b64d(s)?,
        })
    }

    /// `alg` of the header.
    pub fn alg(&self) -> &str {
        self.header["alg"].as_str().unwrap_or("")
    }

    /// Verifies against `jwks` as `ValidateIdTokenSignature` does: with a
    /// `kid`, the key with that `kid` must verify; without, any compatible key.
    pub fn verify(&self, jwks: &Value) -> Result<(), String> {
        let keys = jwks["keys"].as_array().ok_or("the JWK Set has no keys")?;
        let alg = self.alg();
        let kid = self.header["kid"].as_str();
        let candidates: Vec<&Value> = keys
            .iter()
            .filter(|k| kid.is_none_or(|kid| k["kid"].as_str() == Some(kid)))
            .filter(|k| k["alg"].as_str().is_none_or(|a| a == alg))
            .collect();
        if candidates.is_empty() {
            return Err(format!("no key for kid {kid:?} and alg {alg}"));
        }
        if candidates
            .iter()
            .any(|k| verify_with(k, alg, self.signing_input.as_bytes(), &self.signature))
        {
            Ok(())
        } else {
            Err(format!("the {alg} signature does not verify"))
        }
    }
}

fn verify_with(jwk: &Value, alg: &str, msg: &[u8], sig: &[u8]) -> bool {
    let member = |m: &str| jwk[m].as_str().and_then(b64d);
    match (alg, jwk["kty"].as_str()) {
        ("RS256" | "PS256", Some("RSA")) => {
            let (Some(n), Some(e)) = (member("n"), member("e")) else {
                return false;
            };
            let params = if alg == "RS256" {
                &signature::RSA_PKCS1_2048_8192_SHA256
            } else {
                &signature::RSA_PSS_2048_8192_SHA256
            };
            RsaPublicKeyComponents { n: &n, e: &e }
                .verify(params, msg, sig)
                .is_ok()
        }
        ("ES256", Some("EC")) => {
            let (Some(x), Some(y)) = (member("x"), member("y")) else {
                return false;
            };
            let mut point = vec![4u8];
            point.extend(x);
            point.extend(y);
            UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, &point)
                .verify(msg, sig)
                .is_ok()
        }
        ("EdDSA", Some("OKP")) => member("x").is_some_and(|x| {
            UnparsedPublicKey::new(&signature::ED25519, &x)
                .verify(msg, sig)
                .is_ok()
        }),
        _ => false,
    }
}

/// Left half of the digest of `value`, base64url (`at_hash`, `c_hash`): the
/// digest of the ID token's `alg` (SHA-512 for EdDSA, as the suite does).
pub fn half_hash(alg: &str, value: &str) -> String {
    use aws_lc_rs::digest;
    let algorithm = match alg {
        "RS384" | "ES384" | "PS384" => &digest::SHA384,
        "RS512" | "ES512" | "PS512" | "EdDSA" => &digest::SHA512,
        _ => &digest::SHA256,
    };
    let d = digest::digest(algorithm, value.as_bytes());
    let bytes = d.as_ref();
    b64e(&bytes[..bytes.len() / 2])
}
