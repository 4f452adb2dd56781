//! Platform settings in the console: the sign-up mode, tiers created,
//! edited and deleted (with a confirmation page), the API's 422 beside its
//! field, no change without the CSRF token, and no settings at all for an
//! organisation admin.

use super::browser::keyboard_sign_in;
use super::tenants::create_tier;
use super::{Console, console_server};
use crate::api::Req;
use crate::api::operators::operator;
use crate::support::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn signup_mode(api: &crate::api::Api) -> Value {
    api.get("/api/v1/platform/settings").await["signup"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_changes_the_sign_up_mode() {
    let (server, api) = console_server().await;
    let console = Console::sign_in(&server, &api, &["owner"]).await;
    let page = console.get("/admin/settings").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("<legend>"), "{}", page.body);
    assert!(
        page.body
            .contains("id=\"signup-approval\" name=\"signup\" value=\"approval\" checked"),
        "{}",
        page.body
    );
    assert_eq!(signup_mode(&api).await, "approval");

    let page = console
        .post_and_follow("/admin/settings/signup", &[("signup", "open")])
        .await;
    assert!(page.body.contains("Sign-up is now: Open."), "{}", page.body);
    assert!(
        page.body.contains("value=\"open\" checked"),
        "{}",
        page.body
    );
    assert_eq!(signup_mode(&api).await, "open");
    let events = api.audit("action=platform.settings.update").await;
    assert!(
        events.iter().any(|e| e["actor"]["kind"] == "operator"),
        "{events:?}"
    );

    // A value that is no mode: the API's reason beside the fieldset.
    let res = console
        .post("/admin/settings/signup", &[("signup", "sometimes")])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(
        res.body
            .contains("<p class=\"field-error\" id=\"signup-error\">")
    );
    assert!(res.body.contains("sometimes"), "{}", res.body);
    assert_eq!(signup_mode(&api).await, "open");

    // Without the CSRF token: 403, nothing changed.
    let res = console
        .browser
        .post_form(
            &console.url("/admin/settings/signup"),
            &[("signup", "closed")],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
    assert_eq!(signup_mode(&api).await, "open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tier_is_created_edited_and_deleted() {
    let (server, api) = console_server().await;
    let console = Console::sign_in(&server, &api, &["admin"]).await;
    let form = console.get("/admin/settings/tiers/_new").await;
    assert!(form.body.contains("<label for=\"users\">"), "{}", form.body);

    let page = console
        .post_and_follow(
            "/admin/settings/tiers",
            &[
                ("name", "small"),
                ("users", "10"),
                ("clients", ""),
                ("upstreams", "0"),
                ("api_keys", ""),
            ],
        )
        .await;
    assert!(page.body.contains("Tier small created."), "{}", page.body);
    assert!(page.body.contains("data-tier=\"small\""), "{}", page.body);
    let tier = api.get("/api/v1/tiers/small").await;
    assert_eq!(
        (&tier["users"], &tier["clients"], &tier["upstreams"]),
        (&json!(10), &Value::Null, &json!(0)),
        "{tier}"
    );

    // 422: each reason beside its field, the values typed kept.
    let res = console
        .post(
            "/admin/settings/tiers",
            &[("name", "Big Tier"), ("users", "-1"), ("clients", "many")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    for field in ["name", "users", "clients"] {
        assert!(
            res.body
                .contains(&format!("aria-describedby=\"{field}-error\""))
                || res.body.contains(&format!(" {field}-error\"")),
            "{field}: {}",
            res.body
        );
        assert!(
            res.body
                .contains(&format!("<p class=\"field-error\" id=\"{field}-error\">")),
            "{field}: {}",
            res.body
        );
    }
    assert!(res.body.contains("value=\"-1\""), "{}", res.body);
    // The same name again: the conflict beside the name.
    let res = console
        .post("/admin/settings/tiers", &[("name", "small")])
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.body);
    assert!(res.body.contains("id=\"name-error\""), "{}", res.body);

    let form = console.get("/admin/settings/tiers/small").await;
    assert!(
        form.body
            .contains("id=\"users\" name=\"users\" value=\"10\"")
    );
    let page = console
        .post_and_follow(
            "/admin/settings/tiers/small",
            &[
                ("users", "20"),
                ("clients", "3"),
                ("upstreams", ""),
                ("api_keys", ""),
            ],
        )
        .await;
    assert!(page.body.contains("Tier small saved."), "{}", page.body);
    let tier = api.get("/api/v1/tiers/small").await;
    assert_eq!((&tier["users"], &tier["clients"]), (&json!(20), &json!(3)));
    assert_eq!(tier["upstreams"], Value::Null, "{tier}");
    let res = console
        .post("/admin/settings/tiers/small", &[("users", "-5")])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(res.body.contains("id=\"users-error\""), "{}", res.body);
    assert_eq!(api.get("/api/v1/tiers/small").await["users"], 20);

    // Delete: a confirmation page, then gone.
    let confirm = console.get("/admin/settings/tiers/small/delete").await;
    assert_eq!(confirm.status, StatusCode::OK, "{}", confirm.body);
    assert!(
        confirm
            .body
            .contains("action=\"/admin/settings/tiers/small/delete\"")
    );
    let res = api.send(Req::get("/api/v1/tiers/small")).await;
    assert_eq!(res.status, StatusCode::OK);
    let page = console
        .post_and_follow("/admin/settings/tiers/small/delete", &[])
        .await;
    assert!(page.body.contains("Tier small deleted."), "{}", page.body);
    let res = api.send(Req::get("/api/v1/tiers/small")).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tier_in_use_is_not_deleted_and_org_admins_have_no_settings() {
    let (server, api) = console_server().await;
    server.create_tenant("acme");
    create_tier(&api, json!({"name": "pro"})).await;
    let res = api
        .send(Req::patch("/api/v1/tenants/acme", &json!({"tier": "pro"})))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let owner = Console::sign_in(&server, &api, &["owner"]).await;
    owner.get("/admin/settings/tiers/pro/delete").await;
    let page = owner
        .post_and_follow("/admin/settings/tiers/pro/delete", &[])
        .await;
    assert!(page.body.contains("notice bad"), "{}", page.body);
    assert_eq!(api.get("/api/v1/tiers/pro").await["name"], "pro");

    let org = Console::sign_in(&server, &api, &["org-admin:acme"]).await;
    let page = org.get("/admin").await;
    assert!(!page.body.contains("/admin/settings\""), "{}", page.body);
    for path in ["/admin/settings", "/admin/settings/tiers/pro"] {
        let res = org.get(path).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{path}: {}", res.body);
    }
    let res = org
        .post("/admin/settings/signup", &[("signup", "open")])
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.body);
    assert_eq!(signup_mode(&api).await, "approval");
}

/// WebDriver's code of the Down arrow: the next radio of a group (Tab
/// reaches only the checked one).
const ARROW_DOWN: &str = "\u{E015}";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_chromium_the_sign_up_mode_changes_with_the_keyboard_on_accessible_pages() {
    let (server, api) = console_server().await;
    create_tier(&api, json!({"name": "small", "users": 10})).await;
    let owner = operator(&server, &api, &["owner"]).await;
    let browser = Chromium::start().await;
    keyboard_sign_in(&browser, &server.base_url, &owner).await;
    let base = &server.base_url;
    for (path, ready, name) in [
        ("/admin/settings/tiers/_new", "#name", "tier-new"),
        ("/admin/settings/tiers/small", "#users", "tier"),
        (
            "/admin/settings/tiers/small/delete",
            "#confirm",
            "tier-delete",
        ),
        ("/admin/settings", "#tiers", "settings"),
    ] {
        browser.goto(&format!("{base}{path}")).await;
        browser.wait_for(ready).await;
        capture(&browser, name).await;
    }
    // Approval is checked; the Down arrow moves to Open.
    browser.tab_to("#signup-approval").await;
    browser.press(ARROW_DOWN).await;
    browser.tab_to("#save-signup").await;
    browser.press(ENTER).await;
    let notice = browser.wait_for(".notice.ok").await;
    assert!(
        browser
            .text(&notice)
            .await
            .contains("Sign-up is now: Open.")
    );
    assert_eq!(signup_mode(&api).await, "open");

    // A refused form, as the browser shows it: the reason beside the field.
    browser
        .goto(&format!("{base}/admin/settings/tiers/_new"))
        .await;
    browser.wait_for("#name").await;
    browser.tab_to("#name").await;
    browser.type_text("Not A Name").await;
    browser.tab_to("#save-tier").await;
    browser.press(ENTER).await;
    browser.wait_for("#name-error").await;
    capture(&browser, "tier-refused").await;
}
