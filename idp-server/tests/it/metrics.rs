//! `GET /metrics` after real traffic: every metric name is there, the
//! counters moved for what the flow did, and no label carries anything a
//! client sent. The recorder is process-wide and other tests run beside
//! these, so the assertions are on names, label sets and increases.

use crate::support::*;
use idp_server::metrics::route::Route;
use openidconnect::CsrfToken;
use reqwest::StatusCode;
use std::collections::{BTreeMap, BTreeSet};

/// One sample line: `name{label="value",...} value`.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// Parses the text exposition format (the subset the exporter writes:
/// label values without escaped quotes).
fn parse(body: &str) -> Vec<Sample> {
    body.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| {
            let (series, value) = line
                .rsplit_once(' ')
                .unwrap_or_else(|| panic!("no value in {line:?}"));
            let value = value
                .parse()
                .unwrap_or_else(|e| panic!("bad value in {line:?}: {e}"));
            let (name, labels) = match series.split_once('{') {
                None => (series.to_owned(), BTreeMap::new()),
                Some((name, rest)) => {
                    let inner = rest
                        .strip_suffix('}')
                        .unwrap_or_else(|| panic!("unclosed labels in {line:?}"));
                    let labels = inner
                        .split("\",")
                        .filter(|p| !p.is_empty())
                        .map(|pair| {
                            let (k, v) = pair
                                .split_once("=\"")
                                .unwrap_or_else(|| panic!("bad label in {line:?}"));
                            (k.to_owned(), v.trim_end_matches('"').to_owned())
                        })
                        .collect();
                    (name.to_owned(), labels)
                }
            };
            Sample {
                name,
                labels,
                value,
            }
        })
        .collect()
}

async fn scrape(base_url: &str) -> (String, Vec<Sample>) {
    scraped(get(&format!("{base_url}/metrics")).await)
}

/// Checks a `/metrics` answer is the text format, and parses it.
fn scraped(res: Resp) -> (String, Vec<Sample>) {
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(
        res.header("content-type").as_deref(),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let samples = parse(&res.body);
    (res.body, samples)
}

/// The value of the sample `name` with exactly these labels (0 if absent).
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    let want: BTreeMap<String, String> = labels
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    samples
        .iter()
        .find(|s| s.name == name && s.labels == want)
        .map_or(0.0, |s| s.value)
}

/// A value no server could have made up: 22 random URL-safe characters.
fn random_string() -> String {
    CsrfToken::new_random()
        .secret()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_after_a_full_flow_have_every_name_and_only_bounded_labels() {
    let env = Env::new().await;
    let (_, before) = scrape(&env.server.base_url).await;

    // Login, code exchange and refresh.
    let rp = env.rp(&env.client).await;
    let (_, rt) = rp.offline_flow(&Browser::new(), &env.user).await;
    rp.refresh(&rt).await.expect("refresh works");
    // Client credentials.
    let svc = env.client(&ClientSpec::service(
        "Metrics Svc",
        &["read"],
        &["https://api.example"],
    ));
    let res = token_request(
        &env.endpoints.token,
        ClientAuth::of(&svc),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    // A failed login.
    let browser = Browser::new();
    let (_, page) = rp.open_login(&browser, &AuthOptions::default()).await;
    let res = browser
        .submit_login(&page, &env.user.email, "not the password")
        .await;
    assert!(res.is_login_page(), "{}", res.body);
    // A 404 on a random path, a random tenant, a random grant type and a
    // made-up method: nothing of them may become a label.
    let (segment, word, method) = (random_string(), random_string(), random_string());
    let res = get(&format!("{}/{segment}/x", env.server.base_url)).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let res = get(&format!("{}/t/{segment}/token", env.server.base_url)).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    token_request(
        &env.endpoints.token,
        ClientAuth::of(&env.client),
        &[("grant_type", word.as_str())],
    )
    .await
    .assert_oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type");
    let custom = reqwest::Method::from_bytes(format!("X{}", method.to_uppercase()).as_bytes())
        .expect("a token is a method");
    let res = plain_client()
        .request(custom, &env.endpoints.token)
        .header("user-agent", &word)
        .send()
        .await
        .expect("request");
    assert!(res.status().is_client_error(), "{}", res.status());

    let (body, after) = scrape(&env.server.base_url).await;
    for name in [
        "sso_http_request_duration_seconds_bucket",
        "sso_http_request_duration_seconds_count",
        "sso_db_pool_connections_total",
        "sso_db_pool_connections_idle",
        "sso_db_pool_connections_max",
        "sso_job_queue_depth",
        "sso_job_processing_duration_seconds_count",
        "sso_active_users_total",
        "sso_login_failures_total",
        "sso_tokens_issued_total",
        "sso_backchannel_logout_deliveries_total",
        "process_resident_memory_bytes",
        "process_virtual_memory_bytes",
        "process_cpu_seconds_total",
        "process_open_fds",
        "process_max_fds",
        "process_start_time_seconds",
    ] {
        assert!(
            after.iter().any(|s| s.name == name),
            "{name} missing from /metrics:\n{body}"
        );
    }
    for (name, kind) in [
        ("sso_http_request_duration_seconds", "histogram"),
        ("sso_job_processing_duration_seconds", "histogram"),
        ("sso_tokens_issued_total", "counter"),
        ("sso_backchannel_logout_deliveries_total", "counter"),
        ("sso_active_users_total", "gauge"),
    ] {
        assert!(
            body.contains(&format!("# TYPE {name} {kind}\n")),
            "{name}: {body}"
        );
    }
    for grant in ["authorization_code", "refresh_token", "client_credentials"] {
        let labels = [("grant_type", grant)];
        assert!(
            value(&after, "sso_tokens_issued_total", &labels)
                > value(&before, "sso_tokens_issued_total", &labels),
            "tokens issued for {grant} did not increase:\n{body}"
        );
    }
    let grants: BTreeSet<&str> = after
        .iter()
        .filter(|s| s.name == "sso_tokens_issued_total")
        .filter_map(|s| s.labels.get("grant_type").map(String::as_str))
        .collect();
    assert_eq!(
        grants,
        BTreeSet::from(idp_core::telemetry::GRANT_TYPE_LABELS),
        "every grant type registered, by its short name"
    );
    let wrong = [("reason", "invalid_credentials")];
    assert!(
        value(&after, "sso_login_failures_total", &wrong)
            > value(&before, "sso_login_failures_total", &wrong),
        "{body}"
    );
    for job in ["purge", "checkpoint", "key_rotation"] {
        assert!(
            after
                .iter()
                .any(|s| s.name == "sso_job_processing_duration_seconds_count"
                    && s.labels.get("job").map(String::as_str) == Some(job)),
            "job {job} not registered:\n{body}"
        );
    }
    // Gauges are process-wide and set at scrape time, so another test's
    // server scraping at the same instant may overwrite ours once: retry.
    let mut active = value(&after, "sso_active_users_total", &[]);
    for _ in 0..5 {
        if active >= 1.0 {
            break;
        }
        active = value(
            &scrape(&env.server.base_url).await.1,
            "sso_active_users_total",
            &[],
        );
    }
    assert!(active >= 1.0, "alice's session is live: {body}");
    assert!(
        value(&after, "sso_db_pool_connections_max", &[]) >= 1.0,
        "{body}"
    );
    let token_posts = [
        ("route", "/t/{tenant}/token"),
        ("method", "POST"),
        ("status", "2xx"),
    ];
    let count = "sso_http_request_duration_seconds_count";
    assert!(value(&after, count, &token_posts) > value(&before, count, &token_posts));
    let other_404 = [("route", "other"), ("method", "GET"), ("status", "4xx")];
    assert!(value(&after, count, &other_404) >= 2.0, "{body}");

    // Bounded labels only.
    let routes: BTreeSet<&str> = Route::ALL.iter().map(|r| r.as_str()).collect();
    let methods = ["GET", "POST", "HEAD", "OPTIONS", "PUT", "DELETE", "other"];
    let statuses = ["1xx", "2xx", "3xx", "4xx", "5xx"];
    for s in after
        .iter()
        .filter(|s| s.name.starts_with("sso_http_request"))
    {
        let label = |k: &str| s.labels.get(k).map(String::as_str).unwrap_or("");
        assert!(routes.contains(label("route")), "route label {s:?}");
        assert!(methods.contains(&label("method")), "method label {s:?}");
        assert!(statuses.contains(&label("status")), "status label {s:?}");
    }
    for s in &after {
        for k in s.labels.keys() {
            assert!(
                [
                    "route",
                    "method",
                    "status",
                    "le",
                    "job",
                    "reason",
                    "grant_type",
                    "outcome"
                ]
                .contains(&k.as_str()),
                "unexpected label {k} in {s:?}"
            );
        }
    }
    for secret in [
        &segment,
        &word,
        &method,
        &env.tenant.slug,
        &env.client.client_id,
    ] {
        assert!(
            !body.to_lowercase().contains(&secret.to_lowercase()),
            "{secret} leaked into /metrics"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_answers_get_only() {
    let server = TestServer::start().await;
    let res = plain_client()
        .post(format!("{}/metrics", server.base_url))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        res.headers().get("allow").and_then(|v| v.to_str().ok()),
        Some("GET, HEAD")
    );
}

/// The `reason` labels of `sso_login_failures_total` in a scrape.
fn failure_reasons(samples: &[Sample]) -> BTreeSet<String> {
    samples
        .iter()
        .filter(|s| s.name == "sso_login_failures_total")
        .filter_map(|s| s.labels.get("reason").cloned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_and_an_unknown_email_look_the_same_in_metrics() {
    let env = Env::new().await;
    let rp = env.rp(&env.client).await;
    let browser = Browser::new();
    let (_, page) = rp.open_login(&browser, &AuthOptions::default()).await;
    let invalid = [("reason", "invalid_credentials")];
    let counter = "sso_login_failures_total";

    let (_, before) = scrape(&env.server.base_url).await;
    let page = browser
        .submit_login(&page, &env.user.email, "not the password")
        .await;
    assert!(page.is_login_page(), "{}", page.body);
    let (_, after_wrong_password) = scrape(&env.server.base_url).await;
    let page = browser
        .submit_login(&page, "nobody@acme.example", "not the password")
        .await;
    assert!(page.is_login_page(), "{}", page.body);
    let (body, after_unknown_email) = scrape(&env.server.base_url).await;

    // Each failure moved the one reason both share...
    assert!(
        value(&after_wrong_password, counter, &invalid) > value(&before, counter, &invalid),
        "{body}"
    );
    assert!(
        value(&after_unknown_email, counter, &invalid)
            > value(&after_wrong_password, counter, &invalid),
        "{body}"
    );
    // ...and no reason exists that only one of them could move.
    let closed_set: BTreeSet<String> = ["csrf", "invalid_credentials", "rate_limited"]
        .map(String::from)
        .into();
    for scrape in [&before, &after_wrong_password, &after_unknown_email] {
        assert_eq!(failure_reasons(scrape), closed_set, "{body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_addr_moves_metrics_off_the_main_listener() {
    let server = TestServer::start_config(|c| {
        c.metrics.addr = Some(([127, 0, 0, 1], 0).into());
    })
    .await;
    let metrics_addr = server.metrics_addr.expect("a metrics listener");
    assert_ne!(metrics_addr.port(), server.port);

    let res = get(&format!("{}/metrics", server.base_url)).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.body);
    assert!(!res.body.contains("sso_"), "{}", res.body);
    let (body, _) = scraped(get(&format!("http://{metrics_addr}/metrics")).await);
    assert!(body.contains("sso_login_failures_total"), "{body}");
    // The metrics listener serves nothing else; the main one everything else.
    let res = get(&format!("http://{metrics_addr}/health")).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let res = get(&format!("{}/health", server.base_url)).await;
    assert_eq!(res.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_token_is_required_when_set() {
    const TOKEN: &str = "s3cret-metrics-token-0123456789";
    let server = TestServer::start_config(|c| {
        c.metrics.token = Some(idp_core::crypto::secret::SecretHash::of(TOKEN));
    })
    .await;
    let url = format!("{}/metrics", server.base_url);
    for res in [
        get(&url).await,
        get_bearer(&url, "s3cret-metrics-token-012345678").await,
        get_bearer(&url, &format!("{TOKEN}0")).await,
    ] {
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{}", res.body);
        assert_eq!(
            res.header("www-authenticate").as_deref(),
            Some("Bearer realm=\"metrics\"")
        );
        assert!(!res.body.contains("sso_"), "{}", res.body);
    }
    let (body, _) = scraped(get_bearer(&url, TOKEN).await);
    assert!(body.contains("sso_login_failures_total"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_settings_from_the_environment_and_the_token_never_logged() {
    const TOKEN: &str = "env-metrics-token-abcdefghijklmnop";
    let free = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let metrics_addr = free.local_addr().expect("its address");
    drop(free);
    let dir = tempfile::tempdir().expect("temporary directory");
    let server = ServerProcess::spawn(
        dir.path(),
        &[
            ("METRICS_ADDR", &metrics_addr.to_string()),
            ("METRICS_TOKEN", TOKEN),
            ("LOG_LEVEL", "debug"),
        ],
    );
    let res = get(&format!("{}/metrics", server.base_url)).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let url = format!("http://{metrics_addr}/metrics");
    assert_eq!(get(&url).await.status, StatusCode::UNAUTHORIZED);
    let (body, _) = scraped(get_bearer(&url, TOKEN).await);
    assert!(body.contains("sso_tokens_issued_total"), "{body}");
    let logs = server
        .logs_with("metrics listening", std::time::Duration::from_secs(10))
        .await;
    assert!(logs.contains("metrics listening"), "{logs}");
    assert!(!logs.contains(TOKEN), "the token was logged: {logs}");
}
