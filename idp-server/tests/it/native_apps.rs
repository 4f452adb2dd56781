//! Native and CLI apps (RFC 8252): a loopback redirect URI registered on an
//! IP literal accepts any port (§7.3), with path and query still exact;
//! `localhost` keeps exact matching (§8.3); private-use schemes (§7.1) and
//! claimed https redirects (§7.2) complete a real code exchange.

use crate::authorize_errors::assert_error_page;
use crate::support::*;
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

const LOOPBACK_V4: &str = "http://127.0.0.1/callback";
const LOOPBACK_V6: &str = "http://[::1]/callback";
const LOCALHOST: &str = "http://localhost:8400/callback";
const PRIVATE_USE: &str = "com.example.app:/cb";
const CLAIMED: &str = "https://app.example/oauth/cb";

/// A public client with PKCE, as a native app registers.
fn native_app(env: &Env) -> RegisteredClient {
    env.client(&ClientSpec {
        redirect_uris: [LOOPBACK_V4, LOOPBACK_V6, LOCALHOST, PRIVATE_USE, CLAIMED]
            .map(str::to_owned)
            .to_vec(),
        grant_types: vec!["authorization_code".into(), "refresh_token".into()],
        ..ClientSpec::public("CLI")
    })
}

/// What a CLI app does: listens on an ephemeral loopback port and waits for
/// one request, the browser's redirect. Returns the redirect URI to send
/// and the request target the browser delivers.
async fn loopback_listener(host: &str) -> (String, oneshot::Receiver<String>) {
    let listener = TcpListener::bind(format!("{host}:0"))
        .await
        .expect("loopback listener");
    let port = listener.local_addr().expect("local address").port();
    let (tx, rx) = oneshot::channel();
    tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.expect("the browser connects");
        let mut buf = Vec::new();
        let mut chunk = [0u8; 1024];
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = stream.read(&mut chunk).await.expect("request read");
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        let head = String::from_utf8_lossy(&buf);
        let target = head
            .split_whitespace()
            .nth(1)
            .expect("request line")
            .to_owned();
        let _ = stream
            .write_all(
                b"HTTP/1.1 200 OK\r\ncontent-length: 9\r\nconnection: close\r\n\r\nsigned in",
            )
            .await;
        let _ = tx.send(target);
    });
    let authority = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    (format!("http://{authority}/callback"), rx)
}

/// Runs the browser part of a code flow to `redirect_uri`: (code, verifier).
async fn authorize(env: &Env, client: &RegisteredClient, redirect_uri: &str) -> (Callback, String) {
    let (verifier, challenge) = pkce_pair();
    let url = RawAuthorize::code_with_pkce(&env.endpoints, &client.client_id, &challenge, "s1")
        .set("redirect_uri", redirect_uri)
        .url();
    let (callback, _) = Browser::new()
        .authorize(&url, redirect_uri, &env.user)
        .await;
    (callback, verifier)
}

async fn exchange(
    env: &Env,
    client: &RegisteredClient,
    code: &str,
    redirect_uri: &str,
    verifier: &str,
) -> Resp {
    token_request(
        &env.endpoints.token,
        ClientAuth::Public(&client.client_id),
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier),
        ],
    )
    .await
}

/// The whole loopback flow: the browser delivers the redirect to a real
/// listener on an ephemeral port, the app exchanges the code it received.
async fn loopback_flow(env: &Env, client: &RegisteredClient, host: &str) {
    let (redirect_uri, received) = loopback_listener(host).await;
    let (callback, verifier) = authorize(env, client, &redirect_uri).await;
    // The browser follows the redirect to the app's listener.
    let res = Browser::new().get(callback.url.as_str()).await;
    assert_eq!(
        (res.status, res.body.as_str()),
        (StatusCode::OK, "signed in")
    );
    let target = received.await.expect("the listener got the redirect");
    let delivered = Callback::parse(
        &url::Url::parse(&format!(
            "{redirect_uri}{}",
            target.trim_start_matches("/callback")
        ))
        .expect("callback URL"),
    );
    assert!(target.starts_with("/callback?"), "{target}");
    assert_eq!(delivered.iss.as_deref(), Some(env.tenant.issuer.as_str()));
    let res = exchange(env, client, &delivered.code(), &redirect_uri, &verifier).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let tokens = res.json();
    assert!(tokens["access_token"].is_string(), "{tokens}");
    assert!(tokens["id_token"].is_string(), "{tokens}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loopback_ipv4_redirect_accepts_any_port() {
    let env = Env::new().await;
    let client = native_app(&env);
    loopback_flow(&env, &client, "127.0.0.1").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loopback_ipv6_redirect_accepts_any_port() {
    let env = Env::new().await;
    let client = native_app(&env);
    loopback_flow(&env, &client, "::1").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loopback_code_is_redeemed_only_with_the_port_of_the_request() {
    let env = Env::new().await;
    let client = native_app(&env);
    // RFC 6749 §4.1.3: identical to the authorization request's, port included.
    let (callback, verifier) = authorize(&env, &client, "http://127.0.0.1:54321/callback").await;
    let res = exchange(
        &env,
        &client,
        &callback.code(),
        "http://127.0.0.1:54322/callback",
        &verifier,
    )
    .await;
    let body = res.assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    assert_eq!(
        body["error_description"],
        "redirect_uri does not match the authorization request"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loopback_matching_keeps_path_query_host_and_localhost_exact() {
    let env = Env::new().await;
    let client = native_app(&env);
    for uri in [
        // §8.3: localhost is a name, matched exactly.
        "http://localhost:8401/callback",
        "http://localhost/callback",
        // Only the port is free.
        "http://127.0.0.1:54321/other",
        "http://127.0.0.1:54321/callback/",
        "http://127.0.0.1:54321/callback?x=1",
        "http://[::1]:54321/callback?x=1",
        "http://127.0.0.2:54321/callback",
        "https://127.0.0.1:54321/callback",
        "http://127.0.0.1:54321/callback#frag",
        "http://127.0.0.1.nip.io:54321/callback",
        // Claimed https and private-use URIs stay exact.
        "https://app.example:8443/oauth/cb",
        "com.example.app:/cb2",
    ] {
        let (_, challenge) = pkce_pair();
        let res = RawAuthorize::code_with_pkce(&env.endpoints, &client.client_id, &challenge, "s")
            .set("redirect_uri", uri)
            .send()
            .await;
        assert_error_page(&res);
        assert!(
            res.body
                .contains("redirect_uri is not registered for this client"),
            "{uri}: {}",
            res.body
        );
    }
    // The registered localhost URI itself works.
    let (callback, verifier) = authorize(&env, &client, LOCALHOST).await;
    let res = exchange(&env, &client, &callback.code(), LOCALHOST, &verifier).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_use_scheme_redirect_completes_a_code_exchange() {
    let env = Env::new().await;
    let client = native_app(&env);
    let (callback, verifier) = authorize(&env, &client, PRIVATE_USE).await;
    assert!(
        callback.url.as_str().starts_with("com.example.app:/cb?"),
        "{}",
        callback.url
    );
    let res = exchange(&env, &client, &callback.code(), PRIVATE_USE, &verifier).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(res.json()["access_token"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claimed_https_redirect_completes_a_code_exchange() {
    let env = Env::new().await;
    let client = native_app(&env);
    let (callback, verifier) = authorize(&env, &client, CLAIMED).await;
    let res = exchange(&env, &client, &callback.code(), CLAIMED, &verifier).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(res.json()["access_token"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_registers_a_native_app_with_a_loopback_redirect() {
    let env = Env::new().await;
    let out = env.server.cli(
        &[
            "client",
            "create",
            "--tenant",
            &env.tenant.slug,
            "--name",
            "Terminal",
            "--public",
            "--redirect-uri",
            LOOPBACK_V4,
            "--json",
        ],
        None,
    );
    assert!(out.success, "{}", out.stderr);
    let v = out.json(&[]);
    assert_eq!(v["token_endpoint_auth_method"], "none", "{v}");
    assert!(v["client_secret"].is_null(), "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loopback_post_logout_redirect_accepts_any_port_localhost_stays_exact() {
    let env = Env::new().await;
    let client = env.client(&ClientSpec {
        redirect_uris: vec![LOOPBACK_V4.to_owned()],
        post_logout_redirect_uris: vec![
            "http://127.0.0.1/logged-out".to_owned(),
            "http://localhost:8400/bye".to_owned(),
        ],
        ..ClientSpec::public("CLI")
    });
    let browser = Browser::new();
    let redirect_uri = "http://127.0.0.1:50123/callback";
    let (verifier, challenge) = pkce_pair();
    let url = RawAuthorize::code_with_pkce(&env.endpoints, &client.client_id, &challenge, "s1")
        .set("redirect_uri", redirect_uri)
        .url();
    let (callback, _) = browser.authorize(&url, redirect_uri, &env.user).await;
    let res = exchange(&env, &client, &callback.code(), redirect_uri, &verifier).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let id_token = res.json()["id_token"]
        .as_str()
        .expect("id_token")
        .to_owned();
    let logout = |uri: &str| {
        with_query(
            &env.endpoints.end_session,
            &[
                ("id_token_hint", &id_token),
                ("post_logout_redirect_uri", uri),
                ("state", "bye"),
            ],
        )
    };
    // §8.3: localhost is matched exactly, port included.
    let res = browser.get(&logout("http://localhost:8401/bye")).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
    assert!(res.location().is_none());
    let res = browser
        .get(&logout("http://127.0.0.1:61000/logged-out"))
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(
        res.redirect().as_str(),
        "http://127.0.0.1:61000/logged-out?state=bye"
    );
}
