//! Authentication context: the `acr` and `amr` claims of ID tokens (OIDC
//! Core §2) and the requests for an `acr` (`acr_values`, §3.1.2.1; the
//! `acr` claim of the `claims` parameter, §5.5.1.1).
//!
//! Values:
//! - `amr` (RFC 8176 §2): `["pwd"]` for a password login, the only way a
//!   user signs in today.
//! - `acr`: [`PASSWORD`] (`urn:idp:acr:pwd`), single-factor password
//!   authentication; the only value in `acr_values_supported`.
//!
//! Requests:
//! - `acr_values` is voluntary: honoured as far as possible (the ID token
//!   reports the `acr` actually achieved, whatever was asked).
//! - An essential `acr` claim (`{"id_token":{"acr":{"essential":true,
//!   "values":[…]}}}`, also under `userinfo`) that names no supported value
//!   cannot be satisfied: the request fails with
//!   `unmet_authentication_requirements` (OpenID Connect Core Unmet
//!   Authentication Requirements 1.0 §2; Core §5.5.1.1 treats it as a
//!   failed authentication), before any login page is shown.
//!
//! Not here yet: storing the method with the session (every session starts
//! with a password, so SSO logins report the same context); the MFA issue
//! adds `mfa`/`otp`/`hwk` and keeps them with the session.

use crate::error::{ErrorCode, OAuthError};
use crate::wire::Params;
use serde_json::Value;

/// The `acr` of a single-factor password login.
pub const PASSWORD: &str = "urn:idp:acr:pwd";

/// `acr_values_supported` (OIDC Discovery §3).
pub const SUPPORTED: [&str; 1] = [PASSWORD];

/// How a session's user authenticated: what its ID tokens report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuthenticationContext {
    /// The `acr` claim.
    pub acr: &'static str,
    /// The `amr` claim (RFC 8176 values).
    pub amr: &'static [&'static str],
}

impl AuthenticationContext {
    /// A password login.
    pub const PASSWORD: Self = Self {
        acr: PASSWORD,
        amr: &["pwd"],
    };
}

/// The description of an essential `acr` that cannot be met.
pub const UNMET: &str = "the essential acr requested cannot be satisfied";

/// check_acr: reads `acr_values` (space-separated, voluntary) and an `acr`
/// claim in the `claims` parameter; refuses an essential `acr` that names
/// no supported value. (A malformed `claims` is refused by its own check.)
pub fn check_acr(params: &Params) -> Result<(), OAuthError> {
    // Voluntary: only its syntax matters, the achieved acr is reported.
    let _ = params.single("acr_values")?;
    let Some(raw) = params.single("claims")? else {
        return Ok(());
    };
    let Ok(Value::Object(claims)) = serde_json::from_str::<Value>(raw) else {
        return Ok(());
    };
    for member in ["id_token", "userinfo"] {
        let Some(acr) = claims.get(member).and_then(|m| m.get("acr")) else {
            continue;
        };
        if acr.get("essential").and_then(Value::as_bool) != Some(true) {
            continue;
        }
        let mut wanted: Vec<&str> = Vec::new();
        if let Some(v) = acr.get("value").and_then(Value::as_str) {
            wanted.push(v);
        }
        if let Some(list) = acr.get("values").and_then(Value::as_array) {
            wanted.extend(list.iter().filter_map(Value::as_str));
        }
        // Essential without values: any acr will do.
        if !wanted.is_empty() && !wanted.iter().any(|w| SUPPORTED.contains(w)) {
            return Err(OAuthError::new(
                ErrorCode::UnmetAuthenticationRequirements,
                UNMET,
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(query: &str) -> Result<(), OAuthError> {
        check_acr(&Params::parse(query.as_bytes()))
    }

    #[test]
    fn an_essential_unsupported_acr_is_unmet() {
        let unmet = |claims: &str| {
            check(&format!("claims={}", urlencoding(claims)))
                .err()
                .map(|e| e.code)
        };
        assert_eq!(
            unmet(r#"{"id_token":{"acr":{"essential":true,"values":["urn:x:mfa"]}}}"#),
            Some(ErrorCode::UnmetAuthenticationRequirements)
        );
        assert_eq!(
            unmet(r#"{"userinfo":{"acr":{"essential":true,"value":"urn:x:mfa"}}}"#),
            Some(ErrorCode::UnmetAuthenticationRequirements)
        );
        assert_eq!(
            unmet(
                r#"{"id_token":{"acr":{"essential":true,"values":["urn:x:mfa","urn:idp:acr:pwd"]}}}"#
            ),
            None
        );
        assert_eq!(
            unmet(r#"{"id_token":{"acr":{"values":["urn:x:mfa"]}}}"#),
            None,
            "voluntary"
        );
        assert_eq!(unmet(r#"{"id_token":{"acr":{"essential":true}}}"#), None);
        assert!(check("acr_values=urn%3Ax%3Amfa").is_ok());
        assert!(check("acr_values=a&acr_values=b").is_err());
    }

    fn urlencoding(s: &str) -> String {
        url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
    }
}
