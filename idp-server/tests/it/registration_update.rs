//! RFC 7592 §2.2 client update: `PUT registration_client_uri` with the
//! registration access token and the client's whole metadata.

use crate::authorize_errors::assert_error_page;
use crate::support::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

const NEW_REDIRECT_URI: &str = "https://rp.example/new-cb";

/// A self-registered confidential client: its registration response.
async fn registered(endpoints: &Endpoints) -> Value {
    let res = register(
        endpoints,
        &json!({
            "redirect_uris": [REDIRECT_URI],
            "client_name": "Before",
            "logo_uri": "https://rp.example/logo.png",
            "contacts": ["ops@rp.example"],
        }),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    res.json()
}

/// `PUT uri` with `token` (if any) and `body`.
async fn put(uri: &str, token: Option<&str>, body: &Value) -> Resp {
    let mut req = plain_client().put(uri).json(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.expect("PUT");
    Resp::read(url::Url::parse(uri).expect("URL"), res).await
}

fn field<'a>(doc: &'a Value, name: &str) -> &'a str {
    doc[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} in {doc}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_replaces_the_metadata_and_the_next_authorization_uses_it() {
    let (server, endpoints) = open_tenant().await;
    let user = server.create_user("open", "bob@open.example", "Bob", PASSWORD);
    let reg = registered(&endpoints).await;
    let (id, uri, token) = (
        field(&reg, "client_id"),
        field(&reg, "registration_client_uri"),
        field(&reg, "registration_access_token"),
    );
    // Sign in once with the old redirect URI, so the client is cached.
    let old = RawAuthorize::code(&endpoints, id, "s1");
    let browser = Browser::new();
    let (callback, _) = browser.authorize(&old.url(), REDIRECT_URI, &user).await;
    assert!(callback.code.is_some(), "{callback:?}");

    let res = put(
        uri,
        Some(token),
        &json!({
            "client_id": id,
            "redirect_uris": [NEW_REDIRECT_URI],
            "client_name": "After",
            "contacts": ["new@rp.example"],
        }),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_no_store(&res);
    let doc = res.json();
    assert_eq!(doc["client_id"], id);
    assert_eq!(doc["redirect_uris"], json!([NEW_REDIRECT_URI]));
    assert_eq!(doc["client_name"], "After");
    assert_eq!(doc["contacts"], json!(["new@rp.example"]));
    // Omitted: removed.
    assert!(doc.get("logo_uri").is_none(), "{doc}");
    assert_eq!(doc["registration_client_uri"], uri);
    // A read says the same.
    let read = plain_client()
        .get(uri)
        .bearer_auth(token)
        .send()
        .await
        .expect("read");
    let read: Value = read.json().await.expect("JSON");
    assert_eq!(read["redirect_uris"], json!([NEW_REDIRECT_URI]));
    assert_eq!(read["client_name"], "After");

    // The old redirect URI is refused at once, the new one works, and the
    // secret is still the one issued at registration.
    assert_error_page(&old.send().await);
    let new = RawAuthorize::code(&endpoints, id, "s2").set("redirect_uri", NEW_REDIRECT_URI);
    let (callback, _) = browser.authorize(&new.url(), NEW_REDIRECT_URI, &user).await;
    let secret = field(&reg, "client_secret");
    let res = token_request(
        &endpoints.token,
        ClientAuth::Basic(id, secret),
        &[
            ("grant_type", "authorization_code"),
            ("code", &callback.code()),
            ("redirect_uri", NEW_REDIRECT_URI),
        ],
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_registration_response_sent_back_is_accepted() {
    let (_server, endpoints) = open_tenant().await;
    let reg = registered(&endpoints).await;
    let uri = field(&reg, "registration_client_uri");
    let token = field(&reg, "registration_access_token");
    // RFC 7592 §2.2: issued values may be sent back if unchanged.
    let mut body = reg.clone();
    body["client_name"] = json!("Renamed");
    let res = put(uri, Some(token), &body).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.json()["client_name"], "Renamed");
    assert_eq!(res.json()["logo_uri"], "https://rp.example/logo.png");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_without_the_registration_access_token_is_401() {
    let (_server, endpoints) = open_tenant().await;
    let reg = registered(&endpoints).await;
    let uri = field(&reg, "registration_client_uri");
    let body = json!({"client_id": reg["client_id"], "redirect_uris": [NEW_REDIRECT_URI]});
    for token in [Some("not-the-token"), None] {
        let res = put(uri, token, &body).await;
        res.assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_token");
        assert!(res.header("www-authenticate").is_some());
    }
    // Nothing changed.
    let read = plain_client()
        .get(uri)
        .bearer_auth(field(&reg, "registration_access_token"))
        .send()
        .await
        .expect("read");
    let read: Value = read.json().await.expect("JSON");
    assert_eq!(read["redirect_uris"], json!([REDIRECT_URI]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_that_breaks_the_rules_is_400() {
    let (_server, endpoints) = open_tenant().await;
    let reg = registered(&endpoints).await;
    let id = field(&reg, "client_id");
    let uri = field(&reg, "registration_client_uri");
    let token = field(&reg, "registration_access_token");
    let body = |extra: Value| {
        let mut b = json!({"client_id": id, "redirect_uris": [REDIRECT_URI]});
        if let (Some(b), Some(e)) = (b.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                b.insert(k.clone(), v.clone());
            }
        }
        b
    };
    for (sent, error) in [
        (
            body(json!({"client_id": "another-client"})),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": [REDIRECT_URI]}),
            "invalid_client_metadata",
        ),
        (
            body(json!({"client_secret": "not-the-secret"})),
            "invalid_client_metadata",
        ),
        (
            body(json!({"registration_access_token": "other"})),
            "invalid_client_metadata",
        ),
        (
            body(json!({"client_id_issued_at": 12})),
            "invalid_client_metadata",
        ),
        (
            body(json!({"registration_client_uri": "https://evil.example/x"})),
            "invalid_client_metadata",
        ),
        (
            body(json!({"redirect_uris": ["https://rp.example/cb#frag"]})),
            "invalid_redirect_uri",
        ),
        (
            body(json!({"token_endpoint_auth_method": "none"})),
            "invalid_client_metadata",
        ),
        (
            body(json!({"response_types": ["token"]})),
            "invalid_client_metadata",
        ),
    ] {
        let res = put(uri, Some(token), &sent).await;
        res.assert_oauth_error(StatusCode::BAD_REQUEST, error);
    }
    let read = plain_client()
        .get(uri)
        .bearer_auth(token)
        .send()
        .await
        .expect("read");
    let read: Value = read.json().await.expect("JSON");
    assert_eq!(read["client_name"], "Before", "nothing changed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_can_require_pushed_authorization_requests() {
    let (_server, endpoints) = open_tenant().await;
    let reg = registered(&endpoints).await;
    let id = field(&reg, "client_id");
    let res = put(
        field(&reg, "registration_client_uri"),
        Some(field(&reg, "registration_access_token")),
        &json!({
            "client_id": id,
            "redirect_uris": [REDIRECT_URI],
            "require_pushed_authorization_requests": true,
        }),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.json()["require_pushed_authorization_requests"], true);
    let callback = RawAuthorize::code(&endpoints, id, "s").to_client().await;
    callback.assert_error("invalid_request", &endpoints.issuer, Some("s"));
}
