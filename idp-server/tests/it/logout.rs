//! RP-Initiated Logout 1.0 through HTTP: the end-session endpoint, its
//! confirmation page, what a logout does to single sign-on, and what counts
//! as an `id_token_hint` there and at the authorization endpoint.

use crate::support::*;
use openidconnect::core::CoreAuthPrompt;
use reqwest::StatusCode;

const AFTER_LOGOUT: &str = "https://rp.example/signed-out";

fn silent_opts() -> AuthOptions {
    AuthOptions {
        prompt: Some(CoreAuthPrompt::None),
        ..AuthOptions::default()
    }
}

/// `prompt=none` in `browser`: the error code, or None when a code came back.
async fn silent_result(browser: &Browser, rp: &Rp) -> Option<String> {
    silent_with_hint(browser, rp, None).await
}

/// `prompt=none` with an `id_token_hint`, if given.
async fn silent_with_hint(browser: &Browser, rp: &Rp, hint: Option<&str>) -> Option<String> {
    let req = rp.auth_request(&AuthOptions {
        extra: hint
            .map(|h| vec![("id_token_hint".into(), h.into())])
            .unwrap_or_default(),
        ..silent_opts()
    });
    let res = browser.get(req.url.as_str()).await;
    assert_eq!(res.status, StatusCode::FOUND, "{}", res.body);
    Callback::parse(&res.redirect()).error
}

/// Signs in with `client` in `browser`: the RP and its token response.
async fn signed_in(env: &Env, client: &RegisteredClient, browser: &Browser) -> (Rp, Flow) {
    let rp = env.rp(client).await;
    let flow = rp.flow(browser, &env.user, &AuthOptions::default()).await;
    assert_eq!(
        silent_result(browser, &rp).await,
        None,
        "SSO works before logout"
    );
    (rp, flow)
}

async fn logged_in(env: &Env, client: &RegisteredClient, browser: &Browser) -> (Rp, String) {
    let (rp, flow) = signed_in(env, client, browser).await;
    (rp, id_token_of(&flow.tokens))
}

fn with_logout_uri(env: &Env) -> RegisteredClient {
    env.client(&ClientSpec {
        post_logout_redirect_uris: vec![AFTER_LOGOUT.into()],
        ..ClientSpec::confidential("Logout App")
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_with_id_token_hint_redirects_with_state_and_ends_sso() {
    let env = Env::new().await;
    let client = with_logout_uri(&env);
    let browser = Browser::new();
    let (rp, id_token) = logged_in(&env, &client, &browser).await;
    let url = with_query(
        &env.endpoints.end_session,
        &[
            ("id_token_hint", &id_token),
            ("post_logout_redirect_uri", AFTER_LOGOUT),
            ("state", "bye 123"),
        ],
    );
    let res = browser.get(&url).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let to = res.redirect();
    assert_eq!(to.as_str(), format!("{AFTER_LOGOUT}?state=bye+123"));
    assert_eq!(
        silent_result(&browser, &rp).await.as_deref(),
        Some("login_required"),
        "after logout prompt=none must answer login_required"
    );
    // The old cookie, replayed, does not bring the session back.
    assert_eq!(
        silent_result(&browser.reconnect(), &rp).await.as_deref(),
        Some("login_required")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_by_post_works_too() {
    let env = Env::new().await;
    let client = with_logout_uri(&env);
    let browser = Browser::new();
    let (rp, id_token) = logged_in(&env, &client, &browser).await;
    let res = browser
        .post_form(
            &env.endpoints.end_session,
            &[
                ("id_token_hint", &id_token),
                ("post_logout_redirect_uri", AFTER_LOGOUT),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(res.redirect().as_str(), AFTER_LOGOUT);
    assert_eq!(
        silent_result(&browser, &rp).await.as_deref(),
        Some("login_required")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_without_a_hint_asks_the_user_first() {
    let env = Env::new().await;
    let client = with_logout_uri(&env);
    let browser = Browser::new();
    let (rp, _) = logged_in(&env, &client, &browser).await;
    let url = with_query(
        &env.endpoints.end_session,
        &[
            ("client_id", &client.client_id),
            ("post_logout_redirect_uri", AFTER_LOGOUT),
            ("state", "s1"),
        ],
    );
    let page = browser.get(&url).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Logout App"), "{}", page.body);
    // Until the user confirms, nothing happened.
    assert_eq!(silent_result(&browser, &rp).await, None);
    // "Stay signed in" keeps the session.
    let form = page
        .form_with("id=\"logout-form\"")
        .expect("confirmation form");
    let stay = browser.submit(&form, &[("decision", "stay")]).await;
    assert_eq!(stay.status, StatusCode::OK);
    assert_eq!(silent_result(&browser, &rp).await, None);
    // Without the CSRF pair the confirmation is refused.
    let forged = Browser::new()
        .post_form(form.action.as_str(), &[("decision", "logout")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    // Confirming logs out and returns to the client with its state.
    let page = browser.get(&url).await;
    let done = browser.submit_consent(&page, "logout").await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.redirect().as_str(), format!("{AFTER_LOGOUT}?state=s1"));
    assert_eq!(
        silent_result(&browser, &rp).await.as_deref(),
        Some("login_required")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unregistered_post_logout_redirect_uri_is_a_400_page_without_redirect() {
    let env = Env::new().await;
    let client = with_logout_uri(&env);
    let browser = Browser::new();
    let (rp, id_token) = logged_in(&env, &client, &browser).await;
    for params in [
        vec![
            ("id_token_hint", id_token.as_str()),
            ("post_logout_redirect_uri", "https://evil.example/"),
        ],
        vec![("post_logout_redirect_uri", AFTER_LOGOUT)],
        vec![
            ("client_id", env.client.client_id.as_str()),
            ("id_token_hint", id_token.as_str()),
        ],
        vec![("id_token_hint", "not-a-jwt")],
    ] {
        let res = browser
            .get(&with_query(&env.endpoints.end_session, &params))
            .await;
        assert_eq!(
            res.status,
            StatusCode::BAD_REQUEST,
            "{params:?}: {}",
            res.body
        );
        assert!(res.header("location").is_none());
    }
    // None of them logged the user out.
    assert_eq!(silent_result(&browser, &rp).await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hint_from_another_tenant_is_refused() {
    let env = Env::new().await;
    let client = with_logout_uri(&env);
    let browser = Browser::new();
    let (_rp, id_token) = logged_in(&env, &client, &browser).await;
    env.server.create_tenant("globex");
    let globex = discover(&env.server.issuer("globex")).await;
    let res = browser
        .get(&with_query(
            &globex.end_session,
            &[("id_token_hint", &id_token)],
        ))
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
}

/// Issue 12, defect 4: a JWT access token (`typ: at+jwt`, signed by the same
/// tenant, naming the same user and session) is no `id_token_hint` at the
/// end-session endpoint: it does not sign the user out without the
/// confirmation page. An ID token still does, expired too (RP-Initiated
/// Logout §2).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_access_token_is_no_logout_hint_but_an_expired_id_token_is() {
    const ID_TOKEN_LIFETIME: i64 = 3;
    let env = Env::with_server(
        TestServer::start_with(idp_core::Lifetimes {
            id_token: ID_TOKEN_LIFETIME,
            ..test_lifetimes()
        })
        .await,
    )
    .await;
    let client = with_logout_uri(&env);
    let browser = Browser::new();
    let (rp, flow) = signed_in(&env, &client, &browser).await;
    let access_token = access_token_of(&flow.tokens);
    for params in [
        vec![("id_token_hint", access_token.as_str())],
        vec![
            ("id_token_hint", access_token.as_str()),
            ("post_logout_redirect_uri", AFTER_LOGOUT),
        ],
        vec![
            ("id_token_hint", access_token.as_str()),
            ("client_id", client.client_id.as_str()),
        ],
    ] {
        let res = browser
            .get(&with_query(&env.endpoints.end_session, &params))
            .await;
        assert_eq!(
            res.status,
            StatusCode::BAD_REQUEST,
            "{params:?}: {}",
            res.body
        );
        assert!(res.header("location").is_none());
        let res = browser.post_form(&env.endpoints.end_session, &params).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
    }
    assert_eq!(silent_result(&browser, &rp).await, None, "still signed in");
    // The real ID token, once expired, is still a hint.
    tokio::time::sleep(std::time::Duration::from_secs(ID_TOKEN_LIFETIME as u64 + 1)).await;
    let res = browser
        .get(&with_query(
            &env.endpoints.end_session,
            &[
                ("id_token_hint", id_token_of(&flow.tokens).as_str()),
                ("post_logout_redirect_uri", AFTER_LOGOUT),
            ],
        ))
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(res.redirect().as_str(), AFTER_LOGOUT);
    assert_eq!(
        silent_result(&browser, &rp).await.as_deref(),
        Some("login_required")
    );
}

/// Issue 12, defect 4, at the authorization endpoint: `prompt=none` with an
/// access token as `id_token_hint` is refused; with the ID token, it passes
/// (OIDC Core §3.1.2.1).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prompt_none_refuses_an_access_token_as_id_token_hint() {
    let env = Env::new().await;
    let browser = Browser::new();
    let (rp, flow) = signed_in(&env, &env.client, &browser).await;
    let access_token = access_token_of(&flow.tokens);
    assert_eq!(
        silent_with_hint(&browser, &rp, Some(&access_token))
            .await
            .as_deref(),
        Some("invalid_request")
    );
    let id_token = id_token_of(&flow.tokens);
    assert_eq!(silent_with_hint(&browser, &rp, Some(&id_token)).await, None);
}
