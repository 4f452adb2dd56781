//! The users screens (`/admin/tenants/{slug}/users…`) through real HTTP:
//! an owner creates a user, assigns a role, sets a password, and the user
//! signs in at a relying party with the role in the token; the user's
//! sessions show on their page and are signed out one at a time or
//! everywhere (their refresh tokens then fail); disabling stops sign-in;
//! search by email; a refused form keeps what was typed; an organisation
//! admin sees only their organisation, an auditor changes nothing, a form
//! without its CSRF token is refused; no credential is ever on a page.

use super::{Console, link};
use crate::api::{Api, Req, api_server, text};
use crate::support::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

const USERS: &str = "/admin/tenants/acme/users";

/// `acme` (a client, alice) and an API key, on a console server.
async fn world() -> (Env, Api) {
    let env = Env::with_server(api_server().await).await;
    let api = Api::new(&env.server);
    (env, api)
}

/// The `sid` of the tokens of a flow: the session they were issued in.
fn sid_of(flow: &Flow) -> String {
    text(&jwt_parts(&access_token_of(&flow.tokens)).1["sid"])
}

/// The user id a user's page was reached at (`…/users/{id}`).
fn id_from(page: &Resp) -> String {
    page.url
        .path_segments()
        .and_then(|mut s| s.nth(4))
        .unwrap_or_default()
        .to_owned()
}

/// Asserts that no credential is on `page`: not `secrets`, no password hash.
fn assert_no_secret(page: &Resp, secrets: &[&str]) {
    for s in secrets {
        assert!(!page.body.contains(s), "a secret on {}", page.url);
    }
    assert!(
        !page.body.contains("$argon2"),
        "a password hash on {}",
        page.url
    );
    assert!(!page.body.contains("password_hash"), "{}", page.url);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_creates_a_user_who_signs_in_and_is_signed_out_everywhere() {
    let (env, api) = world().await;
    api.create(
        "/api/v1/tenants/acme/roles",
        &json!({"name": "editor", "description": "Edits"}),
    )
    .await;
    let console = Console::sign_in(&env.server, &api, &["owner"]).await;

    let form = console.get(&format!("{USERS}/new")).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(form.body.contains("<label for=\"email\">"), "{}", form.body);
    let page = console
        .post_and_follow(
            USERS,
            &[
                ("email", "carol@acme.example"),
                ("name", "Carol"),
                ("password", ""),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("User carol@acme.example created"),
        "{}",
        page.body
    );
    let id = id_from(&page);
    let user_path = format!("{USERS}/{id}");
    assert_eq!(
        api.get(&format!("/api/v1/tenants/acme/users/{id}")).await["name"],
        "Carol"
    );
    assert!(
        page.body.contains("Not set"),
        "no password yet: {}",
        page.body
    );

    // A role, from the organisation's roles.
    assert!(
        page.body.contains("<select id=\"role\" name=\"role\""),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("<option value=\"editor\">"),
        "{}",
        page.body
    );
    let page = console
        .post_and_follow(&format!("{user_path}/roles"), &[("role", "editor")])
        .await;
    assert!(page.body.contains("Role editor assigned"), "{}", page.body);
    assert!(page.body.contains("/roles/editor/remove"), "{}", page.body);
    let roles = api
        .get(&format!("/api/v1/tenants/acme/users/{id}/roles"))
        .await;
    assert_eq!(roles["items"], json!(["editor"]));
    let assigned = api.audit("tenant=acme&action=role.assign").await;
    assert_eq!(assigned.len(), 1, "{assigned:?}");
    assert_eq!(assigned[0]["actor"]["kind"], "operator", "{assigned:?}");
    assert_eq!(assigned[0]["actor"]["id"], console.user.id.as_str());
    assert_eq!(assigned[0]["target"]["id"], id.as_str(), "{assigned:?}");

    // A role whose name holds a colon goes and comes back through the path.
    api.create(
        "/api/v1/tenants/acme/roles",
        &json!({"name": "billing:admin"}),
    )
    .await;
    let page = console
        .post_and_follow(&format!("{user_path}/roles"), &[("role", "billing:admin")])
        .await;
    assert!(
        page.body.contains("Role billing:admin assigned"),
        "{}",
        page.body
    );
    let page = console
        .post_and_follow(&format!("{user_path}/roles/billing:admin/remove"), &[])
        .await;
    assert!(
        page.body.contains("Role billing:admin removed"),
        "{}",
        page.body
    );
    let roles = api
        .get(&format!("/api/v1/tenants/acme/users/{id}/roles"))
        .await;
    assert_eq!(roles["items"], json!(["editor"]));

    // A password, never shown back.
    let password = "carol's new passphrase 7";
    assert!(
        page.body.contains("<label for=\"password\">"),
        "{}",
        page.body
    );
    let page = console
        .post_and_follow(&format!("{user_path}/password"), &[("password", password)])
        .await;
    assert!(page.body.contains("Password set"), "{}", page.body);
    assert_no_secret(&page, &[password]);
    assert_eq!(
        api.audit("tenant=acme&action=user.password.set")
            .await
            .len(),
        1
    );

    // Carol signs in at the relying party with it; the role is in her token.
    let carol = User {
        id: id.clone(),
        email: "carol@acme.example".into(),
        name: "Carol".into(),
        password: password.into(),
    };
    let rp = env.rp(&env.client).await;
    let flow = rp
        .flow(
            &Browser::new(),
            &carol,
            &AuthOptions::scopes(&["roles", "offline_access"]),
        )
        .await;
    let claims = jwt_parts(&id_token_of(&flow.tokens)).1;
    assert_eq!(claims["sub"], id.as_str(), "{claims}");
    assert_eq!(claims["roles"], json!(["editor"]), "{claims}");
    let rt = refresh_token_of(&flow.tokens).expect("a refresh token");
    let rt = match rp.refresh(&rt).await {
        Ok(tokens) => refresh_token_of(&tokens).unwrap_or(rt),
        Err(e) => panic!("refresh before signing out: {e}"),
    };

    // Her session is on her page; signing out everywhere is confirmed first.
    let page = console.get(&user_path).await;
    let sid = sid_of(&flow);
    assert!(
        page.body.contains(&format!("/sessions/{sid}/revoke")),
        "{}",
        page.body
    );
    assert_no_secret(&page, &[password, &rt]);
    let confirm = console.get(&format!("{user_path}/sessions/revoke")).await;
    assert_eq!(confirm.status, StatusCode::OK, "{}", confirm.body);
    assert!(confirm.body.contains("id=\"confirm\""), "{}", confirm.body);
    assert_eq!(
        api.get(&format!("/api/v1/tenants/acme/users/{id}/sessions"))
            .await["items"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "the confirmation page changed nothing"
    );
    let page = console
        .post_and_follow(&format!("{user_path}/sessions/revoke"), &[])
        .await;
    assert!(page.body.contains("1 session ended"), "{}", page.body);
    assert!(page.body.contains("id=\"no-sessions\""), "{}", page.body);
    assert!(
        rp.refresh(&rt).await.is_err(),
        "the refresh token still works after signing out everywhere"
    );
    let revoked = api.audit("tenant=acme&action=user.sessions.revoke").await;
    assert_eq!(revoked.len(), 1, "{revoked:?}");
    assert_eq!(revoked[0]["actor"]["kind"], "operator", "{revoked:?}");

    // Linked identities: a section, empty until upstream login exists.
    assert!(page.body.contains("Linked identities"), "{}", page.body);

    // Deleting is confirmed, then the user is gone.
    let confirm = console.get(&format!("{user_path}/delete")).await;
    assert!(
        confirm.body.contains("cannot be undone"),
        "{}",
        confirm.body
    );
    let list = console
        .post_and_follow(&format!("{user_path}/delete"), &[])
        .await;
    assert!(list.body.contains("User deleted"), "{}", list.body);
    assert!(!list.body.contains("carol@acme.example"), "{}", list.body);
    let gone = api
        .send(Req::get(&format!("/api/v1/tenants/acme/users/{id}")))
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(console.get(&user_path).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_one_session_leaves_the_other() {
    let (env, api) = world().await;
    let console = Console::sign_in(&env.server, &api, &["admin"]).await;
    let rp = env.rp(&env.client).await;
    let (first, first_rt) = rp.offline_flow(&Browser::new(), &env.user).await;
    let (second, second_rt) = rp.offline_flow(&Browser::new(), &env.user).await;
    let (first, second) = (sid_of(&first), sid_of(&second));
    let user_path = format!("{USERS}/{}", env.user.id);
    let page = console.get(&user_path).await;
    for sid in [&first, &second] {
        assert!(
            page.body.contains(&format!("/sessions/{sid}/revoke")),
            "{}",
            page.body
        );
    }
    let page = console
        .post_and_follow(&format!("{user_path}/sessions/{first}/revoke"), &[])
        .await;
    assert!(page.body.contains("Session signed out"), "{}", page.body);
    assert!(
        !page.body.contains(&format!("/sessions/{first}/revoke")),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(&format!("/sessions/{second}/revoke")),
        "{}",
        page.body
    );
    assert!(
        rp.refresh(&first_rt).await.is_err(),
        "the signed-out session's refresh token works"
    );
    assert!(
        rp.refresh(&second_rt).await.is_ok(),
        "the other session's refresh token failed"
    );
    let events = api.audit("tenant=acme&action=session.revoke").await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["target"]["id"], first.as_str(), "{events:?}");
    // Already ended: said, and nothing else changes.
    let res = console
        .post(&format!("{user_path}/sessions/{first}/revoke"), &[])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let again = console.browser.get(res.redirect().as_str()).await;
    assert!(again.body.contains("already ended"), "{}", again.body);
    assert!(
        again.body.contains(&format!("/sessions/{second}/revoke")),
        "{}",
        again.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_finds_by_email_and_a_disabled_user_cannot_sign_in() {
    let (env, api) = world().await;
    let console = Console::sign_in(&env.server, &api, &["owner"]).await;
    env.server
        .create_user("acme", "bob@acme.example", "Bob", PASSWORD);
    let found = console
        .get(&format!("{USERS}?email=alice%40acme.example"))
        .await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.body);
    assert!(
        found.body.contains(&format!("{USERS}/{}", env.user.id)),
        "{}",
        found.body
    );
    assert!(!found.body.contains("bob@acme.example"), "{}", found.body);
    assert!(
        found.body.contains("value=\"alice@acme.example\""),
        "{}",
        found.body
    );
    let none = console
        .get(&format!("{USERS}?email=nobody%40acme.example"))
        .await;
    assert!(none.body.contains("id=\"no-users\""), "{}", none.body);

    let user_path = format!("{USERS}/{}", env.user.id);
    let confirm = console.get(&format!("{user_path}/disable")).await;
    assert_eq!(confirm.status, StatusCode::OK, "{}", confirm.body);
    assert!(
        confirm.body.contains("signed out everywhere"),
        "{}",
        confirm.body
    );
    let page = console
        .post_and_follow(&format!("{user_path}/disable"), &[])
        .await;
    assert!(page.body.contains("User disabled"), "{}", page.body);
    assert!(page.body.contains("id=\"enable\""), "{}", page.body);
    let list = console.get(USERS).await;
    assert!(list.body.contains("badge disabled"), "{}", list.body);

    let rp = env.rp(&env.client).await;
    let browser = Browser::new();
    let (_, login) = rp.open_login(&browser, &AuthOptions::default()).await;
    let res = browser
        .submit_login(&login, &env.user.email, &env.user.password)
        .await;
    assert!(
        !res.status.is_redirection() && res.is_login_page(),
        "a disabled user signed in: {} {}",
        res.status,
        res.body
    );

    let page = console
        .post_and_follow(&format!("{user_path}/enable"), &[])
        .await;
    assert!(page.body.contains("User enabled"), "{}", page.body);
    rp.assert_signs_in(&env.user).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_form_shows_each_error_by_its_field_with_what_was_typed() {
    let (env, api) = world().await;
    let console = Console::sign_in(&env.server, &api, &["owner"]).await;
    let typed_password = "typed-but-never-shown-9";
    let res = console
        .post(
            USERS,
            &[
                ("email", "not-an-email"),
                ("name", "Zed Typed"),
                ("password", typed_password),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(res.body.contains("id=\"email-error\""), "{}", res.body);
    assert!(
        res.body.contains("aria-describedby=\"email-error\""),
        "{}",
        res.body
    );
    assert!(res.body.contains("value=\"not-an-email\""), "{}", res.body);
    assert!(res.body.contains("value=\"Zed Typed\""), "{}", res.body);
    assert_no_secret(&res, &[typed_password]);
    let users = api.get("/api/v1/tenants/acme/users").await;
    assert_eq!(users["items"].as_array().map(Vec::len), Some(1), "{users}");

    // The profile form of a user's page, likewise.
    let user_path = format!("{USERS}/{}", env.user.id);
    let res = console
        .post(
            &user_path,
            &[("email", "still not one"), ("name", "Alice Typed")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(res.body.contains("id=\"email-error\""), "{}", res.body);
    assert!(res.body.contains("value=\"still not one\""), "{}", res.body);
    assert!(res.body.contains("value=\"Alice Typed\""), "{}", res.body);
    let alice = api
        .get(&format!("/api/v1/tenants/acme/users/{}", env.user.id))
        .await;
    assert_eq!(alice["email"], "alice@acme.example", "{alice}");
    // A valid change goes through.
    let page = console
        .post_and_follow(
            &user_path,
            &[("email", "alice@acme.example"), ("name", "Alice E.")],
        )
        .await;
    assert!(page.body.contains("Profile saved"), "{}", page.body);
    let alice = api
        .get(&format!("/api/v1/tenants/acme/users/{}", env.user.id))
        .await;
    assert_eq!(alice["name"], "Alice E.", "{alice}");
    // An empty password is refused by its field.
    let res = console.post(&format!("{user_path}/password"), &[]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(res.body.contains("id=\"password-error\""), "{}", res.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_list_pages_with_the_api_cursor() {
    let (env, api) = world().await;
    let console = Console::sign_in(&env.server, &api, &["auditor"]).await;
    for i in 0..51 {
        api.create(
            "/api/v1/tenants/acme/users",
            &json!({"email": format!("user{i:02}@acme.example")}),
        )
        .await;
    }
    let first = console.get(USERS).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let next = link(&first, "rel=\"next\"").expect("a Next link");
    assert!(next.contains("cursor="), "{next}");
    let second = console.browser.get(&console.url(&next)).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    assert!(second.body.contains("First page"), "{}", second.body);
    assert!(!second.body.contains("rel=\"next\""), "{}", second.body);
    // 52 users, each on one page.
    let all = api.all("/api/v1/tenants/acme/users", "", 200).await;
    assert_eq!(all.len(), 52);
    for u in &all {
        let email = text(&u["email"]);
        let on_first = first.body.contains(&format!(">{email}<"));
        let on_second = second.body.contains(&format!(">{email}<"));
        assert!(on_first != on_second, "{email}: on both pages or neither");
    }
}

/// Tenants `a` and `b`, each with a user (by API), and the users' ids.
async fn two_organisations(api: &Api) -> (String, String) {
    let mut ids = Vec::new();
    for slug in ["a", "b"] {
        api.create("/api/v1/tenants", &json!({"slug": slug, "name": slug}))
            .await;
        let u = api
            .create(
                &format!("/api/v1/tenants/{slug}/users"),
                &json!({"email": format!("user@{slug}.example")}),
            )
            .await;
        ids.push(text(&u["id"]));
    }
    (ids[0].clone(), ids[1].clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organisation_admin_gets_404_for_another_organisations_users() {
    let server = api_server().await;
    let api = Api::new(&server);
    let (a_user, b_user) = two_organisations(&api).await;
    let console = Console::sign_in(&server, &api, &["org-admin:a"]).await;
    let mine = console.get("/admin/tenants/a/users").await;
    assert_eq!(mine.status, StatusCode::OK, "{}", mine.body);
    assert!(mine.body.contains(&a_user), "{}", mine.body);
    for path in [
        "/admin/tenants/b/users".to_owned(),
        format!("/admin/tenants/b/users/{b_user}"),
        format!("/admin/tenants/b/users/{b_user}/disable"),
        "/admin/tenants/b/users?email=user%40b.example".to_owned(),
    ] {
        let res = console.get(&path).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{path}: {}", res.body);
        assert!(!res.body.contains("user@b.example"), "{path}: {}", res.body);
    }
    for (path, form) in [
        (format!("/admin/tenants/b/users/{b_user}/disable"), vec![]),
        (
            format!("/admin/tenants/b/users/{b_user}"),
            vec![("email", "taken@b.example"), ("name", "Taken")],
        ),
        (
            "/admin/tenants/b/users".to_owned(),
            vec![("email", "new@b.example")],
        ),
    ] {
        let res = console.post(&path, &form).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{path}: {}", res.body);
    }
    let b = api.get(&format!("/api/v1/tenants/b/users/{b_user}")).await;
    assert_eq!(
        (&b["disabled"], &b["email"]),
        (&json!(false), &json!("user@b.example"))
    );
    let users = api.get("/api/v1/tenants/b/users").await;
    assert_eq!(users["items"].as_array().map(Vec::len), Some(1), "{users}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auditor_sees_users_without_forms_and_a_forged_post_changes_nothing() {
    let (env, api) = world().await;
    let console = Console::sign_in(&env.server, &api, &["auditor"]).await;
    let list = console.get(USERS).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(list.body.contains("alice@acme.example"), "{}", list.body);
    assert!(!list.body.contains("id=\"new-user\""), "{}", list.body);
    let user_path = format!("{USERS}/{}", env.user.id);
    let page = console.get(&user_path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("alice@acme.example"), "{}", page.body);
    // The only POST form is the layout's sign-out.
    assert_eq!(
        page.body.matches("method=\"post\"").count(),
        1,
        "{}",
        page.body
    );
    for absent in [
        "name=\"password\"",
        "id=\"role\"",
        "/disable\"",
        "/delete\"",
    ] {
        assert!(!page.body.contains(absent), "{absent}: {}", page.body);
    }
    assert_eq!(
        console.get(&format!("{user_path}/delete")).await.status,
        StatusCode::FORBIDDEN
    );

    let before = api
        .get(&format!("/api/v1/tenants/acme/users/{}", env.user.id))
        .await;
    for (path, form) in [
        (format!("{user_path}/disable"), vec![]),
        (
            format!("{user_path}/password"),
            vec![("password", "forged password 1")],
        ),
        (format!("{user_path}/delete"), vec![]),
        (user_path.clone(), vec![("email", "forged@acme.example")]),
        (USERS.to_owned(), vec![("email", "forged@acme.example")]),
    ] {
        let res = console.post(&path, &form).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{path}: {}", res.body);
    }
    let after = api
        .get(&format!("/api/v1/tenants/acme/users/{}", env.user.id))
        .await;
    assert_eq!(before, after);
    let users = api.get("/api/v1/tenants/acme/users").await;
    assert_eq!(users["items"].as_array().map(Vec::len), Some(1), "{users}");
    // The password alice had still works.
    env.rp(&env.client).await.assert_signs_in(&env.user).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_without_its_csrf_token_is_refused() {
    let (env, api) = world().await;
    let console = Console::sign_in(&env.server, &api, &["owner"]).await;
    let user_path = format!("{USERS}/{}", env.user.id);
    let forms: [(String, Vec<(&str, &str)>); 3] = [
        (format!("{user_path}/disable"), vec![]),
        (user_path.clone(), vec![("email", "x@acme.example")]),
        (USERS.to_owned(), vec![("email", "csrf@acme.example")]),
    ];
    for (path, form) in &forms {
        let res = console.browser.post_form(&console.url(path), form).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{path}: {}", res.body);
        let mut wrong = form.clone();
        wrong.push(("csrf", "not-the-token"));
        let res = console.browser.post_form(&console.url(path), &wrong).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{path}: {}", res.body);
    }
    let alice: Value = api
        .get(&format!("/api/v1/tenants/acme/users/{}", env.user.id))
        .await;
    assert_eq!(
        (&alice["disabled"], &alice["email"]),
        (&json!(false), &json!("alice@acme.example"))
    );
    let users = api.get("/api/v1/tenants/acme/users").await;
    assert_eq!(users["items"].as_array().map(Vec::len), Some(1), "{users}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_users_screens_are_accessible_and_work_with_the_keyboard() {
    let (env, api) = world().await;
    api.create("/api/v1/tenants/acme/roles", &json!({"name": "editor"}))
        .await;
    let path = format!("/api/v1/tenants/acme/users/{}/roles/editor", env.user.id);
    let res = api.send(Req::new(reqwest::Method::PUT, &path)).await;
    assert!(res.status.is_success(), "{}", res.body);
    // A live session of alice's for her page to show.
    env.rp(&env.client).await.assert_signs_in(&env.user).await;
    let owner = crate::api::operators::operator(&env.server, &api, &["owner"]).await;
    let browser = Chromium::start().await;
    let base = &env.server.base_url;
    super::browser::keyboard_sign_in(&browser, base, &owner).await;

    browser.goto(&format!("{base}{USERS}")).await;
    browser.wait_for("#new-user").await;
    capture(&browser, "users").await;
    // Creating a user with the keyboard alone.
    browser.tab_to("#new-user").await;
    browser.press(ENTER).await;
    browser.wait_for("#create").await;
    capture(&browser, "user-new").await;
    browser.tab_to("#email").await;
    browser.type_text("dora@acme.example").await;
    browser.tab_to("#name").await;
    browser.type_text("Dora").await;
    browser.press(ENTER).await;
    let email = browser.text(&browser.wait_for("#user-email").await).await;
    assert_eq!(email, "dora@acme.example");
    let dora = api
        .get("/api/v1/tenants/acme/users?email=dora%40acme.example")
        .await;
    assert_eq!(dora["items"][0]["name"], "Dora", "{dora}");

    let alice = format!("{base}{USERS}/{}", env.user.id);
    browser.goto(&alice).await;
    browser.wait_for("#sessions").await;
    capture(&browser, "user").await;
    for (page, name) in [
        ("disable", "user-disable"),
        ("sessions/revoke", "user-sign-out"),
        ("delete", "user-delete"),
    ] {
        browser.goto(&format!("{alice}/{page}")).await;
        browser.wait_for("#confirm").await;
        capture(&browser, name).await;
    }
    // Signing her out everywhere from its confirmation page, by keyboard.
    browser.goto(&format!("{alice}/sessions/revoke")).await;
    browser.wait_for("#confirm").await;
    browser.tab_to("#confirm").await;
    browser.press(ENTER).await;
    browser.wait_for("#no-sessions").await;
}
