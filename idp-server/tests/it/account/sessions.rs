//! Sessions on the account page: this browser marked, signing out of the
//! others (confirmed first; their refresh tokens revoked, their account
//! pages asking to sign in again) and of this one.

use super::{account_url, assert_account_page, assert_asks_to_sign_in, form};
use crate::support::*;
use reqwest::StatusCode;

/// An RP flow with `offline_access` in `browser`: its refresh token.
async fn refresh_token_in(env: &Env, browser: &Browser) -> String {
    let rp = env.rp(&env.client).await;
    rp.offline_flow(browser, &env.user).await.1
}

async fn refresh(env: &Env, rt: &str) -> Resp {
    token_request(
        &env.endpoints.token,
        ClientAuth::of(&env.client),
        &[("grant_type", "refresh_token"), ("refresh_token", rt)],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_other_sessions_ends_them_and_their_tokens() {
    let (env, api) = super::account_env().await;
    let (here, there) = (Browser::new(), Browser::new());
    let rt_here = refresh_token_in(&env, &here).await;
    let rt_there = refresh_token_in(&env, &there).await;
    let url = account_url(&env.server, "acme", "");
    let page = here.get(&url).await;
    assert_account_page(&page, &env.user);
    assert_account_page(&there.get(&url).await, &env.user);
    assert_eq!(
        page.body.matches("This browser").count(),
        1,
        "{}",
        page.body
    );
    assert_eq!(
        page.body.matches("Another browser").count(),
        1,
        "{}",
        page.body
    );
    assert!(page.body.contains("<time datetime=\""), "{}", page.body);

    // The link opens a page saying what will happen; its form does it.
    let confirm = here
        .get(&account_url(&env.server, "acme", "/sign-out-others"))
        .await;
    assert_eq!(confirm.status, StatusCode::OK, "{}", confirm.body);
    assert!(
        confirm.body.contains("1 other session:"),
        "{}",
        confirm.body
    );
    let res = here
        .submit(&form(&confirm, "id=\"confirm-sign-out-others\""), &[])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let page = here.get(res.redirect().as_str()).await;
    assert_account_page(&page, &env.user);
    assert!(page.body.contains("Your other sessions are signed out."));
    assert!(!page.body.contains("Another browser"), "{}", page.body);

    // The other browser is asked to sign in; its refresh token is dead.
    assert_asks_to_sign_in(&there.get(&url).await, "acme");
    refresh(&env, &rt_there)
        .await
        .assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    // This one is untouched.
    assert_account_page(&here.get(&url).await, &env.user);
    let res = refresh(&env, &rt_here).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let events = api.audit("tenant=acme&action=session.revoke").await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["actor"]["kind"], "user", "{events:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_ends_this_session() {
    let (env, _) = super::account_env().await;
    let browser = Browser::new();
    let rt = refresh_token_in(&env, &browser).await;
    let url = account_url(&env.server, "acme", "");
    let page = browser.get(&url).await;
    assert_account_page(&page, &env.user);
    let res = browser
        .submit(&form(&page, "id=\"sign-out-here\""), &[])
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(res.body.contains("You are signed out"), "{}", res.body);
    assert!(res.body.contains("id=\"sign-in\""), "{}", res.body);
    assert!(browser.cookie(&url, "idp_session").is_none());
    assert_asks_to_sign_in(&browser.get(&url).await, "acme");
    refresh(&env, &rt)
        .await
        .assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    // A form posted after signing out changes nothing and says why.
    let res = browser
        .submit(&form(&page, "name=\"name\""), &[("name", "Too late")])
        .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{}", res.body);
}
