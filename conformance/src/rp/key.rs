//! The relying party's own RSA key, for `private_key_jwt` client assertions
//! and signed request objects, as the suite's dynamic clients use (RS256,
//! and by default no `kid`).

use super::jose::b64e;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};
use serde_json::{Value, json};

/// An RSA 2048 key pair.
pub struct RpKey {
    pair: KeyPair,
    /// `kid`, if the key has one.
    pub kid: Option<String>,
}

impl std::fmt::Debug for RpKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RpKey({:?})", self.kid)
    }
}

impl RpKey {
    /// A fresh key.
    pub fn generate(kid: Option<&str>) -> Result<Self, String> {
        let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|e| e.to_string())?;
        Ok(Self {
            pair,
            kid: kid.map(str::to_owned),
        })
    }

    /// The public JWK Set.
    pub fn jwks(&self) -> Value {
        let public = self.pair.public_key();
        let n = aws_lc_rs::rsa::PublicKeyComponents::<Vec<u8>>::from(public);
        let mut jwk =
            json!({"kty": "RSA", "use": "sig", "alg": "RS256", "n": b64e(&n.n), "e": b64e(&n.e)});
        if let Some(kid) = &self.kid {
            jwk["kid"] = json!(kid);
        }
        json!({ "keys": [jwk] })
    }

    /// Signs `claims` as an RS256 JWT.
    pub fn sign(&self, claims: &Value) -> Result<String, String> {
        let mut header = json!({"alg": "RS256", "typ": "JWT"});
        if let Some(kid) = &self.kid {
            header["kid"] = json!(kid);
        }
        let input = format!(
            "{}.{}",
            b64e(header.to_string().as_bytes()),
            b64e(claims.to_string().as_bytes())
        );
        let mut sig = vec![0u8; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &RSA_PKCS1_SHA256,
                &aws_lc_rs::rand::SystemRandom::new(),
                input.as_bytes(),
                &mut sig,
            )
            .map_err(|e| e.to_string())?;
        Ok(format!("{input}.{}", b64e(&sig)))
    }

    /// A client assertion (RFC 7523 §3) as the suite makes it: `iss` = `sub`
    /// = client id, `aud`, a 20-character `jti`, `iat` = `nbf` = now, 60 s.
    pub fn assertion(&self, client_id: &str, aud: &str) -> Result<String, String> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        self.sign(&json!({
            "iss": client_id, "sub": client_id, "aud": aud,
            "jti": super::op::random_alnum(20), "iat": now, "nbf": now, "exp": now + 60,
        }))
    }
}
