//! The roles screen (`/admin/tenants/{slug}/roles…`) through real HTTP:
//! create (errors beside the name, values kept), change a description,
//! delete behind a confirmation page; an auditor reads without forms and
//! a forged POST changes nothing; another organisation's admin gets 404;
//! CSRF.

use super::clients::{between, organisation};
use super::{Console, console_server};
use crate::api::Req;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_are_created_described_and_deleted() {
    let (server, api) = console_server().await;
    organisation(&api, "acme").await;
    let console = Console::sign_in(&server, &api, &["owner"]).await;
    let page = console.get("/admin/tenants/acme/roles").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("No roles yet"), "{}", page.body);

    let page = console
        .post_and_follow(
            "/admin/tenants/acme/roles",
            &[("name", "billing:admin"), ("description", "Runs billing")],
        )
        .await;
    assert!(
        page.body.contains("Role billing:admin created."),
        "{}",
        page.body
    );
    assert!(page.body.contains("Runs billing"), "{}", page.body);
    let role = api.get("/api/v1/tenants/acme/roles/billing:admin").await;
    assert_eq!(role["description"], "Runs billing");

    // An invalid name and a duplicate come back beside the name, as typed.
    let res = console
        .post(
            "/admin/tenants/acme/roles",
            &[("name", "no spaces"), ("description", "Kept")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    let error = between(
        &res.body,
        "<p class=\"field-error\" id=\"name-error\">",
        "</p>",
    );
    assert!(error.contains("letters"), "{error}");
    assert!(res.body.contains("value=\"no spaces\""), "{}", res.body);
    assert!(res.body.contains("value=\"Kept\""), "{}", res.body);
    let res = console
        .post("/admin/tenants/acme/roles", &[("name", "billing:admin")])
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.body);
    assert!(res.body.contains("id=\"name-error\""), "{}", res.body);

    let path = "/admin/tenants/acme/roles/billing:admin";
    let page = console
        .post_and_follow(path, &[("description", "Runs invoices")])
        .await;
    assert!(page.body.contains("Description saved."), "{}", page.body);
    assert!(
        page.body.contains("value=\"Runs invoices\""),
        "{}",
        page.body
    );
    let role = api.get("/api/v1/tenants/acme/roles/billing:admin").await;
    assert_eq!(role["description"], "Runs invoices");

    let confirm = console.get(&format!("{path}/delete")).await;
    assert_eq!(confirm.status, StatusCode::OK, "{}", confirm.body);
    assert!(
        confirm.body.contains("id=\"confirm-delete\""),
        "{}",
        confirm.body
    );
    api.get("/api/v1/tenants/acme/roles/billing:admin").await;
    let page = console
        .post_and_follow(&format!("{path}/delete"), &[])
        .await;
    assert!(
        page.body.contains("Role billing:admin deleted."),
        "{}",
        page.body
    );
    let res = api
        .send(Req::get("/api/v1/tenants/acme/roles/billing:admin"))
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let events = api.audit("tenant=acme&action=role.delete").await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["actor"]["kind"], "operator");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auditor_reads_roles_and_cannot_change_them() {
    let (server, api) = console_server().await;
    organisation(&api, "acme").await;
    api.create(
        "/api/v1/tenants/acme/roles",
        &json!({"name": "viewer", "description": "Looks"}),
    )
    .await;
    let console = Console::sign_in(&server, &api, &["auditor"]).await;
    let list = console.get("/admin/tenants/acme/roles").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(list.body.contains("viewer") && list.body.contains("Looks"));
    assert_eq!(
        list.body.matches("method=\"post\"").count(),
        1,
        "{}",
        list.body
    );
    let page = console.get("/admin/tenants/acme/roles/viewer").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Looks"), "{}", page.body);
    assert_eq!(
        page.body.matches("method=\"post\"").count(),
        1,
        "{}",
        page.body
    );
    let confirm = console.get("/admin/tenants/acme/roles/viewer/delete").await;
    assert_eq!(confirm.status, StatusCode::FORBIDDEN);

    let forged: [(&str, &[(&str, &str)]); 3] = [
        ("/admin/tenants/acme/roles", &[("name", "sneaky")]),
        (
            "/admin/tenants/acme/roles/viewer",
            &[("description", "Hacked")],
        ),
        ("/admin/tenants/acme/roles/viewer/delete", &[]),
    ];
    for (path, form) in forged {
        let res = console.post(path, form).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{path}: {}", res.body);
    }
    let roles = api.all("/api/v1/tenants/acme/roles", "", 100).await;
    assert_eq!(roles.len(), 1, "{roles:?}");
    assert_eq!(roles[0]["description"], "Looks");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_org_admin_gets_404_for_another_organisations_roles_and_forms_need_csrf() {
    let (server, api) = console_server().await;
    organisation(&api, "a").await;
    organisation(&api, "b").await;
    api.create("/api/v1/tenants/b/roles", &json!({"name": "theirs"}))
        .await;
    let console = Console::sign_in(&server, &api, &["org-admin:a"]).await;
    assert_eq!(
        console.get("/admin/tenants/a/roles").await.status,
        StatusCode::OK
    );
    for path in [
        "/admin/tenants/b/roles",
        "/admin/tenants/b/roles/theirs",
        "/admin/tenants/b/roles/theirs/delete",
    ] {
        let page = console.get(path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}: {}", page.body);
    }
    let res = console
        .post("/admin/tenants/b/roles/theirs/delete", &[])
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.body);
    api.get("/api/v1/tenants/b/roles/theirs").await;

    let url = console.url("/admin/tenants/a/roles");
    let res = console.browser.post_form(&url, &[("name", "x")]).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
    assert!(api.all("/api/v1/tenants/a/roles", "", 100).await.is_empty());
}
