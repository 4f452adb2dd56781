//! The user's account page (`{issuer}/account`, issue 18) through real
//! HTTP: a [`Browser`] is sent through the tenant's login page by the
//! account page's own code flow (the first-party client `account`, PKCE
//! S256), lands on the page, and uses its forms with their CSRF token.
//! Signing in and its callback are here; the profile and password forms
//! in [`changes`]; sessions and signing out in [`sessions`].

mod changes;
mod sessions;

use crate::api::{Api, api_server};
use crate::support::*;
use reqwest::StatusCode;
use url::Url;

/// A server with tenant `acme`, its client `Web App`, alice, and a full
/// API key for checks.
pub async fn account_env() -> (Env, Api) {
    let env = Env::with_server(api_server().await).await;
    let api = Api::new(&env.server);
    (env, api)
}

/// `{BASE_URL}/t/{slug}/account{rest}`.
pub fn account_url(server: &TestServer, slug: &str, rest: &str) -> String {
    format!("{}/t/{slug}/account{rest}", server.base_url)
}

/// Asserts that `res` asks the browser to sign in: a 303 to the tenant's
/// authorization endpoint as the client `account`, with PKCE S256, a
/// state and a nonce. Returns where it goes.
pub fn assert_asks_to_sign_in(res: &Resp, slug: &str) -> Url {
    assert_eq!(
        res.status,
        StatusCode::SEE_OTHER,
        "{}: {}",
        res.url,
        res.body
    );
    let to = res.redirect();
    assert_eq!(to.path(), format!("/t/{slug}/authorize"), "{to}");
    let q = |name: &str| {
        to.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    assert_eq!(q("client_id"), "account", "{to}");
    assert_eq!(q("code_challenge_method"), "S256", "{to}");
    assert!(q("code_challenge").len() >= 43, "{to}");
    assert!(!q("state").is_empty() && !q("nonce").is_empty(), "{to}");
    assert!(
        q("redirect_uri").ends_with(&format!("/t/{slug}/account/callback")),
        "{to}"
    );
    to
}

/// Signs `user` in to `slug`'s account page in `browser`, through the
/// tenant's login page: the account page it lands on.
pub async fn sign_in(server: &TestServer, browser: &Browser, slug: &str, user: &User) -> Resp {
    let url = account_url(server, slug, "");
    let first = browser.get(&url).await;
    let to = assert_asks_to_sign_in(&first, slug);
    let mut res = browser.get(to.as_str()).await;
    let mut logins = 0;
    for _ in 0..10 {
        if res.status.is_redirection() {
            res = browser.get(res.redirect().as_str()).await;
        } else if res.status == StatusCode::OK && res.is_login_page() {
            logins += 1;
            res = browser
                .submit_login(&res, &user.email, &user.password)
                .await;
        } else {
            break;
        }
    }
    assert_eq!(logins, 1, "the login page was shown once");
    assert_account_page(&res, user);
    assert_eq!(res.url.as_str(), url, "landed on the account page");
    res
}

/// Asserts that `res` is `user`'s account page.
pub fn assert_account_page(res: &Resp, user: &User) {
    assert_eq!(res.status, StatusCode::OK, "{}: {}", res.url, res.body);
    assert!(
        res.body.contains("<h1>Your account</h1>"),
        "not the account page at {}: {}",
        res.url,
        res.body
    );
    assert!(
        res.body.contains(&format!("value=\"{}\"", user.email)),
        "{}",
        res.body
    );
}

/// The form of `page` whose HTML contains `marker`.
pub fn form(page: &Resp, marker: &str) -> Form {
    page.form_with(marker)
        .unwrap_or_else(|| panic!("no form with {marker} at {}: {}", page.url, page.body))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_signs_in_through_the_login_page_and_sees_their_account() {
    let (env, api) = account_env().await;
    let browser = Browser::new();
    let page = sign_in(&env.server, &browser, "acme", &env.user).await;
    assert!(page.body.contains("Alice Example"), "{}", page.body);
    assert!(
        page.body.contains("<bdi>acme Inc.</bdi> · Account"),
        "tenant-branded: {}",
        page.body
    );
    // The account page is the tenant's own client, made on demand.
    let made = api.audit("tenant=acme&action=client.create").await;
    assert!(
        made.iter().any(|e| e["target"]["id"] == "account"),
        "{made:?}"
    );
    // Once signed in, the page opens at once.
    let again = browser.get(&account_url(&env.server, "acme", "")).await;
    assert_account_page(&again, &env.user);
    // Someone already signed in at the tenant (through an application)
    // needs no second login.
    let sso = Browser::new();
    env.rp(&env.client)
        .await
        .flow(&sso, &env.user, &AuthOptions::default())
        .await;
    let page = sso.get(&account_url(&env.server, "acme", "")).await;
    assert_account_page(&page, &env.user);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_platform_tenants_users_have_an_account_page_too() {
    let server = TestServer::start().await;
    let user = server.create_user("platform", "ops@platform.example", "Ops", PASSWORD);
    let browser = Browser::new();
    let page = sign_in(&server, &browser, "platform", &user).await;
    assert!(page.body.contains("Ops"), "{}", page.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_follow_the_strict_policy_and_label_every_input() {
    let (env, _) = account_env().await;
    let browser = Browser::new();
    let page = sign_in(&env.server, &browser, "acme", &env.user).await;
    let csp = page.header("content-security-policy").unwrap_or_default();
    assert!(csp.contains("style-src 'self'"), "{csp}");
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("script-src"),
        "{csp}"
    );
    for banned in ["<script", "<style", " style=\""] {
        assert!(!page.body.contains(banned), "{banned} in {}", page.body);
    }
    assert_eq!(page.body.matches("<h1>").count(), 1, "{}", page.body);
    assert!(page.body.contains("<th scope=\"col\">"), "{}", page.body);
    // Every visible input has a label naming it.
    for input in page.body.split("<input").skip(1) {
        let tag = &input[..input.find('>').unwrap_or(input.len())];
        if tag.contains("type=\"hidden\"") {
            continue;
        }
        let id = tag
            .split("id=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap_or_else(|| panic!("input without an id: {tag}"));
        assert!(
            page.body.contains(&format!("<label for=\"{id}\">")),
            "no label for {id}"
        );
    }
    // The stylesheet is the console's, served from this origin.
    let href = page
        .body
        .split("rel=\"stylesheet\" href=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("a stylesheet");
    let css = browser.get(&format!("{}{href}", env.server.base_url)).await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(
        css.body.contains("main.account"),
        "the account page's classes"
    );
    // The email is read-only, and says who can change it.
    assert!(page.body.contains("readonly"), "{}", page.body);
    assert!(page.body.contains("ask an administrator"), "{}", page.body);
    assert!(
        page.body.contains("id=\"linked-identities\""),
        "{}",
        page.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_callback_refuses_a_sign_in_it_did_not_start() {
    let (env, _) = account_env().await;
    let callback = account_url(&env.server, "acme", "/callback");
    // No sign-in started in this browser.
    let res = Browser::new()
        .get(&format!("{callback}?code=abc&state=xyz"))
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
    assert!(
        res.body.contains("not started in this browser"),
        "{}",
        res.body
    );

    let browser = Browser::new();
    let start = |b: Browser| {
        let url = account_url(&env.server, "acme", "");
        async move {
            let to = assert_asks_to_sign_in(&b.get(&url).await, "acme");
            to.query_pairs()
                .find(|(k, _)| k == "state")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        }
    };
    // A wrong state, and none at all.
    start(browser.clone()).await;
    let res = browser
        .get(&format!("{callback}?code=abc&state=wrong"))
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
    assert!(res.body.contains("does not match"), "{}", res.body);
    start(browser.clone()).await;
    let res = browser.get(&format!("{callback}?code=abc")).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
    // The right state with a code that is no code.
    let state = start(browser.clone()).await;
    let res = browser
        .get(&format!("{callback}?code=forged&state={state}"))
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
    assert!(res.body.contains("could not be completed"), "{}", res.body);
    // The sign-in cookie is spent: the same state again is refused.
    let res = browser
        .get(&format!("{callback}?code=forged&state={state}"))
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
    assert!(
        res.body.contains("not started in this browser"),
        "{}",
        res.body
    );
    // Cancelled on the login page: said so, with a way back.
    let state = start(browser.clone()).await;
    let res = browser
        .get(&format!("{callback}?error=access_denied&state={state}"))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(res.body.contains("id=\"sign-in\""), "{}", res.body);
    assert!(browser.cookie(&callback, "idp_session").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_at_one_tenant_is_none_at_another() {
    let (env, _) = account_env().await;
    env.server.create_tenant("globex");
    env.server
        .create_user("globex", &env.user.email, "Alice at Globex", PASSWORD);
    let browser = Browser::new();
    sign_in(&env.server, &browser, "acme", &env.user).await;
    let res = browser.get(&account_url(&env.server, "globex", "")).await;
    assert_asks_to_sign_in(&res, "globex");
    // Even when the cookie is sent there on purpose.
    let acme = account_url(&env.server, "acme", "");
    let session = browser.cookie(&acme, "idp_session").expect("a session");
    let res = plain_client()
        .get(account_url(&env.server, "globex", ""))
        .header("cookie", format!("idp_session={session}"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = res.headers()["location"]
        .to_str()
        .unwrap_or_default()
        .to_owned();
    assert!(to.contains("/t/globex/authorize?"), "{to}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suspended_tenant_shows_its_unavailable_page_but_lets_users_sign_out() {
    let (env, api) = account_env().await;
    let browser = Browser::new();
    let page = sign_in(&env.server, &browser, "acme", &env.user).await;
    let sign_out = form(&page, "id=\"sign-out-here\"");
    let res = api
        .send(crate::api::Req::post(
            "/api/v1/tenants/acme/suspend",
            &serde_json::json!({"reason": "Unpaid invoice"}),
        ))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let res = browser.get(&account_url(&env.server, "acme", "")).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
    assert!(res.body.contains("suspended"), "{}", res.body);
    let res = browser.submit(&sign_out, &[]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(res.body.contains("You are signed out"), "{}", res.body);
}
