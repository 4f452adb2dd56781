//! Authentication context: the `acr` and `amr` claims of ID tokens (OIDC
//! Core §2) and the requests for an `acr` (`acr_values`, §3.1.2.1; the
//! `acr` claim of the `claims` parameter, §5.5.1.1).
//!
//! Values:
//! - `amr` (RFC 8176 §2): `["pwd"]` for a password login; `["fed", KIND]`
//!   for a sign-in through a tenant's upstream identity provider (`fed` as
//!   in federated, then the upstream's kind: `github`, `google`,
//!   `microsoft`, `oidc`). The session keeps its method, and every code and
//!   refresh token issued in it a copy, so an SSO login or a refresh reports
//!   how the user actually authenticated.
//! - `acr`: [`PASSWORD`] (`urn:idp:acr:pwd`), single-factor password
//!   authentication, the only value in `acr_values_supported`; a federated
//!   sign-in reports [`FEDERATED`] (`urn:idp:acr:fed`): the assurance is the
//!   upstream's, which this provider cannot vouch for.
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
//! Not here yet: the MFA issue adds `mfa`/`otp`/`hwk`.

use crate::error::{ErrorCode, OAuthError};
use crate::wire::Params;
use serde_json::Value;

/// The `acr` of a single-factor password login.
pub const PASSWORD: &str = "urn:idp:acr:pwd";

/// The `acr` of a sign-in through an upstream identity provider.
pub const FEDERATED: &str = "urn:idp:acr:fed";

/// The stored `amr` of a password login.
pub const PASSWORD_AMR: &str = "pwd";

/// The stored `amr` of a sign-in through an upstream of `kind`.
pub fn federated_amr(kind: crate::upstream::UpstreamKind) -> String {
    format!("fed {}", kind.as_str())
}

/// The `acr` reported for a stored `amr` (space-separated values).
pub fn acr_of(amr: &str) -> &'static str {
    if amr.split(' ').any(|v| v == "fed") {
        FEDERATED
    } else {
        PASSWORD
    }
}

/// The `amr` claim's values of a stored `amr`.
pub fn amr_values(amr: &str) -> Vec<&str> {
    amr.split(' ').filter(|v| !v.is_empty()).collect()
}

/// `acr_values_supported` (OIDC Discovery §3).
pub const SUPPORTED: [&str; 1] = [PASSWORD];

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
    fn a_stored_amr_gives_its_claims() {
        assert_eq!(acr_of(PASSWORD_AMR), PASSWORD);
        assert_eq!(amr_values(PASSWORD_AMR), ["pwd"]);
        let fed = federated_amr(crate::upstream::UpstreamKind::Github);
        assert_eq!(acr_of(&fed), FEDERATED);
        assert_eq!(amr_values(&fed), ["fed", "github"]);
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
