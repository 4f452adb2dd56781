//! Every route of the route table with a full key: the happy path and the
//! shape of what it answers (201 and an id for creates, `client_secret`
//! once, lists as `{"items", "next_cursor"}` paged by `limit` and
//! `cursor`, `?email=` on users, `ETag` on single objects).

use super::world::{World, success};
use super::{Api, Req, api_server, assert_json, text};
use crate::support::REDIRECT_URI;
use idp_server::api::routes::{Op, ROUTES};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::HashSet;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_succeeds_with_a_full_key() {
    let server = api_server().await;
    let api = Api::new(&server);
    let shared = World::create(&api, "shared").await;
    for route in ROUTES {
        // A write gets a tenant of its own, so a delete cannot take away
        // what a later route needs.
        let world = if route.method == http::Method::GET {
            shared.clone()
        } else {
            World::create_for(&server, &api, "w", route.op).await
        };
        let res = api.send(world.request(route)).await;
        let what = format!("{} {}", route.method, route.path);
        assert!(
            success(route.op).contains(&res.status),
            "{what}: {} {}",
            res.status,
            res.body
        );
        if res.status == StatusCode::NO_CONTENT {
            assert!(res.body.is_empty(), "{what}: 204 with a body");
            assert_gone(&api, &world, route.op, &what).await;
            continue;
        }
        if route.op == Op::ExportUsers {
            // Streamed JSON Lines (`users_export` tests it in depth).
            assert_eq!(
                res.header("content-type").as_deref(),
                Some("application/x-ndjson")
            );
            for line in res.body.lines() {
                let user: serde_json::Value = serde_json::from_str(line).unwrap_or_default();
                assert!(user["id"].is_string(), "{what}: {line}");
            }
            continue;
        }
        assert_json(&res);
        assert_shape(route.op, &res.json(), &what);
        if matches!(
            route.op,
            Op::GetTenant | Op::GetClient | Op::GetUser | Op::GetRole | Op::GetUpstream
        ) {
            assert!(res.header("etag").is_some(), "{what}: no ETag");
        }
    }
}

/// Asserts that what a 204 removed is gone.
async fn assert_gone(api: &Api, w: &World, op: Op, what: &str) {
    let base = format!("/api/v1/tenants/{}", w.slug);
    let path = match op {
        Op::DeleteTenant => base,
        Op::DeleteClient => format!("{base}/clients/{}", w.client_id),
        Op::DeleteUser => format!("{base}/users/{}", w.user_id),
        Op::DeleteRole => format!("{base}/roles/{}", w.role),
        Op::DeleteTier => format!("/api/v1/tiers/{}", w.tier),
        Op::DeleteUpstream => format!("{base}/upstreams/{}", w.upstream),
        Op::UnlinkUserIdentity => {
            let linked = api
                .get(&format!("{base}/users/{}/identities", w.user_id))
                .await;
            assert_eq!(
                linked["items"].as_array().map(Vec::len),
                Some(1),
                "{what}: {linked}"
            );
            assert_eq!(linked["items"][0]["subject"], "second", "{what}: {linked}");
            return;
        }
        Op::RevokeUserSession => {
            let live = api
                .get(&format!("{base}/users/{}/sessions", w.user_id))
                .await;
            assert_eq!(live["items"], json!([]), "{what}: {live}");
            return;
        }
        _ => {
            let roles = api.get(&format!("{base}/users/{}/roles", w.user_id)).await;
            assert_eq!(roles["items"], json!([]), "{what}: {roles}");
            return;
        }
    };
    let gone = api.send(Req::get(&path)).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND, "{what}: still there");
}

fn assert_shape(op: Op, v: &Value, what: &str) {
    match op {
        Op::ListTenants
        | Op::ListClients
        | Op::ListUsers
        | Op::ListUserSessions
        | Op::ListRoles
        | Op::ListUserRoles
        | Op::ListKeys
        | Op::ListUpstreams
        | Op::ListUserIdentities
        | Op::ListAuditEvents => {
            assert!(v["items"].is_array(), "{what}: {v}");
            assert!(v.get("next_cursor").is_some(), "{what}: {v}");
        }
        Op::CreateClient => {
            assert!(v["id"].is_string(), "{what}: {v}");
            assert_eq!(v["client_id"], v["id"], "{what}: {v}");
            assert!(
                v["client_secret"].as_str().is_some_and(|s| s.len() >= 20),
                "{what}: a confidential client's secret once: {v}"
            );
        }
        Op::CreateTenant | Op::CreateUser | Op::CreateRole => {
            assert!(v["id"].is_string(), "{what}: {v}");
        }
        Op::CreateUpstream => {
            assert!(v["id"].is_string(), "{what}: {v}");
            assert!(
                text(&v["callback_url"])
                    .ends_with(&format!("/upstream/{}/callback", text(&v["id"]))),
                "{what}: {v}"
            );
            assert!(v.get("client_secret").is_none(), "{what}: a secret in {v}");
        }
        Op::RotateClientSecret => {
            assert!(v["client_secret"].is_string(), "{what}: {v}");
            assert!(v["client_id"].is_string(), "{what}: {v}");
        }
        Op::RotateKeys => {
            assert!(
                v["kids"].as_array().is_some_and(|k| !k.is_empty()),
                "{what}: {v}"
            );
        }
        Op::RevokeUserSessions => assert!(v["revoked_sessions"].is_number(), "{what}: {v}"),
        Op::ApproveTenant | Op::ReactivateTenant => {
            assert_eq!(
                (&v["state"], &v["state_reason"]),
                (&json!("active"), &json!(null)),
                "{what}: {v}"
            );
        }
        Op::RejectTenant => assert_eq!(v["state"], "rejected", "{what}: {v}"),
        Op::SuspendTenant => {
            assert_eq!(
                (&v["state"], &v["state_reason"]),
                (&json!("suspended"), &json!("scripted")),
                "{what}: {v}"
            );
        }
        Op::OpenApi => assert!(v.is_object(), "{what}: {v}"),
        Op::TenantAnalytics | Op::PlatformAnalytics => {
            // The default range: 30 days ending today.
            assert_eq!(v["days"].as_array().map(Vec::len), Some(30), "{what}: {v}");
            assert!(v["days"][29]["failures"].is_object(), "{what}: {v}");
            assert!(v["months"].is_array(), "{what}: {v}");
            assert!(v["top_clients"].is_array(), "{what}: {v}");
        }
        _ => {
            assert!(v.is_object(), "{what}: {v}");
            assert!(
                v.get("client_secret").is_none() && v.get("password").is_none(),
                "{what}: a secret in {v}"
            );
        }
    }
}

/// Every list walks its objects with `limit` and `cursor` across pages,
/// each object once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_page_with_limit_and_cursor() {
    let server = api_server().await;
    let api = Api::new(&server);
    for i in 0..5 {
        api.create("/api/v1/tenants", &json!({"slug": format!("page{i}")}))
            .await;
    }
    let base = "/api/v1/tenants/page0";
    for i in 0..5 {
        api.create(
            &format!("{base}/clients"),
            &json!({"name": format!("c{i}"), "redirect_uris": [REDIRECT_URI]}),
        )
        .await;
        api.create(
            &format!("{base}/users"),
            &json!({"email": format!("p{i}@example.com")}),
        )
        .await;
        api.create(&format!("{base}/roles"), &json!({"name": format!("r{i}")}))
            .await;
    }
    for (path, key, want) in [
        ("/api/v1/tenants".to_owned(), "slug", 5),
        (format!("{base}/clients"), "client_id", 5),
        (format!("{base}/users"), "id", 5),
        (format!("{base}/roles"), "name", 5),
    ] {
        let first = api.get(&format!("{path}?limit=2")).await;
        assert_eq!(first["items"].as_array().map(Vec::len), Some(2), "{first}");
        assert!(first["next_cursor"].is_string(), "{path}: {first}");
        let paged = api.all(&path, "", 2).await;
        let whole = api.get(&path).await;
        let whole = whole["items"].as_array().cloned().unwrap_or_default();
        assert!(whole.len() >= want, "{path}: {} items", whole.len());
        assert_eq!(paged, whole, "{path}: pages differ from the whole list");
        let distinct: HashSet<String> = paged.iter().map(|v| text(&v[key])).collect();
        assert_eq!(distinct.len(), paged.len(), "{path}: an item twice");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_are_found_by_email() {
    let server = api_server().await;
    let api = Api::new(&server);
    let w = World::create(&api, "acme").await;
    let base = format!("/api/v1/tenants/{}/users", w.slug);
    let bob = api
        .create(&base, &json!({"email": "bob@acme.example", "name": "Bob"}))
        .await;
    let found = api.get(&format!("{base}?email=bob%40acme.example")).await;
    let items = found["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 1, "{found}");
    assert_eq!(items[0]["id"], bob["id"]);
    assert!(found["next_cursor"].is_null());
    let none = api
        .get(&format!("{base}?email=nobody%40acme.example"))
        .await;
    assert_eq!(none["items"], json!([]), "{none}");
}

/// The secret is in the create and rotate answers only; a PATCH changes
/// what it names; a password is never shown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_read_back_as_written_without_secrets() {
    let server = api_server().await;
    let api = Api::new(&server);
    let w = World::create(&api, "acme").await;
    let base = format!("/api/v1/tenants/{}", w.slug);
    let created = api
        .create(
            &format!("{base}/clients"),
            &json!({"name": "Shop", "redirect_uris": [REDIRECT_URI], "grant_types": ["authorization_code", "refresh_token"]}),
        )
        .await;
    let id = text(&created["client_id"]);
    let secret = text(&created["client_secret"]);
    let got = api.get(&format!("{base}/clients/{id}")).await;
    assert_eq!(got["name"], "Shop");
    assert!(got.get("client_secret").is_none(), "{got}");
    assert!(
        !got.to_string().contains(&secret),
        "the secret is shown again"
    );
    let list = api.get(&format!("{base}/clients")).await;
    assert!(!list.to_string().contains(&secret), "the secret is listed");
    let rotated = api
        .send(Req::new(
            Method::POST,
            &format!("{base}/clients/{id}/secret"),
        ))
        .await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.body);
    assert_ne!(text(&rotated.json()["client_secret"]), secret);

    let patched = api
        .send(Req::patch(
            &format!("{base}/clients/{id}"),
            &json!({"redirect_uris": ["https://rp.example/other"]}),
        ))
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    let got = api.get(&format!("{base}/clients/{id}")).await;
    assert_eq!(got["redirect_uris"], json!(["https://rp.example/other"]));

    let user = format!("{base}/users/{}", w.user_id);
    let res = api
        .send(Req::patch(
            &user,
            &json!({"password": "a long enough passphrase 1"}),
        ))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let v = res.json();
    assert_eq!(v["has_password"], true, "{v}");
    assert!(!res.body.contains("passphrase"), "{v}");
    let res = api
        .send(Req::new(Method::PATCH, &user).raw(
            br#"{"disabled": true}"#.to_vec(),
            "application/merge-patch+json",
        ))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.json()["disabled"], true);

    let role = format!("{base}/roles/{}", w.role);
    let res = api
        .send(Req::patch(&role, &json!({"description": "Can ship"})))
        .await;
    assert_eq!(res.json()["description"], "Can ship", "{}", res.body);
    let res = api
        .send(Req::patch(&role, &json!({"description": null})))
        .await;
    assert_eq!(res.json()["description"], "", "{}", res.body);
    let roles = api.get(&format!("{user}/roles")).await;
    assert_eq!(roles["items"], json!([w.role]), "{roles}");

    let tenant = api.get(&base).await;
    assert_eq!(tenant["slug"], "acme");
    assert_eq!(
        tenant["issuer"],
        json!(format!("{}/t/acme", server.base_url))
    );
    let keys = api.get(&format!("{base}/keys")).await;
    assert!(
        keys["items"].as_array().is_some_and(|k| !k.is_empty()),
        "{keys}"
    );
}
