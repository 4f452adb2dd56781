//! The resource server against the real idp server, started in-process on
//! 127.0.0.1:0: tokens from the code flow (with a resource indicator, RFC
//! 8707) and from client credentials are accepted for this API's audience
//! with its scope; anything else gets the RFC 6750 answers.

use anyhow::{Context, anyhow, ensure};
use conformance::rp::agent::{Agent, Arrival};
use conformance::rp::target::TestUser;
use idp_core::store::GrantType;
use idp_core::{NewClient, NewUser};
use idp_server::config::Config;
use idp_server::server::RunningServer;
use reqwest::StatusCode;
use resource_server::{RunningApi, Settings, start};
use serde_json::Value;

const KEY_HEX: &str = "abababababababababababababababababababababababababababababababab";
const EMAIL: &str = "alice@acme.example";
const PASSWORD: &str = "correct horse battery staple";
const REDIRECT_URI: &str = "https://shop.example/cb";
/// This API.
const ORDERS: &str = "https://orders.example/api";
/// Another API of the same tenant.
const BILLING: &str = "https://billing.example/";

/// A running idp with tenant `acme`, a web app, two service clients and a
/// user, and the orders API in front of it.
struct World {
    _dir: tempfile::TempDir,
    idp: RunningServer,
    issuer: String,
    api: RunningApi,
    /// Web app (code flow, refresh): id and secret.
    shop: (String, String),
    /// Service client allowed `orders:read` for ORDERS and BILLING.
    batch: (String, String),
    /// Service client allowed only `orders:write`.
    writer: (String, String),
    user_id: String,
}

async fn client(
    admin: &idp_core::admin::Admin<idp_store_sqlite::SqliteStore>,
    client: NewClient,
) -> anyhow::Result<(String, String)> {
    let created = admin
        .create_client(&idp_core::AuditContext::cli("test"), "acme", client)
        .await?;
    let secret = created.secret.ok_or_else(|| anyhow!("no secret"))?;
    Ok((created.client.id.as_str().to_owned(), secret))
}

impl World {
    async fn start() -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let database_url = format!("sqlite:{}", dir.path().join("idp.db").display());
        let config = Config::for_tests(database_url, KEY_HEX.to_owned());
        let provider =
            idp_server::cli::provider_for(&config).map_err(|e| anyhow!("provider: {e:?}"))?;
        let admin = provider.admin();
        admin
            .create_tenant(
                &idp_core::AuditContext::cli("test"),
                idp_core::admin::NewTenant::new("acme", "Acme"),
            )
            .await?;
        let audiences = vec![ORDERS.to_owned(), BILLING.to_owned()];
        let shop = client(
            &admin,
            NewClient {
                grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
                allowed_scopes: vec!["orders:read".to_owned()],
                audiences: audiences.clone(),
                ..NewClient::new("Shop", vec![REDIRECT_URI.to_owned()])
            },
        )
        .await?;
        let service = |name: &str, scope: &str| NewClient {
            grant_types: vec![GrantType::ClientCredentials],
            allowed_scopes: vec![scope.to_owned()],
            audiences: audiences.clone(),
            ..NewClient::new(name, vec![])
        };
        let batch = client(&admin, service("Batch", "orders:read")).await?;
        let writer = client(&admin, service("Writer", "orders:write")).await?;
        let user = admin
            .create_user(
                &idp_core::AuditContext::cli("test"),
                "acme",
                NewUser {
                    email: EMAIL.to_owned(),
                    name: Some("Alice".to_owned()),
                    password: Some(PASSWORD.to_owned()),
                    email_verified: true,
                },
            )
            .await?;
        drop(admin);
        drop(provider);
        let idp = idp_server::server::start(config)
            .await
            .map_err(|e| anyhow!("server: {e}"))?;
        let issuer = format!("{}/t/acme", idp.base_url);
        let api = start(Settings {
            issuer: issuer.clone(),
            audience: ORDERS.to_owned(),
            scope: "orders:read".to_owned(),
            listen: "127.0.0.1:0".parse()?,
        })
        .await?;
        Ok(Self {
            _dir: dir,
            idp,
            issuer,
            api,
            shop,
            batch,
            writer,
            user_id: user.id.as_str().to_owned(),
        })
    }

    async fn token(&self, who: &(String, String), form: &[(&str, &str)]) -> anyhow::Result<Value> {
        let res = reqwest::Client::new()
            .post(format!("{}/token", self.issuer))
            .basic_auth(&who.0, Some(&who.1))
            .form(form)
            .send()
            .await?;
        let status = res.status();
        let body: Value = res.json().await?;
        ensure!(status == StatusCode::OK, "token: {status} {body}");
        Ok(body)
    }

    async fn client_credentials(
        &self,
        who: &(String, String),
        resource: &str,
    ) -> anyhow::Result<String> {
        let body = self
            .token(
                who,
                &[("grant_type", "client_credentials"), ("resource", resource)],
            )
            .await?;
        access_token(&body)
    }

    /// The user signs in to the shop, which asks for the orders API.
    async fn code_flow(&self, resource: &str) -> anyhow::Result<Value> {
        let user = TestUser {
            username: EMAIL.to_owned(),
            password: PASSWORD.to_owned(),
        };
        let agent = Agent::new(REDIRECT_URI, Some(user), None).map_err(|e| anyhow!(e))?;
        let mut url = url::Url::parse(&format!("{}/authorize", self.issuer))?;
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.shop.0)
            .append_pair("redirect_uri", REDIRECT_URI)
            .append_pair("scope", "openid orders:read offline_access")
            .append_pair("state", "st")
            .append_pair("resource", resource)
            .append_pair(
                "code_challenge",
                "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            )
            .append_pair("code_challenge_method", "S256");
        let code = match agent.navigate(url.as_str()).await {
            Arrival::Callback(c) => c.get("code").map(str::to_owned).context("no code")?,
            other => return Err(anyhow!("no callback: {other:?}")),
        };
        self.token(
            &self.shop,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT_URI),
                ("code_verifier", verifier),
            ],
        )
        .await
    }

    /// `GET /orders` with `token`: status, `WWW-Authenticate`, body.
    async fn orders(&self, token: Option<&str>) -> anyhow::Result<(StatusCode, String, Value)> {
        let mut req = reqwest::Client::new().get(format!("{}/orders", self.api.url));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await?;
        let status = res.status();
        let challenge = res
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        Ok((status, challenge, res.json().await?))
    }
}

fn access_token(body: &Value) -> anyhow::Result<String> {
    body["access_token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("no access_token in {body}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_token_for_this_api_is_accepted_and_refreshed() -> anyhow::Result<()> {
    let w = World::start().await?;
    let tokens = w.code_flow(ORDERS).await?;
    let (status, _, body) = w.orders(Some(&access_token(&tokens)?)).await?;
    ensure!(status == StatusCode::OK, "{status} {body}");
    ensure!(body["sub"] == w.user_id.as_str(), "{body}");
    ensure!(body["client_id"] == w.shop.0.as_str(), "{body}");
    // A refreshed token is for the same API.
    let rt = tokens["refresh_token"].as_str().context("refresh_token")?;
    let refreshed = w
        .token(
            &w.shop,
            &[("grant_type", "refresh_token"), ("refresh_token", rt)],
        )
        .await?;
    let (status, _, body) = w.orders(Some(&access_token(&refreshed)?)).await?;
    ensure!(status == StatusCode::OK, "{status} {body}");
    w.api.shutdown().await;
    w.idp.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_for_another_api_is_invalid_token() -> anyhow::Result<()> {
    let w = World::start().await?;
    for token in [
        w.code_flow(BILLING).await.and_then(|t| access_token(&t))?,
        w.client_credentials(&w.batch, BILLING).await?,
    ] {
        let (status, challenge, body) = w.orders(Some(&token)).await?;
        ensure!(status == StatusCode::UNAUTHORIZED, "{status} {body}");
        ensure!(challenge.starts_with("Bearer realm="), "{challenge}");
        ensure!(challenge.contains("error=\"invalid_token\""), "{challenge}");
        ensure!(
            body["error_description"] == "the token is for another audience",
            "{body}"
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_token_needs_the_scope() -> anyhow::Result<()> {
    let w = World::start().await?;
    let token = w.client_credentials(&w.batch, ORDERS).await?;
    let (status, _, body) = w.orders(Some(&token)).await?;
    ensure!(status == StatusCode::OK, "{status} {body}");
    ensure!(body["sub"] == w.batch.0.as_str(), "{body}");

    let token = w.client_credentials(&w.writer, ORDERS).await?;
    let (status, challenge, body) = w.orders(Some(&token)).await?;
    ensure!(status == StatusCode::FORBIDDEN, "{status} {body}");
    ensure!(
        challenge.contains("error=\"insufficient_scope\"")
            && challenge.contains("scope=\"orders:read\""),
        "{challenge}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_token_garbage_and_id_tokens_are_refused() -> anyhow::Result<()> {
    let w = World::start().await?;
    // RFC 6750 §3: no credentials, a challenge without an error code.
    let (status, challenge, _) = w.orders(None).await?;
    ensure!(status == StatusCode::UNAUTHORIZED, "{status}");
    ensure!(
        challenge.starts_with("Bearer realm=") && !challenge.contains("error="),
        "{challenge}"
    );
    let (status, challenge, _) = w.orders(Some("not.a.token")).await?;
    ensure!(status == StatusCode::UNAUTHORIZED, "{status}");
    ensure!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    // An ID token is signed by the same keys but is not an access token.
    let tokens = w.code_flow(ORDERS).await?;
    let id_token = tokens["id_token"].as_str().context("id_token")?;
    let (status, _, body) = w.orders(Some(id_token)).await?;
    ensure!(status == StatusCode::UNAUTHORIZED, "{status} {body}");
    ensure!(
        body["error_description"] == "not an access token (typ is not at+jwt)",
        "{body}"
    );
    // A tampered access token.
    let token = access_token(&tokens)?;
    let mut parts: Vec<&str> = token.split('.').collect();
    let forged_payload = {
        use base64::Engine;
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut claims: Value = serde_json::from_slice(&engine.decode(parts[1])?)?;
        claims["sub"] = Value::from("mallory");
        engine.encode(serde_json::to_vec(&claims)?)
    };
    parts[1] = &forged_payload;
    let (status, _, body) = w.orders(Some(&parts.join("."))).await?;
    ensure!(status == StatusCode::UNAUTHORIZED, "{status} {body}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_refuses_to_start_on_a_wrong_issuer() -> anyhow::Result<()> {
    let w = World::start().await?;
    let result = start(Settings {
        issuer: format!("{}/t/other", w.idp.base_url),
        audience: ORDERS.to_owned(),
        scope: "orders:read".to_owned(),
        listen: "127.0.0.1:0".parse()?,
    })
    .await;
    ensure!(result.is_err(), "started against an unknown tenant");
    drop(w.issuer);
    Ok(())
}
