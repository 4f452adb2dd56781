//! Compact JWS (RFC 7515 §7.1) signing and verification.
//!
//! Written here rather than taken from a JWT crate so that the header is ours
//! (`kid`, `typ: at+jwt` for RFC 9068 access tokens, `typ: logout+jwt` later)
//! and signing uses the key ring's already parsed keys.

use crate::jwks::{KeyRing, PublicKeySet, SigningAlg, SigningKey};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

/// A JWT's `aud` claim: one string or an array of them (RFC 7519 §4.1.3).
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    /// Whether `value` is one of the audiences.
    pub(crate) fn contains(&self, value: &str) -> bool {
        match self {
            Audience::One(a) => a == value,
            Audience::Many(list) => list.iter().any(|a| a == value),
        }
    }
}

/// base64url without padding (RFC 7515 §2).
pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64url without padding; `None` if it is not.
pub fn b64_decode(s: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(s).ok()
}

/// Why a JWS could not be produced or accepted.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JoseError {
    /// Not three base64url segments with a JSON header.
    #[error("malformed JWT")]
    Malformed,
    /// No key in the tenant's ring has this `kid`, or the `alg` differs from the key's.
    #[error("unknown signing key")]
    UnknownKey,
    /// The signature does not verify.
    #[error("invalid signature")]
    BadSignature,
    /// Signing failed (never expected with a valid key).
    #[error("signing failed")]
    Sign,
}

#[derive(Serialize)]
struct HeaderOut<'a> {
    alg: &'a str,
    kid: &'a str,
    typ: &'a str,
}

/// The protected header fields the provider reads back.
#[derive(Debug, Deserialize)]
pub struct Header {
    /// Signature algorithm.
    pub alg: String,
    /// Key id.
    #[serde(default)]
    pub kid: Option<String>,
    /// Media type (`JWT`, `at+jwt`).
    #[serde(default)]
    pub typ: Option<String>,
}

/// Signs `claims` as a compact JWS with `key`, with header `typ`.
pub fn sign<C: Serialize>(key: &SigningKey, typ: &str, claims: &C) -> Result<String, JoseError> {
    let header = serde_json::to_vec(&HeaderOut {
        alg: key.alg().as_str(),
        kid: key.kid(),
        typ,
    })
    .map_err(|_| JoseError::Sign)?;
    let payload = serde_json::to_vec(claims).map_err(|_| JoseError::Sign)?;
    let mut out = String::with_capacity(header.len() * 2 + payload.len() * 2 + 360);
    URL_SAFE_NO_PAD.encode_string(&header, &mut out);
    out.push('.');
    URL_SAFE_NO_PAD.encode_string(&payload, &mut out);
    let signature = key.sign(out.as_bytes()).map_err(|_| JoseError::Sign)?;
    out.push('.');
    URL_SAFE_NO_PAD.encode_string(&signature, &mut out);
    Ok(out)
}

/// A JWS whose signature verified against a key of the ring.
#[derive(Debug)]
pub struct Verified {
    /// The protected header.
    pub header: Header,
    /// The decoded payload (JSON bytes).
    pub payload: Vec<u8>,
}

/// A compact JWS taken apart, signature not yet checked.
struct Parts<'a> {
    header: Header,
    alg: SigningAlg,
    signing_input: &'a [u8],
    payload_b64: &'a str,
    signature: Vec<u8>,
}

fn split(token: &str) -> Result<Parts<'_>, JoseError> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JoseError::Malformed);
    };
    let header_bytes = URL_SAFE_NO_PAD
        .decode(h)
        .map_err(|_| JoseError::Malformed)?;
    let header: Header = serde_json::from_slice(&header_bytes).map_err(|_| JoseError::Malformed)?;
    // Only the algorithms we implement; `none` and anything else is refused.
    let alg = SigningAlg::parse(&header.alg).ok_or(JoseError::UnknownKey)?;
    let signature = URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| JoseError::Malformed)?;
    Ok(Parts {
        header,
        alg,
        signing_input: &token.as_bytes()[..h.len() + 1 + p.len()],
        payload_b64: p,
        signature,
    })
}

fn finish(parts: Parts<'_>) -> Result<Verified, JoseError> {
    let payload = URL_SAFE_NO_PAD
        .decode(parts.payload_b64)
        .map_err(|_| JoseError::Malformed)?;
    Ok(Verified {
        header: parts.header,
        payload,
    })
}

/// Verifies a compact JWS against the keys of `ring`. Only algorithms the ring
/// holds are accepted (never `none`), and a key is used only with its own `alg`.
pub fn verify(token: &str, ring: &KeyRing) -> Result<Verified, JoseError> {
    let parts = split(token)?;
    match parts.header.kid.as_deref() {
        Some(kid) => {
            let key = ring.by_kid(kid).ok_or(JoseError::UnknownKey)?;
            if key.alg() != parts.alg {
                return Err(JoseError::UnknownKey);
            }
            key.verify(parts.signing_input, &parts.signature)
                .map_err(|_| JoseError::BadSignature)?;
        }
        // No `kid` (the provider always sets one): any key of the algorithm,
        // since which one signed depends on when it was signed.
        None => {
            let mut keys = ring.of_alg(parts.alg).peekable();
            if keys.peek().is_none() {
                return Err(JoseError::UnknownKey);
            }
            if !keys.any(|k| k.verify(parts.signing_input, &parts.signature).is_ok()) {
                return Err(JoseError::BadSignature);
            }
        }
    }
    finish(parts)
}

/// The payload of a compact JWS *without* checking its signature: only to
/// find out who claims to have signed it, before verifying with their keys.
pub fn unverified_payload(token: &str) -> Result<Vec<u8>, JoseError> {
    finish(split(token)?).map(|v| v.payload)
}

/// Verifies a compact JWS against a client's registered public keys.
pub fn verify_with_set(token: &str, keys: &PublicKeySet) -> Result<Verified, JoseError> {
    let parts = split(token)?;
    // Told apart from a bad signature: a `kid` the set lacks may mean the
    // client rotated its keys, worth fetching its `jwks_uri` again.
    if !keys.has_key(parts.alg, parts.header.kid.as_deref()) {
        return Err(JoseError::UnknownKey);
    }
    if !keys.verify(
        parts.alg,
        parts.header.kid.as_deref(),
        parts.signing_input,
        &parts.signature,
    ) {
        return Err(JoseError::BadSignature);
    }
    finish(parts)
}

/// Left half of the hash of `value`, base64url: OIDC Core §3.1.3.6 (`at_hash`)
/// and §3.3.2.11 (`c_hash`). The hash is the one of the signing algorithm:
/// SHA-256 for RS256 and ES256, SHA-512 for EdDSA over Ed25519.
pub fn half_hash(alg: SigningAlg, value: &str) -> String {
    let algorithm = match alg {
        SigningAlg::Rs256 | SigningAlg::Es256 => &aws_lc_rs::digest::SHA256,
        SigningAlg::EdDsa => &aws_lc_rs::digest::SHA512,
    };
    let digest = aws_lc_rs::digest::digest(algorithm, value.as_bytes());
    let bytes = digest.as_ref();
    b64(&bytes[..bytes.len() / 2])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwks::SigningKey;

    #[test]
    fn sign_then_verify_for_every_algorithm() -> Result<(), Box<dyn std::error::Error>> {
        for alg in [SigningAlg::Rs256, SigningAlg::Es256, SigningAlg::EdDsa] {
            let (key, _) = SigningKey::generate(alg)?;
            let ring = KeyRing::new(vec![key]);
            let key = ring.signing(alg, 0).ok_or("no key")?;
            let jwt = sign(key, "JWT", &serde_json::json!({"sub": "u1"}))?;
            let verified = verify(&jwt, &ring)?;
            assert_eq!(verified.header.kid.as_deref(), Some(key.kid()));
            assert_eq!(verified.payload, br#"{"sub":"u1"}"#);
            let mut tampered = jwt.clone();
            tampered.insert(jwt.find('.').ok_or("dot")? + 2, 'A');
            assert!(verify(&tampered, &ring).is_err());
        }
        Ok(())
    }

    #[test]
    fn rejects_alg_none_and_foreign_keys() -> Result<(), Box<dyn std::error::Error>> {
        let (key, _) = SigningKey::generate(SigningAlg::Es256)?;
        let (other, _) = SigningKey::generate(SigningAlg::Es256)?;
        let ring = KeyRing::new(vec![key]);
        let foreign = sign(&other, "JWT", &serde_json::json!({}))?;
        assert_eq!(verify(&foreign, &ring).err(), Some(JoseError::UnknownKey));
        let none = format!("{}.{}.", b64(br#"{"alg":"none"}"#), b64(b"{}"));
        assert_eq!(verify(&none, &ring).err(), Some(JoseError::UnknownKey));
        Ok(())
    }

    #[test]
    fn at_hash_matches_the_oidc_example() {
        // OIDC Core examples use SHA-256; check the construction on a known value.
        let h = half_hash(
            SigningAlg::Rs256,
            "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y",
        );
        assert_eq!(h, "77QmUPtjPfzWtF2AnpK9RQ");
    }
}
