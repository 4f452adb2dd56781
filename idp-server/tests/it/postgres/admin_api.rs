//! The admin API (issue 16) on PostgreSQL, two instances on one database:
//! a key minted by the CLI works on both; an object created on A is read
//! and changed on B with A's `ETag`; a create retried on the other
//! instance with the same `Idempotency-Key` returns the first object; the
//! audit log written through either is one log, and appending is all it
//! allows; revoking the key stops it on both at once.

use super::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// One request with `key` to `base`; status, headers and JSON body.
async fn call(
    base: &str,
    key: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let mut req = reqwest::Client::new()
        .request(method, format!("{base}/api/v1{path}"))
        .bearer_auth(key);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req.send().await.expect("the admin API answers");
    let status = res.status();
    let headers = res.headers().clone();
    let text = res.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, headers, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_api_on_two_instances_is_one_api() {
    let Some(db) = scratch().await else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let a = instance(dir.path(), &db, &[("RATE_LIMIT_ADMIN_API", "0")]);
    let b = instance(
        dir.path(),
        &db,
        &[("BASE_URL", &a.base_url), ("RATE_LIMIT_ADMIN_API", "0")],
    );
    let on_a = a.base_url.clone();
    let on_b = format!("http://localhost:{}", b.port);
    let minted = a.cli_json(&["api-key", "create", "--name", "ci", "--json"], None);
    let key = minted["key"].as_str().expect("key").to_owned();
    let key_id = minted["id"].as_str().expect("id").to_owned();

    // Created on A, read on B.
    let (status, _, body) = call(
        &on_a,
        &key,
        Method::POST,
        "/tenants",
        Some(json!({"slug": "acme", "name": "Acme"})),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, headers, body) = call(&on_b, &key, Method::GET, "/tenants/acme", None, &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["name"], "Acme");
    let etag = headers
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .expect("an ETag")
        .to_owned();

    // A's ETag guards a change on B; the stale one is refused on A.
    let (status, _, body) = call(
        &on_b,
        &key,
        Method::PATCH,
        "/tenants/acme",
        Some(json!({"name": "Acme Corp"})),
        &[("if-match", &etag)],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _, body) = call(
        &on_a,
        &key,
        Method::PATCH,
        "/tenants/acme",
        Some(json!({"name": "Acme Again"})),
        &[("if-match", &etag)],
    )
    .await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{body}");

    // A create retried on the other instance returns the first object.
    let client = json!({"name": "Shop", "redirect_uris": ["https://shop.example/cb"]});
    let retry = [("idempotency-key", "create-shop-1")];
    let (status, _, first) = call(
        &on_a,
        &key,
        Method::POST,
        "/tenants/acme/clients",
        Some(client.clone()),
        &retry,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let (status, headers, again) = call(
        &on_b,
        &key,
        Method::POST,
        "/tenants/acme/clients",
        Some(client),
        &retry,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert_eq!(
        headers
            .get("idempotent-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    assert_eq!(again["client_id"], first["client_id"]);
    assert_eq!(again["client_secret"], first["client_secret"]);
    let (_, _, clients) = call(&on_a, &key, Method::GET, "/tenants/acme/clients", None, &[]).await;
    assert_eq!(
        clients["items"].as_array().map(Vec::len),
        Some(1),
        "{clients}"
    );

    // One audit log, read on either instance; no way to change it.
    let (status, _, events) = call(
        &on_a,
        &key,
        Method::GET,
        "/audit-events?tenant=acme&limit=200",
        None,
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{events}");
    let actions: Vec<&str> = events["items"]
        .as_array()
        .map(|items| items.iter().filter_map(|e| e["action"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        actions,
        ["tenant.create", "tenant.update", "client.create"],
        "{events}"
    );
    for event in events["items"].as_array().into_iter().flatten() {
        assert_eq!(event["actor"]["kind"], "api_key", "{event}");
        assert_eq!(event["actor"]["id"], key_id.as_str(), "{event}");
        assert!(
            !event
                .to_string()
                .contains(first["client_secret"].as_str().unwrap_or("-")),
            "a secret in the audit log: {event}"
        );
    }
    let (_, _, on_b_events) = call(
        &on_b,
        &key,
        Method::GET,
        "/audit-events?tenant=acme&limit=200",
        None,
        &[],
    )
    .await;
    assert_eq!(on_b_events["items"], events["items"]);
    let first_event = events["items"][0]["id"].as_str().unwrap_or("-").to_owned();
    for method in [Method::DELETE, Method::PATCH, Method::PUT] {
        let (status, _, body) = call(
            &on_b,
            &key,
            method.clone(),
            &format!("/audit-events/{first_event}"),
            Some(json!({})),
            &[],
        )
        .await;
        assert!(
            status == StatusCode::METHOD_NOT_ALLOWED || status == StatusCode::NOT_FOUND,
            "{method} on an audit event: {status} {body}"
        );
    }

    // Revoked through the CLI: refused on both instances at once.
    let revoked = a.cli(&["api-key", "revoke", &key_id], None);
    assert!(revoked.success, "{}", revoked.stderr);
    for base in [&on_a, &on_b] {
        let (status, headers, body) = call(base, &key, Method::GET, "/tenants", None, &[]).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{base}: {body}");
        assert!(headers.contains_key("www-authenticate"), "{base}");
    }
}
