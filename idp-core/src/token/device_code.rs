//! The device_code grant (RFC 8628 §3.4-3.5): the device polls until the user
//! answers. Each poll is one atomic store call, so an approved code is
//! redeemed by exactly one poll.

use super::issue::Grant;
use crate::crypto::secret::SecretHash;
use crate::error::{ErrorCode, OAuthError};
use crate::provider::Provider;
use crate::scope::Scopes;
use crate::store::{ClientRecord, DeviceStatus, Store};
use crate::tenant::TenantContext;
use crate::wire::Params;

const INVALID_CODE: OAuthError =
    OAuthError::invalid_grant("device code is invalid or was already redeemed");

/// RFC 8628 §3.5: each `slow_down` adds 5 seconds to the interval.
const SLOW_DOWN_STEP: i64 = 5;

impl<S: Store> Provider<S> {
    pub(super) async fn exchange_device_code(
        &self,
        tenant: &TenantContext,
        client: &ClientRecord,
        params: &Params,
    ) -> Result<Vec<u8>, OAuthError> {
        let hash = SecretHash::of(params.required("device_code")?);
        let tenant_id = &tenant.record.id;
        let now = self.clock.now();
        let record = self
            .store
            .poll_device_code(tenant_id, &client.id, &hash, now)
            .await?
            .ok_or(INVALID_CODE)?;
        if record.consumed_at.is_some() {
            return Err(INVALID_CODE);
        }
        if record.expires_at <= now {
            return Err(OAuthError::new(
                ErrorCode::ExpiredToken,
                "the device code has expired; start again",
            ));
        }
        match record.status {
            DeviceStatus::Denied => Err(OAuthError::new(
                ErrorCode::AccessDenied,
                "the user denied the request",
            )),
            DeviceStatus::Pending => {
                if record
                    .last_poll_at
                    .is_some_and(|last| now - last < record.interval)
                {
                    self.store
                        .set_device_interval(tenant_id, &hash, record.interval + SLOW_DOWN_STEP)
                        .await?;
                    return Err(OAuthError::new(
                        ErrorCode::SlowDown,
                        "polling too fast; wait 5 more seconds between requests",
                    ));
                }
                Err(OAuthError::new(
                    ErrorCode::AuthorizationPending,
                    "the user has not answered yet",
                ))
            }
            DeviceStatus::Approved => {
                // This poll redeemed it (the store marked it consumed).
                let (Some(user_id), Some(session_id), Some(auth_time)) =
                    (&record.user_id, &record.session_id, record.auth_time)
                else {
                    return Err(OAuthError::server("approved device code without a user"));
                };
                let user = self
                    .store
                    .user(tenant_id, user_id)
                    .await?
                    .ok_or(INVALID_CODE)?;
                // How the approving user authenticated: their session's
                // method (a password if the session has ended since).
                let amr = self
                    .store
                    .session(tenant_id, session_id, now)
                    .await?
                    .map_or_else(|| crate::acr::PASSWORD_AMR.to_owned(), |s| s.amr);
                let scopes = Scopes::from_stored(&record.scope);
                // RFC 8707 §2.2: one of the client's audiences.
                let audience = crate::resource::audience(client, None, params)?;
                let roles =
                    crate::roles_claim::granted(&*self.store, tenant_id, &user.id, &scopes).await?;
                let grant = Grant {
                    client,
                    user: &user,
                    grant_id: &record.grant_id,
                    session_id,
                    scopes: &scopes,
                    auth_time,
                    amr: &amr,
                    nonce: None,
                    claims: None,
                    resource: None,
                    audience,
                    roles,
                };
                self.first_token_response(tenant, &grant, &record.scope, now)
                    .await
            }
        }
    }
}
