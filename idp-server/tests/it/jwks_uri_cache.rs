//! Clients' `jwks_uri` documents are cached (5 minutes) instead of fetched
//! per `private_key_jwt` assertion; an unknown `kid` fetches again once (a
//! rotated key, OIDC Core §10.1.1), but not per request.

use crate::support::*;
use reqwest::StatusCode;

const PATH: &str = "/jwks.json";

/// A client-credentials client authenticating with keys at `rp`'s [`PATH`].
fn remote_client(env: &Env, rp: &Receiver, key: &ClientKey) -> RegisteredClient {
    let uri = rp.serve(PATH, "application/json", &key.jwks());
    env.client(&ClientSpec {
        auth_method: Some("private_key_jwt".into()),
        jwks_uri: Some(uri),
        ..ClientSpec::service("Remote Signer", &["jobs"], &[])
    })
}

/// A client-credentials request authenticated by an assertion from `key`.
async fn token_with(env: &Env, client: &RegisteredClient, key: &ClientKey) -> Resp {
    let assertion = key.assertion(&client.client_id, &env.endpoints.token, 60);
    token_request(
        &env.endpoints.token,
        ClientAuth::Assertion(&assertion),
        &[("grant_type", "client_credentials")],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_assertions_fetch_the_jwks_uri_once() {
    let env = Env::new().await;
    let rp = Receiver::start().await;
    let key = ClientKey::generate("remote-1");
    let client = remote_client(&env, &rp, &key);
    for _ in 0..3 {
        let res = token_with(&env, &client, &key).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    }
    assert_eq!(rp.at(PATH).len(), 1, "one fetch for three assertions");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_key_is_picked_up_by_one_refetch() {
    let env = Env::new().await;
    let rp = Receiver::start().await;
    let old = ClientKey::generate("rp-key-1");
    let client = remote_client(&env, &rp, &old);
    let res = token_with(&env, &client, &old).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(rp.at(PATH).len(), 1);

    // The client publishes a new key under a new kid and drops the old one.
    let new = ClientKey::generate("rp-key-2");
    rp.serve(PATH, "application/json", &new.jwks());
    let res = token_with(&env, &client, &new).await;
    assert_eq!(res.status, StatusCode::OK, "new kid: {}", res.body);
    assert_eq!(rp.at(PATH).len(), 2, "one re-fetch for the new kid");
    let res = token_with(&env, &client, &new).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(rp.at(PATH).len(), 2, "the new set is cached");

    // The old key is gone from the cached set, and is refused without a fetch.
    token_with(&env, &client, &old)
        .await
        .assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    assert_eq!(rp.at(PATH).len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_kids_in_a_row_do_not_fetch_per_request() {
    let env = Env::new().await;
    let rp = Receiver::start().await;
    let key = ClientKey::generate("real");
    let client = remote_client(&env, &rp, &key);
    let res = token_with(&env, &client, &key).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    for i in 0..6 {
        let forger = ClientKey::generate(&format!("made-up-{i}"));
        token_with(&env, &client, &forger)
            .await
            .assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    assert_eq!(
        rp.at(PATH).len(),
        2,
        "the first fetch and one re-fetch, not one per unknown kid"
    );
    // The real key still works from the cache.
    let res = token_with(&env, &client, &key).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(rp.at(PATH).len(), 2);
}
