//! Envelope encryption of secrets at rest (XChaCha20-Poly1305).
//!
//! The master key (from `ENCRYPTION_KEY`) wraps one data key per tenant; the
//! data key seals that tenant's secrets (private signing keys, later upstream
//! client secrets). Every ciphertext is bound with associated data to where it
//! lives (tenant, table, column, row), so a blob copied to another row or
//! tenant fails to open. A leading version byte lets the master key rotate by
//! rewrapping data keys only.
//!
//! Layout: `version (1) || nonce (24) || ciphertext || tag (16)`.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use zeroize::{Zeroize, ZeroizeOnDrop};

const VERSION: u8 = 1;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;

/// Why a sealed value could not be opened or a key could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EnvelopeError {
    /// The master key is not 64 hexadecimal characters.
    #[error("ENCRYPTION_KEY must be 64 hexadecimal characters (32 bytes)")]
    MalformedKey,
    /// Wrong key, tampered ciphertext, or associated data of another row.
    #[error("sealed value could not be opened (wrong key, or moved or altered data)")]
    Open,
    /// Encryption failed (never expected with valid inputs).
    #[error("sealing failed")]
    Seal,
}

/// A 256-bit symmetric key, wiped from memory on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
struct SymmetricKey([u8; 32]);

impl SymmetricKey {
    fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, EnvelopeError> {
        let cipher = XChaCha20Poly1305::new(&Key::from(self.0));
        let nonce_bytes = crate::crypto::random::bytes::<NONCE_LEN>();
        let ciphertext = cipher
            .encrypt(
                &XNonce::from(nonce_bytes),
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .map_err(|_| EnvelopeError::Seal)?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(&ciphertext);
        Ok(out)
    }

    fn open(&self, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, EnvelopeError> {
        if sealed.len() < 1 + NONCE_LEN + TAG_LEN || sealed[0] != VERSION {
            return Err(EnvelopeError::Open);
        }
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&sealed[1..1 + NONCE_LEN]);
        let cipher = XChaCha20Poly1305::new(&Key::from(self.0));
        cipher
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &sealed[1 + NONCE_LEN..],
                    aad,
                },
            )
            .map_err(|_| EnvelopeError::Open)
    }
}

/// The platform's master key. It only ever wraps data keys.
#[derive(Clone)]
pub struct MasterKey(SymmetricKey);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

impl MasterKey {
    /// Parses 64 hexadecimal characters.
    pub fn from_hex(hex: &str) -> Result<Self, EnvelopeError> {
        let hex = hex.trim();
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(EnvelopeError::MalformedKey);
        }
        let mut key = [0u8; 32];
        for (i, chunk) in hex.as_bytes().chunks(2).enumerate() {
            let s = std::str::from_utf8(chunk).map_err(|_| EnvelopeError::MalformedKey)?;
            key[i] = u8::from_str_radix(s, 16).map_err(|_| EnvelopeError::MalformedKey)?;
        }
        let master = Self(SymmetricKey(key));
        key.zeroize();
        Ok(master)
    }

    /// A fresh random master key, as 64 hexadecimal characters (development mode).
    pub fn generate_hex() -> String {
        let mut key = crate::crypto::random::bytes::<32>();
        let hex = key.iter().map(|b| format!("{b:02x}")).collect();
        key.zeroize();
        hex
    }

    /// Wraps a tenant's data key for storage, bound to that tenant.
    pub fn wrap(&self, data_key: &DataKey, tenant: &str) -> Result<Vec<u8>, EnvelopeError> {
        self.0.seal(&data_key.0.0, &wrap_aad(tenant))
    }

    /// Unwraps a tenant's stored data key.
    pub fn unwrap(&self, wrapped: &[u8], tenant: &str) -> Result<DataKey, EnvelopeError> {
        let mut raw = self.0.open(wrapped, &wrap_aad(tenant))?;
        let key = <[u8; 32]>::try_from(raw.as_slice()).map_err(|_| EnvelopeError::Open);
        raw.zeroize();
        Ok(DataKey(SymmetricKey(key?)))
    }
}

impl MasterKey {
    /// Seals a platform secret, one that belongs to no tenant (an admin
    /// API response kept for an idempotency key), bound to `location`.
    pub fn seal_platform(
        &self,
        plaintext: &[u8],
        location: &str,
    ) -> Result<Vec<u8>, EnvelopeError> {
        self.0.seal(plaintext, &platform_aad(location))
    }

    /// Opens what [`MasterKey::seal_platform`] sealed at `location`.
    pub fn open_platform(&self, sealed: &[u8], location: &str) -> Result<Vec<u8>, EnvelopeError> {
        self.0.open(sealed, &platform_aad(location))
    }
}

fn platform_aad(location: &str) -> Vec<u8> {
    format!("idp/v1/platform/{location}").into_bytes()
}

fn wrap_aad(tenant: &str) -> Vec<u8> {
    format!("idp/v1/tenants/{tenant}/data_key").into_bytes()
}

/// A tenant's data key: seals that tenant's secrets.
#[derive(Clone)]
pub struct DataKey(SymmetricKey);

impl DataKey {
    /// A fresh random data key.
    pub fn generate() -> Self {
        Self(SymmetricKey(crate::crypto::random::bytes::<32>()))
    }

    /// Seals `plaintext`, bound to `location` (for example
    /// `tenant/{id}/signing_keys/{kid}/private_key`).
    pub fn seal(&self, plaintext: &[u8], location: &str) -> Result<Vec<u8>, EnvelopeError> {
        self.0.seal(plaintext, location.as_bytes())
    }

    /// Opens a value sealed for the same `location`.
    pub fn open(&self, sealed: &[u8], location: &str) -> Result<Vec<u8>, EnvelopeError> {
        self.0.open(sealed, location.as_bytes())
    }

    /// A key for one purpose, derived from this one with HMAC-SHA-256 over
    /// `label` (a key-derivation PRF, RFC 5869 §2.3 style with one block):
    /// keys of different labels are independent, and none reveals the data key.
    pub fn derive(&self, label: &str) -> DataKey {
        let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &self.0.0);
        let tag = aws_lc_rs::hmac::sign(&key, label.as_bytes());
        let mut raw = [0u8; 32];
        raw.copy_from_slice(tag.as_ref());
        let derived = DataKey(SymmetricKey(raw));
        raw.zeroize();
        derived
    }

    /// HMAC-SHA-256 of `message` under this key.
    pub fn mac(&self, message: &[u8]) -> [u8; 32] {
        let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &self.0.0);
        let mut out = [0u8; 32];
        out.copy_from_slice(aws_lc_rs::hmac::sign(&key, message).as_ref());
        out
    }
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn master() -> MasterKey {
        MasterKey::from_hex(&MasterKey::generate_hex()).unwrap_or_else(|_| unreachable!())
    }

    #[test]
    fn rejects_malformed_master_keys() {
        assert_eq!(
            MasterKey::from_hex("abc").err(),
            Some(EnvelopeError::MalformedKey)
        );
        assert!(MasterKey::from_hex(&"g".repeat(64)).is_err());
        assert!(MasterKey::from_hex(&"0f".repeat(32)).is_ok());
    }

    #[test]
    fn data_key_round_trips_and_is_bound_to_its_tenant() -> Result<(), EnvelopeError> {
        let m = master();
        let dk = DataKey::generate();
        let wrapped = m.wrap(&dk, "t1")?;
        let back = m.unwrap(&wrapped, "t1")?;
        let sealed = back.seal(b"private key", "t1/keys/k1")?;
        assert_eq!(dk.open(&sealed, "t1/keys/k1")?, b"private key");
        assert_eq!(m.unwrap(&wrapped, "t2").err(), Some(EnvelopeError::Open));
        assert_eq!(
            dk.open(&sealed, "t1/keys/k2").err(),
            Some(EnvelopeError::Open)
        );
        assert_eq!(
            master().unwrap(&wrapped, "t1").err(),
            Some(EnvelopeError::Open)
        );
        Ok(())
    }

    #[test]
    fn tampering_is_detected() -> Result<(), EnvelopeError> {
        let dk = DataKey::generate();
        let mut sealed = dk.seal(b"x", "loc")?;
        let last = sealed.len() - 1;
        sealed[last] ^= 1;
        assert_eq!(dk.open(&sealed, "loc").err(), Some(EnvelopeError::Open));
        assert_eq!(dk.open(&[1, 2, 3], "loc").err(), Some(EnvelopeError::Open));
        Ok(())
    }
}
