//! Tiers (issue 17): limits an operator assigns to tenants, refused past
//! the limit through every interface (admin API, CLI, dynamic
//! registration, tenant API keys) with the limit, what is allowed and the
//! usage; atomic under concurrency; usage readable; tier routes and tier
//! assignment refused to keys limited to tenants.

use crate::api::{Api, Req, api_server, assert_problem, create_key, text};
use crate::support::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A tenant `slug` (dynamic registration open) on a new tier `tier` with
/// `limits`, through the API.
async fn tenant_on_tier(api: &Api, slug: &str, tier: &str, limits: Value) {
    api.create(
        "/api/v1/tenants",
        &json!({"slug": slug, "dynamic_registration": true}),
    )
    .await;
    let mut body = limits;
    body["name"] = json!(tier);
    let res = api.send(Req::post("/api/v1/tiers", &body)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let res = api
        .send(Req::patch(
            &format!("/api/v1/tenants/{slug}"),
            &json!({"tier": tier}),
        ))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
}

fn new_user(i: usize) -> Value {
    json!({"email": format!("user{i}@example.com"), "name": "U"})
}

/// A `limit-exceeded` problem naming `limit`, `allowed` and `usage`.
fn assert_limit(res: &Resp, limit: &str, allowed: u64, usage: u64) {
    let p = assert_problem(res, StatusCode::CONFLICT);
    assert_eq!(p["type"], "urn:idp:problem:limit-exceeded", "{p}");
    assert_eq!(p["limit"], limit, "{p}");
    assert_eq!(p["allowed"], allowed, "{p}");
    assert_eq!(p["usage"], usage, "{p}");
    let detail = p["detail"].as_str().unwrap_or("");
    assert!(
        detail.contains(&format!("allows {allowed} {limit}")),
        "{detail}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiers_round_trip_and_an_assigned_tier_cannot_be_deleted() {
    let server = api_server().await;
    let api = Api::new(&server);
    tenant_on_tier(&api, "acme", "free", json!({"users": 3, "clients": null})).await;
    let t = api.get("/api/v1/tiers/free").await;
    assert_eq!(
        (&t["users"], &t["clients"], &t["upstreams"], &t["api_keys"]),
        (&json!(3), &Value::Null, &Value::Null, &Value::Null)
    );
    let res = api
        .send(Req::patch(
            "/api/v1/tiers/free",
            &json!({"users": 5, "api_keys": 0}),
        ))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.json()["users"], 5);
    let listed = api.get("/api/v1/tiers").await;
    assert_eq!(listed["items"][0]["name"], "free", "{listed}");

    let usage = api.get("/api/v1/tenants/acme/usage").await;
    assert_eq!(usage["tier"], "free");
    assert_eq!(usage["limits"]["users"], 5);
    assert_eq!(usage["limits"]["api_keys"], 0);
    assert_eq!(
        usage["usage"],
        json!({"users": 0, "clients": 0, "upstreams": 0, "api_keys": 0})
    );

    let refused = api.send(Req::delete("/api/v1/tiers/free")).await;
    let p = assert_problem(&refused, StatusCode::CONFLICT);
    assert!(
        p["detail"].as_str().unwrap_or("").contains("assigned"),
        "{p}"
    );
    let res = api
        .send(Req::patch("/api/v1/tenants/acme", &json!({"tier": null})))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(
        api.get("/api/v1/tenants/acme/usage").await["tier"],
        Value::Null
    );
    let res = api.send(Req::delete("/api/v1/tiers/free")).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    assert_problem(
        &api.send(Req::get("/api/v1/tiers/free")).await,
        StatusCode::NOT_FOUND,
    );
    let res = api
        .send(Req::patch("/api/v1/tenants/acme", &json!({"tier": "free"})))
        .await;
    assert_problem(&res, StatusCode::NOT_FOUND);
    let res = api
        .send(Req::post(
            "/api/v1/tiers",
            &json!({"name": "Bad Name", "users": -1}),
        ))
        .await;
    let p = assert_problem(&res, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert!(fields.contains(&"users") && fields.contains(&"name"), "{p}");

    // Every change audited.
    for action in ["tier.create", "tier.update", "tier.delete", "tenant.update"] {
        assert!(
            !api.audit(&format!("action={action}")).await.is_empty(),
            "{action}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creates_past_a_limit_are_refused_through_the_api() {
    let server = api_server().await;
    let api = Api::new(&server);
    tenant_on_tier(&api, "acme", "small", json!({"users": 2, "clients": 1})).await;
    for i in 0..2 {
        api.create("/api/v1/tenants/acme/users", &new_user(i)).await;
    }
    let res = api
        .send(Req::post("/api/v1/tenants/acme/users", &new_user(9)))
        .await;
    assert_limit(&res, "users", 2, 2);
    api.create(
        "/api/v1/tenants/acme/clients",
        &json!({"name": "App", "redirect_uris": [REDIRECT_URI]}),
    )
    .await;
    let res = api
        .send(Req::post(
            "/api/v1/tenants/acme/clients",
            &json!({"name": "Two", "redirect_uris": [REDIRECT_URI]}),
        ))
        .await;
    assert_limit(&res, "clients", 1, 1);
    let usage = api.get("/api/v1/tenants/acme/usage").await;
    assert_eq!(usage["usage"]["users"], 2);
    assert_eq!(usage["usage"]["clients"], 1);
    // Raising the limit lets the next create through at once.
    let res = api
        .send(Req::patch("/api/v1/tiers/small", &json!({"users": null})))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    api.create("/api/v1/tenants/acme/users", &new_user(9)).await;
}

/// Eight creates race at `limit - 1`: exactly one is made.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creates_at_the_limit_make_exactly_one() {
    let server = api_server().await;
    let api = Api::new(&server);
    tenant_on_tier(&api, "acme", "five", json!({"users": 5})).await;
    for i in 0..4 {
        api.create("/api/v1/tenants/acme/users", &new_user(i)).await;
    }
    let api = std::sync::Arc::new(api);
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(8));
    let racers: Vec<_> = (10..18)
        .map(|i| {
            let (api, start) = (std::sync::Arc::clone(&api), std::sync::Arc::clone(&start));
            tokio::spawn(async move {
                start.wait().await;
                api.send(Req::post("/api/v1/tenants/acme/users", &new_user(i)))
                    .await
            })
        })
        .collect();
    let mut results = Vec::new();
    for r in racers {
        results.push(r.await.expect("racer"));
    }
    let made = results
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .count();
    assert_eq!(
        made,
        1,
        "{:?}",
        results.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    for r in results.iter().filter(|r| r.status != StatusCode::CREATED) {
        assert_limit(r, "users", 5, 5);
    }
    assert_eq!(
        api.get("/api/v1/tenants/acme/usage").await["usage"]["users"],
        5
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_refuses_past_a_limit_with_status_4() {
    let server = api_server().await;
    let made = server.cli_json(
        &[
            "tier",
            "create",
            "tiny",
            "--users",
            "1",
            "--api-keys",
            "1",
            "--json",
        ],
        None,
    );
    assert_eq!(
        (made["name"].as_str(), made["users"].as_u64()),
        (Some("tiny"), Some(1))
    );
    server.cli_json(&["tenant", "create", "acme", "--json"], None);
    let out = server.cli(&["tenant", "set-tier", "acme", "tiny"], None);
    assert!(out.success, "{}", out.stderr);
    let out = server.cli(
        &[
            "user",
            "create",
            "--tenant",
            "acme",
            "--email",
            "a@example.com",
        ],
        None,
    );
    assert!(out.success, "{}", out.stderr);
    let out = server.cli(
        &[
            "user",
            "create",
            "--tenant",
            "acme",
            "--email",
            "b@example.com",
        ],
        None,
    );
    assert_eq!(out.code, Some(4), "{} {}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("allows 1 users; it has 1"),
        "{}",
        out.stderr
    );

    // API keys limited to the tenant count; others do not.
    create_key(&server, &["--tenant", "acme"]);
    create_key(&server, &[]);
    let out = server.cli(&["api-key", "create", "--tenant", "acme", "--json"], None);
    assert_eq!(out.code, Some(4), "{} {}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("allows 1 api_keys; it has 1"),
        "{}",
        out.stderr
    );

    let usage = server.cli_json(&["tenant", "usage", "acme", "--json"], None);
    assert_eq!(usage["usage"]["users"], 1);
    assert_eq!(usage["usage"]["api_keys"], 1);
    let out = server.cli(&["tier", "delete", "tiny"], None);
    assert_eq!(out.code, Some(4), "{}", out.stderr);
    let out = server.cli(&["tier", "update", "tiny", "--users", "unlimited"], None);
    assert!(out.success, "{}", out.stderr);
    let out = server.cli(
        &[
            "user",
            "create",
            "--tenant",
            "acme",
            "--email",
            "b@example.com",
        ],
        None,
    );
    assert!(out.success, "{}", out.stderr);
    let out = server.cli(&["tenant", "set-tier", "acme", "--none"], None);
    assert!(out.success, "{}", out.stderr);
    let out = server.cli(&["tier", "delete", "tiny"], None);
    assert!(out.success, "{}", out.stderr);
    let listed = server.cli_json(&["tier", "list", "--json"], None);
    assert_eq!(listed["items"], json!([]));
}

/// RFC 7591 registration is held to the clients limit: `access_denied`,
/// naming the limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamic_registration_past_the_limit_is_refused() {
    let server = api_server().await;
    let api = Api::new(&server);
    tenant_on_tier(&api, "open", "one-app", json!({"clients": 1})).await;
    let endpoints = discover(&format!("{}/t/open", server.base_url)).await;
    let register = endpoints.doc["registration_endpoint"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    let post = || async {
        plain_client()
            .post(&register)
            .json(&json!({"redirect_uris": [REDIRECT_URI]}))
            .send()
            .await
            .expect("registration request")
    };
    let first = post().await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let second = post().await;
    assert_eq!(second.status(), StatusCode::BAD_REQUEST);
    let body: Value = second.json().await.expect("JSON error");
    assert_eq!(body["error"], "access_denied", "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap_or("")
            .contains("allows 1 clients; it has 1"),
        "{body}"
    );
    let events = api.audit("action=client.register").await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["actor"]["kind"], "system");
}

/// A key limited to a tenant reaches no tier route and cannot assign a
/// tier, even to its own tenant; it reads its tenant's usage.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiers_are_platform_operations() {
    let server = api_server().await;
    let api = Api::new(&server);
    tenant_on_tier(&api, "acme", "free", json!({"users": 3})).await;
    let key = create_key(&server, &["--tenant", "acme"]);
    let as_tenant = |req: Req| req.token(&key.key);
    for req in [
        Req::get("/api/v1/tiers"),
        Req::get("/api/v1/tiers/free"),
        Req::post("/api/v1/tiers", &json!({"name": "mine"})),
        Req::patch("/api/v1/tiers/free", &json!({"users": 1000})),
        Req::delete("/api/v1/tiers/free"),
        Req::patch("/api/v1/tenants/acme", &json!({"tier": null})),
    ] {
        let res = api.send(as_tenant(req)).await;
        assert_problem(&res, StatusCode::FORBIDDEN);
    }
    let res = api
        .send(as_tenant(Req::get("/api/v1/tenants/acme/usage")))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.json()["tier"], "free");
    assert_eq!(text(&api.get("/api/v1/tiers/free").await["users"]), "");
    assert_eq!(api.get("/api/v1/tiers/free").await["users"], 3);
}
