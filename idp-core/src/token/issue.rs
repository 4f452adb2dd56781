//! Minting the token response (RFC 6749 §5.1, OIDC Core §3.1.3.3): an access
//! token, an ID token when `openid` was granted, and a refresh token when
//! `offline_access` was granted.

use crate::access_token::{self, AccessTokenClaims};
use crate::claims::ClaimsRequest;
use crate::clock::UnixTime;
use crate::crypto::{random, secret::SecretHash};
use crate::error::OAuthError;
use crate::id_token::{self, IdTokenInput};
use crate::ids::{GrantId, SessionId};
use crate::provider::Provider;
use crate::scope::Scopes;
use crate::store::{ClientRecord, GrantType, RefreshTokenRecord, Store, UserRecord};
use crate::tenant::TenantContext;
use serde::Serialize;

#[derive(Serialize)]
pub(super) struct TokenResponse<'a> {
    pub access_token: &'a str,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub scope: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<&'a str>,
}

/// The grant being served.
pub(super) struct Grant<'a> {
    pub client: &'a ClientRecord,
    pub user: &'a UserRecord,
    pub grant_id: &'a GrantId,
    pub session_id: &'a SessionId,
    /// Scopes for the access token (may be narrower than the grant's).
    pub scopes: &'a Scopes,
    pub auth_time: UnixTime,
    /// How the user authenticated (the session's stored `amr`).
    pub amr: &'a str,
    pub nonce: Option<&'a str>,
    /// The `claims` request of the authorization.
    pub claims: Option<&'a ClaimsRequest>,
    /// The resources of the grant (RFC 8707), kept with its refresh tokens.
    pub resource: Option<&'a str>,
    /// The `aud` of this access token (`crate::resource::audience`).
    pub audience: String,
    /// The `roles` claim, read by [`crate::roles_claim::granted`] when the
    /// scope is granted.
    pub roles: Option<Vec<String>>,
}

/// A refresh token to hand out with the response.
pub(super) struct NewRefreshToken {
    pub token: String,
    pub record: RefreshTokenRecord,
}

impl<S: Store> Provider<S> {
    /// A new refresh token of the grant, carrying the grant's full scope
    /// (RFC 6749 §6: identical to the one it replaces).
    pub(super) fn new_refresh_token(
        &self,
        g: &Grant<'_>,
        grant_scope: &str,
        now: UnixTime,
    ) -> NewRefreshToken {
        let token = random::secret();
        let record = RefreshTokenRecord {
            token_hash: SecretHash::of(&token),
            grant_id: g.grant_id.clone(),
            client_id: g.client.id.clone(),
            user_id: g.user.id.clone(),
            session_id: g.session_id.clone(),
            scope: grant_scope.to_owned(),
            claims: g.claims.map(ClaimsRequest::to_json),
            auth_time: g.auth_time,
            amr: g.amr.to_owned(),
            issued_at: now,
            expires_at: now + self.config.lifetimes.refresh_token,
            consumed_at: None,
            revoked: false,
            resource: g.resource.map(str::to_owned),
        };
        NewRefreshToken { token, record }
    }

    /// The response that starts a grant (code or device redemption): with a
    /// first refresh token when `offline_access` was granted to a client
    /// allowed the refresh grant.
    pub(super) async fn first_token_response(
        &self,
        tenant: &TenantContext,
        g: &Grant<'_>,
        grant_scope: &str,
        now: UnixTime,
    ) -> Result<Vec<u8>, OAuthError> {
        let refresh = if g.scopes.contains("offline_access")
            && g.client.grant_types.contains(&GrantType::RefreshToken)
        {
            let new = self.new_refresh_token(g, grant_scope, now);
            self.store
                .create_refresh_token(&tenant.record.id, &new.record)
                .await?;
            Some(new.token)
        } else {
            None
        };
        self.token_response(tenant, g, refresh.as_deref(), now)
    }

    /// Signs the tokens and serializes the response body.
    pub(super) fn token_response(
        &self,
        tenant: &TenantContext,
        g: &Grant<'_>,
        refresh: Option<&str>,
        now: UnixTime,
    ) -> Result<Vec<u8>, OAuthError> {
        let lifetimes = &self.config.lifetimes;
        let scope = g.scopes.to_param();
        // OIDC Core §8: the subject this client sees; a pairwise one comes
        // with the user sealed for userinfo.
        let sub = tenant.subjects.of(g.client, &g.user.id);
        let usr = match &sub {
            std::borrow::Cow::Owned(_) => Some(
                tenant
                    .subjects
                    .seal_user(&g.user.id)
                    .ok_or_else(|| OAuthError::server("cannot seal the user id"))?,
            ),
            std::borrow::Cow::Borrowed(_) => None,
        };
        let access_token = access_token::sign(
            tenant,
            &AccessTokenClaims {
                iss: tenant.issuer.clone(),
                sub: sub.clone().into_owned(),
                aud: g.audience.clone(),
                client_id: g.client.id.as_str().to_owned(),
                scope: scope.clone(),
                exp: now + lifetimes.access_token,
                iat: now,
                jti: access_token::new_jti(),
                auth_time: Some(g.auth_time),
                sid: Some(g.session_id.as_str().to_owned()),
                gid: Some(g.grant_id.as_str().to_owned()),
                userinfo_claims: g.claims.map(|c| c.userinfo.clone()).unwrap_or_default(),
                usr,
                roles: g.roles.clone(),
            },
        )?;
        let id_token = if g.scopes.contains("openid") {
            Some(id_token::sign(
                tenant,
                IdTokenInput {
                    sub: &sub,
                    user: g.user,
                    client: g.client,
                    auth_time: g.auth_time,
                    amr: g.amr,
                    nonce: g.nonce,
                    sid: g.session_id.as_str(),
                    access_token: &access_token,
                    now,
                    lifetime: lifetimes.id_token,
                    requested: g.claims.map_or(&[][..], |c| c.id_token.as_slice()),
                    roles: g.roles.as_deref(),
                },
            )?)
        } else {
            None
        };
        serde_json::to_vec(&TokenResponse {
            access_token: &access_token,
            token_type: "Bearer",
            expires_in: lifetimes.access_token,
            scope: &scope,
            id_token: id_token.as_deref(),
            refresh_token: refresh,
        })
        .map_err(OAuthError::server)
    }
}
