//! Who may do what on the clients screen: an auditor reads without forms
//! and a forged POST changes nothing; another organisation's admin gets
//! 404; a form without its CSRF token is refused; and no page but the
//! one-time display ever holds a client secret.

use super::super::{Console, console_server};
use super::{NEW_SERVICE, api_client, between, organisation};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auditor_reads_clients_without_forms_and_a_forged_post_changes_nothing() {
    let (server, api) = console_server().await;
    organisation(&api, "acme").await;
    let id = api_client(&api, "acme", "Read me").await["client_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let console = Console::sign_in(&server, &api, &["auditor"]).await;
    let list = console.get("/admin/tenants/acme/clients").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(list.body.contains(&id), "{}", list.body);
    assert!(!list.body.contains("id=\"new-client\""), "{}", list.body);
    let path = format!("/admin/tenants/acme/clients/{id}");
    let page = console.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("https://app.example/cb"),
        "{}",
        page.body
    );
    // The only POST form is signing out.
    assert_eq!(
        page.body.matches("method=\"post\"").count(),
        1,
        "{}",
        page.body
    );
    for form in [
        "/admin/tenants/acme/clients/new".to_owned(),
        format!("{path}/delete"),
    ] {
        assert_eq!(
            console.get(&form).await.status,
            StatusCode::FORBIDDEN,
            "{form}"
        );
    }

    let before = api.get(&format!("/api/v1/tenants/acme/clients/{id}")).await;
    let forged = [
        (
            "/admin/tenants/acme/clients".to_owned(),
            NEW_SERVICE.to_vec(),
        ),
        (
            path.clone(),
            vec![
                ("name", "Hacked"),
                ("redirect_uris", "https://evil.example/cb"),
            ],
        ),
        (format!("{path}/secret"), vec![]),
        (format!("{path}/delete"), vec![]),
    ];
    for (to, form) in &forged {
        let res = console.post(to, form).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{to}: {}", res.body);
    }
    let after = api.get(&format!("/api/v1/tenants/acme/clients/{id}")).await;
    assert_eq!(before, after);
    let all = api.all("/api/v1/tenants/acme/clients", "", 100).await;
    assert_eq!(all.len(), 1, "{all:?}");
    assert!(
        api.audit("tenant=acme&action=client.secret.rotate")
            .await
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_org_admin_gets_404_for_another_organisations_clients_and_forms_need_csrf() {
    let (server, api) = console_server().await;
    organisation(&api, "a").await;
    organisation(&api, "b").await;
    let theirs = api_client(&api, "b", "Theirs").await["client_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let console = Console::sign_in(&server, &api, &["org-admin:a"]).await;
    assert_eq!(
        console.get("/admin/tenants/a/clients").await.status,
        StatusCode::OK
    );
    assert_eq!(
        console.get("/admin/tenants/a/clients/new").await.status,
        StatusCode::OK
    );
    for path in [
        "/admin/tenants/b/clients".to_owned(),
        "/admin/tenants/b/clients/new".to_owned(),
        format!("/admin/tenants/b/clients/{theirs}"),
        format!("/admin/tenants/b/clients/{theirs}/delete"),
    ] {
        let page = console.get(&path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}: {}", page.body);
        assert!(!page.body.contains("Theirs"), "{}", page.body);
    }
    let res = console.post("/admin/tenants/b/clients", NEW_SERVICE).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.body);
    let res = console
        .post(&format!("/admin/tenants/b/clients/{theirs}/delete"), &[])
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.body);
    assert_eq!(api.all("/api/v1/tenants/b/clients", "", 100).await.len(), 1);

    // Without the CSRF token, or with another, nothing is created.
    let url = console.url("/admin/tenants/a/clients");
    let res = console.browser.post_form(&url, NEW_SERVICE).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
    let mut wrong = vec![("csrf", "forged")];
    wrong.extend_from_slice(NEW_SERVICE);
    let res = console.browser.post_form(&url, &wrong).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
    assert!(
        api.all("/api/v1/tenants/a/clients", "", 100)
            .await
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_page_but_the_one_time_display_holds_a_secret() {
    let (server, api) = console_server().await;
    organisation(&api, "acme").await;
    api.create("/api/v1/tenants/acme/roles", &json!({"name": "r"}))
        .await;
    let console = Console::sign_in(&server, &api, &["owner"]).await;
    let created = console
        .post("/admin/tenants/acme/clients", NEW_SERVICE)
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let id = between(&created.body, "<code id=\"client-id\">", "</code>").to_owned();
    let first = between(&created.body, "<code id=\"client-secret\">", "</code>").to_owned();
    let path = format!("/admin/tenants/acme/clients/{id}");
    let rotated = console.post(&format!("{path}/secret"), &[]).await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.body);
    let second = between(&rotated.body, "<code id=\"client-secret\">", "</code>").to_owned();
    // A change's notice (a cookie) never carries one either.
    let saved = console
        .post(
            &path,
            &[
                ("name", "Billing"),
                ("redirect_uris", "https://billing.example/cb"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    for res in [&created, &rotated, &saved] {
        let cookies = res.header_all("set-cookie").join("\n");
        assert!(
            !cookies.contains(&first) && !cookies.contains(&second),
            "{cookies}"
        );
    }
    let pages = [
        "/admin".to_owned(),
        "/admin/audit".to_owned(),
        "/admin/tenants/acme/clients".to_owned(),
        "/admin/tenants/acme/clients/new".to_owned(),
        path.clone(),
        format!("{path}/delete"),
        "/admin/tenants/acme/roles".to_owned(),
        "/admin/tenants/acme/roles/r".to_owned(),
        "/admin/tenants/acme/roles/r/delete".to_owned(),
        "/admin/tenants/acme/keys".to_owned(),
        "/admin/tenants/acme/keys/rotate".to_owned(),
    ];
    for page in &pages {
        let res = console.get(page).await;
        assert_eq!(res.status, StatusCode::OK, "{page}: {}", res.body);
        for secret in [&first, &second] {
            assert!(!res.body.contains(secret.as_str()), "{page} shows a secret");
        }
    }
    let api_pages = [
        format!("/api/v1/tenants/acme/clients/{id}"),
        "/api/v1/tenants/acme/clients".to_owned(),
        "/api/v1/audit-events?tenant=acme".to_owned(),
    ];
    for page in &api_pages {
        let body = api.get(page).await.to_string();
        assert!(
            !body.contains(&first) && !body.contains(&second),
            "{page}: {body}"
        );
    }
}
