//! What anyone may make the provider store without credentials: bounded
//! authorization requests, a per-address rate on `/authorize` and
//! `/register`, a cap on the interactions one address leaves pending, a
//! short life for interactions nobody opens, and the resulting bound on how
//! fast an attacker can grow the database. Every server here limits
//! loopback too (`RATE_LIMIT_EXEMPT=none`), as the tests speak from it.

use crate::support::*;
use idp_server::config::Config;
use idp_server::forwarded::IpBlocks;
use reqwest::StatusCode;
use serde_json::json;
use std::time::{Duration, Instant};

/// No address exempt from the limits (`RATE_LIMIT_EXEMPT=none`).
fn exposed(c: &mut Config) {
    c.rate_limits.exempt = IpBlocks::default();
}

fn interactions(server: &TestServer) -> i64 {
    server
        .db()
        .query_row("SELECT count(*) FROM interactions", [], |r| r.get(0))
        .expect("count interactions")
}

/// Each stored interaction's lifetime (`expires_at - created_at`), sorted.
fn lifetimes(server: &TestServer) -> Vec<i64> {
    let conn = server.db();
    let mut stmt = conn
        .prepare("SELECT expires_at - created_at FROM interactions ORDER BY 1")
        .expect("prepare");
    stmt.query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

/// An S256 challenge (RFC 7636 Appendix B); no code is ever redeemed here.
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// A valid authorization request of `env`'s client, with `extra`
/// parameters added or replacing the usual ones.
fn auth_params<'a>(
    env: &'a Env,
    state: &'a str,
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut params = basic_auth_params(&env.client.client_id, CHALLENGE, state);
    params.retain(|(k, _)| !extra.iter().any(|(e, _)| e == k));
    params.extend_from_slice(extra);
    params
}

/// The same as a URL.
fn auth_url(env: &Env, state: &str, extra: &[(&str, &str)]) -> String {
    raw_auth_url(&env.endpoints, &auth_params(env, state, extra))
}

/// `res` is the sign-in error page (no redirect) saying `description`.
fn assert_error_page(res: &Resp, status: StatusCode, error: &str, description: &str) {
    assert_eq!(res.status, status, "{}", res.body);
    assert!(res.location().is_none(), "redirected: {:?}", res.location());
    assert!(
        res.body.contains(error) && res.body.contains(description),
        "{}",
        res.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_long_parameters_are_refused_and_nothing_is_stored() {
    let env = Env::with_server(TestServer::start_config(exposed).await).await;
    // A state over 4 KiB: refused to the validated redirect URI, not echoed.
    let res = get(&auth_url(&env, &"s".repeat(4097), &[])).await;
    let cb = Callback::parse(&res.redirect());
    cb.assert_error("invalid_request", &env.tenant.issuer, None);
    assert_eq!(
        cb.error_description.as_deref(),
        Some("parameter 'state' is longer than 4096 bytes")
    );
    // Every other parameter, named or not, has its bound.
    for (name, max) in [
        ("nonce", 512),
        ("login_hint", 512),
        ("claims", 4096),
        ("id_token_hint", 8192),
        ("ui_locales", 256),
        ("acr_values", 512),
        ("prompt", 64),
        ("an_extension", 2048),
    ] {
        let value = "v".repeat(max + 1);
        let res = get(&auth_url(&env, "st", &[(name, &value)])).await;
        let cb = Callback::parse(&res.redirect());
        cb.assert_error("invalid_request", &env.tenant.issuer, Some("st"));
        let expected = format!("parameter '{name}' is longer than {max} bytes");
        assert_eq!(cb.error_description.as_deref(), Some(expected.as_str()));
    }
    // Inside a request object too (OIDC Core §6.3.3 merges it first).
    let object = unsigned_request_object(&json!({
        "client_id": env.client.client_id, "response_type": "code",
        "redirect_uri": REDIRECT_URI, "scope": "openid", "state": "st",
        "nonce": "n".repeat(513), "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
    }));
    let url = raw_auth_url(
        &env.endpoints,
        &[
            ("client_id", env.client.client_id.as_str()),
            ("response_type", "code"),
            ("request", object.as_str()),
        ],
    );
    let cb = Callback::parse(&get(&url).await.redirect());
    cb.assert_error("invalid_request", &env.tenant.issuer, Some("st"));
    // Before the client and redirect URI are validated: a page.
    let long = "v".repeat(600);
    let unknown = raw_auth_url(
        &env.endpoints,
        &[
            ("client_id", "nobody"),
            ("redirect_uri", REDIRECT_URI),
            ("nonce", &long),
        ],
    );
    let res = get(&unknown).await;
    assert_error_page(&res, StatusCode::BAD_REQUEST, "invalid_request", "nonce");
    // The whole request: 20 KB in a query, and the 62 KB of the report in a body.
    let big = "x".repeat(10_000);
    let res = get(&auth_url(
        &env,
        &big[..4000],
        &[("a", &big), ("b", &big[..6000])],
    ))
    .await;
    assert_error_page(
        &res,
        StatusCode::BAD_REQUEST,
        "invalid_request",
        "the authorization request is longer than 16384 bytes",
    );
    let huge = "x".repeat(31_000);
    let form = auth_params(&env, &huge, &[("nonce", &huge)]);
    let res = Browser::new()
        .post_form(&env.endpoints.authorization, &form)
        .await;
    assert_error_page(
        &res,
        StatusCode::BAD_REQUEST,
        "invalid_request",
        "the authorization request is longer than 16384 bytes",
    );
    assert_eq!(interactions(&env.server), 0, "a refused request was stored");
    // At the bounds, a request is served and kept.
    let hint = format!("{}@acme.example", "a".repeat(490));
    let res = get(&auth_url(
        &env,
        &"s".repeat(4096),
        &[("nonce", &"n".repeat(512)), ("login_hint", &hint)],
    ))
    .await;
    assert!(
        res.redirect().path().contains("/interaction/"),
        "{:?}",
        res.location()
    );
    assert_eq!(interactions(&env.server), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_requests_over_the_per_address_rate_get_429_unless_exempt() {
    let env = Env::with_server(
        TestServer::start_config(|c| {
            exposed(c);
            c.rate_limits.authorize_per_ip = 1;
            c.rate_limits.pending_interactions_per_ip = 0;
        })
        .await,
    )
    .await;
    let mut statuses = Vec::new();
    let mut refused = None;
    for i in 0..20 {
        let res = get(&auth_url(&env, &format!("s{i}"), &[])).await;
        statuses.push(res.status);
        if res.status == StatusCode::TOO_MANY_REQUESTS {
            refused = Some(res);
            break;
        }
    }
    assert_eq!(
        statuses[..2],
        [StatusCode::FOUND; 2],
        "the burst of 2 passes"
    );
    let res = refused.unwrap_or_else(|| panic!("never refused: {statuses:?}"));
    let wait: u64 = res
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!(wait >= 1);
    assert_error_page(
        &res,
        StatusCode::TOO_MANY_REQUESTS,
        "temporarily_unavailable",
        "too many sign-in requests",
    );
    loopback_is_exempt_by_default().await;
}

/// The same limits, on a server that keeps the default exemption.
async fn loopback_is_exempt_by_default() {
    let env = Env::with_server(
        TestServer::start_config(|c| {
            c.rate_limits.authorize_per_ip = 1;
            c.rate_limits.pending_interactions_per_ip = 1;
        })
        .await,
    )
    .await;
    for i in 0..5 {
        let res = get(&auth_url(&env, &format!("s{i}"), &[])).await;
        assert_eq!(res.status, StatusCode::FOUND, "{}", res.body);
    }
    assert_eq!(interactions(&env.server), 5);
}

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registrations_over_the_per_address_rate_get_429() {
    let (server, endpoints) = open_tenant_on(
        TestServer::start_config(|c| {
            exposed(c);
            c.rate_limits.register_per_ip = 2;
        })
        .await,
    )
    .await;
    let body = json!({ "redirect_uris": [REDIRECT_URI], "client_name": "Bot" });
    for _ in 0..2 {
        let res = register(&endpoints, &body).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    }
    let res = register(&endpoints, &body).await;
    res.assert_oauth_error(StatusCode::TOO_MANY_REQUESTS, "temporarily_unavailable");
    let wait: u64 = res
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!(wait >= 1);
    let clients: i64 = server
        .db()
        .query_row("SELECT count(*) FROM clients", [], |r| r.get(0))
        .expect("count clients");
    assert_eq!(clients, 2);
}

/// What one address can add to the database (file and WAL) in a minute
/// with the default limits: `RATE_LIMIT_PENDING_INTERACTIONS_IP` (50)
/// interactions of at most 16 KiB, each costing at most 64 KiB on disk
/// (written to the WAL, then to the file, with its b-tree and index pages).
/// The cap holds at any moment, so the same bound holds for any minute.
const BOUND_PER_MINUTE: u64 = 50 * 64 * 1024;

/// How long the attack runs: long enough for today's code to store tens
/// of megabytes (the report measured about 40 MB/s).
const ATTACK: Duration = Duration::from_secs(5);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attacker_at_full_speed_grows_the_database_by_less_than_the_bound() {
    let env = Env::with_server(TestServer::start_config(exposed).await).await;
    let before = env.server.db_bytes();
    // Two kinds of request, two senders each: the largest the bounds
    // allow, and the 62 KB one of the report.
    let largest = auth_url(
        &env,
        &"s".repeat(4096),
        &[
            ("nonce", &"n".repeat(512)),
            ("login_hint", &"h".repeat(512)),
        ],
    );
    let huge = "x".repeat(31_000);
    let form: Vec<(String, String)> = auth_params(&env, &huge, &[("nonce", &huge)])
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let deadline = Instant::now() + ATTACK;
    let mut senders = Vec::new();
    for n in 0..4 {
        let (largest, form) = (largest.clone(), form.clone());
        let endpoint = env.endpoints.authorization.clone();
        senders.push(tokio::spawn(async move {
            let http = plain_client();
            let mut statuses = Vec::new();
            // Bounded either way: by the deadline, and by a count.
            while Instant::now() < deadline && statuses.len() < 100_000 {
                let req = if n % 2 == 0 {
                    http.get(largest.as_str())
                } else {
                    http.post(endpoint.as_str()).form(&form)
                };
                let status = req.send().await.expect("the server answers").status();
                statuses.push(status);
            }
            statuses
        }));
    }
    let mut statuses = Vec::new();
    for s in senders {
        statuses.extend(s.await.expect("sender"));
    }
    let grown = env.server.db_bytes().saturating_sub(before);
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert!(
        grown < BOUND_PER_MINUTE,
        "{} requests ({refused} refused) grew the database by {grown} bytes",
        statuses.len()
    );
    eprintln!(
        "MEASURE {} requests ({refused} refused) grew {grown} bytes, {} interactions",
        statuses.len(),
        interactions(&env.server)
    );
    assert!(interactions(&env.server) <= 50);
    assert!(refused > 0, "{statuses:?}");
}
