//! The `roles` scope (design.md "What it does", issue 17): application
//! roles made and assigned through the admin API reach a real relying
//! party in the ID token, the access token, userinfo and introspection
//! when the scope is granted, and nowhere without it. Tokens carry the
//! roles read when they were issued (a refresh sees a change); userinfo
//! reads the current ones.

use crate::api::{Api, Req, api_server};
use crate::device::{answer, poll};
use crate::support::*;
use openidconnect::core::{CoreJwsSigningAlgorithm, CoreTokenResponse};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

/// What the consent and device pages say about the scope.
const CONSENT_TEXT: &str = "See the roles you hold in this organisation";

/// `acme` with alice holding `editor` and `viewer` (and `admin` defined
/// but not hers), all through the admin API.
async fn world() -> (Env, Api) {
    let env = Env::with_server(api_server().await).await;
    let api = Api::new(&env.server);
    for name in ["admin", "editor", "viewer"] {
        api.create(
            "/api/v1/tenants/acme/roles",
            &json!({"name": name, "description": format!("{name}s of acme")}),
        )
        .await;
    }
    for role in ["viewer", "editor"] {
        set_role(&api, &env.user, role, Method::PUT).await;
    }
    (env, api)
}

/// Assigns (`PUT`) or removes (`DELETE`) `role` of `user`.
async fn set_role(api: &Api, user: &User, role: &str, method: Method) {
    let path = format!("/api/v1/tenants/acme/users/{}/roles/{role}", user.id);
    let res = api.send(Req::new(method.clone(), &path)).await;
    assert!(
        res.status.is_success(),
        "{method} {path}: {} {}",
        res.status,
        res.body
    );
}

/// The `roles` member of a token's payload, of userinfo or of an
/// introspection answer (`Null` when absent).
fn roles_in(v: &Value) -> Value {
    v.get("roles").cloned().unwrap_or(Value::Null)
}

/// The four places, for `tokens` issued to `rp`: the ID token (verified by
/// `openidconnect`, then read), the access token (verified ES256, then
/// read), userinfo and introspection by a resource server `rs`.
struct Seen {
    id_token: Value,
    access_token: Value,
    userinfo: Value,
    introspection: Value,
}

async fn seen(env: &Env, rp: &Rp, rs: &RegisteredClient, tokens: &CoreTokenResponse) -> Seen {
    rp.verify_id_token(tokens, None, CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256);
    let at = access_token_of(tokens);
    let keys = jwks(&env.endpoints).await;
    verify_es256(&at, &keys).unwrap_or_else(|e| panic!("access token: {e}"));
    let info = get_bearer(&env.endpoints.userinfo, &at).await;
    assert_eq!(info.status, StatusCode::OK, "userinfo: {}", info.body);
    let introspection = introspect(&env.endpoints, rs, &at).await;
    assert_eq!(introspection["active"], true, "{introspection}");
    Seen {
        id_token: roles_in(&jwt_parts(&id_token_of(tokens)).1),
        access_token: roles_in(&jwt_parts(&at).1),
        userinfo: roles_in(&info.json()),
        introspection: roles_in(&introspection),
    }
}

fn assert_everywhere(s: &Seen, want: &Value, when: &str) {
    assert_eq!(&s.id_token, want, "ID token, {when}");
    assert_eq!(&s.access_token, want, "access token, {when}");
    assert_eq!(&s.userinfo, want, "userinfo, {when}");
    assert_eq!(&s.introspection, want, "introspection, {when}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_scope_puts_the_users_roles_in_all_four_places() {
    let (env, api) = world().await;
    let rs = env.client(&ClientSpec::service("Orders API", &[], &[]));
    let rp = env.rp(&env.client).await;
    let flow = rp
        .flow(
            &Browser::new(),
            &env.user,
            &AuthOptions::scopes(&["roles", "offline_access"]),
        )
        .await;
    let first = seen(&env, &rp, &rs, &flow.tokens).await;
    assert_everywhere(&first, &json!(["editor", "viewer"]), "after login");

    // A role removed: userinfo shows it at once; the issued access token
    // still carries what it was issued with.
    set_role(&api, &env.user, "viewer", Method::DELETE).await;
    let old_at = access_token_of(&flow.tokens);
    let info = get_bearer(&env.endpoints.userinfo, &old_at).await.json();
    assert_eq!(roles_in(&info), json!(["editor"]), "{info}");
    let carried = introspect(&env.endpoints, &rs, &old_at).await;
    assert_eq!(roles_in(&carried), json!(["editor", "viewer"]), "{carried}");

    // A refresh reads them again.
    let rt = refresh_token_of(&flow.tokens).expect("a refresh token");
    let refreshed = rp.refresh(&rt).await.expect("refresh");
    let after = seen(&env, &rp, &rs, &refreshed).await;
    assert_everywhere(&after, &json!(["editor"]), "after a refresh");

    // No role left: the claim is there, empty.
    set_role(&api, &env.user, "editor", Method::DELETE).await;
    let rt = refresh_token_of(&refreshed).expect("a rotated refresh token");
    let emptied = rp.refresh(&rt).await.expect("second refresh");
    let none = seen(&env, &rp, &rs, &emptied).await;
    assert_everywhere(&none, &json!([]), "with no role left");

    // A role assigned again shows at userinfo before any refresh.
    set_role(&api, &env.user, "admin", Method::PUT).await;
    let info = get_bearer(&env.endpoints.userinfo, &access_token_of(&emptied))
        .await
        .json();
    assert_eq!(roles_in(&info), json!(["admin"]), "{info}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_roles_scope_no_roles_claim_anywhere() {
    let (env, _api) = world().await;
    let rs = env.client(&ClientSpec::service("Orders API", &[], &[]));
    let rp = env.rp(&env.client).await;
    let flow = rp
        .flow(
            &Browser::new(),
            &env.user,
            &AuthOptions::scopes(&["profile", "email", "offline_access"]),
        )
        .await;
    assert_everywhere(
        &seen(&env, &rp, &rs, &flow.tokens).await,
        &Value::Null,
        "without the scope",
    );
    let rt = refresh_token_of(&flow.tokens).expect("a refresh token");
    let refreshed = rp.refresh(&rt).await.expect("refresh");
    assert_everywhere(
        &seen(&env, &rp, &rs, &refreshed).await,
        &Value::Null,
        "refreshed without the scope",
    );

    // Granted, then left out of a narrower refresh (RFC 6749 §6).
    let flow = rp
        .flow(
            &Browser::new(),
            &env.user,
            &AuthOptions::scopes(&["roles", "offline_access"]),
        )
        .await;
    let rt = refresh_token_of(&flow.tokens).expect("a refresh token");
    let res = token_request(
        &env.endpoints.token,
        ClientAuth::of(&env.client),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &rt),
            ("scope", "openid offline_access"),
        ],
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let narrower: CoreTokenResponse = serde_json::from_str(&res.body).expect("a token response");
    assert_everywhere(
        &seen(&env, &rp, &rs, &narrower).await,
        &Value::Null,
        "refreshed with a narrower scope",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consent_page_describes_the_roles_scope() {
    let (env, _api) = world().await;
    let rp = env.rp(&env.client).await;
    let browser = Browser::new();
    let (_, login) = rp
        .open_login(&browser, &AuthOptions::scopes(&["roles"]))
        .await;
    let mut page = browser
        .submit_login(&login, &env.user.email, &env.user.password)
        .await;
    for _ in 0..5 {
        if !page.status.is_redirection() {
            break;
        }
        page = browser.get(page.redirect().as_str()).await;
    }
    assert!(page.is_consent_page(), "{} {}", page.status, page.body);
    assert!(page.body.contains(CONSENT_TEXT), "{}", page.body);
    assert!(!page.body.contains("Other access"), "{}", page.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_code_tokens_carry_roles_and_client_credentials_have_none() {
    let (env, _api) = world().await;
    let tv = env.tv_app();
    let auth = env
        .device_authorization(&tv, "openid roles offline_access")
        .await;
    let done = answer(&Browser::new(), &auth, &env.user, "allow").await;
    assert!(done.body.contains("Device connected"), "{}", done.body);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let device_code = auth["device_code"].as_str().expect("device_code");
    let res = poll(&env, &tv, device_code).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let tokens: CoreTokenResponse = serde_json::from_str(&res.body).expect("a token response");
    let rs = env.client(&ClientSpec::service("Orders API", &[], &[]));
    assert_everywhere(
        &seen(&env, &env.rp(&tv).await, &rs, &tokens).await,
        &json!(["editor", "viewer"]),
        "device code",
    );

    // A service token names no user, so it has no roles, even when its
    // client may ask for the scope.
    let svc = env.client(&ClientSpec::service("Batch", &["roles"], &[]));
    let res = token_request(
        &env.endpoints.token,
        ClientAuth::of(&svc),
        &[("grant_type", "client_credentials"), ("scope", "roles")],
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let at = res.json()["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(roles_in(&jwt_parts(&at).1), Value::Null);
    let v = introspect(&env.endpoints, &rs, &at).await;
    assert_eq!(v["active"], true, "{v}");
    assert_eq!(v["scope"], "roles", "{v}");
    assert_eq!(roles_in(&v), Value::Null, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_lists_the_roles_scope_and_claim() {
    let env = Env::new().await;
    let doc = &env.endpoints.doc;
    for member in ["scopes_supported", "claims_supported"] {
        let listed = doc[member].as_array().cloned().unwrap_or_default();
        assert!(listed.contains(&json!("roles")), "{member}: {doc}");
    }
}
