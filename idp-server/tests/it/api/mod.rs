//! The admin REST API (`/api/v1`, issue 16) through real HTTP: a real
//! server over a fresh SQLite file, API keys minted, attenuated and revoked
//! by the real `idp-server api-key` commands on the same database, and
//! requests sent with `reqwest`. One file per area: every route's happy
//! path ([`resources`]), the scope table route × key kind ([`scopes`]),
//! blocks of Datalog written by hand ([`datalog`]), every error class
//! ([`errors`]), `If-Match` and all-or-nothing changes
//! ([`updates`]), `Idempotency-Key` ([`idempotency`]), the audit log of
//! every mutating route ([`audit`]), session revocation against a real
//! refresh token ([`sessions`]) and a valid key under load ([`load`]).

mod audit;
mod datalog;
mod errors;
mod idempotency;
mod load;
pub mod operators;
mod owner;
mod resources;
mod scopes;
mod sessions;
mod updates;
pub mod upstreams;
pub mod world;

use crate::support::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A server for API tests: the per-key rate limit is off (the table tests
/// send hundreds of requests with one key; `errors` starts its own server
/// with `RATE_LIMIT_ADMIN_API=1`).
pub async fn api_server() -> TestServer {
    TestServer::start_config(|c| c.rate_limits.admin_api_per_key = 0).await
}

/// An API key as `api-key create --json` prints it.
#[derive(Clone, Debug)]
pub struct Key {
    /// The key's record id (the audit log's actor id).
    pub id: String,
    /// The Biscuit token.
    pub key: String,
}

/// `idp-server api-key create ARGS --json` on `server`'s database.
pub fn create_key(server: &impl Cli, args: &[&str]) -> Key {
    let mut full = vec!["api-key", "create"];
    full.extend_from_slice(args);
    full.push("--json");
    let v = server.cli_json(&full, None);
    Key {
        id: text(&v["id"]),
        key: text(&v["key"]),
    }
}

/// `idp-server api-key attenuate ARGS` with `key` on standard input: the
/// narrower key it prints.
pub fn attenuate(server: &impl Cli, key: &str, args: &[&str]) -> String {
    let mut full = vec!["api-key", "attenuate"];
    full.extend_from_slice(args);
    let out = server.cli(&full, Some(&format!("{key}\n")));
    assert!(out.success, "api-key attenuate failed: {}", out.stderr);
    let narrowed = out.stdout.trim().to_owned();
    assert!(!narrowed.is_empty() && narrowed != key, "{narrowed}");
    narrowed
}

/// `idp-server api-key revoke ID`.
pub fn revoke(server: &impl Cli, id: &str) {
    let out = server.cli(&["api-key", "revoke", id], None);
    assert!(out.success, "api-key revoke failed: {}", out.stderr);
}

/// A JSON string's text (empty if it is not one, which the caller's
/// assertions then catch).
pub fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

/// Which credential a request carries.
#[derive(Clone, Debug)]
pub enum Auth {
    /// The [`Api`]'s full key.
    Full,
    /// No `Authorization` header.
    Nothing,
    /// `Bearer` with this token.
    Token(String),
}

/// One request to the admin API.
#[derive(Clone, Debug)]
pub struct Req {
    method: Method,
    path: String,
    auth: Auth,
    body: Option<(Vec<u8>, String)>,
    headers: Vec<(String, String)>,
}

impl Req {
    /// `METHOD PATH` with the full key and no body.
    pub fn new(method: Method, path: &str) -> Self {
        Self {
            method,
            path: path.to_owned(),
            auth: Auth::Full,
            body: None,
            headers: Vec::new(),
        }
    }

    /// `GET PATH`.
    pub fn get(path: &str) -> Self {
        Self::new(Method::GET, path)
    }

    /// `POST PATH` with a JSON body.
    pub fn post(path: &str, body: &Value) -> Self {
        Self::new(Method::POST, path).json(body)
    }

    /// `PATCH PATH` with a JSON merge patch (sent as `application/json`).
    pub fn patch(path: &str, body: &Value) -> Self {
        Self::new(Method::PATCH, path).json(body)
    }

    /// `DELETE PATH`.
    pub fn delete(path: &str) -> Self {
        Self::new(Method::DELETE, path)
    }

    /// The body, as `application/json`.
    pub fn json(self, body: &Value) -> Self {
        self.raw(body.to_string().into_bytes(), "application/json")
    }

    /// The body as these bytes of this media type.
    pub fn raw(mut self, body: Vec<u8>, content_type: &str) -> Self {
        self.body = Some((body, content_type.to_owned()));
        self
    }

    /// One more header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The credential.
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }

    /// `Bearer TOKEN`.
    pub fn token(self, token: &str) -> Self {
        self.auth(Auth::Token(token.to_owned()))
    }
}

/// The API of one server, as seen with one full key.
pub struct Api {
    /// BASE_URL.
    pub base_url: String,
    /// A key without limits, made by `api-key create --name full`.
    pub key: Key,
    /// The server's database, when the test has it (to link upstream
    /// identities, which only a sign-in makes otherwise).
    pub database_url: Option<String>,
    http: reqwest::Client,
}

impl Api {
    /// A full key on `server`.
    pub fn new(server: &TestServer) -> Self {
        let mut api = Self::on(&server.base_url, create_key(server, &["--name", "full"]));
        api.database_url = Some(server.database_url.clone());
        api
    }

    /// The API at `base_url`, with `key`.
    pub fn on(base_url: &str, key: Key) -> Self {
        Self {
            base_url: base_url.to_owned(),
            key,
            database_url: None,
            http: plain_client(),
        }
    }

    /// Sends `req`.
    pub async fn send(&self, req: Req) -> Resp {
        let url = url::Url::parse(&format!("{}{}", self.base_url, req.path))
            .unwrap_or_else(|e| panic!("bad path {}: {e}", req.path));
        let mut b = self.http.request(req.method, url.clone());
        match &req.auth {
            Auth::Full => b = b.bearer_auth(&self.key.key),
            Auth::Nothing => {}
            Auth::Token(t) => b = b.bearer_auth(t),
        }
        if let Some((body, content_type)) = req.body {
            b = b.header("content-type", content_type).body(body);
        }
        for (name, value) in &req.headers {
            b = b.header(name.as_str(), value.as_str());
        }
        let res = b.send().await.expect("admin API request");
        Resp::read(url, res).await
    }

    /// `GET PATH` with the full key, which must answer 200: its JSON.
    pub async fn get(&self, path: &str) -> Value {
        let res = self.send(Req::get(path)).await;
        assert_eq!(res.status, StatusCode::OK, "GET {path}: {}", res.body);
        res.json()
    }

    /// `POST PATH BODY` with the full key, which must answer 201 with an id.
    pub async fn create(&self, path: &str, body: &Value) -> Value {
        let res = self.send(Req::post(path, body)).await;
        assert_eq!(res.status, StatusCode::CREATED, "POST {path}: {}", res.body);
        assert_json(&res);
        let v = res.json();
        assert!(v["id"].is_string(), "201 without an id: {v}");
        v
    }

    /// Every item of a list, following `next_cursor` with pages of `limit`;
    /// `query` is the rest of the query string (may be empty).
    pub async fn all(&self, path: &str, query: &str, limit: usize) -> Vec<Value> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..1000 {
            let mut url = format!("{path}?limit={limit}");
            if !query.is_empty() {
                url.push('&');
                url.push_str(query);
            }
            if let Some(c) = &cursor {
                url.push_str("&cursor=");
                url.push_str(&urlencoding(c));
            }
            let page = self.get(&url).await;
            let got = page["items"].as_array().cloned().unwrap_or_default();
            assert!(got.len() <= limit, "{} items over limit {limit}", got.len());
            items.extend(got);
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => {
                    assert!(page["next_cursor"].is_null(), "{page}");
                    return items;
                }
            }
        }
        panic!("{path} did not end after 1000 pages");
    }

    /// The audit events `query` selects, every page.
    pub async fn audit(&self, query: &str) -> Vec<Value> {
        self.all("/api/v1/audit-events", query, 100).await
    }
}

/// Percent-encodes a query value.
pub fn urlencoding(v: &str) -> String {
    url::form_urlencoded::byte_serialize(v.as_bytes()).collect()
}

/// A JSON success: `application/json`, never cached (answers may hold a
/// new secret).
pub fn assert_json(res: &Resp) {
    let ct = res.header("content-type").unwrap_or_default();
    assert!(ct.starts_with("application/json"), "content type {ct}");
    assert_eq!(res.header("cache-control").as_deref(), Some("no-store"));
}

/// Asserts an RFC 9457 problem with `status` (`application/problem+json`,
/// `type`, `title`, `status`, `detail`): the problem.
pub fn assert_problem(res: &Resp, status: StatusCode) -> Value {
    assert_eq!(
        res.status, status,
        "{} {}: expected {status}: {}",
        res.url, res.status, res.body
    );
    let ct = res.header("content-type").unwrap_or_default();
    assert_eq!(ct, "application/problem+json", "{}: {}", res.url, res.body);
    let p = res.json();
    assert!(p["type"].is_string(), "no type: {p}");
    assert!(
        p["title"].as_str().is_some_and(|t| !t.is_empty()),
        "no title: {p}"
    );
    assert_eq!(p["status"], json!(status.as_u16()), "{p}");
    assert!(p["detail"].is_string(), "no detail: {p}");
    p
}

/// Asserts a 401 with a Bearer challenge.
pub fn assert_unauthenticated(res: &Resp) {
    assert_problem(res, StatusCode::UNAUTHORIZED);
    let challenge = res.header("www-authenticate").unwrap_or_default();
    assert!(challenge.starts_with("Bearer"), "challenge: {challenge:?}");
}
