//! Pairwise subject identifiers (OIDC Core §8.1) and `sector_identifier_uri`
//! (OIDC Registration §2, §5), through the CLI, dynamic registration and
//! every place a relying party sees a `sub`.

use crate::support::*;
use openidconnect::core::CoreJwsSigningAlgorithm;
use reqwest::StatusCode;
use serde_json::{Value, json};

const RS256: CoreJwsSigningAlgorithm = CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256;

fn pairwise(name: &str, redirect_uri: &str) -> ClientSpec {
    ClientSpec {
        redirect_uris: vec![redirect_uri.to_owned()],
        subject_type: Some("pairwise".into()),
        ..ClientSpec::confidential(name)
    }
}

/// The `sub` of the ID token of a fresh flow of `client` as the user of
/// `env`, with the flow's tokens.
async fn subject_of(env: &Env, client: &RegisteredClient, browser: &Browser) -> (String, Flow) {
    let rp = env.rp(client).await;
    let flow = rp
        .flow(
            browser,
            &env.user,
            &AuthOptions::scopes(&["offline_access"]),
        )
        .await;
    let claims = rp.verify_id_token(&flow.tokens, Some(&flow.nonce), RS256);
    (claims.subject().as_str().to_owned(), flow)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pairwise_subjects_are_the_same_within_a_sector_and_differ_across_sectors() {
    let env = Env::new().await;
    assert!(
        env.endpoints.doc["subject_types_supported"]
            .as_array()
            .is_some_and(|a| a.contains(&json!("pairwise")) && a.contains(&json!("public"))),
        "{}",
        env.endpoints.doc
    );
    let a1 = env.client(&pairwise("Sector A one", REDIRECT_URI));
    assert_eq!(a1.json["subject_type"], "pairwise");
    let a2 = env.client(&pairwise("Sector A two", "https://rp.example/other-cb"));
    let b = env.client(&pairwise("Sector B", "https://b.example/cb"));
    let browser = Browser::new();
    let (public_sub, _) = subject_of(&env, &env.client, &browser).await;
    let (sub_a1, flow_a1) = subject_of(&env, &a1, &browser).await;
    let (sub_a2, _) = subject_of(&env, &a2, &browser).await;
    let (sub_b, _) = subject_of(&env, &b, &browser).await;
    assert_eq!(public_sub, env.user.id, "a public client sees the user id");
    assert_eq!(sub_a1, sub_a2, "one sector, one subject");
    assert_ne!(sub_a1, sub_b, "another sector, another subject");
    for sub in [&sub_a1, &sub_b] {
        assert_ne!(sub, &env.user.id);
        assert!(!sub.contains(&env.user.id), "{sub}");
    }

    // The same user in the same sector again: a stable subject.
    let (again, _) = subject_of(&env, &a1, &Browser::new()).await;
    assert_eq!(again, sub_a1);

    // Access token, userinfo and introspection agree with the ID token.
    let access_token = access_token_of(&flow_a1.tokens);
    let (_, at_claims) = jwt_parts(&access_token);
    assert_eq!(at_claims["sub"], sub_a1.as_str());
    assert!(
        !at_claims.to_string().contains(&env.user.id),
        "the user id is not readable in the access token: {at_claims}"
    );
    let info = get_bearer(&env.endpoints.userinfo, &access_token).await;
    assert_eq!(info.status, StatusCode::OK, "{}", info.body);
    let info = info.json();
    assert_eq!(info["sub"], sub_a1.as_str());
    assert_eq!(info["email"], Value::Null, "scope openid only");
    let active = introspect(&env.endpoints, &a1, &access_token).await;
    assert_eq!(active["active"], true);
    assert_eq!(active["sub"], sub_a1.as_str());
    let refresh = refresh_token_of(&flow_a1.tokens).expect("a refresh token");
    let active = introspect(&env.endpoints, &a1, &refresh).await;
    assert_eq!(active["active"], true);
    assert_eq!(active["sub"], sub_a1.as_str());

    // A refreshed ID token names the same subject.
    let rp = env.rp(&a1).await;
    let refreshed = rp.refresh(&refresh).await.expect("refresh");
    assert_eq!(
        jwt_parts(&id_token_of(&refreshed)).1["sub"],
        sub_a1.as_str()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pairwise_id_token_hint_names_the_user_of_the_session() {
    let env = Env::new().await;
    let client = env.client(&pairwise("Hinted", REDIRECT_URI));
    let browser = Browser::new();
    let (sub, flow) = subject_of(&env, &client, &browser).await;
    let rp = env.rp(&client).await;
    // prompt=none with the hint: the hint's pairwise sub is the session's
    // user, so a code comes back without a page.
    let hint = id_token_of(&flow.tokens);
    let req = rp.auth_request(&AuthOptions {
        prompt: Some(openidconnect::core::CoreAuthPrompt::None),
        extra: vec![("id_token_hint".into(), hint.clone())],
        ..AuthOptions::default()
    });
    let callback = browser.answer_to_client(req.url.as_str()).await;
    let tokens = rp
        .exchange(&callback.code(), req.verifier.as_deref())
        .await
        .expect("exchange");
    assert_eq!(jwt_parts(&id_token_of(&tokens)).1["sub"], sub.as_str());

    // Another user's session does not match the hint.
    let bob = env
        .server
        .create_user("acme", "bob@acme.example", "Bob", PASSWORD);
    let other = Browser::new();
    env.rp(&client)
        .await
        .flow(&other, &bob, &AuthOptions::default())
        .await;
    let req = rp.auth_request(&AuthOptions {
        prompt: Some(openidconnect::core::CoreAuthPrompt::None),
        extra: vec![("id_token_hint".into(), hint)],
        ..AuthOptions::default()
    });
    let callback = other.answer_to_client(req.url.as_str()).await;
    callback.assert_error("login_required", &env.tenant.issuer, Some(&req.state));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sector_identifier_uri_must_list_every_redirect_uri() {
    let env = Env::new().await;
    let receiver = Receiver::start().await;
    let two_hosts = vec![
        REDIRECT_URI.to_owned(),
        "https://app2.example/cb".to_owned(),
    ];
    // Redirect URIs on two hosts need a sector identifier URI.
    let out = env.server.try_create_client(
        "acme",
        &ClientSpec {
            redirect_uris: two_hosts.clone(),
            ..pairwise("Two hosts", REDIRECT_URI)
        },
    );
    assert!(!out.success);
    assert!(
        out.stderr.contains("needs a sector_identifier_uri"),
        "{}",
        out.stderr
    );
    // A document that lists both is accepted; its host is the sector.
    let good = receiver.serve(
        "/sector.json",
        "application/json",
        &json!(two_hosts).to_string(),
    );
    let spec = ClientSpec {
        redirect_uris: two_hosts.clone(),
        sector_identifier_uri: Some(good.clone()),
        ..pairwise("Two hosts", REDIRECT_URI)
    };
    let client = env.client(&spec);
    assert_eq!(client.json["sector_identifier_uri"], good.as_str());
    assert_eq!(
        receiver.at("/sector.json").len(),
        1,
        "fetched at registration"
    );
    let (sub, _) = subject_of(&env, &client, &Browser::new()).await;
    assert_ne!(sub, env.user.id);
    // A client of another host listing the same sector shares the subject.
    let same_sector = env.client(&ClientSpec {
        redirect_uris: vec!["https://app2.example/cb".to_owned()],
        sector_identifier_uri: Some(good),
        ..pairwise("Same sector", "https://app2.example/cb")
    });
    let (sub2, _) = subject_of(&env, &same_sector, &Browser::new()).await;
    assert_eq!(sub2, sub);

    // A document that lacks one redirect URI is refused.
    let bad = receiver.serve(
        "/bad-sector.json",
        "application/json",
        &json!([REDIRECT_URI]).to_string(),
    );
    let out = env.server.try_create_client(
        "acme",
        &ClientSpec {
            sector_identifier_uri: Some(bad.clone()),
            ..spec.clone()
        },
    );
    assert!(!out.success);
    assert!(
        out.stderr
            .contains("does not list the redirect URI 'https://app2.example/cb'"),
        "{}",
        out.stderr
    );

    // Dynamic registration (RFC 7591) applies the same rules.
    let (server, endpoints) = open_tenant().await;
    let body = |sector: &str| {
        json!({
            "redirect_uris": two_hosts,
            "subject_type": "pairwise",
            "sector_identifier_uri": sector,
        })
    };
    let ok = register(&endpoints, &body(&receiver.url("/sector.json"))).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
    assert_eq!(ok.json()["subject_type"], "pairwise");
    assert_eq!(
        ok.json()["sector_identifier_uri"],
        receiver.url("/sector.json").as_str()
    );
    let refused = register(&endpoints, &body(&bad)).await;
    let error = refused.assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_client_metadata");
    assert!(
        error["error_description"]
            .as_str()
            .is_some_and(|d| d.contains("does not list the redirect URI")),
        "{error}"
    );
    // A document that is not there: one description whatever the cause.
    let missing = register(&endpoints, &body(&receiver.url("/nothing-here"))).await;
    let error = missing.assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_client_metadata");
    assert!(
        error["error_description"]
            .as_str()
            .is_some_and(|d| d.contains("sector_identifier_uri")),
        "{error}"
    );
    let no_sector = register(
        &endpoints,
        &json!({"redirect_uris": two_hosts, "subject_type": "pairwise"}),
    )
    .await;
    no_sector.assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_client_metadata");
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_sector_identifier_uri_is_refused() {
    // The default outbound policy: https only, no internal address.
    let (server, endpoints) =
        open_tenant_on(TestServer::start_config(|c| c.outbound = Default::default()).await).await;
    for sector in [
        "http://rp.example/sector.json",
        "https://127.0.0.1/sector.json",
    ] {
        let res = register(
            &endpoints,
            &json!({
                "redirect_uris": [REDIRECT_URI],
                "subject_type": "pairwise",
                "sector_identifier_uri": sector,
            }),
        )
        .await;
        let error = res.assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_client_metadata");
        assert!(
            error["error_description"]
                .as_str()
                .is_some_and(|d| d.contains("sector_identifier_uri")),
            "{sector}: {error}"
        );
    }
    drop(server);
}
