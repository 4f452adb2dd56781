//! Sign-in analytics (issue 17) through real HTTP: scripted sign-ins by a
//! real code flow and scripted failures on the login form, the write-behind
//! flush and the roll-up jobs on short intervals, then the per-tenant and
//! platform series of the admin API, exactly; the range rules; retention.

use crate::api::{Api, Req, assert_problem};
use crate::support::*;
use idp_server::config::Config;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// The analytics jobs on short intervals; `flush` off proves the shutdown
/// flush. The purge off unless a test turns it on.
fn fast_jobs(c: &mut Config, flush: bool, rollup: bool) {
    c.rate_limits.admin_api_per_key = 0;
    c.rate_limits.login_per_account = 3;
    c.rate_limits.slowdown_max = Duration::ZERO;
    c.jobs.purge_interval = None;
    c.jobs.analytics_flush_interval = flush.then(|| Duration::from_millis(100));
    c.jobs.analytics_rollup_interval = rollup.then(|| Duration::from_millis(200));
    c.jobs.analytics_retention = None;
}

/// A fresh browser on the login page of a new authorization request of `rp`.
async fn login_page(rp: &Rp) -> (Browser, Resp) {
    let browser = Browser::new();
    let (_, page) = rp.open_login(&browser, &AuthOptions::default()).await;
    assert!(page.is_login_page(), "{}", page.body);
    (browser, page)
}

/// Submits the login form once as `email`; the status the form answered.
async fn fail_once(rp: &Rp, email: &str, password: &str) -> StatusCode {
    let (browser, page) = login_page(rp).await;
    browser.submit_login(&page, email, password).await.status
}

/// Polls `path` until `done` holds for its JSON (the jobs run on their own
/// time), at most 20 s; the last answer either way.
async fn settled(api: &Api, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let v = api.get(path).await;
        if done(&v) || Instant::now() > deadline {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The last day of a series (today, by default).
fn today(v: &Value) -> Value {
    v["days"]
        .as_array()
        .and_then(|d| d.last())
        .cloned()
        .unwrap_or(Value::Null)
}

/// acme: alice signs in twice to Web App and bob once to Other App
/// (fresh browsers: no session reuse); two wrong passwords for alice;
/// an unknown email three times, then once more past the lockout; a
/// disabled user with her right password; a user without a password.
/// bravo: charlie signs in once. Users created: 4 in acme, 1 in bravo.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripted_sign_ins_give_exact_series_per_tenant_and_platform() {
    let server = TestServer::start_config(|c| fast_jobs(c, true, true)).await;
    let api = Api::new(&server);
    server.create_tenant("acme");
    server.create_tenant("bravo");
    let web = server.create_client("acme", &ClientSpec::confidential("Web App"));
    let other = server.create_client("acme", &ClientSpec::confidential("Other App"));
    let bravo_app = server.create_client("bravo", &ClientSpec::confidential("Bravo App"));
    let alice = server.create_user("acme", "alice@acme.example", "Alice", PASSWORD);
    let bob = server.create_user("acme", "bob@acme.example", "Bob", PASSWORD);
    let carol = server.create_user("acme", "carol@acme.example", "Carol", PASSWORD);
    let res = api
        .send(Req::patch(
            &format!("/api/v1/tenants/acme/users/{}", carol.id),
            &json!({"disabled": true}),
        ))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    api.create(
        "/api/v1/tenants/acme/users",
        &json!({"email": "dave@acme.example", "name": "Dave"}),
    )
    .await;
    let charlie = server.create_user("bravo", "charlie@bravo.example", "Charlie", PASSWORD);

    let web_rp = Rp::discover(&server.issuer("acme"), &web).await;
    let other_rp = Rp::discover(&server.issuer("acme"), &other).await;
    let bravo_rp = Rp::discover(&server.issuer("bravo"), &bravo_app).await;
    web_rp.assert_signs_in(&alice).await;
    web_rp.assert_signs_in(&alice).await;
    other_rp.assert_signs_in(&bob).await;
    bravo_rp.assert_signs_in(&charlie).await;
    for _ in 0..2 {
        let status = fail_once(&web_rp, &alice.email, "not her password").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    for _ in 0..3 {
        let status = fail_once(&web_rp, "mallory@acme.example", "guess").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let status = fail_once(&web_rp, "mallory@acme.example", "guess").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let status = fail_once(&web_rp, &carol.email, PASSWORD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let status = fail_once(&other_rp, "dave@acme.example", "anything").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let expected_acme = json!({
        "logins": 3,
        "signups": 4,
        "active_users": 2,
        "failures": {
            "wrong_password": 2,
            "unknown_user": 3,
            "rate_limited": 1,
            "disabled": 1,
            "no_password": 1,
        },
    });
    let matches = |day: &Value, want: &Value| {
        ["logins", "signups", "active_users", "failures"]
            .iter()
            .all(|k| day[*k] == want[*k])
    };
    let acme = settled(&api, "/api/v1/tenants/acme/analytics", |v| {
        matches(&today(v), &expected_acme)
    })
    .await;
    let day = today(&acme);
    assert!(matches(&day, &expected_acme), "{acme}");
    assert_eq!(day["date"], acme["to"], "{acme}");
    let days = acme["days"].as_array().cloned().unwrap_or_default();
    assert_eq!(days.len(), 30, "{acme}");
    for d in &days[..29] {
        assert_eq!(d["logins"], 0, "{d}");
        assert_eq!(d["failures"], json!({}), "{d}");
    }
    let months = acme["months"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        months.last().map(|m| m["active_users"].clone()),
        Some(json!(2)),
        "{acme}"
    );
    assert_eq!(
        acme["top_clients"],
        json!([
            {"tenant": "acme", "client_id": web.client_id, "logins": 2},
            {"tenant": "acme", "client_id": other.client_id, "logins": 1},
        ])
    );

    // The platform's series is the sum over acme and bravo, the only tenants
    // anyone signed in to (beside `platform`, the operators' own, where
    // nobody did).
    let tenants = api.get("/api/v1/tenants").await;
    let slugs: Vec<&str> = tenants["items"]
        .as_array()
        .map(|items| items.iter().filter_map(|t| t["slug"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(slugs, ["acme", "bravo", "platform"]);
    let expected_platform = json!({
        "logins": 4,
        "signups": 5,
        "active_users": 3,
        "failures": expected_acme["failures"],
    });
    let platform = settled(&api, "/api/v1/analytics", |v| {
        matches(&today(v), &expected_platform)
    })
    .await;
    assert!(matches(&today(&platform), &expected_platform), "{platform}");
    let months = platform["months"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        months.last().map(|m| m["active_users"].clone()),
        Some(json!(3))
    );
    assert_eq!(
        platform["top_clients"],
        json!([
            {"tenant": "acme", "client_id": web.client_id, "logins": 2},
            {"tenant": "acme", "client_id": other.client_id, "logins": 1},
            {"tenant": "bravo", "client_id": bravo_app.client_id, "logins": 1},
        ])
    );
    let bravo = api.get("/api/v1/tenants/bravo/analytics").await;
    let bravo_day = today(&bravo);
    assert_eq!(bravo_day["logins"], 1, "{bravo}");
    assert_eq!(bravo_day["failures"], json!({}), "{bravo}");

    // Deleting bravo deletes its analytics: the platform's no longer count it.
    let res = api.send(Req::delete("/api/v1/tenants/bravo")).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    let platform = api.get("/api/v1/analytics").await;
    assert!(matches(&today(&platform), &expected_acme), "{platform}");
    let left: i64 = server
        .db()
        .query_row(
            "SELECT (SELECT count(*) FROM analytics_events) + (SELECT count(*) FROM analytics_days)
               + (SELECT count(*) FROM analytics_day_counts) + (SELECT count(*) FROM analytics_months)
               + (SELECT count(*) FROM analytics_rollups)
             FROM tenants WHERE slug = 'acme'",
            [],
            |r| r.get(0),
        )
        .expect("count acme's rows");
    let all: i64 = server
        .db()
        .query_row(
            "SELECT (SELECT count(*) FROM analytics_events) + (SELECT count(*) FROM analytics_days)
               + (SELECT count(*) FROM analytics_day_counts) + (SELECT count(*) FROM analytics_months)
               + (SELECT count(*) FROM analytics_rollups)",
            [],
            |r| r.get(0),
        )
        .expect("count every row");
    assert_eq!(left, all, "rows of the deleted tenant remain");
}

/// Bad dates, a reversed range, a range over 366 days and an unknown
/// parameter are 422s naming the field; an unknown tenant is a 404.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_ranges_are_refused_naming_the_field() {
    let server = TestServer::start_config(|c| fast_jobs(c, true, false)).await;
    let api = Api::new(&server);
    server.create_tenant("acme");
    for (query, field) in [
        ("from=2026-02-30", "from"),
        ("to=yesterday", "to"),
        ("from=2026-12-02&to=2026-12-01", "from"),
        ("from=2024-01-01&to=2025-01-01", "to"),
        ("from=2026-01-01&to=2026-01-31&days=3", "days"),
    ] {
        for base in ["/api/v1/tenants/acme/analytics", "/api/v1/analytics"] {
            let res = api.send(Req::get(&format!("{base}?{query}"))).await;
            let problem = assert_problem(&res, StatusCode::UNPROCESSABLE_ENTITY);
            let fields: Vec<&str> = problem["errors"]
                .as_array()
                .map(|e| e.iter().filter_map(|e| e["field"].as_str()).collect())
                .unwrap_or_default();
            assert_eq!(fields, [field], "{base}?{query}: {problem}");
        }
    }
    let v = api
        .get("/api/v1/tenants/acme/analytics?from=2024-01-01&to=2024-12-31")
        .await;
    assert_eq!(v["days"].as_array().map(Vec::len), Some(366));
    assert_eq!(v["months"].as_array().map(Vec::len), Some(12));
    assert_eq!(v["days"][59]["date"], "2024-02-29");
    let res = api.send(Req::get("/api/v1/tenants/nobody/analytics")).await;
    assert_problem(&res, StatusCode::NOT_FOUND);
}

/// Events recorded but not yet flushed are written at shutdown; past the
/// retention the raw events go once their day is rolled up, the roll-up
/// stays; a day not rolled up keeps its events.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_flushes_and_retention_purges_only_rolled_up_events() {
    // No flush job and no roll-up: events wait in memory.
    let mut server = TestServer::start_config(|c| fast_jobs(c, false, false)).await;
    server.create_tenant("acme");
    let web = server.create_client("acme", &ClientSpec::confidential("Web App"));
    let alice = server.create_user("acme", "alice@acme.example", "Alice", PASSWORD);
    let rp = Rp::discover(&server.issuer("acme"), &web).await;
    rp.assert_signs_in(&alice).await;
    let count = |server: &TestServer, filter: &str| -> i64 {
        server
            .db()
            .query_row(
                &format!("SELECT count(*) FROM analytics_events WHERE {filter}"),
                [],
                |r| r.get(0),
            )
            .expect("count events")
    };
    assert_eq!(count(&server, "1"), 0, "recorded behind the login path");

    // Three days ago, as an older run recorded them: two sign-ins of alice.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let old = now - 3 * 86_400;
    server
        .db()
        .execute(
            "INSERT INTO analytics_events (tenant_id, time, failure, client_id, method, user_id)
             SELECT t.id, ?1 + n.k, NULL, ?2, 'password', ?3
             FROM tenants t, (SELECT 0 AS k UNION ALL SELECT 1) n WHERE t.slug = 'acme'",
            rusqlite::params![old, web.client_id, alice.id],
        )
        .expect("insert old events");

    // The restart flushes at shutdown; the new run rolls up and purges
    // raw events older than a day.
    server
        .restart_with(|c| {
            fast_jobs(c, true, true);
            c.jobs.purge_interval = Some(Duration::from_millis(200));
            c.jobs.analytics_retention = Some(86_400);
        })
        .await;
    assert!(count(&server, "1") >= 1, "flushed at shutdown");
    let api = Api::new(&server);
    let old_day = idp_core::analytics::Day::of(old).to_string();
    let path = format!("/api/v1/tenants/acme/analytics?from={old_day}");
    let deadline = Instant::now() + Duration::from_secs(20);
    let v = loop {
        let v = api.get(&path).await;
        let gone = count(&server, &format!("time < {}", now - 86_400)) == 0;
        if (gone && v["days"][0]["logins"] == 2 && today(&v)["logins"] == 1)
            || Instant::now() > deadline
        {
            break v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(v["days"][0]["date"], old_day, "{v}");
    assert_eq!(v["days"][0]["logins"], 2, "the roll-up stays: {v}");
    assert_eq!(v["days"][0]["active_users"], 1, "{v}");
    assert_eq!(today(&v)["logins"], 1, "{v}");
    assert_eq!(count(&server, &format!("time < {}", now - 86_400)), 0);
    assert_eq!(count(&server, &format!("time >= {}", now - 86_400)), 1);
}
