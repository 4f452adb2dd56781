//! The signing keys screen (`/admin/tenants/{slug}/keys…`) through real
//! HTTP: the keys with their state, rotation behind a page explaining it
//! (after the publication delay, or at once); an auditor reads without
//! the rotate form and a forged POST rotates nothing; another
//! organisation's admin gets 404; CSRF.

use super::clients::organisation;
use super::{Console, console_server};
use crate::api::Api;
use reqwest::StatusCode;
use serde_json::Value;

/// The organisation's keys as the API lists them.
async fn keys(api: &Api, slug: &str) -> Vec<Value> {
    api.get(&format!("/api/v1/tenants/{slug}/keys")).await["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn kid(k: &Value) -> &str {
    k["kid"].as_str().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_adds_keys_after_a_page_that_explains_it() {
    let (server, api) = console_server().await;
    organisation(&api, "acme").await;
    let before = keys(&api, "acme").await;
    assert!(!before.is_empty());
    let console = Console::sign_in(&server, &api, &["admin"]).await;
    let page = console.get("/admin/tenants/acme/keys").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for k in &before {
        assert!(page.body.contains(kid(k)), "{}", page.body);
    }
    assert!(page.body.contains(">active<"), "{}", page.body);

    let confirm = console.get("/admin/tenants/acme/keys/rotate").await;
    assert_eq!(confirm.status, StatusCode::OK, "{}", confirm.body);
    assert!(
        confirm.body.contains("publication delay"),
        "{}",
        confirm.body
    );
    assert_eq!(keys(&api, "acme").await, before, "the page changes nothing");

    let page = console
        .post_and_follow("/admin/tenants/acme/keys/rotate", &[])
        .await;
    assert!(page.body.contains("Keys rotated"), "{}", page.body);
    let after = keys(&api, "acme").await;
    let new: Vec<&Value> = after
        .iter()
        .filter(|k| !before.iter().any(|b| kid(b) == kid(k)))
        .collect();
    assert!(!new.is_empty(), "{after:?}");
    for k in &new {
        assert_eq!(k["state"], "pending", "{k}");
        assert!(page.body.contains(kid(k)), "{}", page.body);
    }
    assert!(page.body.contains(">pending<"), "{}", page.body);

    // At once: the newest keys sign now.
    console
        .post_and_follow(
            "/admin/tenants/acme/keys/rotate",
            &[("immediately", "true")],
        )
        .await;
    let last = keys(&api, "acme").await;
    let newest: Vec<&Value> = last
        .iter()
        .filter(|k| !after.iter().any(|b| kid(b) == kid(k)))
        .collect();
    assert!(!newest.is_empty());
    assert!(newest.iter().all(|k| k["state"] == "active"), "{last:?}");
    let events = api.audit("tenant=acme&action=key.rotate").await;
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(events.iter().all(|e| e["actor"]["kind"] == "operator"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auditor_reads_keys_and_cannot_rotate_them() {
    let (server, api) = console_server().await;
    organisation(&api, "acme").await;
    let before = keys(&api, "acme").await;
    let console = Console::sign_in(&server, &api, &["auditor"]).await;
    let page = console.get("/admin/tenants/acme/keys").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains(kid(&before[0])), "{}", page.body);
    assert!(!page.body.contains("id=\"rotate\""), "{}", page.body);
    let confirm = console.get("/admin/tenants/acme/keys/rotate").await;
    assert_eq!(confirm.status, StatusCode::FORBIDDEN);
    let res = console.post("/admin/tenants/acme/keys/rotate", &[]).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
    assert_eq!(keys(&api, "acme").await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_org_admin_gets_404_for_another_organisations_keys_and_forms_need_csrf() {
    let (server, api) = console_server().await;
    organisation(&api, "a").await;
    organisation(&api, "b").await;
    let theirs = keys(&api, "b").await;
    let console = Console::sign_in(&server, &api, &["org-admin:a"]).await;
    assert_eq!(
        console.get("/admin/tenants/a/keys").await.status,
        StatusCode::OK
    );
    for path in ["/admin/tenants/b/keys", "/admin/tenants/b/keys/rotate"] {
        let page = console.get(path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}: {}", page.body);
        assert!(!page.body.contains(kid(&theirs[0])));
    }
    let res = console.post("/admin/tenants/b/keys/rotate", &[]).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.body);
    assert_eq!(keys(&api, "b").await, theirs);

    let mine = keys(&api, "a").await;
    let url = console.url("/admin/tenants/a/keys/rotate");
    let res = console.browser.post_form(&url, &[]).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
    assert_eq!(keys(&api, "a").await, mine);
}
