//! Client credentials (RFC 6749 §4.4) with each client authentication method,
//! including `private_key_jwt` (RFC 7523) with inline keys and a `jwks_uri`.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::Value;

const API: &str = "https://api.acme.example";

fn cc(scope: Option<&str>) -> Vec<(&str, &str)> {
    let mut p = vec![("grant_type", "client_credentials")];
    if let Some(s) = scope {
        p.push(("scope", s));
    }
    p
}

/// The access token verifies with the tenant's JWKS and says what it should.
async fn assert_service_token(env: &Env, client_id: &str, res: &Resp, scope: &str, aud: &str) {
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_no_store(res);
    let body = res.json();
    assert_eq!(body["token_type"], "Bearer");
    assert!(body.get("id_token").is_none(), "no ID token: {body}");
    assert!(
        body.get("refresh_token").is_none(),
        "no refresh token: {body}"
    );
    assert_eq!(body["scope"], scope);
    let token = body["access_token"].as_str().expect("access_token");
    verify_es256(token, &jwks(&env.endpoints).await).expect("signature");
    let (header, claims) = jwt_parts(token);
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!(claims["sub"], client_id);
    assert_eq!(claims["client_id"], client_id);
    assert_eq!(claims["aud"], aud);
    assert_eq!(claims["iss"], env.tenant.issuer.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_credentials_with_basic_and_post() {
    let env = Env::new().await;
    let basic = env.client(&ClientSpec::service(
        "Billing",
        &["invoices:read", "invoices:write"],
        &[API],
    ));
    let res = token_request(
        &env.endpoints.token,
        ClientAuth::of(&basic),
        &cc(Some("invoices:read")),
    )
    .await;
    assert_service_token(&env, &basic.client_id, &res, "invoices:read", API).await;
    // Without scope: everything the client is allowed.
    let res = token_request(&env.endpoints.token, ClientAuth::of(&basic), &cc(None)).await;
    assert_service_token(
        &env,
        &basic.client_id,
        &res,
        "invoices:read invoices:write",
        API,
    )
    .await;

    let post = env.client(&ClientSpec {
        auth_method: Some("client_secret_post".into()),
        ..ClientSpec::service("Reports", &["reports"], &[])
    });
    let res = token_request(
        &env.endpoints.token,
        ClientAuth::of(&post),
        &cc(Some("reports")),
    )
    .await;
    // No audience registered: the token is for the client itself.
    assert_service_token(&env, &post.client_id, &res, "reports", &post.client_id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_credentials_refuses_what_is_not_registered() {
    let env = Env::new().await;
    let svc = env.client(&ClientSpec::service(
        "Billing",
        &["invoices:read"],
        &[API, "https://other.example"],
    ));
    let secret = svc.client_secret.clone().unwrap_or_default();
    token_request(
        &env.endpoints.token,
        ClientAuth::Basic(&svc.client_id, "wrong"),
        &cc(None),
    )
    .await
    .assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    token_request(
        &env.endpoints.token,
        ClientAuth::Basic(&svc.client_id, &secret),
        &cc(Some("invoices:write")),
    )
    .await
    .assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_scope");
    token_request(
        &env.endpoints.token,
        ClientAuth::Basic(&svc.client_id, &secret),
        &cc(Some("openid")),
    )
    .await
    .assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_scope");
    let mut p = cc(None);
    p.push(("resource", "https://evil.example"));
    token_request(&env.endpoints.token, ClientAuth::of(&svc), &p)
        .await
        .assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_target");
    // A registered second audience may be asked for.
    let mut p = cc(None);
    p.push(("audience", "https://other.example"));
    let res = token_request(&env.endpoints.token, ClientAuth::of(&svc), &p).await;
    assert_service_token(
        &env,
        &svc.client_id,
        &res,
        "invoices:read",
        "https://other.example",
    )
    .await;
    // The web client was not registered for the grant.
    token_request(&env.endpoints.token, ClientAuth::of(&env.client), &cc(None))
        .await
        .assert_oauth_error(StatusCode::BAD_REQUEST, "unauthorized_client");
    // A public client cannot even be registered for it.
    let out = env.server.cli(
        &[
            "client",
            "create",
            "--tenant",
            "acme",
            "--name",
            "X",
            "--public",
            "--redirect-uri",
            REDIRECT_URI,
            "--grant-type",
            "client_credentials",
        ],
        None,
    );
    assert!(
        !out.success && out.stderr.contains("confidential"),
        "{}",
        out.stderr
    );
}

fn jwt_client(env: &Env, key: &ClientKey) -> RegisteredClient {
    env.client(&ClientSpec {
        auth_method: Some("private_key_jwt".into()),
        jwks: Some(key.jwks()),
        ..ClientSpec::service("Signer", &["jobs"], &[])
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_key_jwt_authenticates_once_per_assertion() {
    let env = Env::new().await;
    let key = ClientKey::generate("k1");
    let client = jwt_client(&env, &key);
    assert_eq!(client.auth_method, "private_key_jwt");
    assert!(client.client_secret.is_none());

    let assertion = key.assertion(&client.client_id, &env.endpoints.token, 60);
    let res = token_request(
        &env.endpoints.token,
        ClientAuth::Assertion(&assertion),
        &cc(None),
    )
    .await;
    assert_service_token(&env, &client.client_id, &res, "jobs", &client.client_id).await;
    // The same assertion again: a replay.
    let res = token_request(
        &env.endpoints.token,
        ClientAuth::Assertion(&assertion),
        &cc(None),
    )
    .await;
    let err = res.assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    assert!(
        err["error_description"]
            .as_str()
            .unwrap_or("")
            .contains("jti"),
        "{err}"
    );
    // The issuer is an acceptable audience too.
    let by_issuer = key.assertion(&client.client_id, &env.tenant.issuer, 60);
    let res = token_request(
        &env.endpoints.token,
        ClientAuth::Assertion(&by_issuer),
        &cc(None),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_private_key_jwt_assertions_are_invalid_client() {
    let env = Env::new().await;
    let key = ClientKey::generate("k1");
    let client = jwt_client(&env, &key);
    let id = client.client_id.as_str();
    let token = env.endpoints.token.as_str();
    let bad = |claims: Value| key.sign(&claims);
    let cases = [
        (
            "expired",
            bad(
                serde_json::json!({"iss": id, "sub": id, "aud": token, "jti": "a1", "exp": now() - 10}),
            ),
        ),
        (
            "wrong aud",
            bad(
                serde_json::json!({"iss": id, "sub": id, "aud": "https://elsewhere.example/token", "jti": "a2", "exp": now() + 60}),
            ),
        ),
        (
            "no jti",
            bad(serde_json::json!({"iss": id, "sub": id, "aud": token, "exp": now() + 60})),
        ),
        (
            "iss differs",
            bad(
                serde_json::json!({"iss": "someone", "sub": id, "aud": token, "jti": "a3", "exp": now() + 60}),
            ),
        ),
        (
            "too long-lived",
            bad(
                serde_json::json!({"iss": id, "sub": id, "aud": token, "jti": "a4", "exp": now() + 86_400}),
            ),
        ),
        (
            "other key",
            ClientKey::generate("k1").assertion(id, token, 60),
        ),
    ];
    for (what, assertion) in cases {
        let res = token_request(token, ClientAuth::Assertion(&assertion), &cc(None)).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{what}: {}", res.body);
        assert_eq!(res.json()["error"], "invalid_client", "{what}");
    }
    // A secret client cannot authenticate with an assertion, nor this one with a secret.
    let secret_client = env.client(&ClientSpec::service("Secretive", &["jobs"], &[]));
    let forged = key.assertion(&secret_client.client_id, token, 60);
    token_request(token, ClientAuth::Assertion(&forged), &cc(None))
        .await
        .assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    token_request(token, ClientAuth::Post(id, "guess"), &cc(None))
        .await
        .assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_key_jwt_with_a_jwks_uri() {
    let env = Env::new().await;
    let key = ClientKey::generate("remote-1");
    let rp = Receiver::start().await;
    let uri = rp.serve("/jwks.json", "application/json", &key.jwks());
    let client = env.client(&ClientSpec {
        auth_method: Some("private_key_jwt".into()),
        jwks_uri: Some(uri),
        ..ClientSpec::service("Remote Signer", &["jobs"], &[])
    });
    let assertion = key.assertion(&client.client_id, &env.endpoints.token, 60);
    let res = token_request(
        &env.endpoints.token,
        ClientAuth::Assertion(&assertion),
        &cc(None),
    )
    .await;
    assert_service_token(&env, &client.client_id, &res, "jobs", &client.client_id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_lists_the_grants_and_auth_methods() {
    let env = Env::new().await;
    let doc = &env.endpoints.doc;
    for g in [
        "client_credentials",
        "urn:ietf:params:oauth:grant-type:device_code",
    ] {
        assert!(
            doc["grant_types_supported"]
                .as_array()
                .is_some_and(|a| a.iter().any(|v| v == g)),
            "{g}"
        );
    }
    for (field, method, expected) in [
        (
            "token_endpoint_auth_methods_supported",
            "private_key_jwt",
            true,
        ),
        (
            "introspection_endpoint_auth_methods_supported",
            "private_key_jwt",
            true,
        ),
        (
            "introspection_endpoint_auth_methods_supported",
            "none",
            false,
        ),
        ("revocation_endpoint_auth_methods_supported", "none", true),
    ] {
        let has = doc[field]
            .as_array()
            .is_some_and(|a| a.iter().any(|v| v == method));
        assert_eq!(has, expected, "{field} {method}: {doc}");
    }
    assert!(
        doc["token_endpoint_auth_signing_alg_values_supported"]
            .as_array()
            .is_some_and(|a| a.iter().any(|v| v == "ES256"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_clients_and_assertions_stay_in_their_tenant() {
    let env = Env::new().await;
    let svc = env.client(&ClientSpec::service("Billing", &["invoices:read"], &[]));
    let key = ClientKey::generate("k1");
    let signer = jwt_client(&env, &key);
    env.server.create_tenant("globex");
    let globex = discover(&env.server.issuer("globex")).await;
    token_request(&globex.token, ClientAuth::of(&svc), &cc(None))
        .await
        .assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    // An assertion made for acme's token endpoint, sent to globex's.
    let assertion = key.assertion(&signer.client_id, &env.endpoints.token, 60);
    token_request(&globex.token, ClientAuth::Assertion(&assertion), &cc(None))
        .await
        .assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    // And acme's service token is inactive at globex's introspection.
    let res = token_request(&env.endpoints.token, ClientAuth::of(&svc), &cc(None)).await;
    let at = res.json()["access_token"].as_str().unwrap_or("").to_owned();
    let globex_api = env
        .server
        .create_client("globex", &ClientSpec::service("API", &[], &[]));
    assert_eq!(
        introspect(&globex, &globex_api, &at).await,
        serde_json::json!({"active": false})
    );
    assert_eq!(introspect(&env.endpoints, &svc, &at).await["active"], true);
}
