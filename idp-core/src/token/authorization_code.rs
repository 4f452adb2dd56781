//! The authorization_code grant (RFC 6749 §4.1.3, RFC 7636 §4.6).

use super::issue::Grant;
use crate::authorize::pkce;
use crate::crypto::secret::SecretHash;
use crate::error::OAuthError;
use crate::provider::Provider;
use crate::resource;
use crate::scope::Scopes;
use crate::store::{ClientRecord, Store, TakenCode};
use crate::tenant::TenantContext;
use crate::wire::Params;

const INVALID_CODE: OAuthError =
    OAuthError::invalid_grant("authorization code is invalid, expired or already used");

impl<S: Store> Provider<S> {
    /// Exchanges a code: single use (a second use revokes what the first
    /// produced), issued to this client, same redirect URI, PKCE verified.
    pub(super) async fn exchange_code(
        &self,
        tenant: &TenantContext,
        client: &ClientRecord,
        params: &Params,
    ) -> Result<Vec<u8>, OAuthError> {
        let code = params.required("code")?;
        let redirect_uri = params.single("redirect_uri")?;
        let verifier = params.single("code_verifier")?;
        let tenant_id = &tenant.record.id;
        let now = self.clock.now();
        let record = match self
            .store
            .take_code(tenant_id, &SecretHash::of(code), now)
            .await?
        {
            TakenCode::Fresh(r) => r,
            TakenCode::Unknown => return Err(INVALID_CODE),
            TakenCode::AlreadyUsed(r) => {
                // RFC 6749 §4.1.2: revoke the tokens issued from this code.
                self.revoke_grant(tenant, &r.grant_id).await?;
                return Err(INVALID_CODE);
            }
        };
        if record.expires_at <= now || record.client_id != client.id {
            return Err(INVALID_CODE);
        }
        // RFC 6749 §4.1.3: the redirect_uri of the authorization request,
        // identical (for a loopback redirect, with the port used there).
        match redirect_uri {
            None => return Err(OAuthError::invalid_request("redirect_uri is required")),
            Some(uri) if uri != record.redirect_uri => {
                return Err(OAuthError::invalid_grant(
                    "redirect_uri does not match the authorization request",
                ));
            }
            Some(_) => {}
        }
        match (&record.code_challenge, verifier) {
            (Some(_), None) => return Err(OAuthError::invalid_grant("code_verifier is required")),
            (Some(challenge), Some(v)) => {
                if !pkce::is_valid_verifier(v) || !pkce::verifier_matches(v, challenge) {
                    return Err(OAuthError::invalid_grant(
                        "code_verifier does not match the code_challenge",
                    ));
                }
            }
            // RFC 9700 §2.1.1: a verifier without a challenge is a downgrade attempt.
            (None, Some(_)) => {
                return Err(OAuthError::invalid_grant(
                    "code_verifier sent but no code_challenge was",
                ));
            }
            (None, None) => {}
        }
        let user = self
            .store
            .user(tenant_id, &record.user_id)
            .await?
            .ok_or(INVALID_CODE)?;
        let audience = resource::audience(client, record.resource.as_deref(), params)?;
        let scopes = Scopes::from_stored(&record.scope);
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
            nonce: record.nonce.as_deref(),
            claims: claims.as_ref(),
            resource: record.resource.as_deref(),
            audience,
            roles,
        };
        self.first_token_response(tenant, &grant, &record.scope, now)
            .await
    }
}
