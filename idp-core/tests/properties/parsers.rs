//! The parsers that need no provider.

use idp_core::authorize::pkce;
use idp_core::claims::ClaimsRequest;
use idp_core::client::auth::claimed_client_id;
use idp_core::fuzzing;
use idp_core::jose;
use idp_core::jwks::SigningAlg;
use idp_core::session::cookie;
use idp_core::wire::Params;
use proptest::prelude::*;
use serde_json::{Value, json};

/// Any JSON value, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(".{0,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A base64url string of `len` random bytes.
fn b64_bytes(len: std::ops::Range<usize>) -> impl Strategy<Value = String> {
    prop::collection::vec(any::<u8>(), len).prop_map(|b| jose::b64(&b))
}

/// A JWK shaped like a real one, with wrong sizes and members mixed in.
fn jwk() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(vec!["RSA", "EC", "OKP", "oct", ""]),
        prop::sample::select(vec!["P-256", "Ed25519", "P-384", ""]),
        prop::option::of(b64_bytes(0..300)),
        prop::option::of(b64_bytes(30..34)),
        prop::option::of(prop::sample::select(vec!["sig", "enc"])),
        prop::option::of(prop::sample::select(vec![
            "RS256", "ES256", "EdDSA", "none",
        ])),
    )
        .prop_map(|(kty, crv, n, x, use_, alg)| {
            json!({"kty": kty, "crv": crv, "n": n, "e": "AQAB", "x": x.clone(), "y": x,
                   "use": use_, "alg": alg, "kid": "k"})
        })
}

proptest! {
    #[test]
    fn form_bodies_never_panic_and_round_trip(data in prop::collection::vec(any::<u8>(), 0..256)) {
        fuzzing::form_params(&data);
    }

    #[test]
    fn encoded_pairs_decode_to_the_same_pairs(pairs in prop::collection::vec((".*", ".*"), 0..6)) {
        let encoded = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&pairs)
            .finish();
        let decoded = Params::parse(encoded.as_bytes());
        prop_assert_eq!(decoded.pairs(), &pairs[..]);
    }

    #[test]
    fn client_credentials_never_panic(data in prop::collection::vec(any::<u8>(), 0..256)) {
        fuzzing::client_credentials(&data);
    }

    #[test]
    fn basic_credentials_round_trip(id in ".{1,40}", secret in ".{0,40}") {
        let mut headers = http::HeaderMap::new();
        let value = fuzzing::basic_header(&id, &secret);
        headers.insert(http::header::AUTHORIZATION, value.parse().map_err(|_| TestCaseError::fail("header"))?);
        prop_assert_eq!(claimed_client_id(&headers, b""), Some(id));
    }

    #[test]
    fn compact_jws_never_panics(data in prop::collection::vec(any::<u8>(), 0..300)) {
        fuzzing::jws(&data);
    }

    #[test]
    fn jws_shaped_input_never_verifies(h in json_value(), p in json_value(), s in b64_bytes(0..80)) {
        let token = format!("{}.{}.{s}", jose::b64(h.to_string().as_bytes()), jose::b64(p.to_string().as_bytes()));
        fuzzing::jws(token.as_bytes());
        prop_assert_eq!(fuzzing::verify(&token), None);
    }

    #[test]
    fn signed_tokens_verify_to_their_claims_and_tampering_fails(
        claims in prop::collection::btree_map("[a-z_]{1,8}", ".{0,16}", 0..5),
        alg in prop::sample::select(SigningAlg::ALL.to_vec()),
        at in any::<prop::sample::Index>(),
    ) {
        let claims = json!(claims);
        let token = fuzzing::sign(alg, "JWT", &claims).ok_or_else(|| TestCaseError::fail("sign"))?;
        prop_assert_eq!(fuzzing::verify(&token), Some(serde_json::to_vec(&claims).unwrap_or_default()));
        // Flip one character of the signature segment.
        let sig_start = token.rfind('.').map_or(0, |i| i + 1);
        let i = sig_start + at.index(token.len() - sig_start);
        let mut bytes = token.into_bytes();
        bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
        prop_assert_eq!(fuzzing::verify(&String::from_utf8_lossy(&bytes)), None);
    }

    #[test]
    fn jwk_sets_never_panic(data in prop::collection::vec(any::<u8>(), 0..300)) {
        fuzzing::jwk_set(&data);
    }

    #[test]
    fn jwk_shaped_sets_never_panic(keys in prop::collection::vec(jwk(), 0..4), other in json_value()) {
        fuzzing::jwk_set(json!({"keys": keys}).to_string().as_bytes());
        fuzzing::jwk_set(other.to_string().as_bytes());
    }

    #[test]
    fn claims_requests_never_panic(data in prop::collection::vec(any::<u8>(), 0..200), v in json_value()) {
        fuzzing::claims_request(&data);
        fuzzing::claims_request(v.to_string().as_bytes());
    }

    #[test]
    fn claims_requests_keep_only_known_claims(
        names in prop::collection::vec(prop::sample::select(vec!["name", "email", "nickname", "sub", "email_verified", "x"]), 0..5),
        member in json_value(),
    ) {
        let wanted: serde_json::Map<String, Value> = names.iter().map(|n| ((*n).to_owned(), member.clone())).collect();
        let raw = json!({"userinfo": wanted, "id_token": wanted}).to_string();
        fuzzing::claims_request(raw.as_bytes());
        let known = names.iter().any(|n| matches!(*n, "name" | "email" | "email_verified"));
        let parsed = ClaimsRequest::parse(&raw).ok().flatten();
        prop_assert_eq!(parsed.is_some(), known);
    }

    #[test]
    fn cookie_headers_never_panic(data in prop::collection::vec(any::<u8>(), 0..200)) {
        fuzzing::cookies(&data);
    }

    #[test]
    fn the_first_cookie_of_a_name_is_found(
        pairs in prop::collection::vec(("[a-z_]{1,10}", "[A-Za-z0-9_-]{0,20}"), 1..6),
    ) {
        let header = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
        let mut headers = http::HeaderMap::new();
        headers.insert(http::header::COOKIE, header.parse().map_err(|_| TestCaseError::fail("header"))?);
        for (name, _) in &pairs {
            let first = pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
            prop_assert_eq!(cookie(&headers, name), first);
        }
    }

    #[test]
    fn pkce_verifiers_never_panic(s in ".{0,140}") {
        fuzzing::pkce(s.as_bytes());
    }

    #[test]
    fn a_valid_verifier_matches_its_own_challenge_only(
        v in "[A-Za-z0-9._~-]{43,128}",
        w in "[A-Za-z0-9._~-]{43,128}",
    ) {
        prop_assert!(pkce::is_valid_verifier(&v));
        let challenge = fuzzing::s256_challenge(&v);
        prop_assert!(pkce::verifier_matches(&v, &challenge));
        prop_assert_eq!(pkce::verifier_matches(&w, &challenge), v == w);
    }

    #[test]
    fn redirect_uris_never_panic(s in ".{0,80}", host in "[a-z0-9.:\\[\\]-]{0,20}", path in "[ -~]{0,20}") {
        fuzzing::redirect_uri(s.as_bytes());
        for scheme in ["https", "http", "javascript", "com.example.app", "urn"] {
            fuzzing::redirect_uri(format!("{scheme}://{host}/{path}").as_bytes());
            fuzzing::redirect_uri(format!("{scheme}:{path}").as_bytes());
        }
    }
}

proptest! {
    /// RFC 8252 §7.3: a loopback IP-literal redirect URI accepts any port,
    /// and nothing else about the URI may differ.
    #[test]
    fn loopback_redirect_uris_match_any_port_and_nothing_else(
        host in prop::sample::select(vec!["127.0.0.1", "[::1]", "127.0.0.53"]),
        registered_port in prop::option::of(1u16..),
        port in 1u16..,
        path in "(/[a-z0-9]{0,6}){0,3}",
        query in prop::option::of("[a-z0-9=&]{0,8}"),
        other in "[/?#][a-z0-9.:@]{0,5}",
    ) {
        use idp_core::client::redirect_match::matches;
        let rest = match &query {
            Some(q) => format!("{path}?{q}"),
            None => path.clone(),
        };
        let registered = match registered_port {
            Some(p) => format!("http://{host}:{p}{rest}"),
            None => format!("http://{host}{rest}"),
        };
        let presented = format!("http://{host}:{port}{rest}");
        prop_assert!(matches(&registered, &presented), "{registered} {presented}");
        // Anything appended after the authority changes the path or query.
        let longer = format!("{presented}{other}");
        prop_assert!(!matches(&registered, &longer), "{registered} {longer}");
        // localhost and https keep exact matching.
        let named = registered.replacen(host, "localhost", 1);
        let named_presented = format!("http://localhost:{port}{rest}");
        prop_assert_eq!(matches(&named, &named_presented), named == named_presented);
        let secure = registered.replacen("http:", "https:", 1);
        let secure_presented = presented.replacen("http:", "https:", 1);
        prop_assert_eq!(matches(&secure, &secure_presented), secure == secure_presented);
    }
}
