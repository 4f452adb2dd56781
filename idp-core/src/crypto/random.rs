//! Random values from the operating system's CSPRNG (via aws-lc-rs).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// `N` random bytes.
pub fn bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    // The system RNG failing is unrecoverable for an identity provider: never
    // hand out a predictable secret.
    #[allow(clippy::expect_used)]
    aws_lc_rs::rand::fill(&mut out).expect("system random number generator failed");
    out
}

/// A random token of `n_bytes` bytes of entropy, base64url without padding:
/// only unreserved URL characters (RFC 3986 §2.3), safe in any URL or form.
pub fn token(n_bytes: usize) -> String {
    let mut buf = vec![0u8; n_bytes];
    #[allow(clippy::expect_used)]
    aws_lc_rs::rand::fill(&mut buf).expect("system random number generator failed");
    URL_SAFE_NO_PAD.encode(&buf)
}

/// A 256-bit secret for codes, tokens, sessions and client secrets.
pub fn secret() -> String {
    token(32)
}

/// `len` characters drawn uniformly from `alphabet` (rejection sampling, so
/// no character is more likely than another).
pub fn from_alphabet(alphabet: &[u8], len: usize) -> String {
    let n = alphabet.len().clamp(1, 256);
    // The largest multiple of n that fits in a byte: bytes above it are redrawn.
    let limit = 256 - 256 % n;
    let mut out = String::with_capacity(len);
    while out.len() < len {
        for b in bytes::<32>() {
            if usize::from(b) < limit && out.len() < len {
                out.push(char::from(alphabet[usize::from(b) % n]));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_unreserved_and_distinct() {
        let a = secret();
        let b = secret();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
    }
}
