//! Retried back-channel logout deliveries (idp-core `logout_retry`): a
//! delivery that fails is queued in the database and retried by the
//! server's job with a fresh Logout Token each time, until it arrives, the
//! relying party refuses it, or the last attempt fails; the queue is
//! bounded per tenant and survives a restart. A receiver on 127.0.0.1
//! plays the relying party, down or answering errors as a test says.

use crate::channel_logout::{assert_logout_token, channel_client, login};
use crate::support::*;
use idp_core::logout_retry::RetryPolicy;
use idp_server::config::Config;
use idp_server::jobs::JobsConfig;
use reqwest::StatusCode;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// Retries checked every 100 ms, the first one 1 s after the failure, at
/// most `max_attempts` in all; the other jobs off.
fn fast_retries(c: &mut Config, max_attempts: u32, queue_limit: u32) {
    c.jobs = JobsConfig {
        purge_interval: None,
        checkpoint_interval: None,
        key_rotation_after: None,
        logout_retry_interval: Some(Duration::from_millis(100)),
        ..JobsConfig::default()
    };
    c.logout_retry = RetryPolicy {
        first_backoff: 1,
        max_attempts,
        queue_limit,
        ..RetryPolicy::default()
    };
}

/// How many deliveries wait in the queue, read from the database file.
fn queued(server: &TestServer) -> i64 {
    server
        .db()
        .query_row("SELECT count(*) FROM logout_deliveries", [], |r| r.get(0))
        .expect("count the queue")
}

/// Waits up to `limit` until `done` holds; whether it did.
async fn eventually(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    done()
}

/// RP-Initiated Logout in `browser`, hinted by `id_token` (no confirmation).
async fn logout(env: &Env, browser: &Browser, id_token: &str) {
    let res = browser
        .get(&with_query(
            &env.endpoints.end_session,
            &[("id_token_hint", id_token)],
        ))
        .await;
    assert!(
        matches!(res.status, StatusCode::OK | StatusCode::SEE_OTHER),
        "{}: {}",
        res.status,
        res.body
    );
}

/// `sso_backchannel_logout_deliveries_total{outcome="…"}` as scraped (the
/// recorder is shared by every server of the test binary: compare, never
/// expect an exact figure).
async fn deliveries(base_url: &str, outcome: &str) -> f64 {
    let body = get(&format!("{base_url}/metrics")).await.body;
    let series = format!("sso_backchannel_logout_deliveries_total{{outcome=\"{outcome}\"}} ");
    body.lines()
        .find_map(|l| l.strip_prefix(&series))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_delivery_is_retried_with_a_fresh_token_until_it_arrives() {
    let server = TestServer::start_config(|c| fast_retries(c, 6, 100)).await;
    let env = Env::with_server(server).await;
    let receiver = Receiver::start().await;
    receiver.answer("/a", 503);
    let issuer = env.tenant.issuer.as_str();
    let a = channel_client(&env.server, "acme", "App A", None, Some(receiver.url("/a")));
    let browser = Browser::new();
    let (_, id_token, sid, sub) = login(issuer, &a, &browser, &env.user).await;

    logout(&env, &browser, &id_token).await;
    assert!(!receiver.at("/a").is_empty(), "delivered during the logout");
    assert_eq!(queued(&env.server), 1, "the failure is queued");
    // A retry fails too (still 503) and stays queued.
    assert!(eventually(Duration::from_secs(5), || receiver.at("/a").len() >= 2).await);
    assert_eq!(queued(&env.server), 1);

    // The relying party is back: the next retry arrives and leaves the queue.
    receiver.answer("/a", 200);
    assert!(
        eventually(Duration::from_secs(15), || queued(&env.server) == 0).await,
        "still queued after {} attempts",
        receiver.at("/a").len()
    );
    let got = receiver.at("/a");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        receiver.at("/a").len(),
        got.len(),
        "sent again once delivered"
    );

    // Each attempt carried a valid Logout Token of its own.
    let jwks = jwks(&env.endpoints).await;
    let mut jtis = BTreeSet::new();
    let mut last_iat = 0;
    for r in &got {
        let claims = assert_logout_token(r, &jwks, issuer, &a.client_id, &sid, &sub);
        assert!(
            jtis.insert(claims["jti"].to_string()),
            "jti reused: {claims}"
        );
        let iat = claims["iat"].as_i64().expect("iat");
        assert!(iat >= last_iat, "signed afresh: {iat} after {last_iat}");
        last_iat = iat;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_is_given_up_after_its_last_attempt_and_a_refusal_at_once() {
    let server = TestServer::start_config(|c| fast_retries(c, 3, 100)).await;
    let env = Env::with_server(server).await;
    let base_url = env.server.base_url.clone();
    let receiver = Receiver::start().await;
    receiver.answer("/down", 503);
    receiver.answer("/refuses", 400);
    let issuer = env.tenant.issuer.as_str();
    let down = channel_client(
        &env.server,
        "acme",
        "Down",
        None,
        Some(receiver.url("/down")),
    );
    let refuses = channel_client(
        &env.server,
        "acme",
        "Refuses",
        None,
        Some(receiver.url("/refuses")),
    );
    // One session, both clients.
    let browser = Browser::new();
    let (_, id_token, _, _) = login(issuer, &down, &browser, &env.user).await;
    login(issuer, &refuses, &browser, &env.user).await;
    let (given_up, refused) = (
        deliveries(&base_url, "given_up").await,
        deliveries(&base_url, "refused").await,
    );

    logout(&env, &browser, &id_token).await;
    assert_eq!(receiver.at("/refuses").len(), 1);
    assert_eq!(queued(&env.server), 1, "only the 503 is retried");
    // Three attempts in all (at the logout, 1 s and 3 s later), then none.
    assert!(
        eventually(Duration::from_secs(10), || queued(&env.server) == 0).await,
        "never given up"
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.at("/down").len(), 3);
    assert_eq!(receiver.at("/refuses").len(), 1, "a 400 is not retried");
    assert!(deliveries(&base_url, "given_up").await > given_up);
    assert!(deliveries(&base_url, "refused").await > refused);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_drops_its_oldest_delivery() {
    // Two may wait per tenant; no retry falls due during the test.
    let server = TestServer::start_config(|c| {
        fast_retries(c, 6, 2);
        c.logout_retry.first_backoff = 3600;
    })
    .await;
    let env = Env::with_server(server).await;
    let base_url = env.server.base_url.clone();
    let receiver = Receiver::start().await;
    let issuer = env.tenant.issuer.as_str();
    let browser = Browser::new();
    let mut id_token = String::new();
    for (name, path) in [("App 1", "/d1"), ("App 2", "/d2"), ("App 3", "/d3")] {
        receiver.answer(path, 503);
        let client = channel_client(&env.server, "acme", name, None, Some(receiver.url(path)));
        id_token = login(issuer, &client, &browser, &env.user).await.1;
    }
    let evicted = deliveries(&base_url, "evicted").await;
    logout(&env, &browser, &id_token).await;
    assert_eq!(receiver.total(), 3, "each was attempted once");
    assert_eq!(queued(&env.server), 2, "the bound holds");
    assert!(deliveries(&base_url, "evicted").await > evicted);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_delivery_survives_a_restart() {
    // The relying party is down: nothing listens on its port yet.
    let port = Receiver::free_port();
    let server = TestServer::start_config(|c| fast_retries(c, 6, 100)).await;
    let mut env = Env::with_server(server).await;
    let issuer = env.tenant.issuer.clone();
    let a = channel_client(
        &env.server,
        "acme",
        "App A",
        None,
        Some(format!("http://127.0.0.1:{port}/bc")),
    );
    let browser = Browser::new();
    let (_, id_token, sid, sub) = login(&issuer, &a, &browser, &env.user).await;
    logout(&env, &browser, &id_token).await;
    assert_eq!(queued(&env.server), 1, "the failure is queued");

    env.server.restart_with(|c| fast_retries(c, 6, 100)).await;
    let restarted = now();
    assert_eq!(queued(&env.server), 1, "the queue outlived the server");
    let receiver = Receiver::start_at(port).await;

    assert!(
        eventually(Duration::from_secs(20), || !receiver.at("/bc").is_empty()).await,
        "the delivery never arrived"
    );
    let got = receiver.at("/bc");
    assert_eq!(got.len(), 1, "{got:?}");
    let jwks = jwks(&discover(&issuer).await).await;
    let claims = assert_logout_token(&got[0], &jwks, &issuer, &a.client_id, &sid, &sub);
    assert!(
        claims["iat"].as_i64().expect("iat") >= restarted - 1,
        "signed by the restarted server: {claims}"
    );
    assert!(eventually(Duration::from_secs(5), || queued(&env.server) == 0).await);
}
