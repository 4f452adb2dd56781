//! Provider metadata: OpenID Connect Discovery 1.0 §3 and RFC 8414 §2 share
//! one document. It lists only what is implemented, and only the endpoints
//! somebody answers: the host's pages it declared
//! ([`crate::ProviderConfig::host_endpoints`]), every URL from the one
//! table ([`crate::endpoint`]).

use crate::endpoint::{Endpoint, EndpointSet};
use crate::jwks::SigningAlg;
use bytes::Bytes;
use serde_json::json;

/// The metadata document of the issuer `issuer`, serialized once per
/// tenant; `host` is the set of pages the host serves.
pub fn document(issuer: &str, dynamic_registration: bool, host: EndpointSet) -> Bytes {
    let algs: Vec<&str> = SigningAlg::ALL.iter().map(|a| a.as_str()).collect();
    let url = |e: Endpoint| format!("{issuer}{}", e.path());
    let device = host.contains(Endpoint::Device);
    let mut grant_types = vec!["authorization_code", "refresh_token", "client_credentials"];
    if device {
        grant_types.push("urn:ietf:params:oauth:grant-type:device_code");
    }
    let doc = json!({
        "issuer": issuer,
        "authorization_endpoint": url(Endpoint::Authorize),
        "token_endpoint": url(Endpoint::Token),
        "userinfo_endpoint": url(Endpoint::Userinfo),
        "jwks_uri": url(Endpoint::Jwks),
        "revocation_endpoint": url(Endpoint::Revoke),
        "introspection_endpoint": url(Endpoint::Introspect),
        // Back-Channel Logout §2.1: `iss` and `sid` are always sent. Logout
        // Tokens go out whenever a session ends (sign-out, or an operator
        // revoking it), with or without the host's logout page.
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
        "scopes_supported": crate::scope::SUPPORTED,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "form_post"],
        "grant_types_supported": grant_types,
        // OIDC Core §8 (crate::subject) and §2 acr (crate::acr).
        "subject_types_supported": ["public", "pairwise"],
        "acr_values_supported": crate::acr::SUPPORTED,
        "id_token_signing_alg_values_supported": algs,
        "userinfo_signing_alg_values_supported": algs,
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic", "client_secret_post", "private_key_jwt", "none"
        ],
        "token_endpoint_auth_signing_alg_values_supported": algs,
        // RFC 7009 §2 and RFC 7662 §2.1: public clients may revoke their own
        // tokens; introspection needs a confidential client.
        "revocation_endpoint_auth_methods_supported": [
            "client_secret_basic", "client_secret_post", "private_key_jwt", "none"
        ],
        "revocation_endpoint_auth_signing_alg_values_supported": algs,
        "introspection_endpoint_auth_methods_supported": [
            "client_secret_basic", "client_secret_post", "private_key_jwt"
        ],
        "introspection_endpoint_auth_signing_alg_values_supported": algs,
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": [
            "sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "sid", "azp",
            "acr", "amr", "name", "preferred_username", "updated_at", "email", "email_verified",
            crate::roles_claim::CLAIM
        ],
        "claims_parameter_supported": true,
        "request_parameter_supported": true,
        "request_uri_parameter_supported": true,
        "require_request_uri_registration": true,
        "request_object_signing_alg_values_supported": ["none", "RS256", "ES256", "EdDSA"],
        "authorization_response_iss_parameter_supported": true,
        // RFC 9126 §5; clients may still require it for themselves (§6).
        "pushed_authorization_request_endpoint": url(Endpoint::PushedAuthorizationRequest),
        "require_pushed_authorization_requests": false,
    });
    let mut doc = doc;
    if let Some(m) = doc.as_object_mut() {
        if dynamic_registration {
            m.insert(
                "registration_endpoint".into(),
                json!(url(Endpoint::Register)),
            );
        }
        if device {
            m.insert(
                "device_authorization_endpoint".into(),
                json!(url(Endpoint::DeviceAuthorization)),
            );
        }
        // RP-Initiated Logout 1.0 §2.1; Front-Channel Logout 1.0 §3: the
        // front channel is the OP's logout page loading the RPs' iframes,
        // so it is offered only with that page.
        if host.contains(Endpoint::Logout) {
            m.insert("end_session_endpoint".into(), json!(url(Endpoint::Logout)));
            m.insert("frontchannel_logout_supported".into(), json!(true));
            m.insert("frontchannel_logout_session_supported".into(), json!(true));
        }
    }
    Bytes::from(serde_json::to_vec(&doc).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(host: EndpointSet) -> serde_json::Value {
        serde_json::from_slice(&document("https://idp.example/t/a", false, host))
            .unwrap_or_default()
    }

    #[test]
    fn names_only_the_pages_the_host_serves() {
        let minimal = doc(EndpointSet::INTERACTION);
        for absent in [
            "end_session_endpoint",
            "frontchannel_logout_supported",
            "device_authorization_endpoint",
            "registration_endpoint",
        ] {
            assert!(minimal.get(absent).is_none(), "{absent}");
        }
        assert_eq!(minimal["backchannel_logout_supported"], true);
        assert!(
            !minimal["grant_types_supported"]
                .to_string()
                .contains("device_code")
        );
        // RFC 9126 §5: the provider's own endpoint, whatever the host serves.
        assert_eq!(
            minimal["pushed_authorization_request_endpoint"],
            "https://idp.example/t/a/par"
        );
        assert_eq!(minimal["require_pushed_authorization_requests"], false);
        let full = doc(EndpointSet::ALL_PAGES);
        assert_eq!(
            full["end_session_endpoint"],
            "https://idp.example/t/a/logout"
        );
        assert_eq!(full["frontchannel_logout_supported"], true);
        assert_eq!(
            full["device_authorization_endpoint"],
            "https://idp.example/t/a/device_authorization"
        );
        assert!(
            full["grant_types_supported"]
                .to_string()
                .contains("device_code")
        );
    }
}
