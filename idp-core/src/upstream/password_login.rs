//! Upstream-only tenants: whether a tenant's users may sign in with a
//! password ([`TenantRecord::password_login`]).
//!
//! Issue 19's login page offers "Continue with {name}" beside the password
//! form *or instead of it*. With password login off:
//! - the login page and the device verification page show no password form,
//!   and a password posted to them anyway is refused as a failed login
//!   (before it is checked, so it says nothing about the account);
//! - the account page offers no password change and refuses one;
//! - a stored password no longer counts as a way to sign in, so a user may
//!   not unlink their last upstream identity ([`super::linking::may_unlink`]).
//!
//! The switch cannot leave a tenant with no way in: it may be turned off
//! only while the tenant has at least one upstream (the platform tenant
//! included; its operators sign in there too).

use crate::store::TenantRecord;

/// Why a password login was refused, as the login pages show it.
pub const REFUSED: &str =
    "This organisation does not use passwords. Continue with one of the sign-in options above.";

/// Why a password change was refused, as the account page shows it.
pub const CHANGE_REFUSED: &str =
    "This organisation does not use passwords: you sign in through a linked account.";

/// The admin API's reason for refusing to turn password login off on a
/// tenant with no upstream.
pub const NEEDS_UPSTREAM: &str = "password login can be turned off only when the tenant has an upstream to sign in with; nobody could sign in otherwise";

/// Whether the tenant's users may sign in with a password.
pub fn allowed(tenant: &TenantRecord) -> bool {
    tenant.password_login
}

/// Whether a user's stored password is a way to sign in: only where
/// passwords are allowed ([`super::linking::may_unlink`]'s `has_password`).
pub fn counts(tenant: &TenantRecord, has_password: bool) -> bool {
    has_password && allowed(tenant)
}

/// Whether password login may be set to `on` on a tenant with `upstreams`
/// upstreams: on always; off only with one at least.
pub fn check(on: bool, upstreams: usize) -> Result<(), String> {
    if on || upstreams > 0 {
        Ok(())
    } else {
        Err(NEEDS_UPSTREAM.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_needs_an_upstream() {
        assert!(check(true, 0).is_ok());
        assert!(check(false, 0).is_err());
        assert!(check(false, 1).is_ok());
    }

    #[test]
    fn a_password_counts_only_where_allowed() {
        let mut t = TenantRecord {
            id: crate::ids::TenantId::new("t"),
            slug: "acme".to_owned(),
            name: "Acme".to_owned(),
            wrapped_data_key: Vec::new(),
            dynamic_registration: false,
            created_at: 0,
            state: crate::tenant::state::TenantState::Active,
            state_reason: None,
            state_changed_at: None,
            password_login: true,
        };
        assert!(counts(&t, true));
        assert!(!counts(&t, false));
        t.password_login = false;
        assert!(!counts(&t, true));
    }
}
