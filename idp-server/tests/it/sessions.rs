//! Session control: `session list|revoke` on the CLI, and what revoking a
//! session does to its refresh tokens, access tokens and single sign-on.

use crate::support::*;
use openidconnect::core::CoreAuthPrompt;
use reqwest::StatusCode;
use serde_json::json;

async fn offline_flow(env: &Env, browser: &Browser) -> (Rp, String, String) {
    let rp = env.rp(&env.client).await;
    let (flow, rt) = rp.offline_flow(browser, &env.user).await;
    (rp, access_token_of(&flow.tokens), rt)
}

fn sessions(env: &Env) -> Vec<serde_json::Value> {
    let v = env.server.cli_json(
        &[
            "session",
            "list",
            "--tenant",
            "acme",
            "--email",
            &env.user.email,
            "--json",
        ],
        None,
    );
    v["sessions"].as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_a_session_kills_its_tokens_and_sso() {
    let env = Env::new().await;
    let (browser_a, browser_b) = (Browser::new(), Browser::new());
    let (rp, at_a, rt_a) = offline_flow(&env, &browser_a).await;
    let (_, at_b, rt_b) = offline_flow(&env, &browser_b).await;
    let listed = sessions(&env);
    assert_eq!(listed.len(), 2, "{listed:?}");
    // The session ids are the `sid` of the ID tokens.
    let (_, claims) = jwt_parts(&at_a);
    let sid_a = claims["sid"].as_str().expect("sid").to_owned();
    assert!(
        listed.iter().any(|s| s["id"] == sid_a.as_str()),
        "{listed:?}"
    );

    let out = env.server.cli_json(
        &["session", "revoke", "--tenant", "acme", &sid_a, "--json"],
        None,
    );
    assert_eq!(out["revoked"], 1);

    // Session A: refresh refused, access token inactive, userinfo 401, SSO gone.
    token_request(
        &env.endpoints.token,
        ClientAuth::of(&env.client),
        &[("grant_type", "refresh_token"), ("refresh_token", &rt_a)],
    )
    .await
    .assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    assert_eq!(
        introspect(&env.endpoints, &env.client, &at_a).await,
        json!({"active": false})
    );
    assert_eq!(
        get_bearer(&env.endpoints.userinfo, &at_a).await.status,
        StatusCode::UNAUTHORIZED
    );
    let req = rp.auth_request(&AuthOptions {
        prompt: Some(CoreAuthPrompt::None),
        ..AuthOptions::default()
    });
    let res = browser_a.get(req.url.as_str()).await;
    assert_eq!(
        Callback::parse(&res.redirect()).error.as_deref(),
        Some("login_required")
    );

    // Session B is untouched.
    assert_eq!(
        introspect(&env.endpoints, &env.client, &at_b).await["active"],
        true
    );
    let res = token_request(
        &env.endpoints.token,
        ClientAuth::of(&env.client),
        &[("grant_type", "refresh_token"), ("refresh_token", &rt_b)],
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(sessions(&env).len(), 1);

    // Revoking a session twice, or an unknown one, fails with a message.
    let again = env
        .server
        .cli(&["session", "revoke", "--tenant", "acme", &sid_a], None);
    assert!(
        !again.success && again.stderr.starts_with("error: "),
        "{}",
        again.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_all_sessions_of_a_user() {
    let env = Env::new().await;
    let (_, at_a, _) = offline_flow(&env, &Browser::new()).await;
    let (_, at_b, rt_b) = offline_flow(&env, &Browser::new()).await;
    let out = env.server.cli_json(
        &[
            "session",
            "revoke",
            "--tenant",
            "acme",
            "--all",
            "--email",
            &env.user.email,
            "--json",
        ],
        None,
    );
    assert_eq!(out["revoked"], 2);
    assert!(sessions(&env).is_empty());
    for at in [&at_a, &at_b] {
        assert_eq!(
            introspect(&env.endpoints, &env.client, at).await,
            json!({"active": false})
        );
    }
    token_request(
        &env.endpoints.token,
        ClientAuth::of(&env.client),
        &[("grant_type", "refresh_token"), ("refresh_token", &rt_b)],
    )
    .await
    .assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_are_per_tenant() {
    let env = Env::new().await;
    let (_, at, _) = offline_flow(&env, &Browser::new()).await;
    let (_, claims) = jwt_parts(&at);
    let sid = claims["sid"].as_str().expect("sid").to_owned();
    env.server.create_tenant("globex");
    env.server
        .create_user("globex", &env.user.email, "Alice at Globex", PASSWORD);
    let v = env.server.cli_json(
        &[
            "session",
            "list",
            "--tenant",
            "globex",
            "--email",
            &env.user.email,
            "--json",
        ],
        None,
    );
    assert_eq!(v["sessions"], json!([]));
    let out = env
        .server
        .cli(&["session", "revoke", "--tenant", "globex", &sid], None);
    assert!(
        !out.success,
        "another tenant's session id means nothing there"
    );
    assert_eq!(
        introspect(&env.endpoints, &env.client, &at).await["active"],
        true
    );
}

/// A code issued in a session that is revoked before the client redeems it
/// mints nothing: otherwise its tokens would outlive the revocation record
/// that the purge job eventually drops.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_issued_before_its_session_is_revoked_cannot_be_redeemed() {
    let env = Env::new().await;
    let browser = Browser::new();
    let rp = env.rp(&env.client).await;
    // A first flow signs in; the second code of the same session is held back.
    let (_, _, _) = offline_flow(&env, &browser).await;
    let req = rp.auth_request(&AuthOptions::scopes(&["offline_access"]));
    let (callback, seen) = browser
        .authorize(req.url.as_str(), REDIRECT_URI, &env.user)
        .await;
    assert!(seen.is_empty(), "single sign-on expected, saw {seen:?}");
    let sid = sessions(&env)[0]["id"]
        .as_str()
        .expect("session id")
        .to_owned();
    let out = env.server.cli_json(
        &["session", "revoke", "--tenant", "acme", &sid, "--json"],
        None,
    );
    assert_eq!(out["revoked"], 1);

    let exchanged = rp.exchange(&callback.code(), req.verifier.as_deref()).await;
    assert!(
        exchanged.is_err(),
        "a code of a revoked session was redeemed: {exchanged:?}"
    );
    // An unrevoked session's held-back code still works (the test can tell).
    let other = Browser::new();
    let (_, _, _) = offline_flow(&env, &other).await;
    let req = rp.auth_request(&AuthOptions::scopes(&["offline_access"]));
    let (callback, _) = other
        .authorize(req.url.as_str(), REDIRECT_URI, &env.user)
        .await;
    let tokens = rp.exchange(&callback.code(), req.verifier.as_deref()).await;
    assert!(tokens.is_ok(), "{tokens:?}");
}
