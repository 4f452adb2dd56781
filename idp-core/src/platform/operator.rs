//! Operators' access tokens as admin API credentials (design.md "Admin
//! API"): a token issued by the platform tenant, for the audience
//! `{BASE_URL}/api/v1` (requested with `resource`, RFC 8707), active
//! exactly as introspection decides (signature, expiry, revocation of the
//! token, its grant or its session, the tenant's state), of a user of the
//! platform who is not disabled. Their roles are read fresh from the store
//! on every request, so a role taken away takes effect at once.

use super::PLATFORM_SLUG;
use crate::admin::policy::OperatorRoles;
use crate::api_key::Denied;
use crate::ids::UserId;
use crate::provider::Provider;
use crate::store::{Store, StoreError};
use crate::tenant::state::TenantState;

/// An authenticated operator.
#[derive(Clone, Debug)]
pub struct Operator {
    /// Their user id in the platform tenant (the audit log's actor id).
    pub user_id: UserId,
    /// Their email (the audit log's actor name).
    pub email: String,
    /// Their roles, as read for this request.
    pub roles: OperatorRoles,
}

/// A store failure as the admin API answers it.
fn unavailable(e: StoreError) -> Denied {
    tracing::warn!(error = %e, "operators cannot be read");
    Denied::Unavailable
}

impl<S: Store> Provider<S> {
    /// The operator `token` (a Bearer that is not an API key) stands for,
    /// if it is an active access token of the platform tenant whose
    /// audience is `audience` (`{BASE_URL}/api/v1`); otherwise
    /// [`Denied::Unauthenticated`] (401), whatever the reason (another
    /// tenant's token, another audience, expired, revoked, a disabled user,
    /// a client's own token).
    pub async fn authenticate_operator(
        &self,
        token: &str,
        audience: &str,
    ) -> Result<Operator, Denied> {
        let refused = Denied::Unauthenticated("not an active operator token for the admin API");
        let tenant = match self.tenant(PLATFORM_SLUG).await {
            Ok(Some(tenant)) => tenant,
            Ok(None) => return Err(refused),
            Err(e) if e.code.is_server_side() => return Err(Denied::Unavailable),
            Err(_) => return Err(refused),
        };
        if tenant.record.state != TenantState::Active {
            return Err(refused);
        }
        let claims = match self.active_access_token(&tenant, token).await {
            Ok(claims) => claims,
            Err(e) if e.code.is_server_side() => return Err(Denied::Unavailable),
            Err(_) => return Err(refused),
        };
        if claims.aud != audience {
            return Err(Denied::Unauthenticated(
                "the access token is not for the admin API",
            ));
        }
        let user_id = claims.user(&tenant).ok_or(refused)?;
        self.operator(&tenant, &user_id).await
    }

    /// The operator signed in to the console by the platform session
    /// `session` (its public id, the ID token's `sid`) of the user `user`:
    /// the session must be live (not ended, revoked or expired) and the
    /// user's, the platform active and the user not disabled; otherwise
    /// [`Denied::Unauthenticated`]. Read on every console request, so a
    /// sign-out, a revocation or a disabled account ends console access at
    /// once, on every instance.
    pub async fn operator_in_session(&self, session: &str, user: &str) -> Result<Operator, Denied> {
        let refused = Denied::Unauthenticated("not signed in to the console");
        let tenant = match self.tenant(PLATFORM_SLUG).await {
            Ok(Some(tenant)) if tenant.record.state == TenantState::Active => tenant,
            Ok(_) => return Err(refused),
            Err(e) if e.code.is_server_side() => return Err(Denied::Unavailable),
            Err(_) => return Err(refused),
        };
        let now = self.clock.now();
        let live = self
            .store()
            .session(&tenant.record.id, &crate::ids::SessionId::new(session), now)
            .await
            .map_err(unavailable)?
            .filter(|s| s.user_id.as_str() == user)
            .ok_or(refused)?;
        self.operator(&tenant, &live.user_id).await
    }

    /// The platform user `user_id` as an operator, if not disabled.
    async fn operator(
        &self,
        tenant: &crate::tenant::TenantContext,
        user_id: &UserId,
    ) -> Result<Operator, Denied> {
        let refused = Denied::Unauthenticated("not an active operator");
        let store = self.store();
        let user = store
            .user(&tenant.record.id, user_id)
            .await
            .map_err(unavailable)?
            .filter(|u| !u.disabled)
            .ok_or(refused)?;
        let names = store
            .user_roles(&tenant.record.id, &user.id)
            .await
            .map_err(unavailable)?;
        Ok(Operator {
            user_id: user.id,
            email: user.email,
            roles: OperatorRoles::from_names(names.iter().map(String::as_str)),
        })
    }
}
