//! Registration-time checks of the URIs the provider will itself request:
//! `jwks_uri` (RFC 7591 §2), `request_uris` (OIDC Core §6.2),
//! `backchannel_logout_uri` (Back-Channel Logout 1.0 §2.2) and
//! `sector_identifier_uri` (OIDC Registration §2). Each must pass the
//! provider's [`OutboundPolicy`]: absolute, https (http only where the
//! operator allows it), no user name or password, and no address written in
//! the URL that is loopback, private, link-local or otherwise internal
//! unless allowed. A host name is checked again, on every address it
//! resolves to, each time it is requested (the application's HTTP client
//! enforces the same policy), since what it resolves to can change.
//!
//! Fragments: `request_uris` may carry one (OIDC Core §6.2 uses it to tell
//! versions apart), the logout URIs are checked for it with every client's.

use super::NewClient;
use crate::admin::AdminError;
use crate::outbound::OutboundPolicy;
use serde_json::Value;

fn check(policy: &OutboundPolicy, name: &str, uri: &str) -> Result<(), AdminError> {
    policy
        .check_str(uri)
        .map(|_| ())
        .map_err(|refusal| AdminError::invalid(name, format!("{name} '{uri}' {refusal}")))
}

/// Checks the outbound URIs of `new` and, for a self-registered client, of
/// its other metadata (`metadata`, the JSON object kept with it).
pub(crate) fn validate(
    policy: &OutboundPolicy,
    new: &NewClient,
    metadata: Option<&str>,
) -> Result<(), AdminError> {
    if let Some(uri) = &new.jwks_uri {
        check(policy, "jwks_uri", uri)?;
    }
    if let Some(uri) = &new.backchannel_logout_uri {
        check(policy, "backchannel_logout_uri", uri)?;
    }
    if let Some(uri) = &new.sector_identifier_uri {
        check(policy, "sector_identifier_uri", uri)?;
    }
    let Some(doc) = metadata.and_then(|m| serde_json::from_str::<Value>(m).ok()) else {
        return Ok(());
    };
    for uri in doc["request_uris"].as_array().into_iter().flatten() {
        if let Some(uri) = uri.as_str() {
            check(policy, "request_uris", uri)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ip_block::IpBlocks;

    fn client(jwks_uri: &str) -> NewClient {
        NewClient {
            jwks_uri: Some(jwks_uri.to_owned()),
            ..NewClient::new("c", vec!["https://rp.example/cb".into()])
        }
    }

    #[test]
    fn refuses_internal_plain_or_credentialed_uris() {
        let strict = OutboundPolicy::default();
        assert!(validate(&strict, &client("https://rp.example/jwks"), None).is_ok());
        for bad in [
            "http://rp.example/jwks",
            "https://127.0.0.1/jwks",
            "https://[::ffff:127.0.0.1]/jwks",
            "https://u:p@rp.example/jwks",
            "jwks",
        ] {
            assert!(validate(&strict, &client(bad), None).is_err(), "{bad}");
        }
        let good = client("https://rp.example/jwks");
        let sector = NewClient {
            sector_identifier_uri: Some("https://10.0.0.1/s".into()),
            ..good.clone()
        };
        assert!(validate(&strict, &sector, None).is_err());
        let request_uris =
            r#"{"request_uris":["https://rp.example/r#v1","http://169.254.169.254/"]}"#;
        assert!(validate(&strict, &good, Some(request_uris)).is_err());
        assert!(
            validate(
                &strict,
                &good,
                Some(r#"{"request_uris":["https://rp.example/r#v1"]}"#)
            )
            .is_ok()
        );
        let bc = NewClient {
            backchannel_logout_uri: Some("https://0.0.0.0/bc".into()),
            ..NewClient::new("c", vec![])
        };
        assert!(validate(&strict, &bc, None).is_err());
    }

    #[test]
    fn the_operator_allowance_admits_loopback_over_http() {
        let open = OutboundPolicy {
            allow: IpBlocks::loopback(),
            allow_http: true,
        };
        assert!(validate(&open, &client("http://127.0.0.1:8080/jwks"), None).is_ok());
        assert!(validate(&open, &client("http://10.0.0.1/jwks"), None).is_err());
    }
}
