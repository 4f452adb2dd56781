//! The example through real HTTP: a browser (reqwest with a cookie jar, not
//! following redirects so every hop is checked) signs in to the application
//! through the provider it embeds.

use anyhow::{Context, anyhow, ensure};
use embedded_example::{DEMO_EMAIL, DEMO_PASSWORD, Running, Settings, start};
use reqwest::{Client, Response, StatusCode};
use serde_json::Value;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;

async fn start_in(dir: &Path) -> anyhow::Result<Running> {
    start(Settings {
        listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        data_dir: dir.to_path_buf(),
        public_url: None,
    })
    .await
}

fn browser() -> anyhow::Result<Client> {
    Ok(Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()?)
}

/// The `Location` of a redirect, made absolute against the request URL.
fn location(res: &Response) -> anyhow::Result<String> {
    ensure!(
        res.status().is_redirection(),
        "expected a redirect, got {}",
        res.status()
    );
    let value = res
        .headers()
        .get(reqwest::header::LOCATION)
        .ok_or_else(|| anyhow!("redirect without Location"))?
        .to_str()?;
    Ok(res.url().join(value)?.to_string())
}

/// The value of attribute `attr` of the first tag in `html` after `marker`.
fn attribute_after(html: &str, marker: &str, attr: &str) -> anyhow::Result<String> {
    let start = html
        .find(marker)
        .ok_or_else(|| anyhow!("no {marker} in the page: {html}"))?;
    let needle = format!("{attr}=\"");
    let from = start
        + html[start..]
            .find(&needle)
            .ok_or_else(|| anyhow!("no {attr} after {marker}"))?
        + needle.len();
    let len = html[from..]
        .find('"')
        .ok_or_else(|| anyhow!("unterminated {attr}"))?;
    Ok(html[from..from + len].replace("&amp;", "&"))
}

/// The absolute action URL and the CSRF token of the form with id `form_id`.
fn form(page_url: &reqwest::Url, html: &str, form_id: &str) -> anyhow::Result<(String, String)> {
    let tag = html
        .find(&format!("id=\"{form_id}\""))
        .and_then(|i| html[..i].rfind("<form"))
        .ok_or_else(|| anyhow!("no form {form_id}: {html}"))?;
    let action = attribute_after(&html[tag..], "<form", "action")?;
    let csrf = attribute_after(&html[tag..], "name=\"csrf\"", "value")?;
    Ok((page_url.join(&action)?.to_string(), csrf))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_signs_in_through_the_embedded_provider() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let app = start_in(dir.path()).await?;
    let browser = browser()?;

    // The provider is mounted under /idp: the issuer carries the prefix.
    let issuer = format!("{}/idp/t/demo", app.app_url);
    assert_eq!(app.issuer, issuer);
    let discovery: Value = browser
        .get(format!("{issuer}/.well-known/openid-configuration"))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    assert_eq!(discovery["issuer"], issuer.as_str(), "{discovery}");
    assert_eq!(
        discovery["authorization_endpoint"],
        format!("{issuer}/authorize").as_str()
    );

    // Not signed in: the app sends the browser to the provider (code + PKCE).
    let res = browser.get(format!("{}/", app.app_url)).send().await?;
    let authorize = location(&res)?;
    assert!(
        authorize.starts_with(&format!("{issuer}/authorize?")),
        "{authorize}"
    );
    for p in [
        "response_type=code",
        "code_challenge_method=S256",
        "state=",
        "nonce=",
    ] {
        assert!(authorize.contains(p), "{p} missing in {authorize}");
    }

    // The provider suspends the request and redirects to the app's login page.
    let res = browser.get(&authorize).send().await?;
    let login_url = location(&res)?;
    assert!(
        login_url.starts_with(&format!("{issuer}/interaction/")),
        "{login_url}"
    );
    let res = browser.get(&login_url).send().await?;
    assert_eq!(res.status(), StatusCode::OK);
    let page_url = res.url().clone();
    let html = res.text().await?;
    assert!(html.contains("Embedded example app"), "{html}");
    let (action, csrf) = form(&page_url, &html, "login-form")?;

    // Without the CSRF field the form is refused.
    let res = browser
        .post(&action)
        .form(&[("username", DEMO_EMAIL), ("password", DEMO_PASSWORD)])
        .send()
        .await?;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // A wrong password shows the form again.
    let res = browser
        .post(&action)
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", DEMO_EMAIL),
            ("password", "wrong"),
        ])
        .send()
        .await?;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.text().await?.contains("Wrong email or password"));

    // The right one leads to the consent page.
    let res = browser
        .post(&action)
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", DEMO_EMAIL),
            ("password", DEMO_PASSWORD),
        ])
        .send()
        .await?;
    let consent_url = location(&res)?;
    let res = browser.get(&consent_url).send().await?;
    assert_eq!(res.status(), StatusCode::OK);
    let page_url = res.url().clone();
    let html = res.text().await?;
    assert!(
        html.contains(DEMO_EMAIL),
        "the consent page names the user: {html}"
    );
    let (action, csrf) = form(&page_url, &html, "consent-form")?;
    let res = browser
        .post(&action)
        .form(&[("csrf", csrf.as_str()), ("decision", "allow")])
        .send()
        .await?;

    // Back at the app with a code; it redeems it in-process and greets.
    let callback = location(&res)?;
    assert!(
        callback.starts_with(&format!("{}/callback?", app.app_url)),
        "{callback}"
    );
    let res = browser.get(&callback).send().await?;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await?;
    assert!(html.contains(&format!("Hello, {DEMO_EMAIL}")), "{html}");

    // The app session holds; the code was single-use.
    let home = browser.get(format!("{}/", app.app_url)).send().await?;
    assert_eq!(home.status(), StatusCode::OK);
    assert!(home.text().await?.contains(&format!("Hello, {DEMO_EMAIL}")));
    let replay = browser.get(&callback).send().await?;
    assert_eq!(replay.status(), StatusCode::BAD_REQUEST);

    app.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarting_on_the_same_data_keeps_the_provider() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let first = start_in(dir.path()).await?;
    let jwks_url = format!("{}/jwks", first.issuer);
    let jwks: Value = browser()?.get(&jwks_url).send().await?.json().await?;
    first.shutdown().await;

    // Same master key, tenant and demo user: start-up provisioning is idempotent.
    let second = start_in(dir.path()).await.context("second start")?;
    let again: Value = browser()?
        .get(format!("{}/jwks", second.issuer))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(jwks, again, "the tenant's signing keys survive a restart");
    second.shutdown().await;
    Ok(())
}

/// The login form of a fresh authorization request: its absolute action
/// and CSRF token.
async fn login_form(browser: &Client, app: &Running) -> anyhow::Result<(String, String)> {
    let res = browser.get(format!("{}/", app.app_url)).send().await?;
    let res = browser.get(location(&res)?).send().await?;
    let res = browser.get(location(&res)?).send().await?;
    let page_url = res.url().clone();
    form(&page_url, &res.text().await?, "login-form")
}

/// The application writes no lockout code: idp-core's default limits lock
/// the (account, address) pair after 5 wrong passwords, the right one
/// included, and a client after 20 wrong secrets from one address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_provider_locks_out_guessed_passwords_and_secrets() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let app = start_in(dir.path()).await?;
    let browser = browser()?;
    let (action, csrf) = login_form(&browser, &app).await?;
    let attempt = |password: &'static str| {
        browser
            .post(&action)
            .form(&[
                ("csrf", csrf.as_str()),
                ("username", DEMO_EMAIL),
                ("password", password),
            ])
            .send()
    };
    for _ in 0..5 {
        assert_eq!(attempt("wrong").await?.status(), StatusCode::UNAUTHORIZED);
    }
    let locked = attempt(DEMO_PASSWORD).await?;
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = locked
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .ok_or_else(|| anyhow!("no Retry-After"))?
        .to_str()?
        .parse()?;
    assert!((1..=30).contains(&retry_after), "{retry_after}");
    assert!(
        locked
            .text()
            .await?
            .contains("Too many failed sign-in attempts")
    );

    // Client authentication at the token endpoint, from discovery.
    let discovery: Value = browser
        .get(format!("{}/.well-known/openid-configuration", app.issuer))
        .send()
        .await?
        .json()
        .await?;
    let token_endpoint = discovery["token_endpoint"]
        .as_str()
        .ok_or_else(|| anyhow!("no token_endpoint"))?;
    let saved: Value = serde_json::from_slice(&std::fs::read(dir.path().join("client.json"))?)?;
    let client_id = saved["client_id"]
        .as_str()
        .ok_or_else(|| anyhow!("no saved client"))?;
    let exchange = |secret: &'static str| {
        browser
            .post(token_endpoint)
            .basic_auth(client_id, Some(secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
    };
    for _ in 0..20 {
        assert_eq!(exchange("wrong").await?.status(), StatusCode::UNAUTHORIZED);
    }
    let locked = exchange("wrong").await?;
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(locked.headers().contains_key(reqwest::header::RETRY_AFTER));
    let body: Value = locked.json().await?;
    assert_eq!(body["error"], "temporarily_unavailable", "{body}");
    app.shutdown().await;
    Ok(())
}

/// CORS comes with `Provider::handle`: discovery for any origin, the token
/// endpoint's preflight for the demo client's web origin (its redirect
/// URI's) and for no other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_provider_answers_browser_apps_origins() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let app = start_in(dir.path()).await?;
    let http = browser()?;
    let discovery = http
        .get(format!("{}/.well-known/openid-configuration", app.issuer))
        .header("origin", "https://anyone.example")
        .send()
        .await?;
    assert_eq!(discovery.headers()["access-control-allow-origin"], "*");
    let preflight = |origin: &str| {
        http.request(reqwest::Method::OPTIONS, format!("{}/token", app.issuer))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .send()
    };
    let res = preflight(&app.app_url).await?;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        app.app_url.as_str()
    );
    let res = preflight("https://stranger.example").await?;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(res.headers().get("access-control-allow-origin").is_none());
    app.shutdown().await;
    Ok(())
}
