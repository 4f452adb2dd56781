//! The parsers behind a provider: the authorization request (with its
//! redirect-URI match, PKCE challenge, `claims`, `prompt`), request
//! objects and registration metadata, through `Provider::handle` on a
//! SQLite store. Fewer cases: each one is a few database round trips.

use idp_core::fuzzing::endpoints::{Endpoints, REDIRECT};
use idp_store_sqlite::SqliteStore;
use proptest::prelude::*;
use serde_json::{Value, json};
use std::sync::OnceLock;

struct Fixture {
    runtime: tokio::runtime::Runtime,
    endpoints: Endpoints<SqliteStore>,
    _dir: tempfile::TempDir,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let setup = || -> Result<Fixture, Box<dyn std::error::Error>> {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let dir = tempfile::tempdir()?;
            let store = SqliteStore::open(&dir.path().join("p.db").to_string_lossy())?;
            let endpoints = runtime.block_on(Endpoints::new(store))?;
            Ok(Fixture {
                runtime,
                endpoints,
                _dir: dir,
            })
        };
        setup().unwrap_or_else(|e| panic!("fixture: {e}"))
    })
}

/// A value for an authorization parameter: sensible ones and hostile ones.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("code".to_owned()),
        Just("openid profile".to_owned()),
        Just("form_post".to_owned()),
        Just("S256".to_owned()),
        Just("none".to_owned()),
        Just("login consent".to_owned()),
        Just(REDIRECT.to_owned()),
        Just("$CLIENT".to_owned()),
        "[A-Za-z0-9._~-]{43}",
        Just(r#"{"userinfo":{"name":null}}"#.to_owned()),
        (Just(REDIRECT), "[ -~]{0,6}").prop_map(|(r, s)| format!("{r}{s}")),
        (Just(REDIRECT), "[ -~]{0,6}").prop_map(|(r, s)| format!("{s}{r}")),
        ".{0,30}",
    ]
}

/// Parameter names the endpoint reads, and others.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "client_id",
            "redirect_uri",
            "response_type",
            "scope",
            "state",
            "nonce",
            "response_mode",
            "code_challenge",
            "code_challenge_method",
            "prompt",
            "max_age",
            "id_token_hint",
            "claims",
            "login_hint",
            "request",
            "request_uri",
            "registration",
        ])
        .prop_map(str::to_owned),
        "[a-z_]{1,8}",
    ]
}

/// The pairs form-encoded, `$CLIENT` values replaced by the client's id
/// first (encoded, the placeholder would no longer be recognised).
fn query(pairs: &[(String, String)]) -> String {
    let id = fixture().endpoints.client_id();
    let pairs = pairs
        .iter()
        .map(|(k, v)| (k, if v == "$CLIENT" { id } else { v.as_str() }));
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// The fixture's client can sign in, so the fuzzed requests reach the
/// paths past validation, not only the refusals.
#[test]
fn a_valid_request_reaches_the_login_page() {
    let f = fixture();
    let q = query(&[
        ("client_id".into(), f.endpoints.client_id().into()),
        ("redirect_uri".into(), REDIRECT.into()),
        ("response_type".into(), "code".into()),
        ("scope".into(), "openid".into()),
        (
            "code_challenge".into(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into(),
        ),
        ("code_challenge_method".into(), "S256".into()),
    ]);
    let req = http::Request::get(format!("{}/authorize?{q}", f.endpoints.issuer()))
        .body(bytes::Bytes::new())
        .unwrap_or_default();
    let res = f.runtime.block_on(f.endpoints.provider().handle(req));
    let location = res
        .headers()
        .get(http::header::LOCATION)
        .and_then(|v| v.to_str().ok());
    let login = format!("{}/interaction/", f.endpoints.issuer());
    assert!(
        location.is_some_and(|l| l.starts_with(&login)),
        "{location:?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn authorization_requests_never_fail_or_redirect_elsewhere(
        pairs in prop::collection::vec((name(), value()), 0..10),
        redirect_uri in prop_oneof![
            Just(REDIRECT.to_owned()),
            (Just(REDIRECT), "[ -~]{1,6}").prop_map(|(r, s)| format!("{r}{s}")),
            "[ -~]{1,6}".prop_map(|s| format!("{s}{REDIRECT}")),
            value(),
        ],
    ) {
        let f = fixture();
        let mut full = vec![
            ("client_id".to_owned(), "$CLIENT".to_owned()),
            ("redirect_uri".to_owned(), redirect_uri),
        ];
        f.runtime.block_on(f.endpoints.authorize(query(&pairs).as_bytes()));
        full.extend(pairs);
        f.runtime.block_on(f.endpoints.authorize(query(&full).as_bytes()));
    }

    #[test]
    fn arbitrary_bytes_at_authorize_never_fail(data in prop::collection::vec(any::<u8>(), 0..200)) {
        let f = fixture();
        f.runtime.block_on(f.endpoints.authorize(&data));
    }

    #[test]
    fn request_objects_never_fail_or_redirect_elsewhere(
        pairs in prop::collection::vec((name(), value()), 0..8),
        extra in prop::collection::btree_map("[a-z_]{1,6}", any::<i64>(), 0..3),
    ) {
        let f = fixture();
        let mut claims: serde_json::Map<String, Value> = pairs.into_iter().map(|(k, v)| (k, json!(v))).collect();
        claims.extend(extra.into_iter().map(|(k, v)| (k, json!(v))));
        f.runtime.block_on(f.endpoints.request_object(Value::Object(claims).to_string().as_bytes()));
    }

    #[test]
    fn registration_metadata_never_fails(
        fields in prop::collection::btree_map(
            prop::sample::select(vec![
                "redirect_uris", "client_name", "grant_types", "response_types",
                "token_endpoint_auth_method", "jwks", "jwks_uri", "logo_uri",
                "post_logout_redirect_uris", "frontchannel_logout_uri",
                "backchannel_logout_uri", "id_token_signed_response_alg",
                "subject_type", "application_type", "request_uris",
            ]),
            prop_oneof![
                value().prop_map(Value::from),
                prop::collection::vec(value(), 0..3).prop_map(Value::from),
                Just(json!(["https://rp.example/cb"])),
                Just(json!(["authorization_code", "refresh_token"])),
                Just(json!({"keys": []})),
            ],
            0..6,
        ),
    ) {
        let f = fixture();
        let body = Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect());
        f.runtime.block_on(f.endpoints.register(body.to_string().as_bytes()));
    }
}
