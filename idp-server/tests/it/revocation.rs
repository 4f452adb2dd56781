//! Token revocation (RFC 7009) and its effect on refresh, introspection and
//! userinfo.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::json;

/// An offline flow of `client`: (access token, refresh token).
async fn tokens(env: &Env, client: &RegisteredClient) -> (String, String) {
    let rp = env.rp(client).await;
    let (flow, rt) = rp.offline_flow(&Browser::new(), &env.user).await;
    (access_token_of(&flow.tokens), rt)
}

async fn revoke(env: &Env, client: &RegisteredClient, token: &str, hint: Option<&str>) -> Resp {
    let mut p = vec![("token", token)];
    if let Some(h) = hint {
        p.push(("token_type_hint", h));
    }
    client_post(&env.endpoints.revocation, ClientAuth::of(client), &p).await
}

async fn refresh(env: &Env, client: &RegisteredClient, rt: &str) -> Resp {
    token_request(
        &env.endpoints.token,
        ClientAuth::of(client),
        &[("grant_type", "refresh_token"), ("refresh_token", rt)],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_a_refresh_token_revokes_its_family_and_access_tokens() {
    let env = Env::new().await;
    let (at, rt) = tokens(&env, &env.client).await;
    // Rotate once: the family now has two refresh tokens and two access tokens.
    let rotated = refresh(&env, &env.client, &rt).await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.body);
    let at2 = rotated.json()["access_token"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    let rt2 = rotated.json()["refresh_token"]
        .as_str()
        .unwrap_or("")
        .to_owned();

    // The hint says access_token, wrongly: it is not trusted.
    let res = revoke(&env, &env.client, &rt2, Some("access_token")).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_no_store(&res);

    refresh(&env, &env.client, &rt2)
        .await
        .assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    for token in [&at, &at2] {
        assert_eq!(
            introspect(&env.endpoints, &env.client, token).await,
            json!({"active": false})
        );
        assert_eq!(
            get_bearer(&env.endpoints.userinfo, token).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        introspect(&env.endpoints, &env.client, &rt2).await,
        json!({"active": false})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_an_access_token_leaves_the_refresh_token() {
    let env = Env::new().await;
    let (at, rt) = tokens(&env, &env.client).await;
    assert_eq!(
        get_bearer(&env.endpoints.userinfo, &at).await.status,
        StatusCode::OK
    );
    let res = revoke(&env, &env.client, &at, None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(
        introspect(&env.endpoints, &env.client, &at).await,
        json!({"active": false})
    );
    let info = get_bearer(&env.endpoints.userinfo, &at).await;
    assert_eq!(info.status, StatusCode::UNAUTHORIZED);
    assert!(
        info.header("www-authenticate")
            .unwrap_or_default()
            .contains("invalid_token")
    );
    // The refresh token still works and gives a working access token.
    let res = refresh(&env, &env.client, &rt).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let fresh = res.json()["access_token"].as_str().unwrap_or("").to_owned();
    assert_eq!(
        introspect(&env.endpoints, &env.client, &fresh).await["active"],
        true
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_cannot_revoke_another_clients_tokens() {
    let env = Env::new().await;
    let other = env.client(&ClientSpec::confidential("Other App"));
    let (at, rt) = tokens(&env, &env.client).await;
    for token in [&at, &rt] {
        let res = revoke(&env, &other, token, None).await;
        res.assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_request");
    }
    // No effect: both still work.
    assert_eq!(
        introspect(&env.endpoints, &env.client, &at).await["active"],
        true
    );
    assert_eq!(refresh(&env, &env.client, &rt).await.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_tokens_answer_200_and_authentication_is_required() {
    let env = Env::new().await;
    let res = revoke(&env, &env.client, "no-such-token", None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let res = revoke(&env, &env.client, "a.b.c", Some("refresh_token")).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    client_post(
        &env.endpoints.revocation,
        ClientAuth::Nothing,
        &[("token", "x")],
    )
    .await
    .assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    client_post(
        &env.endpoints.revocation,
        ClientAuth::Basic(&env.client.client_id, "wrong"),
        &[("token", "x")],
    )
    .await
    .assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    client_post(&env.endpoints.revocation, ClientAuth::of(&env.client), &[])
        .await
        .assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_request");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_client_revokes_its_own_refresh_token() {
    let env = Env::new().await;
    let spa = env.client(&ClientSpec::public("SPA"));
    let (_at, rt) = tokens(&env, &spa).await;
    let res = revoke(&env, &spa, &rt, Some("refresh_token")).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    refresh(&env, &spa, &rt)
        .await
        .assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocation_is_per_tenant() {
    let env = Env::new().await;
    let (at, rt) = tokens(&env, &env.client).await;
    env.server.create_tenant("globex");
    let globex_client = env
        .server
        .create_client("globex", &ClientSpec::confidential("Globex App"));
    let globex = discover(&env.server.issuer("globex")).await;
    // Presented at the other tenant, the tokens are unknown there: 200, no effect.
    for token in [&at, &rt] {
        let res = client_post(
            &globex.revocation,
            ClientAuth::of(&globex_client),
            &[("token", token)],
        )
        .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    }
    assert_eq!(
        introspect(&env.endpoints, &env.client, &at).await["active"],
        true
    );
    assert_eq!(refresh(&env, &env.client, &rt).await.status, StatusCode::OK);
    // Nor can acme's client authenticate at globex.
    client_post(
        &globex.revocation,
        ClientAuth::of(&env.client),
        &[("token", &at)],
    )
    .await
    .assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
}
