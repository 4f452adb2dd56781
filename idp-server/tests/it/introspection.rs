//! Token introspection (RFC 7662).

use crate::support::*;
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn introspection_describes_an_active_access_token() {
    let env = Env::new().await;
    let rp = env.rp(&env.client).await;
    let flow = rp
        .flow(
            &Browser::new(),
            &env.user,
            &AuthOptions::scopes(&["email", "offline_access"]),
        )
        .await;
    let at = access_token_of(&flow.tokens);
    // A resource server is a client of its own.
    let api = env.client(&ClientSpec::service("Orders API", &[], &[]));
    let v = introspect(&env.endpoints, &api, &at).await;
    assert_eq!(v["active"], true, "{v}");
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["client_id"], env.client.client_id.as_str());
    assert_eq!(v["sub"], env.user.id.as_str());
    assert_eq!(v["iss"], env.tenant.issuer.as_str());
    assert_eq!(v["aud"], env.client.client_id.as_str());
    let scope = v["scope"].as_str().unwrap_or("");
    for s in ["openid", "email", "offline_access"] {
        assert!(scope.split(' ').any(|x| x == s), "{scope}");
    }
    let (exp, iat, nbf) = (v["exp"].as_i64(), v["iat"].as_i64(), v["nbf"].as_i64());
    assert!(
        exp.zip(iat).is_some_and(|(e, i)| e > i && i <= now() + 1),
        "{v}"
    );
    assert!(nbf.is_some(), "{v}");

    // The refresh token: for its own client only.
    let rt = refresh_token_of(&flow.tokens).expect("refresh token");
    let mine = introspect(&env.endpoints, &env.client, &rt).await;
    assert_eq!(mine["active"], true, "{mine}");
    assert_eq!(mine["token_type"], "refresh_token");
    assert_eq!(
        introspect(&env.endpoints, &api, &rt).await,
        json!({"active": false})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn introspection_requires_a_confidential_client() {
    let env = Env::new().await;
    let token = "anything";
    client_post(
        &env.endpoints.introspection,
        ClientAuth::Nothing,
        &[("token", token)],
    )
    .await
    .assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    let res = client_post(
        &env.endpoints.introspection,
        ClientAuth::Basic(&env.client.client_id, "wrong"),
        &[("token", token)],
    )
    .await;
    res.assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    assert!(res.header("www-authenticate").is_some());
    let spa = env.client(&ClientSpec::public("SPA"));
    client_post(
        &env.endpoints.introspection,
        ClientAuth::of(&spa),
        &[("token", token)],
    )
    .await
    .assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    // Authenticated: an unknown token is simply inactive.
    assert_eq!(
        introspect(&env.endpoints, &env.client, token).await,
        json!({"active": false})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_of_another_tenant_or_id_tokens_are_inactive() {
    let env = Env::new().await;
    let rp = env.rp(&env.client).await;
    let flow = rp
        .flow(&Browser::new(), &env.user, &AuthOptions::default())
        .await;
    let at = access_token_of(&flow.tokens);
    env.server.create_tenant("globex");
    let globex_client = env
        .server
        .create_client("globex", &ClientSpec::confidential("Globex App"));
    let globex = discover(&env.server.issuer("globex")).await;
    assert_eq!(
        introspect(&globex, &globex_client, &at).await,
        json!({"active": false})
    );
    // An ID token is not an access token.
    let id_token = id_token_of(&flow.tokens);
    assert_eq!(
        introspect(&env.endpoints, &env.client, &id_token).await,
        json!({"active": false})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_access_tokens_are_inactive() {
    let server = TestServer::start_with(idp_core::Lifetimes {
        access_token: 1,
        ..test_lifetimes()
    })
    .await;
    let env = Env::with_server(server).await;
    let svc = env.client(&ClientSpec::service("Batch", &["jobs"], &[]));
    let res = token_request(
        &env.endpoints.token,
        ClientAuth::of(&svc),
        &[("grant_type", "client_credentials")],
    )
    .await;
    let at = res.json()["access_token"].as_str().unwrap_or("").to_owned();
    assert_eq!(introspect(&env.endpoints, &svc, &at).await["active"], true);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(
        introspect(&env.endpoints, &svc, &at).await,
        json!({"active": false})
    );
}
