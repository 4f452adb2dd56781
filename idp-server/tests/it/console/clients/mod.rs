//! The clients screen (`/admin/tenants/{slug}/clients…`) through real
//! HTTP: a confidential client created through the form, its secret on
//! that answer once, working at the token endpoint; the forms' errors
//! beside their fields with the values kept; rotating the secret; delete
//! behind a confirmation page, audited as the operator's; pages of the
//! list. Who may do what, CSRF and secrets on no other page: [`access`].

mod access;

use super::{Console, console_server};
use crate::api::{Api, Req};
use crate::support::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The text of `body` between `start` and the next `end`.
pub(super) fn between<'a>(body: &'a str, start: &str, end: &str) -> &'a str {
    let from = body
        .find(start)
        .unwrap_or_else(|| panic!("no {start} in {body}"))
        + start.len();
    let len = body[from..]
        .find(end)
        .unwrap_or_else(|| panic!("no {end} after {start}"));
    &body[from..from + len]
}

/// Makes the organisation `slug` with the full API key.
pub(super) async fn organisation(api: &Api, slug: &str) {
    api.create("/api/v1/tenants", &json!({"slug": slug, "name": slug}))
        .await;
}

/// A client of `slug` made through the API: its JSON, secret included.
pub(super) async fn api_client(api: &Api, slug: &str, name: &str) -> Value {
    api.create(
        &format!("/api/v1/tenants/{slug}/clients"),
        &json!({
            "name": name,
            "redirect_uris": ["https://app.example/cb"],
            "grant_types": ["authorization_code", "client_credentials"],
        }),
    )
    .await
}

/// The new-client form of a confidential client using client credentials.
pub(super) const NEW_SERVICE: &[(&str, &str)] = &[
    ("name", "Billing"),
    ("public", "false"),
    ("redirect_uris", "https://billing.example/cb\r\n"),
    ("grant_types", "authorization_code"),
    ("grant_types", "client_credentials"),
    ("post_logout_redirect_uris", ""),
    ("allowed_origins", "https://billing.example"),
];

/// A client-credentials token request with `secret`: its status.
async fn token_with(server: &TestServer, slug: &str, id: &str, secret: &str) -> StatusCode {
    let endpoints = discover(&server.issuer(slug)).await;
    let res = token_request(
        &endpoints.token,
        ClientAuth::Basic(id, secret),
        &[("grant_type", "client_credentials")],
    )
    .await;
    res.status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_confidential_client_shows_its_secret_once_and_works() {
    let (server, api) = console_server().await;
    organisation(&api, "acme").await;
    let console = Console::sign_in(&server, &api, &["owner"]).await;
    let form = console.get("/admin/tenants/acme/clients/new").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(
        form.body.contains("name=\"redirect_uris\""),
        "{}",
        form.body
    );

    let res = console
        .post("/admin/tenants/acme/clients", NEW_SERVICE)
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let id = between(&res.body, "<code id=\"client-id\">", "</code>").to_owned();
    let secret = between(&res.body, "<code id=\"client-secret\">", "</code>").to_owned();
    assert!(secret.len() >= 32, "{secret}");
    assert_eq!(res.body.matches(&secret).count(), 1, "{}", res.body);
    assert!(
        res.body
            .contains("<button type=\"button\" data-copy=\"client-secret\" hidden>Copy</button>"),
        "{}",
        res.body
    );
    assert!(res.body.contains("will not be shown again"), "{}", res.body);
    let issuer = server.issuer("acme");
    assert!(
        res.body
            .contains(&format!("<code id=\"issuer\">{issuer}</code>")),
        "{}",
        res.body
    );
    assert!(
        res.body.contains(&format!(
            "<code id=\"discovery-url\">{issuer}/.well-known/openid-configuration</code>"
        )),
        "{}",
        res.body
    );

    // The registration is what the form said.
    let cl = api.get(&format!("/api/v1/tenants/acme/clients/{id}")).await;
    assert_eq!(cl["name"], "Billing");
    assert_eq!(cl["public"], false);
    assert_eq!(cl["redirect_uris"], json!(["https://billing.example/cb"]));
    assert_eq!(
        cl["grant_types"],
        json!(["authorization_code", "client_credentials"])
    );
    assert_eq!(cl["allowed_origins"], json!(["https://billing.example"]));

    // The secret is on no other page, nor in the API's answers or log.
    for path in [
        "/admin/tenants/acme/clients".to_owned(),
        format!("/admin/tenants/acme/clients/{id}"),
        format!("/admin/tenants/acme/clients/{id}/delete"),
        "/admin/audit".to_owned(),
    ] {
        let page = console.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
        assert!(!page.body.contains(&secret), "{path} shows the secret");
        if path.contains("/clients") {
            assert!(page.body.contains(&id), "{path}: {}", page.body);
        }
    }
    let events = api.audit("tenant=acme&action=client.create").await;
    assert!(
        events
            .iter()
            .any(|e| e["target"]["id"] == id.as_str() && e["actor"]["kind"] == "operator"),
        "{events:?}"
    );
    assert!(!json!(events).to_string().contains(&secret));
    assert!(!cl.to_string().contains(&secret));

    // The client works with that secret, and with no other.
    assert_eq!(
        token_with(&server, "acme", &id, &secret).await,
        StatusCode::OK
    );
    assert_eq!(
        token_with(&server, "acme", &id, "not-the-secret").await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_new_form_keeps_what_was_typed_and_a_public_client_has_no_secret() {
    let (server, api) = console_server().await;
    organisation(&api, "acme").await;
    let console = Console::sign_in(&server, &api, &["admin"]).await;
    let spa = [
        ("name", "Shop"),
        ("public", "true"),
        ("redirect_uris", "https://shop.example/cb"),
        ("grant_types", "authorization_code"),
        ("grant_types", "client_credentials"),
        ("allowed_origins", "https://shop.example"),
    ];
    let res = console.post("/admin/tenants/acme/clients", &spa).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    let error = between(
        &res.body,
        "<p class=\"field-error\" id=\"grant_types-error\">",
        "</p>",
    );
    assert!(error.contains("confidential clients only"), "{error}");
    assert!(res.body.contains("value=\"Shop\""), "{}", res.body);
    assert!(res.body.contains("value=\"true\" checked"), "{}", res.body);
    assert!(
        res.body.contains("value=\"client_credentials\" checked"),
        "{}",
        res.body
    );
    assert!(
        api.all("/api/v1/tenants/acme/clients", "", 100)
            .await
            .is_empty()
    );

    let res = console.post("/admin/tenants/acme/clients", &spa[..4]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(!res.body.contains("client-secret"), "{}", res.body);
    assert!(res.body.contains("has no secret"), "{}", res.body);
    let id = between(&res.body, "<code id=\"client-id\">", "</code>");
    let cl = api.get(&format!("/api/v1/tenants/acme/clients/{id}")).await;
    assert_eq!(cl["public"], true);
    assert_eq!(cl["token_endpoint_auth_method"], "none");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_edit_form_shows_the_apis_errors_beside_their_fields() {
    let (server, api) = console_server().await;
    organisation(&api, "acme").await;
    let id = api_client(&api, "acme", "Web").await["client_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let console = Console::sign_in(&server, &api, &["admin"]).await;
    let path = format!("/admin/tenants/acme/clients/{id}");
    let page = console.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("https://app.example/cb"),
        "{}",
        page.body
    );

    let bad = [
        ("name", "Web renamed"),
        (
            "redirect_uris",
            "https://app.example/cb\nhttp://example.com/cb",
        ),
        ("grant_types", "authorization_code"),
    ];
    let res = console.post(&path, &bad).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    let error = between(
        &res.body,
        "<p class=\"field-error\" id=\"redirect_uris-error\">",
        "</p>",
    );
    assert!(error.contains("http://example.com/cb"), "{error}");
    assert!(
        res.body
            .contains("aria-describedby=\"redirect_uris-hint redirect_uris-error\""),
        "{}",
        res.body
    );
    // The values typed are kept, and nothing changed.
    let typed = between(&res.body, "name=\"redirect_uris\"", "</textarea>");
    assert!(
        typed.contains("https://app.example/cb\nhttp://example.com/cb"),
        "{typed}"
    );
    assert!(res.body.contains("value=\"Web renamed\""), "{}", res.body);
    let cl = api.get(&format!("/api/v1/tenants/acme/clients/{id}")).await;
    assert_eq!(cl["name"], "Web");

    // A fragment is refused too.
    let res = console
        .post(
            &path,
            &[
                ("name", "Web"),
                ("redirect_uris", "https://app.example/cb#x"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(
        res.body.contains("id=\"redirect_uris-error\""),
        "{}",
        res.body
    );

    let good = [
        ("name", "Web renamed"),
        (
            "redirect_uris",
            "https://app.example/cb\r\nhttp://localhost:8080/cb",
        ),
        ("grant_types", "authorization_code"),
        ("grant_types", "refresh_token"),
        ("post_logout_redirect_uris", "https://app.example/bye"),
        ("frontchannel_logout_uri", ""),
        ("backchannel_logout_uri", "https://app.example/bc"),
        ("allowed_origins", ""),
    ];
    let page = console.post_and_follow(&path, &good).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Client saved."), "{}", page.body);
    let cl = api.get(&format!("/api/v1/tenants/acme/clients/{id}")).await;
    assert_eq!(cl["name"], "Web renamed");
    assert_eq!(
        cl["redirect_uris"],
        json!(["https://app.example/cb", "http://localhost:8080/cb"])
    );
    assert_eq!(
        cl["grant_types"],
        json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(
        cl["post_logout_redirect_uris"],
        json!(["https://app.example/bye"])
    );
    assert_eq!(cl["backchannel_logout_uri"], "https://app.example/bc");
    let events = api.audit("tenant=acme&action=client.update").await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["actor"]["kind"], "operator");
    assert_eq!(events[0]["actor"]["id"], console.user.id.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_secret_is_shown_once_and_the_old_one_works_for_a_while() {
    let (server, api) = console_server().await;
    organisation(&api, "acme").await;
    let cl = api_client(&api, "acme", "Service").await;
    let id = cl["client_id"].as_str().unwrap_or_default();
    let old = cl["client_secret"].as_str().unwrap_or_default();
    let console = Console::sign_in(&server, &api, &["owner"]).await;
    let path = format!("/admin/tenants/acme/clients/{id}");
    let page = console.get(&path).await;
    assert!(page.body.contains("id=\"rotate-secret\""), "{}", page.body);

    let res = console.post(&format!("{path}/secret"), &[]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let new = between(&res.body, "<code id=\"client-secret\">", "</code>").to_owned();
    assert_ne!(new, old);
    assert_eq!(res.body.matches(&new).count(), 1, "{}", res.body);
    assert!(!res.body.contains(old), "{}", res.body);
    assert!(res.body.contains("keeps working until"), "{}", res.body);
    assert_eq!(between(&res.body, "<code id=\"client-id\">", "</code>"), id);

    assert_eq!(token_with(&server, "acme", id, &new).await, StatusCode::OK);
    assert_eq!(token_with(&server, "acme", id, old).await, StatusCode::OK);
    let page = console.get(&path).await;
    assert!(!page.body.contains(&new) && !page.body.contains(old));
    let events = api.audit("tenant=acme&action=client.secret.rotate").await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(!json!(events).to_string().contains(&new), "{events:?}");

    // A public client has no secret: no button, and a forged POST says why.
    let spa = api
        .create(
            "/api/v1/tenants/acme/clients",
            &json!({"name": "SPA", "public": true, "redirect_uris": ["https://spa.example/cb"]}),
        )
        .await;
    let path = format!(
        "/admin/tenants/acme/clients/{}",
        spa["client_id"].as_str().unwrap_or_default()
    );
    let page = console.get(&path).await;
    assert!(!page.body.contains("id=\"rotate-secret\""), "{}", page.body);
    let page = console
        .post_and_follow(&format!("{path}/secret"), &[])
        .await;
    assert!(page.body.contains("not a secret"), "{}", page.body);
    assert!(!page.body.contains("id=\"client-secret\""), "{}", page.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_confirms_on_its_own_page_and_is_the_operators_in_the_log() {
    let (server, api) = console_server().await;
    organisation(&api, "acme").await;
    let id = api_client(&api, "acme", "Doomed").await["client_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let console = Console::sign_in(&server, &api, &["owner"]).await;
    let path = format!("/admin/tenants/acme/clients/{id}");
    let page = console.get(&path).await;
    assert!(
        page.body.contains(&format!("href=\"{path}/delete\"")),
        "{}",
        page.body
    );
    // The confirmation page changes nothing.
    let confirm = console.get(&format!("{path}/delete")).await;
    assert_eq!(confirm.status, StatusCode::OK, "{}", confirm.body);
    assert!(
        confirm.body.contains("cannot be undone"),
        "{}",
        confirm.body
    );
    assert!(
        confirm.body.contains(&format!("action=\"{path}/delete\"")),
        "{}",
        confirm.body
    );
    api.get(&format!("/api/v1/tenants/acme/clients/{id}")).await;

    let list = console
        .post_and_follow(&format!("{path}/delete"), &[])
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(list.body.contains("deleted"), "{}", list.body);
    assert!(
        !list.body.contains(&format!("<code>{id}</code>")),
        "{}",
        list.body
    );
    let res = api
        .send(Req::get(&format!("/api/v1/tenants/acme/clients/{id}")))
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let events = api.audit("tenant=acme&action=client.delete").await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["target"]["id"], id.as_str());
    assert_eq!(events[0]["actor"]["kind"], "operator");
    assert_eq!(events[0]["actor"]["id"], console.user.id.as_str());
    assert_eq!(console.get(&path).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_list_pages_with_the_apis_cursor() {
    let (server, api) = console_server().await;
    organisation(&api, "acme").await;
    let mut ids = Vec::new();
    for i in 0..51 {
        let cl = api
            .create(
                "/api/v1/tenants/acme/clients",
                &json!({"name": format!("App {i}"), "public": true, "redirect_uris": ["https://app.example/cb"]}),
            )
            .await;
        ids.push(cl["client_id"].as_str().unwrap_or_default().to_owned());
    }
    let console = Console::sign_in(&server, &api, &["owner"]).await;
    let first = console.get("/admin/tenants/acme/clients").await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert!(!first.body.contains(">First page<"), "{}", first.body);
    let next = between(&first.body, "<a href=\"", "\" rel=\"next\">");
    let next = next
        .rsplit("<a href=\"")
        .next()
        .unwrap_or(next)
        .replace("&amp;", "&");
    let second = console.browser.get(&console.url(&next)).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    assert!(second.body.contains(">First page<"), "{}", second.body);
    assert!(!second.body.contains("rel=\"next\""), "{}", second.body);
    // Every client is on exactly one of the two pages.
    for id in &ids {
        let on = [&first, &second]
            .iter()
            .filter(|p| p.body.contains(&format!("<code>{id}</code>")))
            .count();
        assert_eq!(on, 1, "{id}");
    }
    assert!(first.body.contains("public"), "{}", first.body);
}
