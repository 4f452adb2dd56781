//! The application side: a relying party of the embedded provider.
//!
//! It behaves exactly like a separate web application would (authorization
//! code flow with PKCE S256, `state` bound to the browser by a cookie,
//! `nonce` in the ID token, the ID token's signature checked against the
//! provider's JWKS), except that its back-channel calls (discovery, token,
//! JWKS, userinfo) are plain function calls to `Provider::handle` instead of
//! HTTP requests: same requests, same responses, no network hop.

use crate::pages::{html, message};
use crate::setup::AppClient;
use crate::{IDP_PREFIX, TENANT};
use anyhow::{anyhow, bail};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, header};
use idp_core::crypto::random;
use idp_core::jwks::PublicKeySet;
use idp_core::session::{cookie, set_cookie};
use idp_core::wire::{Params, html_escape};
use idp_core::{Provider, jose};
use idp_store_sqlite::SqliteStore;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The application's session cookie (its own, not the provider's).
const SESSION_COOKIE: &str = "app_session";
/// Binds a sign-in's `state` to the browser that started it.
const LOGIN_COOKIE: &str = "app_login";
/// How long the application's session lasts.
const SESSION_LIFETIME: Duration = Duration::from_secs(8 * 3600);
/// How long a started sign-in may take.
const LOGIN_LIFETIME: Duration = Duration::from_secs(600);
/// At most this many sign-ins in progress (each costs a little memory).
const MAX_PENDING: usize = 10_000;
/// What the application asks for.
const SCOPE: &str = "openid email profile";

/// A signed-in user of the application.
#[derive(Clone, Debug)]
struct Session {
    sub: String,
    email: String,
    expires: Instant,
}

/// A sign-in started at `/` and finished at `/callback`.
struct Pending {
    nonce: String,
    verifier: String,
    started: Instant,
}

/// The application's view of its provider, read from discovery at start-up,
/// and its in-memory sessions (a real application would use its own store).
pub(crate) struct RelyingParty {
    /// `issuer` from discovery.
    pub(crate) issuer: String,
    client: AppClient,
    authorization_endpoint: url::Url,
    /// Paths of the back-channel endpoints, for in-process requests.
    token_path: String,
    jwks_path: String,
    userinfo_path: String,
    secure_cookies: bool,
    sessions: Mutex<HashMap<String, Session>>,
    pending: Mutex<HashMap<String, Pending>>,
}

/// A request to the provider, built as an HTTP client would send it.
fn backchannel(
    method: Method,
    path: &str,
    headers: &[(header::HeaderName, &str)],
    body: String,
) -> anyhow::Result<Request<Bytes>> {
    let mut builder = Request::builder().method(method).uri(path);
    for (name, value) in headers {
        builder = builder.header(name, *value);
    }
    Ok(builder.body(Bytes::from(body))?)
}

/// The JSON body of a 200 response.
fn json_ok(res: &Response<Bytes>, what: &str) -> anyhow::Result<Value> {
    if res.status() != StatusCode::OK {
        bail!(
            "{what} answered {}: {}",
            res.status(),
            String::from_utf8_lossy(res.body())
        );
    }
    Ok(serde_json::from_slice(res.body())?)
}

/// The path of an endpoint URL from discovery.
fn path_of(url: &str) -> anyhow::Result<String> {
    Ok(url::Url::parse(url)?.path().to_owned())
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

impl RelyingParty {
    /// Reads the tenant's discovery document, as any relying party does
    /// (endpoints are found there, never guessed).
    pub(crate) async fn discover(
        provider: &Provider<SqliteStore>,
        client: AppClient,
        app_url: &str,
    ) -> anyhow::Result<Self> {
        let path = format!("{IDP_PREFIX}/t/{TENANT}/.well-known/openid-configuration");
        let res = provider
            .handle(backchannel(Method::GET, &path, &[], String::new())?)
            .await;
        let doc = json_ok(&res, "discovery")?;
        let field = |name: &str| {
            doc[name]
                .as_str()
                .ok_or_else(|| anyhow!("discovery has no {name}"))
        };
        Ok(Self {
            issuer: field("issuer")?.to_owned(),
            client,
            authorization_endpoint: url::Url::parse(field("authorization_endpoint")?)?,
            token_path: path_of(field("token_endpoint")?)?,
            jwks_path: path_of(field("jwks_uri")?)?,
            userinfo_path: path_of(field("userinfo_endpoint")?)?,
            secure_cookies: app_url.starts_with("https://"),
            sessions: Mutex::new(HashMap::new()),
            pending: Mutex::new(HashMap::new()),
        })
    }

    fn session(&self, headers: &HeaderMap) -> Option<Session> {
        let id = cookie(headers, SESSION_COOKIE)?;
        let mut sessions = self.sessions.lock().ok()?;
        match sessions.get(id) {
            Some(s) if s.expires > Instant::now() => Some(s.clone()),
            Some(_) => {
                sessions.remove(id);
                None
            }
            None => None,
        }
    }

    /// `GET /`: the greeting for a signed-in user; otherwise a redirect to
    /// the provider's authorization endpoint.
    pub(crate) async fn home(&self, req: &Request<Bytes>) -> Response<Bytes> {
        if let Some(session) = self.session(req.headers()) {
            return greeting(&session);
        }
        let state = random::secret();
        let nonce = random::secret();
        // 43 base64url characters: a valid PKCE verifier (RFC 7636 §4.1).
        let verifier = random::secret();
        let challenge = URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(
            &aws_lc_rs::digest::SHA256,
            verifier.as_bytes(),
        ));
        {
            let Ok(mut pending) = self.pending.lock() else {
                return internal_error();
            };
            pending.retain(|_, p| p.started.elapsed() < LOGIN_LIFETIME);
            if pending.len() >= MAX_PENDING {
                return message(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Too many sign-ins in progress",
                    "Please try again in a few minutes.",
                );
            }
            pending.insert(
                state.clone(),
                Pending {
                    nonce: nonce.clone(),
                    verifier,
                    started: Instant::now(),
                },
            );
        }
        let mut url = self.authorization_endpoint.clone();
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.client.client_id)
            .append_pair("redirect_uri", &self.client.redirect_uri)
            .append_pair("scope", SCOPE)
            .append_pair("state", &state)
            .append_pair("nonce", &nonce)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256");
        let mut res = idp_core::wire::redirect(url.as_str(), StatusCode::FOUND);
        let login_cookie = set_cookie(
            LOGIN_COOKIE,
            &state,
            "/callback",
            LOGIN_LIFETIME.as_secs() as i64,
            self.secure_cookies,
        );
        append_cookie(&mut res, &login_cookie);
        res
    }

    /// `GET /callback`: checks `state` and `iss`, redeems the code, verifies
    /// the ID token, reads the email at userinfo, and starts the app's session.
    pub(crate) async fn callback(
        &self,
        provider: &Provider<SqliteStore>,
        req: &Request<Bytes>,
    ) -> Response<Bytes> {
        let query = Params::parse(req.uri().query().unwrap_or("").as_bytes());
        let param = |name| query.single(name).ok().flatten();
        // The state must be the one this browser was given at `/`
        // (login CSRF, RFC 9700 §4.7), and is usable once.
        let Some(state) =
            param("state").filter(|s| cookie(req.headers(), LOGIN_COOKIE) == Some(*s))
        else {
            return message(
                StatusCode::BAD_REQUEST,
                "This sign-in was not started here",
                "Go to the home page to sign in.",
            );
        };
        let pending = self.pending.lock().ok().and_then(|mut p| p.remove(state));
        let Some(pending) = pending.filter(|p| p.started.elapsed() < LOGIN_LIFETIME) else {
            return message(
                StatusCode::BAD_REQUEST,
                "This sign-in has expired",
                "Go to the home page to sign in again.",
            );
        };
        // RFC 9207: the response names its issuer; refuse any other (mix-up).
        if param("iss").is_some_and(|iss| iss != self.issuer) {
            return message(
                StatusCode::BAD_REQUEST,
                "Unexpected issuer",
                "The sign-in response came from another provider.",
            );
        }
        if let Some(error) = param("error") {
            return message(
                StatusCode::FORBIDDEN,
                "You were not signed in",
                &format!("The provider answered: {error}."),
            );
        }
        let Some(code) = param("code") else {
            return message(
                StatusCode::BAD_REQUEST,
                "No code",
                "The sign-in response has no authorization code.",
            );
        };
        let session = match self.finish(provider, code, &pending).await {
            Ok(s) => s,
            Err(e) => {
                return message(StatusCode::BAD_GATEWAY, "Sign-in failed", &format!("{e:#}"));
            }
        };
        let id = random::secret();
        let mut res = greeting(&session);
        if let Ok(mut sessions) = self.sessions.lock() {
            sessions.retain(|_, s| s.expires > Instant::now());
            sessions.insert(id.clone(), session);
        }
        let lifetime = SESSION_LIFETIME.as_secs() as i64;
        append_cookie(
            &mut res,
            &set_cookie(SESSION_COOKIE, &id, "/", lifetime, self.secure_cookies),
        );
        append_cookie(
            &mut res,
            &set_cookie(LOGIN_COOKIE, "", "/callback", 0, self.secure_cookies),
        );
        res
    }

    /// The back channel: code for tokens, ID token verified, userinfo read.
    async fn finish(
        &self,
        provider: &Provider<SqliteStore>,
        code: &str,
        pending: &Pending,
    ) -> anyhow::Result<Session> {
        let form = form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "authorization_code")
            .append_pair("code", code)
            .append_pair("redirect_uri", &self.client.redirect_uri)
            .append_pair("code_verifier", &pending.verifier)
            .finish();
        // client_secret_basic (RFC 6749 §2.3.1): form-encoded id and secret.
        let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let basic = STANDARD.encode(format!(
            "{}:{}",
            enc(&self.client.client_id),
            enc(&self.client.client_secret)
        ));
        let authorization = format!("Basic {basic}");
        let token_request = backchannel(
            Method::POST,
            &self.token_path,
            &[
                (header::CONTENT_TYPE, "application/x-www-form-urlencoded"),
                (header::AUTHORIZATION, &authorization),
            ],
            form,
        )?;
        let tokens = json_ok(&provider.handle(token_request).await, "the token endpoint")?;
        let id_token = tokens["id_token"]
            .as_str()
            .ok_or_else(|| anyhow!("the token response has no id_token"))?;
        let claims = self
            .verify_id_token(provider, id_token, &pending.nonce)
            .await?;
        let sub = claims["sub"]
            .as_str()
            .ok_or_else(|| anyhow!("the ID token has no sub"))?;

        // The ID token identifies the user; the email is released at userinfo.
        let access_token = tokens["access_token"]
            .as_str()
            .ok_or_else(|| anyhow!("the token response has no access_token"))?;
        let bearer = format!("Bearer {access_token}");
        let userinfo_request = backchannel(
            Method::GET,
            &self.userinfo_path,
            &[(header::AUTHORIZATION, &bearer)],
            String::new(),
        )?;
        let info = json_ok(&provider.handle(userinfo_request).await, "userinfo")?;
        // OIDC Core §5.3.2: userinfo's sub must be the ID token's.
        if info["sub"].as_str() != Some(sub) {
            bail!("userinfo describes another user");
        }
        Ok(Session {
            sub: sub.to_owned(),
            email: info["email"].as_str().unwrap_or(sub).to_owned(),
            expires: Instant::now() + SESSION_LIFETIME,
        })
    }

    /// OIDC Core §3.1.3.7: signature with the provider's published keys,
    /// then `iss`, `aud`, `azp`, `exp` and `nonce`.
    async fn verify_id_token(
        &self,
        provider: &Provider<SqliteStore>,
        id_token: &str,
        nonce: &str,
    ) -> anyhow::Result<Value> {
        let jwks_request = backchannel(Method::GET, &self.jwks_path, &[], String::new())?;
        let jwks = provider.handle(jwks_request).await;
        json_ok(&jwks, "the JWKS endpoint")?;
        let keys = PublicKeySet::parse(jwks.body()).map_err(|e| anyhow!("JWKS: {e}"))?;
        let verified =
            jose::verify_with_set(id_token, &keys).map_err(|e| anyhow!("ID token: {e}"))?;
        let claims: Value = serde_json::from_slice(&verified.payload)?;
        let client_id = self.client.client_id.as_str();
        let audience_ok = match &claims["aud"] {
            Value::String(a) => a == client_id,
            Value::Array(list) => {
                list.iter().any(|a| a == client_id)
                    && (list.len() == 1 || claims["azp"] == client_id)
            }
            _ => false,
        };
        if claims["iss"] != self.issuer.as_str() {
            bail!("ID token: wrong issuer");
        }
        if !audience_ok {
            bail!("ID token: not for this application");
        }
        if claims["exp"].as_i64().is_none_or(|exp| exp <= unix_now()) {
            bail!("ID token: expired");
        }
        if claims["nonce"] != nonce {
            bail!("ID token: wrong nonce (replayed?)");
        }
        Ok(claims)
    }

    /// `POST /logout`: ends the application's session (the provider's own
    /// single-sign-on session stays; a later sign-in will not ask again).
    pub(crate) fn logout(&self, req: &Request<Bytes>) -> Response<Bytes> {
        if let Some(id) = cookie(req.headers(), SESSION_COOKIE)
            && let Ok(mut sessions) = self.sessions.lock()
        {
            sessions.remove(id);
        }
        let mut res = html(
            StatusCode::OK,
            "Signed out",
            r#"<h1>Signed out</h1><p><a href="/">Sign in again</a></p>"#,
        );
        append_cookie(
            &mut res,
            &set_cookie(SESSION_COOKIE, "", "/", 0, self.secure_cookies),
        );
        res
    }
}

fn greeting(session: &Session) -> Response<Bytes> {
    let body = format!(
        r#"<h1 id="greeting">Hello, {}</h1>
<p>Your account id at the provider is <code id="sub">{}</code>.</p>
<form method="post" action="/logout"><button type="submit" id="logout">Sign out</button></form>"#,
        html_escape(&session.email),
        html_escape(&session.sub)
    );
    html(StatusCode::OK, "Home", &body)
}

fn append_cookie(res: &mut Response<Bytes>, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
}

fn internal_error() -> Response<Bytes> {
    message(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "Please try again in a moment.",
    )
}
