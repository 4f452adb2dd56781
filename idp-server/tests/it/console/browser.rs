//! The console and the account page in a real headless Chromium (Debian's
//! `chromium` and `chromium-driver`): signed in with the keyboard alone,
//! every screen checked by axe-core (no serious or critical violation) and
//! photographed at 390 and 1280 px under `target/screenshots/`.

use super::console_server;
use crate::api::operators::operator;
use crate::support::*;

/// Signs `user` in to the console with the keyboard alone: Tab to each
/// field, type, Enter; the sign-in button and the platform's login page.
pub async fn keyboard_sign_in(browser: &Chromium, base_url: &str, user: &User) {
    browser.goto(&format!("{base_url}/admin")).await;
    browser.wait_for("#sign-in").await;
    browser.tab_to("#sign-in").await;
    browser.press(ENTER).await;
    browser.wait_for("#username").await;
    capture(browser, "login").await;
    browser.tab_to("#username").await;
    browser.type_text(&user.email).await;
    browser.tab_to("#password").await;
    browser.type_text(&user.password).await;
    browser.press(ENTER).await;
    browser.wait_for("#sign-out").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_run_and_sign_in_pages_are_accessible_and_keyboard_only() {
    let (server, api) = console_server().await;
    let browser = Chromium::start().await;
    browser.goto(&format!("{}/", server.base_url)).await;
    browser.wait_for("main").await;
    assert!(browser.url().await.ends_with("/admin"));
    capture(&browser, "first-run").await;

    let owner = operator(&server, &api, &["owner"]).await;
    keyboard_sign_in(&browser, &server.base_url, &owner).await;
    let who = browser.text(&browser.wait_for(".who span").await).await;
    assert_eq!(who, owner.email);
    capture(&browser, "dashboard").await;

    browser.tab_to("#sign-out").await;
    browser.press(ENTER).await;
    browser.wait_for("#sign-in").await;
    capture(&browser, "signed-out").await;
}

/// Waits for the notice a change leaves and returns its text.
async fn notice(browser: &Chromium) -> String {
    let n = browser.wait_for(".notice").await;
    browser.text(&n).await
}

/// Types `text` into the field `css` (waiting for it).
async fn fill(browser: &Chromium, css: &str, text: &str) {
    let field = browser.wait_for(css).await;
    browser.type_into(&field, text).await;
}

/// Clicks `css` (waiting for it).
async fn press_button(browser: &Chromium, css: &str) {
    let button = browser.wait_for(css).await;
    browser.click(&button).await;
}

/// The story in one browser: the owner approves a pending
/// organisation, creates a client (its secret shown once), a role and a
/// user, assigns the role; the user signs in to a relying party with the
/// `roles` claim; the owner signs the user out everywhere and the relying
/// party's next refresh fails; the audit log shows each step; the user's
/// account page changes their password and signs another session out.
/// Every screen is checked by axe and photographed at both widths.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_runs_an_organisation_from_the_console() {
    let (server, api) = console_server().await;
    let base = server.base_url.clone();
    let created = server.cli_json(&["tenant", "create", "acme", "--pending", "--json"], None);
    assert_eq!(created["state"], "pending", "{created}");
    let owner = operator(&server, &api, &["owner"]).await;
    let b = Chromium::start().await;
    keyboard_sign_in(&b, &base, &owner).await;
    capture(&b, "dashboard").await;

    // Organisations: the pending one is approved.
    b.goto(&format!("{base}/admin/tenants")).await;
    b.wait_for("#pending-notice").await;
    capture(&b, "organisations").await;
    b.goto(&format!("{base}/admin/tenants/acme")).await;
    press_button(&b, "#approve").await;
    assert!(notice(&b).await.to_lowercase().contains("approved"));
    let state = b.text(&b.wait_for("#state").await).await;
    assert!(state.to_lowercase().contains("active"), "{state}");
    capture(&b, "organisation").await;

    // A confidential client: its secret on the create answer only.
    b.goto(&format!("{base}/admin/tenants/acme/clients/new"))
        .await;
    capture(&b, "client-new").await;
    fill(&b, "#name", "Acme web").await;
    fill(&b, "#redirect_uris", REDIRECT_URI).await;
    press_button(&b, "#create").await;
    let client_id = b.text(&b.wait_for("#client-id").await).await;
    let secret = b.text(&b.wait_for("#client-secret").await).await;
    assert!(secret.len() >= 32, "{secret}");
    let issuer = b.text(&b.wait_for("#issuer").await).await;
    assert_eq!(issuer, format!("{base}/t/acme"));
    capture(&b, "client-created").await;
    b.goto(&format!("{base}/admin/tenants/acme/clients/{client_id}"))
        .await;
    b.wait_for("#name").await;
    assert!(
        !b.source().await.contains(&secret),
        "the secret is shown again"
    );
    capture(&b, "client").await;
    b.goto(&format!("{base}/admin/tenants/acme/clients")).await;
    b.wait_for("main table").await;
    assert!(!b.source().await.contains(&secret));
    capture(&b, "clients").await;

    // A role and a user holding it.
    b.goto(&format!("{base}/admin/tenants/acme/roles")).await;
    fill(&b, "#name", "editor").await;
    fill(&b, "#description", "Edits the catalogue").await;
    press_button(&b, "#create-role").await;
    notice(&b).await;
    capture(&b, "roles").await;
    b.goto(&format!("{base}/admin/tenants/acme/users/new"))
        .await;
    capture(&b, "user-new").await;
    fill(&b, "#email", "alice@acme.test").await;
    fill(&b, "#name", "Alice").await;
    fill(&b, "#password", PASSWORD).await;
    press_button(&b, "#create").await;
    notice(&b).await;
    let user_url = b.url().await;
    let user_id = user_url.rsplit('/').next().unwrap_or_default().to_owned();
    press_button(&b, "#role option[value=\"editor\"]").await;
    press_button(&b, "#assign-role").await;
    notice(&b).await;
    b.wait_for("#roles").await;
    assert!(b.text(&b.wait_for("#roles").await).await.contains("editor"));
    let alice = User {
        id: user_id.clone(),
        email: "alice@acme.test".into(),
        name: "Alice".into(),
        password: PASSWORD.into(),
    };

    // The relying party signs Alice in and sees her role.
    let registered = RegisteredClient {
        client_id: client_id.clone(),
        client_secret: Some(secret.clone()),
        redirect_uri: REDIRECT_URI.into(),
        auth_method: "client_secret_basic".into(),
        json: serde_json::Value::Null,
    };
    let rp = Rp::discover(&issuer, &registered).await;
    let flow = rp
        .flow(
            &Browser::new(),
            &alice,
            &AuthOptions::scopes(&["roles", "offline_access"]),
        )
        .await;
    let id_token = flow.tokens.extra_fields().id_token().expect("an ID token");
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            id_token.to_string().split('.').nth(1).unwrap_or_default(),
        )
        .expect("base64url"),
    )
    .expect("JSON claims");
    assert_eq!(claims["roles"], serde_json::json!(["editor"]), "{claims}");
    let rt = refresh_token_of(&flow.tokens).expect("a refresh token");
    let refreshed = rp.refresh(&rt).await.expect("a refresh before revocation");
    let rt = refresh_token_of(&refreshed).unwrap_or(rt);

    // The owner signs Alice out everywhere: the next refresh fails.
    b.goto(&user_url).await;
    b.wait_for("#sessions").await;
    capture(&b, "user").await;
    press_button(&b, "#sign-out-everywhere").await;
    b.wait_for("#confirm").await;
    capture(&b, "user-sign-out-everywhere").await;
    press_button(&b, "#confirm").await;
    notice(&b).await;
    let refused = rp.refresh(&rt).await;
    assert!(refused.is_err(), "a refresh after revocation: {refused:?}");

    // The audit log tells the story, by the owner.
    b.goto(&format!("{base}/admin/audit?tenant=acme")).await;
    b.wait_for("#events").await;
    let log = b.text(&b.wait_for("#events").await).await;
    for action in [
        "tenant.approve",
        "client.create",
        "role.create",
        "user.create",
        "role.assign",
        "user.sessions.revoke",
    ] {
        assert!(log.contains(action), "{action} not in the audit log: {log}");
    }
    assert!(log.contains(&owner.email), "{log}");
    capture(&b, "audit").await;
    b.goto(&format!("{base}/admin/tenants/acme/keys")).await;
    b.wait_for("main table").await;
    capture(&b, "keys").await;
    // The remaining screens and confirmation pages, each checked by axe.
    for (path, name) in [
        ("/admin/tenants/acme/keys/rotate", "keys-rotate"),
        ("/admin/tenants/acme/roles/editor", "role"),
        ("/admin/tenants/acme/roles/editor/delete", "role-delete"),
        ("/admin/tenants/acme/users", "users"),
        ("/admin/tenants/acme/users/USER/disable", "user-disable"),
        ("/admin/tenants/acme/users/USER/delete", "user-delete"),
        ("/admin/tenants/acme/clients/CLIENT/delete", "client-delete"),
        ("/admin/tenants/_new", "organisation-new"),
        ("/admin/tenants/acme/suspend", "organisation-suspend"),
        ("/admin/settings/tiers/_new", "tier-new"),
        ("/admin/nowhere", "not-found"),
    ] {
        let path = path.replace("USER", &user_id).replace("CLIENT", &client_id);
        b.goto(&format!("{base}{path}")).await;
        b.wait_for("main h1").await;
        capture(&b, name).await;
    }
    b.goto(&format!("{base}/admin/settings")).await;
    b.wait_for("#signup-heading").await;
    capture(&b, "settings").await;

    // Alice's account page: another session elsewhere, a new password,
    // the other session signed out (its refresh token with it).
    let elsewhere = rp
        .flow(
            &Browser::new(),
            &alice,
            &AuthOptions::scopes(&["offline_access"]),
        )
        .await;
    let elsewhere_rt = refresh_token_of(&elsewhere.tokens).expect("a refresh token");
    b.goto(&format!("{base}/t/acme/account")).await;
    fill(&b, "#username", &alice.email).await;
    fill(&b, "#password", PASSWORD).await;
    b.press(ENTER).await;
    b.wait_for("#change-password").await;
    capture(&b, "account").await;
    fill(&b, "#current_password", PASSWORD).await;
    fill(&b, "#new_password", "a brand new passphrase").await;
    fill(&b, "#new_password_confirm", "a brand new passphrase").await;
    press_button(&b, "#change-password").await;
    notice(&b).await;
    press_button(&b, "#sign-out-others").await;
    b.wait_for("#confirm-sign-out-others").await;
    capture(&b, "account-sign-out-others").await;
    press_button(&b, "#confirm-sign-out-others").await;
    notice(&b).await;
    assert!(
        rp.refresh(&elsewhere_rt).await.is_err(),
        "the other session's refresh token still works"
    );
    let renewed = User {
        password: "a brand new passphrase".into(),
        ..alice.clone()
    };
    rp.assert_signs_in(&renewed).await;
}

/// An organisation admin sees only their organisation; an auditor sees
/// everything and is offered no change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_org_admin_sees_only_theirs_and_an_auditor_only_reads() {
    let (server, api) = console_server().await;
    let base = server.base_url.clone();
    for slug in ["alpha", "bravo"] {
        server.cli_json(&["tenant", "create", slug, "--json"], None);
    }
    let org_admin = operator(&server, &api, &["org-admin:alpha"]).await;
    let b = Chromium::start().await;
    keyboard_sign_in(&b, &base, &org_admin).await;
    b.goto(&format!("{base}/admin/tenants")).await;
    let list = b.text(&b.wait_for("#tenants").await).await;
    assert!(list.contains("alpha") && !list.contains("bravo"), "{list}");
    capture(&b, "org-admin-organisations").await;
    b.goto(&format!("{base}/admin/tenants/bravo/users")).await;
    b.wait_for("main h1").await;
    let page = b.source().await;
    assert!(!page.contains("id=\"new-user\""), "{page}");
    assert!(page.contains("Not found"), "{page}");
    press_button(&b, "#sign-out").await;
    b.wait_for("#sign-in").await;

    let auditor = operator(&server, &api, &["auditor"]).await;
    keyboard_sign_in(&b, &base, &auditor).await;
    for path in [
        "/admin/tenants/alpha",
        "/admin/tenants/alpha/clients",
        "/admin/tenants/alpha/users",
        "/admin/tenants/alpha/roles",
        "/admin/tenants/alpha/keys",
        "/admin/settings",
    ] {
        b.goto(&format!("{base}{path}")).await;
        b.wait_for("main h1").await;
        let forms = b
            .run(
                "return [...document.querySelectorAll('form[method=post]')].filter(f => !f.action.endsWith('/admin/logout')).length;",
                serde_json::json!([]),
            )
            .await;
        assert_eq!(
            forms,
            serde_json::json!(0),
            "an auditor is offered a change at {path}"
        );
    }
    capture(&b, "auditor-organisation").await;
}
