//! Hashes of server-generated secrets (client secrets, codes, refresh tokens,
//! session cookies). They carry 256 bits of entropy, so a fast hash is right:
//! a password KDF would only cap throughput. Only these hashes are stored, so a
//! database dump yields nothing usable.

use subtle::ConstantTimeEq;

/// SHA-256 of a secret.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SecretHash([u8; 32]);

impl std::fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretHash(..)")
    }
}

impl SecretHash {
    /// Hashes a secret as presented by a client or browser.
    pub fn of(secret: &str) -> Self {
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, secret.as_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(digest.as_ref());
        Self(out)
    }

    /// Rebuilds a hash read from storage; `None` if it has the wrong length.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; 32]>::try_from(bytes).ok().map(Self)
    }

    /// The raw digest, for storage.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Whether `candidate` hashes to this value, compared in constant time.
    pub fn matches(&self, candidate: &str) -> bool {
        Self::of(candidate).0.ct_eq(&self.0).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_only_the_same_secret() {
        let h = SecretHash::of("s3cret");
        assert!(h.matches("s3cret"));
        assert!(!h.matches("s3cret "));
        assert_eq!(SecretHash::from_slice(h.as_bytes()), Some(h));
        assert_eq!(SecretHash::from_slice(&[0; 31]), None);
    }
}
