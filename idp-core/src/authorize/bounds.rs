//! Size bounds on the authorization request (RFC 6749 §3.1, OIDC Core
//! §3.1.2.1). Anyone can send one without credentials and the provider keeps
//! what it validates as an interaction until the person signs in, so every
//! parameter and the request as a whole have a ceiling that real clients
//! never reach; beyond it the request is refused with `invalid_request`
//! (RFC 6749 §4.1.2.1) and nothing is stored.
//!
//! Lengths are counted in bytes of the decoded (UTF-8) value; the whole
//! request is counted as sent (the encoded query string or form body).
//!
//! | parameter | at most | why this much |
//! |---|---|---|
//! | the whole query or body | 16 KiB | many proxies refuse request lines over 8 KiB |
//! | `state` | 4 KiB | frameworks that pack their own data into it (ASP.NET Core's protected properties) stay under 2 KiB |
//! | `nonce`, `login_hint`, `acr_values` | 512 | a random value, an email (RFC 5321: 254), a few ACR names |
//! | `client_id` | 256 | ids this provider issues are 20-odd characters |
//! | `redirect_uri`, `resource`, any other | 2 KiB | registered URIs are capped the same way |
//! | `scope` | 1 KiB | unknown scopes are ignored anyway |
//! | `claims` | 4 KiB | OIDC Core §5.5 requests name a few dozen claims |
//! | `id_token_hint` | 8 KiB | an ID token this provider issued |
//! | `request` | 12 KiB | a signed object carrying the parameters above |
//! | `request_uri` | 512 | OIDC Core §6.2: "MUST NOT exceed 512 ASCII characters" |
//! | `code_challenge` | 128 | RFC 7636 §4.2: S256 gives 43 |
//! | `ui_locales`, `claims_locales` | 256 | a handful of BCP 47 tags |
//! | short enumerations (`response_type`, `prompt`, `max_age`, ...) | 64 | their values are words |
//!
//! The validated request is kept only if its serialized form is at most
//! [`MAX_STORED_REQUEST`], whatever the characters inside expand to in JSON.

use crate::error::{ErrorCode, OAuthError};
use crate::wire::Params;

/// The whole query string or form body, in bytes as sent.
pub const MAX_REQUEST_BYTES: usize = 16 * 1024;

/// A validated request as stored in an interaction (its JSON), in bytes.
pub const MAX_STORED_REQUEST: usize = 16 * 1024;

/// Any parameter not named in [`limit`].
const DEFAULT_LIMIT: usize = 2048;

/// The bound on parameter `name`, in bytes of its decoded value.
pub fn limit(name: &str) -> usize {
    match name {
        "state" => 4096,
        "nonce" | "login_hint" | "acr_values" | "request_uri" => 512,
        "client_id" => 256,
        "scope" => 1024,
        "claims" => 4096,
        "id_token_hint" => 8192,
        "request" => 12 * 1024,
        "code_challenge" => 128,
        "ui_locales" | "claims_locales" => 256,
        "response_type"
        | "response_mode"
        | "prompt"
        | "display"
        | "max_age"
        | "code_challenge_method" => 64,
        _ => DEFAULT_LIMIT,
    }
}

/// Whether `value` fits the bound of parameter `name`.
pub fn fits(name: &str, value: &str) -> bool {
    value.len() <= limit(name)
}

/// check_request_size: the query string or form body as a whole.
pub fn check_request_size(raw: &[u8]) -> Result<(), OAuthError> {
    if raw.len() > MAX_REQUEST_BYTES {
        return Err(OAuthError::with(
            ErrorCode::InvalidRequest,
            format!("the authorization request is longer than {MAX_REQUEST_BYTES} bytes"),
        ));
    }
    Ok(())
}

/// check_parameter_sizes: every parameter, named or not, within its bound.
/// A name longer than any real parameter's is not quoted back.
pub fn check_parameter_sizes(params: &Params) -> Result<(), OAuthError> {
    match params.pairs().iter().find(|(k, v)| !fits(k, v)) {
        None => Ok(()),
        Some((name, _)) => {
            let max = limit(name);
            let which = if name.len() > 32 {
                "a parameter".to_owned()
            } else {
                format!("parameter '{name}'")
            };
            Err(OAuthError::with(
                ErrorCode::InvalidRequest,
                format!("{which} is longer than {max} bytes"),
            ))
        }
    }
}

/// check_stored_size: the serialized request, before it is stored.
pub fn check_stored_size(request_json: &str) -> Result<(), OAuthError> {
    if request_json.len() > MAX_STORED_REQUEST {
        return Err(OAuthError::with(
            ErrorCode::InvalidRequest,
            format!(
                "the authorization request is larger than {MAX_STORED_REQUEST} bytes once validated"
            ),
        ));
    }
    Ok(())
}

/// `state` as it may be echoed in an error: absent when over its bound, so
/// that a refused request is not reflected back at full size.
pub fn echoable_state(state: Option<&str>) -> Option<&str> {
    state.filter(|s| fits("state", s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_over_their_bound_are_refused_by_name() {
        let ok = Params::from_pairs(vec![
            ("state".into(), "s".repeat(4096)),
            ("nonce".into(), "n".repeat(512)),
        ]);
        assert_eq!(check_parameter_sizes(&ok), Ok(()));
        let long = Params::from_pairs(vec![("nonce".into(), "n".repeat(513))]);
        let e = check_parameter_sizes(&long).err();
        assert_eq!(
            e.map(|e| e.description.into_owned()),
            Some("parameter 'nonce' is longer than 512 bytes".to_owned())
        );
    }

    #[test]
    fn unknown_long_names_are_not_echoed() {
        let name = "x".repeat(5000);
        let p = Params::from_pairs(vec![(name, "v".repeat(3000))]);
        let e = check_parameter_sizes(&p).err();
        assert_eq!(
            e.map(|e| e.description.into_owned()),
            Some("a parameter is longer than 2048 bytes".to_owned())
        );
    }

    #[test]
    fn the_whole_request_and_the_stored_form_are_bounded() {
        assert!(check_request_size(&[b'a'; MAX_REQUEST_BYTES]).is_ok());
        assert!(check_request_size(&[b'a'; MAX_REQUEST_BYTES + 1]).is_err());
        assert!(check_stored_size(&"x".repeat(MAX_STORED_REQUEST + 1)).is_err());
        assert_eq!(echoable_state(Some(&"s".repeat(4097))), None);
        assert_eq!(echoable_state(Some("abc")), Some("abc"));
    }

    #[test]
    fn the_request_uri_bound_is_the_one_oidc_sets() {
        assert_eq!(limit("request_uri"), 512);
    }
}
