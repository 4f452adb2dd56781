//! The cap on pending interactions per address, their short life until
//! the page is shown, and the purge of those nobody opened.

use super::*;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_interactions_per_address_are_capped_until_someone_signs_in() {
    let env = Env::with_server(
        TestServer::start_config(|c| {
            exposed(c);
            c.rate_limits.authorize_per_ip = 0;
            c.rate_limits.pending_interactions_per_ip = 3;
        })
        .await,
    )
    .await;
    let mut pages = Vec::new();
    for i in 0..3 {
        let res = get(&auth_url(&env, &format!("s{i}"), &[])).await;
        assert_eq!(res.status, StatusCode::FOUND, "{}", res.body);
        pages.push(res.redirect());
    }
    // Nobody opened them: each lives 5 minutes, not 30.
    assert_eq!(lifetimes(&env.server), [300, 300, 300]);
    let over = get(&auth_url(&env, "s3", &[])).await;
    assert_error_page(
        &over,
        StatusCode::TOO_MANY_REQUESTS,
        "temporarily_unavailable",
        "too many sign-ins are waiting",
    );
    assert!(over.header("retry-after").is_some());
    assert_eq!(
        interactions(&env.server),
        3,
        "the refused request was stored"
    );
    // Showing the page gives the full lifetime but keeps the slot.
    let browser = Browser::new();
    let page = browser.get(pages[0].as_str()).await;
    assert!(page.is_login_page(), "{}", page.body);
    assert_eq!(lifetimes(&env.server), [300, 300, 1800]);
    let still = get(&auth_url(&env, "s4", &[])).await;
    assert_eq!(still.status, StatusCode::TOO_MANY_REQUESTS);
    // Signing in through it frees the slot.
    let res = browser
        .submit_login(&page, &env.user.email, &env.user.password)
        .await;
    assert!(res.status.is_redirection(), "{}", res.body);
    let next = get(&auth_url(&env, "s5", &[])).await;
    assert_eq!(next.status, StatusCode::FOUND, "{}", next.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unopened_interaction_expires_early_and_is_purged() {
    let env = Env::with_server(
        TestServer::start_config(|c| {
            c.lifetimes = idp_core::Lifetimes {
                pending_interaction: 1,
                interaction: 600,
                ..test_lifetimes()
            };
            c.jobs.purge_interval = Some(Duration::from_millis(200));
            c.jobs.clock_skew = 0;
        })
        .await,
    )
    .await;
    let opened = get(&auth_url(&env, "opened", &[])).await.redirect();
    let unopened = get(&auth_url(&env, "unopened", &[])).await.redirect();
    let browser = Browser::new();
    assert!(browser.get(opened.as_str()).await.is_login_page());
    let deadline = Instant::now() + Duration::from_secs(30);
    while interactions(&env.server) > 1 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(lifetimes(&env.server), [600], "only the opened one is left");
    let gone = browser.get(unopened.as_str()).await;
    assert!(!gone.is_login_page(), "{}", gone.body);
    assert!(browser.get(opened.as_str()).await.is_login_page());
}

/// RFC 9126: a public client pushes without a secret, so pushes are
/// stored on anyone's word too; they share the per-address rate and the
/// cap with interactions, and a used one frees its slot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushed_requests_share_the_cap_with_interactions() {
    let env = Env::with_server(
        TestServer::start_config(|c| {
            exposed(c);
            c.rate_limits.authorize_per_ip = 0;
            c.rate_limits.pending_interactions_per_ip = 2;
        })
        .await,
    )
    .await;
    let spa = env.client(&ClientSpec::public("SPA"));
    let par = env.endpoints.doc["pushed_authorization_request_endpoint"]
        .as_str()
        .expect("PAR endpoint")
        .to_owned();
    let push = |state: &'static str| {
        let (par, id) = (par.clone(), spa.client_id.clone());
        async move {
            client_post(
                &par,
                ClientAuth::Public(&id),
                &[
                    ("response_type", "code"),
                    ("redirect_uri", REDIRECT_URI),
                    ("scope", "openid"),
                    ("state", state),
                    ("code_challenge", CHALLENGE),
                    ("code_challenge_method", "S256"),
                ],
            )
            .await
        }
    };
    let first = push("p1").await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let page = get(&auth_url(&env, "s1", &[])).await;
    assert_eq!(page.status, StatusCode::FOUND, "{}", page.body);
    // One push and one interaction: the cap of 2 is reached.
    let over = push("p2").await;
    over.assert_oauth_error(StatusCode::TOO_MANY_REQUESTS, "temporarily_unavailable");
    assert!(over.header("retry-after").is_some());
    let stored: i64 = env
        .server
        .db()
        .query_row("SELECT count(*) FROM pushed_requests", [], |r| r.get(0))
        .expect("count");
    assert_eq!(stored, 1, "the refused push was stored");
    // Using the pushed request frees its slot (its interaction takes one).
    let request_uri = first.json()["request_uri"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    let used = get(&with_query(
        &env.endpoints.authorization,
        &[("client_id", &spa.client_id), ("request_uri", &request_uri)],
    ))
    .await;
    assert_eq!(used.status, StatusCode::FOUND, "{}", used.body);
    let over = get(&auth_url(&env, "s2", &[])).await;
    assert_eq!(over.status, StatusCode::TOO_MANY_REQUESTS, "{}", over.body);
}
