//! The token-endpoint and introspection paths of the core, whole: HTTP
//! request parsing, client authentication, the SQLite store on a temporary
//! file, signing and the response body, through [`Provider::handle`] with
//! real `http::Request`s. Each group puts the bare signature of the
//! algorithm that bounds the path beside it, so that "overhead beyond the
//! cryptography" is the difference of two printed numbers (issue 5).
//!
//! The client-credentials, introspection and userinfo groups also run the
//! same request on a second provider with the client cache off
//! (`Lifetimes::client_cache = 0`, one store read of the client per
//! request, as before ADR 0018): the cache's before/after in one run.
//!
//! Codes are minted through the core's public authorize + login API
//! ([`Provider::handle`] on `/authorize`, [`Provider::submit_login`],
//! [`Provider::submit_consent`]) outside the timed part.
//! The password sign-in group (issue 17) times the login path with its
//! analytics recording, beside the flush that writes a recorded event.
//! Run with `cargo bench -p idp-core --bench endpoints`.

use bytes::Bytes;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use http::{HeaderMap, HeaderValue, Request, Response};
use idp_core::crypto::envelope::MasterKey;
use idp_core::jwks::{SigningAlg, SigningKey};
use idp_core::store::GrantType;
use idp_core::{LoginOutcome, NewClient, NewUser, Provider, ProviderConfig};
use idp_store_sqlite::SqliteStore;
use std::hint::black_box;
use std::time::Duration;
use tokio::runtime::Runtime;

const BASE: &str = "http://bench.local";
const REDIRECT: &str = "https://app.local/cb";

/// A provider over a fresh database with a tenant, a confidential web
/// client, a client-credentials client and a logged-in browser session.
struct Fixture {
    rt: Runtime,
    provider: Provider<SqliteStore>,
    _dir: tempfile::TempDir,
    web_basic: String,
    cc_basic: String,
    session_cookie: String,
}

fn basic(id: &str, secret: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
    )
}

fn location(res: &Response<Bytes>) -> String {
    res.headers()
        .get(http::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

fn query_value(url: &str, name: &str) -> String {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

fn post(path: &str, auth: &str, body: String) -> Request<Bytes> {
    Request::post(format!("{BASE}{path}"))
        .header(http::header::AUTHORIZATION, auth)
        .header(
            http::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(Bytes::from(body))
        .unwrap_or_default()
}

fn json(res: &Response<Bytes>) -> serde_json::Value {
    assert_eq!(res.status(), 200, "{:?}", res.body());
    serde_json::from_slice(res.body()).unwrap_or_default()
}

impl Fixture {
    /// A fixture whose provider caches clients for `client_cache` seconds.
    fn new(client_cache: i64) -> Self {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let dir = tempfile::tempdir().expect("temp dir");
        let store =
            SqliteStore::open(&dir.path().join("bench.db").to_string_lossy()).expect("store");
        let key = MasterKey::from_hex(&"42".repeat(32)).expect("key");
        let mut config = ProviderConfig::new(BASE, key);
        config.lifetimes.client_cache = client_cache;
        let provider = Provider::new(store, config);
        let (web_basic, cc_basic, session_cookie) = rt.block_on(async {
            let admin = provider.admin();
            admin
                .create_tenant(
                    &idp_core::AuditContext::cli("test"),
                    idp_core::admin::NewTenant::new("bench", "Bench"),
                )
                .await
                .expect("tenant");
            let web = admin
                .create_client(
                    &idp_core::AuditContext::cli("test"),
                    "bench",
                    NewClient {
                        grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
                        require_pkce: false,
                        ..NewClient::new("web", vec![REDIRECT.into()])
                    },
                )
                .await
                .expect("web client");
            let cc = admin
                .create_client(
                    &idp_core::AuditContext::cli("test"),
                    "bench",
                    NewClient {
                        grant_types: vec![GrantType::ClientCredentials],
                        allowed_scopes: vec!["api".into()],
                        ..NewClient::new("cc", Vec::new())
                    },
                )
                .await
                .expect("cc client");
            admin
                .create_user(
                    &idp_core::AuditContext::cli("test"),
                    "bench",
                    NewUser {
                        email: "ada@example.com".into(),
                        name: Some("Ada".into()),
                        password: Some("pw".into()),
                        email_verified: true,
                    },
                )
                .await
                .expect("user");
            let web_basic = basic(web.client.id.as_str(), web.secret.as_deref().unwrap_or(""));
            let cc_basic = basic(cc.client.id.as_str(), cc.secret.as_deref().unwrap_or(""));
            (web_basic, cc_basic, String::new())
        });
        let mut f = Self {
            rt,
            provider,
            _dir: dir,
            web_basic,
            cc_basic,
            session_cookie,
        };
        f.session_cookie = f.log_in();
        f
    }

    fn client_id(&self) -> String {
        use base64::Engine;
        let encoded = self.web_basic.trim_start_matches("Basic ");
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap_or_default();
        let text = String::from_utf8(decoded).unwrap_or_default();
        text.split_once(':')
            .map(|(id, _)| id.to_owned())
            .unwrap_or_default()
    }

    fn authorize(&self, cookie: Option<&str>) -> Response<Bytes> {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.client_id())
            .append_pair("redirect_uri", REDIRECT)
            .append_pair("scope", "openid profile email offline_access")
            .append_pair("state", "s")
            .finish();
        let mut req = Request::get(format!("{BASE}/t/bench/authorize?{query}"))
            .body(Bytes::new())
            .unwrap_or_default();
        if let Some(c) = cookie.and_then(|c| HeaderValue::from_str(c).ok()) {
            req.headers_mut().insert(http::header::COOKIE, c);
        }
        self.rt.block_on(self.provider.handle(req))
    }

    /// Logs in through the interaction API and consents; the session cookie.
    fn log_in(&self) -> String {
        let page = location(&self.authorize(None));
        let id = page.rsplit('/').next().unwrap_or_default().to_owned();
        let outcome = self
            .rt
            .block_on(
                self.provider
                    .submit_login("bench", &id, "ada@example.com", "pw", None),
            )
            .expect("login");
        let LoginOutcome::Continue(res) = outcome else {
            panic!("login rejected")
        };
        let set_cookie = res
            .headers()
            .get(http::header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let cookie = set_cookie.split(';').next().unwrap_or_default().to_owned();
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::COOKIE,
            HeaderValue::from_str(&cookie).expect("cookie"),
        );
        let res = self
            .rt
            .block_on(self.provider.submit_consent("bench", &id, &headers, true))
            .expect("consent");
        assert!(location(&res).contains("code="));
        cookie
    }

    /// A fresh code through authorize with the session.
    fn code(&self) -> String {
        query_value(
            &location(&self.authorize(Some(&self.session_cookie))),
            "code",
        )
    }

    fn exchange(&self, code: &str) -> Response<Bytes> {
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "authorization_code")
            .append_pair("code", code)
            .append_pair("redirect_uri", REDIRECT)
            .finish();
        self.rt.block_on(
            self.provider
                .handle(post("/t/bench/token", &self.web_basic, body)),
        )
    }

    /// A new interaction's id (the login page's), without signing in.
    fn interaction(&self) -> String {
        let page = location(&self.authorize(None));
        page.rsplit('/').next().unwrap_or_default().to_owned()
    }

    /// Signs in on interaction `id` (recording the sign-in, write-behind).
    fn sign_in(&self, id: &str, password: &str) -> bool {
        let outcome = self.rt.block_on(self.provider.submit_login(
            "bench",
            id,
            "ada@example.com",
            password,
            None,
        ));
        matches!(outcome, Ok(LoginOutcome::Continue(_)))
    }

    fn refresh_token(&self) -> String {
        json(&self.exchange(&self.code()))["refresh_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    fn refresh(&self, token: &str) -> Response<Bytes> {
        let body = format!("grant_type=refresh_token&refresh_token={token}");
        self.rt.block_on(
            self.provider
                .handle(post("/t/bench/token", &self.web_basic, body)),
        )
    }

    fn client_credentials(&self) -> Response<Bytes> {
        let body = "grant_type=client_credentials".to_owned();
        self.rt.block_on(
            self.provider
                .handle(post("/t/bench/token", &self.cc_basic, body)),
        )
    }

    fn userinfo(&self, token: &str) -> Response<Bytes> {
        let req = Request::get(format!("{BASE}/t/bench/userinfo"))
            .header(http::header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Bytes::new())
            .unwrap_or_default();
        self.rt.block_on(self.provider.handle(req))
    }

    fn introspect(&self, token: &str) -> Response<Bytes> {
        let body = format!("token={token}");
        self.rt.block_on(
            self.provider
                .handle(post("/t/bench/introspect", &self.cc_basic, body)),
        )
    }
}

fn bare(alg: SigningAlg) -> impl FnMut(&mut criterion::Bencher<'_>) {
    let (key, _) = SigningKey::generate(alg).expect("key");
    let input = vec![b'a'; 420];
    move |b| b.iter(|| key.sign(black_box(&input)))
}

fn endpoints(c: &mut Criterion) {
    let f = Fixture::new(idp_core::Lifetimes::default().client_cache);
    let uncached = Fixture::new(0);
    // Sanity: every path answers 200 before it is timed.
    assert!(json(&f.client_credentials())["access_token"].is_string());
    let access_token = json(&f.client_credentials())["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(json(&f.introspect(&access_token))["active"], true);
    let uncached_token = json(&uncached.client_credentials())["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(json(&uncached.introspect(&uncached_token))["active"], true);
    let user_token = |f: &Fixture| {
        json(&f.exchange(&f.code()))["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let (user_token, uncached_user_token) = (user_token(&f), user_token(&uncached));
    assert!(json(&f.userinfo(&user_token))["sub"].is_string());
    assert!(json(&uncached.userinfo(&uncached_user_token))["sub"].is_string());

    let mut g = c.benchmark_group("client_credentials (ES256 access token)");
    g.bench_function("bare ES256 signature", bare(SigningAlg::Es256));
    g.bench_function("whole request", |b| {
        b.iter(|| assert_eq!(f.client_credentials().status(), 200))
    });
    g.bench_function("whole request, client cache off", |b| {
        b.iter(|| assert_eq!(uncached.client_credentials().status(), 200))
    });
    g.finish();

    let mut g = c.benchmark_group("introspection (ES256 verify + revocation read)");
    g.bench_function("bare ES256 verification", {
        let (key, _) = SigningKey::generate(SigningAlg::Es256).expect("key");
        let input = vec![b'a'; 420];
        let sig = key.sign(&input).expect("signature");
        move |b| b.iter(|| key.verify(black_box(&input), black_box(&sig)))
    });
    g.bench_function("whole request", |b| {
        b.iter(|| assert_eq!(f.introspect(black_box(&access_token)).status(), 200))
    });
    g.bench_function("whole request, client cache off", |b| {
        b.iter(|| {
            assert_eq!(
                uncached.introspect(black_box(&uncached_token)).status(),
                200
            )
        })
    });
    g.finish();

    let mut g = c.benchmark_group("userinfo (ES256 verify + revocation and user reads)");
    g.bench_function("whole request", |b| {
        b.iter(|| assert_eq!(f.userinfo(black_box(&user_token)).status(), 200))
    });
    g.bench_function("whole request, client cache off", |b| {
        b.iter(|| {
            assert_eq!(
                uncached.userinfo(black_box(&uncached_user_token)).status(),
                200
            )
        })
    });
    g.finish();

    let mut g = c.benchmark_group("authorization_code (RS256 ID token + ES256 access token)");
    g.sample_size(20).measurement_time(Duration::from_secs(4));
    g.bench_function("bare RS256 signature", bare(SigningAlg::Rs256));
    g.bench_function("bare ES256 signature", bare(SigningAlg::Es256));
    g.bench_function("whole request", |b| {
        b.iter_batched(
            || f.code(),
            |code| assert_eq!(f.exchange(&code).status(), 200),
            BatchSize::SmallInput,
        )
    });
    g.finish();

    // Issue 17: what sign-in analytics add to the login path. The path
    // records into memory; the store write happens in the flush, off the
    // path: "flush of one sign-in" over "whole sign-in" is the share of
    // the work moved out of the request.
    let mut g = c.benchmark_group("password sign-in (argon2id + session, analytics recorded)");
    g.sample_size(20).measurement_time(Duration::from_secs(4));
    g.bench_function("whole sign-in", |b| {
        b.iter_batched(
            || f.interaction(),
            |id| assert!(f.sign_in(&id, "pw")),
            BatchSize::SmallInput,
        )
    });
    // What the timed sign-ins left in the buffer.
    f.rt.block_on(f.provider.flush_sign_ins());
    g.bench_function("flush of one sign-in event", |b| {
        b.iter_batched(
            || assert!(!f.sign_in(&f.interaction(), "wrong")),
            |()| assert_eq!(f.rt.block_on(f.provider.flush_sign_ins()).written, 1),
            // One setup, then its flush: a batch would queue several.
            BatchSize::PerIteration,
        )
    });
    g.finish();

    let mut g = c.benchmark_group("refresh_token (RS256 ID token + ES256 access token, rotation)");
    g.sample_size(20).measurement_time(Duration::from_secs(4));
    g.bench_function("whole request", |b| {
        b.iter_batched(
            || f.refresh_token(),
            |token| assert_eq!(f.refresh(&token).status(), 200),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, endpoints);
criterion_main!(benches);
