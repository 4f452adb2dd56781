//! Deleting or disabling through the admin service (here the CLI, another
//! process on the same database) ends what depended on the object at
//! once, on a running server: a deleted client's refresh tokens and access
//! tokens, a deleted or disabled user's session cookie and tokens.

use crate::support::*;
use openidconnect::core::CoreAuthPrompt;
use reqwest::StatusCode;
use serde_json::json;

/// A signed-in user with an `offline_access` grant: (rp, access token,
/// refresh token).
async fn signed_in(env: &Env, browser: &Browser) -> (Rp, String, String) {
    let rp = env.rp(&env.client).await;
    let flow = rp
        .flow(
            browser,
            &env.user,
            &AuthOptions::scopes(&["offline_access"]),
        )
        .await;
    (
        rp,
        access_token_of(&flow.tokens),
        refresh_token_of(&flow.tokens).expect("refresh token"),
    )
}

/// A resource server: another confidential client that introspects.
fn resource_server(env: &Env) -> RegisteredClient {
    env.server
        .create_client("acme", &ClientSpec::confidential("Resource server"))
}

async fn refresh_works(env: &Env, refresh_token: &str) -> bool {
    let res = token_request(
        &env.endpoints.token,
        ClientAuth::of(&env.client),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
    )
    .await;
    res.status == StatusCode::OK
}

/// Whether the browser's session still signs it in without a prompt.
async fn session_works(rp: &Rp, browser: &Browser) -> bool {
    let req = rp.auth_request(&AuthOptions {
        prompt: Some(CoreAuthPrompt::None),
        ..AuthOptions::default()
    });
    let res = browser.get(req.url.as_str()).await;
    Callback::parse(&res.redirect()).error.is_none()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_clients_tokens_stop_working_at_once() {
    let env = Env::new().await;
    let rs = resource_server(&env);
    let (_, access, refresh) = signed_in(&env, &Browser::new()).await;
    assert_eq!(
        introspect(&env.endpoints, &rs, &access).await["active"],
        true
    );

    let out = env.server.cli_json(
        &[
            "client",
            "delete",
            "--tenant",
            "acme",
            &env.client.client_id,
            "--json",
        ],
        None,
    );
    assert_eq!(out["deleted"], true);

    assert!(
        !refresh_works(&env, &refresh).await,
        "refresh token still works"
    );
    assert_eq!(
        introspect(&env.endpoints, &rs, &access).await,
        json!({"active": false})
    );
    assert_eq!(
        get_bearer(&env.endpoints.userinfo, &access).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_users_session_and_tokens_stop_working_at_once() {
    let env = Env::new().await;
    let rs = resource_server(&env);
    let browser = Browser::new();
    let (rp, access, refresh) = signed_in(&env, &browser).await;
    assert!(session_works(&rp, &browser).await);

    env.server.cli_json(
        &["user", "delete", "--tenant", "acme", &env.user.id, "--json"],
        None,
    );

    assert!(
        !session_works(&rp, &browser).await,
        "session cookie still works"
    );
    assert!(
        !refresh_works(&env, &refresh).await,
        "refresh token still works"
    );
    assert_eq!(
        introspect(&env.endpoints, &rs, &access).await,
        json!({"active": false})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_user_is_signed_out_and_cannot_sign_in() {
    let env = Env::new().await;
    let rs = resource_server(&env);
    let browser = Browser::new();
    let (rp, access, refresh) = signed_in(&env, &browser).await;

    env.server.cli_json(
        &[
            "user",
            "disable",
            "--tenant",
            "acme",
            &env.user.id,
            "--json",
        ],
        None,
    );
    assert!(!session_works(&rp, &browser).await);
    assert!(!refresh_works(&env, &refresh).await);
    assert_eq!(
        introspect(&env.endpoints, &rs, &access).await,
        json!({"active": false})
    );
    // The right password no longer signs in, and fails as a wrong one does.
    let fresh = Browser::new();
    let req = rp.auth_request(&AuthOptions::default());
    let res = fresh.get(req.url.as_str()).await;
    let page = fresh.get(res.redirect().as_str()).await;
    let after = fresh
        .submit_login(&page, &env.user.email, &env.user.password)
        .await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED, "{}", after.body);

    env.server.cli_json(
        &["user", "enable", "--tenant", "acme", &env.user.id, "--json"],
        None,
    );
    rp.assert_signs_in(&env.user).await;
}
