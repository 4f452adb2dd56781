//! Upstream-only tenants (`password_login` off): the login page offers only
//! "Continue with", a password posted anyway signs nobody in, the account
//! page offers no password change, and a password no longer counts as a
//! way to sign in when unlinking. Turning it off needs an upstream.

use super::*;
use crate::api::{Api, Req, assert_problem};
use serde_json::json;

/// What the login page says to a password posted to an upstream-only tenant.
const REFUSED: &str = idp_core::upstream::password_login::REFUSED;

/// Turns tenant `acme`'s password login `on` or off through the admin API:
/// the tenant as it answers.
async fn set_password_login(api: &Api, on: bool) -> Resp {
    api.send(Req::patch(
        "/api/v1/tenants/acme",
        &json!({ "password_login": on }),
    ))
    .await
}

/// Signs in at A through Beta as `at_beta` from a fresh login page: A's answer.
async fn through_beta(w: &World, browser: &Browser, at_beta: &User) -> Resp {
    let (_, page) = w.rp.open_login(browser, &AuthOptions::default()).await;
    w.continue_with_beta(browser, &page, at_beta).await
}

/// Tenant A's account page for the browser's signed-in user.
async fn account_page(w: &World, browser: &Browser) -> Resp {
    let account = format!("{}/account", w.env.tenant.issuer);
    let mut res = browser.get(&account).await;
    for _ in 0..6 {
        if !res.status.is_redirection() {
            break;
        }
        res = browser.get(res.redirect().as_str()).await;
    }
    if res.is_consent_page() {
        res = browser.submit_consent(&res, "allow").await;
        while res.status.is_redirection() {
            res = browser.get(res.redirect().as_str()).await;
        }
    }
    assert_eq!(res.status, StatusCode::OK, "{} {}", res.url, res.body);
    res
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_login_cannot_be_turned_off_without_an_upstream() {
    let env = Env::new().await;
    let api = Api::new(&env.server);
    let res = set_password_login(&api, false).await;
    let p = assert_problem(&res, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.to_string().contains("password_login"), "{p}");
    // A new tenant has no upstream yet.
    let res = api
        .send(Req::post(
            "/api/v1/tenants",
            &json!({"slug": "newco", "password_login": false}),
        ))
        .await;
    let p = assert_problem(&res, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.to_string().contains("password_login"), "{p}");
    // The CLI is held to the same rule.
    let out = env.server.cli(
        &["tenant", "update", "acme", "--password-login", "off"],
        None,
    );
    assert!(!out.success, "{} {}", out.stdout, out.stderr);
    assert!(out.stderr.contains("has an upstream"), "{}", out.stderr);
    // Nothing changed: alice still signs in with her password.
    let t = api.get("/api/v1/tenants/acme").await;
    assert_eq!(t["password_login"], true, "{t}");
    let browser = Browser::new();
    let (_, page) = env
        .rp(&env.client)
        .await
        .open_login(&browser, &AuthOptions::default())
        .await;
    assert!(page.is_login_page(), "{}", page.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_only_login_page_offers_only_continue_with_and_refuses_passwords() {
    let w = World::new(true, false).await;
    let api = Api::new(&w.env.server);
    let res = set_password_login(&api, false).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.json()["password_login"], false, "{}", res.body);
    // The API and the CLI show it.
    assert_eq!(
        api.get("/api/v1/tenants/acme").await["password_login"],
        false
    );
    let shown = w
        .env
        .server
        .cli_json(&["tenant", "get", "acme", "--json"], None);
    assert_eq!(shown["password_login"], false, "{shown}");

    // The login page: Continue with Beta, no password form.
    let browser = Browser::new();
    let (_, page) = w.rp.open_login(&browser, &AuthOptions::default()).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Continue with Beta"), "{}", page.body);
    assert!(!page.body.contains("name=\"password\""), "{}", page.body);
    assert!(!page.is_login_page(), "{}", page.body);
    assert!(
        !page.body.contains("or sign in with your email"),
        "{}",
        page.body
    );

    // Alice's right password posted anyway: refused, nobody signs in.
    let upstream_form = page
        .form_with(&format!("value=\"{UPSTREAM}\""))
        .expect("the Continue with Beta form");
    let login_action = upstream_form.action.as_str().replace("/upstream", "/login");
    let csrf = upstream_form.csrf();
    let refused = browser
        .post_form(
            &login_action,
            &[
                ("csrf", csrf.as_str()),
                ("username", w.env.user.email.as_str()),
                ("password", w.env.user.password.as_str()),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.body);
    assert!(refused.body.contains(REFUSED), "{}", refused.body);
    assert!(refused.location().is_none(), "no redirect, no code");
    assert!(
        browser
            .cookie(&w.env.tenant.issuer, "idp_session")
            .is_none(),
        "nobody signed in"
    );

    // The round trip through Beta still signs in, and the RP gets tokens.
    let bea = w.beta_user("bea@beta.example");
    let other = Browser::new();
    let (req, page) = w.rp.open_login(&other, &AuthOptions::default()).await;
    let answer = w.continue_with_beta(&other, &page, &bea).await;
    let (cb, _) = other.finish(answer, REDIRECT_URI, &w.env.user).await;
    let tokens =
        w.rp.exchange(&cb.code(), req.verifier.as_deref())
            .await
            .expect("the code redeems");
    let claims = w.rp.verify_id_token(&tokens, Some(&req.nonce), RS256);
    assert_ne!(claims.subject().as_str(), w.env.user.id, "bea, not alice");

    // Back on: the password form returns.
    let res = set_password_login(&api, true).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let (_, page) =
        w.rp.open_login(&Browser::new(), &AuthOptions::default())
            .await;
    assert!(page.is_login_page(), "{}", page.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_only_the_account_page_has_no_password_and_the_last_identity_stays() {
    let w = World::new(true, false).await;
    // Alice links her Beta identity while passwords still work ("sign in
    // first", then the identity is linked).
    let alice_at_beta = w.beta_user(&w.env.user.email);
    let browser = Browser::new();
    let answer = through_beta(&w, &browser, &alice_at_beta).await;
    let page = browser.get(answer.redirect().as_str()).await;
    let after = browser
        .submit_login(&page, &w.env.user.email, &w.env.user.password)
        .await;
    let _ = browser.finish(after, REDIRECT_URI, &w.env.user).await;
    let before = account_page(&w, &browser).await;
    assert!(
        before.body.contains(&format!("id=\"unlink-{UPSTREAM}\"")),
        "with her password, Beta may be unlinked: {}",
        before.body
    );

    let unlink_form = before
        .form_with(&format!("id=\"unlink-{UPSTREAM}\""))
        .expect("the unlink form");
    let subject = unlink_form
        .hidden_value("subject")
        .expect("the identity's subject");

    let api = Api::new(&w.env.server);
    let res = set_password_login(&api, false).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);

    // Her password no longer signs her in: no password form, and Beta is
    // her only way to sign in.
    let page = account_page(&w, &browser).await;
    assert!(
        !page.body.contains("id=\"change-password\""),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("name=\"current_password\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("id=\"no-password\""), "{}", page.body);
    assert!(
        !page.body.contains(&format!("id=\"unlink-{UPSTREAM}\"")),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("Your only way to sign in"),
        "{}",
        page.body
    );

    // Posting either anyway is refused.
    let profile = page
        .form_with("name=\"csrf\"")
        .expect("a form with the CSRF token");
    let csrf = profile.csrf();
    let account = format!("{}/account", w.env.tenant.issuer);
    let changed = browser
        .post_form(
            &format!("{account}/password"),
            &[
                ("csrf", csrf.as_str()),
                ("current_password", w.env.user.password.as_str()),
                ("new_password", "a brand new passphrase 42"),
                ("new_password_confirm", "a brand new passphrase 42"),
            ],
        )
        .await;
    assert_eq!(
        changed.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        changed.body
    );
    let unlinked = browser
        .post_form(
            &format!("{account}/unlink"),
            &[
                ("csrf", csrf.as_str()),
                ("upstream", UPSTREAM),
                ("subject", subject.as_str()),
            ],
        )
        .await;
    assert_eq!(unlinked.status, StatusCode::CONFLICT, "{}", unlinked.body);
    assert!(
        unlinked.body.contains("last way to sign in"),
        "{}",
        unlinked.body
    );
    // The admin API holds to the same rule, and an upstream-only tenant
    // keeps its last upstream.
    let path = format!(
        "/api/v1/tenants/acme/users/{}/identities/{UPSTREAM}/{subject}",
        w.env.user.id
    );
    let res = api.send(Req::delete(&path)).await;
    assert_problem(&res, StatusCode::CONFLICT);
    let res = api
        .send(Req::delete(&format!(
            "/api/v1/tenants/acme/upstreams/{UPSTREAM}"
        )))
        .await;
    assert_problem(&res, StatusCode::CONFLICT);
    let page = account_page(&w, &browser).await;
    assert!(
        page.body.contains("Your only way to sign in"),
        "still linked: {}",
        page.body
    );
}
