//! Security headers on every kind of response the server renders, read off
//! real HTTP responses: a Content-Security-Policy that runs no inline
//! script (the form_post page runs one script, pinned by its hash), no
//! framing of any page, `X-Content-Type-Options: nosniff`, a
//! `Referrer-Policy`, and `Strict-Transport-Security` exactly when BASE_URL
//! is https.

use crate::support::*;
use idp_server::forwarded::IpBlocks;
use reqwest::StatusCode;

/// The directives of a CSP, by name.
fn directive<'a>(csp: &'a str, name: &str) -> Option<&'a str> {
    csp.split(';')
        .map(str::trim)
        .find(|d| d.split_whitespace().next() == Some(name))
}

/// Every response: nosniff and a Referrer-Policy.
fn assert_basic(res: &Resp, what: &str) {
    assert_eq!(
        res.header("x-content-type-options").as_deref(),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(
        res.header("referrer-policy").as_deref(),
        Some("no-referrer"),
        "{what}"
    );
}

/// An HTML page: no inline script, no plugins, no framing by anyone.
fn assert_page(res: &Resp, what: &str) {
    assert_basic(res, what);
    assert!(
        res.header("content-type")
            .is_some_and(|t| t.starts_with("text/html")),
        "{what} is HTML: {:?}",
        res.headers
    );
    let csp = res
        .header("content-security-policy")
        .unwrap_or_else(|| panic!("{what} has no CSP"));
    assert_eq!(
        directive(&csp, "default-src"),
        Some("default-src 'none'"),
        "{what}: {csp}"
    );
    assert_eq!(
        directive(&csp, "frame-ancestors"),
        Some("frame-ancestors 'none'"),
        "{what}: {csp}"
    );
    if let Some(script) = directive(&csp, "script-src") {
        assert!(
            !script.contains("'unsafe-inline'") && !script.contains("'unsafe-eval'"),
            "{what}: {csp}"
        );
        assert!(
            script
                .split_whitespace()
                .skip(1)
                .all(|s| s.starts_with("'sha256-")),
            "{what}: scripts only by hash: {csp}"
        );
    }
    assert_eq!(
        res.header("x-frame-options").as_deref(),
        Some("DENY"),
        "{what}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_consent_and_form_post_pages() {
    let env = Env::new().await;
    let rp = env.rp(&env.client).await;
    let browser = Browser::new();
    let req = rp.auth_request(&AuthOptions {
        extra: vec![("response_mode".into(), "form_post".into())],
        ..AuthOptions::default()
    });
    let res = browser.get(req.url.as_str()).await;
    assert_basic(&res, "authorize redirect");
    let login = browser.get(res.redirect().as_str()).await;
    assert!(login.is_login_page(), "{}", login.body);
    assert_page(&login, "login page");
    let wrong = browser.submit_login(&login, &env.user.email, "wrong").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_page(&wrong, "login page with an error");
    let res = browser
        .submit_login(&wrong, &env.user.email, &env.user.password)
        .await;
    let consent = browser.get(res.redirect().as_str()).await;
    assert!(consent.is_consent_page(), "{}", consent.body);
    assert_page(&consent, "consent page");
    let mut res = browser.submit_consent(&consent, "allow").await;
    while res.status.is_redirection() {
        res = browser.get(res.redirect().as_str()).await;
    }
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(
        res.body.contains("<script>"),
        "form_post page: {}",
        res.body
    );
    assert_page(&res, "form_post page");
    let csp = res.header("content-security-policy").unwrap_or_default();
    assert!(
        directive(&csp, "script-src").is_some(),
        "hash-pinned script: {csp}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_and_message_pages_and_json() {
    let env = Env::new().await;
    // The core's own error page: an unknown client, nowhere to redirect.
    let res = RawAuthorize::with(
        &env.endpoints,
        &[
            ("client_id", "nobody"),
            ("redirect_uri", REDIRECT_URI),
            ("response_type", "code"),
            ("scope", "openid"),
        ],
    )
    .send()
    .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
    assert_page(&res, "authorization error page");
    // The server's message page: a sign-in link that does not exist.
    let res = get(&format!("{}/interaction/nope", env.tenant.issuer)).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert_page(&res, "message page");
    // JSON: errors and documents.
    let res = token_request(&env.endpoints.token, ClientAuth::Nothing, &[]).await;
    assert!(res.status.is_client_error());
    assert_basic(&res, "token error");
    assert_basic(&get(&env.endpoints.jwks).await, "JWKS");
    assert_basic(
        &get(&format!("{}/health", env.server.base_url)).await,
        "health",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_pages() {
    let env = Env::new().await;
    let tv = env.tv_app();
    let auth = env.device_authorization(&tv, "openid").await;
    let browser = Browser::new();
    let entry = browser
        .get(auth["verification_uri"].as_str().expect("verification_uri"))
        .await;
    assert_eq!(entry.status, StatusCode::OK);
    assert_page(&entry, "device code entry");
    let form = entry.form_with("name=\"user_code\"").expect("code form");
    let bad = browser
        .post_form(
            form.action.as_str(),
            &[("csrf", &form.csrf()), ("user_code", "XXXX-XXXX")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_page(&bad, "device code entry with an error");
    let code = auth["user_code"].as_str().expect("user_code");
    let login = browser
        .post_form(
            form.action.as_str(),
            &[("csrf", &form.csrf()), ("user_code", code)],
        )
        .await;
    assert!(login.is_login_page(), "{}", login.body);
    assert_page(&login, "device login");
    let confirm = browser
        .submit_login(&login, &env.user.email, &env.user.password)
        .await;
    assert_eq!(confirm.status, StatusCode::OK, "{}", confirm.body);
    assert_page(&confirm, "device decision");
    let done = browser.submit_consent(&confirm, "allow").await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert_page(&done, "device done");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_pages() {
    let env = Env::new().await;
    let rp = env.rp(&env.client).await;
    let browser = Browser::new();
    rp.flow(&browser, &env.user, &AuthOptions::default()).await;
    let confirm = browser.get(&env.endpoints.end_session).await;
    assert_eq!(confirm.status, StatusCode::OK, "{}", confirm.body);
    assert_page(&confirm, "logout confirmation");
    let done = browser.submit_consent(&confirm, "logout").await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert_page(&done, "signed-out page");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hsts_only_with_an_https_base_url() {
    let plain = TestServer::start().await;
    let res = get(&format!("{}/health", plain.base_url)).await;
    assert_basic(&res, "plain health");
    assert_eq!(res.header("strict-transport-security"), None);

    // An https BASE_URL, served as plain HTTP behind a TLS-terminating proxy.
    let server = TestServer::start_config(|c| {
        c.base_url = Some("https://login.example".into());
        c.trust_proxy = IpBlocks::parse("127.0.0.1").expect("block");
    })
    .await;
    let health = format!("http://127.0.0.1:{}/health", server.port);
    let res = get(&health).await;
    assert_eq!(
        res.header("strict-transport-security").as_deref(),
        Some("max-age=31536000")
    );
    let missing = get(&format!("http://127.0.0.1:{}/t/none/jwks", server.port)).await;
    assert!(
        missing.header("strict-transport-security").is_some(),
        "on errors too"
    );
    // The trusted proxy says the client came over plain HTTP: no HSTS
    // (RFC 6797 §7.2).
    let res = plain_client()
        .get(&health)
        .header("x-forwarded-proto", "http")
        .send()
        .await
        .expect("GET");
    assert!(res.headers().get("strict-transport-security").is_none());
    let res = plain_client()
        .get(&health)
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .expect("GET");
    assert!(res.headers().get("strict-transport-security").is_some());
}
