//! Proof Key for Code Exchange (RFC 7636), S256 only: `plain` offers no
//! protection once the request leaks, and RFC 9700 §2.1.1 advises against it.

use crate::error::OAuthError;
use crate::jose::b64;
use crate::store::ClientRecord;
use crate::wire::Params;
use subtle::ConstantTimeEq;

/// RFC 7636 §4.1: 43–128 characters of `[A-Za-z0-9-._~]` (the same ABNF
/// bounds the challenge, which for S256 is always 43 characters).
pub fn is_valid_verifier(v: &str) -> bool {
    (43..=128).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// check_pkce: the authorization request's `code_challenge` and
/// `code_challenge_method`. Required when the client requires PKCE; when
/// present it must be S256 (RFC 7636 §4.3; an absent method means `plain`).
pub fn check_challenge(
    client: &ClientRecord,
    params: &Params,
) -> Result<Option<String>, OAuthError> {
    let challenge = params.single("code_challenge")?;
    let method = params.single("code_challenge_method")?;
    match (challenge, method) {
        (None, None) if client.require_pkce => Err(OAuthError::invalid_request(
            "code_challenge is required (PKCE with S256)",
        )),
        (None, None) => Ok(None),
        (None, Some(_)) => Err(OAuthError::invalid_request(
            "code_challenge_method without code_challenge",
        )),
        (Some(_), None | Some("plain")) => Err(OAuthError::invalid_request(
            "code_challenge_method must be S256; plain is not supported",
        )),
        (Some(_), Some(m)) if m != "S256" => Err(OAuthError::invalid_request(
            "code_challenge_method must be S256",
        )),
        (Some(c), Some(_)) if c.len() != 43 || !is_valid_verifier(c) => Err(
            OAuthError::invalid_request("code_challenge must be 43 base64url characters (S256)"),
        ),
        (Some(c), Some(_)) => Ok(Some(c.to_owned())),
    }
}

/// RFC 7636 §4.6: `BASE64URL(SHA256(ASCII(code_verifier))) == code_challenge`,
/// compared in constant time.
pub fn verifier_matches(verifier: &str, challenge: &str) -> bool {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
    b64(digest.as_ref())
        .as_bytes()
        .ct_eq(challenge.as_bytes())
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b_example() {
        assert!(verifier_matches(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
        assert!(!verifier_matches(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
    }

    #[test]
    fn verifier_abnf() {
        assert!(is_valid_verifier(&"a".repeat(43)));
        assert!(is_valid_verifier(&"~._-".repeat(32)));
        assert!(!is_valid_verifier(&"a".repeat(42)));
        assert!(!is_valid_verifier(&"a".repeat(129)));
        assert!(!is_valid_verifier(&format!("{}+", "a".repeat(43))));
    }
}
