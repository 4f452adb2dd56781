//! Device Authorization Grant (RFC 8628) through HTTP: the device asks for
//! codes and polls; a `Browser` enters the user code on the verification
//! page, signs in and answers.

use crate::support::*;
use openidconnect::core::CoreJwsSigningAlgorithm;
use reqwest::StatusCode;
use serde_json::Value;
use std::time::Duration;

pub(crate) async fn poll(env: &Env, client: &RegisteredClient, device_code: &str) -> Resp {
    token_request(
        &env.endpoints.token,
        ClientAuth::of(client),
        &[("grant_type", DEVICE_GRANT), ("device_code", device_code)],
    )
    .await
}

/// Enters `code` on the verification page: returns the page that follows.
async fn enter_code(browser: &Browser, verification_uri: &str, code: &str) -> Resp {
    let page = browser.get(verification_uri).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let form = page
        .form_with("name=\"user_code\"")
        .unwrap_or_else(|| panic!("no code form: {}", page.body));
    browser
        .post_form(
            form.action.as_str(),
            &[("csrf", &form.csrf()), ("user_code", code)],
        )
        .await
}

/// The user enters the code, signs in as `user` and answers `decision`.
pub(crate) async fn answer(browser: &Browser, auth: &Value, user: &User, decision: &str) -> Resp {
    let complete = auth["verification_uri_complete"]
        .as_str()
        .expect("complete URI");
    let code = auth["user_code"].as_str().expect("user_code");
    let login = enter_code(browser, complete, code).await;
    assert!(
        login.is_login_page(),
        "expected the login page: {}",
        login.body
    );
    let confirm = browser
        .submit_login(&login, &user.email, &user.password)
        .await;
    assert!(
        confirm.body.contains(code),
        "the approval page shows the code: {}",
        confirm.body
    );
    assert!(confirm.body.contains("Living Room TV") || confirm.body.contains("Other TV"));
    let done = browser.submit_consent(&confirm, decision).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    done
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approved_device_gets_tokens_once() {
    let env = Env::new().await;
    let tv = env.tv_app();
    let auth = env
        .device_authorization(&tv, "openid email offline_access")
        .await;
    let code = auth["user_code"].as_str().expect("user_code");
    assert_eq!(code.len(), 9, "XXXX-XXXX: {code}");
    assert_eq!(
        auth["verification_uri"],
        format!("{}/device", env.tenant.issuer),
        "{auth}"
    );
    assert!(auth["expires_in"].as_i64().is_some_and(|e| e > 0));
    assert_eq!(auth["interval"], 1);
    let device_code = auth["device_code"].as_str().expect("device_code");

    // Before the user answers: pending.
    poll(&env, &tv, device_code)
        .await
        .assert_oauth_error(StatusCode::BAD_REQUEST, "authorization_pending");

    let done = answer(&Browser::new(), &auth, &env.user, "allow").await;
    assert!(done.body.contains("Device connected"), "{}", done.body);

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let res = poll(&env, &tv, device_code).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_no_store(&res);
    let tokens = res.json();
    assert!(tokens["refresh_token"].is_string(), "{tokens}");
    // The ID token verifies with openidconnect, for this client.
    let rp = env.rp(&tv).await;
    let parsed: openidconnect::core::CoreTokenResponse =
        serde_json::from_value(tokens.clone()).expect("a token response");
    let claims = rp.verify_id_token(&parsed, None, CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256);
    assert_eq!(claims.subject().as_str(), env.user.id);
    // Userinfo answers for the user.
    let info = get_bearer(
        &env.endpoints.userinfo,
        tokens["access_token"].as_str().unwrap_or(""),
    )
    .await;
    assert_eq!(info.json()["email"], env.user.email.as_str());

    // Redeemable once.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    poll(&env, &tv, device_code)
        .await
        .assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn denied_device_gets_access_denied() {
    let env = Env::new().await;
    let tv = env.tv_app();
    let auth = env.device_authorization(&tv, "openid").await;
    let done = answer(&Browser::new(), &auth, &env.user, "deny").await;
    assert!(done.body.contains("denied"), "{}", done.body);
    poll(&env, &tv, auth["device_code"].as_str().unwrap_or(""))
        .await
        .assert_oauth_error(StatusCode::BAD_REQUEST, "access_denied");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_too_fast_gets_slow_down_and_a_longer_interval() {
    let env = Env::new().await;
    let tv = env.tv_app();
    let auth = env.device_authorization(&tv, "openid").await;
    let device_code = auth["device_code"].as_str().unwrap_or("");
    poll(&env, &tv, device_code)
        .await
        .assert_oauth_error(StatusCode::BAD_REQUEST, "authorization_pending");
    poll(&env, &tv, device_code)
        .await
        .assert_oauth_error(StatusCode::BAD_REQUEST, "slow_down");
    // The interval is now 1 + 5 seconds: 1.1 s later is still too fast.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    poll(&env, &tv, device_code)
        .await
        .assert_oauth_error(StatusCode::BAD_REQUEST, "slow_down");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_device_code_gets_expired_token_and_its_user_code_is_refused() {
    let server = TestServer::start_with(idp_core::Lifetimes {
        device_code: 1,
        ..test_lifetimes()
    })
    .await;
    let env = Env::with_server(server).await;
    let tv = env.tv_app();
    let auth = env.device_authorization(&tv, "openid").await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    poll(&env, &tv, auth["device_code"].as_str().unwrap_or(""))
        .await
        .assert_oauth_error(StatusCode::BAD_REQUEST, "expired_token");
    let page = enter_code(
        &Browser::new(),
        &format!("{}/device", env.tenant.issuer),
        auth["user_code"].as_str().unwrap_or(""),
    )
    .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("not valid"), "{}", page.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_codes_are_case_and_dash_insensitive() {
    let env = Env::new().await;
    let tv = env.tv_app();
    let auth = env.device_authorization(&tv, "openid").await;
    let code = auth["user_code"].as_str().unwrap_or("");
    let sloppy = code.replace('-', " ").to_lowercase();
    let page = enter_code(
        &Browser::new(),
        &format!("{}/device", env.tenant.issuer),
        &sloppy,
    )
    .await;
    assert!(page.is_login_page(), "{}", page.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_user_codes_is_stopped_with_429_and_retry_after() {
    let env = Env::new().await;
    let tv = env.tv_app();
    let auth = env.device_authorization(&tv, "openid").await;
    let browser = Browser::new();
    let entry = format!("{}/device", env.tenant.issuer);
    for guess in [
        "BCDF-GHJK",
        "BCDF-GHJL",
        "BCDF-GHJM",
        "BCDF-GHJN",
        "BCDF-GHJP",
    ] {
        let page = enter_code(&browser, &entry, guess).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.body);
    }
    // Even the right code is refused now, from this browser and address.
    let page = enter_code(&browser, &entry, auth["user_code"].as_str().unwrap_or("")).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS, "{}", page.body);
    let wait: i64 = page
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("a numeric Retry-After");
    assert!(wait > 0 && wait <= 15 * 60, "{wait}");
    // The guessed codes' device is unaffected: it is still pending.
    poll(&env, &tv, auth["device_code"].as_str().unwrap_or(""))
        .await
        .assert_oauth_error(StatusCode::BAD_REQUEST, "authorization_pending");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_flow_needs_the_grant_and_stays_in_its_tenant() {
    let env = Env::new().await;
    // The default web client is not allowed the device grant.
    client_post(
        &env.endpoints.device_authorization,
        ClientAuth::of(&env.client),
        &[("scope", "openid")],
    )
    .await
    .assert_oauth_error(StatusCode::BAD_REQUEST, "unauthorized_client");

    let tv = env.tv_app();
    let auth = env.device_authorization(&tv, "openid").await;
    // Another tenant with its own TV client: the code means nothing there.
    env.server.create_tenant("globex");
    let globex_tv = env.server.create_client(
        "globex",
        &ClientSpec {
            redirect_uris: Vec::new(),
            grant_types: vec![DEVICE_GRANT.into()],
            ..ClientSpec::public("Other TV")
        },
    );
    let globex = discover(&env.server.issuer("globex")).await;
    let res = token_request(
        &globex.token,
        ClientAuth::of(&globex_tv),
        &[
            ("grant_type", DEVICE_GRANT),
            ("device_code", auth["device_code"].as_str().unwrap_or("")),
        ],
    )
    .await;
    res.assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    let page = enter_code(
        &Browser::new(),
        &format!("{}/device", globex.issuer),
        auth["user_code"].as_str().unwrap_or(""),
    )
    .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.body);
    // A device code of one client is not another client's.
    let other = env.tv_app();
    poll(&env, &other, auth["device_code"].as_str().unwrap_or(""))
        .await
        .assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    // ... and the other client's poll left it untouched: no slow_down for the owner.
    poll(&env, &tv, auth["device_code"].as_str().unwrap_or(""))
        .await
        .assert_oauth_error(StatusCode::BAD_REQUEST, "authorization_pending");
}
