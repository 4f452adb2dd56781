//! Resource indicators (RFC 8707) in the code and refresh flows, and the
//! claims of JWT access tokens (RFC 9068 §2): `resource` at authorization
//! binds the grant, at the token endpoint narrows one token's `aud`; the
//! client's first registered audience is its default.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::Value;

const ORDERS: &str = "https://orders.example/api";
const BILLING: &str = "https://billing.example/";
const REPORTS: &str = "https://reports.example/";

/// A confidential web app allowed three APIs, ORDERS its default.
fn api_client(env: &Env) -> RegisteredClient {
    env.client(&ClientSpec {
        audiences: [ORDERS, BILLING, REPORTS].map(str::to_owned).to_vec(),
        ..ClientSpec::confidential("Shop")
    })
}

/// Authorizes `client` with scope `openid offline_access` and the given
/// extra parameters; returns (code, verifier).
async fn code_with(
    env: &Env,
    client: &RegisteredClient,
    extra: &[(&str, &str)],
) -> (String, String) {
    let (verifier, challenge) = pkce_pair();
    let mut req = RawAuthorize::code_with_pkce(&env.endpoints, &client.client_id, &challenge, "st")
        .set("scope", "openid offline_access");
    for (k, v) in extra {
        req = req.add(k, v);
    }
    let (callback, _) = Browser::new()
        .authorize(&req.url(), REDIRECT_URI, &env.user)
        .await;
    (callback.code(), verifier)
}

async fn exchange(
    env: &Env,
    client: &RegisteredClient,
    code: &str,
    verifier: &str,
    extra: &[(&str, &str)],
) -> Resp {
    let mut params = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", verifier),
    ];
    params.extend_from_slice(extra);
    token_request(&env.endpoints.token, ClientAuth::of(client), &params).await
}

async fn refresh(env: &Env, client: &RegisteredClient, rt: &str, extra: &[(&str, &str)]) -> Resp {
    let mut params = vec![("grant_type", "refresh_token"), ("refresh_token", rt)];
    params.extend_from_slice(extra);
    token_request(&env.endpoints.token, ClientAuth::of(client), &params).await
}

/// The verified claims of the access token of a 200 token response.
async fn access_claims(env: &Env, res: &Resp) -> (Value, Value) {
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let token = res.json()["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned();
    verify_es256(&token, &jwks(&env.endpoints).await).expect("ES256 signature by the JWKS");
    jwt_parts(&token)
}

fn refresh_token(res: &Resp) -> String {
    res.json()["refresh_token"]
        .as_str()
        .expect("refresh_token")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resources_asked_at_authorization_bind_the_access_token_audience() {
    let env = Env::new().await;
    let client = api_client(&env);
    let (code, verifier) = code_with(
        &env,
        &client,
        &[("resource", BILLING), ("resource", REPORTS)],
    )
    .await;
    // No resource at the token endpoint: the first one asked.
    let res = exchange(&env, &client, &code, &verifier, &[]).await;
    let (header, claims) = access_claims(&env, &res).await;
    assert_eq!(header["typ"], "at+jwt", "{header}");
    assert_eq!(claims["aud"], BILLING, "{claims}");
    // RFC 9068 §2.2: the required claims.
    assert_eq!(claims["iss"], env.tenant.issuer.as_str());
    assert_eq!(claims["sub"], env.user.id.as_str());
    assert_eq!(claims["client_id"], client.client_id.as_str());
    assert_eq!(claims["scope"], "openid offline_access", "{claims}");
    for name in ["exp", "iat"] {
        assert!(claims[name].is_i64(), "{name}: {claims}");
    }
    assert!(claims["exp"].as_i64() > claims["iat"].as_i64());
    assert!(
        claims["jti"].as_str().is_some_and(|j| j.len() >= 16),
        "{claims}"
    );
    // The ID token is still for the client.
    let id_token = res.json()["id_token"]
        .as_str()
        .expect("id_token")
        .to_owned();
    assert_eq!(jwt_parts(&id_token).1["aud"], client.client_id.as_str());

    // Refresh narrows to another granted resource...
    let rt = refresh_token(&res);
    let res = refresh(&env, &client, &rt, &[("resource", REPORTS)]).await;
    let (_, claims) = access_claims(&env, &res).await;
    assert_eq!(claims["aud"], REPORTS, "{claims}");
    // ... and the grant keeps both: the next refresh may go back.
    let rt = refresh_token(&res);
    let res = refresh(&env, &client, &rt, &[("resource", BILLING)]).await;
    let (_, claims) = access_claims(&env, &res).await;
    assert_eq!(claims["aud"], BILLING, "{claims}");
    // Registered, but not granted in this authorization.
    let rt = refresh_token(&res);
    let res = refresh(&env, &client, &rt, &[("resource", ORDERS)]).await;
    let body = res.assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_target");
    assert_eq!(
        body["error_description"],
        "the requested resource was not granted to this client"
    );
    // The refused request did not consume the refresh token.
    let res = refresh(&env, &client, &rt, &[]).await;
    let (_, claims) = access_claims(&env, &res).await;
    assert_eq!(claims["aud"], BILLING, "{claims}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_code_exchange_narrows_to_a_granted_resource_only() {
    let env = Env::new().await;
    let client = api_client(&env);
    let (code, verifier) = code_with(
        &env,
        &client,
        &[("resource", BILLING), ("resource", REPORTS)],
    )
    .await;
    let res = exchange(&env, &client, &code, &verifier, &[("resource", REPORTS)]).await;
    let (_, claims) = access_claims(&env, &res).await;
    assert_eq!(claims["aud"], REPORTS, "{claims}");

    let (code, verifier) = code_with(&env, &client, &[("resource", BILLING)]).await;
    let res = exchange(&env, &client, &code, &verifier, &[("resource", ORDERS)]).await;
    res.assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_target");
    // One audience per token.
    let (code, verifier) = code_with(
        &env,
        &client,
        &[("resource", BILLING), ("resource", REPORTS)],
    )
    .await;
    let res = exchange(
        &env,
        &client,
        &code,
        &verifier,
        &[("resource", BILLING), ("resource", REPORTS)],
    )
    .await;
    res.assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_target");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_resource_the_default_audience_else_the_client() {
    let env = Env::new().await;
    let client = api_client(&env);
    let (code, verifier) = code_with(&env, &client, &[]).await;
    let res = exchange(&env, &client, &code, &verifier, &[]).await;
    let (_, claims) = access_claims(&env, &res).await;
    assert_eq!(
        claims["aud"], ORDERS,
        "the first registered audience: {claims}"
    );
    // Nothing asked at authorization: any registered audience at refresh.
    let res = refresh(
        &env,
        &client,
        &refresh_token(&res),
        &[("resource", REPORTS)],
    )
    .await;
    let (_, claims) = access_claims(&env, &res).await;
    assert_eq!(claims["aud"], REPORTS, "{claims}");
    let res = refresh(
        &env,
        &client,
        &refresh_token(&res),
        &[("resource", "https://elsewhere.example/")],
    )
    .await;
    res.assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_target");

    // A client with no audience: its tokens are for itself, as before.
    let (code, verifier) = code_with(&env, &env.client, &[]).await;
    let res = exchange(&env, &env.client, &code, &verifier, &[]).await;
    let (_, claims) = access_claims(&env, &res).await;
    assert_eq!(claims["aud"], env.client.client_id.as_str(), "{claims}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_resources_at_authorization_are_invalid_target_at_the_client() {
    let env = Env::new().await;
    let client = api_client(&env);
    for (resource, description) in [
        (
            "https://elsewhere.example/",
            "the requested resource is not registered for this client",
        ),
        ("orders", "resource must be an absolute URI (RFC 8707 §2)"),
        (
            "https://orders.example/api#frag",
            "resource must not contain a fragment (RFC 8707 §2)",
        ),
    ] {
        let (_, challenge) = pkce_pair();
        let callback =
            RawAuthorize::code_with_pkce(&env.endpoints, &client.client_id, &challenge, "st")
                .add("resource", resource)
                .to_client()
                .await;
        callback.assert_error("invalid_target", &env.tenant.issuer, Some("st"));
        assert_eq!(
            callback.error_description.as_deref(),
            Some(description),
            "{resource}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn introspection_reports_the_audience() {
    let env = Env::new().await;
    let client = api_client(&env);
    let (code, verifier) = code_with(&env, &client, &[("resource", BILLING)]).await;
    let res = exchange(&env, &client, &code, &verifier, &[]).await;
    let token = res.json()["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned();
    let info = introspect(&env.endpoints, &client, &token).await;
    assert_eq!(info["active"], true, "{info}");
    assert_eq!(info["aud"], BILLING, "{info}");
    assert_eq!(info["client_id"], client.client_id.as_str(), "{info}");
    // Userinfo still answers for a token whose audience is an API.
    let res = get_bearer(&env.endpoints.userinfo, &token).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_scopes_registered_for_the_client_may_be_asked_at_authorization() {
    let env = Env::new().await;
    let client = env.client(&ClientSpec {
        scopes: vec!["orders:read".into()],
        audiences: vec![ORDERS.into()],
        ..ClientSpec::confidential("Shop")
    });
    let (verifier, challenge) = pkce_pair();
    let req = RawAuthorize::code_with_pkce(&env.endpoints, &client.client_id, &challenge, "st")
        .set("scope", "openid orders:read orders:write")
        .add("resource", ORDERS);
    let (callback, _) = Browser::new()
        .authorize(&req.url(), REDIRECT_URI, &env.user)
        .await;
    let res = exchange(&env, &client, &callback.code(), &verifier, &[]).await;
    // orders:write is not registered for the client: ignored (RFC 6749 §3.3).
    assert_eq!(res.json()["scope"], "openid orders:read", "{}", res.body);
    let (_, claims) = access_claims(&env, &res).await;
    assert_eq!(
        (claims["scope"].as_str(), claims["aud"].as_str()),
        (Some("openid orders:read"), Some(ORDERS))
    );
    // A client without API scopes gets only the OpenID Connect ones.
    let (verifier, challenge) = pkce_pair();
    let req = RawAuthorize::code_with_pkce(&env.endpoints, &env.client.client_id, &challenge, "st")
        .set("scope", "openid orders:read");
    let (callback, _) = Browser::new()
        .authorize(&req.url(), REDIRECT_URI, &env.user)
        .await;
    let res = exchange(&env, &env.client, &callback.code(), &verifier, &[]).await;
    assert_eq!(res.json()["scope"], "openid", "{}", res.body);
}
