//! A restart loses nothing: tenants, clients, users, sessions, consent,
//! refresh tokens and signing keys all live in the database. The restarted
//! server keeps its port and BASE_URL, as a real deployment keeps its URL.

use crate::support::*;
use openidconnect::core::{CoreAuthPrompt, CoreJwsSigningAlgorithm};
use reqwest::StatusCode;

const RS256: CoreJwsSigningAlgorithm = CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_keeps_signing_keys_and_tokens_issued_before_it() {
    let mut env = Env::new().await;
    let es_client = env.client(&ClientSpec {
        id_token_alg: Some("ES256".into()),
        ..ClientSpec::confidential("ES256 App")
    });
    let rp = env.rp(&env.client).await;
    let flow = rp
        .flow(
            &Browser::new(),
            &env.user,
            &AuthOptions::scopes(&["offline_access", "email"]),
        )
        .await;
    let before = rp.verify_id_token(&flow.tokens, Some(&flow.nonce), RS256);
    let rp_es = env.rp(&es_client).await;
    let es_flow = rp_es
        .flow(&Browser::new(), &env.user, &AuthOptions::default())
        .await;
    let kids_before = kids(&jwks(&env.endpoints).await);
    let discovery_before = env.endpoints.doc.clone();
    let rt = refresh_token_of(&flow.tokens).expect("refresh token");

    env.server.restart().await;

    let endpoints = discover(&env.tenant.issuer).await;
    assert_eq!(
        endpoints.doc, discovery_before,
        "discovery changed across a restart"
    );
    assert_eq!(
        kids(&jwks(&endpoints).await),
        kids_before,
        "JWKS kids changed across a restart"
    );

    // ID tokens issued before the restart verify against the keys published after it.
    let rp = env.rp(&env.client).await;
    let after = rp.verify_id_token(&flow.tokens, Some(&flow.nonce), RS256);
    assert_eq!(after.subject(), before.subject());
    let rp_es = env.rp(&es_client).await;
    rp_es.verify_id_token(
        &es_flow.tokens,
        Some(&es_flow.nonce),
        CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    );

    // The access token issued before still works at userinfo.
    let res = get_bearer(&endpoints.userinfo, &access_token_of(&flow.tokens)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.json()["email"], env.user.email.as_str());

    // The refresh token issued before still works, and rotates.
    let refreshed = rp
        .refresh(&rt)
        .await
        .unwrap_or_else(|e| panic!("a refresh token from before the restart was refused: {e}"));
    let rt2 = refresh_token_of(&refreshed).expect("rotated refresh token");
    assert_ne!(rt2, rt);
    // Its family is remembered too: reusing the old one is still detected.
    token_request(
        &endpoints.token,
        ClientAuth::of(&env.client),
        &[("grant_type", "refresh_token"), ("refresh_token", &rt)],
    )
    .await
    .assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");

    // New tokens are signed with the same keys.
    let flow2 = rp
        .flow(&Browser::new(), &env.user, &AuthOptions::default())
        .await;
    let (header, _) = jwt_parts(&id_token_of(&flow2.tokens));
    let kid = header["kid"].as_str().expect("kid").to_owned();
    assert!(
        kids_before.contains(&kid),
        "new ID token signed with unknown kid {kid}"
    );
    env.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_keeps_tenants_clients_users_sessions_and_consent() {
    let mut env = Env::new().await;
    let browser = Browser::new();
    let rp = env.rp(&env.client).await;
    let first = rp.flow(&browser, &env.user, &AuthOptions::default()).await;
    assert_eq!(first.pages, ["login", "consent"]);
    let before = rp.verify_id_token(&first.tokens, Some(&first.nonce), RS256);

    env.server.restart().await;

    // The tenant is still there.
    let list = env.server.cli_json(&["tenant", "list", "--json"], None);
    assert!(
        list["items"]
            .as_array()
            .expect("a page of items")
            .iter()
            .any(|t| t["slug"] == "acme" && t["id"] == env.tenant.id.as_str()),
        "tenant lost: {list}"
    );

    // The browser's session and the consent survive: prompt=none succeeds,
    // and the client's secret still authenticates it.
    let browser = browser.reconnect();
    let rp = env.rp(&env.client).await;
    let req = rp.auth_request(&AuthOptions {
        prompt: Some(CoreAuthPrompt::None),
        ..AuthOptions::default()
    });
    let res = browser.get(req.url.as_str()).await;
    assert_eq!(res.status, StatusCode::FOUND, "{}", res.body);
    let callback = Callback::parse(&res.redirect());
    let tokens = rp
        .exchange(&callback.code(), req.verifier.as_deref())
        .await
        .unwrap_or_else(|e| panic!("exchange after restart: {e}"));
    let after = rp.verify_id_token(&tokens, Some(&req.nonce), RS256);
    assert_eq!(after.subject(), before.subject());
    assert_eq!(
        after.auth_time(),
        before.auth_time(),
        "same session, same authentication"
    );

    // The user's password still works in a new browser; consent is remembered.
    let again = rp
        .flow(&Browser::new(), &env.user, &AuthOptions::default())
        .await;
    assert_eq!(again.pages, ["login"]);

    // The CLI keeps working on the restarted server's database.
    let late = env.client(&ClientSpec::public("Late App"));
    let rp_late = env.rp(&late).await;
    let late_flow = rp_late
        .flow(&browser, &env.user, &AuthOptions::default())
        .await;
    assert_eq!(
        late_flow.pages,
        ["consent"],
        "SSO after restart for a new client"
    );
    env.server.shutdown().await;
}
