//! The organisation lifecycle: approve, reject, suspend, reactivate
//! ([`crate::tenant::state`] decides which move is allowed from where).
//!
//! A move is a compare-and-swap on the state the operator saw, made with
//! its audit event in one transaction: of two racing moves from the same
//! state one wins and the other is a conflict, and there is never a state
//! without its event. The tenant is forgotten by this process's registry
//! at once; other processes on PostgreSQL forget it at once too (the
//! tenants table notifies its change feed), on SQLite within
//! `Lifetimes::tenant_cache`, as for any change to a tenant.

use super::Admin;
use super::error::AdminError;
use crate::audit::{AuditContext, Changes, Target};
use crate::store::{AdminChange, Applied, Store, TenantRecord};
use crate::tenant::state::{Transition, check_reason};

impl<S: Store> Admin<S> {
    /// Moves the tenant `slug` by `transition`; `reason` is required for
    /// reject and suspend ([`check_reason`]) and ignored otherwise.
    /// A tenant not in the transition's starting state is
    /// [`AdminError::WrongState`].
    pub async fn transition_tenant(
        &self,
        ctx: &AuditContext,
        slug: &str,
        transition: Transition,
        reason: Option<&str>,
    ) -> Result<TenantRecord, AdminError> {
        // The platform tenant is always active: it has no lifecycle.
        crate::platform::refuse_platform(slug, transition.past())?;
        let reason = if transition.needs_reason() {
            let text = reason.unwrap_or_default();
            check_reason(text).map_err(|why| AdminError::invalid("reason", why))?;
            Some(text.trim().to_owned())
        } else {
            None
        };
        let mut record = self.get_tenant(slug).await?;
        let from = record.state;
        let Some(to) = transition.apply(from) else {
            return Err(not_from(slug, transition, from));
        };
        let now = self.clock.now();
        let event = ctx.event_in(
            transition.action(),
            Some((&record.slug, &record.id)),
            Target::new("tenant", slug),
            Changes::none()
                .set("state", to.as_str())
                .set("previous_state", from.as_str())
                .set_some("reason", reason.as_deref()),
            now,
        );
        let change = AdminChange::ChangeTenantState {
            tenant: &record.id,
            from,
            to,
            reason: reason.as_deref(),
            at: now,
        };
        let applied = self.store.apply_audited(change, &event).await?;
        self.tenants.forget(slug);
        if applied == Applied::Missing {
            // Deleted, or moved by someone else since it was read.
            let now_state = self.get_tenant(slug).await?.state;
            return Err(not_from(slug, transition, now_state));
        }
        record.state = to;
        record.state_reason = reason;
        record.state_changed_at = Some(now);
        Ok(record)
    }
}

/// The conflict of `transition` on a tenant in `state`.
fn not_from(
    slug: &str,
    transition: Transition,
    state: crate::tenant::state::TenantState,
) -> AdminError {
    AdminError::WrongState {
        what: format!(
            "tenant '{slug}' is {state}: only {} {} tenant can be {}",
            if transition.from() == crate::tenant::state::TenantState::Active {
                "an"
            } else {
                "a"
            },
            transition.from(),
            transition.past()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tenant::state::TenantState;

    #[test]
    fn conflicts_say_what_is_allowed() {
        let e = not_from("acme", Transition::Approve, TenantState::Active);
        assert_eq!(
            e.to_string(),
            "tenant 'acme' is active: only a pending tenant can be approved"
        );
        let e = not_from("acme", Transition::Reactivate, TenantState::Pending);
        assert_eq!(
            e.to_string(),
            "tenant 'acme' is pending: only a suspended tenant can be reactivated"
        );
        let e = not_from("acme", Transition::Suspend, TenantState::Suspended);
        assert_eq!(
            e.to_string(),
            "tenant 'acme' is suspended: only an active tenant can be suspended"
        );
        let e = not_from("acme", Transition::Reject, TenantState::Rejected);
        assert_eq!(
            e.to_string(),
            "tenant 'acme' is rejected: only a pending tenant can be rejected"
        );
    }
}
