//! The full round trip: RP → tenant A → "Continue with Beta" → tenant B
//! (a real OpenID Provider) → A's callback → the RP's code → tokens.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_sign_in_through_the_upstream_creates_the_user_and_the_rp_gets_tokens() {
    let w = World::new(true, false).await;
    let bea = w.beta_user("bea@beta.example");
    let browser = Browser::new();
    let (req, page) = w.rp.open_login(&browser, &AuthOptions::default()).await;
    assert!(
        page.is_login_page(),
        "the password form stays: {}",
        page.body
    );
    let answer = w.continue_with_beta(&browser, &page, &bea).await;
    // Signed in at A: on to consent or straight to the client.
    let (cb, _) = browser.finish(answer, REDIRECT_URI, &w.env.user).await;
    assert_eq!(cb.state.as_deref(), Some(req.state.as_str()));
    let tokens =
        w.rp.exchange(&cb.code(), req.verifier.as_deref())
            .await
            .expect("the code redeems");
    let claims = w.rp.verify_id_token(&tokens, Some(&req.nonce), RS256);
    let sub = claims.subject().as_str().to_owned();
    assert_ne!(sub, w.env.user.id, "a new user, not alice");
    // The user exists in A with what B vouched for, and no password.
    let shown = w
        .env
        .server
        .cli_json(&["user", "get", "--tenant", "acme", &sub, "--json"], None);
    assert_eq!(shown["email"], "bea@beta.example", "{shown}");
    // A second sign-in finds the same user through the link.
    let again = Browser::new();
    let (req2, page2) = w.rp.open_login(&again, &AuthOptions::default()).await;
    let answer2 = w.continue_with_beta(&again, &page2, &bea).await;
    let (cb2, _) = again.finish(answer2, REDIRECT_URI, &w.env.user).await;
    let tokens2 =
        w.rp.exchange(&cb2.code(), req2.verifier.as_deref())
            .await
            .expect("the code redeems");
    let claims2 = w.rp.verify_id_token(&tokens2, Some(&req2.nonce), RS256);
    assert_eq!(claims2.subject().as_str(), sub);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_sign_up_an_unknown_identity_gets_a_clear_page() {
    let w = World::new(false, false).await;
    let bea = w.beta_user("bea@beta.example");
    let browser = Browser::new();
    let (_, page) = w.rp.open_login(&browser, &AuthOptions::default()).await;
    let answer = w.continue_with_beta(&browser, &page, &bea).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
    assert!(
        answer.body.contains("ask your administrator")
            || answer.body.contains("Ask your administrator"),
        "{}",
        answer.body
    );
    assert!(
        answer.body.contains("id=\"back\""),
        "back to sign in: {}",
        answer.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenants_upstream_is_not_usable_from_another_tenant() {
    let w = World::new(true, false).await;
    // Tenant B has no upstream "beta-oidc": its callback is a 404, and its
    // login page offers no such button.
    let callback = format!(
        "{}/upstream/{UPSTREAM}/callback?state=x&code=y",
        w.beta.issuer
    );
    let res = Browser::new().get(&callback).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.body);
    let beta_rp = Rp::discover(&w.beta.issuer, &w.beta_client).await;
    let browser = Browser::new();
    let req = beta_rp.auth_request(&AuthOptions::default());
    let first = browser.get(req.url.as_str()).await;
    assert!(first.status.is_redirection(), "{}", first.body);
    let page = browser.get(first.redirect().as_str()).await;
    assert!(!page.body.contains("Continue with Beta"), "{}", page.body);
    // Posting A's upstream id to B's login page is refused.
    let form = page.form_with("name=\"password\"").expect("login form");
    let action = form.action.as_str().replace("/login", "/upstream");
    let csrf = form.csrf();
    let res = browser
        .post_form(&action, &[("csrf", csrf.as_str()), ("upstream", UPSTREAM)])
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.body);
}
