//! Changes to existing objects: `ETag`/`If-Match` (412 on a stale tag,
//! success with the current one), concurrent updates holding one tag
//! apply once, and a PATCH applies all of its fields or none.

use super::world::World;
use super::{Api, Req, api_server, assert_problem};
use reqwest::StatusCode;
use serde_json::json;

/// `If-Match`: a stale tag gets 412 and changes nothing; the tag of a GET
/// lets the update through, and a new tag comes back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn if_match_guards_updates_and_deletes() {
    let server = api_server().await;
    let api = Api::new(&server);
    let w = World::create(&api, "acme").await;
    let base = format!("/api/v1/tenants/{}", w.slug);
    let objects = [
        (base.clone(), json!({"name": "Acme Two"})),
        (
            format!("{base}/clients/{}", w.client_id),
            json!({"name": "Two"}),
        ),
        (
            format!("{base}/users/{}", w.user_id),
            json!({"name": "Two"}),
        ),
        (
            format!("{base}/roles/{}", w.role),
            json!({"description": "Two"}),
        ),
    ];
    for (path, patch) in &objects {
        let res = api.send(Req::get(path)).await;
        let etag = res.header("etag").unwrap_or_default();
        assert!(etag.starts_with('"'), "{path}: ETag {etag:?}");
        let stale = api
            .send(Req::patch(path, patch).header("if-match", "\"stale\""))
            .await;
        assert_problem(&stale, StatusCode::PRECONDITION_FAILED);
        let after = api.send(Req::get(path)).await;
        assert_eq!(
            after.header("etag"),
            Some(etag.clone()),
            "{path}: a 412 changed it"
        );
        let res = api
            .send(Req::patch(path, patch).header("if-match", &etag))
            .await;
        assert_eq!(res.status, StatusCode::OK, "{path}: {}", res.body);
        let new_tag = res.header("etag").unwrap_or_default();
        assert_ne!(new_tag, etag, "{path}: the tag did not change");
        // The old tag is stale now, for a delete too.
        let res = api.send(Req::delete(path).header("if-match", &etag)).await;
        assert_problem(&res, StatusCode::PRECONDITION_FAILED);
    }
    // A delete with the current tag goes through.
    let path = &objects[1].0;
    let etag = api
        .send(Req::get(path))
        .await
        .header("etag")
        .unwrap_or_default();
    let res = api.send(Req::delete(path).header("if-match", &etag)).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
}

/// A PATCH that fails changes nothing: no field of it is applied before
/// another is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_patch_changes_nothing() {
    let server = api_server().await;
    let api = Api::new(&server);
    let w = World::create(&api, "acme").await;
    let base = format!("/api/v1/tenants/{}", w.slug);
    api.create(
        &format!("{base}/users"),
        &json!({"email": "taken@acme.example"}),
    )
    .await;
    let user = format!("{base}/users/{}", w.user_id);
    let before = api.get(&user).await;
    for patch in [
        json!({"name": "Changed", "password": ""}),
        json!({"name": "Changed", "email": "taken@acme.example"}),
        json!({"name": "Changed", "email": "not an email"}),
        json!({"name": "Changed", "disabled": "yes"}),
    ] {
        let res = api.send(Req::patch(&user, &patch)).await;
        assert!(res.status.is_client_error(), "{patch}: {}", res.status);
        assert_problem(&res, res.status);
        assert_eq!(api.get(&user).await, before, "{patch} was partly applied");
    }
    let events = api
        .audit(&format!("tenant={}&action=user.update", w.slug))
        .await;
    assert!(events.is_empty(), "refused patches audited: {events:?}");
}

/// Concurrent updates with the same `If-Match`: one wins, the others are
/// told the object changed (412) or conflicted (409), never applied.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_updates_with_one_etag_apply_once() {
    let server = api_server().await;
    let api = std::sync::Arc::new(Api::new(&server));
    let w = World::create(&api, "acme").await;
    let path = format!("/api/v1/tenants/{}/clients/{}", w.slug, w.client_id);
    let etag = api
        .send(Req::get(&path))
        .await
        .header("etag")
        .unwrap_or_default();
    let mut tasks = Vec::new();
    for i in 0..8 {
        let (api, path, etag) = (api.clone(), path.clone(), etag.clone());
        tasks.push(tokio::spawn(async move {
            api.send(Req::patch(&path, &json!({"name": format!("n{i}")})).header("if-match", &etag))
                .await
                .status
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.map(|s| s.as_u16()).unwrap_or(0));
    }
    let won = statuses.iter().filter(|s| **s == 200).count();
    assert_eq!(won, 1, "statuses {statuses:?}");
    assert!(
        statuses.iter().all(|s| [200, 409, 412].contains(s)),
        "{statuses:?}"
    );
}
