//! Signing in to the console: `/` opens it; without an owner it explains
//! how to make one; operators sign in through the platform's own login
//! page (code flow, PKCE) and out again; revoking the operator's sessions
//! or disabling them ends console access at once; a forged or foreign
//! session cookie is no session.

use super::{Console, console_server};
use crate::api::Req;
use crate::support::*;
use reqwest::{Method, StatusCode};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_root_opens_the_console_which_explains_the_first_run() {
    let (server, api) = console_server().await;
    let browser = Browser::new();
    let res = browser.get(&format!("{}/", server.base_url)).await;
    assert_eq!(res.status, StatusCode::FOUND);
    assert_eq!(res.redirect().path(), "/admin");
    let page = browser.get(&format!("{}/admin", server.base_url)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("no owner yet"), "{}", page.body);
    assert!(
        page.body.contains("idp-server owner create"),
        "{}",
        page.body
    );
    let csp = page.headers["content-security-policy"]
        .to_str()
        .unwrap_or_default();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );

    crate::api::operators::operator(&server, &api, &["owner"]).await;
    let page = browser.get(&format!("{}/admin", server.base_url)).await;
    assert!(page.body.contains("id=\"sign-in\""), "{}", page.body);
    assert!(!page.body.contains("no owner yet"), "{}", page.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_signs_in_with_pkce_and_out_again() {
    let (server, api) = console_server().await;
    let console = Console::sign_in(&server, &api, &["owner"]).await;
    // The sign-in went through the platform's authorization endpoint with
    // S256 and no consent page (the console is the platform's own client).
    let audit = api.audit("tenant=platform&action=client.create").await;
    assert!(
        audit.iter().any(|e| e["target"]["id"] == "console"),
        "{audit:?}"
    );
    let page = console.get("/admin").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("aria-current=\"page\""), "{}", page.body);

    let res = console.post("/admin/logout", &[]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(res.body.contains("signed out"), "{}", res.body);
    let page = console.get("/admin").await;
    assert!(page.body.contains("id=\"sign-in\""), "{}", page.body);
    assert!(!page.body.contains(&console.user.email), "{}", page.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_or_disabled_operator_is_signed_out_at_once() {
    let (server, api) = console_server().await;
    let console = Console::sign_in(&server, &api, &["admin"]).await;
    let path = format!(
        "/api/v1/tenants/platform/users/{}/sessions",
        console.user.id
    );
    let res = api.send(Req::new(Method::DELETE, &path)).await;
    assert!(res.status.is_success(), "{}", res.body);
    let page = console.get("/admin/tenants").await;
    assert!(page.body.contains("id=\"sign-in\""), "{}", page.body);
    // A form posted without a session changes nothing and says why.
    let res = console.post("/admin/tenants", &[("slug", "x")]).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{}", res.body);

    let console = Console::sign_in_as(&server, console.user.clone()).await;
    let path = format!("/api/v1/tenants/platform/users/{}", console.user.id);
    let res = api
        .send(Req::patch(&path, &serde_json::json!({"disabled": true})))
        .await;
    assert!(res.status.is_success(), "{}", res.body);
    let page = console.get("/admin").await;
    assert!(page.body.contains("id=\"sign-in\""), "{}", page.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_session_cookie_is_no_session_and_forms_need_csrf() {
    let (server, api) = console_server().await;
    let console = Console::sign_in(&server, &api, &["owner"]).await;
    let url = format!("{}/admin", server.base_url);
    let http = reqwest::Client::new();
    let res = http
        .get(&url)
        .header(
            "cookie",
            "idp_console=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        )
        .send()
        .await
        .expect("GET");
    let body = res.text().await.unwrap_or_default();
    assert!(body.contains("id=\"sign-in\""), "{body}");
    // The sign-out form without its token is refused, and the session stays.
    let res = console
        .browser
        .post_form(&console.url("/admin/logout"), &[("csrf", "wrong")])
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
    let page = console.get("/admin").await;
    assert!(page.body.contains(&console.user.email), "{}", page.body);
}

/// A console page is one unit of the operator's admin API budget however
/// many API calls it makes in process; past the budget the console answers
/// 429 with `Retry-After`, and the budget is the operator's (the API with
/// their token shares it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_pages_count_once_against_the_operators_admin_api_budget() {
    // 2 a second, bursts of 4, per API key and per operator.
    let server = TestServer::start_config(|c| c.rate_limits.admin_api_per_key = 2).await;
    let api = crate::api::Api::new(&server);
    let console = Console::sign_in(&server, &api, &["owner"]).await;
    // The dashboard and the organisations list each read several API
    // resources (analytics, tenants, usage): one unit each.
    for path in ["/admin", "/admin/tenants"] {
        let page = console.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
    }
    let mut limited = None;
    for _ in 0..12 {
        let page = console.get("/admin/tenants").await;
        if page.status == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(page);
            break;
        }
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    }
    let page = limited.expect("a burst of page views past the budget is limited");
    assert!(page.body.contains("Too many requests"), "{}", page.body);
    let wait: u64 = page.headers["retry-after"]
        .to_str()
        .unwrap_or_default()
        .parse()
        .unwrap_or_default();
    assert!(wait >= 1, "{:?}", page.headers);
}
