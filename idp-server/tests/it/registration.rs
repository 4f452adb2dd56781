//! Dynamic client registration (RFC 7591, OIDC Dynamic Registration) and
//! its management (RFC 7592), with the `openidconnect` crate registering.

use crate::support::*;
use openidconnect::core::{CoreClientRegistrationRequest, CoreJwsSigningAlgorithm};
use openidconnect::registration::EmptyAdditionalClientMetadata;
use openidconnect::{RedirectUrl, RegistrationUrl};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_is_off_unless_the_tenant_enables_it() {
    let env = Env::new().await;
    assert!(env.endpoints.doc.get("registration_endpoint").is_none());
    let res = plain_client()
        .post(format!("{}/register", env.tenant.issuer))
        .json(&json!({"redirect_uris": [REDIRECT_URI]}))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registered_client_logs_a_user_in_and_can_read_and_delete_itself() {
    let (server, endpoints) = open_tenant().await;
    let user = server.create_user("open", "alice@open.example", "Alice", PASSWORD);
    // Registered by the openidconnect crate, as a relying party would.
    let registration_url = RegistrationUrl::new(
        endpoints.doc["registration_endpoint"]
            .as_str()
            .unwrap_or("")
            .to_owned(),
    )
    .expect("registration URL");
    let response = CoreClientRegistrationRequest::new(
        vec![RedirectUrl::new(REDIRECT_URI.to_owned()).expect("redirect URI")],
        EmptyAdditionalClientMetadata::default(),
    )
    .register_async(&registration_url, &plain_client())
    .await
    .expect("registration succeeds");
    let client = RegisteredClient {
        client_id: response.client_id().to_string(),
        client_secret: response.client_secret().map(|s| s.secret().clone()),
        redirect_uri: REDIRECT_URI.to_owned(),
        auth_method: "client_secret_basic".into(),
        json: Value::Null,
    };
    assert!(client.client_secret.is_some());
    let token = response
        .registration_access_token()
        .expect("a registration access token")
        .secret()
        .clone();
    let config_uri = response
        .registration_client_uri()
        .expect("a registration_client_uri")
        .to_string();

    // The new client works for the code flow; no PKCE is required of it.
    let rp = Rp::discover(&endpoints.issuer, &client).await;
    let flow = rp
        .flow(
            &Browser::new(),
            &user,
            &AuthOptions {
                no_pkce: true,
                ..AuthOptions::default()
            },
        )
        .await;
    rp.verify_id_token(
        &flow.tokens,
        Some(&flow.nonce),
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    );

    // RFC 7592 read: with the token only.
    let read = plain_client()
        .get(&config_uri)
        .bearer_auth(&token)
        .send()
        .await
        .expect("read");
    assert_eq!(read.status(), StatusCode::OK);
    let doc: Value = read.json().await.expect("JSON");
    assert_eq!(doc["client_id"], client.client_id.as_str());
    assert_eq!(doc["redirect_uris"], json!([REDIRECT_URI]));
    let wrong = plain_client()
        .get(&config_uri)
        .bearer_auth("nope")
        .send()
        .await
        .expect("read");
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);

    // RFC 7592 delete: the client is gone.
    let del = plain_client()
        .delete(&config_uri)
        .bearer_auth(&token)
        .send()
        .await
        .expect("delete");
    assert_eq!(del.status(), StatusCode::NO_CONTENT);
    let (code_like, _) = pkce_pair();
    token_request(
        &endpoints.token,
        ClientAuth::of(&client),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code_like),
            ("redirect_uri", REDIRECT_URI),
        ],
    )
    .await
    .assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_echoes_metadata_and_issues_what_was_asked() {
    let (_server, endpoints) = open_tenant().await;
    let res = register(
        &endpoints,
        &json!({
            "redirect_uris": [REDIRECT_URI],
            "client_name": "Dyn App",
            "grant_types": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_method": "client_secret_post",
            "id_token_signed_response_alg": "ES256",
            "logo_uri": "https://rp.example/logo.png",
            "contacts": ["ops@rp.example"],
            "post_logout_redirect_uris": ["https://rp.example/bye"],
        }),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_no_store(&res);
    let doc = res.json();
    for (k, v) in [
        ("client_name", json!("Dyn App")),
        ("token_endpoint_auth_method", json!("client_secret_post")),
        ("id_token_signed_response_alg", json!("ES256")),
        ("logo_uri", json!("https://rp.example/logo.png")),
        ("contacts", json!(["ops@rp.example"])),
        (
            "grant_types",
            json!(["authorization_code", "refresh_token"]),
        ),
        ("client_secret_expires_at", json!(0)),
    ] {
        assert_eq!(doc[k], v, "{k}: {doc}");
    }
    // A public client gets no secret.
    let res = register(
        &endpoints,
        &json!({"redirect_uris": [REDIRECT_URI], "token_endpoint_auth_method": "none"}),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert!(res.json().get("client_secret").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unacceptable_metadata_is_refused_with_400() {
    let (_server, endpoints) = open_tenant().await;
    for (body, error) in [
        (
            json!({"redirect_uris": ["https://rp.example/cb#frag"]}),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": ["not a uri"]}),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": [REDIRECT_URI], "response_types": ["code id_token"]}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": [REDIRECT_URI], "subject_type": "secret"}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": [REDIRECT_URI], "initiate_login_uri": "http://rp.example/login"}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": [REDIRECT_URI], "token_endpoint_auth_method": "client_secret_jwt"}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": [REDIRECT_URI], "token_endpoint_auth_method": "private_key_jwt"}),
            "invalid_client_metadata",
        ),
        (
            json!({"grant_types": ["authorization_code"]}),
            "invalid_client_metadata",
        ),
        (json!(["not", "an", "object"]), "invalid_client_metadata"),
    ] {
        let res = register(&endpoints, &body).await;
        assert_eq!(
            (res.status, res.json()["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some(error)),
            "{body}: {}",
            res.body
        );
        assert!(
            res.header("content-type")
                .unwrap_or_default()
                .starts_with("application/json")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn userinfo_is_a_signed_jwt_for_clients_registered_for_it() {
    let (server, endpoints) = open_tenant().await;
    let user = server.create_user("open", "alice@open.example", "Alice", PASSWORD);
    assert!(
        endpoints.doc["userinfo_signing_alg_values_supported"]
            .as_array()
            .is_some_and(|a| a.iter().any(|v| v == "ES256"))
    );
    let res = register(
        &endpoints,
        &json!({"redirect_uris": [REDIRECT_URI], "userinfo_signed_response_alg": "ES256"}),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let doc = res.json();
    assert_eq!(doc["userinfo_signed_response_alg"], "ES256");
    let client = RegisteredClient {
        client_id: doc["client_id"].as_str().unwrap_or("").to_owned(),
        client_secret: doc["client_secret"].as_str().map(str::to_owned),
        redirect_uri: REDIRECT_URI.to_owned(),
        auth_method: "client_secret_basic".into(),
        json: doc.clone(),
    };
    let rp = Rp::discover(&endpoints.issuer, &client).await;
    let flow = rp
        .flow(
            &Browser::new(),
            &user,
            &AuthOptions {
                scopes: vec!["email".into()],
                no_pkce: true,
                ..AuthOptions::default()
            },
        )
        .await;
    let info = get_bearer(&endpoints.userinfo, &access_token_of(&flow.tokens)).await;
    assert_eq!(info.status, StatusCode::OK);
    assert_eq!(
        info.header("content-type").as_deref(),
        Some("application/jwt")
    );
    verify_es256(info.body.trim(), &jwks(&endpoints).await).expect("signed by the tenant");
    let (_, claims) = jwt_parts(info.body.trim());
    assert_eq!(claims["iss"], endpoints.issuer.as_str());
    assert_eq!(claims["aud"], client.client_id.as_str());
    assert_eq!(claims["email"], user.email.as_str());
    assert!(claims.get("nonce").is_none());
}
