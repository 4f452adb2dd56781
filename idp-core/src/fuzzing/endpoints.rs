//! The parsers that need a provider, run through
//! [`Provider::handle`](crate::Provider::handle) on a tenant with one
//! client: the authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1)
//! with its PKCE challenge, redirect-URI match and `claims`, request objects
//! (OIDC Core §6) and registration metadata (RFC 7591 §2). The store is the
//! caller's, so the core stays free of SQL.
//!
//! Whatever the input, the answer is never a server error, and a browser is
//! only ever sent to the registered redirect URI or to the tenant's own
//! interaction page (RFC 6749 §4.1.2.1, RFC 9700 §4.1).

use crate::admin::{AdminError, NewTenant};
use crate::client::uri_policy::UriPolicy;
use crate::crypto::envelope::MasterKey;
use crate::endpoint::Endpoint;
use crate::jose;
use crate::jwks::{SigningAlg, SigningKey};
use crate::store::{GrantType, Store};
use crate::{NewClient, Provider, ProviderConfig};
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use serde_json::Value;

/// The provider's base URL.
pub const BASE: &str = "http://idp.fuzz";
/// The tenant's slug (dynamic registration open).
pub const TENANT: &str = "fuzz";
/// The client's only redirect URI.
pub const REDIRECT: &str = "https://rp.fuzz/cb";
/// Replaced by the client's id in fuzz inputs (client ids are random, so
/// a committed corpus cannot hold the real one).
pub const CLIENT_PLACEHOLDER: &[u8] = b"$CLIENT";

/// A provider with tenant [`TENANT`] and one confidential client whose
/// redirect URI is [`REDIRECT`] and whose public key verifies request
/// objects signed by [`Endpoints::sign_request_object`].
pub struct Endpoints<S: Store> {
    provider: Provider<S>,
    client_id: String,
    client_key: SigningKey,
}

impl<S: Store> Endpoints<S> {
    /// Creates the tenant and the client in `store`, which should be empty.
    pub async fn new(store: S) -> Result<Self, AdminError> {
        let key = MasterKey::from_hex(&"42".repeat(32))
            .map_err(|e| AdminError::Internal(e.to_string()))?;
        let provider = Provider::new(store, ProviderConfig::new(BASE, key));
        let admin = provider.admin();
        let ctx = crate::audit::AuditContext::cli("fuzz");
        admin
            .create_tenant(
                &ctx,
                NewTenant {
                    dynamic_registration: true,
                    ..NewTenant::new(TENANT, "Fuzz")
                },
            )
            .await?;
        let (client_key, _) = SigningKey::generate(SigningAlg::Es256)
            .map_err(|e| AdminError::Internal(e.to_string()))?;
        let jwks = serde_json::json!({ "keys": [client_key.public_jwk()] }).to_string();
        let created = admin
            .create_client(
                &ctx,
                TENANT,
                NewClient {
                    grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
                    jwks: Some(jwks),
                    ..NewClient::new("Fuzz client", vec![REDIRECT.into()])
                },
            )
            .await?;
        Ok(Self {
            provider,
            client_id: created.client.id.as_str().to_owned(),
            client_key,
        })
    }

    /// The client's id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The provider, for requests of the caller's own.
    pub fn provider(&self) -> &Provider<S> {
        &self.provider
    }

    /// The tenant's issuer.
    pub fn issuer(&self) -> String {
        format!("{BASE}/t/{TENANT}")
    }

    /// `claims` as a request object signed with the client's key.
    pub fn sign_request_object(&self, claims: &Value) -> Option<String> {
        jose::sign(&self.client_key, "oauth-authz-req+jwt", claims).ok()
    }

    fn with_client_id(&self, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(data.len() + 32);
        let mut rest = data;
        while let Some(i) = rest
            .windows(CLIENT_PLACEHOLDER.len())
            .position(|w| w == CLIENT_PLACEHOLDER)
        {
            out.extend_from_slice(&rest[..i]);
            out.extend_from_slice(self.client_id.as_bytes());
            rest = &rest[i + CLIENT_PLACEHOLDER.len()..];
        }
        out.extend_from_slice(rest);
        out
    }

    /// An authorization request: `data` (with [`CLIENT_PLACEHOLDER`]
    /// replaced) as a POST body, and as a GET query when it is a valid one.
    pub async fn authorize(&self, data: &[u8]) {
        let data = self.with_client_id(data);
        let url = format!("{}{}", self.issuer(), Endpoint::Authorize.path());
        let post = Request::post(&url)
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(Bytes::from(data.clone()));
        if let Ok(req) = post {
            self.assert_safe(self.provider.handle(req).await);
        }
        let query = String::from_utf8_lossy(&data);
        if let Ok(req) = Request::get(format!("{url}?{query}")).body(Bytes::new()) {
            self.assert_safe(self.provider.handle(req).await);
        }
    }

    /// A request object (`request`): `data` as the JWT, then, when `data` is
    /// a JSON object, that object signed with the client's key and unsigned
    /// (`alg: none`), so the claims behind a valid signature are fuzzed too.
    pub async fn request_object(&self, data: &[u8]) {
        let mut objects = vec![String::from_utf8_lossy(data).into_owned()];
        let claims = String::from_utf8_lossy(&self.with_client_id(data)).into_owned();
        if let Ok(v @ Value::Object(_)) = serde_json::from_str::<Value>(&claims) {
            objects.extend(self.sign_request_object(&v));
            objects.push(format!(
                "{}.{}.",
                jose::b64(br#"{"alg":"none"}"#),
                jose::b64(claims.as_bytes())
            ));
        }
        for jwt in objects {
            let query = form_urlencoded::Serializer::new(String::new())
                .append_pair("client_id", &self.client_id)
                .append_pair("redirect_uri", REDIRECT)
                .append_pair("response_type", "code")
                .append_pair("scope", "openid")
                .append_pair("request", &jwt)
                .finish();
            self.authorize(query.as_bytes()).await;
        }
    }

    /// A dynamic registration request (RFC 7591 §3.1) with `data` as the
    /// body: created (201) or refused with a client error, and a created
    /// client's redirect URIs are all valid.
    pub async fn register(&self, data: &[u8]) {
        let req = Request::post(format!("{}{}", self.issuer(), Endpoint::Register.path()))
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(Bytes::copy_from_slice(data));
        let Ok(req) = req else { return };
        let res = self.provider.handle(req).await;
        let status = res.status();
        assert!(
            status == StatusCode::CREATED || status.is_client_error(),
            "registration answered {status}"
        );
        if status == StatusCode::CREATED {
            let doc: Value = serde_json::from_slice(res.body()).unwrap_or_default();
            assert!(doc["client_id"].is_string(), "201 without a client_id");
            for uri in doc["redirect_uris"].as_array().into_iter().flatten() {
                let uri = uri.as_str().unwrap_or_default();
                assert!(
                    UriPolicy::default()
                        .redirect_uri("redirect_uris", uri, true)
                        .is_ok(),
                    "registered {uri}"
                );
            }
        }
    }

    /// No server error; redirects only to the registered redirect URI or to
    /// the tenant's interaction page; a form_post page only posts there.
    fn assert_safe(&self, res: Response<Bytes>) {
        let status = res.status();
        assert!(!status.is_server_error(), "authorize answered {status}");
        if let Some(location) = res.headers().get(http::header::LOCATION) {
            let location = location.to_str().unwrap_or_default();
            let interaction = format!("{}/interaction/", self.issuer());
            assert!(
                location.starts_with(&format!("{REDIRECT}?")) || location.starts_with(&interaction),
                "redirected to {location}"
            );
        }
        let body = String::from_utf8_lossy(res.body());
        if body.contains("<form method=\"post\" action=") {
            assert!(
                body.contains(&format!("<form method=\"post\" action=\"{REDIRECT}\"")),
                "form_post to another URI"
            );
        }
    }
}
