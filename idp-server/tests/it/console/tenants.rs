//! Organisations in the console: the owner approves a pending one (the
//! audit log names the operator); suspend, reject and delete confirm on a
//! page of their own; create, search, rename and tier; an organisation
//! admin sees only theirs; an auditor sees every page without a form that
//! changes anything, and a forged POST changes nothing; no change without
//! the CSRF token.

use super::browser::keyboard_sign_in;
use super::{Console, console_server};
use crate::api::Req;
use crate::api::operators::operator;
use crate::support::*;
use reqwest::StatusCode;
use serde_json::json;

/// `tenant create SLUG --pending`: an organisation waiting for approval,
/// as a sign-up makes it.
fn pending(server: &TestServer, slug: &str) {
    let created = server.cli_json(&["tenant", "create", slug, "--pending", "--json"], None);
    assert_eq!(created["state"], "pending", "{created}");
}

/// A tier made through the API (tiers have a name, no id).
pub(super) async fn create_tier(api: &crate::api::Api, body: serde_json::Value) {
    let res = api.send(Req::post("/api/v1/tiers", &body)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
}

/// The `action`s of the page's POST forms.
fn post_actions(body: &str) -> Vec<String> {
    body.split("<form method=\"post\" action=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap_or_default().to_owned())
        .collect()
}

async fn state(api: &crate::api::Api, slug: &str) -> String {
    api.get(&format!("/api/v1/tenants/{slug}")).await["state"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_approves_a_pending_organisation_and_the_audit_log_names_them() {
    let (server, api) = console_server().await;
    server.create_tenant("alpha");
    pending(&server, "beta");
    let console = Console::sign_in(&server, &api, &["owner"]).await;

    let list = console.get("/admin/tenants").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(list.body.contains("Pending approval (1)"), "{}", list.body);
    assert!(list.body.contains("data-slug=\"alpha\""), "{}", list.body);
    // The approvals queue: pending ones only, each with its decision.
    let queue = console.get("/admin/tenants?state=pending").await;
    assert!(queue.body.contains("data-slug=\"beta\""), "{}", queue.body);
    assert!(
        !queue.body.contains("data-slug=\"alpha\""),
        "{}",
        queue.body
    );
    assert!(
        post_actions(&queue.body).contains(&"/admin/tenants/beta/approve".to_owned()),
        "{}",
        queue.body
    );
    assert!(queue.body.contains("href=\"/admin/tenants/beta/reject\""));

    let page = console
        .post_and_follow("/admin/tenants/beta/approve", &[])
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("Approved: beta is active"),
        "{}",
        page.body
    );
    assert!(page.body.contains("id=\"state\">Active<"), "{}", page.body);
    assert_eq!(state(&api, "beta").await, "active");
    let events = api.audit("tenant=beta&action=tenant.approve").await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["actor"]["kind"], "operator", "{events:?}");
    assert_eq!(events[0]["actor"]["id"], console.user.id.as_str());
    let list = console.get("/admin/tenants").await;
    assert!(!list.body.contains("Pending approval ("), "{}", list.body);

    // Approving it again is the API's conflict, shown as a notice.
    let page = console
        .post_and_follow("/admin/tenants/beta/approve", &[])
        .await;
    assert!(
        page.body.contains("only a pending tenant can be approved"),
        "{}",
        page.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suspend_reject_and_delete_confirm_on_a_page_of_their_own() {
    let (server, api) = console_server().await;
    server.create_tenant("acme");
    pending(&server, "spam");
    let console = Console::sign_in(&server, &api, &["owner"]).await;

    // The overview links to the confirmation; it posts nothing itself.
    let page = console.get("/admin/tenants/acme").await;
    assert!(page.body.contains("href=\"/admin/tenants/acme/suspend\""));
    assert!(
        !post_actions(&page.body)
            .iter()
            .any(|a| a.ends_with("/suspend"))
    );
    let confirm = console.get("/admin/tenants/acme/suspend").await;
    assert_eq!(confirm.status, StatusCode::OK, "{}", confirm.body);
    assert!(
        confirm.body.contains("<textarea id=\"reason\""),
        "{}",
        confirm.body
    );
    assert!(post_actions(&confirm.body).contains(&"/admin/tenants/acme/suspend".to_owned()));

    // Without a reason: the API's 422 beside the field; nothing changed.
    let res = console
        .post("/admin/tenants/acme/suspend", &[("reason", "")])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(res.body.contains("id=\"reason-error\""), "{}", res.body);
    assert_eq!(state(&api, "acme").await, "active");

    let page = console
        .post_and_follow(
            "/admin/tenants/acme/suspend",
            &[("reason", "unpaid invoice")],
        )
        .await;
    assert!(page.body.contains("unpaid invoice"), "{}", page.body);
    assert_eq!(state(&api, "acme").await, "suspended");
    assert!(post_actions(&page.body).contains(&"/admin/tenants/acme/reactivate".to_owned()));
    console
        .post_and_follow("/admin/tenants/acme/reactivate", &[])
        .await;
    assert_eq!(state(&api, "acme").await, "active");
    // Rejecting an active one is not offered.
    let res = console.get("/admin/tenants/acme/reject").await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.body);

    console.get("/admin/tenants/spam/reject").await;
    console
        .post_and_follow(
            "/admin/tenants/spam/reject",
            &[("reason", "not a real company")],
        )
        .await;
    assert_eq!(state(&api, "spam").await, "rejected");

    let confirm = console.get("/admin/tenants/spam/delete").await;
    assert!(
        confirm.body.contains("cannot be undone"),
        "{}",
        confirm.body
    );
    let list = console
        .post_and_follow("/admin/tenants/spam/delete", &[])
        .await;
    assert!(
        list.body.contains("Organisation spam deleted."),
        "{}",
        list.body
    );
    let res = api.send(Req::get("/api/v1/tenants/spam")).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);

    // The platform's own tenant is listed but has no lifecycle.
    let page = console.get("/admin/tenants/platform").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(!page.body.contains("/admin/tenants/platform/suspend"));
    assert!(!page.body.contains("/admin/tenants/platform/delete"));
    let res = console.get("/admin/tenants/platform/delete").await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_creates_searches_renames_and_sets_a_tier() {
    let (server, api) = console_server().await;
    server.create_tenant("bravo");
    create_tier(&api, json!({"name": "small", "users": 5})).await;
    let console = Console::sign_in(&server, &api, &["admin"]).await;

    let form = console.get("/admin/tenants/_new").await;
    assert!(form.body.contains("<label for=\"slug\">"), "{}", form.body);
    let page = console
        .post_and_follow(
            "/admin/tenants",
            &[("slug", "acme-two"), ("name", "Acme Two")],
        )
        .await;
    let issuer = format!("{}/t/acme-two", server.base_url);
    assert!(
        page.body
            .contains(&format!("<code id=\"issuer\">{issuer}</code>"))
    );
    assert!(page.body.contains(&format!(
        "<code id=\"discovery\">{issuer}/.well-known/openid-configuration</code>"
    )));
    // The same slug again: the API's conflict beside the slug, typed values kept.
    let res = console
        .post("/admin/tenants", &[("slug", "acme-two"), ("name", "Again")])
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.body);
    assert!(res.body.contains("id=\"slug-error\""), "{}", res.body);
    assert!(res.body.contains("value=\"Again\""), "{}", res.body);
    let res = console
        .post("/admin/tenants", &[("slug", "Not A Slug"), ("name", "")])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(res.body.contains("id=\"slug-error\""), "{}", res.body);

    // Search by ID prefix, and by name prefix.
    let found = console.get("/admin/tenants?q=acme").await;
    assert!(
        found.body.contains("data-slug=\"acme-two\""),
        "{}",
        found.body
    );
    assert!(
        !found.body.contains("data-slug=\"bravo\""),
        "{}",
        found.body
    );
    let found = console.get("/admin/tenants?q=Acme+T").await;
    assert!(
        found.body.contains("data-slug=\"acme-two\""),
        "{}",
        found.body
    );
    let found = console.get("/admin/tenants?q=zzz").await;
    assert!(found.body.contains("id=\"no-tenants\""), "{}", found.body);

    let page = console
        .post_and_follow("/admin/tenants/bravo", &[("name", "Bravo Ltd")])
        .await;
    assert!(page.body.contains("<h1>Bravo Ltd</h1>"), "{}", page.body);
    assert_eq!(api.get("/api/v1/tenants/bravo").await["name"], "Bravo Ltd");
    let res = console
        .post("/admin/tenants/bravo", &[("name", "Bravo\u{202e}Ltd")])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(
        res.body
            .contains("<p class=\"field-error\" id=\"name-error\">")
    );
    assert!(res.body.contains("aria-describedby=\"name-error\""));
    assert_eq!(api.get("/api/v1/tenants/bravo").await["name"], "Bravo Ltd");

    let page = console.get("/admin/tenants/bravo").await;
    assert!(page.body.contains("<option value=\"small\">small</option>"));
    let page = console
        .post_and_follow("/admin/tenants/bravo/tier", &[("tier", "small")])
        .await;
    assert!(
        page.body.contains("id=\"tier-name\">small<"),
        "{}",
        page.body
    );
    assert_eq!(
        api.get("/api/v1/tenants/bravo/usage").await["tier"],
        "small"
    );
    // A tier that does not exist: the API's reason beside the select.
    let res = console
        .post("/admin/tenants/bravo/tier", &[("tier", "gold")])
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.body);
    assert!(res.body.contains("id=\"tier-error\""), "{}", res.body);
    assert_eq!(
        api.get("/api/v1/tenants/bravo/usage").await["tier"],
        "small"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organisation_admin_sees_only_their_organisation() {
    let (server, api) = console_server().await;
    server.create_tenant("a");
    server.create_tenant("b");
    let console = Console::sign_in(&server, &api, &["org-admin:a"]).await;

    let list = console.get("/admin/tenants").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(list.body.contains("data-slug=\"a\""), "{}", list.body);
    assert!(!list.body.contains("data-slug=\"b\""), "{}", list.body);
    assert!(
        !list.body.contains("data-slug=\"platform\""),
        "{}",
        list.body
    );
    assert!(!list.body.contains("id=\"new-tenant\""), "{}", list.body);
    for path in [
        "/admin/tenants/b",
        "/admin/?tenant=b",
        "/admin/tenants/b/delete",
    ] {
        let res = console.get(path).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{path}: {}", res.body);
    }
    let res = console.get("/admin?tenant=b").await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.body);
    let res = console
        .post("/admin/tenants/b", &[("name", "Mine now")])
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.body);
    assert_eq!(api.get("/api/v1/tenants/b").await["name"], "b Inc.");

    // Their own: renamed, but no lifecycle, deletion or tier.
    let page = console.get("/admin/tenants/a").await;
    let actions = post_actions(&page.body);
    assert!(
        actions.contains(&"/admin/tenants/a".to_owned()),
        "{actions:?}"
    );
    assert!(!page.body.contains("id=\"suspend\""), "{}", page.body);
    assert!(!page.body.contains("id=\"delete\""), "{}", page.body);
    assert!(!page.body.contains("id=\"tier\""), "{}", page.body);
    let res = console
        .post("/admin/tenants/a/suspend", &[("reason", "x")])
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
    assert_eq!(state(&api, "a").await, "active");
    // Their dashboard is their organisation's.
    let page = console.get("/admin").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("<option value=\"a\" selected>"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("All organisations"), "{}", page.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auditor_reads_every_page_and_changes_nothing() {
    let (server, api) = console_server().await;
    server.create_tenant("acme");
    pending(&server, "beta");
    create_tier(&api, json!({"name": "small"})).await;
    let console = Console::sign_in(&server, &api, &["auditor"]).await;
    for path in [
        "/admin",
        "/admin/tenants",
        "/admin/tenants?state=pending",
        "/admin/tenants/beta",
        "/admin/tenants/acme",
        "/admin/settings",
        "/admin/settings/tiers/small",
    ] {
        let page = console.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
        assert_eq!(
            post_actions(&page.body),
            ["/admin/logout"],
            "{path} offers a change: {}",
            page.body
        );
    }
    let res = console.get("/admin/tenants/acme/suspend").await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);

    // Forged posts: the API refuses (403) and nothing changes.
    let res = console.post("/admin/tenants/beta/approve", &[]).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
    assert_eq!(state(&api, "beta").await, "pending");
    let res = console
        .post("/admin/tenants", &[("slug", "forged"), ("name", "")])
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
    let res = api.send(Req::get("/api/v1/tenants/forged")).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let res = console.post("/admin/tenants/acme/delete", &[]).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
    assert_eq!(state(&api, "acme").await, "active");
    let events = api.audit("tenant=beta&action=tenant.approve").await;
    assert!(events.is_empty(), "{events:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_without_the_csrf_token_changes_nothing() {
    let (server, api) = console_server().await;
    pending(&server, "beta");
    let console = Console::sign_in(&server, &api, &["owner"]).await;
    console.get("/admin/tenants").await;
    for (path, form) in [
        ("/admin/tenants/beta/approve", vec![]),
        ("/admin/tenants", vec![("slug", "sneaky")]),
        ("/admin/tenants/beta/delete", vec![]),
    ] {
        let url = console.url(path);
        let res = console.browser.post_form(&url, &form).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{path}: {}", res.body);
        let mut wrong = form.clone();
        wrong.push(("csrf", "not-the-token"));
        let res = console.browser.post_form(&url, &wrong).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{path}: {}", res.body);
    }
    assert_eq!(state(&api, "beta").await, "pending");
    let res = api.send(Req::get("/api/v1/tenants/sneaky")).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_list_pages_with_the_api_cursor_and_search_walks_the_pages() {
    let (server, api) = console_server().await;
    for i in 0..55 {
        let slug = format!("org-{i:02}");
        let res = api
            .send(Req::post("/api/v1/tenants", &json!({"slug": slug})))
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    }
    let console = Console::sign_in(&server, &api, &["owner"]).await;
    let rows = |body: &str| body.matches("<tr data-slug=").count();
    let first = console.get("/admin/tenants").await;
    assert_eq!(rows(&first.body), 50, "{}", first.body);
    assert!(first.body.contains("data-slug=\"org-00\""));
    assert!(!first.body.contains("id=\"first-page\""));
    let next = first
        .body
        .split("<a href=\"")
        .find_map(|s| s.split_once("\" id=\"next-page\"").map(|(href, _)| href))
        .unwrap_or_else(|| panic!("no next page: {}", first.body))
        .replace("&amp;", "&");
    let second = console.get(&next).await;
    // 55 organisations and the platform's own: 6 on the second page.
    assert_eq!(rows(&second.body), 6, "{}", second.body);
    assert!(second.body.contains("data-slug=\"platform\""));
    assert!(second.body.contains("id=\"first-page\""));
    assert!(!second.body.contains("id=\"next-page\""));

    // A search filters the whole list, not one page of it.
    let found = console.get("/admin/tenants?q=org-5").await;
    assert_eq!(rows(&found.body), 5, "{}", found.body);
    assert!(found.body.contains("data-slug=\"org-54\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_chromium_the_owner_approves_with_the_keyboard_on_accessible_pages() {
    let (server, api) = console_server().await;
    server.create_tenant("acme");
    pending(&server, "beta");
    let owner = operator(&server, &api, &["owner"]).await;
    let browser = Chromium::start().await;
    keyboard_sign_in(&browser, &server.base_url, &owner).await;
    let base = &server.base_url;
    for (path, ready, name) in [
        ("/admin/tenants", "#tenants", "organisations"),
        (
            "/admin/tenants?state=pending",
            "#tenants",
            "organisations-pending",
        ),
        ("/admin/tenants/_new", "#slug", "organisation-new"),
        ("/admin/tenants/acme", "#issuer", "organisation"),
        (
            "/admin/tenants/acme/suspend",
            "#reason",
            "organisation-suspend",
        ),
        (
            "/admin/tenants/acme/delete",
            "#confirm",
            "organisation-delete",
        ),
        ("/admin/tenants/beta", "#approve", "organisation-pending"),
    ] {
        browser.goto(&format!("{base}{path}")).await;
        browser.wait_for(ready).await;
        capture(&browser, name).await;
    }
    // On the pending organisation's page: Tab to Approve, Enter.
    browser.tab_to("#approve").await;
    browser.press(ENTER).await;
    let notice = browser.wait_for(".notice.ok").await;
    assert!(browser.text(&notice).await.contains("Approved: beta"));
    assert_eq!(state(&api, "beta").await, "active");
    let events = api.audit("tenant=beta&action=tenant.approve").await;
    assert_eq!(events[0]["actor"]["id"], owner.id.as_str(), "{events:?}");
}

/// The users row of an overview's usage table: what it says is in use.
fn users_in_use(body: &str) -> String {
    let row = body
        .split("<tr><td>Users</td><td>")
        .nth(1)
        .unwrap_or_else(|| panic!("no users row: {body}"));
    row.split(['<', ' ']).next().unwrap_or_default().to_owned()
}

/// The overview's counts are kept for a minute (counting a large
/// organisation's users is slow), but a change made in the console shows
/// at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_counts_follow_the_consoles_own_changes_at_once() {
    let (server, api) = console_server().await;
    server.cli_json(&["tenant", "create", "alpha", "--json"], None);
    let console = Console::sign_in(&server, &api, &["owner"]).await;
    let page = console.get("/admin/tenants/alpha").await;
    assert_eq!(users_in_use(&page.body), "0");
    // Made elsewhere: the cached count may lag (up to a minute).
    server.create_user("alpha", "cli@alpha.test", "Cli", PASSWORD);
    // Made in the console: counted again at once.
    let res = console
        .post(
            "/admin/tenants/alpha/users",
            &[("email", "ui@alpha.test"), ("name", "Ui")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let page = console.get("/admin/tenants/alpha").await;
    assert_eq!(users_in_use(&page.body), "2");
}

/// The create pages sit at `_new`, a name no organisation or tier can
/// have: an organisation and a tier both named `new` open their own pages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organisation_and_a_tier_named_new_have_their_own_pages() {
    let (server, api) = console_server().await;
    server.cli_json(
        &["tenant", "create", "new", "--name", "Newco", "--json"],
        None,
    );
    let res = api
        .send(Req::post(
            "/api/v1/tiers",
            &json!({"name": "new", "users": 7}),
        ))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let console = Console::sign_in(&server, &api, &["owner"]).await;
    let page = console.get("/admin/tenants/new").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Newco") && page.body.contains("id=\"issuer\""),
        "{}",
        page.body
    );
    let page = console.get("/admin/settings/tiers/new").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("value=\"7\""), "{}", page.body);
    let page = console.get("/admin/tenants/_new").await;
    assert!(page.body.contains("id=\"slug\""), "{}", page.body);
}
