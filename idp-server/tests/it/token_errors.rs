//! Token endpoint errors (RFC 6749 §5.2): client authentication, single-use
//! codes, redirect URI binding, grant types; always JSON, never cached.

use crate::support::*;
use reqwest::StatusCode;

/// A fresh code for `client` (logging in and consenting as needed in `browser`).
async fn code_for(
    env: &Env,
    browser: &Browser,
    client: &RegisteredClient,
    scopes: &[&str],
) -> (String, String) {
    let rp = env.rp(client).await;
    let req = rp.auth_request(&AuthOptions::scopes(scopes));
    let (callback, _) = browser
        .authorize(req.url.as_str(), &client.redirect_uri, &env.user)
        .await;
    (callback.code(), req.verifier.expect("PKCE verifier"))
}

async fn exchange(env: &Env, auth: ClientAuth<'_>, code: &str, verifier: &str) -> Resp {
    token_request(
        &env.endpoints.token,
        auth,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", verifier),
        ],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_cannot_be_used_twice() {
    let env = Env::new().await;
    let (code, verifier) = code_for(&env, &Browser::new(), &env.client, &[]).await;
    let first = exchange(&env, ClientAuth::of(&env.client), &code, &verifier).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let second = exchange(&env, ClientAuth::of(&env.client), &code, &verifier).await;
    second.assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reused_code_revokes_the_refresh_token_issued_from_it() {
    let env = Env::new().await;
    let (code, verifier) = code_for(&env, &Browser::new(), &env.client, &["offline_access"]).await;
    let first = exchange(&env, ClientAuth::of(&env.client), &code, &verifier).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let rt = first.json()["refresh_token"]
        .as_str()
        .expect("refresh token")
        .to_owned();
    let at = first.json()["access_token"]
        .as_str()
        .expect("access token")
        .to_owned();
    assert_eq!(
        introspect(&env.endpoints, &env.client, &at).await["active"],
        true
    );
    exchange(&env, ClientAuth::of(&env.client), &code, &verifier)
        .await
        .assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    // RFC 6749 §4.1.2: tokens issued from a code used twice should be revoked.
    token_request(
        &env.endpoints.token,
        ClientAuth::of(&env.client),
        &[("grant_type", "refresh_token"), ("refresh_token", &rt)],
    )
    .await
    .assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    // ... and the access token issued from it too.
    assert_eq!(
        introspect(&env.endpoints, &env.client, &at).await,
        serde_json::json!({"active": false})
    );
    assert_eq!(
        get_bearer(&env.endpoints.userinfo, &at).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_responses_are_not_cacheable() {
    let env = Env::new().await;
    let (code, verifier) = code_for(&env, &Browser::new(), &env.client, &[]).await;
    let ok = exchange(&env, ClientAuth::of(&env.client), &code, &verifier).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_no_store(&ok);
    assert!(
        ok.header("content-type")
            .unwrap_or_default()
            .starts_with("application/json"),
        "content type {:?}",
        ok.header("content-type")
    );
    let body = ok.json();
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["expires_in"].as_i64().is_some_and(|e| e > 0));
    let err = exchange(&env, ClientAuth::of(&env.client), &code, &verifier).await;
    err.assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    assert_no_store(&err);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_client_secret_is_invalid_client_401() {
    let env = Env::new().await;
    let (code, verifier) = code_for(&env, &Browser::new(), &env.client, &[]).await;
    let id = env.client.client_id.as_str();
    let basic = exchange(
        &env,
        ClientAuth::Basic(id, "wrong-secret"),
        &code,
        &verifier,
    )
    .await;
    basic.assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    // RFC 6749 §5.2: a 401 after Basic authentication carries WWW-Authenticate.
    assert!(
        basic
            .header("www-authenticate")
            .is_some_and(|h| h.to_ascii_lowercase().starts_with("basic")),
        "WWW-Authenticate: {:?}",
        basic.header("www-authenticate")
    );
    exchange(&env, ClientAuth::Post(id, "wrong-secret"), &code, &verifier)
        .await
        .assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    // A failed client authentication does not burn the code.
    let ok = exchange(&env, ClientAuth::of(&env.client), &code, &verifier).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_or_unauthenticated_client_is_invalid_client() {
    let env = Env::new().await;
    let (code, verifier) = code_for(&env, &Browser::new(), &env.client, &[]).await;
    let secret = env.client.client_secret.clone().expect("secret");
    exchange(
        &env,
        ClientAuth::Basic("no-such-client", &secret),
        &code,
        &verifier,
    )
    .await
    .assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    exchange(&env, ClientAuth::Nothing, &code, &verifier)
        .await
        .assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    // A confidential client must authenticate; client_id alone is not enough.
    exchange(
        &env,
        ClientAuth::Public(&env.client.client_id),
        &code,
        &verifier,
    )
    .await
    .assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_client_presenting_a_secret_is_invalid_client() {
    let env = Env::new().await;
    let public = env.client(&ClientSpec::public("SPA"));
    let (code, verifier) = code_for(&env, &Browser::new(), &public, &[]).await;
    exchange(
        &env,
        ClientAuth::Post(&public.client_id, "made-up-secret"),
        &code,
        &verifier,
    )
    .await
    .assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    let ok = exchange(
        &env,
        ClientAuth::Public(&public.client_id),
        &code,
        &verifier,
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_client_authentication_methods_at_once_are_refused() {
    let env = Env::new().await;
    let (code, verifier) = code_for(&env, &Browser::new(), &env.client, &[]).await;
    let secret = env.client.client_secret.clone().expect("secret");
    let res = token_request(
        &env.endpoints.token,
        ClientAuth::Basic(&env.client.client_id, &secret),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", &verifier),
            ("client_secret", &secret),
        ],
    )
    .await;
    // RFC 6749 §2.3: a client MUST NOT use more than one method.
    assert!(
        res.status == StatusCode::BAD_REQUEST || res.status == StatusCode::UNAUTHORIZED,
        "{}: {}",
        res.status,
        res.body
    );
    let error = res.json()["error"].as_str().unwrap_or("").to_owned();
    assert!(
        error == "invalid_request" || error == "invalid_client",
        "{}",
        res.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_issued_to_another_client_is_invalid_grant() {
    let env = Env::new().await;
    let other = env.client(&ClientSpec::confidential("Other App"));
    let (code, verifier) = code_for(&env, &Browser::new(), &env.client, &[]).await;
    exchange(&env, ClientAuth::of(&other), &code, &verifier)
        .await
        .assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirect_uri_must_match_the_authorization_request() {
    let env = Env::new().await;
    let second = "https://rp.example/second";
    let client = env.client(&ClientSpec {
        redirect_uris: vec![REDIRECT_URI.into(), second.into()],
        ..ClientSpec::confidential("Two URIs")
    });
    let browser = Browser::new();
    // A different (even registered) redirect URI: invalid_grant (RFC 6749 §4.1.3).
    let (code, verifier) = code_for(&env, &browser, &client, &[]).await;
    token_request(
        &env.endpoints.token,
        ClientAuth::of(&client),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", second),
            ("code_verifier", &verifier),
        ],
    )
    .await
    .assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    // No redirect URI at all, though the request had one.
    let (code, verifier) = code_for(&env, &browser, &client, &[]).await;
    let res = token_request(
        &env.endpoints.token,
        ClientAuth::of(&client),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
    let error = res.json()["error"].as_str().unwrap_or("").to_owned();
    assert!(
        error == "invalid_request" || error == "invalid_grant",
        "{}",
        res.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_code_is_invalid_grant() {
    let env = Env::new().await;
    let (verifier, _) = pkce_pair();
    exchange(&env, ClientAuth::of(&env.client), "not-a-code", &verifier)
        .await
        .assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsupported_or_missing_grant_type_is_refused() {
    let env = Env::new().await;
    let auth = ClientAuth::of(&env.client);
    token_request(
        &env.endpoints.token,
        auth.clone(),
        &[
            ("grant_type", "password"),
            ("username", "alice@acme.example"),
            ("password", PASSWORD),
        ],
    )
    .await
    .assert_oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type");
    token_request(
        &env.endpoints.token,
        auth.clone(),
        &[("grant_type", "urn:example:nothing")],
    )
    .await
    .assert_oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type");
    token_request(&env.endpoints.token, auth, &[("code", "x")])
        .await
        .assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_request");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_endpoint_accepts_only_post() {
    let env = Env::new().await;
    let res = get(&env.endpoints.token).await;
    assert_eq!(res.status, StatusCode::METHOD_NOT_ALLOWED, "{}", res.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_body_is_invalid_request_saying_the_body_must_be_a_form() {
    let env = Env::new().await;
    let secret = env.client.client_secret.clone().expect("secret");
    for content_type in ["application/json", "application/json; charset=utf-8"] {
        let res = plain_client()
            .post(&env.endpoints.token)
            .basic_auth(&env.client.client_id, Some(&secret))
            .header("content-type", content_type)
            .body(r#"{"grant_type":"authorization_code","code":"x","redirect_uri":"https://rp.example/cb"}"#)
            .send()
            .await
            .expect("token request");
        let res = Resp::read(url::Url::parse(&env.endpoints.token).expect("URL"), res).await;
        let body = res.assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_request");
        assert_eq!(
            body["error_description"],
            "the token request body must be application/x-www-form-urlencoded (RFC 6749 §3.2), not JSON",
            "{content_type}"
        );
        assert_no_store(&res);
    }
}
