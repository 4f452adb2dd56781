//! The client_credentials grant (RFC 6749 §4.4): a confidential client asks
//! for a token for itself, for scopes it was registered with and an audience
//! it may name. No user, so no ID token and no refresh token (§4.4.3).

use super::issue::TokenResponse;
use crate::access_token::{self, AccessTokenClaims};
use crate::error::{ErrorCode, OAuthError};
use crate::provider::Provider;
use crate::scope::Scopes;
use crate::store::{ClientRecord, Store, TokenEndpointAuthMethod};
use crate::tenant::TenantContext;
use crate::wire::Params;

impl<S: Store> Provider<S> {
    pub(super) async fn client_credentials(
        &self,
        tenant: &TenantContext,
        client: &ClientRecord,
        params: &Params,
    ) -> Result<Vec<u8>, OAuthError> {
        if client.auth_method == TokenEndpointAuthMethod::None {
            return Err(OAuthError::new(
                ErrorCode::UnauthorizedClient,
                "client_credentials is for confidential clients only",
            ));
        }
        let allowed = Scopes::from_stored(&client.allowed_scopes.join(" "));
        // RFC 6749 §3.3: without `scope`, the registered default (all allowed scopes).
        let scopes = match params.single("scope")? {
            Some(asked) => {
                let asked = Scopes::from_stored(asked);
                if !asked.is_subset_of(&allowed) {
                    return Err(OAuthError::new(
                        ErrorCode::InvalidScope,
                        "scope is not allowed for this client",
                    ));
                }
                asked
            }
            None => allowed,
        };
        let audience = audience(client, params)?;
        let now = self.clock.now();
        let lifetime = self.config.lifetimes.access_token;
        let scope = scopes.to_param();
        let token = access_token::sign(
            tenant,
            &AccessTokenClaims {
                iss: tenant.issuer.clone(),
                sub: client.id.as_str().to_owned(),
                aud: audience,
                client_id: client.id.as_str().to_owned(),
                scope: scope.clone(),
                exp: now + lifetime,
                iat: now,
                jti: access_token::new_jti(),
                auth_time: None,
                sid: None,
                gid: None,
                userinfo_claims: Vec::new(),
                usr: None,
                // No user, so no roles (crate::roles_claim).
                roles: None,
            },
        )?;
        serde_json::to_vec(&TokenResponse {
            access_token: &token,
            token_type: "Bearer",
            expires_in: lifetime,
            scope: &scope,
            id_token: None,
            refresh_token: None,
        })
        .map_err(OAuthError::server)
    }
}

/// The `aud` of the token: the `resource` (RFC 8707) or `audience` asked
/// for, which must be registered; else the first registered audience; else
/// the client itself.
fn audience(client: &ClientRecord, params: &Params) -> Result<String, OAuthError> {
    let asked = match (params.single("resource")?, params.single("audience")?) {
        (Some(_), Some(_)) => {
            return Err(OAuthError::invalid_request(
                "send either resource or audience, not both",
            ));
        }
        (r, a) => r.or(a),
    };
    match asked {
        Some(a) if client.audiences.iter().any(|x| x == a) => Ok(a.to_owned()),
        Some(_) => Err(OAuthError::new(
            ErrorCode::InvalidTarget,
            "the requested audience is not registered for this client",
        )),
        None => Ok(client
            .audiences
            .first()
            .cloned()
            .unwrap_or_else(|| client.id.as_str().to_owned())),
    }
}
