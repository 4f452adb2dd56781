//! Human passwords: argon2id with the OWASP parameters (m=19456 KiB, t=2, p=1),
//! the defaults of the `argon2` crate. Roughly 10 ms per hash, so callers run it
//! off the async executor (see [`crate::provider::Offload`]).

use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, PasswordHasher, Version};
use std::cell::RefCell;
use subtle::ConstantTimeEq;

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct PasswordError(String);

/// Shortest password a person may choose (signing up, changing it on the
/// account page), in characters.
pub const MIN_CHARS: usize = 8;
/// Longest, in bytes: keeps argon2id's input small.
pub const MAX_BYTES: usize = 1024;

/// The rule for a password a person chooses: at least [`MIN_CHARS`]
/// characters, at most [`MAX_BYTES`] bytes; `field` names it in the
/// message (`password`, `new password`).
pub fn check_new(field: &str, password: &str) -> Result<(), String> {
    if password.chars().count() < MIN_CHARS {
        return Err(format!("{field} must be at least {MIN_CHARS} characters"));
    }
    if password.len() > MAX_BYTES {
        return Err(format!("{field} must be at most {MAX_BYTES} bytes"));
    }
    Ok(())
}

/// Hashes a password into a PHC string (`$argon2id$v=19$...`).
pub fn hash(password: &str) -> Result<String, PasswordError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| PasswordError(e.to_string()))
}

thread_local! {
    /// argon2id's working memory (19 MiB at the default cost), kept by the
    /// thread that verifies and reused by its next verification. Allocating
    /// it per call let glibc's allocator fragment its arenas under a burst
    /// of logins: ~100 MiB of peak RSS for two hashing threads (issue 5,
    /// BENCHMARKS.md). The server verifies on one thread per core, so this
    /// holds at most one block set per core.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Whether `password` matches the stored PHC string (its algorithm, version,
/// cost and salt), compared in constant time. A malformed stored hash never
/// matches.
pub fn verify(password: &str, phc: &str) -> bool {
    let Ok(hash) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(hash.algorithm.as_str()) else {
        return false;
    };
    let version = match hash.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let Ok(params) = Params::try_from(&hash) else {
        return false;
    };
    let argon2 = Argon2::new(algorithm, version, params);
    let mut out = vec![0u8; expected.len()];
    let computed = MEMORY.with_borrow_mut(|memory| {
        memory.resize(argon2.params().block_count(), Block::new());
        argon2.hash_password_into_with_memory(password.as_bytes(), salt, &mut out, &mut memory[..])
    });
    computed.is_ok() && bool::from(out.as_slice().ct_eq(expected.as_bytes()))
}

/// Spends the same time as a real verification, so that an unknown username
/// cannot be told from a wrong password by timing.
pub fn verify_dummy(password: &str) {
    static DUMMY: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    if let Some(phc) = DUMMY.get_or_init(|| hash("not-a-real-password").ok()) {
        let _ = verify(password, phc);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chosen_passwords_have_a_length_rule() {
        assert_eq!(
            check_new("password", "short").err().as_deref(),
            Some("password must be at least 8 characters")
        );
        // Characters, not bytes: eight accented letters are enough.
        assert!(check_new("password", "éééééééé").is_ok());
        assert!(check_new("new password", &"x".repeat(MAX_BYTES + 1)).is_err());
    }

    #[test]
    fn argon2id_round_trip() -> Result<(), PasswordError> {
        let phc = hash("correct horse")?;
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify("correct horse", &phc));
        assert!(!verify("correct horsf", &phc));
        assert!(!verify("correct horse", "not a phc string"));
        // Another cost, from another system: its own parameters are used.
        let reference = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8, 1, 1, Some(16)).map_err(|e| PasswordError(e.to_string()))?,
        );
        let mut out = [0u8; 16];
        reference
            .hash_password_into(b"pw", b"somesaltsomesalt", &mut out)
            .map_err(|e| PasswordError(e.to_string()))?;
        let phc = format!(
            "$argon2id$v=19$m=8,t=1,p=1$c29tZXNhbHRzb21lc2FsdA${}",
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD_NO_PAD, out)
        );
        assert!(verify("pw", &phc));
        assert!(!verify("px", &phc));
        Ok(())
    }
}
