//! Every error class of the admin API as an RFC 9457 problem
//! (`application/problem+json` with `type`, `title`, `status`, `detail`):
//! 400, 401, 403, 404, 405 with `Allow`, 409, 413, 415, 422 with
//! `errors`, 429 with `Retry-After` (412 is in `updates`).

use super::world::World;
use super::{Api, Auth, Req, api_server, assert_problem, assert_unauthenticated, create_key, text};
use crate::support::ServerProcess;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_error_class_is_a_problem() {
    let server = api_server().await;
    let api = Api::new(&server);
    let w = World::create(&api, "acme").await;
    let base = format!("/api/v1/tenants/{}", w.slug);

    // 400: not JSON, and JSON that is not an object.
    let res = api
        .send(
            Req::new(Method::POST, "/api/v1/tenants")
                .raw(b"{\"slug\": ".to_vec(), "application/json"),
        )
        .await;
    assert_problem(&res, StatusCode::BAD_REQUEST);
    let res = api.send(Req::post("/api/v1/tenants", &json!(["x"]))).await;
    assert_problem(&res, StatusCode::BAD_REQUEST);

    // 401: none, garbage, another scheme.
    let res = api
        .send(Req::get("/api/v1/tenants").auth(Auth::Nothing))
        .await;
    assert_unauthenticated(&res);
    let res = api.send(Req::get("/api/v1/tenants").token("garbage")).await;
    assert_unauthenticated(&res);
    let challenge = res.header("www-authenticate").unwrap_or_default();
    assert!(challenge.contains("invalid_token"), "{challenge}");
    let res = api
        .send(
            Req::get("/api/v1/tenants")
                .auth(Auth::Nothing)
                .header("authorization", &format!("Basic {}", api.key.key)),
        )
        .await;
    assert_unauthenticated(&res);

    // 403: a read-only key writing.
    let reader = create_key(&server, &["--read-only"]);
    let res = api
        .send(Req::post("/api/v1/tenants", &json!({"slug": "nope"})).token(&reader.key))
        .await;
    assert_problem(&res, StatusCode::FORBIDDEN);

    // 404: unknown objects, an unknown tenant, an unknown path.
    for path in [
        "/api/v1/tenants/nosuch".to_owned(),
        format!("{base}/clients/nosuch"),
        format!("{base}/users/nosuch"),
        format!("{base}/users/nosuch/sessions"),
        format!("{base}/roles/nosuch"),
        "/api/v1/tenants/nosuch/users".to_owned(),
        "/api/v1/nothing-here".to_owned(),
    ] {
        let res = api.send(Req::get(&path)).await;
        assert_problem(&res, StatusCode::NOT_FOUND);
    }
    let res = api
        .send(Req::new(
            Method::PUT,
            &format!("{base}/users/{}/roles/nosuch", w.user_id),
        ))
        .await;
    assert_problem(&res, StatusCode::NOT_FOUND);

    // 405 with Allow.
    let res = api.send(Req::new(Method::PUT, "/api/v1/tenants")).await;
    assert_problem(&res, StatusCode::METHOD_NOT_ALLOWED);
    let allow = res.header("allow").unwrap_or_default();
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");

    // 409: duplicate slug, email, role name.
    let res = api
        .send(Req::post("/api/v1/tenants", &json!({"slug": "acme"})))
        .await;
    assert_problem(&res, StatusCode::CONFLICT);
    api.create(
        &format!("{base}/users"),
        &json!({"email": "dup@acme.example"}),
    )
    .await;
    let res = api
        .send(Req::post(
            &format!("{base}/users"),
            &json!({"email": "dup@acme.example"}),
        ))
        .await;
    assert_problem(&res, StatusCode::CONFLICT);
    let res = api
        .send(Req::post(
            &format!("{base}/roles"),
            &json!({"name": w.role}),
        ))
        .await;
    assert_problem(&res, StatusCode::CONFLICT);

    // 415: not JSON; a merge patch where only JSON is read.
    let res = api
        .send(
            Req::new(Method::POST, "/api/v1/tenants")
                .raw(b"slug=x".to_vec(), "application/x-www-form-urlencoded"),
        )
        .await;
    assert_problem(&res, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let res = api
        .send(
            Req::new(Method::POST, "/api/v1/tenants")
                .raw(b"{\"slug\":\"x\"}".to_vec(), "application/merge-patch+json"),
        )
        .await;
    assert_problem(&res, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let res = api
        .send(Req::new(Method::PATCH, &base).raw(b"{}".to_vec(), "text/plain"))
        .await;
    assert_problem(&res, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    // 422: every invalid field named.
    let res = api
        .send(Req::post(
            &format!("{base}/clients"),
            &json!({
                "redirect_uris": "https://not-a-list.example",
                "grant_types": ["telepathy"],
                "public": "yes",
                "colour": "blue",
            }),
        ))
        .await;
    let p = assert_problem(&res, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<String> = p["errors"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|e| {
            assert!(e["reason"].as_str().is_some_and(|r| !r.is_empty()), "{e}");
            text(&e["field"])
        })
        .collect();
    for field in ["name", "redirect_uris", "grant_types", "public", "colour"] {
        assert!(fields.iter().any(|f| f == field), "{field} not in {p}");
    }
    let res = api
        .send(Req::post(
            "/api/v1/tenants",
            &json!({"slug": "Not A Slug!"}),
        ))
        .await;
    let p = assert_problem(&res, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["field"], "slug", "{p}");
    let res = api
        .send(Req::post(
            &format!("{base}/users"),
            &json!({"email": "not-an-email"}),
        ))
        .await;
    let p = assert_problem(&res, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["field"], "email", "{p}");
    let res = api
        .send(Req::get("/api/v1/tenants?limit=many&colour=blue"))
        .await;
    let p = assert_problem(&res, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"].as_array().map(Vec::len), Some(2), "{p}");
}

/// A body over the server's limit: 413 as a problem.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_limit_is_413() {
    let server = api_server().await;
    let api = Api::new(&server);
    let big = json!({"slug": "big", "name": "x".repeat(200 * 1024)});
    let res = api.send(Req::post("/api/v1/tenants", &big)).await;
    assert_problem(&res, StatusCode::PAYLOAD_TOO_LARGE);
    // The rest of the body was never read: the client is told not to
    // reuse the connection, so its next request (below, on the same
    // client) does not fail on a connection the server closed.
    assert_eq!(
        res.header("connection").as_deref(),
        Some("close"),
        "{:?}",
        res.headers
    );
    let res = api.send(Req::get("/api/v1/tenants/big")).await;
    assert_problem(&res, StatusCode::NOT_FOUND);
}

/// `RATE_LIMIT_ADMIN_API=1`: a key that sends too fast gets 429 with
/// `Retry-After`; another key is not held back by it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_over_its_rate_gets_429() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let server = ServerProcess::spawn(dir.path(), &[("RATE_LIMIT_ADMIN_API", "1")]);
    let api = Api::on(&server.base_url, create_key(&server, &[]));
    let mut limited = None;
    for _ in 0..10 {
        let res = api.send(Req::get("/api/v1/tenants")).await;
        if res.status == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(res);
            break;
        }
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    }
    let res = limited.expect("10 requests at once at 1 per second are limited");
    assert_problem(&res, StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = res
        .header("retry-after")
        .and_then(|r| r.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    let other = create_key(&server, &[]);
    let res = api
        .send(Req::get("/api/v1/tenants").token(&other.key))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
}

/// Malformed paging parameters are refused as problems, never a 500.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_paging_is_422() {
    let server = api_server().await;
    let api = Api::new(&server);
    let w = World::create(&api, "acme").await;
    let base = format!("/api/v1/tenants/{}", w.slug);
    for list in [
        "/api/v1/tenants".to_owned(),
        format!("{base}/clients"),
        format!("{base}/users"),
        format!("{base}/roles"),
        "/api/v1/audit-events".to_owned(),
    ] {
        for query in ["cursor=garbage", "limit=0", "limit=-1", "limit=100000"] {
            let res = api.send(Req::get(&format!("{list}?{query}"))).await;
            let p = assert_problem(&res, StatusCode::UNPROCESSABLE_ENTITY);
            assert!(p["errors"].is_array(), "{list}?{query}: {p}");
        }
    }
}
