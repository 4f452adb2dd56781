//! Failure paths of the callback and of "Continue with": each a clear
//! page with its status, never a 500.

use super::*;

fn callback(w: &World, query: &str) -> String {
    format!(
        "{}/upstream/{UPSTREAM}/callback?{query}",
        w.env.tenant.issuer
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_or_unknown_state_is_refused() {
    let w = World::new(true, false).await;
    let env = &w.env;
    let base = format!("{}/upstream/{UPSTREAM}/callback", env.tenant.issuer);
    for query in ["", "?code=abc", "?state=&code=abc", "?state=nope&code=abc"] {
        let res = Browser::new().get(&format!("{base}{query}")).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{query}: {}", res.body);
        assert!(
            res.body.contains("expired or was already used"),
            "{}",
            res.body
        );
    }
    let res = Browser::new().post_form(&base, &[("state", "x")]).await;
    assert_eq!(res.status, StatusCode::METHOD_NOT_ALLOWED);
    // An unknown tenant's callback.
    let res = Browser::new()
        .get(&format!(
            "{}/t/nobody/upstream/x/callback?state=a",
            env.server.base_url
        ))
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.body);
}

/// Begins a round trip from A's login page: the browser, the URL at B
/// and the login page's URL.
async fn begin(w: &World) -> (Browser, url::Url, url::Url) {
    let browser = Browser::new();
    let (_, page) = w.rp.open_login(&browser, &AuthOptions::default()).await;
    let form = page
        .form_with(&format!("value=\"{UPSTREAM}\""))
        .expect("Continue with Beta");
    let res = browser.submit(&form, &[]).await;
    (browser, res.redirect(), page.url.clone())
}

fn state_of(url: &url::Url) -> String {
    url.query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .expect("state sent to the upstream")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_at_the_upstream_leads_back_to_the_login_page() {
    let w = World::new(true, false).await;
    let (browser, at_b, login) = begin(&w).await;
    let res = browser
        .get(&callback(
            &w,
            &format!("state={}&error=access_denied", state_of(&at_b)),
        ))
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
    assert!(
        res.body.contains("You cancelled the sign-in."),
        "{}",
        res.body
    );
    assert!(res.body.contains(login.path()), "a link back: {}", res.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reused_state_and_another_browser_are_refused() {
    let w = World::new(true, false).await;
    let bea = w.beta_user("bea@beta.example");
    let (browser, at_b, _) = begin(&w).await;
    let back = w.walk_beta(&browser, at_b.as_str(), &bea).await;
    // Another browser brings the callback: refused, and the state is spent.
    let other = Browser::new().get(&back).await;
    assert_eq!(other.status, StatusCode::BAD_REQUEST, "{}", other.body);
    let reused = browser.get(&back).await;
    assert_eq!(reused.status, StatusCode::BAD_REQUEST, "{}", reused.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_deleted_mid_flight_is_a_clear_404() {
    let w = World::new(true, false).await;
    let (browser, at_b, _) = begin(&w).await;
    let store =
        idp_store_sqlite::SqliteStore::open(&w.env.server.database_url).expect("open the store");
    let tenant = store
        .tenant_by_slug("acme")
        .await
        .expect("read the tenant")
        .expect("acme exists");
    let event = AuditEvent {
        id: 0,
        time: 2,
        actor_kind: "cli".into(),
        actor_id: "test".into(),
        actor_name: String::new(),
        action: AuditAction::UpstreamDelete.as_str().into(),
        tenant: Some("acme".into()),
        tenant_id: Some(tenant.id.clone()),
        target_kind: "upstream".into(),
        target_id: UPSTREAM.into(),
        address: None,
        request_id: None,
        changes: "{}".into(),
    };
    store
        .apply_audited(
            AdminChange::DeleteUpstream {
                tenant: &tenant.id,
                upstream: &UpstreamId::new(UPSTREAM),
            },
            &event,
        )
        .await
        .expect("deleted");
    let res = browser
        .get(&callback(
            &w,
            &format!("state={}&code=abc", state_of(&at_b)),
        ))
        .await;
    // Its flights went with it.
    assert!(
        res.status == StatusCode::NOT_FOUND || res.status == StatusCode::BAD_REQUEST,
        "{} {}",
        res.status,
        res.body
    );
    assert_ne!(res.status, StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_that_is_down_is_a_502_with_a_way_back() {
    let env = Env::new().await;
    // Nothing listens there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let dead = format!(
        "http://127.0.0.1:{}",
        closed.local_addr().expect("addr").port()
    );
    drop(closed);
    create_upstream(
        &env.server,
        "acme",
        &UpstreamSpec {
            id: "down",
            name: "Down",
            issuer: dead,
            client_id: "c".into(),
            client_secret: "s3cret-never-shown".into(),
            signup: true,
            auto_link: false,
        },
    )
    .await;
    let rp = env.rp(&env.client).await;
    let browser = Browser::new();
    let (_, page) = rp.open_login(&browser, &AuthOptions::default()).await;
    let form = page
        .form_with("value=\"down\"")
        .expect("Continue with Down");
    let res = browser.submit(&form, &[]).await;
    assert_eq!(res.status, StatusCode::BAD_GATEWAY, "{}", res.body);
    assert!(res.body.contains("could not be reached"), "{}", res.body);
    assert!(res.body.contains("id=\"back\""), "{}", res.body);
    assert!(!res.body.contains("s3cret-never-shown"));
}
