//! A console session for the console's page loads: signs an operator in
//! to `/admin` the way a browser does (the console's sign-in redirect, the
//! platform's login page, the callback) and prints the session cookie.

use anyhow::{Context, anyhow, bail};
use reqwest::header::{CONTENT_TYPE, LOCATION};
use std::sync::Arc;
use url::Url;

const CSRF: &str = "bench-csrf-0123456789abcdef0123456789abcdef";

fn next(res: &reqwest::Response) -> anyhow::Result<String> {
    res.headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("status {} without Location", res.status()))
}

/// Prints `{"cookie": "idp_console=…"}` for the operator `email`.
pub async fn console_cookie(base_url: &str, email: &str, password: &str) -> anyhow::Result<()> {
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let base = Url::parse(base_url)?;
    jar.add_cookie_str(&format!("idp_csrf={CSRF}; Path=/"), &base);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_provider(Arc::clone(&jar))
        .build()?;
    let res = http.get(format!("{base_url}/admin/login")).send().await?;
    let authorize = next(&res).context("the console did not redirect to sign in")?;
    let res = http.get(&authorize).send().await?;
    let page = next(&res).context("authorize did not ask for a login")?;
    if !page.contains("/interaction/") {
        bail!("authorize did not ask for a login: {page}");
    }
    let body: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("csrf", CSRF)
        .append_pair("username", email)
        .append_pair("password", password)
        .finish();
    let res = http
        .post(format!("{page}/login"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await?;
    let callback = next(&res).context("the login was refused")?;
    let res = http.get(&callback).send().await?;
    if !res.status().is_redirection() {
        bail!("the console's callback answered {}", res.status());
    }
    let admin = base.join("admin")?;
    let cookies = reqwest::cookie::CookieStore::cookies(&*jar, &admin)
        .and_then(|v| v.to_str().ok().map(str::to_owned))
        .unwrap_or_default();
    let session = cookies
        .split(';')
        .map(str::trim)
        .find(|c| c.starts_with("idp_console="))
        .ok_or_else(|| anyhow!("no console session cookie after signing in"))?;
    println!(
        "{}",
        serde_json::json!({ "cookie": format!("{session}; idp_csrf={CSRF}") })
    );
    Ok(())
}
