//! Entry points for the fuzz targets (`fuzz/`) and the property tests
//! (`idp-core/tests/properties/`): each function runs one parser of
//! untrusted input on arbitrary bytes and asserts what must hold for every
//! input. A broken invariant panics, which is what a fuzzer reports; a
//! parser that panics on its own is a crash as well. Not part of the API.
//!
//! Pure parsers are here; the ones that need a provider (the authorization
//! request, request objects, registration metadata) run through
//! [`Provider::handle`](crate::Provider::handle) in [`endpoints`].

pub mod endpoints;

use crate::authorize::pkce;
use crate::claims::ClaimsRequest;
use crate::client::uri_policy::{UriPolicy, is_private_use_scheme};
use crate::client::{validate_backchannel_logout_uri, validate_frontchannel_logout_uri};
use crate::jose::{self, JoseError};
use crate::jwks::{KeyRing, PublicKeySet, SigningAlg, SigningKey};
use crate::session::{SESSION_COOKIE, cookie};
use crate::wire::Params;
use http::{HeaderMap, HeaderValue};
use std::sync::OnceLock;

/// Form bodies and query strings (`application/x-www-form-urlencoded`):
/// decoding never fails, a value [`Params::single`] returns is one of the
/// pairs, and encoding the decoded pairs decodes to the same pairs.
pub fn form_params(data: &[u8]) {
    let params = Params::parse(data);
    for name in [
        "client_id",
        "redirect_uri",
        "state",
        "scope",
        "code",
        "csrf",
    ] {
        if let Ok(Some(v)) = params.single(name) {
            assert!(!v.is_empty(), "single() returned an empty value");
            assert!(params.pairs().iter().any(|(k, x)| k == name && x == v));
        }
    }
    let encoded = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params.pairs())
        .finish();
    assert_eq!(
        Params::parse(encoded.as_bytes()).pairs(),
        params.pairs(),
        "form encoding does not round-trip"
    );
}

/// HTTP Basic client credentials (RFC 6749 §2.3.1) and the body's
/// `client_id`: the first line is the `Authorization` header, the rest the
/// form body. A client id is claimed only when the request names one.
pub fn client_credentials(data: &[u8]) {
    let (header, body) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_bytes(header) {
        headers.insert(http::header::AUTHORIZATION, v);
    }
    if let Some(id) = crate::client::auth::claimed_client_id(&headers, body) {
        let named_in_body = Params::parse(body).single("client_id").ok().flatten() == Some(&id);
        assert!(
            named_in_body || headers.contains_key(http::header::AUTHORIZATION) || {
                // An assertion's issuer.
                Params::parse(body)
                    .pairs()
                    .iter()
                    .any(|(k, _)| k == "client_assertion")
            },
            "a client id was claimed from nothing"
        );
    }
}

/// The `Authorization` header value a client sends for `id` and `secret`
/// (RFC 6749 §2.3.1: each form-urlencoded, then Basic).
pub fn basic_header(id: &str, secret: &str) -> String {
    use base64::Engine;
    let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let pair = format!("{}:{}", enc(id), enc(secret));
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

/// One key per algorithm, made once per process (key generation is slow).
struct Keys {
    ring: KeyRing,
    public: PublicKeySet,
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let keys: Vec<SigningKey> = SigningAlg::ALL
            .iter()
            .filter_map(|&alg| SigningKey::generate(alg).ok().map(|(k, _)| k))
            .collect();
        let set = serde_json::json!({
            "keys": keys.iter().map(|k| k.public_jwk().clone()).collect::<Vec<_>>()
        });
        let ring = KeyRing::new(keys);
        let public = PublicKeySet::parse(set.to_string().as_bytes())
            .unwrap_or_else(|e| panic!("own JWK Set refused: {e}"));
        Keys { ring, public }
    })
}

/// A compact JWS signed with this process's key for `alg`.
pub fn sign(alg: SigningAlg, typ: &str, claims: &serde_json::Value) -> Option<String> {
    jose::sign(keys().ring.signing(alg, 0)?, typ, claims).ok()
}

/// The payload of `token` if it verifies against this process's keys.
pub fn verify(token: &str) -> Option<Vec<u8>> {
    jose::verify(token, &keys().ring).ok().map(|v| v.payload)
}

/// JWS/JWT compact serialization (RFC 7515 §7.1): no input verifies unless
/// it was signed by a key of the ring (the fuzzer holds none), and a token
/// that verifies has the payload its middle segment encodes.
pub fn jws(data: &[u8]) {
    let token = String::from_utf8_lossy(data);
    let payload = jose::unverified_payload(&token).ok();
    let keys = keys();
    for verified in [
        jose::verify(&token, &keys.ring),
        jose::verify_with_set(&token, &keys.public),
    ] {
        match verified {
            Ok(v) => assert_eq!(Some(&v.payload), payload.as_ref(), "payload differs"),
            Err(JoseError::Sign) => panic!("verification reported a signing error"),
            Err(_) => {}
        }
    }
}

/// JWK Sets (RFC 7517 §5): inline client `jwks`, a `jwks_uri` document, the
/// CLI's `--jwks`. A set that parses can verify with at least one algorithm,
/// and verifying garbage with it fails without panicking.
pub fn jwk_set(data: &[u8]) {
    let Ok(set) = PublicKeySet::parse(data) else {
        return;
    };
    assert!(
        SigningAlg::ALL.iter().any(|&alg| set.has_key(alg, None)),
        "a parsed set has no usable key"
    );
    for alg in SigningAlg::ALL {
        assert!(!set.verify(alg, None, data, data));
    }
}

/// The `claims` request parameter (OIDC Core §5.5): a request that parses
/// names only claims the provider knows, in no more than two scopes, and
/// its stored form reads back the same.
pub fn claims_request(data: &[u8]) {
    let raw = String::from_utf8_lossy(data);
    let _ = ClaimsRequest::from_json(Some(&raw));
    let Ok(Some(request)) = ClaimsRequest::parse(&raw) else {
        return;
    };
    assert!(!request.is_empty());
    for scope in request.implied_scopes().iter() {
        assert!(matches!(scope, "profile" | "email"), "scope {scope}");
    }
    assert_eq!(
        ClaimsRequest::from_json(Some(&request.to_json())).as_ref(),
        Some(&request)
    );
}

/// `Cookie` headers, one per line: the value found for a name is the value
/// of a `name=value` pair of one of the headers, and never spans a `;`.
pub fn cookies(data: &[u8]) {
    let mut headers = HeaderMap::new();
    for line in data.split(|&b| b == b'\n') {
        if let Ok(v) = HeaderValue::from_bytes(line) {
            headers.append(http::header::COOKIE, v);
        }
    }
    for name in [SESSION_COOKIE, "idp_csrf", ""] {
        if let Some(value) = cookie(&headers, name) {
            assert!(!value.contains(';'), "cookie value spans pairs");
            let pair = format!("{name}={value}");
            assert!(
                headers
                    .get_all(http::header::COOKIE)
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .any(|v| v.split(';').any(|p| p.trim() == pair)),
                "cookie value not found in the header"
            );
        }
    }
}

/// The S256 `code_challenge` of `verifier` (RFC 7636 §4.2).
pub fn s256_challenge(verifier: &str) -> String {
    jose::b64(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes()).as_ref())
}

/// PKCE (RFC 7636): every verifier matches its own S256 challenge and no
/// other string; a valid verifier's challenge is 43 base64url characters.
pub fn pkce(data: &[u8]) {
    let verifier = String::from_utf8_lossy(data);
    let challenge = s256_challenge(&verifier);
    assert!(pkce::verifier_matches(&verifier, &challenge));
    assert!(!pkce::verifier_matches(&verifier, &verifier) || verifier == challenge);
    if pkce::is_valid_verifier(&verifier) {
        assert!(verifier.is_ascii() && (43..=128).contains(&verifier.len()));
        assert!(challenge.len() == 43 && pkce::is_valid_verifier(&challenge));
    }
}

/// Redirect and logout URIs as registered (RFC 6749 §3.1.2, Front- and
/// Back-Channel Logout): an accepted URI is absolute and has no fragment.
pub fn redirect_uri(data: &[u8]) {
    let uri = String::from_utf8_lossy(data);
    let accepted = |ok: bool| {
        if ok {
            let parsed = url::Url::parse(&uri);
            assert!(
                parsed.is_ok_and(|u| u.fragment().is_none()),
                "accepted {uri}"
            );
        }
    };
    for allow_insecure_redirect_uris in [false, true] {
        let policy = UriPolicy {
            allow_insecure_redirect_uris,
        };
        for public in [false, true] {
            if policy.redirect_uri("redirect_uri", &uri, public).is_ok() {
                accepted(true);
                // Never a scheme a browser runs itself (`javascript:`, `data:`, …).
                let scheme = url::Url::parse(&uri).map(|u| u.scheme().to_owned());
                assert!(
                    scheme.is_ok_and(|s| s == "https"
                        || s == "http"
                        || (public && is_private_use_scheme(&s))),
                    "accepted redirect URI {uri}"
                );
            }
        }
    }
    accepted(validate_frontchannel_logout_uri(&uri, &[uri.to_string()]).is_ok());
    accepted(validate_backchannel_logout_uri(&uri, false).is_ok());
    accepted(validate_backchannel_logout_uri(&uri, true).is_ok());
}
