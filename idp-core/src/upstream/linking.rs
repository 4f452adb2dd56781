//! Who an asserted identity is here, and linking identities to users.
//!
//! The rules (docs/adr: identity linking), in order:
//! 1. an identity already linked signs in as its user (a disabled user is
//!    refused);
//! 2. an identity whose email belongs to an existing user is linked to it
//!    automatically only when the upstream allows it (`auto_link`), the
//!    upstream says it verified the email, and the existing user's email is
//!    verified too; otherwise the person must first sign in with their
//!    existing method on the same login page and in the same browser, and
//!    then the identity is linked ([`super::flight::PendingLink`]). An
//!    unverified or recycled email never opens someone else's account;
//! 3. otherwise, when the upstream allows sign-up, a user is created with
//!    what the upstream vouches for (email, its verification as asserted,
//!    name; no password), linked in the same change, within the tenant's
//!    tier limit of users;
//! 4. otherwise no one signs in.
//!
//! Every link and creation is audited with the user as the actor.

use super::Asserted;
use crate::admin::AdminError;
use crate::audit::{AuditAction, AuditContext, Changes, Target};
use crate::email::EmailAddress;
use crate::ids::UserId;
use crate::provider::Provider;
use crate::store::{
    AdminChange, Applied, LinkedIdentityRecord, Store, StoreError, UpstreamRecord, UserRecord,
};
use crate::tenant::TenantContext;
use std::net::IpAddr;

/// Whether a user may unlink one of their `linked` identities: never the
/// last way to sign in (a password counts as one).
pub fn may_unlink(has_password: bool, linked: usize) -> bool {
    linked > 1 || (linked == 1 && has_password)
}

/// Who an asserted identity is.
#[derive(Debug)]
pub enum Resolved {
    /// This user signs in (an existing link, an automatic link, or a user
    /// just created).
    User(UserRecord),
    /// A user with this email exists and the identity may not be linked
    /// to it automatically: sign in with the existing method first.
    SignInFirst,
    /// No user, and the upstream does not allow sign-up.
    NoAccount,
    /// The user is disabled.
    Disabled,
    /// The upstream gave no usable email to create a user with.
    NoEmail,
    /// The tenant's tier allows no more users.
    LimitReached,
    /// The upstream was deleted meanwhile.
    UpstreamGone,
}

/// What linking an identity to a given user did.
#[derive(Debug, PartialEq, Eq)]
pub enum Linked {
    /// It is now linked.
    Linked,
    /// It was linked to this user already.
    Already,
    /// It is linked to someone else: nothing changed.
    Elsewhere,
    /// The user or the upstream was deleted meanwhile: nothing changed.
    Gone,
}

/// Why resolving or linking failed (not a refusal: a failure).
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An audited change failed.
    #[error(transparent)]
    Admin(#[from] AdminError),
}

fn actor(user: &UserRecord, from: Option<IpAddr>) -> AuditContext {
    AuditContext::user(
        user.id.as_str(),
        &user.email,
        from.map(|a| a.to_string()),
        None,
    )
}

fn identity_of(
    upstream: &UpstreamRecord,
    asserted: &Asserted,
    user: &UserId,
    now: i64,
) -> LinkedIdentityRecord {
    LinkedIdentityRecord {
        upstream_id: upstream.id.clone(),
        subject: asserted.subject.clone(),
        user_id: user.clone(),
        email: asserted.email.clone(),
        created_at: now,
        last_used_at: now,
    }
}

impl<S: Store> Provider<S> {
    /// Decides who `asserted` (from `upstream`) is in `tenant`, linking or
    /// creating as the rules allow.
    pub(crate) async fn resolve_identity(
        &self,
        tenant: &TenantContext,
        upstream: &UpstreamRecord,
        asserted: &Asserted,
        from: Option<IpAddr>,
    ) -> Result<Resolved, LinkError> {
        if let Some(found) = self.linked_user(tenant, upstream, asserted).await? {
            return Ok(found);
        }
        let email = asserted
            .email
            .as_deref()
            .and_then(|e| EmailAddress::parse(e).ok());
        let tid = &tenant.record.id;
        if let Some(email) = &email
            && let Some(existing) = self.store.user_by_email(tid, email).await?
        {
            if existing.disabled {
                return Ok(Resolved::Disabled);
            }
            if upstream.auto_link && asserted.email_verified && existing.email_verified {
                return Ok(
                    match self
                        .link_identity(tenant, upstream, asserted, &existing, from)
                        .await?
                    {
                        Linked::Linked | Linked::Already => Resolved::User(existing),
                        Linked::Elsewhere => Resolved::SignInFirst,
                        Linked::Gone => Resolved::UpstreamGone,
                    },
                );
            }
            return Ok(Resolved::SignInFirst);
        }
        if !upstream.signup {
            return Ok(Resolved::NoAccount);
        }
        let Some(email) = email else {
            return Ok(Resolved::NoEmail);
        };
        match self
            .create_from_upstream(tenant, upstream, asserted, &email, from)
            .await
        {
            Ok(Some(user)) => Ok(Resolved::User(user)),
            Ok(None) => Ok(Resolved::UpstreamGone),
            Err(AdminError::LimitExceeded { .. }) => Ok(Resolved::LimitReached),
            // A concurrent first sign-in of the same identity, or a user
            // with this email created meanwhile.
            Err(AdminError::Conflict { .. }) => Ok(self
                .linked_user(tenant, upstream, asserted)
                .await?
                .unwrap_or(Resolved::SignInFirst)),
            Err(e) => Err(e.into()),
        }
    }

    /// The user the identity is linked to, if it is (touching the link).
    async fn linked_user(
        &self,
        tenant: &TenantContext,
        upstream: &UpstreamRecord,
        asserted: &Asserted,
    ) -> Result<Option<Resolved>, LinkError> {
        let tid = &tenant.record.id;
        let Some(link) = self
            .store
            .linked_identity(tid, &upstream.id, &asserted.subject)
            .await?
        else {
            return Ok(None);
        };
        let Some(user) = self.store.user(tid, &link.user_id).await? else {
            return Ok(Some(Resolved::NoAccount));
        };
        if user.disabled {
            return Ok(Some(Resolved::Disabled));
        }
        self.store
            .touch_identity(
                tid,
                &upstream.id,
                &asserted.subject,
                asserted.email.as_deref(),
                self.clock.now(),
            )
            .await?;
        Ok(Some(Resolved::User(user)))
    }

    /// Creates a user from what the upstream vouches for, with the
    /// identity linked, within the tenant's tier limit of users.
    async fn create_from_upstream(
        &self,
        tenant: &TenantContext,
        upstream: &UpstreamRecord,
        asserted: &Asserted,
        email: &EmailAddress,
        from: Option<IpAddr>,
    ) -> Result<Option<UserRecord>, AdminError> {
        let now = self.clock.now();
        let user = UserRecord {
            id: UserId::generate(),
            email: email.as_str().to_owned(),
            email_verified: asserted.email_verified,
            name: asserted.name.clone().filter(|n| !n.trim().is_empty()),
            password_hash: None,
            disabled: false,
            created_at: now,
            updated_at: now,
        };
        let identity = identity_of(upstream, asserted, &user.id, now);
        let changes = Changes::none()
            .set("email", &user.email)
            .set("email_verified", user.email_verified)
            .set_some("name", user.name.as_ref())
            .set("upstream", upstream.id.as_str())
            .set("subject", &identity.subject);
        let event = actor(&user, from).event(
            AuditAction::UserCreateFromUpstream,
            Some(tenant),
            Target::new("user", user.id.as_str()),
            changes,
            now,
        );
        let change = AdminChange::CreateUserWithIdentity {
            tenant: &tenant.record.id,
            user: &user,
            identity: &identity,
        };
        let applied = crate::tier::apply_within_limit(
            &*self.store,
            (&tenant.record.id, &tenant.record.slug),
            crate::tier::Limit::Users,
            change,
            &event,
            now,
            format!("user '{email}'"),
        )
        .await?;
        Ok((applied != Applied::Missing).then_some(user))
    }

    /// Links the identity to `user` (audited, the user as actor), unless
    /// it is linked already.
    pub(crate) async fn link_identity(
        &self,
        tenant: &TenantContext,
        upstream: &UpstreamRecord,
        asserted: &Asserted,
        user: &UserRecord,
        from: Option<IpAddr>,
    ) -> Result<Linked, LinkError> {
        let tid = &tenant.record.id;
        if let Some(link) = self
            .store
            .linked_identity(tid, &upstream.id, &asserted.subject)
            .await?
        {
            return Ok(if link.user_id == user.id {
                Linked::Already
            } else {
                Linked::Elsewhere
            });
        }
        let now = self.clock.now();
        let identity = identity_of(upstream, asserted, &user.id, now);
        let event = actor(user, from).event(
            AuditAction::UserIdentityLink,
            Some(tenant),
            Target::new("user", user.id.as_str()),
            Changes::none()
                .set("upstream", upstream.id.as_str())
                .set("subject", &identity.subject),
            now,
        );
        let change = AdminChange::LinkIdentity {
            tenant: tid,
            identity: &identity,
        };
        match self.store.apply_audited(change, &event).await {
            Ok(Applied::Missing) => Ok(Linked::Gone),
            Ok(_) => Ok(Linked::Linked),
            Err(StoreError::Conflict(_)) => Ok(Linked::Elsewhere),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::may_unlink;

    #[test]
    fn the_last_way_to_sign_in_stays() {
        assert!(!may_unlink(false, 1));
        assert!(!may_unlink(false, 0));
        assert!(may_unlink(true, 1));
        assert!(may_unlink(false, 2));
    }
}
