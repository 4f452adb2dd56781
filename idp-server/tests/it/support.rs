//! Shared test machinery: a real server on 127.0.0.1:0 over a temporary
//! SQLite file, the CLI run as a separate process on the same database, a
//! `Browser` (an HTTP client with a cookie jar that does not follow
//! redirects) that fills in the login and consent pages, and an
//! `openidconnect` relying party as the independent judge of what the
//! provider issues.

#![allow(dead_code)]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use idp_server::config::Config;
use idp_server::server::RunningServer;
use openidconnect::core::{
    CoreAuthPrompt, CoreClient, CoreIdTokenClaims, CoreJwsSigningAlgorithm, CoreProviderMetadata,
    CoreTokenResponse,
};
use openidconnect::{
    AccessTokenHash, AuthType, AuthenticationFlow, AuthorizationCode, ClientId, ClientSecret,
    CsrfToken, EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use reqwest::cookie::{CookieStore, Jar};
use reqwest::header::HeaderMap;
use reqwest::{StatusCode, redirect::Policy};
use serde_json::Value;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use tempfile::TempDir;
use url::Url;

/// The master key every test server and CLI run uses.
pub const KEY_HEX: &str = "abababababababababababababababababababababababababababababababab";

/// The redirect URI registered for test clients. Nothing listens there: the
/// browser never follows redirects, it reads `Location`.
pub const REDIRECT_URI: &str = "https://rp.example/cb";

/// The password of users made by [`Env::new`].
pub const PASSWORD: &str = "correct horse battery staple";

// ---------------------------------------------------------------------------
// The server and the CLI
// ---------------------------------------------------------------------------

/// A server over its own temporary directory.
pub struct TestServer {
    /// Holds the SQLite file; removed on drop.
    pub dir: TempDir,
    /// `sqlite:{dir}/idp.db`.
    pub database_url: String,
    /// BASE_URL in effect (`http://localhost:{port}`).
    pub base_url: String,
    /// The bound port.
    pub port: u16,
    running: Option<RunningServer>,
}

/// What a CLI run printed.
#[derive(Debug)]
pub struct CliOutput {
    /// Exit status was success.
    pub success: bool,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl TestServer {
    /// Starts a server on 127.0.0.1:0 with a fresh database.
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let database_url = format!("sqlite:{}", dir.path().join("idp.db").display());
        let config = Config::for_tests(database_url.clone(), KEY_HEX.to_owned());
        let running = idp_server::server::start(config)
            .await
            .expect("the server starts on 127.0.0.1:0");
        let base_url = running.base_url.clone();
        let port = running.addr.port();
        assert!(
            running.addr.ip().is_loopback(),
            "server bound to {} instead of the loopback address",
            running.addr
        );
        Self {
            dir,
            database_url,
            base_url,
            port,
            running: Some(running),
        }
    }

    /// Stops the server gracefully and starts a new one on the same
    /// database, port and BASE_URL (a restarted deployment keeps its URL).
    pub async fn restart(&mut self) {
        if let Some(running) = self.running.take() {
            running.shutdown().await;
        }
        let mut last_error = String::new();
        for _ in 0..50 {
            let mut config = Config::for_tests(self.database_url.clone(), KEY_HEX.to_owned());
            config.port = self.port;
            config.base_url = Some(self.base_url.clone());
            match idp_server::server::start(config).await {
                Ok(running) => {
                    assert_eq!(running.base_url, self.base_url);
                    self.running = Some(running);
                    return;
                }
                Err(e) => {
                    last_error = format!("{e:?}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        panic!(
            "the server did not restart on port {}: {last_error}",
            self.port
        );
    }

    /// Stops the server.
    pub async fn shutdown(mut self) {
        if let Some(running) = self.running.take() {
            running.shutdown().await;
        }
    }

    /// `{base_url}/t/{slug}`.
    pub fn issuer(&self, slug: &str) -> String {
        format!("{}/t/{slug}", self.base_url)
    }

    /// Runs `idp-server ARGS` on this server's database, `stdin` on its input.
    pub fn cli(&self, args: &[&str], stdin: Option<&str>) -> CliOutput {
        use std::io::Write;
        let mut child = Command::new(env!("CARGO_BIN_EXE_idp-server"))
            .args(args)
            .current_dir(self.dir.path())
            .env("DATABASE_URL", &self.database_url)
            .env("ENCRYPTION_KEY", KEY_HEX)
            .env("BASE_URL", &self.base_url)
            .env_remove("SERVER_HOST")
            .env_remove("SERVER_PORT")
            .env_remove("LOG_FORMAT")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the idp-server binary runs");
        {
            let mut input = child.stdin.take().expect("stdin is piped");
            if let Some(text) = stdin {
                input
                    .write_all(text.as_bytes())
                    .expect("write to the CLI's stdin");
            }
        }
        let out = child.wait_with_output().expect("the CLI finishes");
        CliOutput {
            success: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Runs a CLI command that must succeed and print JSON.
    pub fn cli_json(&self, args: &[&str], stdin: Option<&str>) -> Value {
        let out = self.cli(args, stdin);
        assert!(
            out.success,
            "`idp-server {}` failed: {}",
            args.join(" "),
            out.stderr
        );
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "`idp-server {}` printed no JSON ({e}): {}",
                args.join(" "),
                out.stdout
            )
        })
    }

    /// `tenant create SLUG --json`.
    pub fn create_tenant(&self, slug: &str) -> Tenant {
        let v = self.cli_json(
            &[
                "tenant",
                "create",
                slug,
                "--name",
                &format!("{slug} Inc."),
                "--json",
            ],
            None,
        );
        assert_eq!(v["slug"], slug);
        let issuer = self.issuer(slug);
        assert_eq!(v["issuer"], issuer.as_str(), "issuer printed by the CLI");
        Tenant {
            slug: slug.to_owned(),
            id: str_field(&v, "id"),
            issuer,
        }
    }

    /// `client create --tenant SLUG ... --json`.
    pub fn create_client(&self, slug: &str, spec: &ClientSpec) -> RegisteredClient {
        let mut args: Vec<String> = vec![
            "client".into(),
            "create".into(),
            "--tenant".into(),
            slug.into(),
            "--name".into(),
            spec.name.clone(),
        ];
        for uri in &spec.redirect_uris {
            args.push("--redirect-uri".into());
            args.push(uri.clone());
        }
        if spec.public {
            args.push("--public".into());
        }
        for g in &spec.grant_types {
            args.push("--grant-type".into());
            args.push(g.clone());
        }
        if spec.no_pkce {
            args.push("--no-pkce".into());
        }
        if let Some(alg) = &spec.id_token_alg {
            args.push("--id-token-alg".into());
            args.push(alg.clone());
        }
        if let Some(m) = &spec.auth_method {
            args.push("--auth-method".into());
            args.push(m.clone());
        }
        args.push("--json".into());
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let v = self.cli_json(&refs, None);
        let secret = v["client_secret"].as_str().map(str::to_owned);
        assert_eq!(
            secret.is_none(),
            spec.public,
            "client_secret present exactly for confidential clients: {v}"
        );
        RegisteredClient {
            client_id: str_field(&v, "client_id"),
            client_secret: secret,
            redirect_uri: spec.redirect_uris.first().cloned().unwrap_or_default(),
            auth_method: v["token_endpoint_auth_method"]
                .as_str()
                .unwrap_or("")
                .to_owned(),
            json: v,
        }
    }

    /// `user create --tenant SLUG --email EMAIL --name NAME --password-stdin --json`.
    pub fn create_user(&self, slug: &str, email: &str, name: &str, password: &str) -> User {
        let v = self.cli_json(
            &[
                "user",
                "create",
                "--tenant",
                slug,
                "--email",
                email,
                "--name",
                name,
                "--password-stdin",
                "--json",
            ],
            Some(&format!("{password}\n")),
        );
        assert_eq!(v["email"], email);
        User {
            id: str_field(&v, "id"),
            email: email.to_owned(),
            name: name.to_owned(),
            password: password.to_owned(),
        }
    }
}

fn str_field(v: &Value, name: &str) -> String {
    v[name]
        .as_str()
        .unwrap_or_else(|| panic!("'{name}' missing in {v}"))
        .to_owned()
}

/// A tenant made through the CLI.
#[derive(Clone, Debug)]
pub struct Tenant {
    /// Slug.
    pub slug: String,
    /// Id.
    pub id: String,
    /// `{base_url}/t/{slug}`.
    pub issuer: String,
}

/// What to register.
#[derive(Clone, Debug)]
pub struct ClientSpec {
    /// Display name.
    pub name: String,
    /// Redirect URIs.
    pub redirect_uris: Vec<String>,
    /// `--public`.
    pub public: bool,
    /// `--grant-type` values (empty: the default).
    pub grant_types: Vec<String>,
    /// `--no-pkce`.
    pub no_pkce: bool,
    /// `--id-token-alg`.
    pub id_token_alg: Option<String>,
    /// `--auth-method`.
    pub auth_method: Option<String>,
}

impl ClientSpec {
    /// A confidential client with the defaults and [`REDIRECT_URI`].
    pub fn confidential(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            redirect_uris: vec![REDIRECT_URI.to_owned()],
            public: false,
            grant_types: Vec::new(),
            no_pkce: false,
            id_token_alg: None,
            auth_method: None,
        }
    }

    /// A public client.
    pub fn public(name: &str) -> Self {
        Self {
            public: true,
            ..Self::confidential(name)
        }
    }
}

/// A client registered through the CLI.
#[derive(Clone, Debug)]
pub struct RegisteredClient {
    /// `client_id`.
    pub client_id: String,
    /// `client_secret` (confidential clients).
    pub client_secret: Option<String>,
    /// The first redirect URI.
    pub redirect_uri: String,
    /// `token_endpoint_auth_method` as printed.
    pub auth_method: String,
    /// Everything the CLI printed.
    pub json: Value,
}

/// A user made through the CLI.
#[derive(Clone, Debug)]
pub struct User {
    /// `sub`.
    pub id: String,
    /// Login name.
    pub email: String,
    /// Full name.
    pub name: String,
    /// Password.
    pub password: String,
}

/// The endpoints of a tenant, read from its discovery document.
#[derive(Clone, Debug)]
pub struct Endpoints {
    /// `issuer`.
    pub issuer: String,
    /// `authorization_endpoint`.
    pub authorization: String,
    /// `token_endpoint`.
    pub token: String,
    /// `userinfo_endpoint`.
    pub userinfo: String,
    /// `jwks_uri`.
    pub jwks: String,
    /// The whole document.
    pub doc: Value,
}

/// Reads `{issuer}/.well-known/openid-configuration`.
pub async fn discover(issuer: &str) -> Endpoints {
    let res = plain_client()
        .get(format!("{issuer}/.well-known/openid-configuration"))
        .send()
        .await
        .expect("discovery request");
    assert_eq!(res.status(), StatusCode::OK, "discovery of {issuer}");
    let doc: Value = res.json().await.expect("discovery is JSON");
    let field = |name: &str| {
        doc[name]
            .as_str()
            .unwrap_or_else(|| panic!("discovery of {issuer} lacks {name}: {doc}"))
            .to_owned()
    };
    Endpoints {
        issuer: field("issuer"),
        authorization: field("authorization_endpoint"),
        token: field("token_endpoint"),
        userinfo: field("userinfo_endpoint"),
        jwks: field("jwks_uri"),
        doc,
    }
}

/// A tenant with a confidential client and a user, ready for flows.
pub struct Env {
    /// The server.
    pub server: TestServer,
    /// Tenant `acme`.
    pub tenant: Tenant,
    /// A confidential client with default settings.
    pub client: RegisteredClient,
    /// `alice@acme.example`.
    pub user: User,
    /// Discovered endpoints of `acme`.
    pub endpoints: Endpoints,
}

impl Env {
    /// Starts a server with tenant `acme`, client `Web App` and user alice.
    pub async fn new() -> Self {
        let server = TestServer::start().await;
        let tenant = server.create_tenant("acme");
        let client = server.create_client("acme", &ClientSpec::confidential("Web App"));
        let user = server.create_user("acme", "alice@acme.example", "Alice Example", PASSWORD);
        let endpoints = discover(&tenant.issuer).await;
        Self {
            server,
            tenant,
            client,
            user,
            endpoints,
        }
    }

    /// Registers another client of `acme`.
    pub fn client(&self, spec: &ClientSpec) -> RegisteredClient {
        self.server.create_client(&self.tenant.slug, spec)
    }

    /// An `openidconnect` relying party for `client` of `acme`.
    pub async fn rp(&self, client: &RegisteredClient) -> Rp {
        Rp::discover(&self.tenant.issuer, client).await
    }
}

// ---------------------------------------------------------------------------
// Plain HTTP
// ---------------------------------------------------------------------------

/// A client without cookies that never follows redirects (also the
/// `openidconnect` HTTP client, as its docs require).
pub fn plain_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .expect("HTTP client")
}

/// A response, read whole.
#[derive(Debug)]
pub struct Resp {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// The URL that was requested.
    pub url: Url,
    /// Body text.
    pub body: String,
}

impl Resp {
    async fn read(url: Url, res: reqwest::Response) -> Self {
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.text().await.expect("response body");
        Self {
            status,
            headers,
            url,
            body,
        }
    }

    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().expect("ASCII header").to_owned())
    }

    /// Every value of a header.
    pub fn header_all(&self, name: &str) -> Vec<String> {
        self.headers
            .get_all(name)
            .iter()
            .map(|v| v.to_str().expect("ASCII header").to_owned())
            .collect()
    }

    /// `Location`, resolved against the request URL.
    pub fn location(&self) -> Option<Url> {
        self.header("location").map(|l| {
            self.url
                .join(&l)
                .unwrap_or_else(|e| panic!("bad Location '{l}': {e}"))
        })
    }

    /// `Location`, which must be there, after a 302 or 303.
    pub fn redirect(&self) -> Url {
        assert!(
            self.status == StatusCode::FOUND || self.status == StatusCode::SEE_OTHER,
            "expected a redirect from {}, got {}: {}",
            self.url,
            self.status,
            self.body
        );
        self.location()
            .unwrap_or_else(|| panic!("redirect from {} without Location", self.url))
    }

    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("body of {} is not JSON ({e}): {}", self.url, self.body))
    }

    /// Whether the page shows the login form.
    pub fn is_login_page(&self) -> bool {
        self.form_with("name=\"password\"").is_some()
            && self.body.contains("id=\"username\"")
            && self.body.contains("id=\"password\"")
    }

    /// Whether the page shows the consent form.
    pub fn is_consent_page(&self) -> bool {
        self.form_with("name=\"decision\"").is_some()
    }

    /// The first form whose HTML contains `marker`.
    pub fn form_with(&self, marker: &str) -> Option<Form> {
        forms(&self.body, &self.url)
            .into_iter()
            .find(|f| f.html.contains(marker))
    }

    /// Asserts an RFC 6749 §5.2 JSON error with this status and code.
    pub fn assert_oauth_error(&self, status: StatusCode, error: &str) -> Value {
        assert_eq!(
            (self.status, self.json()["error"].as_str()),
            (status, Some(error)),
            "expected {status} {error} from {}, got {}: {}",
            self.url,
            self.status,
            self.body
        );
        self.json()
    }
}

/// A form on a page.
#[derive(Clone, Debug)]
pub struct Form {
    /// `action`, resolved against the page URL.
    pub action: Url,
    /// Hidden inputs.
    pub hidden: Vec<(String, String)>,
    /// The form's HTML.
    pub html: String,
}

impl Form {
    /// The hidden `csrf` value.
    pub fn csrf(&self) -> String {
        self.hidden
            .iter()
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("form without a csrf field: {}", self.html))
    }
}

/// Decodes the few HTML entities a template engine emits in attributes.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let Some(end) = tail.find(';') else {
            out.push_str(tail);
            return out;
        };
        let entity = &tail[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e if e.starts_with("#x") || e.starts_with("#X") => u32::from_str_radix(&e[2..], 16)
                .ok()
                .and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &tail[end + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The value of attribute `name` in the tag `tag` (`<input ... >`).
fn attr(tag: &str, name: &str) -> Option<String> {
    let bytes = tag.as_bytes();
    let pattern = format!("{name}=");
    let mut from = 0;
    while let Some(pos) = tag[from..].find(&pattern) {
        let start = from + pos;
        let preceded_by_space = start > 0 && bytes[start - 1].is_ascii_whitespace();
        let after = start + pattern.len();
        if preceded_by_space {
            let rest = &tag[after..];
            let value = if let Some(r) = rest.strip_prefix('"') {
                r.split('"').next()
            } else if let Some(r) = rest.strip_prefix('\'') {
                r.split('\'').next()
            } else {
                rest.split(|c: char| c.is_ascii_whitespace() || c == '>')
                    .next()
            };
            return value.map(unescape);
        }
        from = after;
    }
    None
}

/// Every `<form>` of a page.
fn forms(html: &str, page: &Url) -> Vec<Form> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<form") {
        let tail = &rest[start..];
        let end = tail
            .find("</form>")
            .map_or(tail.len(), |e| e + "</form>".len());
        let form_html = &tail[..end];
        let open_end = form_html.find('>').unwrap_or(form_html.len());
        let open = &form_html[..open_end];
        let action = attr(open, "action").unwrap_or_default();
        let action = page
            .join(&action)
            .unwrap_or_else(|e| panic!("bad form action '{action}': {e}"));
        let mut hidden = Vec::new();
        let mut inputs = form_html;
        while let Some(i) = inputs.find("<input") {
            let t = &inputs[i..];
            let close = t.find('>').unwrap_or(t.len());
            let tag = &t[..close];
            if attr(tag, "type").as_deref() == Some("hidden")
                && let Some(name) = attr(tag, "name")
            {
                hidden.push((name, attr(tag, "value").unwrap_or_default()));
            }
            inputs = &t[close..];
        }
        out.push(Form {
            action,
            hidden,
            html: form_html.to_owned(),
        });
        rest = &tail[end..];
    }
    out
}

// ---------------------------------------------------------------------------
// The browser
// ---------------------------------------------------------------------------

/// The user's browser: cookies kept, redirects not followed.
#[derive(Clone)]
pub struct Browser {
    /// The HTTP client.
    pub http: reqwest::Client,
    /// Its cookie jar.
    pub jar: Arc<Jar>,
}

/// Where a walk through the pages ended: the client's redirect URI.
#[derive(Clone, Debug)]
pub struct Callback {
    /// The full URL.
    pub url: Url,
    /// `code`.
    pub code: Option<String>,
    /// `state`.
    pub state: Option<String>,
    /// `iss`.
    pub iss: Option<String>,
    /// `error`.
    pub error: Option<String>,
    /// `error_description`.
    pub error_description: Option<String>,
}

impl Callback {
    /// Parses a redirect to the client.
    pub fn parse(url: &Url) -> Self {
        let get = |name: &str| {
            let values: Vec<String> = url
                .query_pairs()
                .filter(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
                .collect();
            assert!(values.len() <= 1, "'{name}' repeated in {url}");
            values.into_iter().next()
        };
        Self {
            url: url.clone(),
            code: get("code"),
            state: get("state"),
            iss: get("iss"),
            error: get("error"),
            error_description: get("error_description"),
        }
    }

    /// The code, which must be there.
    pub fn code(&self) -> String {
        assert_eq!(
            self.error, None,
            "expected a code, got an error at {}",
            self.url
        );
        self.code
            .clone()
            .unwrap_or_else(|| panic!("no code in {}", self.url))
    }

    /// Asserts an error response with this code, the issuer and state.
    pub fn assert_error(&self, error: &str, issuer: &str, state: Option<&str>) {
        assert_eq!(
            self.error.as_deref(),
            Some(error),
            "expected error={error} at {}",
            self.url
        );
        assert_eq!(
            self.code, None,
            "an error response carried a code: {}",
            self.url
        );
        assert!(
            self.error_description
                .as_deref()
                .is_some_and(|d| !d.is_empty()),
            "error without error_description: {}",
            self.url
        );
        assert_eq!(self.iss.as_deref(), Some(issuer), "iss of {}", self.url);
        assert_eq!(self.state.as_deref(), state, "state of {}", self.url);
    }
}

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

impl Browser {
    /// A browser with an empty jar.
    pub fn new() -> Self {
        Self::with_jar(Arc::new(Jar::default()))
    }

    /// The same browser (same cookies) with new connections, e.g. after
    /// the server restarted.
    pub fn reconnect(&self) -> Self {
        Self::with_jar(Arc::clone(&self.jar))
    }

    fn with_jar(jar: Arc<Jar>) -> Self {
        let http = reqwest::Client::builder()
            .cookie_provider(Arc::clone(&jar))
            .redirect(Policy::none())
            .timeout(Duration::from_secs(60))
            .build()
            .expect("browser");
        Self { http, jar }
    }

    /// The `Cookie` header this browser sends to `url`.
    pub fn cookies_for(&self, url: &str) -> String {
        let url = Url::parse(url).expect("URL");
        self.jar
            .cookies(&url)
            .map(|v| v.to_str().expect("ASCII cookies").to_owned())
            .unwrap_or_default()
    }

    /// The value of cookie `name` this browser sends to `url`.
    pub fn cookie(&self, url: &str, name: &str) -> Option<String> {
        self.cookies_for(url)
            .split(';')
            .filter_map(|p| p.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_owned())
    }

    /// GET.
    pub async fn get(&self, url: &str) -> Resp {
        let url = Url::parse(url).unwrap_or_else(|e| panic!("bad URL {url}: {e}"));
        let res = self
            .http
            .get(url.clone())
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {url}: {e}"));
        Resp::read(url, res).await
    }

    /// POST a form.
    pub async fn post_form(&self, url: &str, form: &[(&str, &str)]) -> Resp {
        let url = Url::parse(url).unwrap_or_else(|e| panic!("bad URL {url}: {e}"));
        let res = self
            .http
            .post(url.clone())
            .form(form)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {url}: {e}"));
        Resp::read(url, res).await
    }

    /// Submits the login form of `page` (which must show it).
    pub async fn submit_login(&self, page: &Resp, email: &str, password: &str) -> Resp {
        let form = page
            .form_with("name=\"password\"")
            .unwrap_or_else(|| panic!("no login form at {}: {}", page.url, page.body));
        let mut fields: Vec<(&str, &str)> = form
            .hidden
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        fields.push(("username", email));
        fields.push(("password", password));
        self.post_form(form.action.as_str(), &fields).await
    }

    /// Submits the consent form of `page` with `decision` (allow or deny).
    pub async fn submit_consent(&self, page: &Resp, decision: &str) -> Resp {
        let form = page
            .form_with("name=\"decision\"")
            .unwrap_or_else(|| panic!("no consent form at {}: {}", page.url, page.body));
        let mut fields: Vec<(&str, &str)> = form
            .hidden
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        fields.push(("decision", decision));
        self.post_form(form.action.as_str(), &fields).await
    }

    /// Follows the provider's redirects from `first` (an authorization
    /// response), logging in as `user` and allowing consent whenever asked,
    /// until the provider redirects to `redirect_uri`. Returns that redirect
    /// and the kinds of pages seen ("login", "consent").
    pub async fn finish(
        &self,
        first: Resp,
        redirect_uri: &str,
        user: &User,
    ) -> (Callback, Vec<&'static str>) {
        let mut res = first;
        let mut seen = Vec::new();
        for _ in 0..10 {
            if res.status.is_redirection() {
                let to = res.redirect();
                if to.as_str().starts_with(redirect_uri) {
                    return (Callback::parse(&to), seen);
                }
                res = self.get(to.as_str()).await;
            } else if res.status == StatusCode::OK && res.is_login_page() {
                seen.push("login");
                res = self.submit_login(&res, &user.email, &user.password).await;
            } else if res.status == StatusCode::OK && res.is_consent_page() {
                seen.push("consent");
                res = self.submit_consent(&res, "allow").await;
            } else {
                panic!(
                    "unexpected response from {}: {} {}",
                    res.url, res.status, res.body
                );
            }
        }
        panic!("too many steps before reaching {redirect_uri}");
    }

    /// GETs the authorization URL and walks through the pages (see [`Self::finish`]).
    pub async fn authorize(
        &self,
        auth_url: &str,
        redirect_uri: &str,
        user: &User,
    ) -> (Callback, Vec<&'static str>) {
        let first = self.get(auth_url).await;
        self.finish(first, redirect_uri, user).await
    }
}

// ---------------------------------------------------------------------------
// The relying party (openidconnect)
// ---------------------------------------------------------------------------

/// The `openidconnect` client type after discovery.
pub type OidcClient = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// A relying party: an `openidconnect` client and its HTTP client.
pub struct Rp {
    /// The client.
    pub client: OidcClient,
    /// Its HTTP client (no redirects).
    pub http: reqwest::Client,
    /// The registration it uses.
    pub registered: RegisteredClient,
    /// The provider metadata it discovered.
    pub metadata: CoreProviderMetadata,
}

/// A prepared authorization request.
pub struct AuthRequest {
    /// The URL to send the browser to.
    pub url: Url,
    /// `state`.
    pub state: String,
    /// `nonce`.
    pub nonce: Nonce,
    /// The PKCE verifier (if a challenge was sent).
    pub verifier: Option<String>,
}

/// Options for [`Rp::auth_request`].
#[derive(Clone, Debug, Default)]
pub struct AuthOptions {
    /// Scopes beyond `openid`.
    pub scopes: Vec<String>,
    /// `state` (random if `None`).
    pub state: Option<String>,
    /// Send no PKCE challenge.
    pub no_pkce: bool,
    /// `prompt`.
    pub prompt: Option<CoreAuthPrompt>,
    /// `max_age` in seconds.
    pub max_age: Option<u64>,
    /// More parameters.
    pub extra: Vec<(String, String)>,
}

impl AuthOptions {
    /// Asks for these scopes beyond `openid`.
    pub fn scopes(scopes: &[&str]) -> Self {
        Self {
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            ..Self::default()
        }
    }
}

/// The outcome of a complete code flow.
pub struct Flow {
    /// The token response as `openidconnect` parsed it.
    pub tokens: CoreTokenResponse,
    /// The nonce sent.
    pub nonce: Nonce,
    /// The authorization response.
    pub callback: Callback,
    /// Pages shown on the way.
    pub pages: Vec<&'static str>,
}

impl Rp {
    /// Discovers `issuer` with `openidconnect` and sets the client up.
    pub async fn discover(issuer: &str, registered: &RegisteredClient) -> Self {
        let http = plain_client();
        let metadata = CoreProviderMetadata::discover_async(
            IssuerUrl::new(issuer.to_owned()).expect("issuer URL"),
            &http,
        )
        .await
        .unwrap_or_else(|e| panic!("openidconnect discovery of {issuer} failed: {e:?}"));
        let mut client = CoreClient::from_provider_metadata(
            metadata.clone(),
            ClientId::new(registered.client_id.clone()),
            registered.client_secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(RedirectUrl::new(registered.redirect_uri.clone()).expect("redirect URI"));
        if registered.auth_method == "client_secret_post" {
            client = client.set_auth_type(AuthType::RequestBody);
        }
        Self {
            client,
            http,
            registered: registered.clone(),
            metadata,
        }
    }

    /// The authorization URL for `opts`.
    pub fn auth_request(&self, opts: &AuthOptions) -> AuthRequest {
        let state = opts
            .state
            .clone()
            .unwrap_or_else(|| CsrfToken::new_random().secret().clone());
        let nonce = Nonce::new_random();
        let (state_c, nonce_c) = (state.clone(), nonce.clone());
        let mut req = self.client.authorize_url(
            AuthenticationFlow::<openidconnect::core::CoreResponseType>::AuthorizationCode,
            move || CsrfToken::new(state_c),
            move || nonce_c,
        );
        for s in &opts.scopes {
            req = req.add_scope(Scope::new(s.clone()));
        }
        let verifier = if opts.no_pkce {
            None
        } else {
            let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
            req = req.set_pkce_challenge(challenge);
            Some(verifier.secret().clone())
        };
        if let Some(p) = &opts.prompt {
            req = req.add_prompt(p.clone());
        }
        if let Some(m) = opts.max_age {
            req = req.set_max_age(Duration::from_secs(m));
        }
        for (k, v) in &opts.extra {
            req = req.add_extra_param(k.clone(), v.clone());
        }
        let (url, _, _) = req.url();
        AuthRequest {
            url,
            state,
            nonce,
            verifier,
        }
    }

    /// Exchanges a code with `openidconnect`.
    pub async fn exchange(
        &self,
        code: &str,
        verifier: Option<&str>,
    ) -> Result<CoreTokenResponse, String> {
        let mut req = self
            .client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .expect("token endpoint discovered");
        if let Some(v) = verifier {
            req = req.set_pkce_verifier(PkceCodeVerifier::new(v.to_owned()));
        }
        req.request_async(&self.http)
            .await
            .map_err(|e| format!("{e:?}"))
    }

    /// Uses a refresh token with `openidconnect`.
    pub async fn refresh(&self, refresh_token: &str) -> Result<CoreTokenResponse, String> {
        let rt = openidconnect::RefreshToken::new(refresh_token.to_owned());
        self.client
            .exchange_refresh_token(&rt)
            .expect("token endpoint discovered")
            .request_async(&self.http)
            .await
            .map_err(|e| format!("{e:?}"))
    }

    /// A complete flow in `browser` as `user`: authorize, pages, code
    /// exchange (with PKCE), state and `iss` checked.
    pub async fn flow(&self, browser: &Browser, user: &User, opts: &AuthOptions) -> Flow {
        let req = self.auth_request(opts);
        let (callback, pages) = browser
            .authorize(req.url.as_str(), &self.registered.redirect_uri, user)
            .await;
        assert_eq!(
            callback.state.as_deref(),
            Some(req.state.as_str()),
            "state echoed"
        );
        assert_eq!(
            callback.iss.as_deref(),
            Some(self.metadata.issuer().as_str()),
            "iss in the authorization response (RFC 9207)"
        );
        let tokens = self
            .exchange(&callback.code(), req.verifier.as_deref())
            .await
            .unwrap_or_else(|e| panic!("code exchange failed: {e}"));
        Flow {
            tokens,
            nonce: req.nonce,
            callback,
            pages,
        }
    }

    /// Verifies the ID token of `tokens` with `openidconnect`, allowing only
    /// `alg`; checks the nonce (if given) and `at_hash`. Returns the claims.
    pub fn verify_id_token(
        &self,
        tokens: &CoreTokenResponse,
        nonce: Option<&Nonce>,
        alg: CoreJwsSigningAlgorithm,
    ) -> CoreIdTokenClaims {
        let id_token = tokens
            .id_token()
            .expect("an ID token in the token response");
        assert_eq!(
            id_token.signing_alg().expect("signed ID token"),
            &alg,
            "ID token signing algorithm"
        );
        let verifier = self
            .client
            .id_token_verifier()
            .set_allowed_algs(vec![alg.clone()]);
        let claims = match nonce {
            Some(n) => id_token.claims(&verifier, n),
            None => id_token.claims(&verifier, |_: Option<&Nonce>| Ok(())),
        }
        .unwrap_or_else(|e| panic!("openidconnect rejected the ID token: {e:?}"))
        .clone();
        let key = id_token
            .signing_key(&verifier)
            .expect("signing key in JWKS");
        let expected = AccessTokenHash::from_token(tokens.access_token(), &alg, key)
            .expect("at_hash computable");
        assert_eq!(
            claims.access_token_hash(),
            Some(&expected),
            "at_hash matches the access token"
        );
        claims
    }
}

// ---------------------------------------------------------------------------
// Raw protocol calls and JWTs
// ---------------------------------------------------------------------------

/// How a raw token request authenticates the client.
#[derive(Clone, Debug)]
pub enum ClientAuth<'a> {
    /// `client_secret_basic`.
    Basic(&'a str, &'a str),
    /// `client_secret_post`.
    Post(&'a str, &'a str),
    /// `none`: `client_id` in the body.
    Public(&'a str),
    /// Nothing at all.
    Nothing,
}

impl<'a> ClientAuth<'a> {
    /// The usual method for a registered client.
    pub fn of(c: &'a RegisteredClient) -> Self {
        match (&c.client_secret, c.auth_method.as_str()) {
            (Some(s), "client_secret_post") => ClientAuth::Post(&c.client_id, s),
            (Some(s), _) => ClientAuth::Basic(&c.client_id, s),
            (None, _) => ClientAuth::Public(&c.client_id),
        }
    }
}

/// Percent-encodes for `application/x-www-form-urlencoded`.
pub fn form_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// POSTs a token request.
pub async fn token_request(endpoint: &str, auth: ClientAuth<'_>, params: &[(&str, &str)]) -> Resp {
    let mut form: Vec<(&str, &str)> = params.to_vec();
    let mut req = plain_client().post(endpoint);
    match auth {
        ClientAuth::Basic(id, secret) => {
            let cred = base64::engine::general_purpose::STANDARD.encode(format!(
                "{}:{}",
                form_encode(id),
                form_encode(secret)
            ));
            req = req.header("authorization", format!("Basic {cred}"));
        }
        ClientAuth::Post(id, secret) => {
            form.push(("client_id", id));
            form.push(("client_secret", secret));
        }
        ClientAuth::Public(id) => form.push(("client_id", id)),
        ClientAuth::Nothing => {}
    }
    let url = Url::parse(endpoint).expect("token endpoint URL");
    let res = req.form(&form).send().await.expect("token request");
    Resp::read(url, res).await
}

/// GET `url` with `Authorization: Bearer token`.
pub async fn get_bearer(url: &str, token: &str) -> Resp {
    let res = plain_client()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    Resp::read(Url::parse(url).expect("URL"), res).await
}

/// GET `url` with no credentials.
pub async fn get(url: &str) -> Resp {
    let res = plain_client().get(url).send().await.expect("request");
    Resp::read(Url::parse(url).expect("URL"), res).await
}

/// The JSON header and payload of a compact JWS, undecoded signature aside.
pub fn jwt_parts(token: &str) -> (Value, Value) {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "a compact JWS has three parts: {token}");
    let decode = |p: &str| -> Value {
        let bytes = URL_SAFE_NO_PAD
            .decode(p)
            .unwrap_or_else(|e| panic!("JWS part is not base64url ({e}): {p}"));
        serde_json::from_slice(&bytes).expect("JWS part is JSON")
    };
    (decode(parts[0]), decode(parts[1]))
}

/// Fetches the JWKS of `endpoints`.
pub async fn jwks(endpoints: &Endpoints) -> Value {
    let res = get(&endpoints.jwks).await;
    assert_eq!(res.status, StatusCode::OK, "JWKS: {}", res.body);
    res.json()
}

/// The `kid`s of a JWKS, sorted.
pub fn kids(jwks: &Value) -> Vec<String> {
    let mut kids: Vec<String> = jwks["keys"]
        .as_array()
        .expect("JWKS keys array")
        .iter()
        .map(|k| k["kid"].as_str().expect("kid").to_owned())
        .collect();
    kids.sort();
    kids
}

/// Verifies an ES256 compact JWS with the matching key of `jwks`
/// (independently of idp-core and of openidconnect).
pub fn verify_es256(token: &str, jwks: &Value) -> Result<(), String> {
    let (header, _) = jwt_parts(token);
    if header["alg"] != "ES256" {
        return Err(format!("alg is {}, not ES256", header["alg"]));
    }
    let kid = header["kid"].as_str().ok_or("no kid in the header")?;
    let key = jwks["keys"]
        .as_array()
        .ok_or("no keys")?
        .iter()
        .find(|k| k["kid"] == kid)
        .ok_or_else(|| format!("kid {kid} not in the JWKS"))?;
    if key["kty"] != "EC" || key["crv"] != "P-256" {
        return Err(format!("key {kid} is not a P-256 key: {key}"));
    }
    let coord = |name: &str| -> Result<Vec<u8>, String> {
        URL_SAFE_NO_PAD
            .decode(key[name].as_str().ok_or("missing coordinate")?)
            .map_err(|e| e.to_string())
    };
    let mut point = vec![4u8];
    point.extend(coord("x")?);
    point.extend(coord("y")?);
    let (signing_input, sig) = token.rsplit_once('.').ok_or("no signature")?;
    let sig = URL_SAFE_NO_PAD.decode(sig).map_err(|e| e.to_string())?;
    aws_lc_rs::signature::UnparsedPublicKey::new(
        &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED,
        &point,
    )
    .verify(signing_input.as_bytes(), &sig)
    .map_err(|_| "bad ES256 signature".to_owned())
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

/// Appends query parameters to a URL.
pub fn with_query(base: &str, params: &[(&str, &str)]) -> String {
    let mut url = Url::parse(base).expect("URL");
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in params {
            q.append_pair(k, v);
        }
    }
    url.to_string()
}

/// A fresh S256 pair: (verifier, challenge).
pub fn pkce_pair() -> (String, String) {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    (verifier.secret().clone(), challenge.as_str().to_owned())
}

/// A hand-built authorization URL (for requests `openidconnect` would not
/// send, e.g. without PKCE or with `plain`).
pub fn raw_auth_url(endpoints: &Endpoints, params: &[(&str, &str)]) -> String {
    with_query(&endpoints.authorization, params)
}

/// The usual parameters of a valid raw request with PKCE.
pub fn basic_auth_params<'a>(
    client_id: &'a str,
    challenge: &'a str,
    state: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", REDIRECT_URI),
        ("scope", "openid"),
        ("state", state),
        ("nonce", "n-0S6_WzA2Mj"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ]
}

/// `Cache-Control` of `res` includes `no-store`.
pub fn assert_no_store(res: &Resp) {
    let cc = res.header("cache-control").unwrap_or_default();
    assert!(
        cc.split(',')
            .any(|d| d.trim().eq_ignore_ascii_case("no-store")),
        "Cache-Control of {} is '{cc}', expected no-store",
        res.url
    );
}

/// Makes sure `OAuth2TokenResponse` methods are in scope for callers.
pub fn access_token_of(tokens: &CoreTokenResponse) -> String {
    tokens.access_token().secret().clone()
}

/// The refresh token of a response, if any.
pub fn refresh_token_of(tokens: &CoreTokenResponse) -> Option<String> {
    tokens.refresh_token().map(|t| t.secret().clone())
}

/// The raw ID token of a response.
pub fn id_token_of(tokens: &CoreTokenResponse) -> String {
    tokens
        .id_token()
        .expect("an ID token in the token response")
        .to_string()
}
