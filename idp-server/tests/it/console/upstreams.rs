//! The upstreams screen (`/admin/tenants/{slug}/upstreams…`) and the user
//! page's linked identities through real HTTP: add an upstream (errors
//! beside their fields, the secret never echoed), its page with the
//! callback URL, change it (an empty secret keeps the old one), delete it
//! behind a confirmation page; a user's identities listed and unlinked
//! behind a confirmation, never the last way to sign in.

use super::clients::{between, organisation};
use super::{Console, console_server};
use crate::api::Req;
use reqwest::StatusCode;
use serde_json::json;

const SECRET: &str = "console-upstream-secret-7Hq";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstreams_are_added_changed_and_deleted() {
    let (server, api) = console_server().await;
    organisation(&api, "acme").await;
    let console = Console::sign_in(&server, &api, &["owner"]).await;
    let page = console.get("/admin/tenants/acme/upstreams").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("id=\"no-upstreams\""), "{}", page.body);

    // An oidc upstream without an issuer: the reason beside the issuer,
    // what was typed kept, the secret not.
    let res = console
        .post(
            "/admin/tenants/acme/upstreams",
            &[
                ("kind", "oidc"),
                ("name", "Corp"),
                ("client_id", "corp-client"),
                ("client_secret", SECRET),
                ("signup", "on"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    let error = between(
        &res.body,
        "<p class=\"field-error\" id=\"issuer-error\">",
        "</p>",
    );
    assert!(error.contains("issuer is required"), "{error}");
    assert!(res.body.contains("value=\"corp-client\""), "{}", res.body);
    assert!(!res.body.contains(SECRET), "the secret echoed");

    let page = console
        .post_and_follow(
            "/admin/tenants/acme/upstreams",
            &[
                ("kind", "github"),
                ("name", "GitHub"),
                ("client_id", "gh-client"),
                ("client_secret", SECRET),
                ("signup", "on"),
            ],
        )
        .await;
    assert!(
        page.body.contains("Upstream GitHub added."),
        "{}",
        page.body
    );
    assert!(!page.body.contains(SECRET), "the secret on the page");
    let listed = api.get("/api/v1/tenants/acme/upstreams").await;
    let id = listed["items"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let callback = listed["items"][0]["callback_url"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        page.body.contains(&callback),
        "no callback URL: {}",
        page.body
    );
    assert_eq!(listed["items"][0]["signup"], true);
    assert_eq!(listed["items"][0]["auto_link"], false);

    // Edit: rename, automatic linking on, sign-up off; the secret left
    // empty stays (the API shows no secret: the audit log says whether it
    // changed).
    let path = format!("/admin/tenants/acme/upstreams/{id}");
    let page = console
        .post_and_follow(
            &path,
            &[
                ("name", "GitHub Corp"),
                ("client_id", "gh-client"),
                ("client_secret", ""),
                ("auto_link", "on"),
            ],
        )
        .await;
    assert!(page.body.contains("Upstream saved."), "{}", page.body);
    let got = api
        .get(&format!("/api/v1/tenants/acme/upstreams/{id}"))
        .await;
    assert_eq!(
        (&got["name"], &got["signup"], &got["auto_link"]),
        (&json!("GitHub Corp"), &json!(false), &json!(true))
    );
    let updates = api.audit("tenant=acme&action=upstream.update").await;
    assert!(
        updates[0]["changes"].get("client_secret").is_none(),
        "{updates:?}"
    );
    let page = console
        .post_and_follow(
            &path,
            &[
                ("name", "GitHub Corp"),
                ("client_id", "gh-client"),
                ("client_secret", "a new one"),
            ],
        )
        .await;
    assert!(page.body.contains("Upstream saved."), "{}", page.body);
    let updates = api.audit("tenant=acme&action=upstream.update").await;
    assert_eq!(
        updates[1]["changes"]["client_secret"], "[changed]",
        "{updates:?}"
    );

    // An auditor reads the page, without forms.
    let auditor = Console::sign_in(&server, &api, &["auditor"]).await;
    let page = auditor.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&callback));
    assert!(
        !page
            .body
            .contains("<form method=\"post\" action=\"/admin/tenants"),
        "{}",
        page.body
    );

    // Delete behind a confirmation page.
    let confirm = console.get(&format!("{path}/delete")).await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert!(
        confirm.body.contains("id=\"confirm-delete\""),
        "{}",
        confirm.body
    );
    let page = console
        .post_and_follow(&format!("{path}/delete"), &[])
        .await;
    assert!(page.body.contains("Upstream deleted."), "{}", page.body);
    let gone = api
        .send(Req::get(&format!("/api/v1/tenants/acme/upstreams/{id}")))
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let events = serde_json::to_string(&api.audit("tenant=acme").await).unwrap_or_default();
    assert!(!events.contains(SECRET), "a secret in the audit log");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_users_identities_are_shown_and_unlinked_never_the_last() {
    let (server, api) = console_server().await;
    organisation(&api, "acme").await;
    let tenant = api.get("/api/v1/tenants/acme").await;
    let user = api
        .create(
            "/api/v1/tenants/acme/users",
            &json!({"email": "ada@example.com"}),
        )
        .await;
    let user_id = user["id"].as_str().unwrap_or_default().to_owned();
    let upstream = api
        .create(
            "/api/v1/tenants/acme/upstreams",
            &json!({"kind": "github", "name": "GitHub", "client_id": "c", "client_secret": SECRET}),
        )
        .await;
    let upstream_id = upstream["id"].as_str().unwrap_or_default().to_owned();
    let console = Console::sign_in(&server, &api, &["owner"]).await;
    let user_page = format!("/admin/tenants/acme/users/{user_id}");
    let page = console.get(&user_page).await;
    assert!(page.body.contains("id=\"no-identities\""), "{}", page.body);

    for subject in ["tid/oid", "42"] {
        crate::api::upstreams::link(
            &server.database_url,
            tenant["id"].as_str().unwrap_or_default(),
            &upstream_id,
            subject,
            &user_id,
        )
        .await;
    }
    let page = console.get(&user_page).await;
    let table = between(&page.body, "<table id=\"linked-identities\">", "</table>");
    assert!(
        table.contains("GitHub") && table.contains("tid/oid") && table.contains("42"),
        "{table}"
    );
    assert!(table.contains("linked@example.com"), "{table}");

    let unlink = format!("{user_page}/identities/{upstream_id}/tid%2Foid/unlink");
    assert!(page.body.contains(&unlink), "no unlink link: {}", page.body);
    let confirm = console.get(&unlink).await;
    assert_eq!(confirm.status, StatusCode::OK, "{}", confirm.body);
    assert!(confirm.body.contains("tid/oid"), "{}", confirm.body);
    let page = console.post_and_follow(&unlink, &[]).await;
    assert!(page.body.contains("Identity unlinked."), "{}", page.body);
    assert!(!page.body.contains("tid/oid"), "{}", page.body);

    // The last one stays: the refusal is the page's notice.
    let last = format!("{user_page}/identities/{upstream_id}/42/unlink");
    let page = console.post_and_follow(&last, &[]).await;
    assert!(page.body.contains("last way to sign in"), "{}", page.body);
    let linked = api
        .get(&format!("/api/v1/tenants/acme/users/{user_id}/identities"))
        .await;
    assert_eq!(linked["items"].as_array().map(Vec::len), Some(1));
    // An identity the user does not have has no page.
    let none = console
        .get(&format!(
            "{user_page}/identities/{upstream_id}/nobody/unlink"
        ))
        .await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);
}
