//! Request objects (OIDC Core §6): `request` by value, unsigned or signed
//! with the client's registered key, and `request_uri` by reference, only
//! for URIs the client registered.

use crate::support::*;
use openidconnect::core::CoreJwsSigningAlgorithm;
use reqwest::StatusCode;
use serde_json::{Value, json};

const RS256: CoreJwsSigningAlgorithm = CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256;

/// The object's claims for `client`: state and nonce only inside it.
fn object_claims(env: &Env, client: &RegisteredClient, challenge: &str) -> Value {
    json!({
        "iss": client.client_id, "aud": env.tenant.issuer, "client_id": client.client_id,
        "response_type": "code", "scope": "openid email", "redirect_uri": client.redirect_uri,
        "state": "state-in-object", "nonce": "nonce-in-object",
        "code_challenge": challenge, "code_challenge_method": "S256",
    })
}

/// Runs the authorization with `query` in a browser and returns the callback.
async fn authorize(env: &Env, query: &[(&str, &str)]) -> Callback {
    let url = RawAuthorize::with(&env.endpoints, query).url();
    let browser = Browser::new();
    let first = browser.get(&url).await;
    browser.finish(first, REDIRECT_URI, &env.user).await.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsigned_request_object_carries_the_request() {
    let env = Env::new().await;
    let rp = env.rp(&env.client).await;
    let (verifier, challenge) = pkce_pair();
    let object = unsigned_request_object(&object_claims(&env, &env.client, &challenge));
    // The query repeats only what OAuth 2.0 requires.
    let callback = authorize(
        &env,
        &[
            ("client_id", &env.client.client_id),
            ("response_type", "code"),
            ("scope", "openid"),
            ("request", &object),
        ],
    )
    .await;
    assert_eq!(callback.state.as_deref(), Some("state-in-object"));
    let tokens = rp
        .exchange(&callback.code(), Some(&verifier))
        .await
        .expect("exchange");
    let claims = rp.verify_id_token(
        &tokens,
        Some(&openidconnect::Nonce::new("nonce-in-object".into())),
        RS256,
    );
    assert_eq!(claims.subject().as_str(), env.user.id);
    // The object's scope was used.
    let info = get_bearer(&env.endpoints.userinfo, &access_token_of(&tokens)).await;
    assert_eq!(info.json()["email"], env.user.email.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_objects_redirect_uri_wins_over_a_wrong_one_in_the_query() {
    let env = Env::new().await;
    let (_, challenge) = pkce_pair();
    let object = unsigned_request_object(&object_claims(&env, &env.client, &challenge));
    let callback = authorize(
        &env,
        &[
            ("client_id", &env.client.client_id),
            ("response_type", "code"),
            ("scope", "openid"),
            ("redirect_uri", "https://rp.example/cb_invalid"),
            ("request", &object),
        ],
    )
    .await;
    assert!(callback.code.is_some(), "{:?}", callback.url);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_request_object_must_verify_with_the_clients_key() {
    let env = Env::new().await;
    let key = ClientKey::generate("ro-1");
    let client = env.client(&ClientSpec {
        jwks: Some(key.jwks()),
        ..ClientSpec::confidential("Signing RP")
    });
    let (_, challenge) = pkce_pair();
    let claims = object_claims(&env, &client, &challenge);
    let good = key.sign(&claims);
    let callback = authorize(
        &env,
        &[
            ("client_id", &client.client_id),
            ("response_type", "code"),
            ("request", &good),
        ],
    )
    .await;
    assert!(callback.code.is_some(), "{:?}", callback.url);

    // Signed by another key, or for another audience: refused, at the client.
    let other = ClientKey::generate("ro-1").sign(&claims);
    let mut wrong_aud = claims.clone();
    wrong_aud["aud"] = json!("https://elsewhere.example");
    for bad in [other, key.sign(&wrong_aud)] {
        let url = RawAuthorize::with(
            &env.endpoints,
            &[
                ("client_id", &client.client_id),
                ("response_type", "code"),
                ("redirect_uri", REDIRECT_URI),
                ("state", "outer"),
                ("request", &bad),
            ],
        )
        .url();
        let res = Browser::new().get(&url).await;
        Callback::parse(&res.redirect()).assert_error(
            "invalid_request_object",
            &env.tenant.issuer,
            Some("outer"),
        );
    }
    // Garbage with an unregistered redirect URI: a page, no redirect.
    let url = RawAuthorize::with(
        &env.endpoints,
        &[
            ("client_id", &client.client_id),
            ("redirect_uri", "https://evil.example/"),
            ("request", "garbage"),
        ],
    )
    .url();
    let res = Browser::new().get(&url).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.header("location").is_none());
}

/// Registers a confidential client with `request_uris`: (id, secret).
async fn register(endpoints: &Endpoints, request_uris: &[String]) -> (String, String) {
    let res = plain_client()
        .post(
            endpoints.doc["registration_endpoint"]
                .as_str()
                .unwrap_or(""),
        )
        .json(&json!({"redirect_uris": [REDIRECT_URI], "request_uris": request_uris}))
        .send()
        .await
        .expect("register");
    assert_eq!(res.status(), StatusCode::CREATED);
    let doc: Value = res.json().await.expect("JSON");
    let field = |n: &str| doc[n].as_str().unwrap_or("").to_owned();
    (field("client_id"), field("client_secret"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_uri_is_fetched_only_when_registered() {
    let (server, endpoints) = open_tenant().await;
    let user = server.create_user("open", "alice@open.example", "Alice", PASSWORD);
    let rp = Receiver::start().await;
    let uri = rp.url("/request.jwt");
    // Registered with a fragment, which is not part of the comparison.
    let (client_id, secret) = register(&endpoints, &[format!("{uri}#v1")]).await;
    let (verifier, challenge) = pkce_pair();
    let object = unsigned_request_object(&json!({
        "client_id": client_id, "response_type": "code", "scope": "openid",
        "redirect_uri": REDIRECT_URI, "state": "by-reference", "nonce": "n",
        "code_challenge": challenge, "code_challenge_method": "S256",
    }));
    rp.serve("/request.jwt", "application/jwt", &object);
    let url = RawAuthorize::with(
        &endpoints,
        &[
            ("client_id", &client_id),
            ("response_type", "code"),
            ("request_uri", &format!("{uri}#v1")),
        ],
    )
    .url();
    let browser = Browser::new();
    let first = browser.get(&url).await;
    let (callback, _) = browser.finish(first, REDIRECT_URI, &user).await;
    assert_eq!(callback.state.as_deref(), Some("by-reference"));
    // The code carries the object's PKCE challenge and redeems for tokens.
    let res = token_request(
        &endpoints.token,
        ClientAuth::Basic(&client_id, &secret),
        &[
            ("grant_type", "authorization_code"),
            ("code", &callback.code()),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(
        rp.at("/request.jwt").len(),
        1,
        "fetched once, without the fragment"
    );

    // Another client that did not register the URI: refused before any fetch.
    let (other, _) = register(&endpoints, &[]).await;
    let url = RawAuthorize::with(
        &endpoints,
        &[
            ("client_id", &other),
            ("redirect_uri", REDIRECT_URI),
            ("state", "outer"),
            ("request_uri", &uri),
        ],
    )
    .url();
    let res = Browser::new().get(&url).await;
    Callback::parse(&res.redirect()).assert_error(
        "invalid_request_uri",
        &endpoints.issuer,
        Some("outer"),
    );
    assert_eq!(
        rp.at("/request.jwt").len(),
        1,
        "no fetch for an unregistered URI"
    );
}
