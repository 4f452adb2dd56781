//! `Idempotency-Key` on creates: a retry gets the first answer (the same
//! client and the same secret, `Idempotent-Replayed: true`) and makes
//! nothing new; the key with another body is refused (422); without the
//! header each request creates.

use super::world::World;
use super::{Api, Req, api_server, assert_problem, text};
use crate::support::REDIRECT_URI;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn client_ids(api: &Api, slug: &str) -> Vec<String> {
    api.all(&format!("/api/v1/tenants/{slug}/clients"), "", 100)
        .await
        .iter()
        .map(|c| text(&c["client_id"]))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_create_returns_the_first_result() {
    let server = api_server().await;
    let api = Api::new(&server);
    let w = World::create(&api, "acme").await;
    let path = format!("/api/v1/tenants/{}/clients", w.slug);
    let body = json!({"name": "Retry", "redirect_uris": [REDIRECT_URI]});
    let before = client_ids(&api, &w.slug).await;

    let first = api
        .send(Req::post(&path, &body).header("idempotency-key", "create-retry-1"))
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    assert_eq!(first.header("idempotent-replayed"), None);
    let second = api
        .send(Req::post(&path, &body).header("idempotency-key", "create-retry-1"))
        .await;
    assert_eq!(second.status, StatusCode::CREATED, "{}", second.body);
    assert_eq!(
        second.header("idempotent-replayed").as_deref(),
        Some("true")
    );
    let (a, b): (Value, Value) = (first.json(), second.json());
    assert_eq!(a["client_id"], b["client_id"]);
    assert!(a["client_secret"].is_string());
    assert_eq!(a["client_secret"], b["client_secret"], "the same secret");
    let after = client_ids(&api, &w.slug).await;
    assert_eq!(after.len(), before.len() + 1, "one client, not two");

    // The same key with another body.
    let other = json!({"name": "Other", "redirect_uris": [REDIRECT_URI]});
    let res = api
        .send(Req::post(&path, &other).header("idempotency-key", "create-retry-1"))
        .await;
    let p = assert_problem(&res, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p["errors"].is_array(), "{p}");
    assert_eq!(client_ids(&api, &w.slug).await.len(), after.len());

    // Without the header, two requests are two clients.
    for _ in 0..2 {
        api.create(&path, &body).await;
    }
    assert_eq!(client_ids(&api, &w.slug).await.len(), after.len() + 2);

    // A failed create (409) may be retried with the same key once fixed;
    // other creates replay too.
    let tenants = "/api/v1/tenants";
    let dup = api
        .send(Req::post(tenants, &json!({"slug": "acme"})).header("idempotency-key", "t-1"))
        .await;
    assert_problem(&dup, StatusCode::CONFLICT);
    let dup = api
        .send(Req::post(tenants, &json!({"slug": "acme"})).header("idempotency-key", "t-1"))
        .await;
    assert_problem(&dup, StatusCode::CONFLICT);
    for (path, body) in [
        (tenants.to_owned(), json!({"slug": "fresh"})),
        (
            format!("/api/v1/tenants/{}/users", w.slug),
            json!({"email": "once@acme.example"}),
        ),
        (
            format!("/api/v1/tenants/{}/roles", w.slug),
            json!({"name": "once"}),
        ),
    ] {
        let one = api
            .send(Req::post(&path, &body).header("idempotency-key", "k-2"))
            .await;
        assert_eq!(one.status, StatusCode::CREATED, "{path}: {}", one.body);
        let two = api
            .send(Req::post(&path, &body).header("idempotency-key", "k-2"))
            .await;
        assert_eq!(two.status, StatusCode::CREATED, "{path}: {}", two.body);
        assert_eq!(one.json()["id"], two.json()["id"], "{path}");
        assert_eq!(two.header("idempotent-replayed").as_deref(), Some("true"));
    }
    let users = api
        .get(&format!(
            "/api/v1/tenants/{}/users?email=once%40acme.example",
            w.slug
        ))
        .await;
    assert_eq!(users["items"].as_array().map(Vec::len), Some(1));
}

/// An `Idempotency-Key` belongs to the key that sent it: another API key
/// using the same value gets its own object, never the first one's secret.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotency_keys_are_per_api_key() {
    let server = api_server().await;
    let api = Api::new(&server);
    let w = World::create(&api, "acme").await;
    let other = super::create_key(&server, &["--name", "other"]);
    let path = format!("/api/v1/tenants/{}/clients", w.slug);
    let body = json!({"name": "Shared", "redirect_uris": [REDIRECT_URI]});
    let mine = api
        .send(Req::post(&path, &body).header("idempotency-key", "same"))
        .await;
    assert_eq!(mine.status, StatusCode::CREATED, "{}", mine.body);
    let theirs = api
        .send(
            Req::post(&path, &body)
                .header("idempotency-key", "same")
                .token(&other.key),
        )
        .await;
    assert_eq!(theirs.status, StatusCode::CREATED, "{}", theirs.body);
    assert_eq!(theirs.header("idempotent-replayed"), None);
    assert_ne!(mine.json()["client_id"], theirs.json()["client_id"]);
    assert_ne!(mine.json()["client_secret"], theirs.json()["client_secret"]);
}

/// The same create sent several times at once with one `Idempotency-Key`
/// makes one object: the others replay it or are told to retry (409).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_retries_create_once() {
    let server = api_server().await;
    let api = std::sync::Arc::new(Api::new(&server));
    let w = World::create(&api, "acme").await;
    let before = client_ids(&api, &w.slug).await.len();
    let path = format!("/api/v1/tenants/{}/clients", w.slug);
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let (api, path) = (api.clone(), path.clone());
        tasks.push(tokio::spawn(async move {
            let body = json!({"name": "Racing", "redirect_uris": [REDIRECT_URI]});
            let res = api
                .send(Req::post(&path, &body).header("idempotency-key", "race"))
                .await;
            (res.status.as_u16(), res.json()["client_id"].clone())
        }));
    }
    let mut ids = std::collections::HashSet::new();
    for t in tasks {
        let (status, id) = t.await.unwrap_or((0, Value::Null));
        assert!([201, 409].contains(&status), "status {status}");
        if status == 201 {
            ids.insert(id.to_string());
        }
    }
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(client_ids(&api, &w.slug).await.len(), before + 1);
}
