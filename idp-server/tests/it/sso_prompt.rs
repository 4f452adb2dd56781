//! Single sign-on and the `prompt` / `max_age` parameters (OIDC Core §3.1.2.1).

use crate::support::*;
use openidconnect::core::{CoreAuthPrompt, CoreJwsSigningAlgorithm};

const RS256: CoreJwsSigningAlgorithm = CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256;

fn prompt(p: CoreAuthPrompt) -> AuthOptions {
    AuthOptions {
        prompt: Some(p),
        ..AuthOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_client_of_the_tenant_needs_consent_but_no_login() {
    let env = Env::new().await;
    let browser = Browser::new();
    let rp1 = env.rp(&env.client).await;
    let first = rp1.flow(&browser, &env.user, &AuthOptions::default()).await;
    assert_eq!(first.pages, ["login", "consent"]);
    let c1 = rp1.verify_id_token(&first.tokens, Some(&first.nonce), RS256);

    let other = env.client(&ClientSpec::confidential("Other App"));
    let rp2 = env.rp(&other).await;
    let second = rp2.flow(&browser, &env.user, &AuthOptions::default()).await;
    assert_eq!(
        second.pages,
        ["consent"],
        "SSO: consent for the new client, no login"
    );
    let c2 = rp2.verify_id_token(&second.tokens, Some(&second.nonce), RS256);
    assert_eq!(c1.subject(), c2.subject(), "same user");
    assert_eq!(c1.auth_time(), c2.auth_time(), "same authentication");
    let sid =
        |t: &openidconnect::core::CoreTokenResponse| jwt_parts(&id_token_of(t)).1["sid"].clone();
    assert_eq!(sid(&first.tokens), sid(&second.tokens), "same session");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remembered_consent_and_session_issue_a_code_without_pages() {
    let env = Env::new().await;
    let browser = Browser::new();
    let rp = env.rp(&env.client).await;
    let first = rp.flow(&browser, &env.user, &AuthOptions::default()).await;
    let c1 = rp.verify_id_token(&first.tokens, Some(&first.nonce), RS256);
    let req = rp.auth_request(&AuthOptions::default());
    let callback = browser.answer_to_client(req.url.as_str()).await;
    assert_eq!(callback.state.as_deref(), Some(req.state.as_str()));
    assert_eq!(callback.iss.as_deref(), Some(env.tenant.issuer.as_str()));
    let tokens = rp
        .exchange(&callback.code(), req.verifier.as_deref())
        .await
        .expect("exchange");
    let c2 = rp.verify_id_token(&tokens, Some(&req.nonce), RS256);
    assert_eq!(c1.subject(), c2.subject());
    assert_eq!(c1.auth_time(), c2.auth_time(), "no new authentication");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consent_covers_only_the_scopes_granted() {
    let env = Env::new().await;
    let browser = Browser::new();
    let rp = env.rp(&env.client).await;
    rp.flow(&browser, &env.user, &AuthOptions::default()).await;
    // A wider request needs consent again (OIDC Core §3.1.2.4).
    let wider = rp
        .flow(&browser, &env.user, &AuthOptions::scopes(&["email"]))
        .await;
    assert_eq!(wider.pages, ["consent"]);
    // A narrower one does not.
    let req = rp.auth_request(&AuthOptions::default());
    browser.answer_to_client(req.url.as_str()).await.code();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prompt_none_with_a_session_issues_a_code_silently() {
    let env = Env::new().await;
    let browser = Browser::new();
    let rp = env.rp(&env.client).await;
    let first = rp.flow(&browser, &env.user, &AuthOptions::default()).await;
    let c1 = rp.verify_id_token(&first.tokens, Some(&first.nonce), RS256);
    let req = rp.auth_request(&prompt(CoreAuthPrompt::None));
    let callback = browser.answer_to_client(req.url.as_str()).await;
    assert_eq!(callback.state.as_deref(), Some(req.state.as_str()));
    let tokens = rp
        .exchange(&callback.code(), req.verifier.as_deref())
        .await
        .expect("exchange");
    let c2 = rp.verify_id_token(&tokens, Some(&req.nonce), RS256);
    assert_eq!(c1.subject(), c2.subject());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prompt_none_without_a_session_returns_login_required() {
    let env = Env::new().await;
    let rp = env.rp(&env.client).await;
    let req = rp.auth_request(&prompt(CoreAuthPrompt::None));
    let callback = Browser::new().answer_to_client(req.url.as_str()).await;
    callback.assert_error("login_required", &env.tenant.issuer, Some(&req.state));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prompt_none_without_consent_returns_consent_required() {
    let env = Env::new().await;
    let browser = Browser::new();
    let rp1 = env.rp(&env.client).await;
    rp1.flow(&browser, &env.user, &AuthOptions::default()).await;
    let other = env.client(&ClientSpec::confidential("Other App"));
    let rp2 = env.rp(&other).await;
    let req = rp2.auth_request(&prompt(CoreAuthPrompt::None));
    let callback = browser.answer_to_client(req.url.as_str()).await;
    callback.assert_error("consent_required", &env.tenant.issuer, Some(&req.state));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prompt_login_forces_the_login_page_and_a_later_auth_time() {
    let env = Env::new().await;
    let browser = Browser::new();
    let rp = env.rp(&env.client).await;
    let first = rp.flow(&browser, &env.user, &AuthOptions::default()).await;
    let t1 = rp
        .verify_id_token(&first.tokens, Some(&first.nonce), RS256)
        .auth_time()
        .expect("auth_time");
    // auth_time has a resolution of one second.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let again = rp
        .flow(&browser, &env.user, &prompt(CoreAuthPrompt::Login))
        .await;
    assert_eq!(
        again.pages,
        ["login"],
        "prompt=login shows the login page despite the session (consent is remembered)"
    );
    let t2 = rp
        .verify_id_token(&again.tokens, Some(&again.nonce), RS256)
        .auth_time()
        .expect("auth_time");
    assert!(
        t2 > t1,
        "auth_time after prompt=login ({t2}) is not later than before ({t1})"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_age_elapsed_forces_login_and_recent_enough_does_not() {
    let env = Env::new().await;
    let browser = Browser::new();
    let rp = env.rp(&env.client).await;
    rp.flow(&browser, &env.user, &AuthOptions::default()).await;

    // A recent enough authentication is reused.
    let recent = AuthOptions {
        max_age: Some(3600),
        ..AuthOptions::default()
    };
    browser
        .answer_to_client(rp.auth_request(&recent).url.as_str())
        .await
        .code();

    // max_age=0: authenticate now (OIDC Core §3.1.2.1).
    let stale = AuthOptions {
        max_age: Some(0),
        ..AuthOptions::default()
    };
    let (_, page) = rp.open_login(&browser, &stale).await;
    assert!(
        page.is_login_page(),
        "max_age=0 shows the login page: {}",
        page.body
    );

    // With prompt=none it cannot, so: login_required.
    let none_stale = AuthOptions {
        max_age: Some(0),
        prompt: Some(CoreAuthPrompt::None),
        ..AuthOptions::default()
    };
    let req = rp.auth_request(&none_stale);
    browser
        .answer_to_client(req.url.as_str())
        .await
        .assert_error("login_required", &env.tenant.issuer, Some(&req.state));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prompt_consent_asks_again_even_when_consent_was_given() {
    let env = Env::new().await;
    let browser = Browser::new();
    let rp = env.rp(&env.client).await;
    rp.flow(&browser, &env.user, &AuthOptions::default()).await;
    let again = rp
        .flow(&browser, &env.user, &prompt(CoreAuthPrompt::Consent))
        .await;
    assert_eq!(again.pages, ["consent"]);
}
