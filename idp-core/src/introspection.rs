//! Token introspection (RFC 7662): a resource server, authenticated as a
//! client of the tenant, asks whether a token is active and what it carries.
//!
//! Access tokens are answered for any authenticated confidential client (a
//! resource server is usually a client of its own). Refresh tokens only for
//! the client they were issued to (RFC 7662 §4: limit what is disclosed).
//! Anything revoked, expired, unknown or of another tenant is
//! `{"active":false}` and nothing else (§2.2).

use crate::crypto::secret::SecretHash;
use crate::endpoint::Endpoint;
use crate::error::{ErrorCode, OAuthError};
use crate::provider::Provider;
use crate::revocation::TokenTypeHint;
use crate::store::{ClientRecord, Store, TokenEndpointAuthMethod};
use crate::tenant::TenantContext;
use crate::wire::{self, Params};
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use serde_json::{Value, json};

impl<S: Store> Provider<S> {
    /// `POST {issuer}/introspect`.
    pub(crate) async fn introspect(
        &self,
        tenant: &TenantContext,
        req: Request<Bytes>,
    ) -> Response<Bytes> {
        let params = Params::parse(req.body());
        let endpoint = tenant.url(Endpoint::Introspect);
        let result = async {
            let client = self
                .authenticate_client(tenant, &req, &params, &endpoint)
                .await?;
            if client.auth_method == TokenEndpointAuthMethod::None {
                return Err(OAuthError::new(
                    ErrorCode::InvalidClient,
                    "introspection requires an authenticated (confidential) client",
                ));
            }
            let token = params.required("token")?;
            let answer = if TokenTypeHint::parse(&params)? == Some(TokenTypeHint::RefreshToken) {
                match self
                    .introspect_refresh_token(tenant, &client, token)
                    .await?
                {
                    Some(v) => Some(v),
                    None => self.introspect_access_token(tenant, token).await?,
                }
            } else {
                match self.introspect_access_token(tenant, token).await? {
                    Some(v) => Some(v),
                    None => {
                        self.introspect_refresh_token(tenant, &client, token)
                            .await?
                    }
                }
            };
            Ok(answer.unwrap_or_else(|| json!({ "active": false })))
        }
        .await;
        match result {
            Ok(v) => {
                wire::json_no_store(StatusCode::OK, serde_json::to_vec(&v).unwrap_or_default())
            }
            Err(e) => wire::client_error(&e),
        }
    }

    async fn introspect_access_token(
        &self,
        tenant: &TenantContext,
        token: &str,
    ) -> Result<Option<Value>, OAuthError> {
        match self.active_access_token(tenant, token).await {
            Ok(c) => {
                let mut v = json!({
                    "active": true,
                    "token_type": "Bearer",
                    "scope": c.scope,
                    "client_id": c.client_id,
                    "sub": c.sub,
                    "aud": c.aud,
                    "iss": c.iss,
                    "exp": c.exp,
                    "iat": c.iat,
                    "nbf": c.iat,
                    "jti": c.jti,
                });
                // What the token carries (crate::roles_claim), as RFC 7662
                // §2.2 allows: no store read.
                if let (Some(roles), Some(m)) = (c.roles, v.as_object_mut()) {
                    m.insert(crate::roles_claim::CLAIM.into(), Value::from(roles));
                }
                Ok(Some(v))
            }
            Err(e) if e.code.is_server_side() => Err(e),
            Err(_) => Ok(None),
        }
    }

    async fn introspect_refresh_token(
        &self,
        tenant: &TenantContext,
        client: &ClientRecord,
        token: &str,
    ) -> Result<Option<Value>, OAuthError> {
        let Some(r) = self
            .store
            .refresh_token(&tenant.record.id, &SecretHash::of(token))
            .await?
        else {
            return Ok(None);
        };
        let active = r.client_id == client.id
            && !r.revoked
            && r.consumed_at.is_none()
            && r.expires_at > self.clock.now();
        if !active {
            // Known, but not active for this caller: the answer is final.
            return Ok(Some(json!({ "active": false })));
        }
        Ok(Some(json!({
            "active": true,
            "token_type": "refresh_token",
            "scope": r.scope,
            "client_id": r.client_id.as_str(),
            "sub": tenant.subjects.of(client, &r.user_id),
            "aud": r.client_id.as_str(),
            "iss": tenant.issuer,
            "exp": r.expires_at,
            "iat": r.issued_at,
            "nbf": r.issued_at,
        })))
    }
}
