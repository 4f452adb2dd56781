//! Token revocation (RFC 7009) and the revocation rules other endpoints
//! share: revoking a grant reaches its refresh tokens and its access tokens.
//!
//! Access tokens are self-contained JWTs, so a revocation is a small record
//! (the token's `jti`, or its grant) kept until the token would have expired
//! anyway; introspection and userinfo consult it.

use crate::access_token;
use crate::crypto::secret::SecretHash;
use crate::endpoint::Endpoint;
use crate::error::{ErrorCode, OAuthError};
use crate::ids::GrantId;
use crate::provider::Provider;
use crate::store::{ClientRecord, Store};
use crate::tenant::TenantContext;
use crate::wire::{self, Params};
use bytes::Bytes;
use http::{Request, Response, StatusCode};

/// RFC 7009 §2.1: a client may only revoke tokens issued to it.
const NOT_YOURS: OAuthError = OAuthError::new(
    ErrorCode::InvalidRequest,
    "the token was not issued to this client",
);

/// Which kind of token `token_type_hint` suggests (RFC 7009 §2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokenTypeHint {
    AccessToken,
    RefreshToken,
}

impl TokenTypeHint {
    /// The hint is only an optimisation: unknown values are ignored and both
    /// kinds are always tried (RFC 7009 §2.1, RFC 7662 §2.1).
    pub(crate) fn parse(params: &Params) -> Result<Option<Self>, OAuthError> {
        Ok(match params.single("token_type_hint")? {
            Some("access_token") => Some(Self::AccessToken),
            Some("refresh_token") => Some(Self::RefreshToken),
            _ => None,
        })
    }
}

impl<S: Store> Provider<S> {
    /// Revokes a grant: its refresh tokens, and its access tokens until the
    /// last of them would have expired.
    pub(crate) async fn revoke_grant(
        &self,
        tenant: &TenantContext,
        grant: &GrantId,
    ) -> Result<(), OAuthError> {
        let keep_until = self.clock.now() + self.config.lifetimes.access_token;
        self.store
            .revoke_grant(&tenant.record.id, grant, keep_until)
            .await?;
        Ok(())
    }

    /// `POST {issuer}/revoke`.
    pub(crate) async fn revoke(
        &self,
        tenant: &TenantContext,
        req: Request<Bytes>,
    ) -> Response<Bytes> {
        let params = Params::parse(req.body());
        let endpoint = tenant.url(Endpoint::Revoke);
        let result = async {
            let client = self
                .authenticate_client(tenant, &req, &params, &endpoint)
                .await?;
            let token = params.required("token")?;
            let hint = TokenTypeHint::parse(&params)?;
            if hint == Some(TokenTypeHint::AccessToken) {
                if !self.revoke_access_token(tenant, &client, token).await? {
                    self.revoke_refresh_token(tenant, &client, token).await?;
                }
            } else if !self.revoke_refresh_token(tenant, &client, token).await? {
                self.revoke_access_token(tenant, &client, token).await?;
            }
            Ok::<_, OAuthError>(())
        }
        .await;
        match result {
            // RFC 7009 §2.2: 200 also for tokens that are unknown or already invalid.
            Ok(()) => wire::json_no_store(StatusCode::OK, b"{}".to_vec()),
            Err(e) => wire::client_error(&e),
        }
    }

    /// Revokes `token` if it is a refresh token of this tenant; `false` if it is not one.
    async fn revoke_refresh_token(
        &self,
        tenant: &TenantContext,
        client: &ClientRecord,
        token: &str,
    ) -> Result<bool, OAuthError> {
        let Some(record) = self
            .store
            .refresh_token(&tenant.record.id, &SecretHash::of(token))
            .await?
        else {
            return Ok(false);
        };
        if record.client_id != client.id {
            return Err(NOT_YOURS);
        }
        // The whole family goes, with the access tokens issued from it.
        self.revoke_grant(tenant, &record.grant_id).await?;
        Ok(true)
    }

    /// Revokes `token` if it is a live access token of this tenant; `false` if it is not one.
    async fn revoke_access_token(
        &self,
        tenant: &TenantContext,
        client: &ClientRecord,
        token: &str,
    ) -> Result<bool, OAuthError> {
        let Ok(claims) = access_token::verify(tenant, token, self.clock.now()) else {
            return Ok(false);
        };
        if claims.client_id != client.id.as_str() {
            return Err(NOT_YOURS);
        }
        self.store
            .revoke_access_token(&tenant.record.id, &claims.jti, claims.exp)
            .await?;
        Ok(true)
    }
}
