//! The platform owner (issue 17) through the real CLI and HTTP: `owner
//! create` without a password prints a one-time set-up link whose page
//! (CSRF, labels) sets the password once, then says the link is no longer
//! valid (410, never a 500); the owner then signs in through the code flow
//! and calls the admin API. With a password the owner signs in at once.
//! `PLATFORM_OWNER_EMAIL` creates the owner on first start with one link,
//! and a restart while that link works issues no other.

use super::operators::Console;
use super::{Api, Req, api_server, text};
use crate::support::*;
use reqwest::StatusCode;

/// The `setup_link` of `owner create --email EMAIL --json`.
fn owner_create(server: &TestServer, email: &str, password: Option<&str>) -> serde_json::Value {
    let mut args = vec!["owner", "create", "--email", email, "--json"];
    if password.is_some() {
        args.push("--password-stdin");
    }
    let stdin = password.map(|p| format!("{p}\n"));
    server.cli_json(&args, stdin.as_deref())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_set_up_link_sets_the_owners_password_once() {
    let server = api_server().await;
    let api = Api::new(&server);
    let created = owner_create(&server, "boss@platform.example", None);
    let link = text(&created["setup_link"]);
    assert!(
        link.starts_with(&format!("{}/t/platform/setup?token=", server.base_url)),
        "{created}"
    );
    let owner = User {
        id: text(&created["id"]),
        email: "boss@platform.example".into(),
        name: String::new(),
        password: "A long owner passphrase".into(),
    };
    let browser = Browser::new();
    let page = browser.get(&link).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("<label for=\"password\">"),
        "{}",
        page.body
    );
    let form = page
        .form_with("name=\"password_confirm\"")
        .unwrap_or_else(|| panic!("no set-up form: {}", page.body));
    // Without the CSRF cookie the form is refused.
    let stranger = Browser::new();
    let res = stranger
        .submit(&form, &[("password", "x"), ("password_confirm", "x")])
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
    let res = browser
        .submit(&form, &[("password", "one"), ("password_confirm", "two")])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    let pw = owner.password.as_str();
    let res = browser
        .submit(&form, &[("password", pw), ("password_confirm", pw)])
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(res.body.contains("Your password is set"), "{}", res.body);
    // Used: a clear page, for the link and for the form sent again.
    let res = browser.get(&link).await;
    assert_eq!(res.status, StatusCode::GONE, "{}", res.body);
    assert!(res.body.contains("no longer valid"), "{}", res.body);
    let res = browser
        .submit(
            &form,
            &[("password", "again"), ("password_confirm", "again")],
        )
        .await;
    assert_eq!(res.status, StatusCode::GONE, "{}", res.body);
    let res = Browser::new()
        .get(&format!("{}/t/platform/setup?token=nope", server.base_url))
        .await;
    assert_eq!(res.status, StatusCode::GONE, "{}", res.body);

    // The owner signs in and may do everything.
    let console = Console::register(&server).await;
    let token = console.token(&owner).await;
    let res = api
        .send(Req::get("/api/v1/audit-events").token(&token))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let events = api.audit("action=user.setup_link").await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(!events[0].to_string().contains("token="), "{}", events[0]);
    let sets = api.audit("action=user.password.set&tenant=platform").await;
    assert_eq!(sets.len(), 1, "{sets:?}");
    assert_eq!(sets[0]["actor"]["kind"], "operator");
    assert_eq!(sets[0]["actor"]["id"], owner.id.as_str());

    // With a password, another owner signs in at once; no link.
    let created = owner_create(&server, "second@platform.example", Some("Second owner pw"));
    assert!(created["setup_link"].is_null(), "{created}");
    let second = User {
        id: text(&created["id"]),
        email: "second@platform.example".into(),
        name: String::new(),
        password: "Second owner pw".into(),
    };
    let token = console.token(&second).await;
    let res = api.send(Req::get("/api/v1/tenants").token(&token)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn platform_owner_email_creates_the_owner_on_first_start() {
    let mut server = TestServer::start_config(|c| {
        c.rate_limits.admin_api_per_key = 0;
        c.platform_owner_email = Some("first@platform.example".into());
    })
    .await;
    let api = Api::new(&server);
    let users = api
        .get("/api/v1/tenants/platform/users?email=first@platform.example")
        .await;
    let id = text(&users["items"][0]["id"]);
    assert!(!id.is_empty(), "{users}");
    let roles = api
        .get(&format!("/api/v1/tenants/platform/users/{id}/roles"))
        .await;
    assert_eq!(roles["items"], serde_json::json!(["owner"]), "{roles}");
    let links = api.audit("action=user.setup_link").await;
    assert_eq!(links.len(), 1, "{links:?}");
    assert_eq!(links[0]["actor"]["kind"], "system");
    // A restart while the link works logs no other.
    server
        .restart_with(|c| c.platform_owner_email = Some("first@platform.example".into()))
        .await;
    assert_eq!(api.audit("action=user.setup_link").await.len(), 1);
    assert_eq!(
        api.audit("action=user.create&tenant=platform").await.len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_set_up_link_is_refused() {
    let server = api_server().await;
    let created = owner_create(&server, "late@platform.example", None);
    let link = text(&created["setup_link"]);
    let browser = Browser::new();
    let page = browser.get(&link).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let form = page
        .form_with("name=\"password_confirm\"")
        .unwrap_or_else(|| panic!("no set-up form: {}", page.body));
    // An hour and a second later, as the database sees it: the link's
    // expiry moved into the past (the server has no clock to move).
    let db = server.database_url.trim_start_matches("sqlite:");
    let conn = rusqlite::Connection::open(db).expect("open the database");
    let moved = conn
        .execute(
            "UPDATE setup_links SET expires_at = created_at - 1 WHERE used_at IS NULL",
            [],
        )
        .expect("expire the link");
    assert_eq!(moved, 1);
    drop(conn);
    let res = browser.get(&link).await;
    assert_eq!(res.status, StatusCode::GONE, "{}", res.body);
    assert!(res.body.contains("no longer valid"), "{}", res.body);
    // The form opened before the expiry cannot use it either.
    let pw = "A passphrase too late";
    let res = browser
        .submit(&form, &[("password", pw), ("password_confirm", pw)])
        .await;
    assert_eq!(res.status, StatusCode::GONE, "{}", res.body);
    // And no password was set.
    let sets = Api::new(&server)
        .audit("action=user.password.set&tenant=platform")
        .await;
    assert!(sets.is_empty(), "{sets:?}");
}
