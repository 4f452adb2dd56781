//! One signing key pair, parsed once and kept in memory (parsing an RSA key on
//! every signature would double its cost).

use crate::jose::b64;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _};
use serde_json::{Value, json};
use zeroize::Zeroizing;

/// A JWS algorithm the provider signs with (RFC 7518 §3.1, RFC 8037).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum SigningAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256 over a 2048-bit key: the OIDC default.
    #[serde(rename = "RS256")]
    Rs256,
    /// ECDSA P-256 with SHA-256: about 18x faster to sign than RS256.
    #[serde(rename = "ES256")]
    Es256,
    /// Ed25519.
    #[serde(rename = "EdDSA")]
    EdDsa,
}

impl SigningAlg {
    /// Every algorithm, in the order discovery lists them.
    pub const ALL: [SigningAlg; 3] = [SigningAlg::Rs256, SigningAlg::Es256, SigningAlg::EdDsa];

    /// The JOSE name.
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlg::Rs256 => "RS256",
            SigningAlg::Es256 => "ES256",
            SigningAlg::EdDsa => "EdDSA",
        }
    }

    /// Parses a JOSE name; anything else (including `none`) is `None`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "RS256" => Some(SigningAlg::Rs256),
            "ES256" => Some(SigningAlg::Es256),
            "EdDSA" => Some(SigningAlg::EdDsa),
            _ => None,
        }
    }
}

/// Why a key could not be made or read.
#[derive(Debug, thiserror::Error)]
#[error("signing key error: {0}")]
pub struct KeyError(pub(crate) &'static str);

enum Pair {
    Rsa(aws_lc_rs::rsa::KeyPair),
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
}

/// A parsed private key with its `kid` and public JWK.
pub struct SigningKey {
    kid: String,
    alg: SigningAlg,
    pair: Pair,
    /// The public half parsed once for verification (access tokens at
    /// introspection and userinfo), not on every call.
    verifier: signature::ParsedPublicKey,
    public_jwk: Value,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({}, {})", self.alg.as_str(), self.kid)
    }
}

impl SigningKey {
    /// Generates a key; returns it and its PKCS#8 document for sealed storage.
    pub fn generate(alg: SigningAlg) -> Result<(Self, Zeroizing<Vec<u8>>), KeyError> {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let pkcs8 = match alg {
            SigningAlg::Rs256 => {
                let pair = aws_lc_rs::rsa::KeyPair::generate(KeySize::Rsa2048)
                    .map_err(|_| KeyError("RSA key generation failed"))?;
                let der = pair
                    .as_der()
                    .map_err(|_| KeyError("RSA key export failed"))?;
                Zeroizing::new(der.as_ref().to_vec())
            }
            SigningAlg::Es256 => {
                let doc =
                    EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                        .map_err(|_| KeyError("P-256 key generation failed"))?;
                Zeroizing::new(doc.as_ref().to_vec())
            }
            SigningAlg::EdDsa => {
                let doc = Ed25519KeyPair::generate_pkcs8(&rng)
                    .map_err(|_| KeyError("Ed25519 key generation failed"))?;
                Zeroizing::new(doc.as_ref().to_vec())
            }
        };
        let key = Self::from_pkcs8(alg, &pkcs8)?;
        Ok((key, pkcs8))
    }

    /// Parses a stored PKCS#8 private key. The `kid` is the RFC 7638 JWK
    /// thumbprint of the public key, so it is unique and needs no storage.
    pub fn from_pkcs8(alg: SigningAlg, pkcs8: &[u8]) -> Result<Self, KeyError> {
        let (pair, jwk_members) = match alg {
            SigningAlg::Rs256 => {
                let pair = aws_lc_rs::rsa::KeyPair::from_pkcs8(pkcs8)
                    .map_err(|_| KeyError("stored RSA key is invalid"))?;
                let public = pair.public_key();
                let n = b64(public.modulus().big_endian_without_leading_zero());
                let e = b64(public.exponent().big_endian_without_leading_zero());
                let members = json!({"e": e, "kty": "RSA", "n": n});
                (Pair::Rsa(pair), members)
            }
            SigningAlg::Es256 => {
                let pair =
                    EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8)
                        .map_err(|_| KeyError("stored P-256 key is invalid"))?;
                let point = pair.public_key().as_ref();
                if point.len() != 65 || point[0] != 4 {
                    return Err(KeyError("unexpected P-256 public key encoding"));
                }
                let members = json!({"crv": "P-256", "kty": "EC", "x": b64(&point[1..33]), "y": b64(&point[33..])});
                (Pair::Ec(pair), members)
            }
            SigningAlg::EdDsa => {
                let pair = Ed25519KeyPair::from_pkcs8(pkcs8)
                    .or_else(|_| Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8))
                    .map_err(|_| KeyError("stored Ed25519 key is invalid"))?;
                let members =
                    json!({"crv": "Ed25519", "kty": "OKP", "x": b64(pair.public_key().as_ref())});
                (Pair::Ed(pair), members)
            }
        };
        let (verification, public): (&'static dyn signature::VerificationAlgorithm, &[u8]) =
            match &pair {
                Pair::Rsa(p) => (
                    &signature::RSA_PKCS1_2048_8192_SHA256,
                    p.public_key().as_ref(),
                ),
                Pair::Ec(p) => (&signature::ECDSA_P256_SHA256_FIXED, p.public_key().as_ref()),
                Pair::Ed(p) => (&signature::ED25519, p.public_key().as_ref()),
            };
        let verifier = signature::ParsedPublicKey::new(verification, public)
            .map_err(|_| KeyError("public key cannot be parsed for verification"))?;
        // RFC 7638 §3: the required members, lexicographically ordered, no
        // whitespace; serde_json's map keeps keys sorted.
        let canonical = serde_json::to_vec(&jwk_members).map_err(|_| KeyError("jwk encoding"))?;
        let kid = b64(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &canonical).as_ref());
        let mut public_jwk = jwk_members;
        if let Value::Object(map) = &mut public_jwk {
            map.insert("kid".into(), Value::String(kid.clone()));
            map.insert("use".into(), Value::String("sig".into()));
            map.insert("alg".into(), Value::String(alg.as_str().into()));
        }
        Ok(Self {
            kid,
            alg,
            pair,
            verifier,
            public_jwk,
        })
    }

    /// The key id published in the JWKS and in every JWS header.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The algorithm this key signs with.
    pub fn alg(&self) -> SigningAlg {
        self.alg
    }

    /// The public key as a JWK (RFC 7517 §4): no private members.
    pub fn public_jwk(&self) -> &Value {
        &self.public_jwk
    }

    /// Signs `message`.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        match &self.pair {
            Pair::Rsa(pair) => {
                let mut sig = vec![0u8; pair.public_modulus_len()];
                pair.sign(&signature::RSA_PKCS1_SHA256, &rng, message, &mut sig)
                    .map_err(|_| KeyError("RSA signing failed"))?;
                Ok(sig)
            }
            Pair::Ec(pair) => pair
                .sign(&rng, message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| KeyError("ECDSA signing failed")),
            Pair::Ed(pair) => Ok(pair.sign(message).as_ref().to_vec()),
        }
    }

    /// Verifies a signature made by this key.
    pub fn verify(&self, message: &[u8], sig: &[u8]) -> Result<(), KeyError> {
        self.verifier
            .verify_sig(message, sig)
            .map_err(|_| KeyError("signature does not verify"))
    }
}
