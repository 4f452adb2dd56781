//! The audit log screen (`/admin/audit`) through real HTTP: filters by
//! action, organisation and time, pages with the API's cursor keeping the
//! filters, shows a refused filter by its field, and shows an
//! organisation admin only their organisations' events.

use super::{Console, link};
use crate::api::{Api, api_server, text};
use crate::support::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Tenants `x` and `y` with `n` users each, made with the API key.
async fn two_organisations(api: &Api, n: usize) {
    for slug in ["x", "y"] {
        api.create("/api/v1/tenants", &json!({"slug": slug, "name": slug}))
            .await;
        for i in 0..n {
            api.create(
                &format!("/api/v1/tenants/{slug}/users"),
                &json!({"email": format!("u{i}@{slug}.example")}),
            )
            .await;
        }
    }
}

/// How many event rows a page's table has.
fn rows(page: &Resp) -> usize {
    page.body
        .split("<tbody>")
        .nth(1)
        .map_or(0, |t| t.matches("<tr>").count())
}

/// Whether `page` shows the event `e` (its target id and action).
fn shows(page: &Resp, e: &Value) -> bool {
    page.body.contains(&text(&e["target"]["id"]))
        && page
            .body
            .contains(&format!("<code>{}</code>", text(&e["action"])))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_filters_by_action_and_organisation_and_pages_with_the_filters() {
    let server = api_server().await;
    let api = Api::new(&server);
    two_organisations(&api, 3).await;
    let console = Console::sign_in(&server, &api, &["owner"]).await;

    let page = console.get("/admin/audit").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for label in [
        "for=\"tenant\"",
        "for=\"actor\"",
        "for=\"action\"",
        "for=\"since\"",
        "for=\"until\"",
    ] {
        assert!(page.body.contains(label), "{label}: {}", page.body);
    }

    // By action: every user.create, nothing else.
    let created = api.audit("action=user.create").await;
    assert!(created.len() >= 6, "{created:?}");
    let page = console.get("/admin/audit?action=user.create").await;
    assert_eq!(rows(&page), created.len(), "{}", page.body);
    assert!(created.iter().all(|e| shows(&page, e)), "{}", page.body);
    assert!(
        !page.body.contains("<code>tenant.create</code>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("value=\"user.create\""), "{}", page.body);

    // By organisation, two at a time: the pages walk x's events once, and
    // the Next link keeps the filter.
    let of_x = api.audit("tenant=x").await;
    assert!(of_x.len() > 2, "{of_x:?}");
    let mut path = "/admin/audit?tenant=x&limit=2".to_owned();
    let mut seen = 0;
    for _ in 0..20 {
        let page = console.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
        assert!(rows(&page) <= 2, "{}", page.body);
        for e in &of_x[seen..seen + rows(&page)] {
            assert!(shows(&page, e), "{path}: {e} missing: {}", page.body);
        }
        seen += rows(&page);
        assert!(!page.body.contains("<td>y</td>"), "{}", page.body);
        match link(&page, "rel=\"next\"") {
            Some(next) => {
                assert!(
                    next.contains("tenant=x") && next.contains("limit=2"),
                    "{next}"
                );
                assert!(next.contains("cursor="), "{next}");
                path = next;
            }
            None => break,
        }
        assert!(seen > 0);
    }
    assert_eq!(seen, of_x.len());
    assert!(link(&console.get(&path).await, "First page").is_some() || of_x.len() <= 2);

    // By time: nothing before 2000, everything before 2999, and the actor
    // of the console's changes is the operator.
    let page = console.get("/admin/audit?until=2000-01-01").await;
    assert_eq!(rows(&page), 0, "{}", page.body);
    assert!(page.body.contains("id=\"no-events\""), "{}", page.body);
    let page = console
        .get("/admin/audit?tenant=y&since=2000-01-01&until=2999-01-01+00%3A00")
        .await;
    assert_eq!(
        rows(&page),
        api.audit("tenant=y").await.len(),
        "{}",
        page.body
    );
    // A time that is none: by its field, with what was typed.
    let page = console.get("/admin/audit?since=yesterday").await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    assert!(page.body.contains("id=\"since-error\""), "{}", page.body);
    assert!(page.body.contains("value=\"yesterday\""), "{}", page.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_consoles_changes_are_the_operators_and_an_org_admin_sees_only_theirs() {
    let server = api_server().await;
    let api = Api::new(&server);
    two_organisations(&api, 1).await;
    let owner = Console::sign_in(&server, &api, &["owner"]).await;
    let created = owner
        .post_and_follow(
            "/admin/tenants/y/users",
            &[("email", "by-console@y.example")],
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let page = owner.get("/admin/audit?tenant=y&action=user.create").await;
    assert_eq!(rows(&page), 2, "{}", page.body);
    assert!(page.body.contains(&owner.user.email), "{}", page.body);
    assert!(
        page.body.contains("<span class=\"badge\">operator</span>"),
        "{}",
        page.body
    );
    // The actor's link filters by them.
    let mine = link(&page, &format!(">{}</a>", owner.user.email)).expect("an actor link");
    let page = owner.get(&mine).await;
    let by_owner = api.audit(&format!("actor={}", owner.user.id)).await;
    assert_eq!(rows(&page), by_owner.len(), "{}", page.body);

    let admin = Console::sign_in(&server, &api, &["org-admin:x"]).await;
    let page = admin.get("/admin/audit").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let of_x = api.audit("tenant=x").await;
    assert!(of_x.iter().all(|e| shows(&page, e)), "{}", page.body);
    assert!(!page.body.contains("<td>y</td>"), "{}", page.body);
    assert!(!page.body.contains("by-console@y.example"), "{}", page.body);
    assert!(!page.body.contains("<td>platform</td>"), "{}", page.body);
    let page = admin.get("/admin/audit?tenant=y").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND, "{}", page.body);
    assert!(page.body.contains("id=\"tenant-error\""), "{}", page.body);
    assert_eq!(rows(&page), 0, "{}", page.body);

    // An auditor reads it all.
    let auditor = Console::sign_in(&server, &api, &["auditor"]).await;
    let page = auditor.get("/admin/audit?tenant=y").await;
    assert_eq!(
        rows(&page),
        api.audit("tenant=y").await.len(),
        "{}",
        page.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_screen_is_accessible_and_filters_with_the_keyboard() {
    let server = api_server().await;
    let api = Api::new(&server);
    two_organisations(&api, 2).await;
    let owner = crate::api::operators::operator(&server, &api, &["owner"]).await;
    let browser = Chromium::start().await;
    super::browser::keyboard_sign_in(&browser, &server.base_url, &owner).await;
    browser
        .goto(&format!("{}/admin/audit?limit=5", server.base_url))
        .await;
    browser.wait_for("#events").await;
    capture(&browser, "audit").await;
    browser.tab_to("#tenant").await;
    browser.type_text("x").await;
    browser.tab_to("#action").await;
    browser.type_text("user.create").await;
    browser.press(ENTER).await;
    browser.wait_for("a.button.secondary").await;
    let url = browser.url().await;
    assert!(
        url.contains("tenant=x") && url.contains("action=user.create"),
        "{url}"
    );
    let rows = browser
        .run(
            "return document.querySelectorAll('#events tbody tr').length;",
            json!([]),
        )
        .await;
    assert_eq!(rows, json!(2), "{}", browser.source().await);
    capture(&browser, "audit-filtered").await;
}
