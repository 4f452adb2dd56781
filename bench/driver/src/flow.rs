//! The browser and client side of the flows, over real HTTP: log in once
//! through authorize + the login page (+ consent), then mint single-use
//! inputs (codes, refresh tokens, login interactions) and measure the
//! requests that spend them.

use crate::load;
use crate::{Shape, Target};
use anyhow::{Context, anyhow, bail};
use base64::Engine;
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, LOCATION};
use std::sync::Arc;
use url::Url;

/// Every scope the bench asks for; consented once at the first login.
const ALL_SCOPES: &str = "openid profile email offline_access";
/// The double-submit CSRF value the driver sends as cookie and field alike.
const CSRF: &str = "bench-csrf-0123456789abcdef0123456789abcdef";
const FORM: &str = "application/x-www-form-urlencoded";

/// Endpoints from discovery, and a client for each kind of call.
struct Session {
    target: Target,
    authorization: String,
    token: String,
    /// Keeps the session cookie; never follows redirects.
    browser: reqwest::Client,
    /// No cookies; never follows redirects.
    plain: reqwest::Client,
    basic: String,
}

fn client(jar: Option<Arc<reqwest::cookie::Jar>>) -> anyhow::Result<reqwest::Client> {
    let mut b = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(256);
    if let Some(jar) = jar {
        b = b.cookie_provider(jar);
    }
    Ok(b.build()?)
}

fn form(pairs: &[(&str, &str)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

fn location(res: &reqwest::Response) -> anyhow::Result<String> {
    let loc = res
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| anyhow!("status {} without Location", res.status()))?;
    Ok(loc.to_owned())
}

fn code_of(location: &str) -> anyhow::Result<String> {
    let url = Url::parse(location)?;
    url.query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .ok_or_else(|| anyhow!("no code in {location}"))
}

impl Session {
    async fn open(target: &Target) -> anyhow::Result<Self> {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let issuer = Url::parse(&target.issuer)?;
        jar.add_cookie_str(&format!("idp_csrf={CSRF}; Path=/"), &issuer);
        let browser = client(Some(jar))?;
        let plain = client(None)?;
        let doc: serde_json::Value = plain
            .get(format!(
                "{}/.well-known/openid-configuration",
                target.issuer
            ))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let endpoint = |name: &str| -> anyhow::Result<String> {
            doc[name]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| anyhow!("discovery has no {name}"))
        };
        let enc = |s: &str| form(&[("x", s)])[2..].to_owned();
        let basic = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!(
                "{}:{}",
                enc(&target.client_id),
                enc(&target.client_secret)
            ))
        );
        Ok(Self {
            target: target.clone(),
            authorization: endpoint("authorization_endpoint")?,
            token: endpoint("token_endpoint")?,
            browser,
            plain,
            basic,
        })
    }

    fn authorize_url(&self, scope: &str, n: usize) -> String {
        format!(
            "{}?{}",
            self.authorization,
            form(&[
                ("response_type", "code"),
                ("client_id", &self.target.client_id),
                ("redirect_uri", &self.target.redirect_uri),
                ("scope", scope),
                ("state", &n.to_string()),
            ])
        )
    }

    /// Opens a login interaction (no session): its page URL.
    async fn interaction(&self, n: usize) -> anyhow::Result<String> {
        let res = self
            .plain
            .get(self.authorize_url(ALL_SCOPES, n))
            .send()
            .await?;
        let loc = location(&res)?;
        if !loc.contains("/interaction/") {
            bail!("authorize did not ask for a login: {loc}");
        }
        Ok(loc)
    }

    /// Logs the browser in (and consents to every bench scope).
    async fn log_in(&self) -> anyhow::Result<()> {
        let page = self.interaction(0).await?;
        let res = self
            .browser
            .post(format!("{page}/login"))
            .header(CONTENT_TYPE, FORM)
            .body(form(&[
                ("csrf", CSRF),
                ("username", &self.target.email),
                ("password", &self.target.password),
            ]))
            .send()
            .await?;
        let next = location(&res).context("login refused")?;
        if next.starts_with(&self.target.redirect_uri) {
            return Ok(());
        }
        let res = self
            .browser
            .post(format!("{page}/consent"))
            .header(CONTENT_TYPE, FORM)
            .body(form(&[("csrf", CSRF), ("decision", "allow")]))
            .send()
            .await?;
        code_of(&location(&res)?).map(|_| ())
    }

    /// A code through authorize with the logged-in session.
    async fn code(&self, scope: &str, n: usize) -> anyhow::Result<String> {
        let res = self
            .browser
            .get(self.authorize_url(scope, n))
            .send()
            .await?;
        code_of(&location(&res)?)
    }

    /// POSTs a token request; the response JSON on 200.
    async fn token_request(&self, body: String) -> Result<serde_json::Value, String> {
        let res = self
            .plain
            .post(&self.token)
            .header(AUTHORIZATION, &self.basic)
            .header(CONTENT_TYPE, FORM)
            .body(body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = res.status();
        let body = res.bytes().await.map_err(|e| e.to_string())?;
        if status != StatusCode::OK {
            return Err(format!("{status}: {}", String::from_utf8_lossy(&body)));
        }
        serde_json::from_slice(&body).map_err(|e| e.to_string())
    }

    fn exchange_body(&self, code: &str) -> String {
        form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &self.target.redirect_uri),
        ])
    }
}

/// Runs `mint(i)` for `0..count`, `concurrency` at a time, collecting results.
async fn mint<F, Fut>(count: usize, concurrency: usize, mint: F) -> anyhow::Result<Vec<String>>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<String>> + Send + 'static,
{
    let mint = Arc::new(mint);
    let per = count.div_ceil(concurrency.max(1));
    let tasks: Vec<_> = (0..concurrency.max(1))
        .map(|t| {
            let mint = Arc::clone(&mint);
            tokio::spawn(async move {
                let mut out = Vec::with_capacity(per);
                for i in t * per..((t + 1) * per).min(count) {
                    out.push(mint(i).await?);
                }
                anyhow::Ok(out)
            })
        })
        .collect();
    let mut all = Vec::with_capacity(count);
    for t in tasks {
        all.extend(t.await??);
    }
    Ok(all)
}

/// Mints `count` codes (scope `scope`) with a logged-in session.
async fn codes(s: &Arc<Session>, scope: &'static str, count: usize) -> anyhow::Result<Vec<String>> {
    s.log_in().await?;
    let started = std::time::Instant::now();
    let s2 = Arc::clone(s);
    let codes = mint(count, 16, move |i| {
        let s = Arc::clone(&s2);
        async move { s.code(scope, i).await }
    })
    .await?;
    eprintln!(
        "minted {} codes in {:.1}s",
        codes.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(codes)
}

/// Code exchanges/s.
pub async fn exchange(target: &Target, shape: Shape) -> anyhow::Result<()> {
    let s = Arc::new(Session::open(target).await?);
    let codes = Arc::new(codes(&s, "openid profile email", shape.count).await?);
    let n = codes.len();
    let out = load::run(n, shape.concurrency, shape.secs, move |i| {
        let (s, codes) = (Arc::clone(&s), Arc::clone(&codes));
        async move {
            s.token_request(s.exchange_body(&codes[i]))
                .await
                .map(|_| ())
        }
    })
    .await;
    out.print("code exchange");
    Ok(())
}

/// Refreshes/s, each presenting a fresh refresh token once. Each token is
/// minted by a code exchanged as soon as it is issued (codes live 60 s).
pub async fn refresh(target: &Target, shape: Shape) -> anyhow::Result<()> {
    let s = Arc::new(Session::open(target).await?);
    s.log_in().await?;
    let started = std::time::Instant::now();
    let s2 = Arc::clone(&s);
    let tokens = mint(shape.count, 16, move |i| {
        let s = Arc::clone(&s2);
        async move {
            let code = s.code(ALL_SCOPES, i).await?;
            let v = s
                .token_request(s.exchange_body(&code))
                .await
                .map_err(|e| anyhow!(e))?;
            v["refresh_token"]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| anyhow!("no refresh_token in {v}"))
        }
    })
    .await?;
    eprintln!(
        "minted {} refresh tokens in {:.1}s",
        tokens.len(),
        started.elapsed().as_secs_f64()
    );
    let tokens = Arc::new(tokens);
    let out = load::run(tokens.len(), shape.concurrency, shape.secs, move |i| {
        let (s, tokens) = (Arc::clone(&s), Arc::clone(&tokens));
        async move {
            let body = form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", &tokens[i]),
            ]);
            s.token_request(body).await.map(|_| ())
        }
    })
    .await;
    out.print("refresh");
    Ok(())
}

/// Password logins/s: each POST to a login page verifies the password with
/// argon2id, starts a session and redirects with a code.
pub async fn login(target: &Target, shape: Shape) -> anyhow::Result<()> {
    let s = Arc::new(Session::open(target).await?);
    s.log_in().await?;
    let s2 = Arc::clone(&s);
    let pages = Arc::new(
        mint(shape.count, 16, move |i| {
            let s = Arc::clone(&s2);
            async move { s.interaction(i).await }
        })
        .await?,
    );
    let out = load::run(pages.len(), shape.concurrency, shape.secs, move |i| {
        let (s, pages) = (Arc::clone(&s), Arc::clone(&pages));
        async move {
            let res = s
                .plain
                .post(format!("{}/login", pages[i]))
                .header(CONTENT_TYPE, FORM)
                .header(COOKIE, format!("idp_csrf={CSRF}"))
                .body(form(&[
                    ("csrf", CSRF),
                    ("username", &s.target.email),
                    ("password", &s.target.password),
                ]))
                .send()
                .await
                .map_err(|e| e.to_string())?;
            let loc = location(&res).map_err(|e| e.to_string())?;
            let _ = res.bytes().await;
            if loc.starts_with(&s.target.redirect_uri) && loc.contains("code=") {
                Ok(())
            } else {
                Err(format!("login did not return a code: {loc}"))
            }
        }
    })
    .await;
    out.print("password login");
    Ok(())
}

/// Prints a user's access token for the userinfo load.
pub async fn user_token(target: &Target) -> anyhow::Result<()> {
    let s = Arc::new(Session::open(target).await?);
    let code = codes(&s, "openid profile email", 1)
        .await?
        .pop()
        .ok_or_else(|| anyhow!("no code"))?;
    let v = s
        .token_request(s.exchange_body(&code))
        .await
        .map_err(|e| anyhow!(e))?;
    println!("{}", serde_json::json!({"access_token": v["access_token"]}));
    Ok(())
}
