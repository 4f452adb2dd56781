//! A hashcash-style proof of work for the sign-up form: the server hands
//! out a challenge, the browser finds a `nonce` such that
//! `SHA-256(challenge ":" nonce)` starts with at least `bits` zero bits,
//! and the form carries both back. It costs a person's browser about a
//! second once, and a script that wants thousands of organisations
//! thousands of seconds; it needs no third-party service.
//!
//! A challenge is stateless until it is spent: it is the platform master
//! key's seal ([`MasterKey::seal_platform`]) over its expiry, its
//! difficulty and 16 random bytes, bound (as the seal's additional data)
//! to the form's CSRF token, so it cannot be moved to another browser's
//! form, altered or forged. Any instance sharing `ENCRYPTION_KEY` can check
//! it; each instance spends it once ([`super::ledger`]).
//!
//! Limitations: a challenge spent on one instance of a cluster could be
//! spent once more on each other instance before it expires; the
//! per-address rate limit bounds that.

use crate::clock::UnixTime;
use crate::crypto::envelope::MasterKey;
use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The default difficulty: 2^18 hashes on average, about a second for a
/// phone's JavaScript, a fraction of one for a laptop.
pub const DEFAULT_BITS: u8 = 18;
/// The most a configuration may ask: 2^32 hashes would take a browser hours.
pub const MAX_BITS: u8 = 32;
/// How long a challenge may be solved and submitted, in seconds.
pub const DEFAULT_LIFETIME: i64 = 15 * 60;
/// The longest nonce accepted (a decimal counter fits in 20).
const MAX_NONCE: usize = 32;

/// Issues and checks challenges at one difficulty.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProofOfWork {
    /// Leading zero bits a solution's hash must have.
    pub bits: u8,
    /// Seconds a challenge stays valid.
    pub lifetime: i64,
}

impl Default for ProofOfWork {
    fn default() -> Self {
        Self {
            bits: DEFAULT_BITS,
            lifetime: DEFAULT_LIFETIME,
        }
    }
}

/// A spent-once identity of a checked challenge, and until when it matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Solved {
    /// SHA-256 of the challenge: the ledger's key.
    pub id: [u8; 32],
    /// When the challenge expires (after that it is refused anyway).
    pub expires_at: UnixTime,
}

/// Why a solution was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PowError {
    /// No challenge or nonce, or not one this platform issued for this form.
    #[error("the form's challenge is missing or not valid for this form")]
    Invalid,
    /// The challenge is older than its lifetime.
    #[error("the form's challenge has expired")]
    Expired,
    /// The nonce does not solve the challenge.
    #[error("the proof of work does not solve the challenge")]
    Unsolved,
}

/// Where a challenge bound to `binding` is sealed (the seal's AAD).
fn location(binding: &str) -> String {
    let h = digest(&SHA256, binding.as_bytes());
    format!("signup/challenge/{}", URL_SAFE_NO_PAD.encode(h.as_ref()))
}

/// The number of leading zero bits of `hash`.
pub fn leading_zero_bits(hash: &[u8]) -> u32 {
    let mut n = 0;
    for b in hash {
        if *b == 0 {
            n += 8;
        } else {
            return n + b.leading_zeros();
        }
    }
    n
}

/// Whether `nonce` solves `challenge` at `bits`.
pub fn solves(challenge: &str, nonce: &str, bits: u8) -> bool {
    let input = format!("{challenge}:{nonce}");
    leading_zero_bits(digest(&SHA256, input.as_bytes()).as_ref()) >= u32::from(bits)
}

impl ProofOfWork {
    /// A new challenge for the form whose CSRF token is `binding`.
    pub fn issue(&self, key: &MasterKey, binding: &str, now: UnixTime) -> Option<String> {
        let mut plain = Vec::with_capacity(25);
        plain.extend_from_slice(&(now + self.lifetime).to_be_bytes());
        plain.push(self.bits);
        plain.extend_from_slice(&crate::crypto::random::bytes::<16>());
        let sealed = key.seal_platform(&plain, &location(binding)).ok()?;
        Some(URL_SAFE_NO_PAD.encode(sealed))
    }

    /// Checks that `nonce` solves `challenge`, issued for `binding`, not
    /// expired, at no less than this difficulty.
    pub fn check(
        &self,
        key: &MasterKey,
        binding: &str,
        challenge: &str,
        nonce: &str,
        now: UnixTime,
    ) -> Result<Solved, PowError> {
        if nonce.is_empty() || nonce.len() > MAX_NONCE || challenge.len() > 512 {
            return Err(PowError::Invalid);
        }
        let sealed = URL_SAFE_NO_PAD
            .decode(challenge)
            .map_err(|_| PowError::Invalid)?;
        let plain = key
            .open_platform(&sealed, &location(binding))
            .map_err(|_| PowError::Invalid)?;
        let (expiry, rest) = plain.split_first_chunk::<8>().ok_or(PowError::Invalid)?;
        let bits = *rest.first().ok_or(PowError::Invalid)?;
        let expires_at = i64::from_be_bytes(*expiry);
        if now >= expires_at {
            return Err(PowError::Expired);
        }
        // A challenge issued at a lower difficulty than today's is not
        // worth less work.
        if !solves(challenge, nonce, bits.max(self.bits)) {
            return Err(PowError::Unsolved);
        }
        let mut id = [0u8; 32];
        id.copy_from_slice(digest(&SHA256, challenge.as_bytes()).as_ref());
        Ok(Solved { id, expires_at })
    }
}

/// Finds a nonce for `challenge` at `bits` (tests and tools; browsers run
/// the same loop in the served script).
pub fn solve(challenge: &str, bits: u8) -> String {
    (0u64..)
        .map(|n| n.to_string())
        .find(|n| solves(challenge, n, bits))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> MasterKey {
        MasterKey::from_hex(&"11".repeat(32)).unwrap_or_else(|_| unreachable!())
    }

    #[test]
    fn counts_leading_zero_bits() {
        assert_eq!(leading_zero_bits(&[0, 0, 0x80]), 16);
        assert_eq!(leading_zero_bits(&[0, 0x0f]), 12);
        assert_eq!(leading_zero_bits(&[0xff]), 0);
        assert_eq!(leading_zero_bits(&[0, 0]), 16);
    }

    #[test]
    fn a_solution_checks_only_for_its_form_and_time() {
        let pow = ProofOfWork {
            bits: 8,
            lifetime: 60,
        };
        let c = pow.issue(&key(), "csrf-a", 1000).unwrap_or_default();
        let n = solve(&c, 8);
        assert!(pow.check(&key(), "csrf-a", &c, &n, 1000).is_ok());
        assert_eq!(
            pow.check(&key(), "csrf-b", &c, &n, 1000),
            Err(PowError::Invalid)
        );
        assert_eq!(
            pow.check(&key(), "csrf-a", &c, &n, 1060),
            Err(PowError::Expired)
        );
        let wrong = (0u64..)
            .map(|i| i.to_string())
            .find(|i| !solves(&c, i, 8))
            .unwrap_or_default();
        assert_eq!(
            pow.check(&key(), "csrf-a", &c, &wrong, 1000),
            Err(PowError::Unsolved)
        );
        assert_eq!(
            pow.check(&key(), "csrf-a", "garbage", &n, 1000),
            Err(PowError::Invalid)
        );
    }
}
