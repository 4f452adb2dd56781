//! The organisation lifecycle (issue 17) through real HTTP: a tenant
//! suspended through the admin API shows the 403 page at its authorization
//! endpoint and on its login page, refuses every grant with
//! `unauthorized_client`, and its earlier access token is inactive at
//! introspection and refused at userinfo, while discovery and JWKS stay
//! up; reactivated, everything works again (the refresh token issued
//! before included). A pending tenant (`tenant create --pending`) is closed
//! until approved, then a client logs a user in. Rejection needs a reason
//! and is final; every other move is a 409; each move is audited; keys
//! limited to tenants may not move one. The CLI makes the same moves with
//! its exit statuses, and a server on SQLite follows a CLI change within
//! its tenant cache, on PostgreSQL at once.

use crate::api::{Api, Req, api_server, create_key, text};
use crate::support::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const API: &str = "https://api.acme.example";

/// `POST /api/v1/tenants/{slug}/{verb}` with `body` (none if `Null`).
async fn change(api: &Api, slug: &str, verb: &str, body: &Value) -> Resp {
    let path = format!("/api/v1/tenants/{slug}/{verb}");
    let req = if body.is_null() {
        Req::new(reqwest::Method::POST, &path)
    } else {
        Req::post(&path, body)
    };
    api.send(req).await
}

/// The move must answer 200 with the tenant in `state`.
async fn moved(api: &Api, slug: &str, verb: &str, body: &Value, state: &str) -> Value {
    let res = change(api, slug, verb, body).await;
    assert_eq!(res.status, StatusCode::OK, "{verb} {slug}: {}", res.body);
    let t = res.json();
    assert_eq!(t["state"], state, "{t}");
    t
}

/// The move must be a 409 problem.
async fn conflicts(api: &Api, slug: &str, verb: &str, body: &Value) -> Value {
    let res = change(api, slug, verb, body).await;
    assert_eq!(
        res.status,
        StatusCode::CONFLICT,
        "{verb} {slug}: {}",
        res.body
    );
    assert_eq!(
        res.header("content-type").as_deref(),
        Some("application/problem+json")
    );
    res.json()
}

fn cc() -> Vec<(&'static str, &'static str)> {
    vec![("grant_type", "client_credentials")]
}

/// The authorization endpoint answers the 403 page saying `words`, with no
/// redirect to the client.
async fn assert_closed_page(res: &Resp, words: &str) {
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
    assert!(
        res.header("location").is_none(),
        "redirected: {:?}",
        res.headers
    );
    assert!(
        res.header("content-type")
            .is_some_and(|c| c.starts_with("text/html")),
        "{:?}",
        res.headers
    );
    assert!(res.body.contains(words), "{}", res.body);
    assert!(
        res.body.contains("id=\"message\""),
        "not the page style: {}",
        res.body
    );
}

/// A refused grant: `unauthorized_client` naming the tenant's state.
fn assert_refused(res: &Resp, description: &str) {
    let body = res.assert_oauth_error(StatusCode::BAD_REQUEST, "unauthorized_client");
    assert_eq!(body["error_description"], description, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suspension_closes_sign_in_and_tokens_and_reactivation_reopens_them() {
    let env = Env::with_server(api_server().await).await;
    let api = Api::new(&env.server);
    let service = env.client(&ClientSpec::service("Billing", &["invoices:read"], &[API]));
    let spa = env.client(&ClientSpec {
        redirect_uris: vec!["https://spa.example/cb".to_owned()],
        ..ClientSpec::public("SPA")
    });
    let rp = env.rp(&env.client).await;
    let (flow, rt) = rp.offline_flow(&Browser::new(), &env.user).await;
    let at = access_token_of(&flow.tokens);
    assert_eq!(
        introspect(&env.endpoints, &env.client, &at).await["active"],
        true
    );
    // A login started before the suspension, finished after it.
    let halfway = Browser::new();
    let (_, login_page) = rp.open_login(&halfway, &AuthOptions::default()).await;
    assert!(login_page.is_login_page(), "{}", login_page.body);

    let t = moved(
        &api,
        "acme",
        "suspend",
        &json!({"reason": "Unpaid invoice INV-2026-014"}),
        "suspended",
    )
    .await;
    assert_eq!(t["state_reason"], "Unpaid invoice INV-2026-014", "{t}");
    assert!(t["state_changed_at"].is_string(), "{t}");
    assert_eq!(api.get("/api/v1/tenants/acme").await["state"], "suspended");

    let suspended = "the organisation 'acme' is suspended";
    let req = rp.auth_request(&AuthOptions::default());
    let res = Browser::new().get(req.url.as_str()).await;
    assert_closed_page(&res, "This organisation is suspended").await;
    let res = halfway
        .submit_login(&login_page, &env.user.email, &env.user.password)
        .await;
    assert_closed_page(&res, "This organisation is suspended").await;
    let refresh = [
        ("grant_type", "refresh_token"),
        ("refresh_token", rt.as_str()),
    ];
    let res = token_request(&env.endpoints.token, ClientAuth::of(&env.client), &refresh).await;
    assert_refused(&res, suspended);
    let res = token_request(&env.endpoints.token, ClientAuth::of(&service), &cc()).await;
    assert_refused(&res, suspended);
    let res = client_post(
        &env.endpoints.device_authorization,
        ClientAuth::of(&env.client),
        &[("scope", "openid")],
    )
    .await;
    assert_refused(&res, suspended);
    // A browser app can read the refusal (CORS as for any answer).
    let res = plain_client()
        .post(&env.endpoints.token)
        .header("origin", "https://spa.example")
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "x"),
            ("client_id", spa.client_id.as_str()),
        ])
        .send()
        .await
        .expect("token request");
    assert_eq!(
        res.headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("https://spa.example")
    );
    let body: Value = res.json().await.expect("JSON");
    assert_eq!(body["error_description"], suspended, "{body}");
    assert_eq!(
        introspect(&env.endpoints, &env.client, &at).await,
        json!({"active": false})
    );
    let res = get_bearer(&env.endpoints.userinfo, &at).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{}", res.body);
    assert!(
        res.header("www-authenticate")
            .is_some_and(|c| c.contains("error=\"invalid_token\"") && c.contains("suspended")),
        "{:?}",
        res.headers
    );
    // Relying parties keep verifying what was issued.
    let discovery = get(&format!(
        "{}/.well-known/openid-configuration",
        env.tenant.issuer
    ))
    .await;
    assert_eq!(discovery.status, StatusCode::OK, "{}", discovery.body);
    assert_eq!(get(&env.endpoints.jwks).await.status, StatusCode::OK);

    // Suspending twice, approving or rejecting an active one: conflicts.
    let p = conflicts(&api, "acme", "suspend", &json!({"reason": "again"})).await;
    assert_eq!(
        p["detail"], "tenant 'acme' is suspended: only an active tenant can be suspended",
        "{p}"
    );
    conflicts(&api, "acme", "approve", &Value::Null).await;
    conflicts(&api, "acme", "reject", &json!({"reason": "no"})).await;

    let t = moved(&api, "acme", "reactivate", &Value::Null, "active").await;
    assert!(t["state_reason"].is_null(), "{t}");
    conflicts(&api, "acme", "reactivate", &Value::Null).await;
    // Everything works again, the refresh token issued before included.
    let tokens = rp
        .refresh(&rt)
        .await
        .unwrap_or_else(|e| panic!("refresh after reactivation: {e}"));
    let fresh = access_token_of(&tokens);
    assert_eq!(
        introspect(&env.endpoints, &env.client, &fresh).await["active"],
        true
    );
    assert_eq!(
        get_bearer(&env.endpoints.userinfo, &fresh).await.status,
        StatusCode::OK
    );
    let res = token_request(&env.endpoints.token, ClientAuth::of(&service), &cc()).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    rp.assert_signs_in(&env.user).await;

    // Each move is audited, with the state and the reason.
    let events = api.audit("tenant=acme&action=tenant").await;
    let moves: Vec<(String, Value)> = events
        .iter()
        .filter(|e| e["action"] != "tenant.create")
        .map(|e| (text(&e["action"]), e["changes"].clone()))
        .collect();
    assert_eq!(
        moves,
        vec![
            (
                "tenant.suspend".to_owned(),
                json!({"state": "suspended", "previous_state": "active",
                       "reason": "Unpaid invoice INV-2026-014"})
            ),
            (
                "tenant.reactivate".to_owned(),
                json!({"state": "active", "previous_state": "suspended"})
            ),
        ]
    );
    for e in &events {
        assert_eq!(e["target"], json!({"kind": "tenant", "id": "acme"}), "{e}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_tenant_is_closed_until_approved_then_logs_users_in() {
    let server = api_server().await;
    let api = Api::new(&server);
    let created = server.cli_json(&["tenant", "create", "beta", "--pending", "--json"], None);
    assert_eq!(created["state"], "pending", "{created}");
    let client = server.create_client("beta", &ClientSpec::confidential("Beta App"));
    let service =
        server.create_client("beta", &ClientSpec::service("Beta Jobs", &["jobs"], &[API]));
    let user = server.create_user("beta", "bo@beta.example", "Bo", PASSWORD);
    let issuer = server.issuer("beta");
    // Discovery is up while pending: a relying party can be configured.
    let endpoints = discover(&issuer).await;
    let rp = Rp::discover(&issuer, &client).await;
    let req = rp.auth_request(&AuthOptions::default());
    let res = Browser::new().get(req.url.as_str()).await;
    assert_closed_page(&res, "This organisation is pending approval").await;
    let res = token_request(&endpoints.token, ClientAuth::of(&service), &cc()).await;
    assert_refused(&res, "the organisation 'beta' is pending approval");
    // Neither suspended nor reactivated while pending.
    conflicts(&api, "beta", "suspend", &json!({"reason": "x"})).await;
    conflicts(&api, "beta", "reactivate", &Value::Null).await;

    let t = moved(&api, "beta", "approve", &Value::Null, "active").await;
    assert!(t["state_changed_at"].is_string(), "{t}");
    rp.assert_signs_in(&user).await;
    let res = token_request(&endpoints.token, ClientAuth::of(&service), &cc()).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let p = conflicts(&api, "beta", "approve", &Value::Null).await;
    assert_eq!(
        p["detail"], "tenant 'beta' is active: only a pending tenant can be approved",
        "{p}"
    );
    let events = api.audit("tenant=beta&action=tenant.approve").await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(
        events[0]["changes"],
        json!({"state": "active", "previous_state": "pending"})
    );
    assert_eq!(events[0]["actor"]["kind"], "api_key");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejection_needs_a_reason_and_is_final() {
    let server = api_server().await;
    let api = Api::new(&server);
    server.cli_json(&["tenant", "create", "gamma", "--pending", "--json"], None);
    for body in [json!({}), json!({"reason": "   "}), json!({"reason": 7})] {
        let res = change(&api, "gamma", "reject", &body).await;
        assert_eq!(
            res.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            res.body
        );
        assert_eq!(res.json()["errors"][0]["field"], "reason", "{}", res.body);
    }
    let res = change(&api, "gamma", "suspend", &json!({"unknown": 1})).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert_eq!(api.get("/api/v1/tenants/gamma").await["state"], "pending");

    let t = moved(
        &api,
        "gamma",
        "reject",
        &json!({"reason": "Not a real company"}),
        "rejected",
    )
    .await;
    assert_eq!(t["state_reason"], "Not a real company");
    for (verb, body) in [
        ("approve", Value::Null),
        ("reject", json!({"reason": "again"})),
        ("suspend", json!({"reason": "x"})),
        ("reactivate", Value::Null),
    ] {
        conflicts(&api, "gamma", verb, &body).await;
    }
    let issuer = server.issuer("gamma");
    let res = get(&format!(
        "{issuer}/authorize?client_id=x&response_type=code"
    ))
    .await;
    assert_closed_page(&res, "This organisation was not approved").await;
    let res = change(&api, "nope", "approve", &Value::Null).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.body);
    let events = api.audit("tenant=gamma&action=tenant.reject").await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["changes"]["reason"], "Not a real company");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_platform_keys_move_tenants() {
    let server = api_server().await;
    let api = Api::new(&server);
    for slug in ["alpha", "bravo"] {
        api.create("/api/v1/tenants", &json!({"slug": slug})).await;
    }
    let alpha_only = create_key(&server, &["--tenant", "alpha", "--name", "alpha"]);
    let read_only = create_key(&server, &["--read-only", "--name", "reader"]);
    let body = json!({"reason": "x"});
    let suspend = |slug: &str| Req::post(&format!("/api/v1/tenants/{slug}/suspend"), &body);
    let res = api.send(suspend("alpha").token(&alpha_only.key)).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
    let res = api.send(suspend("bravo").token(&alpha_only.key)).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.body);
    let res = api.send(suspend("alpha").token(&read_only.key)).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
    // Its own tenant's other writes still work for the limited key.
    let res = api
        .send(Req::patch("/api/v1/tenants/alpha", &json!({"name": "A"})).token(&alpha_only.key))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    for slug in ["alpha", "bravo"] {
        assert_eq!(
            api.get(&format!("/api/v1/tenants/{slug}")).await["state"],
            "active"
        );
    }
    assert!(api.audit("action=tenant.suspend").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_moves_tenants_and_a_running_server_follows() {
    let env = Env::new().await;
    let service = env.client(&ClientSpec::service("Billing", &["invoices:read"], &[API]));
    let server = &env.server;
    let state = |args: &[&str]| server.cli(args, None);
    // Exit statuses: 2 without a reason, 3 for no such tenant, 4 from the
    // wrong state.
    assert_eq!(state(&["tenant", "suspend", "acme"]).code, Some(2));
    assert_eq!(
        state(&["tenant", "approve", "acme", "--reason", "x"]).code,
        Some(2)
    );
    assert_eq!(state(&["tenant", "approve", "nope"]).code, Some(3));
    let out = state(&["tenant", "approve", "acme"]);
    assert_eq!(out.code, Some(4), "{}", out.stderr);
    assert!(
        out.stderr.contains("only a pending tenant can be approved"),
        "{}",
        out.stderr
    );

    let t = server.cli_json(
        &[
            "tenant",
            "suspend",
            "acme",
            "--reason",
            "Abuse report 42",
            "--json",
        ],
        None,
    );
    assert_eq!(
        (&t["state"], &t["state_reason"]),
        (&json!("suspended"), &json!("Abuse report 42")),
        "{t}"
    );
    assert_eq!(
        state(&["tenant", "suspend", "acme", "--reason", "x"]).code,
        Some(4)
    );
    // The server (SQLite, tenant cache of 1 s in tests) follows.
    let started = Instant::now();
    let limit = Duration::from_secs(1) + Duration::from_millis(1500);
    loop {
        let res = token_request(&env.endpoints.token, ClientAuth::of(&service), &cc()).await;
        if res.status == StatusCode::BAD_REQUEST {
            assert_refused(&res, "the organisation 'acme' is suspended");
            break;
        }
        assert!(started.elapsed() < limit, "still served: {}", res.body);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let got = server.cli_json(&["tenant", "get", "acme", "--json"], None);
    assert_eq!(got["state"], "suspended", "{got}");
    let plain = state(&["tenant", "reactivate", "acme"]);
    assert!(plain.success, "{}", plain.stderr);
    assert_eq!(plain.stdout.trim(), "tenant 'acme' is now active");
    let events = server.cli_json(&["audit", "list", "--tenant", "acme", "--json"], None);
    let actions: Vec<String> = events["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter(|e| e["actor"]["kind"] == "cli")
        .map(|e| text(&e["action"]))
        .filter(|a| a.starts_with("tenant.") && a != "tenant.create")
        .collect();
    assert_eq!(actions, vec!["tenant.suspend", "tenant.reactivate"]);
}

/// On PostgreSQL a suspension by the CLI reaches a running server at once
/// (LISTEN/NOTIFY), though its tenant cache lives a minute.
#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_a_running_server_follows_the_cli_at_once() {
    let Some(db) = crate::postgres::scratch().await else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let a = crate::postgres::instance(dir.path(), &db, &[]);
    a.create_tenant("acme");
    let service = a.create_client("acme", &ClientSpec::service("Billing", &["x"], &[API]));
    let endpoints = discover(&a.issuer("acme")).await;
    let res = token_request(&endpoints.token, ClientAuth::of(&service), &cc()).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    a.cli_json(
        &["tenant", "suspend", "acme", "--reason", "r", "--json"],
        None,
    );
    let started = Instant::now();
    loop {
        let res = token_request(&endpoints.token, ClientAuth::of(&service), &cc()).await;
        if res.status == StatusCode::BAD_REQUEST {
            assert_refused(&res, "the organisation 'acme' is suspended");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "not seen within a second: {}",
            res.body
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    eprintln!(
        "the server refused tokens {:?} after the CLI suspended",
        started.elapsed()
    );
    a.cli_json(&["tenant", "reactivate", "acme", "--json"], None);
    let started = Instant::now();
    loop {
        let res = token_request(&endpoints.token, ClientAuth::of(&service), &cc()).await;
        if res.status == StatusCode::OK {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(1), "{}", res.body);
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    drop(a);
}
