//! Per-address request rates on `/authorize` and `/register`.

use super::*;
use serde_json::json;

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
        // The platform's own console client is not a registration.
        .query_row(
            "SELECT count(*) FROM clients WHERE id != 'console'",
            [],
            |r| r.get(0),
        )
        .expect("count clients");
    assert_eq!(clients, 2);
}
