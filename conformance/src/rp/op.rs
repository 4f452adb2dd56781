//! The OP under test as the relying party sees it: its discovered metadata
//! and keys, and the calls a code-flow client makes.

use super::agent::Agent;
use super::jose::b64e;
use super::target::{StaticClient, Target};
use reqwest::header::HeaderMap;
use serde_json::Value;

/// How the client authenticates at the token endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAuth {
    /// `client_secret_basic`: form-urlencoded id and secret, then base64 (RFC 6749 §2.3.1).
    Basic,
    /// `client_secret_post`.
    Post,
    /// `private_key_jwt`, with the client's key, `aud` = token endpoint.
    PrivateKeyJwt,
    /// `private_key_jwt` with `aud` = the issuer.
    PrivateKeyJwtIssuerAud,
}

/// How userinfo is called.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserinfoCall {
    /// GET with `Authorization: Bearer`.
    Get,
    /// POST with `Authorization: Bearer`.
    PostHeader,
    /// POST with `access_token` in the form body.
    PostBody,
}

/// A response read whole.
#[derive(Clone, Debug)]
pub struct Resp {
    /// Status.
    pub status: u16,
    /// Headers.
    pub headers: HeaderMap,
    /// Body text.
    pub body: String,
}

impl Resp {
    /// The body as JSON (`Null` if it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A random string of `n` characters from `[A-Za-z0-9]`, as the suite's
/// `state` and `nonce`.
pub fn random_alnum(n: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(n);
    while out.len() < n {
        let mut buf = [0u8; 32];
        if aws_lc_rs::rand::fill(&mut buf).is_err() {
            break;
        }
        for b in buf {
            if usize::from(b) < 248 && out.len() < n {
                out.push(char::from(ALPHABET[usize::from(b) % ALPHABET.len()]));
            }
        }
    }
    out
}

/// The discovered OP.
pub struct Op {
    /// Back-channel HTTP client (token, userinfo).
    pub http: reqwest::Client,
    /// Extra trusted root (a test CA).
    pub root: Option<reqwest::Certificate>,
    /// Configuration.
    pub target: Target,
    /// Discovery document.
    pub meta: Value,
    /// JWK Set.
    pub jwks: Value,
    /// `response_mode` the plan sends (`form_post` in the Form Post plan).
    pub response_mode: Option<&'static str>,
    /// Where the RP publishes documents for the OP (Dynamic plan).
    pub host: Option<std::sync::Arc<super::host::Host>>,
}

impl Op {
    /// Fetches discovery and the JWKS (`GetDynamicServerConfiguration`, `FetchServerKeys`).
    pub async fn discover(
        target: Target,
        root: Option<reqwest::Certificate>,
    ) -> Result<Self, String> {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(30));
        if let Some(r) = &root {
            builder = builder.add_root_certificate(r.clone());
        }
        let http = builder.build().map_err(|e| e.to_string())?;
        let url = format!(
            "{}/.well-known/openid-configuration",
            target.issuer.trim_end_matches('/')
        );
        let meta: Value = http
            .get(&url)
            .send()
            .await
            .map_err(|e| format!("GET {url}: {e}"))?
            .json()
            .await
            .map_err(|e| format!("discovery is not JSON: {e}"))?;
        let jwks_uri = meta["jwks_uri"]
            .as_str()
            .ok_or("discovery has no jwks_uri")?
            .to_owned();
        let jwks: Value = http
            .get(&jwks_uri)
            .send()
            .await
            .map_err(|e| format!("GET {jwks_uri}: {e}"))?
            .json()
            .await
            .map_err(|e| format!("JWKS is not JSON: {e}"))?;
        Ok(Self {
            http,
            root,
            target,
            meta,
            jwks,
            response_mode: None,
            host: None,
        })
    }

    /// `issuer` from discovery.
    pub fn issuer(&self) -> &str {
        self.meta["issuer"].as_str().unwrap_or("")
    }

    /// An endpoint URL from discovery.
    pub fn endpoint(&self, name: &str) -> String {
        self.meta[name].as_str().unwrap_or("").to_owned()
    }

    /// Whether discovery lists `value` under `field`.
    pub fn supports(&self, field: &str, value: &str) -> bool {
        self.meta[field]
            .as_array()
            .is_some_and(|a| a.iter().any(|v| v.as_str() == Some(value)))
    }

    /// `POST registration_endpoint` with `metadata` (RFC 7591).
    pub async fn register(&self, metadata: &Value) -> Resp {
        let url = self.endpoint("registration_endpoint");
        let res = self
            .http
            .post(url)
            .header("accept", "application/json")
            .json(metadata)
            .send()
            .await;
        Self::read(res).await
    }

    /// `PUT registration_client_uri` with the registration access token and
    /// the whole metadata (RFC 7592 §2.2).
    pub async fn update_registration(&self, uri: &str, token: &str, metadata: &Value) -> Resp {
        let res = self
            .http
            .put(uri)
            .bearer_auth(token)
            .header("accept", "application/json")
            .json(metadata)
            .send()
            .await;
        Self::read(res).await
    }

    /// `DELETE registration_client_uri` with the registration access token.
    pub async fn unregister(&self, uri: &str, token: &str) -> Resp {
        Self::read(self.http.delete(uri).bearer_auth(token).send().await).await
    }

    /// A fresh browser.
    pub fn agent(&self) -> Result<Agent, String> {
        Agent::new(
            &self.target.redirect_uri,
            self.target.user.clone(),
            self.root.as_ref(),
        )
    }

    /// The authorization URL with `params`, sorted alphabetically as the suite sends them.
    pub fn auth_url(&self, params: &[(String, String)]) -> String {
        let mut sorted = params.to_vec();
        sorted.sort();
        let mut url = self.endpoint("authorization_endpoint");
        url.push(if url.contains('?') { '&' } else { '?' });
        let query: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(sorted)
            .finish();
        url.push_str(&query);
        url
    }

    async fn read(res: Result<reqwest::Response, reqwest::Error>) -> Resp {
        match res {
            Ok(r) => {
                let status = r.status().as_u16();
                let headers = r.headers().clone();
                let body = r.text().await.unwrap_or_default();
                Resp {
                    status,
                    headers,
                    body,
                }
            }
            Err(e) => Resp {
                status: 0,
                headers: HeaderMap::new(),
                body: e.to_string(),
            },
        }
    }

    /// A token-endpoint request from `client`.
    pub async fn token(
        &self,
        client: &StaticClient,
        auth: ClientAuth,
        params: &[(&str, &str)],
    ) -> Resp {
        let mut form: Vec<(&str, &str)> = params.to_vec();
        let assertion = match (auth, &client.key) {
            (ClientAuth::PrivateKeyJwt | ClientAuth::PrivateKeyJwtIssuerAud, Some(key)) => {
                let aud = if auth == ClientAuth::PrivateKeyJwt {
                    self.endpoint("token_endpoint")
                } else {
                    self.issuer().to_owned()
                };
                key.assertion(&client.id, &aud).unwrap_or_default()
            }
            _ => String::new(),
        };
        let mut req = self.http.post(self.endpoint("token_endpoint"));
        match auth {
            ClientAuth::Basic => {
                let enc =
                    |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
                let cred = base64::Engine::encode(
                    &base64::engine::general_purpose::STANDARD,
                    format!("{}:{}", enc(&client.id), enc(&client.secret)),
                );
                req = req.header("authorization", format!("Basic {cred}"));
            }
            ClientAuth::Post => {
                form.push(("client_id", &client.id));
                form.push(("client_secret", &client.secret));
            }
            ClientAuth::PrivateKeyJwt | ClientAuth::PrivateKeyJwtIssuerAud => {
                form.push((
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ));
                form.push(("client_assertion", &assertion));
            }
        }
        Self::read(req.form(&form).send().await).await
    }

    /// Calls userinfo with `access_token`.
    pub async fn userinfo(&self, access_token: &str, how: UserinfoCall) -> Resp {
        let url = self.endpoint("userinfo_endpoint");
        let req = match how {
            UserinfoCall::Get => self.http.get(url).bearer_auth(access_token),
            UserinfoCall::PostHeader => self.http.post(url).bearer_auth(access_token),
            UserinfoCall::PostBody => self.http.post(url).form(&[("access_token", access_token)]),
        };
        Self::read(req.send().await).await
    }
}

/// A PKCE pair: (verifier, S256 challenge).
pub fn pkce() -> (String, String) {
    let verifier = random_alnum(64);
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
    (verifier, b64e(digest.as_ref()))
}
