//! The `roles` scope and claim (design.md "What it does"): with `roles`
//! granted, the names of the application roles the user holds in the
//! tenant (issue 16, [`RoleStore::user_roles`]: sorted) go, as a JSON array
//! of strings, `[]` for none, into the ID token, the access token (RFC 9068
//! §2.2.3.1 names `roles` among the claims an access token may carry, with
//! the meaning of SCIM, RFC 7643 §4.1.2), the userinfo answer and the
//! introspection of such an access token (RFC 7662 §2.2 allows more
//! members).
//!
//! When the roles are read:
//! - tokens: when they are issued (code exchange, device code redemption,
//!   each refresh), so a refresh reflects a role assigned or removed since;
//!   the tokens carry that snapshot until they expire, and introspection
//!   reports what the access token carries;
//! - userinfo: at each request, so it shows the user's current roles.
//!
//! Cost: one read by primary key prefix (tenant, user) per issuance or
//! userinfo request, and only when the scope was granted.
//!
//! Not supported: asking for `roles` alone through the `claims` request
//! parameter (OIDC Core §5.5; it is ignored there like any claim the
//! provider does not release that way; the scope releases it), and roles
//! for `client_credentials` tokens, which name no user.

use crate::ids::{TenantId, UserId};
use crate::scope::Scopes;
use crate::store::{RoleStore, StoreResult};

/// The scope that releases the claim.
pub const SCOPE: &str = "roles";

/// The claim's name, the same in every place it appears.
pub const CLAIM: &str = "roles";

/// What a consent page says the scope lets an application see.
pub const CONSENT_TEXT: &str = "See the roles you hold in this organisation";

/// The `roles` claim for `user` when `scopes` include [`SCOPE`], read from
/// the store; `None`, without any store read, otherwise.
pub async fn granted<S: RoleStore>(
    store: &S,
    tenant: &TenantId,
    user: &UserId,
    scopes: &Scopes,
) -> StoreResult<Option<Vec<String>>> {
    if !scopes.contains(SCOPE) {
        return Ok(None);
    }
    store.user_roles(tenant, user).await.map(Some)
}
