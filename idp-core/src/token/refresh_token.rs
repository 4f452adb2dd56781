//! The refresh_token grant (RFC 6749 §6) with rotation: every use returns a
//! new refresh token and consumes the old one; presenting a consumed token
//! revokes the whole grant, since either the client or an attacker holds a
//! stolen copy (RFC 9700 §4.14.2).

use super::issue::Grant;
use crate::crypto::secret::SecretHash;
use crate::error::{ErrorCode, OAuthError};
use crate::provider::Provider;
use crate::resource;
use crate::scope::Scopes;
use crate::store::{ClientRecord, Rotation, Store};
use crate::tenant::TenantContext;
use crate::wire::Params;

const INVALID_TOKEN: OAuthError =
    OAuthError::invalid_grant("refresh token is invalid, expired or revoked");

impl<S: Store> Provider<S> {
    pub(super) async fn exchange_refresh_token(
        &self,
        tenant: &TenantContext,
        client: &ClientRecord,
        params: &Params,
    ) -> Result<Vec<u8>, OAuthError> {
        let presented = SecretHash::of(params.required("refresh_token")?);
        let tenant_id = &tenant.record.id;
        let now = self.clock.now();
        let record = self
            .store
            .refresh_token(tenant_id, &presented)
            .await?
            .ok_or(INVALID_TOKEN)?;
        // A token of another client is refused without touching the grant.
        if record.client_id != client.id || record.revoked || record.expires_at <= now {
            return Err(INVALID_TOKEN);
        }
        if record.consumed_at.is_some() {
            self.revoke_grant(tenant, &record.grant_id).await?;
            return Err(OAuthError::invalid_grant(
                "refresh token was already used; the grant is revoked",
            ));
        }
        let granted = Scopes::from_stored(&record.scope);
        // RFC 6749 §6: a narrower scope may be asked for, never a wider one.
        let scopes = match params.single("scope")? {
            Some(s) => {
                let asked = Scopes::from_stored(s);
                if !asked.is_subset_of(&granted) {
                    return Err(OAuthError::new(
                        ErrorCode::InvalidScope,
                        "scope exceeds the granted scope",
                    ));
                }
                asked
            }
            None => granted,
        };
        // RFC 8707 §2.2: a resource granted originally, never another.
        let audience = resource::audience(client, record.resource.as_deref(), params)?;
        let user = self
            .store
            .user(tenant_id, &record.user_id)
            .await?
            // Disabling revokes the user's grants; this also covers a
            // refresh racing the disable.
            .filter(|u| !u.disabled)
            .ok_or(INVALID_TOKEN)?;
        let claims = crate::claims::ClaimsRequest::from_json(record.claims.as_deref());
        let roles = crate::roles_claim::granted(&*self.store, tenant_id, &user.id, &scopes).await?;
        let grant = Grant {
            client,
            user: &user,
            grant_id: &record.grant_id,
            session_id: &record.session_id,
            scopes: &scopes,
            auth_time: record.auth_time,
            amr: &record.amr,
            nonce: None,
            claims: claims.as_ref(),
            resource: record.resource.as_deref(),
            audience,
            roles,
        };
        let new = self.new_refresh_token(&grant, &record.scope, now);
        match self
            .store
            .rotate_refresh_token(tenant_id, &presented, &new.record, now)
            .await?
        {
            Rotation::Rotated => self.token_response(tenant, &grant, Some(&new.token), now),
            Rotation::Reused => {
                // Lost a race with another use of the same token: that is reuse too.
                self.revoke_grant(tenant, &record.grant_id).await?;
                Err(OAuthError::invalid_grant(
                    "refresh token was already used; the grant is revoked",
                ))
            }
        }
    }
}
