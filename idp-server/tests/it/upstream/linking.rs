//! The linking rules: no takeover through an unverified email, "sign in
//! first" then link, and unlink never the last way to sign in.

use super::*;

/// Signs in at A through Beta as `at_beta` from a fresh login page: A's answer.
async fn through_beta(w: &World, browser: &Browser, at_beta: &User) -> Resp {
    let (_, page) = w.rp.open_login(browser, &AuthOptions::default()).await;
    w.continue_with_beta(browser, &page, at_beta).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unverified_email_of_an_existing_user_never_links() {
    // Auto-link on, but tenant B does not say alice's email is verified.
    let w = World::new(true, true).await;
    let mallory = w.beta_user(&w.env.user.email);
    let browser = Browser::new();
    let answer = through_beta(&w, &browser, &mallory).await;
    // "Sign in first": back to the login page with the notice, not signed in.
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let page = browser.get(answer.redirect().as_str()).await;
    assert!(page.is_login_page(), "{}", page.body);
    assert!(page.body.contains("id=\"notice\""), "{}", page.body);
    assert!(
        browser
            .cookie(&w.env.tenant.issuer, "idp_session")
            .is_none(),
        "not signed in"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_first_then_the_identity_is_linked_in_the_same_browser() {
    let w = World::new(true, false).await;
    let alice_at_beta = w.beta_user(&w.env.user.email);
    let browser = Browser::new();
    let answer = through_beta(&w, &browser, &alice_at_beta).await;
    let page = browser.get(answer.redirect().as_str()).await;
    assert!(page.body.contains("id=\"notice\""), "{}", page.body);
    // Alice signs in with her password on the same page: linked.
    let after = browser
        .submit_login(&page, &w.env.user.email, &w.env.user.password)
        .await;
    let (cb, _) = browser.finish(after, REDIRECT_URI, &w.env.user).await;
    assert!(cb.code.is_some());
    // From now on Beta signs her in as herself.
    let other = Browser::new();
    let (req, page) = w.rp.open_login(&other, &AuthOptions::default()).await;
    let answer = w.continue_with_beta(&other, &page, &alice_at_beta).await;
    let (cb, _) = other.finish(answer, REDIRECT_URI, &w.env.user).await;
    let tokens =
        w.rp.exchange(&cb.code(), req.verifier.as_deref())
            .await
            .expect("the code redeems");
    let claims = w.rp.verify_id_token(&tokens, Some(&req.nonce), RS256);
    assert_eq!(claims.subject().as_str(), w.env.user.id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_link_is_not_made_by_another_browsers_password_sign_in() {
    let w = World::new(true, false).await;
    let mallory = w.beta_user(&w.env.user.email);
    let attacker = Browser::new();
    let answer = through_beta(&w, &attacker, &mallory).await;
    let login_url = answer.redirect();
    // The victim is lured to the attacker's login page and signs in there.
    let victim = Browser::new();
    let page = victim.get(login_url.as_str()).await;
    let after = victim
        .submit_login(&page, &w.env.user.email, &w.env.user.password)
        .await;
    let _ = victim.finish(after, REDIRECT_URI, &w.env.user).await;
    // Mallory's Beta identity still signs in as nobody's account.
    let again = through_beta(&w, &Browser::new(), &mallory).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
    assert!(
        again.redirect().as_str().contains("notice=link"),
        "not linked to alice: {:?}",
        again.location()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_way_to_sign_in_cannot_be_unlinked() {
    let w = World::new(true, false).await;
    let bea = w.beta_user("bea@beta.example");
    let browser = Browser::new();
    let answer = through_beta(&w, &browser, &bea).await;
    let _ = browser.finish(answer, REDIRECT_URI, &w.env.user).await;
    // Bea (no password, one identity) on her account page: no Unlink.
    let account = format!("{}/account", w.env.tenant.issuer);
    let res = browser.get(&account).await;
    let page = if res.status.is_redirection() {
        let (cb, _) = browser
            .finish(res, &format!("{account}/callback"), &w.env.user)
            .await;
        browser.get(cb.url.as_str()).await
    } else {
        res
    };
    let page = if page.status.is_redirection() {
        browser.get(page.redirect().as_str()).await
    } else {
        page
    };
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("id=\"linked-identities\""),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("Your only way to sign in"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("id=\"unlink-"), "{}", page.body);
}
