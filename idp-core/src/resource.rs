//! Resource indicators (RFC 8707) in the user flows: which API (resource
//! server) an access token is for, its `aud` (RFC 9068 §3).
//!
//! A client is registered with the audiences it may ask tokens for
//! ([`ClientRecord::audiences`]); the first one is its default audience.
//!
//! - At the authorization endpoint (§2.1), `resource` may be given, once or
//!   more: each must be an absolute URI without a fragment (§2) and one of
//!   the client's audiences, else `invalid_target`. They are kept with the
//!   code and the refresh tokens of the grant.
//! - At the token endpoint (§2.2), on the code exchange and on refresh, one
//!   `resource` may narrow the grant to the audience of this token; it must
//!   be one granted (those asked at authorization, or, when none was, the
//!   client's audiences), else `invalid_target`.
//! - Without `resource` at the token endpoint the audience is the first one
//!   asked at authorization, else the client's default audience, else (no
//!   audience registered) the client itself, as before resource indicators.
//!
//! Not supported: several audiences in one access token (`aud` is always a
//! single string, which every JWT validator accepts); a token request
//! naming more than one `resource` is `invalid_target`.

use crate::error::{ErrorCode, OAuthError};
use crate::store::ClientRecord;
use crate::wire::Params;

/// Every `resource` parameter of a request, in order.
fn asked(params: &Params) -> impl Iterator<Item = &str> {
    params
        .pairs()
        .iter()
        .filter(|(k, _)| k == "resource")
        .map(|(_, v)| v.as_str())
}

/// RFC 8707 §2: an absolute URI without a fragment.
fn check_syntax(resource: &str) -> Result<(), OAuthError> {
    let parsed = url::Url::parse(resource).map_err(|_| {
        OAuthError::new(
            ErrorCode::InvalidTarget,
            "resource must be an absolute URI (RFC 8707 §2)",
        )
    })?;
    if parsed.fragment().is_some() {
        return Err(OAuthError::new(
            ErrorCode::InvalidTarget,
            "resource must not contain a fragment (RFC 8707 §2)",
        ));
    }
    Ok(())
}

/// The resources of an authorization request (§2.1), validated, as they
/// are stored with the code: space-separated, in order, without repeats;
/// `None` when none was asked for.
pub fn check_authorization(
    client: &ClientRecord,
    params: &Params,
) -> Result<Option<String>, OAuthError> {
    let mut granted: Vec<&str> = Vec::new();
    for resource in asked(params) {
        check_syntax(resource)?;
        if !client.audiences.iter().any(|a| a == resource) {
            return Err(OAuthError::new(
                ErrorCode::InvalidTarget,
                "the requested resource is not registered for this client",
            ));
        }
        if !granted.contains(&resource) {
            granted.push(resource);
        }
    }
    Ok((!granted.is_empty()).then(|| granted.join(" ")))
}

/// The `aud` of an access token issued from a grant whose stored resources
/// are `granted` (§2.2): the one `resource` of the token request, which
/// must be granted; else the first granted; else the client's default.
pub fn audience(
    client: &ClientRecord,
    granted: Option<&str>,
    params: &Params,
) -> Result<String, OAuthError> {
    let mut asked = asked(params);
    let one = asked.next();
    if asked.next().is_some() {
        return Err(OAuthError::new(
            ErrorCode::InvalidTarget,
            "send one resource per token request: an access token has one audience",
        ));
    }
    let is_granted = |r: &str| match granted {
        Some(g) => g.split(' ').any(|x| x == r),
        None => client.audiences.iter().any(|a| a == r),
    };
    match one {
        Some(resource) => {
            check_syntax(resource)?;
            if is_granted(resource) {
                Ok(resource.to_owned())
            } else {
                Err(OAuthError::new(
                    ErrorCode::InvalidTarget,
                    "the requested resource was not granted to this client",
                ))
            }
        }
        None => {
            let first = match granted {
                Some(g) => g.split(' ').find(|r| !r.is_empty()),
                None => client.audiences.first().map(String::as_str),
            };
            Ok(first.unwrap_or(client.id.as_str()).to_owned())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ClientId;

    const ORDERS: &str = "https://orders.example/api";
    const BILLING: &str = "https://billing.example/";

    fn client(audiences: &[&str]) -> ClientRecord {
        ClientRecord {
            audiences: audiences.iter().map(|a| (*a).to_owned()).collect(),
            ..ClientRecord::new(ClientId::new("app"), "App", 0)
        }
    }

    fn params(pairs: &[(&str, &str)]) -> Params {
        Params::from_pairs(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    fn code_of(r: Result<impl std::fmt::Debug, OAuthError>) -> Option<&'static str> {
        r.err().map(|e| e.code.as_str())
    }

    #[test]
    fn authorization_keeps_registered_resources_in_order_once() -> Result<(), OAuthError> {
        let c = client(&[ORDERS, BILLING]);
        assert_eq!(check_authorization(&c, &params(&[]))?, None);
        let p = params(&[
            ("resource", BILLING),
            ("resource", ORDERS),
            ("resource", BILLING),
        ]);
        assert_eq!(
            check_authorization(&c, &p)?.as_deref(),
            Some("https://billing.example/ https://orders.example/api")
        );
        Ok(())
    }

    #[test]
    fn authorization_refuses_relative_fragment_and_unregistered_resources() {
        let c = client(&[ORDERS, "https://orders.example/api#x"]);
        for bad in [
            "orders",
            "/api",
            "https://orders.example/api#x",
            "https://other.example/",
            "",
        ] {
            assert_eq!(
                code_of(check_authorization(&c, &params(&[("resource", bad)]))),
                Some("invalid_target"),
                "{bad}"
            );
        }
    }

    #[test]
    fn token_audience_narrows_to_a_granted_resource() -> Result<(), OAuthError> {
        let c = client(&[ORDERS, BILLING]);
        let granted = Some("https://billing.example/ https://orders.example/api");
        assert_eq!(audience(&c, granted, &params(&[]))?, BILLING);
        assert_eq!(
            audience(&c, granted, &params(&[("resource", ORDERS)]))?,
            ORDERS
        );
        // Only what was granted, even if registered.
        assert_eq!(
            code_of(audience(
                &c,
                Some(ORDERS),
                &params(&[("resource", BILLING)])
            )),
            Some("invalid_target")
        );
        assert_eq!(
            code_of(audience(
                &c,
                granted,
                &params(&[("resource", ORDERS), ("resource", BILLING)])
            )),
            Some("invalid_target")
        );
        Ok(())
    }

    #[test]
    fn without_resources_the_default_audience_then_the_client() -> Result<(), OAuthError> {
        let c = client(&[ORDERS, BILLING]);
        assert_eq!(audience(&c, None, &params(&[]))?, ORDERS);
        assert_eq!(
            audience(&c, None, &params(&[("resource", BILLING)]))?,
            BILLING
        );
        let bare = client(&[]);
        assert_eq!(audience(&bare, None, &params(&[]))?, "app");
        assert_eq!(
            code_of(audience(&bare, None, &params(&[("resource", ORDERS)]))),
            Some("invalid_target")
        );
        Ok(())
    }
}
