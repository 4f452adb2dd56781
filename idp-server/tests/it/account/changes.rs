//! The profile and password forms: changes are made and audited with the
//! user as the actor, refusals show the error next to the field and change
//! nothing, and no form works without its CSRF token.

use super::{account_env, account_url, form, sign_in};
use crate::support::*;
use reqwest::StatusCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_changes_their_name() {
    let (env, api) = account_env().await;
    let browser = Browser::new();
    let page = sign_in(&env.server, &browser, "acme", &env.user).await;
    let profile = form(&page, "name=\"name\"");
    let res = browser.submit(&profile, &[("name", "Alice Liddell")]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let page = browser.get(res.redirect().as_str()).await;
    assert!(
        page.body.contains("value=\"Alice Liddell\""),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("Your profile is saved."),
        "{}",
        page.body
    );
    let user = api
        .get(&format!("/api/v1/tenants/acme/users/{}", env.user.id))
        .await;
    assert_eq!(user["name"], "Alice Liddell", "{user}");
    let events = api.audit("tenant=acme&action=user.update").await;
    let e = events.last().expect("an audit event");
    assert_eq!(e["actor"]["kind"], "user", "{e}");
    assert_eq!(e["actor"]["id"], env.user.id.as_str(), "{e}");
    assert_eq!(e["changes"]["name"], "Alice Liddell", "{e}");

    // A name that would reorder the text around it is refused, next to
    // the field, with what was typed kept.
    let page = browser.get(&account_url(&env.server, "acme", "")).await;
    let profile = form(&page, "name=\"name\"");
    let res = browser
        .submit(&profile, &[("name", "Alice \u{202E}evil")])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(res.body.contains("id=\"name-error\""), "{}", res.body);
    assert!(
        res.body.contains("aria-describedby=\"name-error\""),
        "{}",
        res.body
    );
    assert!(res.body.contains("Alice \u{202E}evil"), "{}", res.body);
    let user = api
        .get(&format!("/api/v1/tenants/acme/users/{}", env.user.id))
        .await;
    assert_eq!(user["name"], "Alice Liddell", "{user}");
}

/// Submits the login form of a fresh flow of `env`'s client as `email`
/// with `password`: the page it answers with.
async fn login_with(env: &Env, password: &str) -> Resp {
    let browser = Browser::new();
    let rp = env.rp(&env.client).await;
    let (_, page) = rp.open_login(&browser, &AuthOptions::default()).await;
    browser.submit_login(&page, &env.user.email, password).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changing_the_password_needs_the_current_one() {
    let (env, api) = account_env().await;
    let browser = Browser::new();
    let page = sign_in(&env.server, &browser, "acme", &env.user).await;
    let new = "a much longer passphrase";

    // A wrong current password: refused next to its field, nothing changed.
    let change = form(&page, "name=\"current_password\"");
    let res = browser
        .submit(
            &change,
            &[
                ("current_password", "not my password"),
                ("new_password", new),
                ("new_password_confirm", new),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(
        res.body
            .contains("<p class=\"field-error\" id=\"current_password-error\">This is not your current password.</p>"),
        "{}",
        res.body
    );
    assert!(!res.body.contains(new), "a password echoed: {}", res.body);
    assert!(!res.body.contains("not my password"), "{}", res.body);
    assert!(
        api.audit("tenant=acme&action=user.password.set")
            .await
            .is_empty(),
        "nothing changed"
    );
    // Two new passwords that differ, and one too short.
    let res = browser
        .submit(
            &change,
            &[
                ("current_password", PASSWORD),
                ("new_password", new),
                ("new_password_confirm", "something else"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(
        res.body.contains("id=\"new_password_confirm-error\""),
        "{}",
        res.body
    );
    let res = browser
        .submit(
            &change,
            &[
                ("current_password", PASSWORD),
                ("new_password", "short"),
                ("new_password_confirm", "short"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(
        res.body
            .contains("New password must be at least 8 characters."),
        "{}",
        res.body
    );
    env.rp(&env.client).await.assert_signs_in(&env.user).await;

    // The right one: changed.
    let res = browser
        .submit(
            &change,
            &[
                ("current_password", PASSWORD),
                ("new_password", new),
                ("new_password_confirm", new),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let page = browser.get(res.redirect().as_str()).await;
    assert!(
        page.body.contains("Your password is changed."),
        "{}",
        page.body
    );

    // The old password fails at the login page, the new one works.
    let res = login_with(&env, PASSWORD).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{}", res.body);
    assert!(res.is_login_page(), "{}", res.body);
    let changed = User {
        password: new.to_owned(),
        ..env.user.clone()
    };
    env.rp(&env.client).await.assert_signs_in(&changed).await;

    // Audited as the user, without any password.
    let events = api.audit("tenant=acme&action=user.password.set").await;
    assert_eq!(events.len(), 1, "{events:?}");
    let e = &events[0];
    assert_eq!(e["actor"]["kind"], "user", "{e}");
    assert_eq!(e["actor"]["name"], env.user.email.as_str(), "{e}");
    assert_eq!(e["target"]["id"], env.user.id.as_str(), "{e}");
    let text = e.to_string();
    assert!(!text.contains(new) && !text.contains(PASSWORD), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_without_its_csrf_token_is_refused_and_changes_nothing() {
    let (env, api) = account_env().await;
    let browser = Browser::new();
    sign_in(&env.server, &browser, "acme", &env.user).await;
    for csrf in [None, Some("forged-forged-forged-forged-forged-forged")] {
        let mut fields = vec![("name", "Mallory")];
        if let Some(c) = csrf {
            fields.push(("csrf", c));
        }
        let res = browser
            .post_form(&account_url(&env.server, "acme", "/profile"), &fields)
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
        let mut fields = vec![
            ("current_password", PASSWORD),
            ("new_password", "mallory's password"),
            ("new_password_confirm", "mallory's password"),
        ];
        if let Some(c) = csrf {
            fields.push(("csrf", c));
        }
        let res = browser
            .post_form(&account_url(&env.server, "acme", "/password"), &fields)
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
        let res = browser
            .post_form(&account_url(&env.server, "acme", "/sign-out"), &[])
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
    }
    let user = api
        .get(&format!("/api/v1/tenants/acme/users/{}", env.user.id))
        .await;
    assert_eq!(user["name"], "Alice Example", "{user}");
    env.rp(&env.client).await.assert_signs_in(&env.user).await;
    // Still signed in.
    let page = browser.get(&account_url(&env.server, "acme", "")).await;
    super::assert_account_page(&page, &env.user);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_the_current_password_meets_the_login_lockout() {
    let (env, _) = account_env().await;
    let browser = Browser::new();
    let page = sign_in(&env.server, &browser, "acme", &env.user).await;
    let change = form(&page, "name=\"current_password\"");
    let new = "a much longer passphrase";
    let guess = |current: &'static str| {
        let (browser, change) = (browser.clone(), change.clone());
        async move {
            let fields = [
                ("current_password", current),
                ("new_password", new),
                ("new_password_confirm", new),
            ];
            browser.submit(&change, &fields).await
        }
    };
    for _ in 0..5 {
        let res = guess("a guess").await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    }
    // Locked: even the right password is not checked now.
    let res = guess(PASSWORD).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{}", res.body);
    assert!(res.header("retry-after").is_some());
    assert!(
        res.body
            .contains("id=\"current_password-error\">Too many failed"),
        "{}",
        res.body
    );
    // The login page counts the same failures.
    let rp = env.rp(&env.client).await;
    let login = Browser::new();
    let (_, page) = rp.open_login(&login, &AuthOptions::default()).await;
    let res = login.submit_login(&page, &env.user.email, PASSWORD).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{}", res.body);
}
