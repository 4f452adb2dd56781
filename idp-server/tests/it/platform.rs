//! The platform tenant (issue 17) through real HTTP and the real CLI: it
//! exists from the first start with its roles `owner`, `admin` and
//! `auditor` (created as `system`, once: a restart adds nothing), its
//! slug is refused to `tenant create` (API 422 naming `slug`, CLI status
//! 2) and it cannot be deleted, suspended or rejected (409, CLI status 4);
//! deleting an organisation deletes the platform roles named after it, so
//! a reused slug inherits nothing.

use crate::api::{Api, Req, api_server};
use crate::support::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_platform_tenant_exists_from_the_first_start_and_is_protected() {
    let server = api_server().await;
    let api = Api::new(&server);
    let t = api.get("/api/v1/tenants/platform").await;
    assert_eq!(t["state"], "active", "{t}");
    let roles = api.all("/api/v1/tenants/platform/roles", "", 50).await;
    let names: Vec<&str> = roles.iter().filter_map(|r| r["name"].as_str()).collect();
    assert_eq!(names, ["admin", "auditor", "owner"], "{roles:?}");
    // The tenant, its three roles and the console's client.
    let events = api.audit("tenant=platform").await;
    assert_eq!(events.len(), 5, "{events:?}");
    assert!(
        events
            .iter()
            .any(|e| e["action"] == "client.create" && e["target"]["id"] == "console"),
        "{events:?}"
    );
    assert!(
        events.iter().all(|e| e["actor"]["kind"] == "system"),
        "{events:?}"
    );

    let res = api
        .send(Req::post("/api/v1/tenants", &json!({"slug": "platform"})))
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert_eq!(res.json()["errors"][0]["field"], "slug", "{}", res.body);
    let out = server.cli(&["tenant", "create", "platform"], None);
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(out.stderr.contains("reserved"), "{}", out.stderr);

    let res = api.send(Req::delete("/api/v1/tenants/platform")).await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.body);
    for verb in ["suspend", "reject"] {
        let req = Req::post(
            &format!("/api/v1/tenants/platform/{verb}"),
            &json!({"reason": "no"}),
        );
        let res = api.send(req).await;
        assert_eq!(res.status, StatusCode::CONFLICT, "{verb}: {}", res.body);
    }
    let out = server.cli(&["tenant", "delete", "platform"], None);
    assert_eq!(out.code, Some(4), "{out:?}");
    assert_eq!(api.get("/api/v1/tenants/platform").await["state"], "active");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_an_organisation_deletes_its_platform_roles() {
    let server = api_server().await;
    let api = Api::new(&server);
    api.create("/api/v1/tenants", &json!({"slug": "acme"}))
        .await;
    let op = api
        .create(
            "/api/v1/tenants/platform/users",
            &json!({"email": "op@example.com"}),
        )
        .await;
    let op = op["id"].as_str().unwrap_or_default().to_owned();
    for name in ["org-admin:acme", "org-viewer:acme", "org-admin:other"] {
        api.create("/api/v1/tenants/platform/roles", &json!({"name": name}))
            .await;
        let path = format!("/api/v1/tenants/platform/users/{op}/roles/{name}");
        let res = api.send(Req::new(reqwest::Method::PUT, &path)).await;
        assert!(res.status.is_success(), "{}", res.body);
    }
    let res = api.send(Req::delete("/api/v1/tenants/acme")).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    let roles = api
        .get(&format!("/api/v1/tenants/platform/users/{op}/roles"))
        .await;
    assert_eq!(roles["items"], json!(["org-admin:other"]), "{roles}");
    let res = api
        .send(Req::get("/api/v1/tenants/platform/roles/org-viewer:acme"))
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.body);
    // A tenant created again under the slug inherits no operator.
    api.create("/api/v1/tenants", &json!({"slug": "acme"}))
        .await;
    let res = api
        .send(Req::get("/api/v1/tenants/platform/roles/org-admin:acme"))
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.body);
}
