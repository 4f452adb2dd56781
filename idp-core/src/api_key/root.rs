//! The platform's root key pair: Ed25519, generated on first use, stored
//! once for the whole platform with its private half sealed under the
//! master key.
//!
//! The sealed blob is `len (2, big-endian) || wrapped data key || sealed
//! private key`: a fresh [`DataKey`] wrapped by the [`MasterKey`] (bound to
//! the pseudo-tenant [`WRAP_LABEL`], which no tenant id can equal: tenant
//! ids are 22 characters), and the 32 private-key bytes sealed under it
//! with XChaCha20-Poly1305, bound to [`LOCATION`]. Plaintext key bytes are
//! wiped after use.

use super::ApiKeyError;
use crate::crypto::envelope::{DataKey, MasterKey};
use biscuit_auth::{Algorithm, KeyPair, PrivateKey, PublicKey};
use zeroize::{Zeroize, Zeroizing};

/// Where the private key is sealed (the associated data).
pub const LOCATION: &str = "api_key_root/private_key";
/// The name the data key is wrapped under.
pub const WRAP_LABEL: &str = "_api_key_root";

/// A fresh root key pair, sealed for storage (the candidate given to
/// `ApiKeyStore::api_key_root`).
pub fn generate_sealed(master: &MasterKey) -> Result<Vec<u8>, ApiKeyError> {
    let mut raw = crate::crypto::random::bytes::<32>();
    let sealed = seal(master, &raw);
    raw.zeroize();
    sealed
}

/// Seals the 32 private-key bytes `raw`.
fn seal(master: &MasterKey, raw: &[u8]) -> Result<Vec<u8>, ApiKeyError> {
    let data_key = DataKey::generate();
    let wrapped = master
        .wrap(&data_key, WRAP_LABEL)
        .map_err(|e| ApiKeyError::Build(e.to_string()))?;
    let sealed = data_key
        .seal(raw, LOCATION)
        .map_err(|e| ApiKeyError::Build(e.to_string()))?;
    let len = u16::try_from(wrapped.len()).map_err(|_| ApiKeyError::Build("wrapped key".into()))?;
    let mut out = Vec::with_capacity(2 + wrapped.len() + sealed.len());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&wrapped);
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// Opens a stored root: the key pair that signs new keys.
pub fn open(master: &MasterKey, blob: &[u8]) -> Result<KeyPair, ApiKeyError> {
    let unreadable = || ApiKeyError::Build("API key root cannot be opened".into());
    let (len, rest) = blob.split_at_checked(2).ok_or_else(unreadable)?;
    let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
    let (wrapped, sealed) = rest.split_at_checked(len).ok_or_else(unreadable)?;
    let data_key = master
        .unwrap(wrapped, WRAP_LABEL)
        .map_err(|_| unreadable())?;
    let raw = Zeroizing::new(data_key.open(sealed, LOCATION).map_err(|_| unreadable())?);
    let private = PrivateKey::from_bytes(&raw, Algorithm::Ed25519).map_err(|_| unreadable())?;
    Ok(KeyPair::from(&private))
}

/// The public half of a stored root: what verifiers hold.
pub fn public(master: &MasterKey, blob: &[u8]) -> Result<PublicKey, ApiKeyError> {
    open(master, blob).map(|pair| pair.public())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn master() -> Result<MasterKey, Box<dyn std::error::Error>> {
        Ok(MasterKey::from_hex(&MasterKey::generate_hex())?)
    }

    #[test]
    fn a_sealed_root_opens_only_under_its_master_key() -> Result<(), Box<dyn std::error::Error>> {
        let m = master()?;
        let blob = generate_sealed(&m)?;
        let pair = open(&m, &blob)?;
        assert_eq!(public(&m, &blob)?, pair.public());
        assert!(open(&master()?, &blob).is_err());
        let mut tampered = blob.clone();
        if let Some(last) = tampered.last_mut() {
            *last ^= 1;
        }
        assert!(open(&m, &tampered).is_err());
        assert!(open(&m, &blob[..1]).is_err());
        assert!(open(&m, &[0xff, 0xff, 1]).is_err());
        Ok(())
    }

    #[test]
    fn each_candidate_is_a_new_key() -> Result<(), Box<dyn std::error::Error>> {
        let m = master()?;
        let a = public(&m, &generate_sealed(&m)?)?;
        let b = public(&m, &generate_sealed(&m)?)?;
        assert_ne!(a, b);
        Ok(())
    }
}
