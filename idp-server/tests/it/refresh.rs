//! The refresh_token grant (RFC 6749 §6) with rotation and reuse detection
//! (RFC 9700 §4.14.2).

use crate::support::*;
use openidconnect::TokenResponse;
use openidconnect::core::CoreJwsSigningAlgorithm;
use reqwest::StatusCode;

const RS256: CoreJwsSigningAlgorithm = CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256;

async fn refresh_raw(env: &Env, client: &RegisteredClient, rt: &str, scope: Option<&str>) -> Resp {
    let mut params = vec![("grant_type", "refresh_token"), ("refresh_token", rt)];
    if let Some(s) = scope {
        params.push(("scope", s));
    }
    token_request(&env.endpoints.token, ClientAuth::of(client), &params).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_token_is_issued_only_with_offline_access() {
    let env = Env::new().await;
    let rp = env.rp(&env.client).await;
    let browser = Browser::new();
    let without = rp.flow(&browser, &env.user, &AuthOptions::default()).await;
    assert_eq!(
        refresh_token_of(&without.tokens),
        None,
        "no offline_access, no refresh token"
    );
    let with = rp
        .flow(
            &browser,
            &env.user,
            &AuthOptions::scopes(&["offline_access"]),
        )
        .await;
    assert!(
        refresh_token_of(&with.tokens).is_some(),
        "offline_access gives a refresh token"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_token_rotates_on_every_use() {
    let env = Env::new().await;
    let rp = env.rp(&env.client).await;
    let (flow, rt1) = rp.offline_flow(&Browser::new(), &env.user).await;
    let first = rp.verify_id_token(&flow.tokens, Some(&flow.nonce), RS256);

    let res = refresh_raw(&env, &env.client, &rt1, None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_no_store(&res);
    let body = res.json();
    let rt2 = body["refresh_token"]
        .as_str()
        .expect("a new refresh token")
        .to_owned();
    assert_ne!(rt2, rt1, "the refresh token rotates");
    let at2 = body["access_token"].as_str().expect("a new access token");
    assert_ne!(at2, access_token_of(&flow.tokens));
    assert_eq!(body["token_type"], "Bearer");

    // The new one works, through openidconnect; an ID token issued on
    // refresh keeps iss, sub and auth_time (OIDC Core §12.2).
    let again = rp
        .refresh(&rt2)
        .await
        .expect("the rotated refresh token works");
    let rt3 = refresh_token_of(&again).expect("rotated again");
    assert!(rt3 != rt2 && rt3 != rt1);
    if again.id_token().is_some() {
        let claims = rp.verify_id_token(&again, None, RS256);
        assert_eq!(claims.issuer(), first.issuer());
        assert_eq!(claims.subject(), first.subject());
        assert_eq!(claims.auth_time(), first.auth_time());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reused_refresh_token_revokes_family() {
    let env = Env::new().await;
    let rp = env.rp(&env.client).await;
    let (_, rt1) = rp.offline_flow(&Browser::new(), &env.user).await;
    let rotated = rp.refresh(&rt1).await.expect("first use");
    let rt2 = refresh_token_of(&rotated).expect("rotated token");

    let reuse = refresh_raw(&env, &env.client, &rt1, None).await;
    reuse.assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    assert_no_store(&reuse);

    let newest = refresh_raw(&env, &env.client, &rt2, None).await;
    newest.assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reuse_does_not_touch_other_grants_of_the_user() {
    let env = Env::new().await;
    let rp = env.rp(&env.client).await;
    let (_, a1) = rp.offline_flow(&Browser::new(), &env.user).await;
    let (_, b1) = rp.offline_flow(&Browser::new(), &env.user).await;
    rp.refresh(&a1).await.expect("first use");
    refresh_raw(&env, &env.client, &a1, None)
        .await
        .assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    rp.refresh(&b1)
        .await
        .expect("another grant's refresh token is unaffected by the reuse");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_token_of_another_client_is_invalid_grant() {
    let env = Env::new().await;
    let rp = env.rp(&env.client).await;
    let (_, rt) = rp.offline_flow(&Browser::new(), &env.user).await;
    let other = env.client(&ClientSpec::confidential("Other App"));
    refresh_raw(&env, &other, &rt, None)
        .await
        .assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    rp.refresh(&rt)
        .await
        .expect("a refresh token presented by another client stays valid for its own");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_may_narrow_the_scope_but_not_widen_it() {
    let env = Env::new().await;
    let rp = env.rp(&env.client).await;
    let (_, rt) = rp.offline_flow(&Browser::new(), &env.user).await;
    let wider = refresh_raw(&env, &env.client, &rt, Some("openid offline_access email")).await;
    wider.assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_scope");
    let narrow = refresh_raw(&env, &env.client, &rt, Some("openid")).await;
    assert_eq!(narrow.status, StatusCode::OK, "{}", narrow.body);
    let body = narrow.json();
    assert_eq!(body["scope"], "openid");
    let (_, claims) = jwt_parts(body["access_token"].as_str().expect("access token"));
    assert_eq!(
        claims["scope"], "openid",
        "the access token carries the narrower scope"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_refresh_token_is_invalid_grant() {
    let env = Env::new().await;
    refresh_raw(&env, &env.client, "not-a-refresh-token", None)
        .await
        .assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_without_the_refresh_grant_gets_no_refresh_token() {
    let env = Env::new().await;
    let client = env.client(&ClientSpec {
        grant_types: vec!["authorization_code".into()],
        ..ClientSpec::confidential("No Refresh App")
    });
    assert_eq!(
        client.json["grant_types"],
        serde_json::json!(["authorization_code"])
    );
    let rp = env.rp(&client).await;
    let flow = rp
        .flow(
            &Browser::new(),
            &env.user,
            &AuthOptions::scopes(&["offline_access"]),
        )
        .await;
    assert_eq!(refresh_token_of(&flow.tokens), None);
    refresh_raw(&env, &client, "anything", None)
        .await
        .assert_oauth_error(StatusCode::BAD_REQUEST, "unauthorized_client");
}
