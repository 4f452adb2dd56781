//! Raw protocol calls and JWT helpers, independent of idp-core.

use super::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openidconnect::core::CoreTokenResponse;
use openidconnect::{OAuth2TokenResponse, PkceCodeChallenge, TokenResponse};
use reqwest::StatusCode;
use serde_json::Value;
use url::Url;

/// How a raw token request authenticates the client.
#[derive(Clone, Debug)]
pub enum ClientAuth<'a> {
    /// `client_secret_basic`.
    Basic(&'a str, &'a str),
    /// `client_secret_post`.
    Post(&'a str, &'a str),
    /// `none`: `client_id` in the body.
    Public(&'a str),
    /// `private_key_jwt`: a signed assertion in the body.
    Assertion(&'a str),
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
        ClientAuth::Assertion(jwt) => {
            form.push((
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ));
            form.push(("client_assertion", jwt));
        }
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

/// A client's own P-256 key pair, for `private_key_jwt`.
pub struct ClientKey {
    pair: aws_lc_rs::signature::EcdsaKeyPair,
    /// Key id in the JWK.
    pub kid: String,
}

impl ClientKey {
    /// A fresh key.
    pub fn generate(kid: &str) -> Self {
        let pair = aws_lc_rs::signature::EcdsaKeyPair::generate(
            &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        )
        .expect("P-256 key generation");
        Self {
            pair,
            kid: kid.to_owned(),
        }
    }

    /// The public key as a JWK Set document.
    pub fn jwks(&self) -> String {
        use aws_lc_rs::signature::KeyPair;
        let point = self.pair.public_key().as_ref();
        serde_json::json!({"keys": [{
            "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": self.kid,
            "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
            "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
        }]})
        .to_string()
    }

    /// Signs `claims` as an ES256 JWT.
    pub fn sign(&self, claims: &Value) -> String {
        let header = serde_json::json!({"alg": "ES256", "typ": "JWT", "kid": self.kid});
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let sig = self
            .pair
            .sign(&rng, input.as_bytes())
            .expect("ES256 signing");
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()))
    }

    /// A client assertion (RFC 7523 §3) from `client_id` for `aud`, valid for `ttl` seconds.
    pub fn assertion(&self, client_id: &str, aud: &str, ttl: i64) -> String {
        let jti = URL_SAFE_NO_PAD.encode(
            aws_lc_rs::rand::generate::<[u8; 16]>(&aws_lc_rs::rand::SystemRandom::new())
                .expect("random")
                .expose(),
        );
        self.sign(&serde_json::json!({
            "iss": client_id, "sub": client_id, "aud": aud, "jti": jti,
            "iat": now(), "exp": now() + ttl,
        }))
    }
}

/// POSTs a form to an endpoint where the client authenticates (revocation,
/// introspection, device authorization): same authentication as [`token_request`].
pub async fn client_post(endpoint: &str, auth: ClientAuth<'_>, params: &[(&str, &str)]) -> Resp {
    token_request(endpoint, auth, params).await
}

/// `POST introspection_endpoint` for `token`, authenticated as `client`.
pub async fn introspect(endpoints: &Endpoints, client: &RegisteredClient, token: &str) -> Value {
    let res = client_post(
        &endpoints.introspection,
        ClientAuth::of(client),
        &[("token", token)],
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "introspection: {}", res.body);
    assert_no_store(&res);
    res.json()
}

/// An unsigned request object (`alg: none`, OIDC Core §6.1) carrying `claims`.
pub fn unsigned_request_object(claims: &Value) -> String {
    format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}
