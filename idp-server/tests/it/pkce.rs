//! PKCE (RFC 7636), S256 only, required by default (RFC 9700 §2.1.1).

use crate::support::*;
use reqwest::StatusCode;

const STATE: &str = "pkce-state-1";

/// A valid authorization request of `client_id` without PKCE.
fn request(env: &Env, client_id: &str) -> RawAuthorize {
    RawAuthorize::code(&env.endpoints, client_id, STATE)
}

async fn exchange_raw(
    env: &Env,
    client: &RegisteredClient,
    code: &str,
    verifier: Option<&str>,
) -> Resp {
    let mut params = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT_URI),
    ];
    if let Some(v) = verifier {
        params.push(("code_verifier", v));
    }
    token_request(&env.endpoints.token, ClientAuth::of(client), &params).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_code_challenge_is_invalid_request() {
    let env = Env::new().await;
    let public = env.client(&ClientSpec::public("SPA"));
    for client in [&env.client, &public] {
        request(&env, &client.client_id)
            .to_client()
            .await
            .assert_error("invalid_request", &env.tenant.issuer, Some(STATE));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_code_challenge_method_is_refused() {
    let env = Env::new().await;
    let (verifier, _) = pkce_pair();
    // With plain the challenge is the verifier itself.
    request(&env, &env.client.client_id)
        .set("code_challenge", &verifier)
        .set("code_challenge_method", "plain")
        .to_client()
        .await
        .assert_error("invalid_request", &env.tenant.issuer, Some(STATE));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_challenge_without_method_is_refused_since_it_means_plain() {
    let env = Env::new().await;
    let (_, challenge) = pkce_pair();
    request(&env, &env.client.client_id)
        .set("code_challenge", &challenge)
        .to_client()
        .await
        .assert_error("invalid_request", &env.tenant.issuer, Some(STATE));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_code_challenge_method_is_refused() {
    let env = Env::new().await;
    let (_, challenge) = pkce_pair();
    request(&env, &env.client.client_id)
        .set("code_challenge", &challenge)
        .set("code_challenge_method", "S512")
        .to_client()
        .await
        .assert_error("invalid_request", &env.tenant.issuer, Some(STATE));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_code_verifier_is_invalid_grant() {
    let env = Env::new().await;
    let rp = env.rp(&env.client).await;
    let req = rp.auth_request(&AuthOptions::default());
    let (callback, _) = Browser::new()
        .authorize(req.url.as_str(), REDIRECT_URI, &env.user)
        .await;
    let (other_verifier, _) = pkce_pair();
    let res = exchange_raw(&env, &env.client, &callback.code(), Some(&other_verifier)).await;
    res.assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    assert_no_store(&res);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_code_verifier_is_invalid_grant() {
    let env = Env::new().await;
    let rp = env.rp(&env.client).await;
    let req = rp.auth_request(&AuthOptions::default());
    let (callback, _) = Browser::new()
        .authorize(req.url.as_str(), REDIRECT_URI, &env.user)
        .await;
    exchange_raw(&env, &env.client, &callback.code(), None)
        .await
        .assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_client_with_wrong_verifier_is_invalid_grant() {
    let env = Env::new().await;
    let public = env.client(&ClientSpec::public("SPA"));
    let rp = env.rp(&public).await;
    let req = rp.auth_request(&AuthOptions::default());
    let (callback, _) = Browser::new()
        .authorize(req.url.as_str(), REDIRECT_URI, &env.user)
        .await;
    let (other_verifier, _) = pkce_pair();
    exchange_raw(&env, &public, &callback.code(), Some(&other_verifier))
        .await
        .assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_registered_without_pkce_may_omit_it_but_not_send_a_lone_verifier() {
    let env = Env::new().await;
    let client = env.client(&ClientSpec {
        no_pkce: true,
        ..ClientSpec::confidential("Certification App")
    });
    assert_eq!(client.json["require_pkce"], false);
    let browser = Browser::new();
    let url = request(&env, &client.client_id).url();
    let (callback, _) = browser.authorize(&url, REDIRECT_URI, &env.user).await;
    let res = exchange_raw(&env, &client, &callback.code(), None).await;
    assert_eq!(
        res.status,
        StatusCode::OK,
        "exchange without PKCE: {}",
        res.body
    );
    assert!(res.json()["id_token"].is_string());

    // A verifier for a code requested without a challenge is a downgrade
    // attempt (RFC 9700 §2.1.1).
    let (callback, _) = browser.authorize(&url, REDIRECT_URI, &env.user).await;
    let (verifier, _) = pkce_pair();
    exchange_raw(&env, &client, &callback.code(), Some(&verifier))
        .await
        .assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");

    // Plain stays refused for it too.
    let (v, _) = pkce_pair();
    request(&env, &client.client_id)
        .set("code_challenge", &v)
        .set("code_challenge_method", "plain")
        .to_client()
        .await
        .assert_error("invalid_request", &env.tenant.issuer, Some(STATE));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_client_cannot_be_registered_without_pkce() {
    let server = TestServer::start().await;
    server.create_tenant("acme");
    let out = server.cli(
        &[
            "client",
            "create",
            "--tenant",
            "acme",
            "--name",
            "SPA",
            "--redirect-uri",
            REDIRECT_URI,
            "--public",
            "--no-pkce",
            "--json",
        ],
        None,
    );
    assert!(
        !out.success,
        "a public client without PKCE was registered: {}",
        out.stdout
    );
    assert_eq!(
        out.stderr.trim().lines().count(),
        1,
        "one-line error: {}",
        out.stderr
    );
}
