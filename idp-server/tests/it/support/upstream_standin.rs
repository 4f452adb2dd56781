//! Local stand-ins for the upstreams of upstream login, each a small real
//! HTTP server on 127.0.0.1:0 (hyper) playing one shape:
//!
//! - [`Shape::Github`]: GitHub Enterprise Server at a base URL —
//!   `/login/oauth/authorize`, `/login/oauth/access_token` (client
//!   credentials in the form, errors as 200 with `error`, as GitHub does),
//!   `/api/v3/user` and `/api/v3/user/emails`;
//! - [`Shape::Google`]: an OpenID Provider whose issuer is the base URL;
//! - [`Shape::Microsoft`]: the v2.0 multi-tenant shape — discovery at
//!   `/common/v2.0/.well-known/openid-configuration` names the issuer
//!   `{base}/{tenantid}/v2.0` (the literal template), and ID tokens carry
//!   `tid` and `oid` with `iss` `{base}/{tid}/v2.0`.
//!
//! Every authorize endpoint redirects straight back (no UI) with a code and
//! the given `state` (or `error=access_denied` when told to cancel). The
//! token endpoints check what a real one checks: the client's credentials,
//! that the code is unused and was issued for this `redirect_uri`, and the
//! PKCE verifier against the S256 challenge. ID tokens are ES256, signed
//! with a real key. [`Knobs`] break one thing at a time.

use super::*;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the stand-in plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// GitHub Enterprise Server at the base URL.
    Github,
    /// A Google-shaped OpenID Provider.
    Google,
    /// Microsoft's multi-tenant v2.0 endpoints.
    Microsoft,
}

/// The Microsoft tenant the stand-in's users belong to.
pub const STANDIN_TID: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

/// A GitHub email address entry.
#[derive(Clone, Debug)]
pub struct GithubEmail {
    /// The address.
    pub email: String,
    /// Primary.
    pub primary: bool,
    /// Verified.
    pub verified: bool,
}

/// Who signs in at the stand-in.
#[derive(Clone, Debug)]
pub struct StandInUser {
    /// `sub` (OpenID shapes) or the numeric user id (GitHub).
    pub subject: String,
    /// Name (`name`; GitHub's `name`, which may be null).
    pub name: Option<String>,
    /// GitHub `login`.
    pub login: String,
    /// OpenID: `email`.
    pub email: Option<String>,
    /// OpenID: `email_verified` (not sent for Microsoft).
    pub email_verified: bool,
    /// GitHub: `/user/emails`.
    pub emails: Vec<GithubEmail>,
    /// Microsoft: `tid`.
    pub tid: String,
    /// Microsoft: `oid`.
    pub oid: String,
}

impl Default for StandInUser {
    fn default() -> Self {
        Self {
            subject: "110169484474386276334".into(),
            name: Some("Ada Lovelace".into()),
            login: "ada".into(),
            email: Some("ada@upstream.example".into()),
            email_verified: true,
            emails: vec![
                GithubEmail {
                    email: "old@upstream.example".into(),
                    primary: false,
                    verified: true,
                },
                GithubEmail {
                    email: "ada@upstream.example".into(),
                    primary: true,
                    verified: true,
                },
            ],
            tid: STANDIN_TID.into(),
            oid: "00000000-0000-0000-66f3-3332eca7ea81".into(),
        }
    }
}

/// What to break. Each knob breaks one thing.
#[derive(Clone, Debug, Default)]
pub struct Knobs {
    /// The ID token is signed with another key under the published `kid`.
    pub bad_signature: bool,
    /// The ID token's `iss` is another issuer (Microsoft: another tenant's
    /// issuer, with the token's own `tid`).
    pub wrong_iss: bool,
    /// The ID token's `aud` is another client.
    pub wrong_aud: bool,
    /// The ID token's `nonce` is not the one sent.
    pub wrong_nonce: bool,
    /// The ID token expired ten minutes ago.
    pub expired: bool,
    /// Every answer comes after 7 s (longer than the outbound timeout).
    pub slow: bool,
    /// The authorize endpoint answers `error=access_denied`.
    pub cancel: bool,
    /// Userinfo names another `sub`.
    pub userinfo_other_sub: bool,
}

/// An authorization in flight at the stand-in.
#[derive(Clone, Debug)]
struct Grant {
    client_id: String,
    redirect_uri: String,
    nonce: Option<String>,
    challenge: Option<String>,
}

/// A token request as the stand-in got it: its `Authorization` header and
/// its form.
pub type TokenRequest = (Option<String>, HashMap<String, String>);

struct State {
    shape: Shape,
    base: String,
    client_id: String,
    client_secret: String,
    key: Mutex<ClientKey>,
    knobs: Mutex<Knobs>,
    user: Mutex<StandInUser>,
    codes: Mutex<HashMap<String, Grant>>,
    tokens: Mutex<HashMap<String, ()>>,
    hits: Mutex<Vec<String>>,
    authorize_queries: Mutex<Vec<HashMap<String, String>>>,
    token_forms: Mutex<Vec<TokenRequest>>,
    issued: Mutex<Vec<String>>,
}

/// A running stand-in. Dropping it stops it.
pub struct StandIn {
    /// `http://127.0.0.1:{port}`.
    pub base: String,
    /// What to configure as the upstream's issuer (GitHub: base URL).
    pub issuer: String,
    /// The client registered at the stand-in.
    pub client_id: String,
    /// Its secret.
    pub client_secret: String,
    state: Arc<State>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// `http://127.0.0.1:{port}` where nothing listens: an upstream that is
/// down.
pub fn closed_base() -> String {
    format!("http://127.0.0.1:{}", Receiver::free_port())
}

fn random_token() -> String {
    let bytes: [u8; 24] = aws_lc_rs::rand::generate(&aws_lc_rs::rand::SystemRandom::new())
        .expect("random")
        .expose();
    URL_SAFE_NO_PAD.encode(bytes)
}

fn json_response(status: u16, body: &Value) -> ::http::Response<Full<Bytes>> {
    ::http::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("response")
}

fn redirect(to: &str) -> ::http::Response<Full<Bytes>> {
    ::http::Response::builder()
        .status(302)
        .header("location", to)
        .body(Full::new(Bytes::new()))
        .expect("response")
}

fn parse_pairs(s: &str) -> HashMap<String, String> {
    form_urlencoded::parse(s.as_bytes()).into_owned().collect()
}

impl StandIn {
    /// Starts a stand-in of `shape` with the default user and no knob set.
    pub async fn start(shape: Shape) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the stand-in");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let state = Arc::new(State {
            shape,
            base: base.clone(),
            client_id: format!("{shape:?}-client").to_lowercase(),
            client_secret: random_token(),
            key: Mutex::new(ClientKey::generate("standin-1")),
            knobs: Mutex::default(),
            user: Mutex::new(StandInUser::default()),
            codes: Mutex::default(),
            tokens: Mutex::default(),
            hits: Mutex::default(),
            authorize_queries: Mutex::default(),
            token_forms: Mutex::default(),
            issued: Mutex::default(),
        });
        let served = Arc::clone(&state);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = Arc::clone(&served);
                tokio::spawn(async move {
                    let service = service_fn(move |req: ::http::Request<hyper::body::Incoming>| {
                        let state = Arc::clone(&state);
                        async move { Ok::<_, Infallible>(state.handle(req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        let issuer = match shape {
            Shape::Github | Shape::Google => base.clone(),
            Shape::Microsoft => format!("{base}/common/v2.0"),
        };
        Self {
            base,
            issuer,
            client_id: state.client_id.clone(),
            client_secret: state.client_secret.clone(),
            state,
            task,
        }
    }

    /// Sets the knobs.
    pub fn set_knobs(&self, knobs: Knobs) {
        *self.state.knobs.lock().expect("knobs") = knobs;
    }

    /// Changes who signs in.
    pub fn set_user(&self, user: StandInUser) {
        *self.state.user.lock().expect("user") = user;
    }

    /// Rotates the signing key (a new `kid`): relying parties holding the
    /// old key set must fetch it again.
    pub fn rotate_key(&self, kid: &str) {
        *self.state.key.lock().expect("key") = ClientKey::generate(kid);
    }

    /// How many requests came to `path`.
    pub fn hits(&self, path: &str) -> usize {
        self.state
            .hits
            .lock()
            .expect("hits")
            .iter()
            .filter(|p| p.as_str() == path)
            .count()
    }

    /// The query of every authorization request, in order.
    pub fn authorize_queries(&self) -> Vec<HashMap<String, String>> {
        self.state.authorize_queries.lock().expect("log").clone()
    }

    /// Every token request: its `Authorization` header and form, in order.
    pub fn token_requests(&self) -> Vec<TokenRequest> {
        self.state.token_forms.lock().expect("log").clone()
    }

    /// Every code, access token and ID token the stand-in issued, in
    /// order: what must never appear in a log.
    pub fn issued(&self) -> Vec<String> {
        self.state.issued.lock().expect("log").clone()
    }

    /// The path of the JWK Set.
    pub fn jwks_path(&self) -> &'static str {
        self.state.paths().jwks
    }
}

/// Where each endpoint of a shape is.
struct Paths {
    discovery: &'static str,
    authorize: &'static str,
    token: &'static str,
    jwks: &'static str,
    userinfo: &'static str,
}

impl State {
    fn paths(&self) -> Paths {
        match self.shape {
            Shape::Google | Shape::Github => Paths {
                discovery: "/.well-known/openid-configuration",
                authorize: if self.shape == Shape::Github {
                    "/login/oauth/authorize"
                } else {
                    "/o/oauth2/v2/auth"
                },
                token: if self.shape == Shape::Github {
                    "/login/oauth/access_token"
                } else {
                    "/token"
                },
                jwks: "/oauth2/v3/certs",
                userinfo: "/v1/userinfo",
            },
            Shape::Microsoft => Paths {
                discovery: "/common/v2.0/.well-known/openid-configuration",
                authorize: "/common/oauth2/v2.0/authorize",
                token: "/common/oauth2/v2.0/token",
                jwks: "/common/discovery/v2.0/keys",
                userinfo: "/oidc/userinfo",
            },
        }
    }

    /// The issuer the discovery document names.
    fn discovery_issuer(&self) -> String {
        match self.shape {
            Shape::Microsoft => format!("{}/{{tenantid}}/v2.0", self.base),
            _ => self.base.clone(),
        }
    }

    async fn handle(
        &self,
        req: ::http::Request<hyper::body::Incoming>,
    ) -> ::http::Response<Full<Bytes>> {
        let knobs = self.knobs.lock().expect("knobs").clone();
        if knobs.slow {
            tokio::time::sleep(Duration::from_secs(7)).await;
        }
        let path = req.uri().path().to_owned();
        self.hits.lock().expect("hits").push(path.clone());
        let query = parse_pairs(req.uri().query().unwrap_or(""));
        let authorization = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = req
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let form = parse_pairs(&String::from_utf8_lossy(&body));
        let paths = self.paths();
        let github = self.shape == Shape::Github;
        match path.as_str() {
            p if p == paths.discovery && !github => json_response(200, &self.discovery()),
            p if p == paths.jwks && !github => {
                let jwks: Value =
                    serde_json::from_str(&self.key.lock().expect("key").jwks()).expect("jwks");
                json_response(200, &jwks)
            }
            p if p == paths.authorize => self.authorize(&query, &knobs),
            p if p == paths.token => self.token(authorization.as_deref(), form, &knobs),
            p if p == paths.userinfo && !github => {
                if !self.bearer_ok(authorization.as_deref()) {
                    return json_response(401, &json!({"error": "invalid_token"}));
                }
                let user = self.user.lock().expect("user").clone();
                let sub = if knobs.userinfo_other_sub {
                    "someone-else".to_owned()
                } else {
                    user.subject.clone()
                };
                json_response(
                    200,
                    &json!({"sub": sub, "name": user.name, "email": user.email,
                            "email_verified": user.email_verified}),
                )
            }
            "/api/v3/user" if github => {
                if !self.bearer_ok(authorization.as_deref()) {
                    return json_response(401, &json!({"message": "Bad credentials"}));
                }
                let user = self.user.lock().expect("user").clone();
                let id: u64 = user.subject.parse().unwrap_or(1);
                json_response(
                    200,
                    &json!({"id": id, "login": user.login, "name": user.name}),
                )
            }
            "/api/v3/user/emails" if github => {
                if !self.bearer_ok(authorization.as_deref()) {
                    return json_response(401, &json!({"message": "Bad credentials"}));
                }
                let user = self.user.lock().expect("user").clone();
                let emails: Vec<Value> = user
                    .emails
                    .iter()
                    .map(|e| {
                        json!({"email": e.email, "primary": e.primary,
                                    "verified": e.verified, "visibility": null})
                    })
                    .collect();
                json_response(200, &Value::Array(emails))
            }
            _ => json_response(404, &json!({"error": "not found"})),
        }
    }

    fn discovery(&self) -> Value {
        let p = self.paths();
        let mut doc = json!({
            "issuer": self.discovery_issuer(),
            "authorization_endpoint": format!("{}{}", self.base, p.authorize),
            "token_endpoint": format!("{}{}", self.base, p.token),
            "jwks_uri": format!("{}{}", self.base, p.jwks),
            "userinfo_endpoint": format!("{}{}", self.base, p.userinfo),
            "response_types_supported": ["code", "id_token", "code id_token"],
            "subject_types_supported": ["public", "pairwise"],
            "id_token_signing_alg_values_supported": ["ES256", "RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "code_challenge_methods_supported": ["plain", "S256"],
        });
        if self.shape == Shape::Microsoft {
            doc["tenant_region_scope"] = json!(null);
            doc["cloud_instance_name"] = json!("microsoftonline.com");
        }
        doc
    }

    fn authorize(
        &self,
        query: &HashMap<String, String>,
        knobs: &Knobs,
    ) -> ::http::Response<Full<Bytes>> {
        self.authorize_queries
            .lock()
            .expect("log")
            .push(query.clone());
        let (Some(redirect_uri), Some(client_id)) =
            (query.get("redirect_uri"), query.get("client_id"))
        else {
            return json_response(400, &json!({"error": "invalid_request"}));
        };
        let state = query.get("state").cloned().unwrap_or_default();
        if knobs.cancel {
            return redirect(&with_query(
                redirect_uri,
                &[
                    ("error", "access_denied"),
                    ("error_description", "The user cancelled"),
                    ("state", &state),
                ],
            ));
        }
        let code = random_token();
        self.issued.lock().expect("log").push(code.clone());
        self.codes.lock().expect("codes").insert(
            code.clone(),
            Grant {
                client_id: client_id.clone(),
                redirect_uri: redirect_uri.clone(),
                nonce: query.get("nonce").cloned(),
                challenge: query.get("code_challenge").cloned(),
            },
        );
        redirect(&with_query(
            redirect_uri,
            &[("code", &code), ("state", &state)],
        ))
    }

    /// The client's credentials: Basic (RFC 6749 §2.3.1, form-encoded
    /// then base64) or in the form.
    fn client_of(
        &self,
        authorization: Option<&str>,
        form: &HashMap<String, String>,
    ) -> Option<(String, String)> {
        if let Some(basic) = authorization.and_then(|a| a.strip_prefix("Basic ")) {
            let decoded = String::from_utf8(STANDARD.decode(basic).ok()?).ok()?;
            let (id, secret) = decoded.split_once(':')?;
            let un = |s: &str| {
                form_urlencoded::parse(format!("x={s}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
            };
            return Some((un(id)?, un(secret)?));
        }
        Some((
            form.get("client_id")?.clone(),
            form.get("client_secret")?.clone(),
        ))
    }

    fn token(
        &self,
        authorization: Option<&str>,
        form: HashMap<String, String>,
        knobs: &Knobs,
    ) -> ::http::Response<Full<Bytes>> {
        self.token_forms
            .lock()
            .expect("log")
            .push((authorization.map(str::to_owned), form.clone()));
        let github = self.shape == Shape::Github;
        // GitHub answers its errors with 200.
        let error = |status: u16, code: &str| {
            json_response(if github { 200 } else { status }, &json!({"error": code}))
        };
        match self.client_of(authorization, &form) {
            Some((id, secret)) if id == self.client_id && secret == self.client_secret => {}
            _ => return error(401, "invalid_client"),
        }
        let Some(grant) = form
            .get("code")
            .and_then(|c| self.codes.lock().expect("codes").remove(c))
        else {
            return error(
                400,
                if github {
                    "bad_verification_code"
                } else {
                    "invalid_grant"
                },
            );
        };
        if grant.client_id != self.client_id
            || form.get("redirect_uri") != Some(&grant.redirect_uri)
        {
            return error(400, "invalid_grant");
        }
        let verifier = form.get("code_verifier").cloned().unwrap_or_default();
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
        if grant.challenge.as_deref() != Some(URL_SAFE_NO_PAD.encode(digest.as_ref()).as_str()) {
            return error(400, "invalid_grant");
        }
        let access_token = random_token();
        self.issued.lock().expect("log").push(access_token.clone());
        self.tokens
            .lock()
            .expect("tokens")
            .insert(access_token.clone(), ());
        if github {
            return json_response(
                200,
                &json!({"access_token": access_token, "token_type": "bearer",
                        "scope": "read:user,user:email"}),
            );
        }
        let id_token = self.id_token(&grant, knobs);
        self.issued.lock().expect("log").push(id_token.clone());
        json_response(
            200,
            &json!({"access_token": access_token, "token_type": "Bearer",
                    "expires_in": 3600, "id_token": id_token,
                    "scope": "openid email profile"}),
        )
    }

    fn id_token(&self, grant: &Grant, knobs: &Knobs) -> String {
        let user = self.user.lock().expect("user").clone();
        let now = now();
        let iss = match (self.shape, knobs.wrong_iss) {
            (Shape::Microsoft, false) => format!("{}/{}/v2.0", self.base, user.tid),
            (Shape::Microsoft, true) => {
                format!("{}/00000000-0000-0000-0000-00000000beef/v2.0", self.base)
            }
            (_, false) => self.base.clone(),
            (_, true) => "https://issuer.elsewhere.example".into(),
        };
        let (iat, exp) = if knobs.expired {
            (now - 1200, now - 600)
        } else {
            (now, now + 600)
        };
        let mut claims = json!({
            "iss": iss,
            "sub": user.subject,
            "aud": if knobs.wrong_aud { "another-client".to_owned() } else { grant.client_id.clone() },
            "iat": iat,
            "exp": exp,
            "nonce": if knobs.wrong_nonce { Some("not-the-nonce".to_owned()) } else { grant.nonce.clone() },
            "name": user.name,
            "email": user.email,
        });
        match self.shape {
            Shape::Microsoft => {
                claims["tid"] = json!(user.tid);
                claims["oid"] = json!(user.oid);
                claims["preferred_username"] = json!(user.email);
            }
            _ => claims["email_verified"] = json!(user.email_verified),
        }
        let key = self.key.lock().expect("key");
        if knobs.bad_signature {
            ClientKey::generate(&key.kid).sign(&claims)
        } else {
            key.sign(&claims)
        }
    }

    fn bearer_ok(&self, authorization: Option<&str>) -> bool {
        authorization
            .and_then(|a| a.strip_prefix("Bearer "))
            .is_some_and(|t| self.tokens.lock().expect("tokens").contains_key(t))
    }
}
